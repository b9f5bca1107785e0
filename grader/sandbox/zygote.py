"""The warm template: imports numpy (and TensorFlow) once, then forks one fresh child per submission.

Runs inside its own bubblewrap sandbox and holds no checks, solutions or secrets: it only ever
sees the bytes of the submission it is asked to run, passed as a file descriptor. It imports and
does nothing else (a parent that ran a TensorFlow operation before forking deadlocks its
children). Between submissions it kills every other process in its pid namespace and wipes the
writable directories, so one submission never meets another's leftovers.
"""

from __future__ import annotations

import argparse
import array
import ctypes
import json
import os
import shutil
import signal
import socket
import sys
import time

from grader.sandbox import child

MAX_CONTROL_BYTES = 64 * 1024
PR_SET_DUMPABLE = 4
PR_SET_CHILD_SUBREAPER = 36
WRITABLE_DIRS = ("/scratch", "/tmp", "/dev/shm")


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


def _run_child(message: dict, fds: list[int], control: socket.socket) -> None:
    """In the forked child: become a fresh session with its own output and scratch, then serve."""
    request_fd, response_fd, stdout_fd, stderr_fd, source_fd = fds
    try:
        control.close()
        os.setsid()
        os.dup2(stdout_fd, 1)
        os.dup2(stderr_fd, 2)
        with os.fdopen(source_fd, "rb") as stream:
            source = stream.read(message["max_bytes"] + 1)
        for fd in (stdout_fd, stderr_fd):
            os.close(fd)
        scratch = f"/scratch/work-{os.getpid()}"
        os.mkdir(scratch, 0o700)
        os.chdir(scratch)
        os.environ["HOME"] = os.environ["TMPDIR"] = scratch
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        child.limit_resources(message["data_mb"], message["cpu_seconds"], message["file_mb"])
        child.serve(message["path"], request_fd, response_fd, source=source)
    finally:
        os._exit(0)


def _clean(own_pid: int) -> int:
    """Kill every process of the namespace but init and this one, reap them, wipe writable dirs."""
    killed = 0
    for _ in range(20):
        victims = [int(entry) for entry in os.listdir("/proc") if entry.isdigit() and int(entry) not in (1, own_pid)]
        if not victims:
            break
        for pid in victims:
            try:
                os.kill(pid, signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
        _reap()
        time.sleep(0.005)
    for folder in WRITABLE_DIRS:
        try:
            entries = os.listdir(folder)
        except OSError:
            continue
        for name in entries:
            path = os.path.join(folder, name)
            if _holds_mount(path):
                continue   # a read-only bind of the Python installation, not a leftover
            if os.path.isdir(path) and not os.path.islink(path):
                shutil.rmtree(path, ignore_errors=True)
            else:
                try:
                    os.unlink(path)
                except OSError:
                    pass
    return killed


def _holds_mount(path: str) -> bool:
    try:
        with open("/proc/self/mounts") as mounts:
            points = [line.split()[1] for line in mounts]
    except OSError:
        return True
    return any(point == path or point.startswith(path.rstrip("/") + "/") for point in points)


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
    parser = argparse.ArgumentParser(prog="grader-zygote")
    parser.add_argument("--control-fd", type=int, required=True)
    parser.add_argument("--preload", default="numpy")
    options = parser.parse_args(argv)
    for name in options.preload.split(","):
        if name == "tensorflow":
            import tensorflow  # noqa: F401  (import only: no operation may run before fork)
            import keras  # noqa: F401
        elif name:
            __import__(name)
    _prctl(PR_SET_DUMPABLE, 0)          # children may not ptrace or read the template's memory
    _prctl(PR_SET_CHILD_SUBREAPER, 1)   # orphaned grandchildren come back here to be reaped
    signal.signal(signal.SIGCHLD, signal.SIG_DFL)
    control = socket.socket(fileno=options.control_fd)
    own_pid = os.getpid()
    statuses: dict[int, int] = {}
    _reply(control, {"ready": True, "pid": own_pid})

    while True:
        try:
            message, fds = _receive(control)
        except (EOFError, ConnectionError, OSError, ValueError):
            _clean(own_pid)
            return
        command = message.get("command")
        if command == "spawn" and len(fds) == 5:
            pid = os.fork()
            if pid == 0:
                _run_child(message, fds, control)
            for fd in fds:
                os.close(fd)
            _reply(control, {"pid": pid})
        elif command == "poll":
            statuses.update(_reap())
            status = statuses.get(message.get("pid"))
            _reply(control, {"returncode": None if status is None else _returncode(status)})
        elif command == "clean":
            killed = _clean(own_pid)
            statuses.clear()
            _reply(control, {"killed": killed})
        else:
            for fd in fds:
                os.close(fd)
            _reply(control, {"error": f"unknown command {command!r}"})


if __name__ == "__main__":
    sys.exit(main())
