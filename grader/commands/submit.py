"""`grade submit EXERCISE_DIR`: hand in the file `grade` would grade to the course's grading service, wait, and
show the same table as `grade`, now with the hidden checks (or the feedback document with --json)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from grader.atomic import write_json_atomically
from grader.commands.common import console
from grader.commands.grade import default_submission, resolve_exercise
from grader.errors import UsageError
from grader.exitcodes import ExitCode
from grader.service.client import (SERVER_VARIABLE, TOKEN_VARIABLE, Client, find_server, find_token, payload,
                                   standing_line)


def parser() -> argparse.ArgumentParser:
    result = argparse.ArgumentParser(
        prog="grade submit", description="Hand in your work to the course's grading service and see its grade, "
                                         "hidden checks included.",
        epilog=f"Your token: {TOKEN_VARIABLE}, or the file ~/.config/grade/token. The server: --server or {SERVER_VARIABLE}.")
    result.add_argument("exercise", metavar="EXERCISE_DIR", help="the exercise folder, e.g. exercises/02_backprop")
    result.add_argument("--submission", metavar="FILE", type=Path,
                        help="the .py, .ipynb or .zip to hand in, or a folder (sent as a zip); default: the file "
                             "`grade` would grade")
    result.add_argument("--server", metavar="URL", help=f"the service's address (default: ${SERVER_VARIABLE})")
    result.add_argument("--json", metavar="PATH", help="also write the feedback document to PATH ('-' for stdout only)")
    result.add_argument("--timeout", type=float, default=900.0, help="seconds to wait for the grade (default: 900)")
    return result


def run(argv: list[str]) -> ExitCode:
    options = parser().parse_args(argv)
    _, exercise = resolve_exercise(options.exercise)
    client = Client(find_server(options.server), find_token())
    submission = options.submission or default_submission(exercise)
    if options.json and options.json != "-" and not Path(options.json).parent.is_dir():
        raise UsageError(f"--json {options.json}: the folder {Path(options.json).parent} does not exist")
    name, data = payload(submission, exercise.limits.max_file_kib * 1024)
    submitted = client.submit(exercise.id, name, data)
    tty = sys.stderr.isatty()

    def progress(state: str, waited: float) -> None:
        line = f"submission {submitted}: {state} ({waited:.0f} s)"
        print(("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    print(f"handed in {name} as submission {submitted}", file=sys.stderr)
    answer = client.wait(submitted, progress, options.timeout)
    if tty:
        print(file=sys.stderr)
    if standing_line(answer):
        print(f"submission {submitted}: {standing_line(answer)}", file=sys.stderr)
    document = answer.get("feedback")
    if document is None:
        print(f"submission {submitted}: the grader failed on it; this is not your fault, and your course staff can "
              f"see it", file=sys.stderr)
        return ExitCode.GRADER_FAILED
    from grader.feedback.model import Feedback

    feedback = Feedback.from_dict(document)
    if options.json == "-":
        json.dump(document, sys.stdout, indent=2)
        sys.stdout.write("\n")
    else:
        from grader.views.terminal import render

        render(feedback, console(highlight=False))
        if options.json:
            write_json_atomically(document, Path(options.json))
    return ExitCode.GRADER_FAILED if answer["submission"]["status"] == "failed" else ExitCode.OK
