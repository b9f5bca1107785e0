"""The sandbox's policy is declared once (grader/sandbox/policy.py): docs/isolation.md shows exactly its tables,
the seccomp program does what its rule table says, and a real process under the filter is answered as the page
says (an allowed call runs, a listed call fails with EPERM, clone3 with ENOSYS, an x32 call with EPERM, a 32-bit
call ends the process). No bubblewrap needed: the filter is the one the sandboxed child loads on itself."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap

import pytest

from conftest import ROOT
from grader.course.model import Limits
from grader.sandbox import policy, seccomp
from grader.sandbox.launchers import BwrapLauncher
from grader.sandbox.policy import SECCOMP_RULES, SYSCALL_NUMBERS_X86_64, Action, Match
from grader.sandbox.policy_markdown import BEGIN, END, tables

needs_x86_64 = pytest.mark.skipif(not seccomp.supported(), reason="the seccomp filter is written for x86-64")
EPERM, ENOSYS = 1, 38


def test_the_isolation_page_shows_the_policy_tables_unchanged():
    page = (ROOT / "docs" / "isolation.md").read_text()
    assert page.count(BEGIN) == 1 and page.count(END) == 1, "docs/isolation.md lost its markers"
    shown = page[page.index(BEGIN):page.index(END) + len(END)] + "\n"
    assert shown == tables(), "docs/isolation.md is out of date: python -m grader.sandbox.policy --markdown"


def test_the_policy_module_prints_the_tables():
    printed = subprocess.run([sys.executable, "-m", "grader.sandbox.policy", "--markdown"], cwd=ROOT,
                             capture_output=True, text=True, check=True).stdout
    assert printed == tables()
    assert "x32 system calls | x32 ABI | fails with EPERM" in printed
    assert "32-bit and other foreign system calls | foreign architecture | ends the process (SIGSYS)" in printed


def _run_bpf(program, number: int, arch: int = seccomp.AUDIT_ARCH_X86_64, arg0: int = 0) -> int:
    """Classic BPF as the kernel runs a seccomp filter over struct seccomp_data (the loads and jumps it uses)."""
    data = {0: number, 4: arch, 16: arg0}
    pc = accumulator = 0
    while True:
        code, jt, jf, k = program[pc]
        if code == 0x20:
            accumulator, pc = data[k], pc + 1
        elif code == 0x06:
            return k
        else:
            taken = {0x15: accumulator == k, 0x35: accumulator >= k, 0x45: bool(accumulator & k)}[code]
            pc += 1 + (jt if taken else jf)


ANSWERS = {Action.EPERM: seccomp.RET_ERRNO | EPERM, Action.ENOSYS: seccomp.RET_ERRNO | ENOSYS,
           Action.KILL_PROCESS: seccomp.RET_KILL_PROCESS, Action.ALLOW: seccomp.RET_ALLOW}


def test_the_filter_program_answers_each_rule_as_the_table_says():
    program = seccomp.program()
    named = [name for rule in SECCOMP_RULES for name in rule.syscalls if rule.match is Match.SYSCALLS]
    assert len(named) == len(set(named)), "a system call is named by two rules"
    for rule in SECCOMP_RULES:
        if rule.match is Match.SYSCALLS:
            for name in rule.syscalls:
                assert _run_bpf(program, SYSCALL_NUMBERS_X86_64[name]) == ANSWERS[rule.action], name
    assert _run_bpf(program, 39, arch=0x40000003) == seccomp.RET_KILL_PROCESS             # i386's getpid
    assert _run_bpf(program, seccomp.X32_SYSCALL_BIT | 39) == seccomp.RET_ERRNO | EPERM   # x32's getpid
    clone = SYSCALL_NUMBERS_X86_64["clone"]
    for name, bit in policy.NAMESPACE_CLONE_FLAGS.items():
        assert _run_bpf(program, clone, arg0=bit | signal.SIGCHLD) == seccomp.RET_ERRNO | EPERM, name
    assert _run_bpf(program, clone, arg0=0x01200000 | signal.SIGCHLD) == seccomp.RET_ALLOW   # what fork() passes
    listed = set(SYSCALL_NUMBERS_X86_64.values())
    for number in set(range(460)) - listed:
        assert _run_bpf(program, number) == seccomp.RET_ALLOW, number


def test_rules_out_of_the_order_the_filter_can_apply_are_refused():
    rules = list(SECCOMP_RULES)
    with pytest.raises(ValueError):
        seccomp.program(tuple(rules[1:]))   # the architecture is not checked first
    with pytest.raises(ValueError):
        seccomp.program((*rules[:-2], rules[-1], rules[-2]))   # clone's flags after the default


PROBE = textwrap.dedent(r'''
    import ctypes, json, os, sys
    sys.path.insert(0, sys.argv[1])
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    if sys.argv[2] == "filtered":
        from grader.sandbox import seccomp
        seccomp.install()

    def call(number, *args):
        result = libc.syscall(number, *args)
        return 0 if result >= 0 else ctypes.get_errno()

    def clone(flags):
        child = libc.syscall(56, flags | 17, 0, 0, 0, 0)   # SIGCHLD
        if child == 0:
            os._exit(0)
        if child > 0:
            os.waitpid(child, 0)
            return 0
        return ctypes.get_errno()

    timex = ctypes.create_string_buffer(256)   # modes 0: adjtimex only reads the clock's state
    handle = ctypes.create_string_buffer(128)   # handle_bytes 0: the kernel answers EOVERFLOW with the size
    mount_id = ctypes.c_int()
    answers = {
        "getpid": call(39),
        "fork": clone(0),
        "x32 getpid": call(0x40000000 | 39),
        "clone3": call(435, 0, 0),
        "process_vm_readv": call(310, os.getpid(), 0, 0, 0, 0, 0),
        "keyctl": call(250, 0, -3, 0),
        "personality": call(135, 0xFFFFFFFF),
        "open_tree": call(428, -100, b"/", 0),
        "unshare": call(272, 0),
        "delete_module": call(176, b"grader-no-such-module", 0),
        "name_to_handle_at": call(303, -100, b"/", handle, ctypes.byref(mount_id), 0),
        "iopl": call(172, 0),
        "adjtimex": call(159, timex),
        "clone_newuser": clone(0x10000000),
        "setsid": call(112),
    }
    print(json.dumps(answers))
''')
# A probe for every rule that names calls; for these the kernel answers something else without the filter, so
# the filter is what answers.
PROBED = {"x32 getpid": "x32 system calls", "clone3": "clone3", "process_vm_readv": "other processes' memory",
          "keyctl": "keyrings", "personality": "kernel interfaces grading never needs", "open_tree": "mounts",
          "unshare": "namespaces", "setsid": "new sessions", "delete_module": "kernel modules and kexec",
          "name_to_handle_at": "file handles", "iopl": "host administration", "adjtimex": "clocks",
          "clone_newuser": "clone with namespace flags"}
DISTINGUISHING = ("x32 getpid", "process_vm_readv", "personality", "open_tree", "unshare", "name_to_handle_at", "adjtimex",
                  "setsid")


def _probe(mode: str) -> dict[str, int]:
    done = subprocess.run([sys.executable, "-I", "-c", PROBE, str(ROOT), mode], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@needs_x86_64
def test_a_real_process_under_the_filter_is_answered_as_the_page_says():
    rules = {rule.what: rule for rule in SECCOMP_RULES}
    assert {rule.what for rule in SECCOMP_RULES if rule.match not in (Match.FOREIGN_ARCHITECTURE, Match.OTHERWISE)} \
        == set(PROBED.values()), "a rule of the table has no probe here"
    filtered, unfiltered = _probe("filtered"), _probe("unfiltered")
    errors = {Action.EPERM: EPERM, Action.ENOSYS: ENOSYS}
    expected = {probe: errors[rules[what].action] for probe, what in PROBED.items()}
    expected.update({"getpid": 0, "fork": 0})
    assert filtered == expected
    for probe in DISTINGUISHING:
        assert unfiltered[probe] != filtered[probe], (probe, unfiltered)


# i386's getpid through int 0x80 (mov eax, 20; int 0x80; ret): a call of a foreign architecture.
INT80 = textwrap.dedent(r'''
    import ctypes, mmap, os, sys
    sys.path.insert(0, sys.argv[1])
    if sys.argv[2] == "filtered":
        from grader.sandbox import seccomp
        seccomp.install()
    code = mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    code.write(bytes([0xB8, 0x14, 0x00, 0x00, 0x00, 0xCD, 0x80, 0xC3]))
    getpid_i386 = ctypes.CFUNCTYPE(ctypes.c_int)(ctypes.addressof(ctypes.c_char.from_buffer(code)))
    print(getpid_i386() == os.getpid(), flush=True)
''')


@needs_x86_64
def test_a_32_bit_system_call_under_the_filter_ends_the_process():
    def run(mode: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-I", "-c", INT80, str(ROOT), mode], capture_output=True, text=True,
                              timeout=60)

    unfiltered = run("unfiltered")
    if unfiltered.stdout.strip() != "True":
        pytest.skip(f"this kernel runs no 32-bit system calls (exit {unfiltered.returncode})")
    filtered = run("filtered")
    assert filtered.returncode == -signal.SIGSYS and filtered.stdout == "", (filtered.returncode, filtered.stderr)


def test_bubblewraps_options_are_built_from_the_policy():
    options = BwrapLauncher().sandbox_options(Limits(scratch_mb=32), None)
    tmpfs = [options[index + 1] for index, option in enumerate(options) if option == "--tmpfs"]
    assert tmpfs == list(policy.WRITABLE_DIRS)
    assert options.count("--size") == len(policy.WRITABLE_DIRS) and str(32 * 2**20) in options
    remounted = [options[index + 1] for index, option in enumerate(options) if option == "--remount-ro"]
    assert remounted == list(policy.READ_ONLY_REMOUNTS)
    environment = {options[index + 1]: options[index + 2] for index, option in enumerate(options) if option == "--setenv"}
    assert environment == policy.scrubbed_environment(policy.SCRATCH)
    assert options[options.index("--hostname") + 1] == policy.HOSTNAME
    assert options[options.index("--chdir") + 1] == policy.SCRATCH
    for option in policy.BWRAP_NAMESPACE_OPTIONS:
        assert option in options


def test_a_warm_template_imports_what_the_exercise_requires():
    assert policy.preload_for(()) == ("numpy",)
    assert policy.preload_for(("numpy", "tensorflow")) == ("numpy", "tensorflow", "keras")
