"""The student's side of the service's API (`grade submit`), on the standard library alone: a student's install
has no web stack. Every failure is a ClientError whose message says what to do."""

from __future__ import annotations

import io
import json
import os
import sys
import time
import zipfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError
from grader.text import one_line

TOKEN_VARIABLE, SERVER_VARIABLE = "GRADE_TOKEN", "GRADE_SERVER"
SKIPPED = {"__pycache__", ".ipynb_checkpoints", ".git"}   # never sent with a folder
MAX_ANSWER_BYTES = 16 * 2**20
REQUEST_TIMEOUT_S = 60.0
WAIT_S = 5.0   # how long one status request waits on the service for the grading (the progress line's pace)


class ClientError(UsageError):
    """The service refused, or could not be reached."""


def token_file() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "grade" / "token"


def find_token() -> str:
    """GRADE_TOKEN, else the first line of ~/.config/grade/token."""
    token = os.environ.get(TOKEN_VARIABLE, "").strip()
    if token:
        return token
    path = token_file()
    try:
        token = path.read_text(encoding="utf-8").strip().splitlines()[0].strip() if path.is_file() else ""
    except (OSError, UnicodeDecodeError, IndexError):
        token = ""
    if not token:
        raise ClientError(f"no token: set {TOKEN_VARIABLE}, or save the token your course staff sent you in {path}")
    return token


def find_server(option: str | None) -> str:
    server = (option or os.environ.get(SERVER_VARIABLE, "")).strip().rstrip("/")
    if not server:
        raise ClientError(f"which server? pass --server https://... or set {SERVER_VARIABLE}")
    parts = urllib.parse.urlsplit(server)
    if parts.scheme not in ("http", "https"):
        raise ClientError(f"--server {one_line(server)!r}: give an http:// or https:// address")
    if parts.scheme == "http" and parts.hostname not in ("127.0.0.1", "localhost", "::1"):
        print(f"grade submit: {one_line(server)} is plain http: your token crosses the network unencrypted; ask your "
              f"course staff for its https:// address", file=sys.stderr)
    return server


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """The API never redirects: a redirect is answered as the error it is, so the token in the request's header is
    never sent on to whatever address (another host, or plain http) a Location names."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class Client:
    server: str
    token: str

    def _call(self, method: str, path: str, body: bytes | None = None) -> dict:
        request = urllib.request.Request(self.server + path, data=body, method=method, headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/json",
            **({"Content-Type": "application/octet-stream"} if body is not None else {})})
        try:
            with _OPENER.open(request, timeout=REQUEST_TIMEOUT_S) as answer:
                return json.loads(answer.read(MAX_ANSWER_BYTES))
        except urllib.error.HTTPError as exc:
            with exc:
                raise ClientError(self._refusal(exc)) from None
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ClientError(f"cannot reach the grading service at {self.server} ({one_line(str(reason))}); "
                              f"check the address and your connection") from None

    @staticmethod
    def _refusal(exc: urllib.error.HTTPError) -> str:
        try:
            said = one_line(str(json.loads(exc.read(65536)).get("error", "")))
        except (ValueError, OSError, AttributeError):
            said = ""
        if exc.code == 401:
            return "the service does not accept your token; ask your course staff for a new one"
        if 300 <= exc.code < 400:
            where = one_line(str(exc.headers.get("Location", "")), 200) if exc.headers else ""
            return (f"the service answered with a redirect ({exc.code}{' to ' + where if where else ''}); your token "
                    f"was not sent on: ask your course staff for the service's address and give it as --server")
        return f"the service refused ({exc.code}): {said or exc.reason}"

    def submit(self, exercise: str, name: str, data: bytes) -> int:
        query = urllib.parse.urlencode({"exercise": exercise, "name": name})
        return int(self._call("POST", f"/api/submissions?{query}", data)["id"])

    def status(self, submission: int, wait_s: float = 0.0) -> dict:
        """The submission's record and feedback; with `wait_s`, the service answers as soon as it is graded."""
        return self._call("GET", f"/api/submissions/{submission}" + (f"?wait={wait_s:g}" if wait_s else ""))

    def wait(self, submission: int, progress: Callable[[str, float], None], timeout_s: float) -> dict:
        """Wait until the submission is graded or failed (its answer), saying its status every few seconds: each
        request waits on the service for the grading (a service that does not know `wait` answers at once)."""
        started = time.monotonic()
        while True:
            asked = time.monotonic()
            answer = self.status(submission, WAIT_S)
            state = answer["submission"]["status"]
            if state in ("graded", "failed"):
                return answer
            waited = time.monotonic() - started
            progress(state, waited)
            if waited > timeout_s:
                raise ClientError(f"submission {submission} is still {state} after {timeout_s:.0f} s; its result will "
                                  f"be on the service's web page")
            time.sleep(max(0.0, 1.0 - (time.monotonic() - asked)))   # at most one request a second


def payload(submission: Path, max_bytes: int) -> tuple[str, bytes]:
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


def standing_line(answer: dict) -> str | None:
    """What the service says of a graded submission beyond its feedback: how late it was (and the score after
    the penalty), whether it is the grading that counts, and whether hidden checks are held back until due."""
    record = answer.get("submission") or {}
    said = []
    if record.get("late_note"):
        said.append(one_line(str(record["late_note"])))
        if record.get("late_penalty") and record.get("final_score") is not None:
            said.append(f"your score after the penalty: {record['final_score']:g}/{record.get('max_score') or 0:g}")
    if record.get("counts"):
        said.append("this grading counts as your grade")
    elif record.get("status") == "graded":
        said.append("this grading does not count (the exercise counts another of yours)")
    view = answer.get("hidden_checks")
    if view in ("outcome_and_hint", "score_only"):
        said.append("until the due time the hidden checks show " +
                    ("their outcome and hint only" if view == "outcome_and_hint" else "only their points together"))
    return "; ".join(said) or None
