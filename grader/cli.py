"""The `grade` command: grade one exercise, or validate the whole course."""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import os
import sys
import traceback
from dataclasses import replace
from pathlib import Path

from typing import TYPE_CHECKING

from grader.course.model import MANIFEST_NAME, Course, Exercise
from grader.errors import GraderError, UsageError
from grader.exitcodes import ExitCode, help_text
from grader.outcomes import Status
from grader.sandbox.launchers import choose_launcher, start_bwrap_probe
from grader.text import one_line

if TYPE_CHECKING:
    from rich.console import Console

# Each command imports what only it needs when it runs: a student's `grade` starts its sandbox before pytest,
# rich and the other commands' modules are loaded (see README, Speed).


def find_course(start: Path) -> Course:
    """The course holding `start` (the manifest and its schema are imported on first use)."""
    from grader.course.manifest import find_course as find

    return find(start)


def write_json_atomically(document: dict, path: Path) -> None:
    from grader.feedback.model import write_json_atomically as write

    write(document, path)


def _console(**options) -> Console:
    """rich's console, imported on first use."""
    from rich.console import Console

    return Console(**options)

DESCRIPTION = """\
Grade exercises of the course "Introduction to Deep Learning & Neural Networks with Keras".

  grade EXERCISE_DIR                      grade your file in that exercise folder
  grade EXERCISE_DIR --submission FILE    grade another .py file as that exercise
  grade validate                          check that every reference solution earns full marks,
                                          every stub earns 0 and course.yaml agrees with the checks
  grade batch SUBMISSIONS --exercise ID --out DIR
                                          grade a folder (or zip) of submissions in parallel,
                                          resumably; writes feedback, a gradebook, CSV, Gradescope
                                          results and an HTML report (grade batch --help);
                                          --similarity also shows which submissions look copied;
                                          --cluster tls://HOST:8786 grades on a Dask cluster's workers
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



def _grade_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="grade", description=DESCRIPTION, epilog=EPILOG,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("exercise", metavar="EXERCISE_DIR",
                        help="the exercise folder, e.g. exercises/02_backprop (or just its id, 02_backprop)")
    parser.add_argument("--submission", metavar="FILE", type=Path,
                        help="the .py file or .ipynb notebook to grade, or a folder or .zip holding it with helper "
                             "modules (default: the exercise's .py file or its notebook in EXERCISE_DIR, whichever "
                             "holds your work: the one whose functions are no longer the stub's, or that has all the "
                             "other's and more; when both hold different work, grade asks you to choose)")
    parser.add_argument("--all-cells", action="store_true",
                        help="run every cell (every top-level statement of a .py file), not only what the graded "
                             "functions need")
    parser.add_argument("--json", metavar="PATH", help="also write the feedback document as JSON to PATH ('-' for stdout only)")
    parser.add_argument("--seed", type=int, help="seed of the hidden checks' random inputs (default: derived from the file "
                                                  "and the hidden checks, which your code cannot read)")
    parser.add_argument("--public-only", action="store_true", help="run only the public checks")
    parser.add_argument("--gradescope", metavar="PATH", help="also write Gradescope's results.json to PATH")
    parser.add_argument("--allow-weak-isolation", action="store_true",
                        help="grade in a plain child process when bubblewrap cannot run (as root: the submission "
                             "then runs as root; not recommended)")
    return parser


def _course_parser(prog: str, description: str, **options) -> argparse.ArgumentParser:
    """A subcommand's parser, with the --course option every subcommand shares."""
    parser = argparse.ArgumentParser(prog=prog, description=description, **options)
    parser.add_argument("--course", metavar="DIR", type=Path, default=Path("."),
                        help=f"the course folder holding {MANIFEST_NAME} (default: the current folder or above)")
    return parser


def _validate_parser() -> argparse.ArgumentParser:
    parser = _course_parser("grade validate", "Check the whole course: references, stubs, schema, points.")
    parser.add_argument("--exercise", action="append", metavar="ID",
                        help="validate only this exercise (repeatable; default: all)")
    return parser


def _batch_parser() -> argparse.ArgumentParser:
    parser = _course_parser(
        "grade batch", "Grade every student's submission of one exercise, in parallel and resumably.",
        epilog="Re-running the same command grades only what is missing, changed, or failed inside the grader.")
    parser.add_argument("submissions", metavar="SUBMISSIONS", type=Path,
                        help="a folder with one file or folder per student (its name is the student id), or a zip of one")
    parser.add_argument("--exercise", required=True, help="the exercise id, e.g. 02_backprop")
    parser.add_argument("--out", required=True, type=Path, help="where feedback, gradebook.sqlite and the exports go")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers (default: all cores)")
    parser.add_argument("--seed", type=int, help="one seed for every submission (default: derived from each file "
                                                  "and the batch's secret key, OUT/seed.key)")
    parser.add_argument("--allow-weak-isolation", action="store_true",
                        help="grade in plain child processes when bubblewrap is unavailable (not recommended)")
    from grader.cluster.connect import add_options as cluster_options
    from grader.similarity import command as similarity

    similarity.add_options(parser, flag=True)
    cluster_options(parser)
    return parser


def _exercise(course: Course, exercise_id: str) -> Exercise:
    try:
        return course.exercise(exercise_id)
    except KeyError as exc:
        raise UsageError(exc.args[0]) from None


def _resolve_exercise(argument: str) -> tuple[Course, Exercise]:
    path = Path(argument)
    if path.is_dir():
        course = find_course(path)
        folder = path.resolve()
        for exercise in course.exercises:
            if exercise.exercise_dir.resolve() == folder:
                return course, exercise
        raise UsageError(f"{argument} is not an exercise folder of {course.manifest_path}; "
                         f"exercises: {', '.join('exercises/' + e.id for e in course.exercises)}")
    course = find_course(Path.cwd())
    try:
        return course, course.exercise(path.name)
    except KeyError as exc:
        raise UsageError(f"{argument} is neither a folder nor an exercise id. {exc.args[0]}") from None


def _top_level(sources: list[str]) -> tuple[list[str], set[str]]:
    """Every top-level statement of the sources (as its syntax tree, without positions), and the student's work
    among them: functions and classes that do more than the stub's `raise NotImplementedError(...)`, and code
    that does not parse (work in progress)."""
    import ast

    from grader.labcode.program import parsed

    def unwritten(node: ast.stmt) -> bool:
        body = [item for item in node.body if not (isinstance(item, ast.Expr) and isinstance(item.value, ast.Constant)
                                                  and isinstance(item.value.value, str))]
        if len(body) != 1 or not isinstance(body[0], ast.Raise) or body[0].exc is None:
            return False
        raised = body[0].exc.func if isinstance(body[0].exc, ast.Call) else body[0].exc
        return isinstance(raised, ast.Name) and raised.id == "NotImplementedError"

    statements, work = [], set()
    for source in sources:
        tree = parsed(source)
        if tree is None:
            statements.append(source.strip())
            work.add(source.strip())
            continue
        for node in tree.body:
            statements.append(ast.dump(node))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and not unwritten(node):
                work.add(statements[-1])
    return statements, work


def _which_file(script: Path, notebook: Path, max_bytes: int) -> tuple[Path | None, str]:
    """Which of the exercise's .py file and its notebook holds the student's work, judged by their code (a
    notebook that was only opened and saved is newer, not changed), and why; None when both hold different work.
    Files larger than `max_bytes` (more than grading reads) are not read here."""
    from grader.labcode.notebook import NotebookError, notebook_cells

    if not notebook.is_file():
        return script, f"there is no {notebook.name}"
    if not script.is_file():
        return notebook, f"there is no {script.name}"
    for path, other in ((notebook, script), (script, notebook)):
        if path.stat().st_size > max_bytes:
            return other, f"{path.name} is larger than the {max_bytes // 1024} KiB grading reads"
    try:
        in_notebook = [cell.source for cell in notebook_cells(notebook)]
    except NotebookError as exc:
        return script, f"{notebook.name} cannot be read ({exc})"
    try:
        in_script = [script.read_bytes().decode("utf-8-sig")]
    except (OSError, UnicodeDecodeError):
        return script, f"{script.name} is graded as it is (it cannot be read as text)"
    (script_code, script_work), (notebook_code, notebook_work) = _top_level(in_script), _top_level(in_notebook)
    newer = notebook.stat().st_mtime > script.stat().st_mtime
    if script_code == notebook_code:
        return script, f"{notebook.name} has the same code"
    if not script_work and not notebook_work:
        return script, f"neither it nor {notebook.name} has a function written yet"
    if not notebook_work:
        saved = " was saved more recently, but" if newer else ""
        return script, f"{notebook.name}{saved} still has the stub's functions (each raises NotImplementedError)"
    if not script_work:
        return notebook, f"{script.name} still has the stub's functions (each raises NotImplementedError)"
    if script_work < notebook_work:
        return notebook, f"it has every function written in {script.name}, and more"
    if notebook_work < script_work:
        return script, f"it has every function written in {notebook.name}, and more"
    if script_work == notebook_work:
        return script, f"{notebook.name} has the same functions"
    return None, (f"{script.name} and {notebook.name} both hold functions you wrote, and they differ, so it is not "
                  "clear which one is your latest work")


def _default_submission(exercise: Exercise) -> Path:
    """The exercise's .py file or its notebook, whichever holds the student's work (see `_which_file`); one line on
    stderr says which file is graded and why. A UsageError asks to choose when both hold different work."""
    script, notebook = exercise.stub_path, exercise.stub_path.with_suffix(".ipynb")
    chosen, why = _which_file(script, notebook, exercise.limits.max_file_kib * 1024)
    if chosen is None:
        folder = one_line(str(exercise.exercise_dir))
        raise UsageError(f"{why}. Say which to grade: grade {folder} --submission {one_line(str(script))} "
                         f"(or --submission {one_line(str(notebook))})")
    print(f"grading {chosen.name}: {one_line(why)}", file=sys.stderr)
    return chosen


def _run_grade(argv: list[str]) -> ExitCode:
    options = _grade_parser().parse_args(argv)
    start_bwrap_probe()   # checking bubblewrap runs while the course is read
    _, exercise = _resolve_exercise(options.exercise)
    submission = options.submission or _default_submission(exercise)
    if not submission.is_file() and not submission.is_dir():
        raise UsageError(f"there is no file {submission} to grade")
    launcher = choose_launcher(allow_weak=options.allow_weak_isolation)   # WeakIsolationRefused is a UsageError
    from grader.grading.engine import grade

    feedback = grade(exercise, submission, seed=options.seed, include_hidden=not options.public_only, launcher=launcher,
                     cells="all" if options.all_cells else None)
    if options.json == "-":
        json.dump(feedback.to_dict(), sys.stdout, indent=2)   # ASCII: no control character reaches a terminal
        sys.stdout.write("\n")
    else:
        from grader.views.terminal import render

        render(feedback, _console(highlight=False))
        if options.json:
            write_json_atomically(feedback.to_dict(), Path(options.json))
    if options.gradescope:
        from grader.views.gradescope import to_gradescope

        write_json_atomically(to_gradescope(feedback), Path(options.gradescope))
    return ExitCode.GRADER_FAILED if feedback.status is Status.GRADER_FAILED else ExitCode.OK


def _run_validate(argv: list[str]) -> ExitCode:
    from grader.audit.validate import validate_course

    options = _validate_parser().parse_args(argv)
    course = find_course(options.course)
    if options.exercise:
        unknown = [e for e in options.exercise if e not in {x.id for x in course.exercises}]
        if unknown:
            raise UsageError(f"no exercise {', '.join(unknown)} in {course.manifest_path}")
        course = replace(course, exercises=tuple(e for e in course.exercises if e.id in options.exercise))
    console = _console(highlight=False)
    console.print(f"Validating {len(course.exercises)} exercises of {course.manifest_path}")
    findings = validate_course(course)
    for finding in findings:
        mark = "[green]ok  [/green]" if finding.ok else "[bold red]FAIL[/bold red]"
        console.print(f"{mark} {finding.exercise}: ", end="", soft_wrap=True)
        console.print(finding.what, markup=False, highlight=False, soft_wrap=True)
    failures = sum(1 for finding in findings if not finding.ok)
    console.print(f"{len(findings) - failures} passed, {failures} failed")
    return ExitCode.VALIDATION_FAILED if failures else ExitCode.OK


def _run_batch(argv: list[str]) -> ExitCode:
    import shutil

    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

    from grader.batch.collect import collect
    from grader.batch.outputs import write_exports
    from grader.batch.runner import run_batch
    from grader.labcode.safezip import extract
    from grader.cluster.connect import connected, target_of, workers_note
    from grader.sandbox.launchers import BwrapLauncher, choose_launcher
    from grader.similarity import command as similarity

    options = _batch_parser().parse_args(argv)
    course = find_course(options.course)
    exercise = _exercise(course, options.exercise)
    cluster = target_of(options)
    # On a cluster, the workers' bubblewrap matters, not this machine's.
    strong = not options.allow_weak_isolation if cluster else \
        isinstance(choose_launcher(require_strong=True, allow_weak=options.allow_weak_isolation), BwrapLauncher)
    console = _console(stderr=True, highlight=False)
    source = options.submissions
    if not source.exists():
        raise UsageError(f"there is no folder or zip archive {source}")
    if options.out.resolve().is_relative_to(source.resolve()) and source.is_dir():
        raise UsageError(f"--out {options.out} is inside the submissions folder {source}; choose a folder outside it")
    options.out.mkdir(parents=True, exist_ok=True)
    skipped = {}
    if source.is_file():
        folder = options.out / "extracted"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        skipped = {item.name: item.reason for item in extract(source, folder)}
        for name, reason in skipped.items():
            console.print(f"skipped {one_line(name)!r} from the archive: {one_line(reason)}", markup=False)
        source = folder
    entries = collect(source, exercise, skipped)
    if not strong:
        console.print("[yellow]Grading without bubblewrap: submissions run as plain processes (--allow-weak-isolation).[/yellow]")
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
               TextColumn("ETA"), TimeRemainingColumn())
    with contextlib.ExitStack() as stack, Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"grading {exercise.id}", total=None)

        def advance(total: int, done: int, student: str) -> None:
            progress.update(task, total=total, completed=done, description=f"grading {exercise.id} ({student})")

        dispatch, where = None, None
        if cluster is not None:
            from grader.cluster.dispatch import cluster_dispatch, cluster_where

            client = stack.enter_context(connected(cluster))
            console.print(f"grading on {cluster.address}: {workers_note(client)}", markup=False)
            dispatch, where = cluster_dispatch(client, course, exercise, strong), cluster_where(cluster.address)
        summary = run_batch(course.manifest_path, exercise.id, entries, options.out, jobs=max(1, options.jobs),
                            strong=strong, seed=options.seed, on_progress=advance, dispatch=dispatch, where=where)
    paths = write_exports(options.out, exercise)   # before similarity: the grades never wait for it, nor fail with it
    console.print(f"{summary.total} students: {summary.graded} graded, {summary.unchanged} unchanged since the last run, "
                  f"{summary.problems} without a gradable file, {summary.grader_failures} grader failures "
                  f"({summary.retried} retried) in {summary.wall_s:.1f} s", markup=False)
    console.print(f"gradebook: {options.out / 'gradebook.sqlite'}\nCSV: {paths.csv}\nstudent ids: {paths.students}\n"
                  f"report: {paths.report}\n"
                  f"Gradescope results: {paths.gradescope}/<student>/results.json", markup=False)
    if options.similarity:   # an optional stage: a failure is a warning, and report.html gains its section if it succeeds
        similarity.batch_similarity(options.out, exercise, options.similarity_threshold, console)
    return ExitCode.GRADER_FAILED if summary.grader_failures else ExitCode.OK


def _run_release(argv: list[str]) -> ExitCode:
    from grader.bundles.release import build_release

    parser = _course_parser("grade release", "Build the student bundle (no solutions/).")
    parser.add_argument("out", metavar="OUT", type=Path, help="an empty or new folder")
    options = parser.parse_args(argv)
    course = find_course(options.course)
    try:
        out = build_release(course, options.out)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    print(f"student release written to {out} (exercises, public checks, grader; no solutions or hidden checks)")
    return ExitCode.OK


def _run_gradescope(argv: list[str]) -> ExitCode:
    from grader.bundles.release import build_gradescope

    parser = _course_parser("grade gradescope", "Build a Gradescope autograder zip.")
    parser.add_argument("exercise", metavar="ID")
    parser.add_argument("--out", type=Path, default=Path("autograder.zip"))
    options = parser.parse_args(argv)
    course = find_course(options.course)
    out = build_gradescope(course, _exercise(course, options.exercise), options.out)
    print(f"Gradescope autograder written to {out}; upload it as the assignment's autograder")
    return ExitCode.OK


def _run_notebooks(argv: list[str]) -> ExitCode:
    from grader.notebooks.builder import stale_notebooks, write_notebooks

    parser = _course_parser("grade notebooks", "Generate the exercises' notebooks.")
    parser.add_argument("--check", action="store_true", help="only check that the notebooks match their sources")
    options = parser.parse_args(argv)
    course = find_course(options.course)
    if options.check:
        problems = stale_notebooks(course)
        for problem in problems:
            print(f"stale: {problem}; run `grade notebooks` to regenerate")
        print(f"{len(course.exercises) - len(problems)} notebooks up to date, {len(problems)} stale")
        return ExitCode.VALIDATION_FAILED if problems else ExitCode.OK
    written = write_notebooks(course)
    for path in written:
        print(f"wrote {path}")
    print(f"notebooks: {len(written)} written, {len(course.exercises) - len(written)} already up to date")
    return ExitCode.OK


def _run_nbgrader(argv: list[str]) -> ExitCode:
    from grader.notebooks.nbgrader_export import export_assignment

    parser = _course_parser("grade nbgrader", "Export an nbgrader source assignment.")
    parser.add_argument("exercise", metavar="ID")
    parser.add_argument("--out", type=Path, required=True, help="the nbgrader course folder to write into")
    options = parser.parse_args(argv)
    course = find_course(options.course)
    path = export_assignment(course, _exercise(course, options.exercise), options.out)
    print(f"wrote {path}; now run `nbgrader generate_assignment {options.exercise}` in {options.out}, and grade the "
          f"submitted notebooks with `grade nbgrader-grade {options.exercise} --course-dir {options.out}` "
          f"(see {options.out / f'GRADING-{options.exercise}.md'}: the test cells are feedback, not grades)")
    return ExitCode.OK


def _run_nbgrader_grade(argv: list[str]) -> ExitCode:
    from grader.notebooks.nbgrader_grade import grade_submitted

    parser = _course_parser("grade nbgrader-grade", "Grade the submitted notebooks of an nbgrader course in the "
                            "sandbox and record each check's score in nbgrader's gradebook (instead of nbgrader autograde).")
    parser.add_argument("exercise", metavar="ID")
    parser.add_argument("--course-dir", type=Path, required=True, help="the nbgrader course folder (holds submitted/)")
    parser.add_argument("--assignment", help="the nbgrader assignment (default: ID)")
    parser.add_argument("--notebook", help="the notebook's name without .ipynb (default: ID)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel workers (default: all cores)")
    options = parser.parse_args(argv)
    course = find_course(options.course)
    if not options.course_dir.is_dir():
        raise UsageError(f"there is no nbgrader course folder {options.course_dir}")
    grades = grade_submitted(course, _exercise(course, options.exercise), options.course_dir,
                             assignment=options.assignment, notebook=options.notebook, jobs=max(1, options.jobs))
    for row in grades:
        score = "not graded (grader failed; run again)" if row.score is None else f"{row.score:g}/{row.max_score:g}"
        print(f"{row.student}: {score} {row.status}" + (f" ({row.problem})" if row.problem else ""))
    unrecorded = sum(not row.recorded for row in grades)
    print(f"{len(grades) - unrecorded} students recorded in nbgrader's gradebook"
          + (f" ({unrecorded} reported above, not recorded)" if unrecorded else "") + "; feedback JSON in "
          f"{options.course_dir / 'sandbox_grades' / (options.assignment or options.exercise) / 'feedback'}")
    return ExitCode.GRADER_FAILED if any(row.score is None for row in grades) else ExitCode.OK


SUBCOMMANDS = {"validate": _run_validate, "batch": _run_batch, "release": _run_release,
               "gradescope": _run_gradescope, "notebooks": _run_notebooks, "nbgrader": _run_nbgrader,
               "nbgrader-grade": _run_nbgrader_grade, "similarity": lambda argv: _command("similarity", argv),
               "audit": lambda argv: _command("audit", argv)}


def _command(package: str, argv: list[str]) -> ExitCode:
    """A command whose package has a `command` module with `run_command`, imported when it runs."""
    import importlib

    return importlib.import_module(f"grader.{package}.command").run_command(argv)


DEBUG_VARIABLE = "GRADER_DEBUG"


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    command = argv[0] if argv and argv[0] in SUBCOMMANDS else None
    try:
        if command is not None:
            return int(SUBCOMMANDS[command](argv[1:]))
        return int(_run_grade(argv))
    except GraderError as exc:
        print(exc.report(), file=sys.stderr)
        return int(exc.exit_code)
    except SystemExit as exc:  # argparse: --help exits 0, bad options exit 2
        return int(exc.code or 0)
    except Exception as exc:  # noqa: BLE001 - a bug of ours: one line, not a traceback the user must read
        return _report_bug(f"grade {command}" if command else "grade", exc)


def _report_bug(what: str, exc: Exception) -> int:
    """One line saying what failed and that it is the grader's fault; the traceback only when asked for."""
    if os.environ.get(DEBUG_VARIABLE):
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
