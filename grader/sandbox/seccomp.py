"""A seccomp filter that refuses the system calls a grading never needs and that widen the attack surface.

Built here as a classic BPF program (no libseccomp needed) and installed by the sandboxed process on
itself just before the student's code runs: ptrace and cross-process memory access, keyrings, bpf,
perf events, every mount and namespace operation (unshare, setns, clone with namespace flags), kernel
modules and kexec, file handles, userfaultfd, personality changes, io_uring and the like. A refused
call fails with EPERM, so the student's code sees an ordinary error instead of a crash. clone3 fails
with ENOSYS, which makes the C library fall back to clone, whose flags the filter can inspect.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

AUDIT_ARCH_X86_64 = 0xC000003E

# x86_64 numbers (arch/x86/entry/syscalls/syscall_64.tbl); other architectures get no filter and say so.
BLOCKED_X86_64: dict[str, int] = {
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
    "process_madvise": 440, "kcmp": 312,
    "keyctl": 250, "add_key": 248, "request_key": 249,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "personality": 135,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    "unshare": 272, "setns": 308,
    "setsid": 112,   # each new session is a scheduling autogroup of its own: 40 of them took another student's CPU
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313, "delete_module": 176,
    "open_by_handle_at": 304, "name_to_handle_at": 303,
    "swapon": 167, "swapoff": 168, "reboot": 169, "sethostname": 170, "setdomainname": 171, "acct": 163,
    "quotactl": 179, "iopl": 172, "ioperm": 173, "syslog": 103, "vhangup": 153, "uselib": 134,
    "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
    "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "fanotify_init": 300,
    "lookup_dcookie": 212,
}
CLONE_X86_64 = 56
CLONE3_X86_64 = 435
X32_SYSCALL_BIT = 0x40000000

# CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET
CLONE_NAMESPACE_FLAGS = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000

# Classic BPF opcodes and seccomp return values (linux/filter.h, linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
RET_KILL_PROCESS = 0x80000000
RET_ERRNO = 0x00050000
RET_ALLOW = 0x7FFF0000
_NR_OFFSET, _ARCH_OFFSET, _ARG0_OFFSET = 0, 4, 16   # struct seccomp_data (args[0]'s low word, little-endian)


def supported() -> bool:
    return platform.machine() in ("x86_64", "AMD64")


def _stmt(code: int, k: int) -> tuple[int, int, int, int]:
    return (code, 0, 0, k)


def _jump(code: int, k: int, jt: int, jf: int) -> tuple[int, int, int, int]:
    return (code, jt, jf, k)


def program() -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions: arch check, blocked numbers, clone's flags, allow."""
    eperm = RET_ERRNO | errno.EPERM
    blocked = sorted(set(BLOCKED_X86_64.values()))
    code = [
        _stmt(_LD_W_ABS, _ARCH_OFFSET),
        _jump(_JEQ_K, AUDIT_ARCH_X86_64, 1, 0),
        _stmt(_RET_K, RET_KILL_PROCESS),            # 32-bit or foreign system calls: never
        _stmt(_LD_W_ABS, _NR_OFFSET),
        _jump(_JGE_K, X32_SYSCALL_BIT, 0, 1),
        _stmt(_RET_K, eperm),                        # the x32 ABI duplicates every call: refuse it whole
        _jump(_JEQ_K, CLONE3_X86_64, 0, 1),
        _stmt(_RET_K, RET_ERRNO | errno.ENOSYS),
    ]
    for number in blocked:
        code += [_jump(_JEQ_K, number, 0, 1), _stmt(_RET_K, eperm)]
    code += [
        _jump(_JEQ_K, CLONE_X86_64, 0, 3),
        _stmt(_LD_W_ABS, _ARG0_OFFSET),
        _jump(_JSET_K, CLONE_NAMESPACE_FLAGS, 0, 1),
        _stmt(_RET_K, eperm),
        _stmt(_RET_K, RET_ALLOW),
    ]
    return code


def encode(instructions: list[tuple[int, int, int, int]]) -> bytes:
    """struct sock_filter[]: u16 code, u8 jt, u8 jf, u32 k."""
    return b"".join(struct.pack("=HBBI", code, jt, jf, k) for code, jt, jf, k in instructions)


class _SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


PR_SET_NO_NEW_PRIVS = 38
SYS_SECCOMP_X86_64 = 317
SECCOMP_SET_MODE_FILTER = 1
SECCOMP_FILTER_FLAG_TSYNC = 1


def install() -> None:
    """Set no_new_privs and load the filter on every thread of this process; raises OSError if refused."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS) failed")
    if not supported():
        return
    instructions = program()
    buffer = ctypes.create_string_buffer(encode(instructions))
    fprog = _SockFprog(len(instructions), ctypes.cast(buffer, ctypes.c_void_p))
    result = libc.syscall(SYS_SECCOMP_X86_64, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, ctypes.byref(fprog))
    if result != 0:
        raise OSError(ctypes.get_errno(), "seccomp(SECCOMP_SET_MODE_FILTER) failed")
