"""The warm template forks the next child ahead of time, while the current submission is graded (fork, private
namespaces, lock-down); each next child serves exactly one submission, sees only its bytes, and one that cannot be
used is replaced by a child forked on the spot."""

from __future__ import annotations

import contextlib
import os
import signal
import textwrap
import time
from dataclasses import replace
from pathlib import Path

import pytest

from grader.course.model import Limits
from grader.sandbox.launchers import BwrapLauncher, bwrap_problem
from grader.sandbox.session import SandboxSession
from grader.sandbox.warm_launcher import WarmTemplateLauncher

needs_bwrap = pytest.mark.skipif(bwrap_problem() is not None, reason=f"needs bubblewrap: {bwrap_problem()}")

STUDENT = textwrap.dedent('''
    import os

    MARK = "{mark}"

    def look():
        """What this child can see: its own mark, its scratch and /tmp."""
        return {{"mark": MARK, "scratch": sorted(os.listdir(".")), "tmp": sorted(os.listdir("/tmp"))}}

    def leave():
        open("left-by-{mark}", "w").write("{mark}")
        open("/tmp/left-by-{mark}", "w").write("{mark}")
        return True
''')


def student(tmp_path: Path, mark: str) -> Path:
    path = tmp_path / f"{mark}.py"
    path.write_text(STUDENT.format(mark=mark))
    return path


@contextlib.contextmanager
def fresh_template():
    """A warm template of the test's own, closed afterwards."""
    launcher = WarmTemplateLauncher()
    try:
        yield launcher
    finally:
        launcher.close()


def template_children(launcher: WarmTemplateLauncher) -> list[int]:
    template = launcher._template
    assert template is not None
    return [int(pid) for pid in Path(f"/proc/{template.host_pid}/task/{template.host_pid}/children").read_text().split()]


def next_children(launcher: WarmTemplateLauncher, besides: int) -> list[int]:
    """The template's children other than `besides`, a child that may not have been reaped yet."""
    for _ in range(500):
        pids = [pid for pid in template_children(launcher) if pid != besides]
        if pids:
            return pids
        time.sleep(0.01)
    raise AssertionError("the template forked no child ahead for the next submission")


def wait_until_dead(pid: int) -> None:
    for _ in range(500):
        try:
            if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return
        except OSError:
            return
        time.sleep(0.01)
    raise AssertionError(f"{pid} did not die")


@needs_bwrap
def test_each_submission_gets_a_child_forked_ahead_for_it_alone(tmp_path):
    launcher = WarmTemplateLauncher()
    try:
        seen, pids = [], []
        for mark in ("a", "b", "c", "d"):
            with SandboxSession(student(tmp_path, mark), Limits(), launcher) as session:
                assert session.call("leave").value is True
                seen.append(session.call("look").value)
                pids.append(session._child.process.pid)
        assert launcher.children_forked_ahead == 3, "only the template's first child may be forked on the spot"
    finally:
        launcher.close()
    assert len(set(pids)) == 4
    # A course checked out under /tmp (CI's clone) has its virtual environment bound there again: not a leftover.
    bound = {Path(inside).parts[2] for _, inside in BwrapLauncher().host_binds() if inside.startswith("/tmp/")}
    for mark, view in zip("abcd", seen):
        assert view["mark"] == mark
        assert view["scratch"] == [f"left-by-{mark}"], view
        assert [name for name in view["tmp"] if name not in bound] == [f"left-by-{mark}"], view


@needs_bwrap
def test_a_next_child_that_died_or_does_not_fit_is_replaced(tmp_path):
    launcher = WarmTemplateLauncher()
    try:
        with SandboxSession(student(tmp_path, "a"), Limits(), launcher) as session:
            assert session.call("look").value["mark"] == "a"
            first = session._child.process.pid
        for pid in next_children(launcher, besides=first):   # the child forked ahead for the next submission
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                continue
            wait_until_dead(pid)
        with SandboxSession(student(tmp_path, "b"), Limits(), launcher) as session:
            assert session.call("look").value["mark"] == "b"
        assert launcher.children_forked_ahead == 0
        larger = replace(Limits(), scratch_mb=Limits().scratch_mb * 2)   # its tmpfs mounts were made for other limits
        with SandboxSession(student(tmp_path, "c"), larger, launcher) as session:
            assert session.call("look").value["mark"] == "c"
        assert launcher.children_forked_ahead == 0
        with SandboxSession(student(tmp_path, "d"), larger, launcher) as session:
            assert session.call("look").value["mark"] == "d"
        assert launcher.children_forked_ahead == 1
    finally:
        launcher.close()


def memory_limit_of(guard) -> int:
    folder = guard.procs_files[0].parent
    for name in ("memory.limit_in_bytes", "memory.max"):
        if (folder / name).is_file():
            return int((folder / name).read_text())
    raise AssertionError(f"no memory limit in {folder}")


@needs_bwrap
def test_the_next_child_is_in_its_cgroups_before_its_submission_comes_and_only_with_its_own_limits(tmp_path):
    launcher = WarmTemplateLauncher()
    try:
        for mark, memory_mb in (("a", 512), ("b", 512), ("c", 768), ("d", 768)):
            limits = replace(Limits(), memory_mb=memory_mb)
            with SandboxSession(student(tmp_path, mark), limits, launcher) as session:
                assert session.call("look").value["mark"] == mark
                guard, pid = session._child.guard, session._child.process.pid
                if not guard.procs_files:
                    pytest.skip("no cgroups here: the watchdog guards each child from its spawn")
                assert all(str(pid) in procs.read_text().split() for procs in guard.procs_files)
                assert memory_limit_of(guard) == memory_mb * 2**20
        # b and d found their child already joined; c's child was joined ahead with a's limits and moved.
        assert launcher.children_joined_ahead == 2
    finally:
        launcher.close()


UNDOER = textwrap.dedent('''
    import socket
    import sys

    from grader.sandbox import lab
    from grader.sandbox.lab import hooks

    def watched():
        """How many patches wait for an import in this child (each installed once, by the template)."""
        lab.install()   # what a cold child does: here it must change nothing
        return len(hooks._FINDER.watched)

    def undo():
        """Take the lab's hooks and its no-network message out of this child, as a hostile file could."""
        sys.meta_path[:] = [finder for finder in sys.meta_path if finder is not hooks._FINDER]
        hooks._FINDER.watched.clear()
        lab._installed = False
        socket.getaddrinfo = lambda *args, **kwargs: "undone by an earlier student"
        return True

    def reach():
        try:
            return repr(socket.getaddrinfo("example.com", 80))
        except OSError as exc:
            return str(exc)
''')


@needs_bwrap
def test_the_lab_is_installed_once_by_the_template_and_no_child_can_undo_it_for_the_next(tmp_path):
    path = tmp_path / "undoer.py"
    path.write_text(UNDOER)
    with fresh_template() as launcher:
        with SandboxSession(path, Limits(), launcher) as first:
            before = first.call("watched").value
            assert first.call("undo").value is True
            assert first.call("reach").value == "'undone by an earlier student'"
        with SandboxSession(path, Limits(), launcher) as second:
            assert "the grader has no network, so example.com cannot be reached" in second.call("reach").value
            assert second.call("watched").value == before == 3   # pandas, MNIST, Keras 2 optimizers: not twice


INIT_POKER = textwrap.dedent('''
    import os
    import signal
    import time

    def poke():
        """Signal pid 1, the init of this child's own pid namespace (a fork of the template, which had
        Python's SIGINT handler), then start a process: that fails once the namespace's init is gone."""
        for number in (signal.SIGINT, signal.SIGTERM, signal.SIGSTOP, signal.SIGKILL):
            os.kill(1, number)
        time.sleep(0.05)
        pid = os.fork()
        if pid == 0:
            os._exit(7)
        return os.waitpid(pid, 0)[1] >> 8
''')


@needs_bwrap
def test_the_init_of_a_childs_pid_namespace_ignores_the_students_signals(tmp_path):
    path = tmp_path / "poker.py"
    path.write_text(INIT_POKER)
    with fresh_template() as launcher:
        for _ in range(2):   # forked on the spot, then forked ahead of time
            with SandboxSession(path, Limits(), launcher) as session:
                assert session.call("poke").value == 7


@needs_bwrap
def test_a_warm_child_killed_by_sigkill_is_reported_as_killed_by_it(tmp_path):
    """The child's exit passes the student's own wait status up; SIGKILL's handling cannot be reset, which
    once made the middle process exit 0 instead ("exited with code 0")."""
    path = tmp_path / "selfkill.py"
    path.write_text("import os, signal\n\ndef die():\n    os.kill(os.getpid(), signal.SIGKILL)\n\n"
                    "def stop_by_term():\n    os.kill(os.getpid(), signal.SIGTERM)\n")
    with fresh_template() as launcher:
        for function, name in (("die", "SIGKILL"), ("stop_by_term", "SIGTERM"), ("die", "SIGKILL")):
            with SandboxSession(path, Limits(), launcher) as session:
                result = session.call(function)
                assert result.status.value == "crashed" and result.detail == f"killed by {name}", result


PROC_LOOKER = textwrap.dedent('''
    import os
    import socket

    def processes():
        """Every process this child's /proc shows, with its command line."""
        return {pid: open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace")
                for pid in os.listdir("/proc") if pid.isdigit()}

    def sockets():
        """The kernel's TCP socket table as this child finds it; then it leaves a closed connection behind
        (TIME_WAIT), which a child sharing its network namespace would find."""
        lines = open("/proc/net/tcp").read().splitlines()[1:]
        try:   # plain sockets: the lab's offline getaddrinfo would refuse create_connection
            listener = socket.socket()
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            client = socket.socket()
            client.connect(listener.getsockname())
            server, _ = listener.accept()
            client.close()
            server.close()
            left = True
        except OSError:   # the loopback of a fresh network namespace is down
            left = False
        return {"lines": lines, "interfaces": sorted(name for _, name in socket.if_nameindex()), "left": left}
''')


@needs_bwrap
def test_each_warm_child_sees_only_its_own_processes_and_its_own_network(tmp_path):
    """A warm child once saw the template's pid namespace in /proc (the template, its init, the next
    child) and shared its network namespace (TIME_WAIT entries outlived a child)."""
    path = tmp_path / "looker.py"
    path.write_text(PROC_LOOKER)
    with fresh_template() as launcher:
        for _ in range(3):   # forked on the spot, then forked ahead of time
            with SandboxSession(path, Limits(), launcher) as session:
                seen = session.call("processes")
                assert seen.ok, seen
                assert sorted(seen.value) == ["1", "2"], seen.value   # its namespace's init and itself
                network = session.call("sockets")
                assert network.ok, network
                assert network.value["lines"] == [] and network.value["interfaces"] == ["lo"], network.value
        assert launcher.children_forked_ahead == 2
