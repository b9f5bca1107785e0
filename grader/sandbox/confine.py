"""What a sandboxed process does to itself before the student's code runs.

`private_rooms` gives a child forked from the warm template its own user, mount and IPC namespaces
with fresh, empty tmpfs mounts where it may write, so nothing an earlier child left (files, System V
IPC objects) is visible to it and nothing it leaves outlives it. `lock_down` then drops every
capability, sets no_new_privs and loads the seccomp filter, so the student's code can neither undo
this nor reach anything beyond it (no ptrace of the template or bubblewrap's init, no new namespaces).
Everything here runs inside the sandbox and uses only system calls through ctypes.
"""

from __future__ import annotations

import ctypes
import os

from grader.sandbox import seccomp

CLONE_NEWNS = 0x00020000
CLONE_NEWIPC = 0x08000000
CLONE_NEWUSER = 0x10000000
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
LAST_CAPABILITY = 63
CONFINEMENT_FAILED = 96   # exit code of a process that could not confine itself, before any student code   # past the kernel's last one; dropping an unknown number fails harmlessly


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


def private_rooms(writable_dirs: tuple[str, ...], size_bytes: int) -> None:
    """New user, mount and IPC namespaces; a fresh tmpfs on each writable folder.

    Read-only binds that sit under a writable folder (a virtual environment under /tmp) are bound
    again on top of the fresh tmpfs, through a file descriptor opened before it covered them.
    """
    uid, gid = os.getuid(), os.getgid()
    _check(_libc.unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWIPC), "unshare")
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
