"""The seccomp filter, built from `policy.SECCOMP_RULES` as a classic BPF program (no libseccomp needed).

Installed by the sandboxed process on itself just before the student's code runs. The rules are evaluated in the
table's order: a foreign architecture's call ends the process, x32 calls and every listed call fail with the
rule's error (EPERM, so the student's code sees an ordinary error instead of a crash; ENOSYS for clone3, which
makes the C library fall back to clone, whose flags the filter can inspect), clone with namespace flags fails with
EPERM, and everything else runs.
"""

from __future__ import annotations

import ctypes
import errno
import platform
import struct

from grader.sandbox.policy import NAMESPACE_CLONE_FLAGS, SECCOMP_RULES, SYSCALL_NUMBERS_X86_64, Action, Match

AUDIT_ARCH_X86_64 = 0xC000003E
X32_SYSCALL_BIT = 0x40000000
CLONE_NAMESPACE_FLAGS = sum(NAMESPACE_CLONE_FLAGS.values())

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
_RETURN = {Action.EPERM: RET_ERRNO | errno.EPERM, Action.ENOSYS: RET_ERRNO | errno.ENOSYS,
           Action.KILL_PROCESS: RET_KILL_PROCESS, Action.ALLOW: RET_ALLOW}
# The order the program can test in: the architecture before any number, and clone's flags last but the default.
_ORDER = [Match.FOREIGN_ARCHITECTURE, Match.X32_ABI, Match.SYSCALLS, Match.CLONE_NAMESPACE_FLAGS, Match.OTHERWISE]


def supported() -> bool:
    return platform.machine() in ("x86_64", "AMD64")


def _stmt(code: int, k: int) -> tuple[int, int, int, int]:
    return (code, 0, 0, k)


def _jump(code: int, k: int, jt: int, jf: int) -> tuple[int, int, int, int]:
    return (code, jt, jf, k)


def program(rules=SECCOMP_RULES) -> list[tuple[int, int, int, int]]:
    """The filter as (code, jt, jf, k) instructions, one rule after another in the table's order."""
    positions = [_ORDER.index(rule.match) for rule in rules]
    if positions != sorted(positions) or [rule.match for rule in rules].count(Match.OTHERWISE) != 1 \
            or rules[0].match is not Match.FOREIGN_ARCHITECTURE:
        raise ValueError("the seccomp rules must start with the architecture, end with the default, and keep "
                         "clone's flags after every number")
    code = [_stmt(_LD_W_ABS, _ARCH_OFFSET)]
    for rule in rules:
        answer = _RETURN[rule.action]
        if rule.match is Match.FOREIGN_ARCHITECTURE:
            code += [_jump(_JEQ_K, AUDIT_ARCH_X86_64, 1, 0), _stmt(_RET_K, answer), _stmt(_LD_W_ABS, _NR_OFFSET)]
        elif rule.match is Match.X32_ABI:
            code += [_jump(_JGE_K, X32_SYSCALL_BIT, 0, 1), _stmt(_RET_K, answer)]
        elif rule.match is Match.SYSCALLS:
            for number in sorted({SYSCALL_NUMBERS_X86_64[name] for name in rule.syscalls}):
                code += [_jump(_JEQ_K, number, 0, 1), _stmt(_RET_K, answer)]
        elif rule.match is Match.CLONE_NAMESPACE_FLAGS:   # clone's flags: the default follows right after
            code += [_jump(_JEQ_K, SYSCALL_NUMBERS_X86_64["clone"], 0, 3), _stmt(_LD_W_ABS, _ARG0_OFFSET),
                     _jump(_JSET_K, CLONE_NAMESPACE_FLAGS, 0, 1), _stmt(_RET_K, answer)]
        else:
            code += [_stmt(_RET_K, answer)]
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
