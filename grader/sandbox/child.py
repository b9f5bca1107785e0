"""The untrusted side: imports one submission and answers call requests with plain data.

Runs as `python -I -B -m grader.sandbox.child ...` in its own process. Nothing here is
believed by the grader: whatever this process sends is decoded as a returned value and judged
by the checks in the trusted process. The checks and their expected values never come here.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import importlib.util
import linecache
import os
import resource
import sys
import time
import traceback
import types
import warnings
from typing import Callable

import numpy  # noqa: F401  (imported before the submission so its copy of numpy is the real one)

from grader.sandbox import wire
from grader.sandbox import lab, packed_folder
from grader.sandbox.policy import CONFINEMENT_FAILED, CORE_DUMP_BYTES, CPU_HARD_HEADROOM_S, library_warnings_module_pattern

MAX_MESSAGE_CHARS = 2000
SUBMISSION_MODULE = "submission"


def _describe(exc: BaseException, submission_path: str) -> dict:
    """Name the exception and point at the submission's own lines, never the runner's."""
    try:
        message = str(exc)
    except BaseException:  # a hostile __str__
        message = "<the exception's message could not be read>"
    frames = []
    try:
        for frame in traceback.extract_tb(exc.__traceback__):
            if os.path.abspath(frame.filename) == submission_path:
                frames.append({"line": frame.lineno, "function": frame.name, "code": (frame.line or "")[:200]})
    except BaseException:
        frames = []
    line = getattr(exc, "lineno", None) if isinstance(exc, SyntaxError) else None
    if line is None and frames:
        line = frames[-1]["line"]
    return {
        "type": type(exc).__name__[:100],
        "message": message[:MAX_MESSAGE_CHARS],
        "line": line if type(line) is int else None,
        "frames": frames[-5:],
    }


def _failure_status(exc: BaseException) -> str:
    if isinstance(exc, MemoryError):
        return "memory"
    if isinstance(exc, OSError) and exc.errno == errno.EFBIG:
        return "file_size"
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return "scratch_space"
    if isinstance(exc, RecursionError):
        return "raised"
    if isinstance(exc, SystemExit):
        return "exited"
    return "raised"


def _import_submission(path: str, source: bytes | None = None):
    """Import from the file, or (in a warm child that cannot see the file) from its bytes."""
    if source is None:
        spec = importlib.util.spec_from_file_location(SUBMISSION_MODULE, path)
        if spec is None or spec.loader is None:
            raise ImportError(f"cannot load {path}")
        module = importlib.util.module_from_spec(spec)
        sys.modules[SUBMISSION_MODULE] = module
        spec.loader.exec_module(module)
        return module
    text = source.decode("utf-8")
    linecache.cache[path] = (len(text), None, text.splitlines(keepends=True), path)
    module = types.ModuleType(SUBMISSION_MODULE)
    module.__file__ = path
    sys.modules[SUBMISSION_MODULE] = module
    exec(compile(text, path, "exec"), module.__dict__)
    return module


def _entry(path: str, source: bytes | None) -> tuple[str, bytes | None]:
    """A packed folder's entry module (its helper modules made importable from memory); a plain file as it is."""
    if not packed_folder.is_packed(path):
        return path, source
    if source is None:
        with open(path, "rb") as stream:
            source = stream.read()
    unpacked = packed_folder.unpack(path, source)
    packed_folder.install(unpacked.helpers)
    return unpacked.entry_path, unpacked.entry_text.encode("utf-8")


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:
            pass


def _send(fd: int, message: dict) -> None:
    _flush()
    try:
        wire.write_frame(fd, message)
    except wire.Unsupported as exc:
        wire.write_frame(fd, {"id": message.get("id"), "status": "unsupported", "error": {"type": "Unsupported", "message": str(exc)}})


def _seed_generators(seed: int) -> None:
    """Python's, numpy's and Keras' generators as the grader seeds them before a call, so the same file under the
    same seed gives the same training. Keras only when the submission imported it."""
    import random

    random.seed(seed)
    numpy.random.seed(seed)
    keras = sys.modules.get("keras")
    if keras is not None:
        with contextlib.suppress(Exception):   # a partly imported or replaced keras: its own generators stay as they are
            keras.utils.set_random_seed(seed)


def _answer(module, request: dict, submission_path: str) -> dict:
    name = request.get("function")
    function = getattr(module, name, None) if isinstance(name, str) else None
    if not callable(function):
        return {"status": "missing", "error": {"type": "AttributeError", "message": f"no function named {name!r}"}}
    args = wire.decode(request.get("args", []), pandas=True)
    kwargs = wire.decode(request.get("kwargs", {"dict": []}), pandas=True)
    seed = request.get("seed")
    if type(seed) is int:
        _seed_generators(seed)
    started = time.perf_counter()
    try:
        value = function(*args, **kwargs)
    except BaseException as exc:  # noqa: BLE001 - every failure of the submission is data
        return {"status": _failure_status(exc), "error": _describe(exc, submission_path),
                "elapsed": time.perf_counter() - started}
    elapsed = time.perf_counter() - started
    try:
        answer = {"status": "ok", "value": wire.encode(value), "elapsed": elapsed}
        if request.get("return_args"):
            answer["args_after"] = wire.encode(list(args))
    except wire.Unsupported as exc:
        return {"status": "unsupported", "error": {"type": "Unsupported", "message": str(exc)}}
    except RecursionError:
        return {"status": "unsupported", "error": {"type": "Unsupported", "message": "the returned value is nested too deeply"}}
    except MemoryError:
        return {"status": "memory", "error": {"type": "MemoryError", "message": "ran out of memory while returning the value"}}
    return answer


def limit_resources(data_mb: int, cpu_seconds: int, file_mb: int) -> None:
    """Set before the submission is imported; a process cannot raise its own hard limits again.

    RLIMIT_DATA is a backstop behind the grader's memory guard (a cgroup or a watchdog): it turns
    one giant allocation into a MemoryError, and unlike RLIMIT_AS it lets TensorFlow import.
    """
    def clamp(kind: int, value: int, headroom: int = 0) -> None:
        soft, hard = resource.getrlimit(kind)
        limit = value + headroom
        if hard != resource.RLIM_INFINITY:
            value, limit = min(value, hard), min(limit, hard)
        resource.setrlimit(kind, (value, limit))

    if data_mb:
        clamp(resource.RLIMIT_DATA, data_mb * 1024 * 1024)
    if cpu_seconds:
        clamp(resource.RLIMIT_CPU, cpu_seconds, headroom=CPU_HARD_HEADROOM_S)   # SIGXCPU first, so the limit can be named
    if file_mb:
        clamp(resource.RLIMIT_FSIZE, file_mb * 1024 * 1024)
    clamp(resource.RLIMIT_CORE, CORE_DUMP_BYTES)


def parse_limits(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="grader-child")
    parser.add_argument("--submission", required=True)
    parser.add_argument("--request-fd", type=int, required=True)
    parser.add_argument("--response-fd", type=int, required=True)
    parser.add_argument("--data-mb", type=int, default=0)
    parser.add_argument("--cpu-seconds", type=int, default=0)
    parser.add_argument("--file-mb", type=int, default=0)
    parser.add_argument("--confine", action="store_true", help="drop capabilities and load the seccomp filter")
    return parser.parse_args(argv)


def await_go_ahead(requests: int) -> bool:
    """The go-ahead lets the grader put this process into its cgroup before any student code runs."""
    try:
        wire.read_frame(requests, None)
    except (wire.ChannelClosed, wire.WireError):
        return False
    return True


def serve(submission_path: str, requests: int, responses: int, source: bytes | None = None,
          go_ahead_received: bool = False) -> None:
    """Wait for the go-ahead (unless already received), import the submission, then answer calls
    until the channel closes."""
    if not go_ahead_received and not await_go_ahead(requests):
        return
    # The submission's folder goes last, so a file named numpy.py there shadows nothing.
    sys.path.append(os.path.dirname(submission_path))
    lab.install()   # course lab code: Keras 2 spellings, the course's data offline, no-network messages
    warnings.filterwarnings("ignore", module=library_warnings_module_pattern())   # theirs, not the student's
    submission_path, source = _entry(submission_path, source)   # the folder's files, packed by the grader
    # The sandbox is set up (launcher, cgroups, confinement, limits, pid namespace, the lab) and no student code
    # has run: say so on the channel now. A process that dies before this frame is the grader's failure, one that
    # dies after it is the student's, so no exit code or signal of the student's can read as the grader's, or hide it.
    wire.write_frame(responses, wire.SANDBOX_READY)
    try:
        started = time.perf_counter()
        module = _import_submission(submission_path, source)
    except BaseException as exc:  # noqa: BLE001
        status = _failure_status(exc)
        _send(responses, {"ready": False, "status": status, "error": _describe(exc, submission_path)})
        return
    # How long the student's own code ran: the grader believes it only up to the time it measured itself.
    _send(responses, {"ready": True, "elapsed": time.perf_counter() - started})

    while True:
        try:
            request = wire.read_frame(requests, None)
        except (wire.ChannelClosed, wire.WireError):
            return
        answer = _answer(module, request, submission_path)
        answer["id"] = request.get("id")
        _send(responses, answer)


def confine_or_exit(namespaces: Callable[[], None] | None = None, lock: bool = True) -> None:
    """Confine this process before any student code runs, or exit with a code the grader recognises.
    `lock=False` leaves `lock_down` to the caller (a warm child's pid namespace init, which needs its
    capabilities to mount its own /proc first)."""
    from grader.sandbox import confine

    try:
        if namespaces is not None:
            namespaces()
        if lock:
            confine.lock_down()
    except (confine.ConfinementFailed, OSError) as exc:
        os.write(2, f"grader: the sandbox could not confine itself: {exc}\n".encode(errors="replace"))
        os._exit(CONFINEMENT_FAILED)


def main(argv: list[str] | None = None) -> None:
    options = parse_limits(argv)
    limit_resources(options.data_mb, options.cpu_seconds, options.file_mb)
    submission = os.path.abspath(options.submission)
    if options.confine and _own_pid_namespace():
        # As a warm child: the student's process runs under an init of ours (not dumpable, locked down, its own
        # /proc), never beside bubblewrap's init, which is dumpable and unfiltered (its /proc/1/mem was writable).
        from grader.sandbox import confine

        confine.in_own_pid_namespace(lambda: serve(submission, options.request_fd, options.response_fd),
                                     keep_fds=(options.request_fd, options.response_fd),
                                     setup=confine.own_proc_and_lock_down)
    if options.confine:
        confine_or_exit()
    serve(submission, options.request_fd, options.response_fd)


def _own_pid_namespace() -> bool:
    """New user, mount, IPC, network and pid namespaces for a cold child, not dumpable; False where the kernel
    forbids nested namespaces (the child then locks itself down beside bubblewrap's init, as before)."""
    from grader.sandbox import confine

    try:
        confine.private_namespaces((), 0)
    except confine.ConfinementFailed as exc:
        if str(exc).startswith("unshare"):
            return False   # nothing changed yet
        os.write(2, f"grader: the sandbox could not confine itself: {exc}\n".encode(errors="replace"))
        os._exit(CONFINEMENT_FAILED)
    except OSError as exc:
        os.write(2, f"grader: the sandbox could not confine itself: {exc}\n".encode(errors="replace"))
        os._exit(CONFINEMENT_FAILED)
    return True


if __name__ == "__main__":
    main()
