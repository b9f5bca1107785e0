"""How a submission's child process is started: under bubblewrap, or as a plain process.

Both give the child the same arguments and a guard on memory and processes; they differ in what
the child can see. `choose_launcher` picks the strongest available and says why when it cannot.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass, replace
from pathlib import Path

import grader
from grader.course import Limits
from grader.sandbox.guard import Watchdog, make_guard

SANDBOX_PACKAGE_ROOT = "/opt/grader"   # where the grader package is bound inside the sandbox


def boot_command(package_root: str, module: str) -> list[str]:
    """Start `module` of the grader package found under `package_root`, whatever the install mode.

    Isolated mode (-I) ignores PYTHONPATH and the current folder; the package root is put first on
    sys.path explicitly, so the child never depends on how (or where) the grader was installed.
    """
    script = f"import sys; sys.path.insert(0, sys.argv[1]); from {module} import main; main(sys.argv[2:])"
    return [sys.executable, "-I", "-B", "-c", script, package_root]


def host_package_root() -> str:
    return str(Path(grader.__file__).resolve().parent.parent)
SANDBOX_SUBMISSION_DIR = "/submission"
SANDBOX_SCRATCH = "/scratch"   # not /tmp: the course may live under the host's /tmp
CGROUP_JOIN_FAILED = 97
SYSTEM_DIRS = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/lib32", "/libx32")
SYSTEM_FILES = ("/etc/ld.so.cache", "/etc/localtime", "/etc/nsswitch.conf")


@dataclass(frozen=True)
class Isolation:
    """How strongly the child was isolated; goes into the feedback as is."""

    mode: str
    strong: bool
    memory_limit: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ChildSpec:
    submission: Path
    scratch: Path
    request_fd: int
    response_fd: int
    limits: Limits
    tensorflow: bool = False


@dataclass
class Spawned:
    process: subprocess.Popen
    guard: object
    isolation: Isolation


class WeakIsolationRefused(Exception):
    """Batch grading asked for real isolation and this machine cannot provide it."""


def scrubbed_environment(home: str) -> dict[str, str]:
    """Nothing of the caller's environment leaks in; one thread per math library keeps timing fair."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "OPENBLAS_NUM_THREADS": "1",
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "TF_NUM_INTEROP_THREADS": "1",
        "TF_NUM_INTRAOP_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": home,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "TF_ENABLE_ONEDNN_OPTS": "0",
    }


@dataclass(frozen=True)
class ChildRlimits:
    """What the child sets on itself before importing the submission (cold start or warm fork alike)."""

    data_mb: int       # RLIMIT_DATA, a backstop behind the guard (RLIMIT_AS breaks TensorFlow's import)
    cpu_seconds: int
    file_mb: int

    @classmethod
    def of(cls, limits: Limits) -> "ChildRlimits":
        return cls(limits.memory_mb * 2 + 256, int(limits.total_seconds) + 1, limits.file_mb)


def child_arguments(submission_inside: str, spec: ChildSpec, package_root: str) -> list[str]:
    rlimits = ChildRlimits.of(spec.limits)
    return [
        *boot_command(package_root, "grader.sandbox.child"),
        "--submission", submission_inside,
        "--request-fd", str(spec.request_fd), "--response-fd", str(spec.response_fd),
        "--data-mb", str(rlimits.data_mb),
        "--cpu-seconds", str(rlimits.cpu_seconds),
        "--file-mb", str(rlimits.file_mb),
    ]


def _join_cgroups(command: list[str], procs_files: list[Path]) -> list[str]:
    """Start through a shell that moves itself into the cgroups before exec: no fork escapes the limit."""
    if not procs_files:
        return command
    script = f'while [ "$1" != "--" ]; do echo $$ > "$1" || exit {CGROUP_JOIN_FAILED}; shift; done; shift; exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *map(str, procs_files), "--", *command]


def guard_for(limits: Limits):
    return make_guard(limits.memory_mb * 2**20, limits.max_processes)


def _popen(command: list[str], spec: ChildSpec, env: dict[str, str], cwd: Path, extra_fds: tuple[int, ...]) -> subprocess.Popen:
    return subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            cwd=cwd, env=env, pass_fds=(spec.request_fd, spec.response_fd, *extra_fds),
                            start_new_session=True, close_fds=True)


def _start(command: list[str], spec: ChildSpec, env: dict[str, str], cwd: Path, isolation: Isolation,
           extra_fds: tuple[int, ...] = ()) -> Spawned:
    guard = guard_for(spec.limits)
    try:
        process = _popen(_join_cgroups(command, guard.procs_files), spec, env, cwd, extra_fds)
    except BaseException:
        guard.close()
        raise
    if isinstance(guard, Watchdog):
        guard.watch(process.pid, lambda: _kill_quietly(process))
    return Spawned(process, guard, replace(isolation, memory_limit=guard.kind))


def _kill_quietly(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


class PlainProcessLauncher:
    """A child process with rlimits, a guard and a scrubbed environment: the weak mode, no namespaces."""

    def __init__(self, reason: str = "") -> None:
        notes = ["plain child process with resource limits; it can see the filesystem and the network"]
        if reason:
            notes.append(reason)
        self.isolation = Isolation(mode="process", strong=False, memory_limit="watchdog", notes=tuple(notes))

    def spawn(self, spec: ChildSpec) -> Spawned:
        command = child_arguments(str(spec.submission), spec, host_package_root())
        return _start(command, spec, scrubbed_environment(str(spec.scratch)), spec.scratch, self.isolation)


class BwrapLauncher:
    """bubblewrap: new user, pid, network, mount, ipc, uts and cgroup namespaces; a read-only root with
    only the system, Python and the grader package; the submission read-only; a private tmpfs."""

    def __init__(self, bwrap: str = "bwrap") -> None:
        self.bwrap = bwrap
        self.isolation = Isolation(
            mode="bwrap", strong=True, memory_limit="cgroup",
            notes=("bubblewrap namespaces: no network, no view of the course, other submissions or $HOME",),
        )

    def sandbox_options(self, limits: Limits, submission: Path | None) -> list[str]:
        """Everything but the command: namespaces, environment, read-only binds, private tmpfs."""
        args = ["--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--hostname", "sandbox", "--clearenv"]
        for name, value in scrubbed_environment(SANDBOX_SCRATCH).items():
            args += ["--setenv", name, value]
        for folder in SYSTEM_DIRS:
            path = Path(folder)
            if path.is_symlink():
                args += ["--symlink", str(path.readlink()), folder]
            elif path.is_dir():
                args += ["--ro-bind", folder, folder]
        for file in SYSTEM_FILES:
            args += ["--ro-bind-try", file, file]
        size = str(limits.scratch_mb * 2**20)
        # Private tmpfs first, read-only binds after: a virtual environment under the host's /tmp stays visible.
        args += ["--proc", "/proc", "--dev", "/dev", "--size", size, "--tmpfs", "/dev/shm",
                 "--size", size, "--tmpfs", "/tmp", "--size", size, "--tmpfs", SANDBOX_SCRATCH]
        for folder in _python_dirs():
            args += ["--ro-bind", folder, folder]
        args += ["--ro-bind", str(Path(grader.__file__).resolve().parent), f"{SANDBOX_PACKAGE_ROOT}/grader"]
        if submission is not None:
            args += ["--ro-bind", str(submission), f"{SANDBOX_SUBMISSION_DIR}/{submission.name}"]
        return args + ["--chdir", SANDBOX_SCRATCH]

    def spawn(self, spec: ChildSpec) -> Spawned:
        """The options travel through a pipe (`--args`), so the sandbox's /proc shows no host paths."""
        options = "\0".join(self.sandbox_options(spec.limits, spec.submission)).encode() + b"\0"
        read_fd, write_fd = os.pipe()
        try:
            os.write(write_fd, options)   # a few KiB: fits the pipe's buffer
            os.close(write_fd)
            inside = f"{SANDBOX_SUBMISSION_DIR}/{spec.submission.name}"
            command = [self.bwrap, "--args", str(read_fd), "--", *child_arguments(inside, spec, SANDBOX_PACKAGE_ROOT)]
            return _start(command, spec, {"PATH": "/usr/bin:/bin"}, spec.scratch, self.isolation, extra_fds=(read_fd,))
        finally:
            os.close(read_fd)


@functools.lru_cache(maxsize=None)
def _python_dirs() -> tuple[str, ...]:
    """The Python installation and the virtual environment; nothing else of the host."""
    folders = {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve()}
    executable = Path(sys.executable)
    folders.add(executable.parent.resolve() if not executable.is_symlink() else executable.resolve().parent)
    # Keep the outermost folders only; a nested bind would be redundant.
    ordered = sorted(folders, key=lambda p: len(p.parts))
    kept: list[Path] = []
    for folder in ordered:
        if not any(folder.is_relative_to(k) for k in kept):
            kept.append(folder)
    return tuple(str(folder) for folder in kept)


@functools.lru_cache(maxsize=None)
def bwrap_problem() -> str | None:
    """None when bubblewrap can create its namespaces here; otherwise why not, in plain words."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    try:
        completed = subprocess.run(
            [bwrap, "--unshare-all", "--die-with-parent", "--ro-bind", "/", "/", "--proc", "/proc", "true"],
            capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return f"bubblewrap could not run ({exc})"
    if completed.returncode != 0:
        return f"bubblewrap cannot create namespaces here ({completed.stderr.strip()[:200]})"
    return None


def choose_launcher(require_strong: bool = False, allow_weak: bool = False):
    """bwrap when it works; otherwise the plain child, unless strong isolation is required."""
    problem = bwrap_problem()
    if problem is None:
        return BwrapLauncher(shutil.which("bwrap") or "bwrap")
    if require_strong and not allow_weak:
        raise WeakIsolationRefused(f"{problem}; refusing to grade without isolation. Install bubblewrap, or pass "
                                   "--allow-weak-isolation to grade in plain child processes anyway.")
    return PlainProcessLauncher(reason=f"{problem}: grading in a plain child process instead")
