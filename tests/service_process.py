"""A real `grade serve` in a subprocess, on a free port of 127.0.0.1, for the tests where a user meets it."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def grade(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def import_roster(data: Path, students: list[str], out: Path, *extra: str) -> dict[str, str]:
    """Students into the service's database with the real command; their tokens."""
    roster = out.parent / "roster.csv"
    roster.write_text("id,name\n" + "".join(f"{s},{s.title()}\n" for s in students), encoding="utf-8")
    done = grade("serve", "roster", "import", str(roster), "--data", str(data), "--out", str(out), *extra)
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()[1:]
    return {line.split(",")[0]: line.split(",")[-1] for line in lines}


class ServeProcess:
    """`grade serve --data DATA` in its own session; `kill()` is kill -9 of the service process alone."""

    def __init__(self, data: Path, *extra: str, port: int | None = None, ca: Path | None = None) -> None:
        self.data, self.extra, self.port = data, extra, port or free_port()
        self.url = f"{'https' if ca else 'http'}://127.0.0.1:{self.port}"
        self.context = None
        if ca is not None:
            import ssl

            self.context = ssl.create_default_context(cafile=str(ca))
        self.process: subprocess.Popen | None = None
        self.log = data.parent / f"serve-{self.port}.log"

    def start(self, timeout: float = 60) -> "ServeProcess":
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "grader", "serve", "--data", str(self.data), "--port", str(self.port), *self.extra],
                cwd=ROOT, stdout=log, stderr=log, start_new_session=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()[-3000:]
            try:
                with urllib.request.urlopen(self.url + "/", timeout=2, context=self.context):
                    return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        raise AssertionError(f"grade serve did not start: {self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        """The whole session: the service, its workers and their sandboxes."""
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(10)
        self.process = None


def call(url: str, token: str, method: str = "GET", body: bytes | None = None, timeout: float = 30) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method=method, headers={"Authorization": f"Bearer {token}"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
