"""The service's HTTP layer with a fake grader (no sandbox): the API `grade submit` speaks, the students' pages,
sessions and CSRF, the security headers, `grade submit` itself against a live app, and `grade serve roster`."""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from grader.course.manifest import load_course
from grader.service import accounts
from grader.service.app import build_app
from grader.service.config import ServiceConfig
from grader.service.database import database_url
from grader.service.guards import CONTENT_SECURITY_POLICY
from grader.service.service import open_service
from service_fakes import FakeGrader

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


def test_grade_submit_hands_in_waits_and_prints_the_table(service, tmp_path, monkeypatch, capsys):
    """The real `grade submit` (urllib) against the app served by uvicorn on a free port."""
    import uvicorn

    from grader.cli import main
    from service_process import free_port

    token = accounts.add_or_update(service.engine, "alice", "Alice")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(service), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        while not server.started:
            time.sleep(0.01)
        submission = tmp_path / "backprop.py"
        submission.write_text("x = 1\n")
        monkeypatch.setenv("GRADE_TOKEN", token)
        monkeypatch.setenv("COLUMNS", "150")
        code = main(["submit", "exercises/02_backprop", "--submission", str(submission),
                     "--server", f"http://127.0.0.1:{port}", "--json", str(tmp_path / "feedback.json")])
        out, err = capsys.readouterr()
        assert code == 0, err
        assert "a made-up check (hidden)" in out and "Total: 2/2" in out
        assert "handed in backprop.py as submission 1" in err
        assert (tmp_path / "feedback.json").is_file()
        monkeypatch.setenv("GRADE_TOKEN", "gt_" + "x" * 43)
        assert main(["submit", "exercises/02_backprop", "--submission", str(submission),
                     "--server", f"http://127.0.0.1:{port}"]) == 2
        assert "does not accept your token" in capsys.readouterr().err
    finally:
        server.should_exit = True
        thread.join(10)


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
