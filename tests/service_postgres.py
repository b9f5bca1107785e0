"""A real PostgreSQL server for the service's storage tests: initdb and postgres from the machine's binaries,
run as an unprivileged user (PostgreSQL refuses root) with a data folder and a Unix socket in a temporary folder.

`.ci/run` installs PostgreSQL where it is missing; here the tests that need it skip, saying why, when no
`initdb` can be found."""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

SEARCH = ("/usr/local/bin", "/usr/local/pgsql/bin", *sorted(str(p) for p in Path("/usr/lib/postgresql").glob("*/bin")))


def binaries() -> Path | None:
    """The folder holding initdb and pg_ctl, or None."""
    found = shutil.which("initdb")
    if found and shutil.which("pg_ctl", path=str(Path(found).parent)):
        return Path(found).parent
    for folder in SEARCH:
        if (Path(folder) / "initdb").is_file() and (Path(folder) / "pg_ctl").is_file():
            return Path(folder)
    return None


def _user() -> str | None:
    """The user the server runs as: ourselves unless we are root, then `nobody`."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam("nobody")
    except KeyError:
        return None
    return "nobody"


class PostgresServer:
    """One server for a test session; `database()` gives each test a fresh, empty database's URL."""

    def __init__(self) -> None:
        self.bin = binaries()
        self.user = _user()
        self.folder = Path(tempfile.mkdtemp(prefix="grader-pg-"))
        self.data = self.folder / "data"
        self.count = 0
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.folder.chmod(0o755)

    def _run(self, *command: str) -> subprocess.CompletedProcess:
        return subprocess.run(list(command), user=self.user, cwd=self.folder, capture_output=True, text=True,
                              timeout=120, env={"PATH": "/usr/bin:/bin", "LC_ALL": "C"})

    def start(self) -> None:
        assert self.bin is not None
        done = self._run(str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "grader", "-E", "UTF8", "--locale=C", "--no-sync")
        if done.returncode:
            raise RuntimeError(f"initdb failed: {done.stderr[-2000:]}")
        options = f"-c listen_addresses='' -c unix_socket_directories={self.folder} -c fsync=off -c max_connections=50"
        done = self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "log"), "-o", options,
                         "-w", "-t", "60", "start")
        if done.returncode:
            raise RuntimeError(f"pg_ctl start failed: {done.stderr[-2000:]} {self._log()}")

    def _log(self) -> str:
        try:
            return (self.folder / "log").read_text()[-2000:]
        except OSError:
            return ""

    def database(self) -> str:
        """A new empty database: its postgresql:// URL (the Unix socket in the server's folder)."""
        import psycopg

        self.count += 1
        name = f"grader_test_{self.count}"
        with psycopg.connect(host=str(self.folder), user="grader", dbname="postgres", autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return f"postgresql://grader@/{name}?host={self.folder}"

    def stop(self) -> None:
        if self.bin is not None and self.data.exists():
            self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")
        deadline = time.monotonic() + 10
        while (self.data / "postmaster.pid").exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        shutil.rmtree(self.folder, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres():
    """A running server for the module's tests (import this fixture into a test module to use it)."""
    if binaries() is None:
        pytest.skip("PostgreSQL's initdb and pg_ctl are not installed (.ci/run installs them as root)")
    server = PostgresServer()
    try:
        server.start()
    except RuntimeError as exc:
        server.stop()
        pytest.skip(f"PostgreSQL could not start here: {exc}")
    yield server
    server.stop()
