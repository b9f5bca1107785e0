"""Isolation modes and their limits, with real sandboxes: every limit is named when it is hit."""

from dataclasses import replace
import time
from pathlib import Path

import pytest

from grader.course.model import Limits
from grader.sandbox import launchers, policy
from grader.sandbox.launchers import BwrapLauncher, PlainProcessLauncher, WeakIsolationRefused, bwrap_problem, choose_launcher
from grader.sandbox.warm_launcher import WarmTemplateLauncher
from grader.sandbox.session import CallStatus, SandboxSession

needs_bwrap = pytest.mark.skipif(bwrap_problem() is not None, reason=f"needs bubblewrap: {bwrap_problem()}")

LIMITED = """
import os, sys, time

def spin():
    while True:
        pass

def big_file():
    with open("big.bin", "wb") as stream:
        for _ in range(64):
            stream.write(b"x" * 2**20)

def fill_scratch():
    for index in range(100):
        with open(f"part{index}.bin", "wb") as stream:
            stream.write(b"x" * 4 * 2**20)

def fill_shm():
    for index in range(100):
        with open(f"/dev/shm/part{index}", "wb") as stream:
            stream.write(b"x" * 4 * 2**20)

def hoard():
    blocks = []
    while True:
        blocks.append(bytearray(20 * 2**20))

def forks():
    children = []
    while True:
        pid = os.fork()
        if pid == 0:
            time.sleep(30)
            os._exit(0)
        children.append(pid)

def where():
    return {"cwd": os.getcwd(), "home": os.environ.get("HOME"), "files": sorted(os.listdir("/scratch")),
            "tmp": sorted(os.listdir("/tmp"))}

def leave_file(name):
    open(f"/tmp/{name}", "w").write("left behind")
    open(f"/scratch/{name}", "w").write("left behind")
    open(f"/dev/shm/{name}", "w").write("left behind")
    return sorted(os.listdir("/tmp"))

def sees(path):
    return os.path.exists(path)

def nothing():
    return None
"""

LIMITS = Limits(call_seconds=3, total_seconds=60, memory_mb=256, max_processes=32, scratch_mb=16, file_mb=4)


def strong_launchers():
    return [pytest.param(BwrapLauncher, marks=needs_bwrap, id="bwrap"),
            pytest.param(WarmTemplateLauncher, marks=needs_bwrap, id="warm")]


@pytest.fixture
def submission(tmp_path):
    path = tmp_path / "limited.py"
    path.write_text(LIMITED)
    return path


@pytest.mark.parametrize("make", strong_launchers() + [pytest.param(PlainProcessLauncher, id="process")])
@pytest.mark.parametrize("function, status, limit", [
    pytest.param("spin", CallStatus.TIMEOUT, "wall_time", marks=pytest.mark.slow),   # waits out the limit
    ("big_file", CallStatus.RAISED, "file_size"),
    ("hoard", CallStatus.MEMORY, "memory"),
])
def test_each_limit_is_named(submission, make, function, status, limit):
    launcher = make()
    limits = replace(LIMITS, call_seconds=1) if limit == "wall_time" else LIMITS   # a second is enough to stop
    try:
        with SandboxSession(submission, limits, launcher) as session:
            result = session.call(function)
            assert (result.status, result.limit) == (status, limit), result
            assert session.call("nothing").ok, "the next call gets a working process"
    finally:
        getattr(launcher, "close", lambda: None)()


@pytest.mark.parametrize("make", strong_launchers())
@pytest.mark.parametrize("function, status, limit", [
    ("fill_scratch", CallStatus.RAISED, "scratch_space"),
    ("fill_shm", CallStatus.RAISED, "scratch_space"),
    ("forks", CallStatus.CRASHED, "processes"),
])
def test_namespace_limits_are_named(submission, make, function, status, limit):
    launcher = make()
    try:
        with SandboxSession(submission, LIMITS, launcher) as session:
            result = session.call(function)
            assert result.status in (status, CallStatus.RAISED) and result.limit == limit, result
    finally:
        getattr(launcher, "close", lambda: None)()


@pytest.mark.slow   # spends its second of CPU time
def test_cpu_time_is_its_own_limit(submission):
    limits = Limits(call_seconds=20, total_seconds=1, memory_mb=256)
    with SandboxSession(submission, limits, PlainProcessLauncher(), deadline=time.monotonic() + 30) as session:
        result = session.call("spin")
    assert (result.status, result.limit) == (CallStatus.TIMEOUT, "cpu_time"), result


@needs_bwrap
@pytest.mark.parametrize("make", strong_launchers())
def test_the_sandbox_sees_neither_the_course_nor_home(submission, make):
    launcher = make()
    try:
        with SandboxSession(submission, LIMITS, launcher) as session:
            repo = Path(__file__).resolve().parents[1]
            assert session.call("sees", (str(repo / "solutions"),)).value is False
            assert session.call("sees", (str(repo / "course.yaml"),)).value is False
            assert session.call("sees", (str(submission),)).value is False
            assert session.call("sees", ("/root/.bashrc",)).value is False
            where = session.call("where").value
            assert where["cwd"].startswith("/scratch") and where["home"].startswith("/scratch")
    finally:
        getattr(launcher, "close", lambda: None)()


@needs_bwrap
def test_a_warm_template_leaves_nothing_for_the_next_submission(submission):
    launcher = WarmTemplateLauncher(restart_after=3)
    try:
        with SandboxSession(submission, LIMITS, launcher) as session:
            assert "leftover" in session.call("leave_file", ("leftover",)).value
        for _ in range(4):   # crosses a template restart too
            with SandboxSession(submission, LIMITS, launcher) as session:
                where = session.call("where").value
                assert where["files"] == [Path(where["cwd"]).name]
                assert "leftover" not in where["tmp"]
                assert session.call("sees", ("/dev/shm/leftover",)).value is False
    finally:
        launcher.close()


def test_without_bwrap_students_get_the_weak_mode_and_are_told(monkeypatch):
    monkeypatch.setattr(launchers, "bwrap_problem", lambda: "bubblewrap (bwrap) is not installed")
    monkeypatch.setattr(launchers.os, "geteuid", lambda: 1000)   # a student's laptop: not root
    launcher = choose_launcher()
    assert isinstance(launcher, PlainProcessLauncher)
    assert launcher.isolation.strong is False
    assert any("not installed" in note for note in launcher.isolation.notes)


def test_without_bwrap_batch_grading_refuses_unless_asked(monkeypatch):
    monkeypatch.setattr(launchers, "bwrap_problem", lambda: "bubblewrap (bwrap) is not installed")
    with pytest.raises(WeakIsolationRefused, match="--allow-weak-isolation"):
        choose_launcher(require_strong=True)
    assert isinstance(choose_launcher(require_strong=True, allow_weak=True), PlainProcessLauncher)


def test_as_root_without_bwrap_even_a_single_grading_refuses_unless_asked(monkeypatch):
    """The plain child of a root grader would run the student's code as the host's root."""
    monkeypatch.setattr(launchers, "bwrap_problem", lambda: "bubblewrap (bwrap) is not installed")
    monkeypatch.setattr(launchers.os, "geteuid", lambda: 0)
    with pytest.raises(WeakIsolationRefused, match="--allow-weak-isolation"):
        choose_launcher()
    assert isinstance(choose_launcher(allow_weak=True), PlainProcessLauncher)


@pytest.fixture
def as_root(monkeypatch):
    """The grader believes it is root; the probe's cached answer is forgotten before and after."""
    monkeypatch.setattr(launchers.os, "geteuid", lambda: 0)
    launchers.bwrap_problem.cache_clear()
    yield monkeypatch
    launchers.bwrap_problem.cache_clear()


@needs_bwrap
def test_as_root_without_the_tools_to_drop_privileges_it_refuses_and_says_why(as_root):
    real_which = launchers.shutil.which
    as_root.setattr(launchers.shutil, "which", lambda tool: None if tool == "setpriv" else real_which(tool))
    with pytest.raises(WeakIsolationRefused, match="setpriv"):
        choose_launcher(require_strong=True)
    with pytest.raises(WeakIsolationRefused, match="unprivileged"):
        choose_launcher()


@needs_bwrap
def test_as_root_a_sandbox_uid_of_zero_is_refused(as_root):
    as_root.setattr(policy, "SANDBOX_UID", 0)
    with pytest.raises(WeakIsolationRefused, match="not 0"):
        choose_launcher(require_strong=True)


@needs_bwrap
def test_with_bwrap_the_strong_mode_is_chosen():
    assert isinstance(choose_launcher(require_strong=True), BwrapLauncher)
