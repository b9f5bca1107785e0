"""The sandbox's policy, declared in one place: who the student's code runs as, its namespaces, what it sees and
where it may write, its environment, its resource limits, the system calls it is refused, what a warm template
imports, and what the sandbox's own exit codes mean.

The mechanisms read these declarations: `launchers` builds bubblewrap's arguments from them, `warm_template` and
`confine` each warm child's namespaces and tmpfs mounts, `seccomp` its filter, `child` its rlimits, `session`
what an exit code means. docs/isolation.md's tables are printed from them
(`python -m grader.sandbox.policy --markdown`), and tests/test_isolation_policy.py holds the page and the filter
to them. Standard library only (and the course's Limits): the warm template and every sandboxed child import it.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING

from grader.outcomes import Limit

if TYPE_CHECKING:
    from grader.course.model import Limits

# ---------------------------------------------------------------- identity

DEFAULT_SANDBOX_ID = 65534   # nobody: who the student's code is on the host when the grader runs as root
SANDBOX_UID = int(os.environ.get("GRADER_SANDBOX_UID", str(DEFAULT_SANDBOX_ID)))
SANDBOX_GID = int(os.environ.get("GRADER_SANDBOX_GID", str(DEFAULT_SANDBOX_ID)))
ROOT_DROP_TOOLS = ("unshare", "setpriv", "mount")   # util-linux: how root starts bubblewrap as SANDBOX_UID

# ---------------------------------------------------------------- namespaces

# Bit of each namespace in clone(2) and unshare(2).
NAMESPACE_CLONE_FLAGS: dict[str, int] = {
    "mount": 0x00020000, "cgroup": 0x02000000, "uts": 0x04000000, "ipc": 0x08000000,
    "user": 0x10000000, "pid": 0x20000000, "network": 0x40000000,
}
SANDBOX_NAMESPACES = ("user", "pid", "network", "mount", "ipc", "uts", "cgroup")   # bubblewrap's --unshare-all
BWRAP_NAMESPACE_OPTIONS = ("--unshare-all",)
# What each warm child (and, where the kernel allows nested namespaces, each cold child) makes for itself again,
# inside the sandbox, so nothing an earlier child left reaches it (`confine.private_namespaces`).
CHILD_NAMESPACES = ("user", "mount", "ipc", "network", "pid")
HOSTNAME = "sandbox"

# ---------------------------------------------------------------- what it sees, and where it may write

SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")   # read-only (or the same symlink)
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf")      # read-only, where they exist
PACKAGE_ROOT = "/opt/grader"        # where the grader package is bound, read-only
SUBMISSION_DIR = "/submission"      # where the submission's one file is, a read-only copy
SCRATCH = "/scratch"                # working directory and $HOME (not /tmp: the course may live under the host's /tmp)
WRITABLE_DIRS = (SCRATCH, "/tmp", "/dev/shm")   # a private tmpfs each, of the exercise's scratch_mb; nothing else
READ_ONLY_REMOUNTS = ("/", "/dev")  # remounted read-only after the binds: not even the sandbox's own root is writable
DEVICES = ("null", "zero", "full", "random", "urandom", "tty")   # bubblewrap's --dev: the only device nodes

# ---------------------------------------------------------------- environment

HOME_PLACEHOLDER = "{home}"
PACKAGE_PLACEHOLDER = "{package}"   # the folder holding the grader package: PACKAGE_ROOT, or the host's in the weak mode
# Nothing of the caller's environment leaks in; one thread per math library keeps timing fair. Libraries get what they
# need so that nothing of theirs reaches the student's output: a cache folder in the scratch space for matplotlib
# (which builds its font list at import) and for fontconfig, and fontconfig a configuration of its own
# (grader/sandbox/fonts.conf; the sandbox has no /etc/fonts, so matplotlib's `fc-list` printed "Fontconfig error").
SCRUBBED_ENVIRONMENT: tuple[tuple[str, str], ...] = (
    ("PATH", "/usr/local/bin:/usr/bin:/bin"),
    ("HOME", HOME_PLACEHOLDER),
    ("TMPDIR", HOME_PLACEHOLDER),
    ("LANG", "C.UTF-8"),
    ("LC_ALL", "C.UTF-8"),
    ("PYTHONHASHSEED", "0"),
    ("OPENBLAS_NUM_THREADS", "1"),
    ("OMP_NUM_THREADS", "1"),
    ("MKL_NUM_THREADS", "1"),
    ("TF_NUM_INTEROP_THREADS", "1"),
    ("TF_NUM_INTRAOP_THREADS", "1"),
    ("XDG_CACHE_HOME", f"{HOME_PLACEHOLDER}/.cache"),
    ("MPLBACKEND", "Agg"),
    ("MPLCONFIGDIR", f"{HOME_PLACEHOLDER}/.cache/matplotlib"),
    ("FONTCONFIG_FILE", f"{PACKAGE_PLACEHOLDER}/grader/sandbox/fonts.conf"),
    ("TF_CPP_MIN_LOG_LEVEL", "3"),
    ("TF_ENABLE_ONEDNN_OPTS", "0"),
)
LAUNCH_ENVIRONMENT = {"PATH": "/usr/bin:/bin"}   # what bubblewrap itself is started with, on the host
# Warnings Python attributes to these libraries' own modules are the libraries talking (Keras's advice against
# `input_shape=`, which the course's labs use, printed with a path of the grader's machine): the child ignores them
# before the submission runs. A warning attributed to the student's own line (numpy's overflow in their exp) shows.
LIBRARIES_NOT_WARNING = ("keras", "tensorflow", "tf_keras")


def scrubbed_environment(home: str, package_root: str = PACKAGE_ROOT) -> dict[str, str]:
    """The student's process's whole environment, with `home` as its $HOME and $TMPDIR (its caches beneath) and
    `package_root` where the grader package is seen."""
    return {name: value.replace(HOME_PLACEHOLDER, home).replace(PACKAGE_PLACEHOLDER, package_root)
            for name, value in SCRUBBED_ENVIRONMENT}


def library_warnings_module_pattern() -> str:
    """The `module` regular expression of `warnings.filterwarnings` that matches LIBRARIES_NOT_WARNING's modules."""
    return "(" + "|".join(LIBRARIES_NOT_WARNING) + r")(\.|$)"

# ---------------------------------------------------------------- resource limits

MIB = 2**20
CPU_HARD_HEADROOM_S = 2   # RLIMIT_CPU's hard limit past its soft one: SIGXCPU comes first, so the limit can be named


@dataclass(frozen=True)
class ChildRlimits:
    """What the child sets on itself before importing the submission (cold start or warm fork alike)."""

    data_mb: int       # RLIMIT_DATA, a backstop behind the guard (RLIMIT_AS breaks TensorFlow's import)
    cpu_seconds: int   # RLIMIT_CPU's soft limit
    file_mb: int       # RLIMIT_FSIZE

    @classmethod
    def of(cls, limits: "Limits") -> "ChildRlimits":
        return cls(limits.memory_mb * 2 + 256, int(limits.total_seconds) + 1, limits.file_mb)


@dataclass(frozen=True)
class LimitRule:
    """One limit the feedback can name: course.yaml's setting for it, and what enforces it."""

    limit: Limit
    setting: str        # the field of `Limits` (course.yaml's `limits:`)
    enforced_by: str


LIMIT_RULES: tuple[LimitRule, ...] = (
    LimitRule(Limit.WALL_TIME, "call_seconds", "the grader's deadline on each call (and on importing the submission)"),
    LimitRule(Limit.GRADING_TIME, "total_seconds", "the grader's deadline on the whole grading"),
    LimitRule(Limit.CPU_TIME, "total_seconds", f"RLIMIT_CPU of total_seconds + 1 s (SIGXCPU), hard limit "
              f"{CPU_HARD_HEADROOM_S} s later"),
    LimitRule(Limit.MEMORY, "memory_mb", "a memory cgroup (v2, else v1) where the grader may create one, else a "
              "watchdog on the child tree's resident memory; RLIMIT_DATA of 2 x memory_mb + 256 MB as a backstop, "
              "never RLIMIT_AS (it breaks TensorFlow's import)"),
    LimitRule(Limit.PROCESSES, "max_processes", "a pids cgroup, else the watchdog; processes and threads of the "
              "child's tree"),
    LimitRule(Limit.FILE_SIZE, "file_mb", "RLIMIT_FSIZE"),
    LimitRule(Limit.SCRATCH_SPACE, "scratch_mb", "the size of each private tmpfs (" + ", ".join(WRITABLE_DIRS) + ")"),
)
CORE_DUMP_BYTES = 0   # RLIMIT_CORE

# ---------------------------------------------------------------- system calls (seccomp, x86-64)


class Match(Enum):
    """What a seccomp rule looks at, in the order the filter looks."""

    FOREIGN_ARCHITECTURE = "foreign architecture"   # a system call of any ABI but x86-64's (int 0x80: i386)
    X32_ABI = "x32 ABI"                              # x86-64 numbers with the x32 bit set
    SYSCALLS = "system calls"                        # by number
    CLONE_NAMESPACE_FLAGS = "clone with namespace flags"
    OTHERWISE = "everything else"


class Action(Enum):
    """What the filter answers: an error the code sees as an ordinary failure, or the end of the process."""

    EPERM = "fails with EPERM"
    ENOSYS = "fails with ENOSYS"
    KILL_PROCESS = "ends the process (SIGSYS)"
    ALLOW = "runs"


@dataclass(frozen=True)
class SeccompRule:
    what: str
    match: Match
    action: Action
    syscalls: tuple[str, ...] = ()
    why: str = ""


# x86-64 numbers (arch/x86/entry/syscalls/syscall_64.tbl) of every call a rule names.
SYSCALL_NUMBERS_X86_64: dict[str, int] = {
    "clone": 56, "clone3": 435,
    "ptrace": 101, "process_vm_readv": 310, "process_vm_writev": 311, "pidfd_getfd": 438,
    "process_madvise": 440, "kcmp": 312,
    "keyctl": 250, "add_key": 248, "request_key": 249,
    "bpf": 321, "perf_event_open": 298, "userfaultfd": 323, "personality": 135, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "fanotify_init": 300, "lookup_dcookie": 212, "uselib": 134,
    "mount": 165, "umount2": 166, "pivot_root": 155, "chroot": 161, "open_tree": 428, "move_mount": 429,
    "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433, "mount_setattr": 442,
    "unshare": 272, "setns": 308,
    "setsid": 112,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313, "delete_module": 176,
    "open_by_handle_at": 304, "name_to_handle_at": 303,
    "swapon": 167, "swapoff": 168, "reboot": 169, "sethostname": 170, "setdomainname": 171, "acct": 163,
    "quotactl": 179, "iopl": 172, "ioperm": 173, "syslog": 103, "vhangup": 153,
    "settimeofday": 164, "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159,
}

SECCOMP_RULES: tuple[SeccompRule, ...] = (
    SeccompRule("32-bit and other foreign system calls", Match.FOREIGN_ARCHITECTURE, Action.KILL_PROCESS,
                why="the filter knows x86-64's numbers only; another ABI's could name anything"),
    SeccompRule("x32 system calls", Match.X32_ABI, Action.EPERM,
                why="the x32 ABI duplicates every call under other numbers: refused whole"),
    SeccompRule("clone3", Match.SYSCALLS, Action.ENOSYS, ("clone3",),
                why="its flags sit in memory the filter cannot read; on ENOSYS the C library falls back to clone"),
    SeccompRule("other processes' memory", Match.SYSCALLS, Action.EPERM,
                ("ptrace", "process_vm_readv", "process_vm_writev", "pidfd_getfd", "process_madvise", "kcmp")),
    SeccompRule("keyrings", Match.SYSCALLS, Action.EPERM, ("keyctl", "add_key", "request_key")),
    SeccompRule("kernel interfaces grading never needs", Match.SYSCALLS, Action.EPERM,
                ("bpf", "perf_event_open", "userfaultfd", "personality", "io_uring_setup", "io_uring_enter",
                 "io_uring_register", "fanotify_init", "lookup_dcookie", "uselib")),
    SeccompRule("mounts", Match.SYSCALLS, Action.EPERM,
                ("mount", "umount2", "pivot_root", "chroot", "open_tree", "move_mount", "fsopen", "fsconfig",
                 "fsmount", "fspick", "mount_setattr")),
    SeccompRule("namespaces", Match.SYSCALLS, Action.EPERM, ("unshare", "setns")),
    SeccompRule("new sessions", Match.SYSCALLS, Action.EPERM, ("setsid",),
                why="each new session is a scheduling autogroup of its own: 40 of them took another student's CPU"),
    SeccompRule("kernel modules and kexec", Match.SYSCALLS, Action.EPERM,
                ("kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module")),
    SeccompRule("file handles", Match.SYSCALLS, Action.EPERM, ("open_by_handle_at", "name_to_handle_at")),
    SeccompRule("host administration", Match.SYSCALLS, Action.EPERM,
                ("swapon", "swapoff", "reboot", "sethostname", "setdomainname", "acct", "quotactl", "iopl", "ioperm",
                 "syslog", "vhangup")),
    SeccompRule("clocks", Match.SYSCALLS, Action.EPERM, ("settimeofday", "clock_settime", "clock_adjtime", "adjtimex")),
    SeccompRule("clone with namespace flags", Match.CLONE_NAMESPACE_FLAGS, Action.EPERM, ("clone",),
                why="a new " + ", ".join(NAMESPACE_CLONE_FLAGS) + " namespace: only the sandbox makes those"),
    SeccompRule("everything else", Match.OTHERWISE, Action.ALLOW,
                why="everything numpy, TensorFlow and Keras need"),
)

# ---------------------------------------------------------------- the warm template

# What every warm template imports before its first fork, and what a requirement of the course adds. Import only:
# a parent that ran a TensorFlow operation before forking deadlocks its children.
BASE_PRELOAD: tuple[str, ...] = ("numpy",)
PRELOAD_FOR_REQUIREMENT: dict[str, tuple[str, ...]] = {"tensorflow": ("tensorflow", "keras")}
TEMPLATE_RESTART_AFTER = 200   # submissions a warm template serves before a fresh one replaces it


def preload_for(requires: Iterable[str]) -> tuple[str, ...]:
    """The modules a warm template imports for an exercise that needs `requires` (course.yaml's `requires`)."""
    modules = list(BASE_PRELOAD)
    for requirement in requires:
        modules += [name for name in PRELOAD_FOR_REQUIREMENT.get(requirement, ()) if name not in modules]
    return tuple(modules)

# ---------------------------------------------------------------- the sandbox's own exit statuses

CONFINEMENT_FAILED = 96   # exit code of a process that could not confine itself, before any student code
CGROUP_JOIN_FAILED = 97
STAGING_FAILED = 98
SIGNAL_EXIT_BASE = 128    # bubblewrap reports its child's death by signal N as exit code 128 + N


@dataclass(frozen=True)
class ExitStatus:
    code: int
    meaning: str        # completes "the sandbox could not be set up for your code: ..."
    exits: str          # which process exits with it


# They only ever explain a child that died before it said the sandbox was ready (`wire.SANDBOX_READY`); after
# that frame every exit code is the student's code's own.
SETUP_EXITS: tuple[ExitStatus, ...] = (
    ExitStatus(CONFINEMENT_FAILED, "it could not confine itself (capabilities, seccomp or private namespaces)",
               "the child, or the init of its pid namespace"),
    ExitStatus(CGROUP_JOIN_FAILED, "it could not join its resource cgroup",
               "the shell that moves a cold or plain child into its cgroups before it runs Python"),
    ExitStatus(STAGING_FAILED, "it could not stage the folders it binds",
               "the shell that, as root, binds the sandbox's folders onto a staging folder"),
)
SETUP_EXIT_MEANINGS: dict[int, str] = {status.code: status.meaning for status in SETUP_EXITS}


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m grader.sandbox.policy",
                                     description="Print the sandbox's policy as docs/isolation.md shows it.")
    parser.add_argument("--markdown", action="store_true", help="the tables of docs/isolation.md (the default)")
    parser.parse_args(argv)
    from grader.sandbox.policy_markdown import tables

    print(tables(), end="")


if __name__ == "__main__":
    main()
