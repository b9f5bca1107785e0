"""How a submission's child process is started: under bubblewrap, or as a plain process.

Both give the child the same arguments and a guard on memory and processes; they differ in what
the child can see. `choose_launcher` picks the strongest available and says why when it cannot.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Protocol

import grader
from grader.course.model import Limits
from grader.errors import UsageError
from grader.outcomes import Isolation
from grader.sandbox import policy, seccomp
from grader.sandbox.guard import Guard, Watchdog, kill_group, make_guard
from grader.sandbox.policy import CGROUP_JOIN_FAILED, STAGING_FAILED, ChildRlimits, scrubbed_environment



def boot_command(package_root: str, module: str) -> list[str]:
    """Start `module` of the grader package found under `package_root`, whatever the install mode.

    Isolated mode (-I) ignores PYTHONPATH and the current folder; the package root is put first on
    sys.path explicitly, so the child never depends on how (or where) the grader was installed.
    """
    script = f"import sys; sys.path.insert(0, sys.argv[1]); from {module} import main; main(sys.argv[2:])"
    return [sys.executable, "-I", "-B", "-c", script, package_root]


def host_package_root() -> str:
    return str(Path(grader.__file__).resolve().parent.parent)


@dataclass(frozen=True)
class ChildSpec:
    submission: Path
    scratch: Path
    request_fd: int
    response_fd: int
    limits: Limits


@dataclass
class Spawned:
    process: ChildProcess
    guard: Guard
    isolation: Isolation


class ChildProcess(Protocol):
    """A started child: a Popen, or a handle on a child the warm template forked."""

    pid: int
    returncode: int | None
    stdout: IO[bytes] | None
    stderr: IO[bytes] | None

    def poll(self) -> int | None: ...
    def wait(self, timeout: float | None = None) -> int: ...
    def kill(self) -> None: ...


class WeakIsolationRefused(UsageError):
    """Real isolation was required (a batch, or any grading as root) and this machine cannot provide it."""


def child_arguments(submission_inside: str, spec: ChildSpec, package_root: str, confine: bool) -> list[str]:
    rlimits = ChildRlimits.of(spec.limits)
    return [
        *boot_command(package_root, "grader.sandbox.child"),
        "--submission", submission_inside,
        "--request-fd", str(spec.request_fd), "--response-fd", str(spec.response_fd),
        "--data-mb", str(rlimits.data_mb),
        "--cpu-seconds", str(rlimits.cpu_seconds),
        "--file-mb", str(rlimits.file_mb),
        *(["--confine"] if confine else []),
    ]


def _join_cgroups(command: list[str], procs_files: list[Path]) -> list[str]:
    """Start through a shell that moves itself into the cgroups before exec: no fork escapes the limit."""
    if not procs_files:
        return command
    script = f'while [ "$1" != "--" ]; do echo $$ > "$1" || exit {CGROUP_JOIN_FAILED}; shift; done; shift; exec "$@"'
    return ["/bin/sh", "-c", script, "sh", *map(str, procs_files), "--", *command]


def guard_for(limits: Limits) -> Guard:
    return make_guard(limits.memory_mb * policy.MIB, limits.max_processes)


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
        guard.watch(process.pid, lambda: kill_group(process.pid))
    return Spawned(process, guard, replace(isolation, memory_limit=guard.kind))




class PlainProcessLauncher:
    """A child process with rlimits, a guard and a scrubbed environment: the weak mode, no namespaces."""

    def __init__(self, reason: str = "") -> None:
        notes = ["plain child process with resource limits; it can see the filesystem and the network"]
        if reason:
            notes.append(reason)
        self.isolation = Isolation(mode="process", strong=False, memory_limit="watchdog", notes=tuple(notes))

    def spawn(self, spec: ChildSpec) -> Spawned:
        package_root = host_package_root()
        command = child_arguments(str(spec.submission), spec, package_root, confine=False)
        return _start(command, spec, scrubbed_environment(str(spec.scratch), package_root), spec.scratch, self.isolation)


class BwrapLauncher:
    """bubblewrap: new user, pid, network, mount, ipc, uts and cgroup namespaces; a read-only root with
    only the system, Python and the grader package; the submission as a read-only copy; private tmpfs
    where it may write; an unprivileged host identity; no capabilities; a seccomp filter."""

    def __init__(self, bwrap: str = "bwrap") -> None:
        self.bwrap = bwrap
        self.identity = HostIdentity.current()
        self.isolation = Isolation(
            mode="bwrap", strong=True, memory_limit="cgroup",
            notes=("bubblewrap namespaces: no network, no view of the course, other submissions or $HOME",
                   self.identity.describe()),
        )

    def host_binds(self) -> list[tuple[str, str]]:
        """(host folder, where the sandbox sees it): the Python installation and the grader package."""
        return [(folder, folder) for folder in _python_dirs()] + \
            [(str(Path(grader.__file__).resolve().parent), f"{policy.PACKAGE_ROOT}/grader")]

    def sandbox_options(self, limits: Limits, submission_fd: int | None, submission_name: str = "",
                        cover_proc_sys: bool = True) -> list[str]:
        """Everything but the command: namespaces, environment, read-only binds, private tmpfs.

        A warm template's /proc stays uncovered (`cover_proc_sys=False`): each of its children mounts its own
        procfs, which the kernel allows only where the /proc beneath is fully visible. Its /proc/sys is no more
        writable for it: the sandbox's uid owns nothing there."""
        args = [*policy.BWRAP_NAMESPACE_OPTIONS, "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--hostname", policy.HOSTNAME, "--clearenv"]
        for name, value in scrubbed_environment(policy.SCRATCH).items():
            args += ["--setenv", name, value]
        for folder in policy.SYSTEM_DIRS:
            path = Path(folder)
            if path.is_symlink():
                args += ["--symlink", str(path.readlink()), folder]
            elif path.is_dir():
                args += ["--ro-bind", folder, folder]
        for file in policy.SYSTEM_FILES:
            args += ["--ro-bind-try", file, file]
        size = str(limits.scratch_mb * policy.MIB)
        # Private tmpfs first, read-only binds after: a virtual environment under the host's /tmp stays visible.
        args += ["--proc", "/proc", *(["--ro-bind", "/proc/sys", "/proc/sys"] if cover_proc_sys else []), "--dev", "/dev"]
        for folder in policy.WRITABLE_DIRS:
            args += ["--size", size, "--tmpfs", folder]
        for source, destination in self.identity.sources(self.host_binds()):
            args += ["--ro-bind", source, destination]
        if submission_fd is not None:   # a copy, so no host path shows in the sandbox's mount table
            args += ["--ro-bind-data", str(submission_fd), f"{policy.SUBMISSION_DIR}/{submission_name}"]
        # Nothing outside the private tmpfs is writable, not even the sandbox's own root or /dev.
        for folder in policy.READ_ONLY_REMOUNTS:
            args += ["--remount-ro", folder]
        return args + ["--chdir", policy.SCRATCH]

    def command(self, options_fd: int, inner: list[str]) -> list[str]:
        """bwrap reading its options from a pipe (`--args`), so the sandbox's /proc shows no host paths."""
        return self.identity.wrap([self.bwrap, "--args", str(options_fd), "--", *inner], self.host_binds())

    def spawn(self, spec: ChildSpec) -> Spawned:
        submission_fd = os.open(spec.submission, os.O_RDONLY | os.O_CLOEXEC)
        try:
            # /proc uncovered: the child's pid namespace init mounts its own procfs (confine.own_proc_and_lock_down)
            read_fd = options_pipe(self.sandbox_options(spec.limits, submission_fd, spec.submission.name,
                                                        cover_proc_sys=False))
            try:
                inside = f"{policy.SUBMISSION_DIR}/{spec.submission.name}"
                command = self.command(read_fd, child_arguments(inside, spec, policy.PACKAGE_ROOT, confine=True))
                return _start(command, spec, dict(policy.LAUNCH_ENVIRONMENT), self.identity.cwd(spec.scratch), self.isolation,
                              extra_fds=(read_fd, submission_fd))
            finally:
                os.close(read_fd)
        finally:
            os.close(submission_fd)


def options_pipe(options: list[str]) -> int:
    """A pipe holding bwrap's options (a few KiB: fits the pipe's buffer); the caller closes the read end."""
    read_fd, write_fd = os.pipe()
    try:
        os.write(write_fd, "\0".join(options).encode() + b"\0")
    finally:
        os.close(write_fd)
    return read_fd


@dataclass(frozen=True)
class HostIdentity:
    """Who bubblewrap (and so the student's code) is on the host.

    As an ordinary user, bubblewrap runs as that user. As root, it must not: a user namespace made by
    root maps the sandbox's uid to the host's uid 0, and the kernel checks files such as
    /proc/sys/kernel/core_pattern by that uid alone. So root starts bubblewrap as an unprivileged uid
    (`nobody` unless GRADER_SANDBOX_UID says otherwise) through util-linux's `unshare` and `setpriv`.
    The Python installation may sit where that uid cannot look (/root/.pyenv), so in a private mount
    namespace, still as root, each folder the sandbox needs is first bound onto an empty staging
    folder that uid can reach; bubblewrap binds it from there to the same path as before.
    """

    drop_to: tuple[int, int] | None
    stage: str | None = None

    @classmethod
    def current(cls) -> "HostIdentity":
        if os.geteuid() != 0:
            return cls(None)
        return cls((policy.SANDBOX_UID, policy.SANDBOX_GID), _staging_folder())

    def describe(self) -> str:
        who = f"uid {self.drop_to[0]}, gid {self.drop_to[1]} on the host" if self.drop_to else \
            f"the grader's own uid {os.geteuid()} on the host, not root"
        filtered = ("a seccomp filter (no ptrace, mount, namespaces, bpf, keyrings, perf events, kernel modules)"
                    if seccomp.supported() else "no seccomp filter: it is written for x86-64 only")
        return f"runs as {who}, without capabilities in any namespace, with no_new_privs and {filtered}"

    def sources(self, binds: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if self.stage is None:
            return binds
        return [(f"{self.stage}/{index}", destination) for index, (_, destination) in enumerate(binds)]

    def cwd(self, scratch: Path) -> Path:
        return scratch if self.drop_to is None else Path("/")

    def wrap(self, command: list[str], binds: list[tuple[str, str]]) -> list[str]:
        if self.drop_to is None:
            return command
        uid, gid = self.drop_to
        stage = (f'stage=$1; shift; mount -t tmpfs -o size=65536,mode=755 grader-stage "$stage" || exit {STAGING_FAILED}; '
                 f'i=0; while [ "$1" != "--" ]; do mkdir "$stage/$i" && mount --bind "$1" "$stage/$i" '
                 f'|| exit {STAGING_FAILED}; i=$((i+1)); shift; done; shift; exec "$@"')
        return ["unshare", "--mount", "--propagation", "private", "--",
                "/bin/sh", "-c", stage, "sh", str(self.stage), *(source for source, _ in binds), "--",
                "setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--inh-caps=-all",
                "--bounding-set=-all", "--", *command]


@functools.lru_cache(maxsize=None)
def _staging_folder() -> str:
    """An empty folder only ever mounted on inside private mount namespaces; removed when we exit."""
    folder = tempfile.mkdtemp(prefix="grader-stage-")
    os.chmod(folder, 0o755)
    atexit.register(shutil.rmtree, folder, True)
    return folder


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


@dataclass
class _Probe:
    """bubblewrap starting Python as the sandbox will, running in the background until its answer is needed."""

    launcher: BwrapLauncher
    process: subprocess.Popen

    def problem(self) -> str | None:
        try:
            _, stderr = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.communicate()
            return "bubblewrap could not run (it did not finish within 30 s)"
        if self.process.returncode == 0:
            return None
        detail = stderr.strip()[:300]
        if self.launcher.identity.drop_to is not None:
            return (f"the grader runs as root, and bubblewrap could not start Python as uid "
                    f"{self.launcher.identity.drop_to[0]} ({detail or f'exit code {self.process.returncode}'})")
        return f"bubblewrap cannot create namespaces here ({detail})"


_started_probe: _Probe | str | None = None


def start_bwrap_probe() -> None:
    """Begin checking bubblewrap now, so a single grading does not wait for it later (`bwrap_problem`)."""
    global _started_probe
    cache = getattr(bwrap_problem, "cache_info", None)
    if _started_probe is None and cache is not None and cache().currsize == 0:
        _started_probe = _begin_probe()


def _begin_probe() -> _Probe | str:
    """A probe under way, or the problem already found without starting one."""
    bwrap = shutil.which("bwrap")
    if bwrap is None:
        return "bubblewrap (bwrap) is not installed"
    launcher = BwrapLauncher(bwrap)
    if launcher.identity.drop_to is not None:
        if 0 in launcher.identity.drop_to:
            return "GRADER_SANDBOX_UID and GRADER_SANDBOX_GID must name an unprivileged user and group, not 0"
        missing = [tool for tool in policy.ROOT_DROP_TOOLS if shutil.which(tool) is None]
        if missing:
            return (f"the grader runs as root and needs util-linux's {', '.join(missing)} to run the student's "
                    f"code as an unprivileged user")
    read_fd = options_pipe(launcher.sandbox_options(Limits(), None))
    try:
        process = subprocess.Popen(launcher.command(read_fd, [sys.executable, "-I", "-S", "-c", "pass"]),
                                   stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                   text=True, pass_fds=(read_fd,), cwd=launcher.identity.cwd(Path(tempfile.gettempdir())))
    except OSError as exc:
        return f"bubblewrap could not run ({exc})"
    finally:
        os.close(read_fd)
    return _Probe(launcher, process)


@functools.lru_cache(maxsize=None)
def bwrap_problem() -> str | None:
    """None when bubblewrap can start Python here as the sandbox will; otherwise why not, in plain words."""
    global _started_probe
    probe, _started_probe = _started_probe, None
    if probe is None:
        probe = _begin_probe()
    return probe if isinstance(probe, str) else probe.problem()


def choose_launcher(require_strong: bool = False, allow_weak: bool = False):
    """bwrap when it works; otherwise the plain child, unless strong isolation is required.

    As root, the plain child would run the student's code as the host's root: that needs the explicit
    `allow_weak` even for a single grading.
    """
    problem = bwrap_problem()
    if problem is None:
        return BwrapLauncher(shutil.which("bwrap") or "bwrap")
    if (require_strong or os.geteuid() == 0) and not allow_weak:
        raise WeakIsolationRefused(f"{problem}; refusing to grade without isolation. Install bubblewrap, or pass "
                                   "--allow-weak-isolation to grade in plain child processes anyway.")
    return PlainProcessLauncher(reason=f"{problem}: grading in a plain child process instead")
