"""The warm template: imports numpy (and TensorFlow) once, then forks one fresh child per submission.

Runs inside its own bubblewrap sandbox and holds no checks, solutions or secrets: it only ever
sees the bytes of the submission it is asked to run, passed as a file descriptor. It imports and
does nothing else (a parent that ran a TensorFlow operation before forking deadlocks its
children). Each forked child first moves into its own user, mount and IPC namespaces with fresh
tmpfs mounts where it may write (the rest of the root is read-only), then drops every capability
and loads the seccomp filter: nothing one submission leaves behind is visible to the next, and no
child can reach the template or bubblewrap's init. Between submissions the template kills every
other process in its pid namespace.

The next child is forked ahead of time, while the current submission is graded: given its private namespaces
and locked down ahead of time, it waits for one submission only (its descriptors and limits arrive
over a socket of its own), so that work is off the grading's critical path. A next child has run
no student code and can reach no other child: it is spared by the cleaning and handed exactly one
submission, after the cleaning has killed whatever earlier children left behind.
"""

from __future__ import annotations

import argparse
import array
import contextlib
import ctypes
import importlib
import json
import os
import signal
import socket
import time
from dataclasses import dataclass

from grader.sandbox import child, confine
from grader.sandbox.policy import BASE_PRELOAD, CONFINEMENT_FAILED, SCRATCH, WRITABLE_DIRS

MAX_CONTROL_BYTES = 64 * 1024
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36


def _prctl(option: int, value: int) -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(option, value, 0, 0, 0)
    except (OSError, AttributeError):
        pass


def _receive(sock: socket.socket) -> tuple[dict, list[int]]:
    fds = array.array("i")
    message, ancillary, _, _ = sock.recvmsg(MAX_CONTROL_BYTES, socket.CMSG_SPACE(8 * fds.itemsize))
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    if not message:
        raise EOFError
    return json.loads(message), list(fds)


def _reply(sock: socket.socket, message: dict) -> None:
    sock.send(json.dumps(message).encode())


@dataclass
class _NextChild:
    """A child forked ahead of time, confined in private namespaces with tmpfs mounts of `scratch_bytes`, waiting for one submission."""

    pid: int
    jobs: socket.socket
    scratch_bytes: int


def _enter_private_namespaces(control: socket.socket, scratch_bytes: int) -> None:
    """In a forked child: a session of its own, private namespaces, no privileges, an empty working folder."""
    control.close()
    os.setsid()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    # Locked down later, in its pid namespace's init, once that has mounted the namespace's own /proc.
    child.confine_or_exit(namespaces=lambda: confine.private_namespaces(WRITABLE_DIRS, scratch_bytes), lock=False)
    scratch = f"{SCRATCH}/work"
    os.mkdir(scratch, 0o700)
    os.chdir(scratch)
    os.environ["HOME"] = os.environ["TMPDIR"] = scratch


def _serve_submission(message: dict, fds: list[int]) -> None:
    """In a confined child: take the submission's output and bytes, set its limits, wait, serve it."""
    request_fd, response_fd, stdout_fd, stderr_fd, source_fd = fds
    os.dup2(stdout_fd, 1)
    os.dup2(stderr_fd, 2)
    with os.fdopen(source_fd, "rb") as stream:
        source = stream.read(message["max_bytes"] + 1)
    for fd in (stdout_fd, stderr_fd):
        os.close(fd)
    child.limit_resources(message["data_mb"], message["cpu_seconds"], message["file_mb"])
    # Joined to its cgroup only now (the grader does it before the go-ahead), so every process
    # below, the pid namespace's init and the student's process, is inside the cgroup too.
    if child.await_go_ahead(request_fd):
        confine.in_own_pid_namespace(
            lambda: child.serve(message["path"], request_fd, response_fd, source=source, go_ahead_received=True),
            keep_fds=(request_fd, response_fd), setup=confine.own_proc_and_lock_down)


def _run_child(message: dict, fds: list[int], control: socket.socket) -> None:
    """In a child forked for this submission now (no next child forked ahead could take it)."""
    try:
        _enter_private_namespaces(control, message["scratch_bytes"])
        _serve_submission(message, fds)
    finally:
        os._exit(0)


def _fork_next_child(control: socket.socket, scratch_bytes: int) -> _NextChild:
    """Fork the next child now and let it confine itself while the current submission is graded."""
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    pid = os.fork()
    if pid == 0:
        try:
            ours.close()
            _enter_private_namespaces(control, scratch_bytes)
            try:
                message, fds = _receive(theirs)
            except (EOFError, OSError, ValueError):
                os._exit(0)   # the template went away, or replaced this child: it never ran anything
            theirs.close()
            if len(fds) == 5:
                _serve_submission(message, fds)
        finally:
            os._exit(0)
    theirs.close()
    return _NextChild(pid, ours, scratch_bytes)


def _hand_over(next_child: _NextChild, message: dict, fds: list[int]) -> bool:
    """Give the next child this one submission; False when it cannot take it (then it is gone)."""
    try:
        alive = os.waitpid(next_child.pid, os.WNOHANG)[0] == 0
    except ChildProcessError:   # already reaped: it died on its own
        alive = False
    try:
        if alive and next_child.scratch_bytes == message["scratch_bytes"]:
            next_child.jobs.sendmsg([json.dumps(message).encode()],
                                  [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))])
            return True
    except OSError:
        pass
    finally:
        next_child.jobs.close()
    if alive:   # not reaped yet, so its pid cannot belong to anyone else
        with contextlib.suppress(ProcessLookupError):
            os.kill(next_child.pid, signal.SIGKILL)
    return False


def _clean(own_pid: int, statuses: dict[int, int], spare: int | None = None) -> int:
    """Kill every process of the namespace but init, this one and the next child, and reap them.

    Files need no wiping: each child wrote only to tmpfs mounts of its own mount namespace, which
    vanish with its last process.
    """
    killed = 0
    pause = 0.0005
    for _ in range(40):   # at most about 0.2 s: a process being torn down can take a moment to vanish
        victims = [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and int(entry) not in (1, own_pid, spare)]
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        statuses.update(_reap())
        time.sleep(pause)
        pause = min(pause * 2, 0.005)
    return killed


def _probe_private_namespaces() -> str | None:
    """Fork once and try what every child will do; None when it works, else why not."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_fd)
        try:
            confine.private_namespaces(WRITABLE_DIRS, 1 << 20)
            confine.in_own_pid_namespace(lambda: None, keep_fds=(), setup=confine.own_proc_and_lock_down)
        except BaseException as exc:  # noqa: BLE001 - reported to the grader, which falls back to cold children
            os.write(write_fd, str(exc).encode(errors="replace")[:500])
            os._exit(1)
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as stream:
        problem = stream.read().decode(errors="replace")
    _, status = os.waitpid(pid, 0)
    if status == 0:
        return None
    if os.WIFEXITED(status) and os.WEXITSTATUS(status) == CONFINEMENT_FAILED:
        return problem or "a child could not mount its own /proc or lock itself down"
    return problem or f"the probe exited with status {status}"


def _reap() -> dict[int, int]:
    statuses = {}
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            break
        if pid == 0:
            break
        statuses[pid] = status
    return statuses


def _returncode(status: int) -> int:
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="grader-warm-template")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--preload", default=",".join(BASE_PRELOAD), help="modules to import, in order (policy.preload_for)")
    options = parser.parse_args(argv)
    for name in options.preload.split(","):
        if name:
            importlib.import_module(name)   # import only: no operation may run before fork
    child.lab.install()   # once here, inherited by every child (which then skips it)
    _prctl(PR_SET_DUMPABLE, 0)          # children may not ptrace or read the template's memory
    _prctl(PR_SET_CHILD_SUBREAPER, 1)   # orphaned grandchildren come back here to be reaped
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    control = socket.socket(fileno=options.control_fd)
    own_pid = os.getpid()
    statuses: dict[int, int] = {}
    namespaces_problem = _probe_private_namespaces()
    _reply(control, {"ready": True, "pid": own_pid, "namespaces_problem": namespaces_problem})
    next_child: _NextChild | None = None

    def spared() -> int | None:
        return next_child.pid if next_child is not None else None

    while True:
        try:
            message, fds = _receive(control)
        except (EOFError, ConnectionError, OSError, ValueError):
            _clean(own_pid, statuses)
            return
        command = message.get("command")
        if command == "spawn" and len(fds) == 5:
            # Whatever an earlier child left running never meets the next one.
            _clean(own_pid, statuses, spare=spared())
            handed = next_child is not None and _hand_over(next_child, message, fds)
            if handed:
                assert next_child is not None
                pid = next_child.pid
            else:
                pid = os.fork()
                if pid == 0:
                    _run_child(message, fds, control)
            next_child = None
            for fd in fds:
                os.close(fd)
            _reply(control, {"pid": pid, "forked_ahead": handed})
            if namespaces_problem is None:
                next_child = _fork_next_child(control, message["scratch_bytes"])
        elif command == "next_child":   # so the grader can put it into its cgroups ahead of time
            _reply(control, {"pid": next_child.pid if next_child is not None else None})
        elif command == "poll":
            statuses.update(_reap())
            status = statuses.get(int(message.get("pid") or 0))
            _reply(control, {"returncode": None if status is None else _returncode(status)})
            if status is not None:   # the child is gone: clean up after it while the grader goes on
                _clean(own_pid, statuses, spare=spared())
                statuses.clear()
        elif command == "clean":
            _reply(control, {"cleaning": True})
            _clean(own_pid, statuses, spare=spared())
            statuses.clear()
        else:
            for fd in fds:
                os.close(fd)
            _reply(control, {"error": f"unknown command {command!r}"})


if __name__ == "__main__":
    main()
