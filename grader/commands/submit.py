"""`grade submit EXERCISE_DIR`: hand in the file `grade` would grade to the course's grading service, wait, and
show the same table as `grade`, now with the hidden checks (or the feedback document with --json)."""

from __future__ import annotations

import argparse
import io
import json
import sys
import zipfile
from pathlib import Path

from grader.atomic import write_json_atomically
from grader.commands.common import console
from grader.commands.grade import default_submission, resolve_exercise
from grader.errors import UsageError
from grader.exitcodes import ExitCode
from grader.service.client import SERVER_VARIABLE, TOKEN_VARIABLE, Client, find_server, find_token

SKIPPED = {"__pycache__", ".ipynb_checkpoints", ".git"}


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


def _payload(submission: Path, max_bytes: int) -> tuple[str, bytes]:
    """The name and bytes to send: a file as it is, a folder zipped (its files, not its caches)."""
    if submission.is_file():
        if submission.suffix.lower() not in (".py", ".ipynb", ".zip"):
            raise UsageError(f"{submission} is not a .py file, a notebook (.ipynb) or a .zip")
        data = submission.read_bytes()
        name = submission.name
    elif submission.is_dir():
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for path in sorted(submission.rglob("*")):
                parts = path.relative_to(submission).parts
                if path.is_file() and not path.is_symlink() and not (SKIPPED & set(parts)) \
                        and not any(part.startswith(".") for part in parts):
                    archive.write(path, "/".join(parts))
        data, name = buffer.getvalue(), f"{submission.name or 'submission'}.zip"
    else:
        raise UsageError(f"there is no file {submission} to hand in")
    if len(data) > max_bytes:
        raise UsageError(f"{submission} is {len(data) // 1024} KiB, more than this exercise's {max_bytes // 1024} KiB")
    return name, data


def run(argv: list[str]) -> ExitCode:
    options = parser().parse_args(argv)
    _, exercise = resolve_exercise(options.exercise)
    client = Client(find_server(options.server), find_token())
    submission = options.submission or default_submission(exercise)
    if options.json and options.json != "-" and not Path(options.json).parent.is_dir():
        raise UsageError(f"--json {options.json}: the folder {Path(options.json).parent} does not exist")
    name, data = _payload(submission, exercise.limits.max_file_kib * 1024)
    submitted = client.submit(exercise.id, name, data)
    tty = sys.stderr.isatty()

    def progress(state: str, waited: float) -> None:
        line = f"submission {submitted}: {state} ({waited:.0f} s)"
        print(("\r" + line) if tty else line, end="" if tty else "\n", file=sys.stderr, flush=True)

    print(f"handed in {name} as submission {submitted}", file=sys.stderr)
    answer = client.wait(submitted, progress, options.timeout)
    if tty:
        print(file=sys.stderr)
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
