"""What a sandboxed process does to itself before the student's code runs.

`private_namespaces` gives a child forked from the warm template its own user, mount, IPC and pid
namespaces with fresh, empty tmpfs mounts where it may write, so nothing an earlier child left
(files, System V IPC objects, processes) is visible to it and nothing it leaves outlives it; in its
own pid namespace the student's code cannot name the template or bubblewrap's init, so it cannot
signal them or change their limits, priority or CPU affinity (`in_own_pid_namespace`). `lock_down` then drops every
capability, sets no_new_privs and loads the seccomp filter, so the student's code can neither undo
this nor reach anything beyond it (no ptrace of the template or bubblewrap's init, no new namespaces).
Everything here runs inside the sandbox and uses only system calls through ctypes.
"""

from __future__ import annotations

import ctypes
import os
import signal
import struct
from typing import Callable, NoReturn

from grader.sandbox import seccomp
from grader.sandbox.policy import CHILD_NAMESPACES, CONFINEMENT_FAILED, NAMESPACE_CLONE_FLAGS

MS_NOEXEC = 0x8
MS_REMOUNT = 0x20
PR_SET_PDEATHSIG = 1
MS_RDONLY = 0x1
MS_NOSUID = 0x2
MS_NODEV = 0x4
MS_BIND = 0x1000
MS_REC = 0x4000
MS_PRIVATE = 1 << 18
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
CAPABILITY_VERSION_3 = 0x20080522
LAST_CAPABILITY = 63   # past the kernel's last one; dropping an unknown number fails harmlessly


class ConfinementFailed(RuntimeError):
    """The process could not confine itself; it must not run student code."""


_libc = ctypes.CDLL(None, use_errno=True)


def _check(result: int, what: str) -> None:
    if result != 0:
        number = ctypes.get_errno()
        raise ConfinementFailed(f"{what}: {os.strerror(number)}")


def _write(path: str, text: str) -> None:
    with open(path, "w") as stream:
        stream.write(text)


def _mount(source: str, target: str, kind: str | None, flags: int, data: str | None = None) -> None:
    _check(_libc.mount(source.encode(), target.encode(), kind.encode() if kind else None, flags,
                       data.encode() if data else None), f"mount {target}")


def _mount_points() -> list[str]:
    with open("/proc/self/mountinfo") as stream:
        return [line.split()[4].replace("\\040", " ") for line in stream]


def private_namespaces(writable_dirs: tuple[str, ...], size_bytes: int) -> None:
    """New user, mount, IPC, network and pid namespaces; a fresh tmpfs on each writable folder.

    The pid namespace takes effect for the children forked afterwards (`in_own_pid_namespace`, whose init
    mounts the namespace's own /proc with `own_proc_and_lock_down`). The network namespace is the child's own
    (a loopback that is down, nothing else), so nothing a child leaves in the kernel's socket tables (TIME_WAIT
    entries in /proc/net/tcp) reaches the next child.

    Read-only binds that sit under a writable folder (a virtual environment under /tmp) are bound
    again on top of the fresh tmpfs, through a file descriptor opened before it covered them.
    """
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(sum(NAMESPACE_CLONE_FLAGS[name] for name in CHILD_NAMESPACES)), "unshare")
    # A template's child inherits "not dumpable", which makes /proc/self root's: writable again only for the maps.
    _libc.prctl(PR_SET_DUMPABLE, 1, 0, 0, 0)
    try:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"{uid} {uid} 1")
        _write("/proc/self/gid_map", f"{gid} {gid} 1")
    finally:
        _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
    _mount("none", "/", None, MS_REC | MS_PRIVATE)
    points = _mount_points()
    for folder in writable_dirs:
        inner = [point for point in points if point.startswith(folder.rstrip("/") + "/")]
        inner = [point for point in inner if not any(point.startswith(other + "/") for other in inner)]
        held = {point: os.open(point, os.O_PATH | os.O_CLOEXEC) for point in inner}
        try:
            _mount("tmpfs", folder, "tmpfs", MS_NOSUID | MS_NODEV, f"size={size_bytes},mode=1777")
            for point, fd in held.items():
                os.makedirs(point, exist_ok=True)
                _mount(f"/proc/self/fd/{fd}", point, None, MS_BIND | MS_REC)
        finally:
            for fd in held.values():
                os.close(fd)


class _CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _CapData(ctypes.Structure):
    _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32), ("inheritable", ctypes.c_uint32)]


def drop_capabilities() -> None:
    """Empty the bounding, ambient, effective, permitted and inheritable sets, in this namespace too."""
    for capability in range(LAST_CAPABILITY + 1):
        _libc.prctl(PR_CAPBSET_DROP, capability, 0, 0, 0)   # EINVAL past the last one, EPERM if gone: fine
    _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    header = _CapHeader(CAPABILITY_VERSION_3, 0)
    data = (_CapData * 2)()
    _check(_libc.capset(ctypes.byref(header), data), "capset")


def lock_down() -> None:
    """No capabilities, no_new_privs, the seccomp filter: the last thing before student code runs."""
    drop_capabilities()
    try:
        seccomp.install()
    except OSError as exc:
        raise ConfinementFailed(f"seccomp: {exc}") from None


def own_proc_and_lock_down() -> None:
    """In the init of a pid namespace `private_namespaces` made: a fresh procfs of this namespace on /proc (the
    template's lists the template, its init and the next child forked ahead, with their command lines), then
    `lock_down`. Mounting needs the capabilities `lock_down` drops, and only a process inside the namespace
    mounts its procfs, so this runs here, before the student's process is forked.

    The kernel allows the mount only where the /proc it covers is fully visible: the warm template's
    bubblewrap binds nothing over parts of its /proc (`BwrapLauncher.sandbox_options`)."""
    _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
    _mount("/proc/sys", "/proc/sys", None, MS_BIND | MS_REC)   # read-only, as bubblewrap's /proc/sys is
    _mount("none", "/proc/sys", None, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC)
    lock_down()


def in_own_pid_namespace(run: Callable[[], None], keep_fds: tuple[int, ...],
                         setup: Callable[[], None] | None = None) -> NoReturn:
    """Run `run` as pid 2 of the pid namespace `private_namespaces` made, under an init of ours as pid 1.

    `setup` runs in the init first (`own_proc_and_lock_down`); if it fails, nothing is forked and this process
    exits with CONFINEMENT_FAILED, before the channel has said the sandbox is ready: the grader's failure.

    The init reaps orphans and, when the student's process ends, ends too, which makes the kernel kill
    whatever else is left in the namespace. Each level passes the exact wait status up (through a
    pipe: an init cannot die of a signal it sends itself), and this process ends the same way, so the
    grader sees the student's own exit code or signal. `keep_fds` (the call channel) are closed in
    every process but the student's, so the grader sees the channel close when that process dies.
    """
    status_read, status_write = os.pipe()
    init = os.fork()
    if init == 0:
        os.close(status_read)
        _die_with_parent()
        if setup is not None:
            try:
                setup()
            except (ConfinementFailed, OSError) as exc:
                os.write(2, f"grader: the sandbox could not confine itself: {exc}\n".encode(errors="replace"))
                os.write(status_write, struct.pack("i", CONFINEMENT_FAILED << 8))   # the wait status of exit(96)
                os._exit(CONFINEMENT_FAILED)
        worker = os.fork()
        if worker == 0:
            os.close(status_write)
            try:
                run()
            finally:
                os._exit(0)
        for number in (signal.SIGINT, signal.SIGTERM):   # Python's handlers would let the student's signals end it
            signal.signal(number, signal.SIG_DFL)
        _close(keep_fds)
        os.write(status_write, struct.pack("i", _reap_until(worker)))
        os._exit(0)
    os.close(status_write)
    _close(keep_fds)
    if setup is not None:
        try:   # this process runs no student code and no one can name it; locked down all the same
            lock_down()
        except (ConfinementFailed, OSError):
            pass
    _reap_until(init)
    with os.fdopen(status_read, "rb") as stream:
        data = stream.read(4)
    _exit_as(struct.unpack("i", data)[0] if len(data) == 4 else signal.SIGKILL)


def _die_with_parent() -> None:
    parent = os.getppid()
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:   # the parent died before the line above
        os._exit(1)


def _close(fds: tuple[int, ...]) -> None:
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass


def _reap_until(pid: int) -> int:
    """Reap every child (an init adopts orphans) until `pid` ends; its wait status."""
    while True:
        try:
            done, status = os.waitpid(-1, 0)
        except ChildProcessError:
            return signal.SIGKILL
        if done == pid:
            return status


def _exit_as(status: int) -> NoReturn:
    if os.WIFSIGNALED(status):
        number = os.WTERMSIG(status)
        if number not in (signal.SIGKILL, signal.SIGSTOP):   # their handling cannot be set, nor needs to be
            signal.signal(number, signal.SIG_DFL)
        os.kill(os.getpid(), number)
    os._exit(os.WEXITSTATUS(status) if os.WIFEXITED(status) else 1)
