"""The service's storage and queue, on SQLite and on a real PostgreSQL server: schema and migrations, durable
content-addressed blobs, tokens, the bounded per-student queue, round-robin claims, results recorded exactly once,
requeue after a crash, and the grading loop driven by a fake grader (milliseconds per grading)."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from sqlalchemy import func, select

from grader.course.manifest import load_course
from grader.errors import UsageError
from grader.service import accounts, queue, records
from grader.service.blobs import BLOBS_DIR, BlobWriter, TooLarge, store_bytes
from grader.service.database import database_url, open_database
from grader.service.schema import VERSION, gradings, schema_version, submissions
from grader.service.worker import GradingLoop
from service_fakes import FakeGrader
from service_postgres import postgres  # noqa: F401 - the fixture

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(params=["sqlite", "postgresql"])
def engine(request, tmp_path):
    if request.param == "sqlite":
        url = database_url(None, tmp_path)
    else:
        url = database_url(request.getfixturevalue("postgres").database(), tmp_path)
    engine = open_database(url)
    yield engine
    engine.dispose()


@pytest.fixture(scope="module")
def course():
    return load_course(ROOT / "course.yaml")


def _student(engine, student_id: str) -> str:
    token = accounts.add_or_update(engine, student_id, student_id.title())
    assert token is not None
    return token


def _submit(engine, data: Path, student: str, text: str = "x = 1\n", exercise: str = "02_backprop",
            limit: int = queue.DEFAULT_QUEUE_LIMIT) -> int:
    blob = store_bytes(data, text.encode(), ".py", 2048 * 1024)
    return queue.accept(engine, student, exercise, blob, "backprop.py", limit)


def test_a_new_database_is_migrated_once_and_a_newer_one_is_refused(engine):
    with engine.connect() as connection:
        assert connection.execute(select(schema_version.c.version)).scalar_one() == VERSION
    from grader.service.schema import migrate

    assert migrate(engine) == VERSION   # idempotent
    with engine.begin() as connection:
        connection.execute(schema_version.update().values(version=VERSION + 1))
    with pytest.raises(UsageError, match="newer than this grader"):
        migrate(engine)


def test_blobs_are_content_addressed_durable_and_bounded(tmp_path):
    first = store_bytes(tmp_path, b"print(1)\n", ".py", 100)
    again = store_bytes(tmp_path, b"print(1)\n", ".py", 100)
    assert first == again and (tmp_path / first.relative_path).read_bytes() == b"print(1)\n"
    assert Path(first.relative_path).name == f"{first.sha256}.py"
    writer = BlobWriter(tmp_path, ".zip", 10)
    writer.write(b"12345")
    with pytest.raises(TooLarge):
        writer.write(b"678901")
    assert not list((tmp_path / BLOBS_DIR / "incoming").iterdir()), "a refused upload leaves nothing behind"
    with pytest.raises(ValueError):
        BlobWriter(tmp_path, "/../x", 10)


def test_tokens_are_stored_hashed_rotated_and_revoked(engine):
    token = _student(engine, "alice")
    assert accounts.authenticate(engine, token).id == "alice"
    from grader.service.schema import students

    with engine.connect() as connection:
        stored = connection.execute(select(students.c.token_hash)).scalar_one()
    assert token not in stored and len(stored) == 64
    assert accounts.authenticate(engine, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert accounts.authenticate(engine, "not a token") is None
    new = accounts.rotate(engine, "alice")
    assert accounts.authenticate(engine, token) is None and accounts.authenticate(engine, new).id == "alice"
    accounts.revoke(engine, "alice")
    assert accounts.authenticate(engine, new) is None
    assert accounts.add_or_update(engine, "alice", "Alice A.") is None, "a known student keeps their token"
    with pytest.raises(UsageError):
        accounts.rotate(engine, "bob")
    for bad in ("../x", "", "a" * 201, "a\x00b", "/etc"):
        with pytest.raises(UsageError):
            accounts.check_student_id(bad)


def test_the_queue_is_bounded_per_student(engine, tmp_path):
    _student(engine, "alice")
    _student(engine, "bob")
    ids = [_submit(engine, tmp_path, "alice", f"x = {n}\n") for n in range(queue.DEFAULT_QUEUE_LIMIT)]
    assert len(set(ids)) == queue.DEFAULT_QUEUE_LIMIT
    with pytest.raises(queue.QueueFull, match="5 submissions waiting"):
        _submit(engine, tmp_path, "alice")
    _submit(engine, tmp_path, "bob")   # another student is not affected
    claimed = queue.claim(engine)
    assert queue.finish(engine, claimed, queue.Result("f", 1, 2, "graded", "t", False))
    _submit(engine, tmp_path, "alice" if claimed.student == "alice" else "bob")   # a finished one frees a place
    with pytest.raises(queue.UnknownStudent):
        _submit(engine, tmp_path, "carol")
    accounts.revoke(engine, "bob")
    with pytest.raises(queue.UnknownStudent):
        _submit(engine, tmp_path, "bob")


def test_claims_go_round_robin_across_students(engine, tmp_path):
    for name in ("alice", "bob", "carol"):
        _student(engine, name)
    for n in range(5):
        _submit(engine, tmp_path, "alice", f"x = {n}\n")
    _submit(engine, tmp_path, "bob")
    _submit(engine, tmp_path, "carol")
    order = []
    while (claimed := queue.claim(engine)) is not None:
        order.append(claimed.student)
        if len(order) == 2:
            _submit(engine, tmp_path, "bob", "late = 1\n")   # bob comes back while alice still floods
    assert order[:3] == ["alice", "bob", "carol"]
    assert order[3:5] == ["alice", "bob"], "a returning student waits for at most one of the flood's gradings"
    assert order.count("alice") == 5


def test_concurrent_claims_never_take_one_submission_twice(engine, tmp_path):
    students = [f"s{n}" for n in range(6)]
    for name in students:
        _student(engine, name)
        for n in range(3):
            _submit(engine, tmp_path, name, f"{name} = {n}\n")
    taken: list[int] = []
    lock = threading.Lock()

    def claim_all() -> None:
        while (claimed := queue.claim(engine)) is not None:
            with lock:
                taken.append(claimed.submission)

    threads = [threading.Thread(target=claim_all) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(taken) == sorted(set(taken)) and len(taken) == 18


def test_a_grading_is_recorded_once_and_a_crash_requeues(engine, tmp_path):
    _student(engine, "alice")
    first, second = _submit(engine, tmp_path, "alice", "a = 1\n"), _submit(engine, tmp_path, "alice", "b = 1\n")
    claimed = queue.claim(engine)
    result = queue.Result("feedback/1.json", 2, 2, "graded", "t", False)
    assert queue.finish(engine, claimed, result)
    assert not queue.finish(engine, claimed, result), "a second finish of one claim writes nothing"
    stuck = queue.claim(engine)
    assert queue.requeue_abandoned(engine, queue.new_owner()) == 1   # the service died while grading it
    assert not queue.finish(engine, stuck, result), "a claim from before the crash cannot finish a requeued one"
    again = queue.claim(engine)
    assert again.submission == stuck.submission and again.attempts == 2
    assert queue.finish(engine, again, result)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(gradings)).scalar_one() == 2
    history = records.history(engine, "alice")
    assert [record.id for record in history] == [second, first] and {r.status for r in history} == {"graded"}
    assert records.one(engine, "bob", first) is None and records.one(engine, "alice", first).score == 2


def test_the_loop_grades_every_submission_fairly_and_records_feedback(engine, tmp_path, course):
    for name in ("alice", "bob"):
        _student(engine, name)
    ids = [_submit(engine, tmp_path, "alice", f"x = {n}\n") for n in range(4)] + [_submit(engine, tmp_path, "bob")]
    grader = FakeGrader()
    done = _run_loop(engine, tmp_path, course, grader, expect=len(ids))
    assert grader.order[:2] == ["alice", "bob"]
    assert sorted(done) == sorted(ids)
    for submission in ids:
        record = records.one(engine, "bob" if submission == ids[-1] else "alice", submission)
        assert record.status == "graded" and record.score == 2
        document = json.loads((tmp_path / record.feedback_path).read_text())
        assert document["submission"]["path"] == "backprop.py", "the feedback never shows the server's path"


def test_the_loop_retries_a_grader_failure_once_then_records_it(engine, tmp_path, course):
    names = ("alice", "bob", "carol", "dave", "erin")
    for name in names:
        _student(engine, name)
    ids = {name: _submit(engine, tmp_path, name) for name in names}
    grader = FakeGrader({"alice": ["fail", "ok"], "bob": ["fail", "fail"], "carol": ["break", "ok"],
                         "dave": ["raise", "raise"], "erin": ["refuse", "ok"]})
    _run_loop(engine, tmp_path, course, grader, expect=5)
    status = {name: records.one(engine, name, submission) for name, submission in ids.items()}
    assert status["alice"].status == status["carol"].status == status["erin"].status == "graded"
    assert status["bob"].status == "failed" and status["dave"].status == "failed"
    assert grader.broken_count == 2
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(gradings)).scalar_one() == 5
        assert connection.execute(select(func.max(submissions.c.attempts))).scalar_one() == 2


def test_gradings_in_flight_when_the_loop_stops_are_graded_after_a_restart(engine, tmp_path, course):
    _student(engine, "alice")
    ids = [_submit(engine, tmp_path, "alice", f"x = {n}\n") for n in range(3)]
    held = FakeGrader(hold=True)
    stop = threading.Event()
    loop = GradingLoop(engine, tmp_path, course, held, slots=2, seed_key=b"k" * 32)
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    _wait(lambda: len(held.held) == 2)
    stop.set()
    thread.join(5)
    held.release()   # too late: the loop is gone, as after kill -9
    assert {r.status for r in records.history(engine, "alice")} == {"grading", "queued"}
    done = _run_loop(engine, tmp_path, course, FakeGrader(), expect=3)
    assert sorted(done) == sorted(ids)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(gradings)).scalar_one() == 3


def test_a_submission_whose_gradings_never_finish_is_recorded_as_failed(engine, tmp_path, course):
    """A file the service dies on every time (claimed, never finished) must not stop the queue forever."""
    _student(engine, "alice")
    stuck = _submit(engine, tmp_path, "alice")
    for _ in range(queue.MAX_CLAIMS):
        assert queue.claim(engine).submission == stuck
        queue.requeue_abandoned(engine, queue.new_owner())   # the service died while grading it
    grader = FakeGrader()
    _run_loop(engine, tmp_path, course, grader, expect=1)
    assert grader.order == [] and records.one(engine, "alice", stuck).status == "failed"


def _wait(condition, seconds: float = 10) -> None:
    import time

    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)


def _run_loop(engine, data: Path, course, grader, expect: int) -> list[int]:
    recorded: list[int] = []
    stop = threading.Event()
    loop = GradingLoop(engine, data, course, grader, slots=2, seed_key=b"k" * 32, on_recorded=recorded.append)
    thread = threading.Thread(target=loop.run, args=(stop,))
    thread.start()
    try:
        _wait(lambda: len(recorded) >= expect)
    finally:
        stop.set()
        loop.wake.set()
        thread.join(5)
    return recorded


@pytest.mark.slow
def test_the_pool_grader_keeps_at_most_max_pools_and_grades_with_grade_batchs_workers(tmp_path, course):
    """Real worker processes (plain children: the sandbox is not what this tests): one pool per exercise, the idle
    one shut down when another exercise needs room, and a shut-down exercise's pool started again on demand."""
    from grader.batch.runner import Job
    from grader.service.worker import PoolGrader

    grader = PoolGrader(course.manifest_path, strong=False, workers=1, max_pools=1)
    try:
        for exercise_id in ("01_forward_propagation", "02_backprop", "01_forward_propagation"):
            exercise = course.exercise(exercise_id)
            job = Job("alice", str(exercise.reference_path), "", 0, b"k" * 32)
            _, feedback = grader.submit(exercise, job).result(timeout=120)
            assert feedback.score == feedback.max_score > 0, feedback.message
            assert grader.pooled == [exercise_id]
    finally:
        grader.close()


# ----------------------------------------------------------------------------- services sharing one database

def test_a_peers_live_claim_is_never_taken_and_an_expired_one_is_taken_once(engine, tmp_path):
    """Another machine's service (only its lease tells whether it lives): its claim stays while it renews, is
    taken back once the lease runs out, and then the old owner can no longer record it."""
    from datetime import datetime, timedelta, timezone

    _student(engine, "alice")
    submission = _submit(engine, tmp_path, "alice")
    t0 = datetime(2026, 12, 6, 12, 0, tzinfo=timezone.utc)
    peer, me = "another-host:4242:abcd", queue.new_owner()
    held = queue.claim(engine, peer, now=t0)
    assert held.submission == submission
    assert queue.requeue_abandoned(engine, me, now=t0 + timedelta(seconds=queue.LEASE_S / 2)) == 0
    assert queue.renew(engine, peer, [submission], now=t0 + timedelta(seconds=50)) == 1
    assert queue.requeue_abandoned(engine, me, now=t0 + timedelta(seconds=queue.LEASE_S + 20)) == 0, "renewed"
    assert queue.requeue_abandoned(engine, me, now=t0 + timedelta(seconds=queue.LEASE_S + 51)) == 1
    result = queue.Result("feedback/1.json", 2, 2, "graded", "t", False)
    assert not queue.finish(engine, held, result), "the peer lost its lease: it records nothing"
    assert queue.renew(engine, peer, [submission]) == 0
    mine = queue.claim(engine, me)
    assert mine.submission == submission and mine.attempts == 2
    assert not queue.finish(engine, held, result) and queue.finish(engine, mine, result)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(gradings)).scalar_one() == 1
    queue.ended(me)


def test_a_restart_on_this_host_takes_back_a_dead_services_claims_at_once_and_a_live_ones_never(engine, tmp_path):
    import socket
    import subprocess
    import sys

    _student(engine, "alice")
    live_process = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        host = socket.gethostname()
        dead, live = f"{host}:{_a_finished_pid()}:dead", f"{host}:{live_process.pid}:live"
        first, second = _submit(engine, tmp_path, "alice", "a = 1\n"), _submit(engine, tmp_path, "alice", "b = 2\n")
        assert queue.claim(engine, dead).submission == first
        assert queue.claim(engine, live).submission == second
        me = queue.new_owner()
        assert queue.requeue_abandoned(engine, me) == 1, "the dead one's claim at once, the live one's lease stands"
        statuses = {record.id: record.status for record in records.history(engine, "alice")}
        assert statuses == {first: "queued", second: "grading"}
        queue.ended(me)
    finally:
        live_process.kill()
        live_process.wait()


def _a_finished_pid() -> int:
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_two_grading_loops_on_one_database_grade_every_submission_exactly_once(engine, tmp_path, course):
    names = ("alice", "bob", "carol")
    for name in names:
        _student(engine, name)
    ids = [_submit(engine, tmp_path, name, f"{name} = {n}\n") for name in names for n in range(4)]
    graders = [FakeGrader(), FakeGrader()]
    stop = threading.Event()
    loops = [GradingLoop(engine, tmp_path, course, grader, slots=2, seed_key=b"k" * 32) for grader in graders]
    threads = [threading.Thread(target=loop.run, args=(stop,)) for loop in loops]
    for thread in threads:
        thread.start()
    try:
        _wait(lambda: {r.status for name in names for r in records.history(engine, name)} == {"graded"})
    finally:
        stop.set()
        for thread in threads:
            thread.join(5)
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(gradings)).scalar_one() == len(ids)
    assert sorted(graders[0].order + graders[1].order) == sorted(names * 4), "each graded once, by one loop"


def test_a_regrade_waits_behind_new_work_and_does_not_fill_the_students_queue(engine, tmp_path):
    """The instructor regrades a class: a student whose five submissions are queued again can still hand in, and
    every student's new work is claimed before any regrade (and a regrade costs no student their turn)."""
    from grader.service.instructor_regrade import requeue

    for name in ("alice", "bob"):
        _student(engine, name)
    old = [_submit(engine, tmp_path, "alice", f"a = {n}\n") for n in range(queue.DEFAULT_QUEUE_LIMIT)]
    result = queue.Result("feedback/x.json", 1, 2, "graded", "t", False)
    for _ in old:
        assert queue.finish(engine, queue.claim(engine), result)
    assert requeue(engine, old) == len(old)
    fresh = _submit(engine, tmp_path, "alice", "a = 'new'\n")   # not QueueFull: the regrades are not hers to wait on
    bobs = _submit(engine, tmp_path, "bob", "b = 1\n")
    order = [queue.claim(engine).submission for _ in range(len(old) + 2)]
    assert set(order[:2]) == {fresh, bobs} and order[2:] == old
    with pytest.raises(queue.QueueFull):   # her own new work still has its bound
        for n in range(queue.DEFAULT_QUEUE_LIMIT + 1):
            _submit(engine, tmp_path, "alice", f"a = 'more {n}'\n")


def test_a_service_whose_claim_was_taken_over_writes_nothing_its_successor_recorded(engine, tmp_path, course):
    """A stalled service (its lease ran out) finishing late: its document goes under its own name and is removed,
    the successor's document and grading row stand."""
    from datetime import datetime, timedelta, timezone

    from grader.batch.runner import Job
    from grader.feedback.model import Feedback
    from service_fakes import made_up_feedback

    _student(engine, "alice")
    submission = _submit(engine, tmp_path, "alice")
    stalled = GradingLoop(engine, tmp_path, course, FakeGrader(), slots=1, seed_key=b"k" * 32)
    successor = GradingLoop(engine, tmp_path, course, FakeGrader(), slots=1, seed_key=b"k" * 32)
    late_claim = queue.claim(engine, stalled.owner)
    later = datetime.now(timezone.utc) + timedelta(seconds=queue.LEASE_S + 1)
    assert queue.requeue_abandoned(engine, successor.owner, now=later) == 1
    exercise = course.exercise("02_backprop")
    job = Job("alice", "backprop.py", "0" * 64, 1)
    successor._record(queue.claim(engine, successor.owner), made_up_feedback(exercise, job, passed=True))
    recorded = records.one(engine, "alice", submission)
    kept = (tmp_path / recorded.feedback_path).read_bytes()
    stalled._record(late_claim, made_up_feedback(exercise, job, passed=False))
    assert records.one(engine, "alice", submission).feedback_path == recorded.feedback_path
    assert (tmp_path / recorded.feedback_path).read_bytes() == kept and recorded.score == 2
    assert sorted(path.name for path in (tmp_path / "feedback").iterdir()) == [Path(recorded.feedback_path).name]
    assert isinstance(Feedback.from_dict(json.loads(kept)), Feedback)
    queue.ended(stalled.owner)
    queue.ended(successor.owner)


def test_every_exercise_keeps_its_pool_when_memory_allows_and_at_least_three_do():
    """A student handing in to one exercise after another must not make the service start TensorFlow again for
    everyone: with the memory for it, every exercise keeps its pool."""
    from grader.service.worker import POOL_WORKER_BYTES, pools_for

    assert pools_for(9, 2, 24 << 30) == 9                        # this project's machine: 24 GiB, 2 workers a pool
    assert pools_for(9, 8, 8 << 30) == 3                         # little memory for many workers: the floor
    assert pools_for(9, 1, 2 * 5 * POOL_WORKER_BYTES) == 5       # as many as half the memory holds
    assert pools_for(2, 2, 64 << 30) == 2                        # never more than the course has
