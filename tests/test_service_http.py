"""The service's HTTP layer with a fake grader (no sandbox): the API `grade submit` speaks, the students' pages,
sessions and CSRF, the security headers, `grade submit` itself against a live app, and `grade serve roster`."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from grader.course.manifest import load_course
from grader.course.model import LatePolicy, RateLimit
from grader.feedback.model import Feedback, OutputTail
from grader.feedback.results import CheckResult, Hint
from grader.outcomes import Outcome
from grader.service import accounts
from grader.service.app import build_app
from grader.service.config import ServiceConfig
from grader.service.database import database_url
from grader.service.guards import CONTENT_SECURITY_POLICY
from grader.service.service import open_service
from service_fakes import FakeGrader, made_up_feedback

ROOT = Path(__file__).resolve().parents[1]
UPLOAD = "/api/submissions?exercise=02_backprop&name=backprop.py"


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT / "course.yaml")


@pytest.fixture
def service(tmp_path, course):
    config = ServiceConfig(course, tmp_path / "data", database_url(None, tmp_path / "data"), jobs=2)
    (tmp_path / "data").mkdir()
    service = open_service(config, FakeGrader())
    yield service


@pytest.fixture
def client(service):
    with TestClient(build_app(service), base_url="http://testserver") as client:
        yield client


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def wait_graded(client, token: str, submission: int) -> dict:
    deadline = time.monotonic() + 10
    while True:
        answer = client.get(f"/api/submissions/{submission}", headers=bearer(token)).json()
        if answer["submission"]["status"] in ("graded", "failed"):
            return answer
        assert time.monotonic() < deadline
        time.sleep(0.01)


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def sign_in(client, token: str):
    form = client.get("/")
    return client.post("/signin", data={"csrf": csrf_of(form.text), "token": token})


def test_a_submission_is_answered_with_its_id_then_graded_with_its_feedback(client, service):
    token = accounts.add_or_update(service.engine, "alice", "Alice")
    answer = client.post(UPLOAD, content=b"x = 1\n", headers=bearer(token))
    assert answer.status_code == 201 and answer.json()["status"] == "queued"
    graded = wait_graded(client, token, answer.json()["id"])
    assert graded["submission"]["score"] == 2 and graded["feedback"]["score"] == 2
    assert graded["feedback"]["submission"]["path"] == "backprop.py"
    assert "stored_path" not in graded["submission"] and "feedback_path" not in graded["submission"]
    listed = client.get("/api/submissions", headers=bearer(token)).json()
    assert [s["id"] for s in listed["submissions"]] == [answer.json()["id"]]


def test_every_response_carries_the_security_headers(client):
    for response in (client.get("/"), client.get("/api/submissions"), client.get("/nowhere"),
                     client.get("/static/service.css")):
        assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
        assert "script-src" not in CONTENT_SECURITY_POLICY and "unsafe-inline" not in CONTENT_SECURITY_POLICY
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-store"


def test_the_queue_limit_is_a_clear_429(client, service):
    service.loop.grader.hold = True   # nothing finishes
    token = accounts.add_or_update(service.engine, "alice", "Alice")
    for n in range(5):
        assert client.post(UPLOAD, content=f"x = {n}\n".encode(), headers=bearer(token)).status_code == 201
    refused = client.post(UPLOAD, content=b"x = 9\n", headers=bearer(token))
    assert refused.status_code == 429 and "5 submissions waiting" in refused.json()["error"]
    assert refused.headers["retry-after"]
    other = accounts.add_or_update(service.engine, "bob", "Bob")
    assert client.post(UPLOAD, content=b"y = 1\n", headers=bearer(other)).status_code == 201


def test_uploads_must_name_a_gradable_file_and_a_known_exercise(client, service):
    token = accounts.add_or_update(service.engine, "alice", "Alice")
    assert client.post("/api/submissions?exercise=02_backprop&name=notes.txt", content=b"x",
                       headers=bearer(token)).status_code == 400
    assert client.post("/api/submissions?exercise=99_nothing&name=a.py", content=b"x",
                       headers=bearer(token)).status_code == 404
    assert client.post(UPLOAD, content=b"", headers=bearer(token)).status_code == 400


def test_the_web_pages_sign_in_upload_and_show_the_feedback_table(client, service):
    token = accounts.add_or_update(service.engine, "alice", "Alice <i>Liddell</i>")
    signed = sign_in(client, token)
    assert signed.status_code == 200 and signed.url.path == "/home"
    assert "Alice &lt;i&gt;Liddell&lt;/i&gt;" in signed.text and "<i>" not in signed.text
    cookie = signed.history[0].headers["set-cookie"]
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    uploaded = client.post("/upload", data={"csrf": csrf_of(signed.text), "exercise": "02_backprop"},
                           files={"file": ("backprop.py", b"x = 1\n", "text/x-python")})
    assert uploaded.status_code == 200 and re.fullmatch(r"/submissions/\d+", uploaded.url.path)
    deadline = time.monotonic() + 10
    while "Total: 2/2" not in (page := client.get(uploaded.url.path).text):
        assert time.monotonic() < deadline, page
        time.sleep(0.02)
    assert "a made-up check (hidden)" in page and "<script" not in page
    home = client.get("/home").text
    assert "backprop.py" in home and "2/2" in home
    client.post("/signout", data={"csrf": csrf_of(home)})
    assert client.get("/home").url.path == "/"


def test_a_rotated_token_ends_its_sessions(client, service):
    token = accounts.add_or_update(service.engine, "alice", "Alice")
    assert sign_in(client, token).url.path == "/home"
    accounts.rotate(service.engine, "alice")
    assert client.get("/home").url.path == "/"


@contextlib.contextmanager
def served(service):
    """The app over `service`, served by a real uvicorn on 127.0.0.1 (a free port); yields its address."""
    import uvicorn

    from service_process import free_port

    port = free_port()
    # log_config=None: uvicorn's own logging set-up (logging.config.dictConfig) closes every handler of the
    # process, and absl's (TensorFlow's) then closes the stream it was made with: pytest's capture of an earlier
    # test, which broke every later test of the same process (seen on an xdist worker).
    server = uvicorn.Server(uvicorn.Config(build_app(service), host="127.0.0.1", port=port, log_level="warning",
                                           log_config=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            assert thread.is_alive(), "uvicorn did not start"
            time.sleep(0.01)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def test_grade_submit_hands_in_waits_and_prints_the_table(service, tmp_path, monkeypatch, capsys):
    """The real `grade submit` (urllib) against the app served by uvicorn on a free port."""
    from grader.cli import main

    token = accounts.add_or_update(service.engine, "alice", "Alice")
    with served(service) as address:
        submission = tmp_path / "backprop.py"
        submission.write_text("x = 1\n")
        monkeypatch.setenv("GRADE_TOKEN", token)
        monkeypatch.setenv("COLUMNS", "150")
        code = main(["submit", "exercises/02_backprop", "--submission", str(submission),
                     "--server", address, "--json", str(tmp_path / "feedback.json")])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "a made-up check (hidden)" in out and "Total: 2/2" in out
        assert "handed in backprop.py as submission 1" in err and "this grading counts as your grade" in err
        assert (tmp_path / "feedback.json").is_file()
        monkeypatch.setenv("GRADE_TOKEN", "gt_" + "x" * 43)
        assert main(["submit", "exercises/02_backprop", "--submission", str(submission),
                     "--server", address]) == 2
        assert "does not accept your token" in capsys.readouterr().err


def test_serving_the_app_in_process_leaves_pytest_capture_working(tmp_path):
    """In one pytest process: TensorFlow's logging (absl) is set up, then the app is served under capsys, then any
    test prints. uvicorn's own logging set-up closed absl's handler and with it pytest's capture of the first
    test, and every later test of that process failed (seen on an xdist worker)."""
    tests = Path(__file__).resolve().parent
    (tmp_path / "test_order.py").write_text(
        f"import sys\nsys.path.insert(0, {str(tests)!r})\n"
        "from test_service_http import course, served, service\n\n"
        "def test_1_tensorflow_logging_is_set_up():\n    import absl.logging\n\n"
        "def test_2_the_app_is_served_under_capsys(service, capsys):\n"
        "    with served(service):\n        print('served')\n    assert 'served' in capsys.readouterr().out\n\n"
        "def test_3_a_later_test_prints(capsys):\n    print('later')\n    assert capsys.readouterr().out == 'later\\n'\n")
    done = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                           str(tmp_path / "test_order.py")], cwd=tests.parent, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and "3 passed" in done.stdout, done.stdout[-2000:] + done.stderr[-2000:]


def test_roster_import_writes_tokens_once_and_rotates_and_revokes(tmp_path):
    from service_process import grade

    roster = tmp_path / "roster.csv"
    roster.write_text("id,name,email\nana,Ana,ana@example.org\nben,\"=HYPERLINK(\"\"x\"\")\",\n", encoding="utf-8")
    data, out = tmp_path / "data", tmp_path / "tokens.csv"
    done = grade("serve", "roster", "import", str(roster), "--data", str(data), "--out", str(out))
    assert done.returncode == 0, done.stderr
    lines = out.read_text().splitlines()
    assert lines[0] == "id,name,email,token" and len(lines) == 3 and oct(out.stat().st_mode & 0o777) == "0o600"
    assert lines[2].startswith('ben,"\'=HYPERLINK'), "a formula in a name is neutralised for the mail-merge"
    again = grade("serve", "roster", "import", str(roster), "--data", str(data), "--out", str(out))
    assert again.returncode == 2 and "exists" in again.stderr
    rotated = grade("serve", "roster", "--rotate", "ana", "--revoke", "ben", "--data", str(data), "--out",
                    str(tmp_path / "new.csv"))
    assert rotated.returncode == 0, rotated.stderr
    assert (tmp_path / "new.csv").read_text().splitlines()[1].startswith("ana,")
    bad = tmp_path / "bad.csv"
    bad.write_text("../etc,Evil\n")
    refused = grade("serve", "roster", "import", str(bad), "--data", str(data), "--out", str(tmp_path / "x.csv"))
    assert refused.returncode == 2 and "bad.csv:1" in refused.stderr


def test_the_body_limits_time_the_body_only_not_the_wait_for_a_disconnect():
    """Once the body is in, a handler that waits for the client to leave is not cut off as a slow upload."""
    import asyncio

    from grader.service.guards import Guards

    seen: list[str] = []

    async def app(scope, receive, send):
        body = await receive()
        seen.append(body["type"])
        seen.append((await receive())["type"])   # arrives after longer than the pause limit
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    messages = [{"type": "http.request", "body": b"x", "more_body": False}, {"type": "http.disconnect"}]

    async def receive():
        message = messages.pop(0)
        if message["type"] == "http.disconnect":
            await asyncio.sleep(0.3)
        return message

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/", "headers": []}
    asyncio.run(Guards(app, max_body=10, chunk_s=0.1, total_s=0.2)(scope, receive, send))
    assert seen == ["http.request", "http.disconnect"] and sent[0]["status"] == 204


def test_grade_submit_warns_before_sending_a_token_in_clear_and_refuses_other_schemes(capsys, monkeypatch):
    from grader.errors import UsageError
    from grader.service.client import find_server

    assert find_server("http://127.0.0.1:8000/") == "http://127.0.0.1:8000" and capsys.readouterr().err == ""
    assert find_server("https://grader.example.org") == "https://grader.example.org" and capsys.readouterr().err == ""
    find_server("http://grader.example.org")
    assert "unencrypted" in capsys.readouterr().err
    for bad in ("file:///etc/passwd", "grader.example.org", "ftp://x"):
        with pytest.raises(UsageError):
            find_server(bad)
    monkeypatch.delenv("GRADE_SERVER", raising=False)
    with pytest.raises(UsageError, match="which server"):
        find_server(None)


def test_notebooks_and_zips_reach_the_grader_as_what_they_are(client, service):
    """The stored file keeps the suffix the grader reads it by (a notebook is read as cells, a zip as a folder)."""
    token = accounts.add_or_update(service.engine, "alice", "Alice")
    seen = []
    grader: FakeGrader = service.loop.grader
    original = grader.submit

    def spy(exercise, job):
        seen.append(Path(job.path).suffix)
        return original(exercise, job)

    grader.submit = spy
    for name, body in (("work.ipynb", b'{"cells": []}'), ("Folder.ZIP", b"PK\x05\x06" + b"\0" * 18), ("b.py", b"x=1")):
        submitted = client.post(f"/api/submissions?exercise=02_backprop&name={name}", content=body, headers=bearer(token))
        wait_graded(client, token, submitted.json()["id"])
    assert seen == [".ipynb", ".zip", ".py"]


# The exercises' policies (issue 27 item 6), over HTTP with a fake grader and a fake clock ------------------------------

DUE = datetime(2026, 12, 1, 23, 59, tzinfo=timezone.utc)
SECRET = "expected 0.7310585786 for the inputs [0.31, -1.7]"   # a hidden check's message: never shown before due


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> None:
        self.now += timedelta(**delta)


class PolicyGrader(FakeGrader):
    """Grades "right" files 3/3 and others 1/3; its hidden check's message and the program's output carry SECRET.
    Script steps beyond FakeGrader's: "internal" (a check of the grader broke)."""

    def _answer(self, future, exercise, job):
        steps = self.script.get(job.student)
        if steps and steps[0] not in ("ok", "internal"):
            return super()._answer(future, exercise, job)
        step = steps.pop(0) if steps else "ok"
        passed = b"right" in Path(job.path).read_bytes()
        hidden = CheckResult("hidden/update_rule", "the update rule", "hidden", 2.0,
                             Outcome.PASSED if passed else Outcome.FAILED, "correct" if passed else SECRET,
                             None if passed else Hint("update-sign", "the sign of the update is flipped"))
        if step == "internal":
            hidden = CheckResult("hidden/update_rule", "the update rule", "hidden", 2.0, Outcome.INTERNAL_ERROR,
                                 SECRET, internal_error="KeyError")
        feedback = dataclasses.replace(
            made_up_feedback(exercise, job), message="1 of 2 checks passed.",
            checks=(CheckResult("public/forward", "forward pass", "public", 1.0, Outcome.PASSED, "correct"), hidden),
            output=OutputTail(f"my inputs were {SECRET}\n", "", 60, 0, False))
        future.set_result((job, feedback))


def policy_service(tmp_path, course, grader: FakeGrader | None = None, **policy):
    """A service whose 02_backprop has `policy`, on a fake clock a day before DUE (service.clock)."""
    changed = dataclasses.replace(course.exercise("02_backprop"), **policy)
    course = dataclasses.replace(course, exercises=tuple(changed if e.id == changed.id else e for e in course.exercises))
    (tmp_path / "data").mkdir()
    service = open_service(ServiceConfig(course, tmp_path / "data", database_url(None, tmp_path / "data"), jobs=2,
                                         queue_limit=20), grader or PolicyGrader())
    service.clock = Clock(DUE - timedelta(days=1))
    return service


def upload(client, token: str, body: bytes = b"x = 1  # right\n"):
    return client.post(UPLOAD, content=body, headers=bearer(token))


def test_an_exercise_takes_work_only_between_opening_and_the_end_of_its_late_window(tmp_path, course):
    service = policy_service(tmp_path, course, opens=DUE - timedelta(days=7), due=DUE,
                             late=LatePolicy(window_days=2, penalty_per_day=0.1))
    service.clock.now = DUE - timedelta(days=8)
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        early = upload(client, token)
        assert early.status_code == 403 and "opens at 2026-11-24 23:59 UTC" in early.json()["error"]
        home = sign_in(client, token)
        refused = client.post("/upload", data={"csrf": csrf_of(home.text), "exercise": "02_backprop"},
                              files={"file": ("backprop.py", b"x = 1\n", "text/x-python")})
        assert refused.status_code == 403 and "opens at 2026-11-24 23:59 UTC" in refused.text
        assert "due 2026-12-01 23:59 UTC; late work until 2026-12-03 23:59 UTC" in refused.text, "the rules are shown"
        service.clock.now = DUE + timedelta(days=2, seconds=1)
        late = upload(client, token)
        assert late.status_code == 403 and "closed at 2026-12-03 23:59 UTC" in late.json()["error"]
        service.clock.now = DUE
        assert upload(client, token).status_code == 201
        assert client.get("/api/submissions", headers=bearer(token)).json()["submissions"][0]["late_days"] == 0
    assert len(list((tmp_path / "data" / "blobs").glob("??/*"))) == 1, "a refused upload's bytes were never stored"


def test_late_work_is_marked_and_penalised_as_the_exports_do(tmp_path, course):
    service = policy_service(tmp_path, course, due=DUE, late=LatePolicy(window_days=3, penalty_per_day=0.1))
    service.clock.now = DUE + timedelta(hours=25)
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        graded = wait_graded(client, token, upload(client, token).json()["id"])["submission"]
        assert (graded["late_days"], graded["late_penalty"], graded["score"]) == (2, pytest.approx(0.2), 3)
        assert graded["final_score"] == 2.4 and "25.0 hours after the due time" in graded["late_note"]
        assert "penalty 20%" in graded["late_note"] and graded["counts"] is True
        grades = client.get("/api/submissions", headers=bearer(token)).json()["grades"]
        assert [(g["exercise"], g["final_score"], g["late_days"]) for g in grades] == [("02_backprop", 2.4, 2)]
        home = sign_in(client, token).text
        assert "2 days, 20% off" in home and "2.4/3" in home


def test_the_rate_limit_is_a_429_saying_when_and_the_graders_failures_are_not_counted(tmp_path, course):
    grader = PolicyGrader({"alice": ["fail", "fail", "internal"]})   # the first fails twice (no retry left)
    service = policy_service(tmp_path, course, grader, rate_limit=RateLimit(2, 60))
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        failed = wait_graded(client, token, upload(client, token, b"a = 1\n").json()["id"])
        assert failed["submission"]["status"] == "failed"
        broken_check = wait_graded(client, token, upload(client, token, b"b = 1\n").json()["id"])
        assert broken_check["submission"]["status"] == "graded"   # a grading, but a check of ours broke in it
        service.clock.advance(minutes=1)
        for body in (b"c = 1\n", b"d = 1\n"):   # neither of the above counted: two more are allowed
            wait_graded(client, token, upload(client, token, body).json()["id"])
        service.clock.advance(minutes=10)
        refused = upload(client, token, b"e = 1\n")
        assert refused.status_code == 429 and refused.headers["retry-after"] == str(50 * 60)
        assert "2 gradings per 60 minutes" in refused.json()["error"] and "2026-12-01 01:00 UTC" in refused.json()["error"]
        other = accounts.add_or_update(service.engine, "bob", "Bob")
        assert upload(client, other).status_code == 201, "one student's limit is theirs alone"
        service.clock.advance(minutes=49)
        assert upload(client, token, b"e = 1\n").status_code == 429
        service.clock.advance(minutes=1)
        assert upload(client, token, b"e = 1\n").status_code == 201


def test_a_cooldown_is_counted_from_the_last_submission(tmp_path, course):
    service = policy_service(tmp_path, course, cooldown_minutes=5)
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        assert upload(client, token).status_code == 201
        service.clock.advance(minutes=4)
        refused = upload(client, token, b"y = 2\n")
        assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
        assert len(list((tmp_path / "data" / "blobs").glob("??/*"))) == 1, "a refused upload is not stored"
        home = sign_in(client, token)
        by_form = client.post("/upload", data={"csrf": csrf_of(home.text), "exercise": "02_backprop"},
                              files={"file": ("backprop.py", b"y = 3\n", "text/x-python")})
        assert by_form.status_code == 429 and "5 minutes between two" in by_form.text, "the web form is held too"
        service.clock.advance(minutes=1)
        assert upload(client, token, b"y = 2\n").status_code == 201


def test_two_racing_uploads_cannot_both_take_the_last_grading(tmp_path, course):
    """Both requests pass every check made before the database's transaction at the same moment; the count in the
    transaction lets exactly one in."""
    service = policy_service(tmp_path, course, rate_limit=RateLimit(1, 60))
    both_stored = threading.Barrier(2, timeout=20)
    queue_one = service.queue

    def queue_together(*args):
        both_stored.wait()
        return queue_one(*args)

    service.queue = queue_together
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        answers: list[int] = []
        threads = [threading.Thread(target=lambda n=n: answers.append(upload(client, token, f"x = {n}\n".encode())
                                                                        .status_code)) for n in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert sorted(answers) == [201, 429]


@pytest.mark.parametrize("counts, counting", [("last", 2), ("best", 1)])
def test_the_grading_that_counts_is_marked_in_the_history_and_the_grades(tmp_path, course, counts, counting):
    service = policy_service(tmp_path, course, counts=counts)
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        first = wait_graded(client, token, upload(client, token, b"x = 1  # right\n").json()["id"])["submission"]["id"]
        second = wait_graded(client, token, upload(client, token, b"x = 2\n").json()["id"])["submission"]["id"]
        ids = {1: first, 2: second}
        listed = client.get("/api/submissions", headers=bearer(token)).json()
        assert [s["id"] for s in listed["submissions"] if s["counts"]] == [ids[counting]]
        assert [(g["submission"], g["counts"]) for g in listed["grades"]] == [(ids[counting], counts)]
        assert client.get(f"/api/submissions/{ids[counting]}", headers=bearer(token)).json()["submission"]["counts"]
        from grader.service.standing import counting_grading

        assert counting_grading(service.engine, service.exercise("02_backprop"), "alice").submission == ids[counting]
        sign_in(client, token)
        assert "This grading counts" in client.get(f"/submissions/{ids[counting]}").text
        assert "This grading counts" not in client.get(f"/submissions/{ids[3 - counting]}").text


@pytest.mark.parametrize("view", ["outcome_and_hint", "score_only"])
def test_no_route_shows_a_hidden_checks_message_before_the_due_time(tmp_path, course, view):
    service = policy_service(tmp_path, course, due=DUE, hidden_before_due=view)
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        submitted = upload(client, token, b"x = 2\n").json()["id"]
        answer = wait_graded(client, token, submitted)
        home = sign_in(client, token)
        bodies = [json.dumps(answer), client.get("/api/submissions", headers=bearer(token)).text,
                  client.get(f"/submissions/{submitted}").text, client.get("/home").text, home.text]
        for body in bodies:
            assert SECRET not in body and "0.7310585786" not in body
        assert answer["feedback"]["score"] == 1 and answer["hidden_checks"] == view
        assert Feedback.from_dict(answer["feedback"]).score == 1, "what is shown is a feedback document"
        hidden = [check for check in answer["feedback"]["checks"] if check["visibility"] == "hidden"]
        if view == "outcome_and_hint":
            assert hidden[0]["name"] == "the update rule" and hidden[0]["hint"] == "the sign of the update is flipped"
        else:
            assert all("update" not in body for body in bodies), "neither the name nor the hint"
            assert [(check["name"], check["max_score"]) for check in hidden] == [("hidden checks: points not earned", 2)]
        service.clock.now = DUE
        after = client.get(f"/api/submissions/{submitted}", headers=bearer(token)).json()
        assert after["hidden_checks"] == "full" and SECRET in json.dumps(after["feedback"])
        assert SECRET in client.get(f"/submissions/{submitted}").text


def notebook_with(path: Path, source: str) -> Path:
    import nbformat

    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# Backprop"), nbformat.v4.new_code_cell(source)]
    nbformat.write(notebook, path)
    return path


@pytest.mark.parametrize("view", ["full", "score_only"])
def test_check_submit_hands_the_saved_notebook_in_and_shows_the_services_table(tmp_path, course, monkeypatch, capsys,
                                                                              view):
    """Jupyter's `check("02_backprop", submit=True)` against a real uvicorn on 127.0.0.1: the saved notebook is
    handed in with the student's token, and the table is the service's, hidden checks as the policy shows them."""
    from grader import check
    from grader.views.feedback_html import feedback_html

    service = policy_service(tmp_path, course, due=DUE, hidden_before_due=view)
    token = accounts.add_or_update(service.engine, "alice", "Alice")
    saved = notebook_with(tmp_path / "backprop.ipynb", "x = 2  # my work\n")
    monkeypatch.chdir(ROOT)
    monkeypatch.setenv("GRADE_TOKEN", token)
    with served(service) as address:
        monkeypatch.setenv("GRADE_SERVER", address)
        feedback = check("02_backprop", notebook=saved, show=False, submit=True)
    printed = capsys.readouterr().out
    assert "handed in backprop.ipynb as submission 1" in printed and "this grading counts as your grade" in printed
    assert feedback.score == 1 and feedback.max_score == 3 and feedback.hidden_checks_run
    stored = json.loads(next((tmp_path / "data" / "feedback").glob("1-*.json")).read_text())
    assert stored["submission"]["sha256"] == __import__("hashlib").sha256(saved.read_bytes()).hexdigest()
    page = feedback_html(feedback)
    if view == "full":
        assert "the update rule" in page and "the sign of the update is flipped" in page and SECRET in page
    else:
        assert "hidden checks: points not earned" in page and "update" not in page and SECRET not in page
        assert "only their points together" in printed


def test_check_submit_says_what_to_do_without_a_token(tmp_path, monkeypatch):
    from grader import check
    from grader.service.client import ClientError

    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("GRADE_TOKEN", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    with pytest.raises(ClientError, match="no token: set GRADE_TOKEN"):
        check("02_backprop", notebook=notebook_with(tmp_path / "b.ipynb", "x = 1\n"), show=False, submit=True,
              server="http://127.0.0.1:9")


def test_a_status_request_that_waits_is_answered_when_the_grading_is_recorded(tmp_path, course):
    """`?wait=S` (what grade submit sends): the answer comes with the grade, not a 'grading' to poll again."""
    from service_process import call

    held = FakeGrader(hold=True)
    config = ServiceConfig(course, tmp_path / "data", database_url(None, tmp_path / "data"), jobs=1)
    (tmp_path / "data").mkdir()
    service = open_service(config, held)
    token = accounts.add_or_update(service.engine, "alice", "Alice")
    with served(service) as address:
        status, answer = call(f"{address}/api/submissions?exercise=02_backprop&name=backprop.py", token, "POST", b"x = 1\n")
        submission = answer["id"]
        while not held.held:
            time.sleep(0.01)
        assert call(f"{address}/api/submissions/{submission}?wait=0.2", token)[1]["submission"]["status"] == "grading"
        waited: dict = {}
        asking = threading.Thread(target=lambda: waited.update(
            call(f"{address}/api/submissions/{submission}?wait=20", token, timeout=30)[1]))
        asking.start()
        time.sleep(0.3)   # the request is waiting on the service now
        assert asking.is_alive(), "a waiting request is not answered before its grading"
        held.release()
        asking.join(30)
        assert waited["submission"]["status"] == "graded" and waited["feedback"]["score"] == 2
        for nonsense in ("abc", "-1", "inf", "nan"):   # no wait at all: answered at once
            assert call(f"{address}/api/submissions/{submission}?wait={nonsense}", token)[0] == 200
