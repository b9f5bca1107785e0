"""`kill -9` of a real `grade serve` while submissions are being uploaded and graded loses no accepted submission
and grades none twice: after a restart every accepted id is graded exactly once (issue 27 item 2)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from sqlalchemy import text

from grader.service.database import database_url, open_database
from service_postgres import postgres  # noqa: F401 - the fixture
from service_process import ServeProcess, call, import_roster

ROOT = Path(__file__).resolve().parents[1]
STUDENTS = ["ana", "ben", "chen"]


def _statuses(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return dict(connection.execute(text("SELECT status, count(*) FROM submissions GROUP BY status")).all())


def _session_members(session: int) -> list[int]:
    members = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.name.isdigit() and int(fields[3]) == session and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def _wait_for_no_process_in(session: int, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while _session_members(session):
        assert time.monotonic() < deadline, f"left behind after kill -9: {_session_members(session)}"
        time.sleep(0.1)


@pytest.mark.slow
@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_kill_9_mid_run_loses_nothing_and_grades_nothing_twice(tmp_path, database, request):
    data = tmp_path / "data"
    db = ("--db", request.getfixturevalue("postgres").database()) if database == "postgresql" else ()
    tokens = import_roster(data, STUDENTS, tmp_path / "tokens.csv", *db)
    engine = open_database(database_url(db[1] if db else None, data))
    reference = (ROOT / "solutions/02_backprop/backprop.py").read_text()
    server = ServeProcess(data, "--jobs", "2", *db).start()
    accepted: dict[int, str] = {}
    lock = threading.Lock()

    def hand_in(student: str) -> None:
        for n in range(5):
            source = f"{reference}\n# {student} attempt {n}\n".encode()
            try:
                status, answer = call(f"{server.url}/api/submissions?exercise=02_backprop&name=backprop.py",
                                      tokens[student], "POST", source, timeout=10)
            except OSError:
                return   # the service is gone: this upload was never accepted
            if status == 201:
                with lock:
                    accepted[answer["id"]] = student
            time.sleep(0.05)

    try:
        threads = [threading.Thread(target=hand_in, args=(student,)) for student in STUDENTS]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 120
        while not (_statuses(engine).get("graded") and _statuses(engine).get("grading")):
            assert time.monotonic() < deadline, _statuses(engine)
            time.sleep(0.02)
        session = server.process.pid
        server.kill()   # mid-grading, and maybe mid-upload
        _wait_for_no_process_in(session)   # its workers and their sandboxes end with it
        for thread in threads:
            thread.join(30)
        left = _statuses(engine)
        assert left.get("grading") or left.get("queued"), f"nothing was left to resume: {left}"
        assert accepted, "some submissions were accepted before the kill"
        server.stop()

        server = ServeProcess(data, "--jobs", "2", *db).start()
        deadline = time.monotonic() + 180
        while set(_statuses(engine)) - {"graded", "failed"}:
            assert time.monotonic() < deadline, _statuses(engine)
            time.sleep(0.2)
        for submission, student in accepted.items():
            status, answer = call(f"{server.url}/api/submissions/{submission}", tokens[student])
            assert status == 200 and answer["submission"]["status"] == "graded", answer
            assert answer["feedback"]["score"] == 30 == answer["submission"]["score"]
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT s.id, count(g.submission) FROM submissions s "
                                           "LEFT JOIN gradings g ON g.submission = s.id GROUP BY s.id")).all()
        assert set(accepted) <= {submission for submission, _ in rows}
        assert all(count == 1 for _, count in rows), f"every submission graded exactly once: {rows}"
    finally:
        server.stop()
        engine.dispose()
