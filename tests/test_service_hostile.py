"""The service under attack (issue 27 item 10): unauthenticated and cross-student requests on every route, forged
and tampered cookies, CSRF, oversized and slow uploads, a flood from one token, path tricks in uploaded names,
nothing of solutions/ served, no traceback shown; and the existing hostile submissions graded through a real
`grade serve` with another student's grade unchanged.

The logic runs over the app with a fake grader (milliseconds); slow uploads meet a real uvicorn with short
limits; hostile files meet the real sandbox through the real service."""

from __future__ import annotations

import base64
import json
import re
import socket
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from starlette.testclient import TestClient

from grader.course.manifest import load_course
from grader.service import accounts
from grader.service.app import SESSION_COOKIE, build_app
from grader.service.config import ServiceConfig
from grader.service.database import database_url
from grader.service.protocol import protocol_with_header_timeout
from grader.service.schema import submissions
from grader.service.service import open_service
from service_fakes import FakeGrader

ROOT = Path(__file__).resolve().parents[1]
UPLOAD = "/api/submissions?exercise=02_backprop&name=backprop.py"
REFERENCE = (ROOT / "solutions/02_backprop/backprop.py").read_text()


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT / "course.yaml")


def _service(tmp_path: Path, course, **limits):
    data = tmp_path / "data"
    data.mkdir(parents=True, exist_ok=True)
    return open_service(ServiceConfig(course, data, database_url(None, data), jobs=1, **limits), FakeGrader())


@pytest.fixture
def service(tmp_path, course):
    return _service(tmp_path, course)


@pytest.fixture
def app(service):
    return build_app(service)


@pytest.fixture
def people(service):
    return {name: accounts.add_or_update(service.engine, name, name.title()) for name in ("alice", "mallory")}


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def csrf_of(page: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page).group(1)


def signed_in_client(app, token: str) -> TestClient:
    client = TestClient(app, base_url="http://testserver")
    client.__enter__()
    page = client.get("/")
    assert client.post("/signin", data={"csrf": csrf_of(page.text), "token": token}).url.path == "/home"
    return client


def graded(client: TestClient, token: str, submission: int) -> dict:
    deadline = time.monotonic() + 10
    while (answer := client.get(f"/api/submissions/{submission}", headers=bearer(token)).json())["submission"][
            "status"] not in ("graded", "failed"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return answer


def count_submissions(service) -> int:
    with service.engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(submissions)).scalar_one()


# ---------------------------------------------------------------- authentication and authorisation, every route

API_ROUTES = [("GET", "/api/submissions"), ("POST", UPLOAD), ("GET", "/api/submissions/1")]
PAGES = [("GET", "/home"), ("GET", "/submissions/1"), ("POST", "/upload")]
BAD_TOKENS = ["", "Bearer", "Bearer gt_", "Bearer " + "gt_" + "A" * 43, "Basic YWxpY2U6eA==", "Bearer ' OR 1=1 --",
              "Bearer gt_" + "x" * 5000]


def test_every_api_route_refuses_without_a_live_token(app, service, people):
    with TestClient(app) as client:
        mine = client.post(UPLOAD, content=b"x = 1\n", headers=bearer(people["alice"])).json()["id"]
        accounts.revoke(service.engine, "mallory")
        for method, path in API_ROUTES:
            for header in [*BAD_TOKENS, f"Bearer {people['mallory']}"]:   # the last: a revoked token
                answer = client.request(method, path.replace("/1", f"/{mine}"), content=b"x = 2\n",
                                        headers={"Authorization": header} if header else {})
                assert answer.status_code == 401, (method, path, header, answer.text)
                assert answer.headers["www-authenticate"] == "Bearer"
                assert "alice" not in answer.text and "backprop" not in answer.text
    assert count_submissions(service) == 1


def test_every_page_sends_a_stranger_to_sign_in(app):
    with TestClient(app) as client:
        for method, path in PAGES:
            answer = client.request(method, path, follow_redirects=False)
            assert answer.status_code == 303 and answer.headers["location"] == "/", (method, path)


def test_no_student_reads_or_lists_another_students_work_by_any_id(app, service, people):
    with TestClient(app) as client:
        alices = [client.post(UPLOAD, content=f"x = {n}\n".encode(), headers=bearer(people["alice"])).json()["id"]
                  for n in range(2)]
        graded(client, people["alice"], alices[-1])
        missing = client.get("/api/submissions/999999", headers=bearer(people["mallory"]))
        for guess in [*alices, 0, 2**31, 10**30, 999999]:
            answer = client.get(f"/api/submissions/{guess}", headers=bearer(people["mallory"]))
            assert answer.status_code == 404 and answer.json() == missing.json(), guess
        for weird in ("-1", "1abc", "1%2F..", "..%2F1", "1.0", "%00"):
            assert client.get(f"/api/submissions/{weird}", headers=bearer(people["mallory"])).status_code == 404
        assert client.get("/api/submissions", headers=bearer(people["mallory"])).json()["submissions"] == []
    mallory = signed_in_client(app, people["mallory"])
    try:
        not_mine = mallory.get("/submissions/999999")
        for guess in alices:
            page = mallory.get(f"/submissions/{guess}")
            assert page.status_code == 404 and page.text == not_mine.text
        assert "Nothing handed in yet" in mallory.get("/home").text
    finally:
        mallory.__exit__(None, None, None)


# ---------------------------------------------------------------- cookies and CSRF

def _cookie(client: TestClient) -> str:
    return client.cookies[SESSION_COOKIE]


def _with_cookie(app, value: str) -> TestClient:
    client = TestClient(app)
    client.cookies.set(SESSION_COOKIE, value)
    return client


def test_forged_tampered_and_replayed_cookies_are_strangers(app, service, people, tmp_path, course):
    alice = signed_in_client(app, people["alice"])
    genuine = _cookie(alice)
    alice.__exit__(None, None, None)
    payload, _, signature = genuine.rpartition(".")
    middle = len(genuine) - 10   # inside the signature (its last character may carry only padding bits)
    flipped = genuine[:middle] + ("A" if genuine[middle] != "A" else "B") + genuine[middle + 1:]
    tampered = base64.b64encode(json.dumps({"student": "mallory"}).encode()).decode() + genuine[len(payload):]
    as_mallory = base64.b64encode(json.dumps({"student": "mallory", "bind": "0" * 64}).encode()).decode()
    forged = [flipped, tampered, as_mallory, f"{as_mallory}.{signature}", "", "null", genuine + "x", "." * 100]
    for value in forged:
        with _with_cookie(app, value) as client:
            assert client.get("/home", follow_redirects=False).status_code == 303, value
    other = build_app(_service(tmp_path / "other", course))   # another service's key signs nothing here
    accounts.add_or_update(other.state.service.engine, "alice", "Alice")
    with _with_cookie(app, _cookie(signed_in_client(other, accounts.rotate(other.state.service.engine, "alice")))) as c:
        assert c.get("/home", follow_redirects=False).status_code == 303
    with _with_cookie(app, genuine) as client:   # the genuine cookie works ...
        assert client.get("/home").url.path == "/home"
    accounts.rotate(service.engine, "alice")
    with _with_cookie(app, genuine) as client:   # ... until the token is rotated
        assert client.get("/home", follow_redirects=False).status_code == 303


def test_forms_without_the_sessions_csrf_token_change_nothing(app, service, people):
    with TestClient(app) as stranger:
        answer = stranger.post("/signin", data={"token": people["alice"]})
        assert answer.status_code == 403 and stranger.get("/home", follow_redirects=False).status_code == 303
        other_form = csrf_of(TestClient(app).get("/").text)   # another browser's token
        assert stranger.post("/signin", data={"token": people["alice"], "csrf": other_form}).status_code == 403
    alice = signed_in_client(app, people["alice"])
    try:
        own = csrf_of(alice.get("/home").text)
        file = {"file": ("backprop.py", b"x = 1\n", "text/x-python")}
        for fields in ({}, {"csrf": ""}, {"csrf": own[:-1] + "x"}, {"csrf": "a" * 43}, {"csrf": own + "x"}):
            answer = alice.post("/upload", data={"exercise": "02_backprop", **fields}, files=file)
            assert answer.status_code == 403, fields
        assert alice.post("/signout", data={}).status_code == 403
        assert alice.get("/home").url.path == "/home", "a forged sign-out did not sign out"
        assert count_submissions(service) == 0
    finally:
        alice.__exit__(None, None, None)


# ---------------------------------------------------------------- sizes, names, solutions, errors

def test_oversized_uploads_are_refused_while_streaming_and_leave_nothing(app, service, people, course):
    limit = course.exercise("02_backprop").limits.max_file_kib * 1024

    def chunks(total: int):
        sent = 0
        while sent < total:
            sent += 64 * 1024
            yield b"#" * 64 * 1024

    with TestClient(app) as client:
        declared = client.post(UPLOAD, content=b"x", headers={**bearer(people["alice"]), "Content-Length": str(10**9)})
        assert declared.status_code == 413
        streamed = client.post(UPLOAD, content=chunks(limit + 1), headers=bearer(people["alice"]))
        assert streamed.status_code == 413 and "limit" in streamed.json()["error"]
        endless = client.post(UPLOAD, content=chunks(20 * limit), headers=bearer(people["alice"]))
        assert endless.status_code == 413
        assert client.post(UPLOAD, content=b"#" * limit, headers=bearer(people["alice"])).status_code == 201
    alice = signed_in_client(app, people["alice"])
    try:
        page = alice.post("/upload", data={"csrf": csrf_of(alice.get("/home").text), "exercise": "02_backprop"},
                          files={"file": ("big.py", b"#" * (limit + 1), "text/x-python")})
        assert page.status_code == 413
    finally:
        alice.__exit__(None, None, None)
    assert count_submissions(service) == 1
    assert not list((service.data_dir / "blobs" / "incoming").iterdir())


NAMES = ["../../../../etc/cron.d/evil.py", "/etc/passwd.py", "..\\..\\windows\\evil.py", "a\x00b.py", "a" * 10_000 + ".py",
         "C:\\Users\\x\\evil.ipynb", "%2e%2e%2fevil.py", "evil.py\n\rSet-Cookie: x=1.py", "<img src=x onerror=alert(1)>.py"]
REFUSED_NAMES = [".py", "", "evil.py\x00.txt", "evil.sh", "../../x"]


def test_path_tricks_in_uploaded_names_stay_display_text(app, service, people, tmp_path):
    import urllib.parse

    with TestClient(app) as client:
        for n, name in enumerate(NAMES):
            answer = client.post(f"/api/submissions?exercise=02_backprop&name={urllib.parse.quote(name)}",
                                 content=f"x = {n}\n".encode(), headers=bearer(people["alice"]))
            assert answer.status_code == 201, (name, answer.text)
            graded(client, people["alice"], answer.json()["id"])
        for name in REFUSED_NAMES:
            answer = client.post(f"/api/submissions?exercise=02_backprop&name={urllib.parse.quote(name)}",
                                 content=b"x = 1\n", headers=bearer(people["alice"]))
            assert answer.status_code == 400, name
        shown = [s["name"] for s in client.get("/api/submissions", headers=bearer(people["alice"])).json()["submissions"]]
    for name in shown:
        assert "/" not in name and "\\" not in name and "\x00" not in name and "\n" not in name, name
        assert len(name) <= 200
    stored = [p for p in (service.data_dir / "blobs").rglob("*") if p.is_file()]
    assert all(re.fullmatch(r"[0-9a-f]{64}\.(py|ipynb)", p.name) for p in stored), stored
    assert all(p.resolve().is_relative_to(service.data_dir.resolve()) for p in service.data_dir.rglob("*"))
    alice = signed_in_client(app, people["alice"])
    try:
        page = alice.get("/home").text
        assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;.py" in page
    finally:
        alice.__exit__(None, None, None)


def test_nothing_of_solutions_is_ever_served(app, people):
    secret_line = next(line for line in REFERENCE.splitlines() if "def " in line and "sigmoid" not in line)
    paths = ["/solutions/02_backprop/backprop.py", "/static/../solutions/02_backprop/backprop.py",
             "/static/%2e%2e/%2e%2e/solutions/02_backprop/hidden_checks.py", "/static/..%2f..%2fsolutions",
             "/exercises/02_backprop/backprop.py", "/course.yaml", "/static/service.css/../../../solutions",
             "/static/../../../../etc/passwd", "/api/../solutions/02_backprop/backprop.py"]
    with TestClient(app) as client:
        for path in paths:
            for headers in ({}, bearer(people["alice"])):
                answer = client.get(path, headers=headers)
                assert answer.status_code in (303, 404), (path, answer.status_code)
                assert "hidden_checks" not in answer.text and secret_line not in answer.text


def test_a_failure_of_ours_shows_no_traceback(app, service, people):
    with TestClient(app, raise_server_exceptions=False) as client:
        submission = client.post(UPLOAD, content=b"x = 1\n", headers=bearer(people["alice"])).json()["id"]
        graded(client, people["alice"], submission)
        next((service.data_dir / "feedback").glob(f"{submission}-*.json")).write_text('{"schema_version": "1.2", "oops": 1}')
        alice = signed_in_client(app, people["alice"])
        try:
            page = alice.get(f"/submissions/{submission}")
        finally:
            alice.__exit__(None, None, None)
    assert page.status_code == 500
    assert "Traceback" not in page.text and "File \"" not in page.text and "FeedbackError" not in page.text


# ---------------------------------------------------------------- floods

def test_a_flood_from_one_token_delays_others_by_at_most_one_grading(app, service, people):
    others = {name: accounts.add_or_update(service.engine, name, name) for name in ("bob", "carol")}
    grader: FakeGrader = service.loop.grader
    grader.hold = True
    with TestClient(app) as client:
        answers = [client.post(UPLOAD, content=f"x = {n}\n".encode(), headers=bearer(people["mallory"])).status_code
                   for n in range(50)]
        assert answers.count(201) == 5 and set(answers[5:]) == {429}
        for name, token in others.items():
            assert client.post(UPLOAD, content=f"{name} = 1\n".encode(), headers=bearer(token)).status_code == 201
        deadline = time.monotonic() + 10
        while len(grader.order) < 7:
            grader.release()
            assert time.monotonic() < deadline
            time.sleep(0.005)
    first_other = min(grader.order.index("bob"), grader.order.index("carol"))
    assert grader.order[0] == "mallory" and first_other <= 1, grader.order
    assert sorted(grader.order.index(name) for name in ("bob", "carol")) <= [1, 2], grader.order


# ---------------------------------------------------------------- slow clients, on a real uvicorn

@pytest.fixture
def live(tmp_path, course):
    import uvicorn

    from service_process import free_port

    service = _service(tmp_path, course, header_timeout_s=1.0, chunk_timeout_s=0.5, body_timeout_s=2.0)
    token = accounts.add_or_update(service.engine, "alice", "Alice")
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(build_app(service), host="127.0.0.1", port=port, log_level="critical",
                                           http=protocol_with_header_timeout(1.0), log_config=None))  # see served()
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.01)
    yield port, token, service
    server.should_exit = True
    thread.join(10)


def _read_until_closed(connection: socket.socket, seconds: float = 20) -> tuple[bytes, bool]:
    """What the server sent, and whether it closed the connection (rather than us giving up after `seconds`,
    far beyond the limits under test: no timing is asserted, only who ended it)."""
    connection.settimeout(seconds)
    data = b""
    try:
        while chunk := connection.recv(65536):
            data += chunk
    except TimeoutError:
        return data, False
    except ConnectionResetError:
        pass
    return data, True


def test_slow_headers_and_slow_bodies_are_cut_off(live):
    port, token, service = live
    with socket.create_connection(("127.0.0.1", port)) as slow_headers:
        slow_headers.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
        for _ in range(2):
            time.sleep(0.4)
            slow_headers.sendall(b"X-A: b\r\n")   # never the blank line that ends the headers
        data, closed = _read_until_closed(slow_headers)
        assert closed and b"200 OK" not in data, "a request whose headers never end is closed by the server"
    with socket.create_connection(("127.0.0.1", port)) as trickle:
        trickle.sendall(f"POST {UPLOAD} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                        f"Content-Length: 1000\r\n\r\n".encode())
        try:
            for _ in range(60):   # 18 s of bytes, each within the pause limit; the total limit is 2 s
                trickle.sendall(b"#")
                time.sleep(0.3)
        except (BrokenPipeError, ConnectionResetError):
            pass
        data, closed = _read_until_closed(trickle)
        assert closed and b" 408 " in data.split(b"\r\n")[0], data[:200]
    with socket.create_connection(("127.0.0.1", port)) as stalled:
        stalled.sendall(f"POST {UPLOAD} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n"
                        f"Content-Length: 1000\r\n\r\nx = 1".encode())
        data, closed = _read_until_closed(stalled)
        assert closed and b" 408 " in data.split(b"\r\n")[0]
    assert count_submissions(service) == 0


# ---------------------------------------------------------------- hostile submissions through the real service

CHOSEN = ["always-equal objects", "ndarray subclass with lying ufuncs", "patching numpy.allclose, pytest.approx and builtins",
          "os._exit inside a call", "printing fake results", "writing forged result files",
          "looking for and importing the reference solution"]


@pytest.mark.slow
def test_hostile_submissions_through_the_service_leave_another_students_grade_unchanged(tmp_path):
    from service_process import ServeProcess, call, import_roster
    from test_hostile import HOSTILE, TRAIN_CHECKS

    hostiles = [h for h in HOSTILE if h.name in CHOSEN]
    assert len(hostiles) == len(CHOSEN)
    data = tmp_path / "data"
    tokens = import_roster(data, ["victim", "attacker1", "attacker2"], tmp_path / "tokens.csv")
    server = ServeProcess(data, "--jobs", "2").start()
    upload = f"{server.url}/api/submissions?exercise=02_backprop&name=backprop.py"

    def wait(student: str, submission: int) -> dict:
        deadline = time.monotonic() + 120
        while (answer := call(f"{server.url}/api/submissions/{submission}", tokens[student])[1])["submission"][
                "status"] not in ("graded", "failed"):
            assert time.monotonic() < deadline
            time.sleep(0.1)
        return answer

    try:
        first = wait("victim", call(upload, tokens["victim"], "POST", REFERENCE.encode())[1]["id"])
        sent = []
        for n, hostile in enumerate(hostiles):
            code = (hostile.code.replace("COURSE_ROOT", str(ROOT)).replace("FORGED_PATH", str(tmp_path / "forged.json"))
                    .replace("PORT", "9").replace("DAEMON_MARKER", "marker").replace("OUTSIDE_FILE", str(tmp_path / "out")))
            student = f"attacker{n % 2 + 1}"
            status, answer = call(upload, tokens[student], "POST", (REFERENCE + code).encode())
            assert status == 201, answer
            sent.append((hostile, student, answer["id"]))
        again = call(upload, tokens["victim"], "POST", REFERENCE.encode())[1]["id"]   # graded among the attacks
        for hostile, student, submission in sent:
            document = wait(student, submission)["feedback"]
            assert document["status"] == "graded", (hostile.name, document["status"])
            for check in document["checks"]:
                if check["id"] in TRAIN_CHECKS:
                    assert check["score"] == 0 and check["outcome"] in hostile.outcomes, (hostile.name, check)
                else:
                    assert check["outcome"] == "passed", (hostile.name, check)
        second = wait("victim", again)
        for answer in (first, second):
            assert answer["submission"]["score"] == 30 == answer["feedback"]["score"]
        assert [c["outcome"] for c in first["feedback"]["checks"]] == [c["outcome"] for c in second["feedback"]["checks"]]
        assert call(f"{server.url}/api/submissions", tokens["victim"])[1]["submissions"][0]["id"] == again
        assert not (tmp_path / "forged.json").exists()
    finally:
        server.stop()


# ---------------------------------------------------------------- a hostile student against the exercises' policies
# (issue 27 item 6): hidden checks held back before the due time, the rate limit and cooldown, the window. The fake
# grader and the fake clock are test_service_http's.

def _policy(tmp_path, course, grader=None, **policy):
    from test_service_http import policy_service

    return policy_service(tmp_path, course, grader, **policy)


class TimedGrader(FakeGrader):
    """Grades like test_service_http's PolicyGrader, with timings a hostile program could have chosen: its hidden
    check took as many seconds as a hidden input's digits say (a program that sleeps for `inputs[0]` seconds)."""

    def _answer(self, future, exercise, job):
        import dataclasses

        from grader.feedback.model import OutputTail
        from grader.feedback.results import CheckResult
        from grader.outcomes import Limit, Outcome
        from service_fakes import made_up_feedback
        from test_service_http import SECRET

        checks = (CheckResult("public/forward", "forward pass", "public", 1.0, Outcome.PASSED, "correct",
                              duration_s=0.0123),
                  CheckResult("hidden/update_rule", "the update rule", "hidden", 2.0, Outcome.FAILED, SECRET,
                              duration_s=7.3105),
                  CheckResult("hidden/train", "training", "hidden", 1.0, Outcome.PASSED, "correct", duration_s=1.7),
                  CheckResult("hidden/stops", "stops at the threshold", "hidden", 1.0, Outcome.TIMEOUT, "stopped: "
                              "the processes limit", duration_s=2.0, limit=Limit.PROCESSES))
        future.set_result((job, dataclasses.replace(
            made_up_feedback(exercise, job), message="2 of 3 checks passed.", checks=checks,
            duration_s=9.1234, student_s=9.0105, grader_s=0.1129, output=OutputTail("", "", 0, 0, False))))


def _timings(document: dict) -> list[float]:
    return [document["timing"].get(key) for key in ("duration_s", "student_s", "grader_s")] + \
        [check["duration_s"] for check in document["checks"] if check["visibility"] == "hidden"]


@pytest.mark.parametrize("view", ["outcome_and_hint", "score_only"])
def test_before_due_the_hidden_checks_timing_says_nothing_a_program_could_encode(tmp_path, course, view):
    """A hidden check's inputs reach the student's code, which can sleep for as long as they say (or hit the limit
    they say): before the due time the shown document carries no hidden check's duration or limit, and the
    grading's own time only in whole seconds."""
    from test_service_http import DUE

    service = _policy(tmp_path, course, TimedGrader(), due=DUE, hidden_before_due=view)
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        submitted = client.post(UPLOAD, content=b"x = 1\n", headers=bearer(token)).json()["id"]
        document = graded(client, token, submitted)["feedback"]
        body = json.dumps(document)
        for digits in ("7.31", "9.12", "9.01", "0.11", "1.7", "8.01"):   # none of the hidden durations, or their sum
            assert digits not in body, digits
        assert all(check["duration_s"] == 0 for check in document["checks"] if check["visibility"] == "hidden")
        assert "processes" not in body and "limit" not in json.dumps(document["checks"]), "nor the limit a program hit"
        assert document["timing"]["duration_s"] == 10 and "student_s" not in document["timing"]
        assert [c["duration_s"] for c in document["checks"] if c["id"] == "public/forward"] == [0.0123]
        service.clock.now = DUE
        after = graded(client, token, submitted)["feedback"]
        assert _timings(after) == [9.123, 9.011, 0.113, 7.3105, 1.7, 2.0], "after the due time the document is whole"
        assert after["checks"][-1]["limit"] == "processes"


def _blobs(service) -> list[Path]:
    return sorted(p for p in (service.data_dir / "blobs").glob("??/*") if p.is_file())


def test_uploads_refused_for_a_full_queue_store_nothing(app, service, people):
    """A student with a full queue who keeps sending new files must not fill the server's disk: the refusal comes
    before a byte is stored, as the rate limit's and the window's do."""
    service.loop.grader.hold = True
    with TestClient(app) as client:
        for n in range(5):
            assert client.post(UPLOAD, content=f"x = {n}\n".encode(), headers=bearer(people["mallory"])).status_code == 201
        for n in range(20):
            answer = client.post(UPLOAD, content=f"y = {n}\n".encode() * 1000, headers=bearer(people["mallory"]))
            assert answer.status_code == 429 and "waiting" in answer.json()["error"]
    assert len(_blobs(service)) == 5 and count_submissions(service) == 5


SPELLINGS = ["02_BACKPROP", "02_Backprop", " 02_backprop", "02_backprop ", "02_backprop\x00", "02_backprop/",
             "02\u2010backprop", "\uff10\uff12_backprop", "02_backpro\u0440", "02_backprop\u200b", "02_backprop%00",
             "./02_backprop", "exercises/02_backprop", "02_backprop&exercise=01_forward_propagation"]


def test_an_exercise_id_spelt_otherwise_is_no_exercise_and_takes_no_grading(tmp_path, course):
    """Case, unicode look-alikes, spaces, NULs and paths in the exercise id: none reaches a grading beside the
    rate limit, which counts by the exercise's one id."""
    import urllib.parse

    from grader.course.model import RateLimit

    service = _policy(tmp_path, course, rate_limit=RateLimit(1, 60))
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        assert client.post(UPLOAD, content=b"x = 1\n", headers=bearer(token)).status_code == 201
        for spelling in SPELLINGS:
            answer = client.post(f"/api/submissions?exercise={urllib.parse.quote(spelling)}&name=backprop.py",
                                 content=b"x = 2\n", headers=bearer(token))
            assert answer.status_code in (404, 429), (spelling, answer.status_code)
        twice = client.post("/api/submissions?exercise=02_backprop&exercise=01_forward_propagation&name=backprop.py",
                            content=b"x = 3\n", headers=bearer(token))   # one id wins: a submission of that one
        named = graded(client, token, twice.json()["id"])["submission"]["exercise"]
        assert named == "01_forward_propagation"
        home = client.get("/")
        client.post("/signin", data={"csrf": csrf_of(home.text), "token": token})
        for spelling in SPELLINGS[:6]:
            page = client.post("/upload", data={"csrf": csrf_of(client.get("/home").text), "exercise": spelling},
                               files={"file": ("backprop.py", b"x = 4\n", "text/x-python")})
            assert page.status_code in (400, 429), spelling
    assert count_submissions(service) == 2


def test_a_late_submission_cannot_say_it_was_on_time(tmp_path, course):
    """The service's clock at the request's arrival is the time: no header, query or zip entry time moves it."""
    import io
    import zipfile

    from grader.course.model import LatePolicy
    from test_service_http import DUE

    service = _policy(tmp_path, course, due=DUE, late=LatePolicy(window_days=1, penalty_per_day=0.5))
    service.clock.now = DUE + timedelta_hours(2)
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr(zipfile.ZipInfo("backprop.py", date_time=(2020, 1, 1, 0, 0, 0)), "x = 1  # right\n")
    early = "Mon, 30 Nov 2026 12:00:00 GMT"
    sent = {"Date": early, "X-Received-At": "2026-11-30T12:00:00+00:00", "If-Modified-Since": early,
            "X-Forwarded-For": "127.0.0.1", "Forwarded": "for=127.0.0.1", "Last-Modified": early}
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        answer = client.post("/api/submissions?exercise=02_backprop&name=backprop.zip&received_at=2026-11-30T12:00:00"
                             "%2B00:00&time=0", content=archive.getvalue(), headers={**bearer(token), **sent})
        record = graded(client, token, answer.json()["id"])["submission"]
        assert record["late_days"] == 1 and record["late_penalty"] == 0.5 and record["received_at"].startswith("2026-12-02T01:59")
        service.clock.now = DUE + timedelta_hours(24, seconds=1)
        closed = client.post(UPLOAD, content=b"x = 1\n", headers={**bearer(token), **sent})
        assert closed.status_code == 403 and "closed at" in closed.json()["error"]


def timedelta_hours(hours: float, seconds: float = 0):
    from datetime import timedelta

    return timedelta(hours=hours, seconds=seconds)


class FailingWithSecrets(FakeGrader):
    """A file saying `fail` is a grader failure whose document still lists the checks (a check of ours broke: the real engine
    keeps the other checks' results) with the hidden message, the program's output and the grader's error text
    quoting a hidden input."""

    def _answer(self, future, exercise, job):
        import dataclasses

        from grader.feedback.model import OutputTail
        from grader.feedback.results import CheckResult
        from grader.outcomes import Outcome, Status

        if b"fail" not in Path(job.path).read_bytes():
            return super()._answer(future, exercise, job)
        from service_fakes import made_up_feedback
        from test_service_http import SECRET

        checks = (CheckResult("public/forward", "forward pass", "public", 1.0, Outcome.PASSED, "correct"),
                  CheckResult("hidden/update_rule", "the update rule", "hidden", 2.0, Outcome.FAILED, SECRET),
                  CheckResult("hidden/train", "training", "hidden", 1.0, Outcome.INTERNAL_ERROR, SECRET,
                              internal_error=f"KeyError: {SECRET}"))
        future.set_result((job, dataclasses.replace(
            made_up_feedback(exercise, job, Status.GRADER_FAILED), checks=checks, message="The grader failed.",
            output=OutputTail(SECRET, SECRET, 10, 10, False), grader_error=f"check hidden/train broke: {SECRET}")))


@pytest.mark.parametrize("view", ["outcome_and_hint", "score_only"])
def test_a_grader_failure_before_due_shows_no_hidden_message_output_or_error_text_on_any_route(tmp_path, course, view):
    from grader.course.model import RateLimit
    from test_service_http import DUE, SECRET

    service = _policy(tmp_path, course, FailingWithSecrets(), due=DUE, hidden_before_due=view,
                      rate_limit=RateLimit(1, 60))
    secret_bits = (SECRET, "0.7310585786", "KeyError")
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")
        submitted = client.post(UPLOAD, content=b"fail = 1\n", headers=bearer(token)).json()["id"]
        answer = graded(client, token, submitted)
        assert answer["submission"]["status"] == "failed" and answer["feedback"]["status"] == "grader_failed"
        limited = [client.post(UPLOAD, content=f"x = {n}\n".encode(), headers=bearer(token)) for n in (2, 3)]
        assert limited[0].status_code == 201, "a grader failure is not counted"
        assert limited[1].status_code == 429
        client.post("/signin", data={"csrf": csrf_of(client.get("/").text), "token": token})
        bodies = [json.dumps(answer), client.get("/api/submissions", headers=bearer(token)).text,
                  client.get(f"/submissions/{submitted}").text, client.get("/home").text, limited[1].text,
                  json.dumps(dict(limited[1].headers)), client.get(f"/submissions/{submitted + 99}").text,
                  client.get(f"/api/submissions/{submitted + 99}", headers=bearer(token)).text]
        for body in bodies:
            for bit in secret_bits:
                assert bit not in body, (bit, body[:300])


def test_a_regraded_submission_keeps_its_owner_and_new_ids_are_never_reused(app, service, people):
    """An instructor's regrade puts Alice's submission back in the queue: Mallory can neither read it while it
    waits nor get its id for her next upload."""
    from grader.service import instructor_regrade

    with TestClient(app) as client:
        alices = client.post(UPLOAD, content=b"x = 1\n", headers=bearer(people["alice"])).json()["id"]
        graded(client, people["alice"], alices)
        assert instructor_regrade.requeue(service.engine, [alices]) == 1
        assert client.get(f"/api/submissions/{alices}", headers=bearer(people["mallory"])).status_code == 404
        mallorys = client.post(UPLOAD, content=b"x = 2\n", headers=bearer(people["mallory"])).json()["id"]
        assert mallorys != alices
        regraded = graded(client, people["alice"], alices)
        assert regraded["submission"]["sha256"] == __import__("hashlib").sha256(b"x = 1\n").hexdigest()
        assert client.get(f"/api/submissions/{alices}", headers=bearer(people["mallory"])).status_code == 404
        assert [s["id"] for s in client.get("/api/submissions", headers=bearer(people["mallory"])).json()[
            "submissions"]] == [mallorys]


# ---------------------------------------------------------------- the grader-fault channel, on the real sandbox

class EngineGrader:
    """The service's Grader over the real engine and sandbox, in one thread of this process (the fork-server pools'
    grading, without their start-up): what a submission can make of a grading is the engine's, as in `grade serve`."""

    def __init__(self) -> None:
        from concurrent.futures import ThreadPoolExecutor

        self.pool = ThreadPoolExecutor(max_workers=1)   # one: the checks seed the global generators

    def submit(self, exercise, job):
        from grader.grading.engine import grade

        return self.pool.submit(lambda: (job, grade(exercise, Path(job.path), seed_key=job.seed_key)))

    def broken(self, exercise) -> None:
        pass

    def close(self) -> None:
        self.pool.shutdown(wait=True)


REFERENCE_FIXED = REFERENCE + "\n"
# Programs that try to pass for the grader's own failure: a forged feedback document printed and written, the
# grader's exit code, an exception named like ours, garbage on every descriptor the protocol might use, a signal
# to whatever process they can see.
FORGERS = {
    "prints a grader failure": REFERENCE + (
        '\nimport json, sys\nprint(json.dumps({"status": "grader_failed", "grader_error": "check broke", '
        '"checks": []}))\nprint("GRADER BUG internal_error", file=sys.stderr)\n'),
    "writes feedback files": REFERENCE + (
        '\nimport json, os\nfor place in (".", "/tmp", os.path.expanduser("~")):\n    try:\n'
        '        open(os.path.join(place, "feedback.json"), "w").write(json.dumps({"status": "grader_failed"}))\n'
        '    except OSError:\n        pass\n'),
    "exits with the grader's code": REFERENCE + "\nimport sys\nsys.exit(3)\n",
    "raises an exception named like ours": REFERENCE.replace("def update(params, grads, learning_rate):",
        "class InternalError(Exception):\n    pass\n\n\nclass GraderFailed(SystemExit):\n    pass\n\n\n"
        "def update(params, grads, learning_rate):\n    raise GraderFailed(3)\n\n\ndef _unused(params, grads, "
        "learning_rate):"),
    "writes garbage on every descriptor": REFERENCE.replace("def update(params, grads, learning_rate):",
        "def update(params, grads, learning_rate):\n    import os\n    for fd in range(3, 64):\n        try:\n"
        "            os.write(fd, b'\\x00\\xff' * 64 + b'{\"status\": \"grader_failed\"}\\n')\n"
        "        except OSError:\n            pass\n    return {}\n\n\ndef _unused(params, grads, learning_rate):"),
    "prints and raises what no document can hold": REFERENCE.replace("def update(params, grads, learning_rate):",
        "def update(params, grads, learning_rate):\n    import os, sys\n    os.write(1, b'\\xff\\xfe\\x00\\x1b[2J' * 5000)\n"
        "    sys.stderr.write('\\ud800\\x00' * 5000)\n    raise ValueError('\\ud800\\x1b]0;x\\x07' * 200000)\n\n\n"
        "def _unused(params, grads, learning_rate):"),
    "raises an exception that cannot be shown": REFERENCE.replace("def update(params, grads, learning_rate):",
        "class Unshowable(Exception):\n    def __str__(self):\n        raise RuntimeError('no')\n\n"
        "    def __repr__(self):\n        raise RuntimeError('no')\n\n\n"
        "def update(params, grads, learning_rate):\n    raise Unshowable()\n\n\n"
        "def _unused(params, grads, learning_rate):"),
    "kills what it can see": REFERENCE.replace("def update(params, grads, learning_rate):",
        "def update(params, grads, learning_rate):\n    import os, signal\n    for pid in (1, os.getppid()):\n"
        "        try:\n            os.kill(pid, signal.SIGKILL)\n        except OSError:\n            pass\n"
        "    return {}\n\n\ndef _unused(params, grads, learning_rate):"),
}


HOSTILE_NOTEBOOKS = {
    "a notebook nested 50000 deep": '{"nbformat": 4, "cells": ' + "[" * 50000 + "]" * 50000 + "}",
    "a notebook that is a list": "[4, 5]",
    "a notebook of broken cells": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {},
                                              "cells": [{"cell_type": None, "source": [REFERENCE, 5, None]}, 7]}),
    "a notebook of shell magics": json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "id": "a", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "%%bash\nkill -9 -1\n"},
        {"cell_type": "code", "id": "b", "metadata": {}, "outputs": [], "execution_count": None,
         "source": "!kill -9 -1\n" + REFERENCE}]}),
}


def _hostile_zips() -> dict[str, bytes]:
    import io
    import stat
    import zipfile

    def zipped(*entries: tuple[str, bytes | str, int | None]) -> bytes:
        archive = io.BytesIO()
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as writer:
            for name, data, mode in entries:
                info = zipfile.ZipInfo(name)
                info.compress_type = zipfile.ZIP_DEFLATED
                if mode is not None:
                    info.external_attr = mode << 16
                writer.writestr(info, data)
        return archive.getvalue()

    link = (stat.S_IFLNK | 0o777)
    return {"a symlink to the solution": zipped(("backprop.py", "../../solutions/02_backprop/backprop.py", link)),
            "a symlink beside the file": zipped(("backprop.py", REFERENCE, None), ("data", "/etc/passwd", link)),
            "a path out of the folder": zipped(("backprop.py", REFERENCE, None), ("../../evil.py", "x = 1", None)),
            "an absolute path": zipped(("backprop.py", REFERENCE, None), ("/tmp/evil.py", "x = 1", None)),
            "an absurd size": zipped(("backprop.py", REFERENCE, None), ("big.txt", b"0" * (64 * 2**20), None)),
            "absurdly many entries": zipped(("backprop.py", REFERENCE, None),
                                            *((f"f{n}.txt", b"", None) for n in range(5000))),
            "half a zip": zipped(("backprop.py", REFERENCE, None))[:200]}


@pytest.mark.slow
def test_no_submission_writes_the_grader_fault_channel_and_others_grades_stay(tmp_path, course):
    """Hostile cases (solutions/02_backprop/cases/hostile_*), hostile zips and notebooks, and programs forging the
    grader's failure, graded through the service on the real sandbox: each gets the case's verdict, none is recorded
    as the grader's fault (so each counts against the rate limit), and the victim's grading before and among them
    is the same."""
    from sqlalchemy import select as select_

    from grader.audit.cases import case_submission, cases_of, mismatches
    from grader.course.model import RateLimit
    from grader.feedback.model import Feedback
    from grader.service.schema import gradings

    exercise = course.exercise("02_backprop")
    cases = cases_of(exercise, "hostile")
    assert len(cases) >= 8
    service = _policy(tmp_path, course, EngineGrader(), rate_limit=RateLimit(60, 600))
    service.config = __import__("dataclasses").replace(service.config, queue_limit=60)
    with TestClient(build_app(service)) as client:
        victim, attacker = (accounts.add_or_update(service.engine, name, name) for name in ("victim", "attacker"))
        first = graded(client, victim, client.post(UPLOAD, content=REFERENCE.encode(), headers=bearer(victim)).json()["id"])
        sent: list[tuple[str, int, object]] = []
        for case in cases:
            with case_submission(case) as path:
                answer = client.post(UPLOAD, content=path.read_bytes(), headers=bearer(attacker))
            sent.append((case.name, answer.json()["id"], case))
        for name, code in FORGERS.items():
            sent.append((name, client.post(UPLOAD, content=code.encode(), headers=bearer(attacker)).json()["id"], None))
        for name, data in _hostile_zips().items():
            answer = client.post("/api/submissions?exercise=02_backprop&name=backprop.zip", content=data,
                                 headers=bearer(attacker))
            assert answer.status_code == 201, (name, answer.text)
            sent.append((name, answer.json()["id"], None))
        for name, text in HOSTILE_NOTEBOOKS.items():
            answer = client.post("/api/submissions?exercise=02_backprop&name=backprop.ipynb", content=text.encode(),
                                 headers=bearer(attacker))
            assert answer.status_code == 201, (name, answer.text)
            sent.append((name, answer.json()["id"], None))
        again = client.post(UPLOAD, content=REFERENCE.encode(), headers=bearer(victim)).json()["id"]
        for name, submission, case in sent:
            answer = graded_within(client, attacker, submission, 600)
            document = answer["feedback"]
            assert answer["submission"]["status"] == "graded", (name, answer["submission"])
            assert document["status"] in ("graded", "submission_broken"), (name, document["status"], document["message"])
            assert "grader_error" not in document, (name, document["grader_error"])
            assert all(check["outcome"] != "internal_error" for check in document["checks"]), name
            for text in _strings(document):
                assert not re.search("[\x00-\x08\x0b-\x1f\x7f\ud800-\udfff]", text), (name, text[:200])
            assert len(json.dumps(document)) < 2**20, name
            if case is not None:
                assert mismatches(case, Feedback.from_dict(document)) == [], name
        second = graded_within(client, victim, again, 600)
        with service.engine.connect() as connection:
            faults = connection.execute(select_(gradings.c.submission).where(gradings.c.grader_fault.is_(True))).all()
        assert faults == [], "no hostile submission is recorded as the grader's fault"
    for answer in (first, second):
        assert answer["submission"]["score"] == 30 == answer["feedback"]["score"]
    assert [c["outcome"] for c in first["feedback"]["checks"]] == [c["outcome"] for c in second["feedback"]["checks"]]


def _strings(value) -> list[str]:
    """Every string in a JSON value."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def graded_within(client: TestClient, token: str, submission: int, seconds: float) -> dict:
    deadline = time.monotonic() + seconds
    while (answer := client.get(f"/api/submissions/{submission}", headers=bearer(token)).json())["submission"][
            "status"] not in ("graded", "failed"):
        assert time.monotonic() < deadline, answer["submission"]
        time.sleep(0.1)
    return answer


@pytest.mark.slow
def test_the_hostile_cases_of_the_keras_exercise_through_the_service_are_no_grader_fault(tmp_path, course):
    """05_keras_regression's hostile cases (a crash and an exit inside the Keras program) graded through the service
    on the real sandbox: the case's verdict, counted against the rate limit, and a right file beside them full marks."""
    from sqlalchemy import select as select_

    from grader.audit.cases import case_submission, cases_of, mismatches
    from grader.feedback.model import Feedback
    from grader.service.schema import gradings

    exercise = course.exercise("05_keras_regression")
    cases = cases_of(exercise, "hostile")
    assert cases
    service = _policy(tmp_path, course, EngineGrader())
    upload = "/api/submissions?exercise=05_keras_regression&name=keras_regression.py"
    with TestClient(build_app(service)) as client:
        victim, attacker = (accounts.add_or_update(service.engine, name, name) for name in ("victim", "attacker"))
        sent = []
        for case in cases:
            with case_submission(case) as path:
                sent.append((case, client.post(upload, content=path.read_bytes(), headers=bearer(attacker)).json()["id"]))
        right = client.post(upload, content=exercise.reference_path.read_bytes(), headers=bearer(victim)).json()["id"]
        for case, submission in sent:
            document = graded_within(client, attacker, submission, 900)["feedback"]
            assert mismatches(case, Feedback.from_dict(document)) == [], case.name
        victims = graded_within(client, victim, right, 900)
        with service.engine.connect() as connection:
            assert connection.execute(select_(gradings.c.submission).where(gradings.c.grader_fault.is_(True))).all() == []
    assert victims["submission"]["score"] == exercise.points == victims["feedback"]["score"]


# ---------------------------------------------------------------- the student's client

def test_grade_submit_never_sends_the_token_on_to_where_a_redirect_points():
    """A redirect (a proxy's, or one planted in front of the service) to another host or to plain http must not
    carry the student's token there: the client answers it as an error saying what to do."""
    import http.server

    from grader.service.client import Client, ClientError

    seen: list[str | None] = []

    class Elsewhere(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            seen.append(self.headers.get("Authorization"))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'{"submission": {"status": "graded"}}')

        def log_message(self, *args):
            pass

    elsewhere = http.server.HTTPServer(("127.0.0.1", 0), Elsewhere)

    class Redirecting(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(int(self.path.rsplit("/", 1)[-1]) if self.path[-3:].isdigit() else 302)
            self.send_header("Location", f"http://127.0.0.1:{elsewhere.server_port}/api/submissions/1")
            self.end_headers()

        do_POST = do_GET

        def log_message(self, *args):
            pass

    redirecting = http.server.HTTPServer(("127.0.0.1", 0), Redirecting)
    threads = [threading.Thread(target=server.serve_forever, daemon=True) for server in (elsewhere, redirecting)]
    for thread in threads:
        thread.start()
    try:
        client = Client(f"http://127.0.0.1:{redirecting.server_port}", "gt_" + "s" * 43)
        for call in (lambda: client.status(1), lambda: client.submit("02_backprop", "backprop.py", b"x = 1\n")):
            with pytest.raises(ClientError, match="redirect .*your token was not sent on"):
                call()
        for code in (301, 303, 307, 308):
            with pytest.raises(ClientError, match=f"redirect \\({code}"):
                client._call("GET", f"/x/{code}")
    finally:
        for server in (elsewhere, redirecting):
            server.shutdown()
            server.server_close()
    assert seen == [], "the token went to the other server"


def test_the_windows_and_the_cooldown_hold_to_the_microsecond(tmp_path, course):
    """Clock edges: the first moment the exercise opens and the last moment its late window is open are taken, a
    microsecond outside refused; a cooldown is over exactly when it says, not a microsecond before."""
    from datetime import timedelta, timezone as tz

    from grader.course.model import LatePolicy
    from test_service_http import DUE

    opens = DUE - timedelta(days=7)
    later_zone = DUE.astimezone(tz(timedelta(hours=5, minutes=30)))   # course.yaml may write another zone
    service = _policy(tmp_path, course, opens=opens, due=later_zone, late=LatePolicy(window_days=1, flat=0.5),
                      cooldown_minutes=5)
    tick = timedelta(microseconds=1)
    with TestClient(build_app(service)) as client:
        token = accounts.add_or_update(service.engine, "alice", "Alice")

        def send(n: int) -> int:
            return client.post(UPLOAD, content=f"x = {n}\n".encode(), headers=bearer(token)).status_code

        service.clock.now = opens - tick
        assert send(1) == 403
        service.clock.now = opens
        assert send(2) == 201
        service.clock.now = opens + timedelta(minutes=5) - tick
        assert send(3) == 429
        service.clock.now = opens + timedelta(minutes=5)
        assert send(4) == 201
        service.clock.now = DUE + timedelta(days=1)
        assert send(5) == 201
        service.clock.now = DUE + timedelta(days=1) + tick
        assert send(6) == 403
        service.clock.now = DUE + timedelta(days=1, minutes=10)
        assert send(7) == 403
        records = client.get("/api/submissions", headers=bearer(token)).json()["submissions"]
    assert [(r["late_days"], r["late_penalty"]) for r in records] == [(1, 0.5), (0, 0.0), (0, 0.0)]


def test_malformed_forms_are_refused_plainly_and_store_nothing(app, service, people):
    """Two files, too many fields, a multipart body cut short or without its boundary, the file sent as text: a
    4xx each, never a 500, and nothing stored."""
    alice = signed_in_client(app, people["alice"])
    try:
        csrf = csrf_of(alice.get("/home").text)
        fields = {"csrf": csrf, "exercise": "02_backprop"}
        answers = [
            alice.post("/upload", data=fields, files=[("file", ("a.py", b"x = 1\n")), ("more", ("b.py", b"x = 2\n"))]),
            alice.post("/upload", data={**fields, **{f"f{n}": "x" for n in range(10)}}, files={"file": ("a.py", b"x\n")}),
            alice.post("/upload", content=b'--x\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + csrf.encode()
                       + b"\r\n--", headers={"Content-Type": "multipart/form-data; boundary=x"}),
            alice.post("/upload", content=b"a=b", headers={"Content-Type": "multipart/form-data"}),
            alice.post("/upload", data={**fields, "file": "x = 1\n"}),
            alice.post("/signin", content=b"%ff%fe=%zz&csrf=1", headers={"Content-Type": "application/x-www-form-urlencoded"}),
        ]
    finally:
        alice.__exit__(None, None, None)
    assert [answer.status_code // 100 for answer in answers] == [4] * len(answers), [a.status_code for a in answers]
    assert all("Traceback" not in answer.text for answer in answers)
    assert count_submissions(service) == 0 and _blobs(service) == []
