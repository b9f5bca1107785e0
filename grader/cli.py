"""The `grade` command line: the subcommand's name chooses a module of `grader.commands`, which parses the
rest and runs; `grade EXERCISE_DIR` (no subcommand) grades one student's file."""

from __future__ import annotations

import gc
import importlib
import sys
import traceback
from typing import Callable

from grader.errors import DEBUG_VARIABLE, GraderError, debugging
from grader.exitcodes import ExitCode, help_text

DESCRIPTION = """\
Grade exercises of the course "Introduction to Deep Learning & Neural Networks with Keras".

  grade EXERCISE_DIR                      grade your file in that exercise folder
  grade EXERCISE_DIR --submission FILE    grade another .py file as that exercise
  grade validate                          check that every reference solution earns full marks,
                                          every stub earns 0 and course.yaml agrees with the checks
  grade new ID --title TITLE [--keras]    a new exercise from a template that validates at once;
                                          grade new --sync ID writes its stub from the reference
  grade batch SUBMISSIONS --exercise ID --out DIR
                                          grade a folder (or zip) of submissions in parallel,
                                          resumably; writes feedback, a gradebook, CSV, Gradescope
                                          results and an HTML report (grade batch --help);
                                          --similarity also shows which submissions look copied;
                                          --cluster tls://HOST:8786 grades on a Dask cluster's workers
  grade export canvas|moodle|csv OUT --roster ROSTER.csv
                                          a graded batch as the file the LMS imports (or a CSV)
  grade serve [--course DIR] [--db URL]   grade on submit: a service students hand in to (docs/service.md);
                                          grade serve roster import ROSTER.csv --out TOKENS.csv for tokens
  grade submit EXERCISE_DIR               hand in your file to the course's service and see its grade
  grade similarity OUT --exercise ID      compare a graded batch's submissions pair by pair, offline
  grade audit [EXERCISE ...]              grade mutants of the reference solutions: how many lose
                                          points, get a hint naming their mistake, or a misleading one
  grade release OUT                       the student bundle: exercises, public checks, grader;
                                          nothing from solutions/
  grade gradescope ID --out autograder.zip
                                          a Gradescope autograder that grades with this grader
  grade notebooks [--check]               write every exercise as a notebook (README + stub), or
                                          check that the notebooks match their sources
  grade nbgrader ID --out DIR             export an nbgrader source assignment (its test cells are
                                          feedback for students, not grades)
  grade nbgrader-grade ID --course-dir DIR
                                          grade an nbgrader course's submitted notebooks in the
                                          sandbox and write the scores into nbgrader's gradebook

A submission may be a .py file, a Jupyter notebook (.ipynb), or a folder or .zip holding one of them
with helper modules beside it. Only what the graded functions need runs (--all-cells runs everything).

Your code runs in a separate process; the checks never share a process with it.
"""

EPILOG = help_text() + """
examples:
  grade exercises/02_backprop
  grade exercises/02_backprop --submission ~/work/backprop.py --json feedback.json
  grade exercises/02_backprop --json - | jq .score
"""


def _command(module: str) -> Callable[[list[str]], ExitCode]:
    """The subcommand in `grader.commands.<module>`, imported when it runs (`grade`'s own start stays light)."""
    return lambda argv: importlib.import_module(f"grader.commands.{module}").run(argv)


SUBCOMMANDS: dict[str, Callable[[list[str]], ExitCode]] = {
    "validate": _command("validate"), "batch": _command("batch"), "release": _command("release"),
    "gradescope": _command("gradescope"), "notebooks": _command("notebooks"), "nbgrader": _command("nbgrader_export"),
    "nbgrader-grade": _command("nbgrader_grade"), "similarity": _command("similarity"), "audit": _command("audit"),
    "export": _command("export"), "serve": _command("serve"), "submit": _command("submit"), "new": _command("new"),
}


def _grade(argv: list[str]) -> ExitCode:
    from grader.commands.grade import run as grade

    return grade(argv, DESCRIPTION, EPILOG)




def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    try:
        if command is not None:
            return int(SUBCOMMANDS[command](argv[1:]))
        return int(_grade(argv))
    except GraderError as exc:
        print(exc.report(), file=sys.stderr)
        return int(exc.exit_code)
    except SystemExit as exc:  # argparse: --help exits 0, bad options exit 2
        return int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one line, not a traceback the user must read
        return _report_bug(f"grade {command}" if command else "grade", exc)


def _report_bug(what: str, exc: Exception) -> int:
    """One line saying what failed and that it is the grader's fault; the traceback only when asked for."""
    if debugging():
        traceback.print_exception(exc, file=sys.stderr)
    text = " ".join(str(exc).split())[:300]
    print(f"grade: internal error: `{what}` failed with {type(exc).__name__}{': ' + text if text else ''}. "
          f"This is a bug in the grader, not in your work; please report this line to your course staff "
          f"(run again with {DEBUG_VARIABLE}=1 to see the traceback).", file=sys.stderr)
    return int(ExitCode.GRADER_FAILED)


def run() -> int:
    """The `grade` console script: `main`, then an exit that skips the interpreter's last garbage collection
    over every object pytest, numpy and rich made (about 45 ms of a 0.4 s student grading). Files are
    closed by their own `with` blocks and atexit handlers still run; only cyclic garbage is left to the OS."""
    code = main()
    gc.freeze()
    return code


if __name__ == "__main__":
    sys.exit(run())
