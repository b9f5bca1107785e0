"""The sandbox session with real child processes: values, failures, limits and output capture."""

import textwrap

import numpy as np
import pytest

from grader.course.model import Limits
from grader.sandbox.session import CallStatus, RefusedSubmission, SandboxSession

SUBMISSION = """
import os, sys, time
import numpy as np
print("loaded")

def add(a, b):
    return a + b

def halves(n):
    return np.arange(n) / 2

def boom():
    raise ValueError("bad value")

def hang():
    while True:
        pass

def sleepy():
    time.sleep(60)

def leave():
    os._exit(7)

def quit_politely():
    sys.exit(0)

def segfault():
    import ctypes
    ctypes.string_at(0)

def unsupported():
    return object()

def mutate(d):
    d["extra"] = 1

def shout(n):
    sys.stdout.write("x" * n)
    sys.stderr.write("warning: careful\\n")
    return n

def hog():
    return np.ones(10**10)
"""


@pytest.fixture
def session(tmp_path):
    path = tmp_path / "submission.py"
    path.write_text(SUBMISSION)
    with SandboxSession(path, Limits(call_seconds=1, total_seconds=60, memory_mb=512, output_kib=4)) as session:
        yield session


def test_values_cross_as_plain_data(session):
    assert session.call("add", (2, 3)).value == 5
    result = session.call("halves", (4,))
    assert result.ok and np.array_equal(result.value, [0, 0.5, 1, 1.5])


def test_an_exception_is_reported_with_its_line(session):
    result = session.call("boom")
    assert result.status is CallStatus.RAISED
    assert result.error.type == "ValueError" and result.error.message == "bad value" and result.error.line == 13


def test_a_missing_function(session):
    assert session.call("nope").status is CallStatus.MISSING


@pytest.mark.slow   # waits out the limit
def test_an_endless_loop_is_killed_and_the_next_call_works(session):
    result = session.call("hang")
    assert (result.status, result.limit) == (CallStatus.TIMEOUT, "wall_time")
    assert "within 1 s" in result.detail
    assert session.call("add", (1, 1)).value == 2


@pytest.mark.slow   # waits out the limit
def test_sleeping_past_the_limit_is_a_timeout(session):
    assert session.call("sleepy").status is CallStatus.TIMEOUT


def test_os_exit_and_segfault_are_crashes(session):
    exited = session.call("leave")
    assert exited.status is CallStatus.CRASHED and "code 7" in exited.detail
    crashed = session.call("segfault")
    assert crashed.status is CallStatus.CRASHED and "SIGSEGV" in crashed.detail
    assert session.call("add", (1, 2)).value == 3


def test_sys_exit_inside_a_call_is_reported_not_obeyed(session):
    assert session.call("quit_politely").status is CallStatus.EXITED
    assert session.call("add", (1, 2)).value == 3


def test_unsupported_return_types(session):
    result = session.call("unsupported")
    assert result.status is CallStatus.UNSUPPORTED and "object" in result.error.message


def test_arguments_after_the_call_show_mutation(session):
    result = session.call("mutate", ({"a": 1},), return_args=True)
    assert result.args_after == [{"a": 1, "extra": 1}]


def test_memory_limit(session):
    result = session.call("hog")
    assert result.status is CallStatus.MEMORY


def test_output_is_captured_as_a_bounded_tail(session):
    assert session.call("shout", (100_000,)).value == 100_000
    report = session.close()
    assert report.stdout_bytes >= 100_000 and report.truncated
    assert len(report.stdout) <= 4 * 1024
    assert "warning: careful" in report.stderr


@pytest.mark.slow   # waits out the limit
def test_the_whole_grading_deadline_stops_further_calls(tmp_path):
    path = tmp_path / "submission.py"
    path.write_text(SUBMISSION)
    with SandboxSession(path, Limits(call_seconds=5, total_seconds=1)) as session:
        assert session.call("sleepy").status is CallStatus.TIMEOUT
        assert session.call("add", (1, 1)).status is CallStatus.DEADLINE


@pytest.mark.parametrize("source, import_status, message", [
    ("def f(:\n    pass\n", CallStatus.RAISED, "SyntaxError"),
    ("import no_such_module_anywhere\n", CallStatus.RAISED, "ModuleNotFoundError"),
    pytest.param("import time\ntime.sleep(60)\n", CallStatus.TIMEOUT, None, marks=pytest.mark.slow),
    ("import os\nos._exit(1)\n", CallStatus.CRASHED, None),
    ("import sys\nsys.exit(3)\n", CallStatus.EXITED, None),
])
def test_import_failures_are_final_for_the_session(tmp_path, source, import_status, message):
    path = tmp_path / "submission.py"
    path.write_text(source)
    with SandboxSession(path, Limits(call_seconds=1)) as session:
        first = session.call("f")
        assert first.status is CallStatus.NOT_IMPORTABLE and first.import_status is import_status
        if message:
            assert first.error.type == message
        assert session.call("f") is first       # not retried: the answer would be the same
        assert session.close().children_started == 1


def test_the_child_gets_a_scrubbed_environment_and_a_private_directory(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_TOKEN", "hunter2")
    path = tmp_path / "submission.py"
    path.write_text(textwrap.dedent("""
        import os
        def env():
            return dict(os.environ)
        def cwd():
            return os.getcwd()
    """))
    with SandboxSession(path, Limits()) as session:
        environment = session.call("env").value
        assert "SECRET_TOKEN" not in environment
        assert session.call("cwd").value != str(tmp_path)


def test_a_file_named_numpy_beside_the_submission_shadows_nothing(tmp_path):
    (tmp_path / "numpy.py").write_text("raise RuntimeError('fake numpy imported')\n")
    path = tmp_path / "submission.py"
    path.write_text("import numpy as np\ndef f():\n    return np.__name__ + ':' + str(np.ones(2).sum())\n")
    with SandboxSession(path, Limits()) as session:
        assert session.call("f").value == "numpy:2.0"


def test_a_refused_submission_never_starts_a_process(tmp_path):
    refused = RefusedSubmission("the file is empty")
    result = refused.call("f")
    assert result.status is CallStatus.NOT_IMPORTABLE and result.import_status is CallStatus.BROKEN_FILE
    assert refused.close().children_started == 0
