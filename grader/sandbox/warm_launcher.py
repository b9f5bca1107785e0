"""The warm template launcher: warm children forked from a template inside bubblewrap instead of started cold.

Starting Python, numpy and (for Keras exercises) TensorFlow costs 0.1 s to 2 s per submission; a
`WarmTemplateLauncher` pays it once, in a warm template process (`warm_template`). Each submission still gets
a fresh warm child, its own cgroup, its own output pipes and scratch directory, and the template is replaced
after `restart_after` submissions or whenever it misbehaves.
"""

from __future__ import annotations

import array
import json
import os
import select
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from grader.course.model import Limits
from grader.sandbox.guard import Watchdog, kill_group, proc_stat, process_tree as _tree
from grader.outcomes import Isolation
from grader.sandbox.launchers import BwrapLauncher, ChildSpec, Spawned, boot_command, guard_for, options_pipe
from grader.sandbox.output import TailBuffer, drain
from grader.sandbox.policy import BASE_PRELOAD, PACKAGE_ROOT, SUBMISSION_DIR, TEMPLATE_RESTART_AFTER, ChildRlimits
from grader.sandbox.next_cgroups import NextCgroups

CONTROL_TIMEOUT_S = 10.0
READY_TIMEOUT_S = 120.0


class WarmTemplateError(RuntimeError):
    """The template process failed; it is replaced on the next spawn."""


def _alive(pid: int) -> bool:
    stat = proc_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


class _Liveness:
    """Whether a process (not our child) still runs: a pidfd polled without a round trip or a read of /proc,
    which a session asks before every call; /proc where pidfds are missing."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        try:
            self._fd: int | None = os.pidfd_open(pid)
        except (AttributeError, OSError):
            self._fd = None

    def alive(self) -> bool:
        if self._fd is None:
            return _alive(self.pid)
        return not select.select([self._fd], [], [], 0)[0]   # readable once the process has exited

    def wait(self, seconds: float) -> None:
        """Until the process exits, at most `seconds`."""
        if self._fd is None:
            time.sleep(min(seconds, 0.002))
        else:
            select.select([self._fd], [], [], max(seconds, 0))

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __del__(self) -> None:
        self.close()


def _inner_pid(host_pid: int) -> int | None:
    """A process's pid in the innermost pid namespace it belongs to, from its NSpid line."""
    try:
        for line in Path(f"/proc/{host_pid}/status").read_text().splitlines():
            if line.startswith("NSpid:"):
                return int(line.split()[-1])
    except (OSError, ValueError):
        pass
    return None


class WarmChild:
    """A Popen look-alike for a child forked by the template (it is not our child, so we ask)."""

    def __init__(self, template: "_WarmTemplate", inner_pid: int, host_pid: int, stdout, stderr) -> None:
        self._template = template
        self.inner_pid = inner_pid
        self.pid = host_pid
        self.stdout = stdout
        self.stderr = stderr
        self.returncode: int | None = None
        self._cleaned = False
        self._liveness = _Liveness(host_pid)

    def _running(self) -> bool:
        """Cheap: this process and its template both still run (no round trip).

        A child whose template died is as good as dead: its namespace is being torn down.
        """
        template = self._template.liveness
        return self._liveness.alive() and (template is None or template.alive())

    def poll(self) -> int | None:
        if self.returncode is None and self._running():
            return None
        if self.returncode is None:
            try:
                self.returncode = self._template.request({"command": "poll", "pid": self.inner_pid})["returncode"]
            except WarmTemplateError:
                self.returncode = -signal.SIGKILL   # the template died, and its sandbox with it
            if self.returncode is None and not Path(f"/proc/{self.pid}").exists():
                self.returncode = -signal.SIGKILL   # reaped when the template cleaned up for a later child
        if self.returncode is not None and not self._cleaned:
            self._cleaned = True   # a poll that finds the child gone makes the template clean up after it
            self._liveness.close()
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        deadline = None if timeout is None else time.monotonic() + timeout
        while self.poll() is None:
            if deadline is not None and time.monotonic() > deadline:
                raise subprocess.TimeoutExpired("warm child", timeout or 0.0)
            self._liveness.wait(0.05 if deadline is None else min(0.05, deadline - time.monotonic()))
        assert self.returncode is not None
        return self.returncode

    def kill(self) -> None:
        try:
            os.kill(self.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class _WarmTemplate:
    """One template process in its bubblewrap sandbox, and the control socket to it."""

    def __init__(self, bwrap: BwrapLauncher, limits: Limits, preload: tuple[str, ...]) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self.control = ours
        # --as-pid-1: the template itself is pid 1, so no bubblewrap init of the student's uid stays behind
        # for children to write /proc/1/oom_score_adj or autogroup into (the template is not dumpable).
        read_fd = options_pipe(["--as-pid-1", *bwrap.sandbox_options(limits, submission_fd=None, cover_proc_sys=False)])
        try:
            inner = [*boot_command(PACKAGE_ROOT, "grader.sandbox.warm_template"),
                     "--control-fd", str(theirs.fileno()), "--preload", ",".join(preload)]
            self.stderr = TailBuffer(16 * 1024)
            self.process = subprocess.Popen(bwrap.command(read_fd, inner), stdin=subprocess.DEVNULL,
                                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                            pass_fds=(read_fd, theirs.fileno()), cwd=bwrap.identity.cwd(Path("/")),
                                            env={"PATH": "/usr/bin:/bin"}, start_new_session=True)
        finally:
            os.close(read_fd)
            theirs.close()
        self._drain = drain(self.process.stderr, self.stderr)
        self._lock = threading.Lock()
        self.served = 0
        self.broken = False
        self.ready = False
        self.host_pid = 0
        self.liveness: _Liveness | None = None
        self.namespaces_problem: str | None = None

    def wait_ready(self) -> None:
        """Wait for the template's hello (it imports numpy or TensorFlow first): once."""
        if self.ready:
            return
        hello = self.request(None, timeout=READY_TIMEOUT_S)
        if not hello.get("ready"):
            self.broken = True
            raise WarmTemplateError(f"the template did not start: {hello}")
        self.host_pid = self._host_pid_of(hello["pid"], self.process.pid)
        self.liveness = _Liveness(self.host_pid)
        self.namespaces_problem = hello.get("namespaces_problem")
        self.ready = True

    def request(self, message: dict | None, fds: Sequence[int] = (), timeout: float = CONTROL_TIMEOUT_S) -> dict:
        with self._lock:   # one exchange at a time: the next child's cgroups are joined from another thread
            return self._exchange(message, fds, timeout)

    def _exchange(self, message: dict | None, fds: Sequence[int], timeout: float) -> dict:
        try:
            if message is not None:
                self.control.sendmsg([json.dumps(message).encode()],
                                     [(socket.SOL_SOCKET, socket.SCM_RIGHTS, array.array("i", fds))] if fds else [])
            self.control.settimeout(timeout)
            data = self.control.recv(65536)
        except OSError as exc:
            self.broken = True
            raise WarmTemplateError(f"the template stopped answering ({exc}); {self.stderr.text()[-500:]}") from None
        if not data:
            self.broken = True
            raise WarmTemplateError(f"the template exited; {self.stderr.text()[-500:]}")
        return json.loads(data)

    def child_host_pid(self, inner_pid: int) -> int:
        """The host pid of a child the template forked: among the template's children first (a read or two),
        else anywhere in the sandbox's tree."""
        try:
            children = Path(f"/proc/{self.host_pid}/task/{self.host_pid}/children").read_text().split()
        except OSError:
            children = []
        for pid in map(int, children):
            if _inner_pid(pid) == inner_pid:
                return pid
        return self._host_pid_of(inner_pid, self.process.pid)

    @staticmethod
    def _host_pid_of(inner_pid: int, ancestor: int) -> int:
        """Find the host pid of a process by its pid inside the sandbox's namespace."""
        for pid in _tree(ancestor):
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    fields = line.split()
                    if fields and fields[0] == "NSpid:" and len(fields) > 2 and int(fields[-1]) == inner_pid:
                        return pid
            except (OSError, ValueError):
                continue
        raise WarmTemplateError(f"cannot find the host pid of sandbox pid {inner_pid}")

    def alive(self) -> bool:
        return not self.broken and self.process.poll() is None

    def close(self) -> None:
        if self.liveness is not None:
            self.liveness.close()
        try:
            self.control.close()
        finally:
            kill_group(self.process.pid)
            self.process.wait(timeout=10)


class WarmTemplateLauncher:
    """Forks each submission's child from a warm template in a bubblewrap sandbox."""

    def __init__(self, preload: tuple[str, ...] = BASE_PRELOAD, restart_after: int = TEMPLATE_RESTART_AFTER,
                 bwrap: BwrapLauncher | None = None) -> None:
        """`preload`: the modules the template imports once (`policy.preload_for(exercise.requires)`)."""
        self.bwrap = bwrap or BwrapLauncher()
        self.preload = preload
        self.restart_after = restart_after
        self._template: _WarmTemplate | None = None
        self.cold_because: str | None = None
        self.children_forked_ahead = 0   # children the template had confined ahead of time (all but each template's first)
        self.children_joined_ahead = 0  # of those, children already in their cgroups when their submission came
        self._next = NextCgroups()
        self.isolation = Isolation(
            mode="bwrap-warm", strong=True, memory_limit="cgroup",
            notes=("bubblewrap namespaces: no network, no view of the course, other submissions or $HOME",
                   "forked from a warm template: a fresh child per submission, with its own user, mount, IPC, pid and network "
                   "namespaces, its own /proc and empty tmpfs mounts; the rest of the root is read-only",
                   self.bwrap.identity.describe()),
        )

    def warm_up(self, limits: Limits) -> None:
        """Start the template now, without waiting for it: a batch worker does, so the template imports numpy
        (or TensorFlow) while the worker imports and collects the checks. The first spawn waits for it."""
        if self._template is None and self.cold_because is None:
            try:
                self._template = _WarmTemplate(self.bwrap, limits, self.preload)
            except OSError:
                pass   # the first spawn starts one and reports what goes wrong

    def _running_template(self, limits: Limits) -> _WarmTemplate:
        template = self._template
        if template is None or not template.alive() or template.served >= self.restart_after:
            if template is not None:
                template.close()
            self._template = template = _WarmTemplate(self.bwrap, limits, self.preload)
        if not template.ready:
            template.wait_ready()
            if template.namespaces_problem is not None:
                self.cold_because = f"a child of the template cannot get a private sandbox ({template.namespaces_problem})"
                self.close()
                raise WarmTemplateError(self.cold_because)
        return template

    def spawn(self, spec: ChildSpec) -> Spawned:
        """Fork from the template; a template that died (a submission may kill it) is replaced once.

        A template whose children cannot get namespaces of their own (a kernel that forbids nested
        user namespaces) is never used: every submission then gets a cold bubblewrap sandbox instead.
        """
        if self.cold_because is not None:
            return self._cold(spec)
        try:
            return self._spawn(spec)
        except WarmTemplateError:
            if self.cold_because is not None:
                return self._cold(spec)
            return self._spawn(spec)

    def _cold(self, spec: ChildSpec) -> Spawned:
        spawned = self.bwrap.spawn(spec)
        notes = (*spawned.isolation.notes, f"no warm template: {self.cold_because}")
        return replace(spawned, isolation=replace(spawned.isolation, notes=notes))

    def _spawn(self, spec: ChildSpec) -> Spawned:
        limits = spec.limits
        template = self._running_template(limits)
        joined = self._next.take()
        guard = joined.guard if joined is not None else guard_for(limits)
        rlimits = ChildRlimits.of(limits)
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        source_fd = os.open(spec.submission, os.O_RDONLY)
        message = {"command": "spawn", "path": f"{SUBMISSION_DIR}/{spec.submission.name}",
                   "data_mb": rlimits.data_mb, "cpu_seconds": rlimits.cpu_seconds,
                   "file_mb": rlimits.file_mb, "max_bytes": limits.max_file_kib * 1024,
                   "scratch_bytes": limits.scratch_mb * 2**20}
        try:
            reply = template.request(message, [spec.request_fd, spec.response_fd, stdout_write, stderr_write, source_fd])
        except BaseException:
            guard.close()
            for fd in (stdout_read, stderr_read):
                os.close(fd)
            raise
        finally:
            for fd in (stdout_write, stderr_write, source_fd):
                os.close(fd)
        template.served += 1
        self.children_forked_ahead += reply.get("forked_ahead") is True
        if not isinstance(reply.get("pid"), int):
            template.broken = True
            for fd in (stdout_read, stderr_read):
                os.close(fd)
            guard.close()
            raise WarmTemplateError(f"the template did not fork a child: {reply}")
        host_pid = template.child_host_pid(reply["pid"])
        handle = WarmChild(template, reply["pid"], host_pid, os.fdopen(stdout_read, "rb"), os.fdopen(stderr_read, "rb"))
        stale = None
        if joined is not None and not (reply.get("forked_ahead") is True and joined.fits(template, host_pid, limits)):
            stale, guard = joined.guard, guard_for(limits)
        # The child waits for the go-ahead before importing anything: it is in its cgroups first.
        if stale is not None or joined is None:
            for procs in guard.procs_files:
                with open(procs, "w") as stream:
                    stream.write(str(host_pid))
        else:
            self.children_joined_ahead += 1
        if stale is not None:
            stale.close()   # only now: the child this submission got may have been in it
        if isinstance(guard, Watchdog):
            guard.watch(host_pid, handle.kill)
        if template.namespaces_problem is None:
            self._next.start(template, limits, lambda: self._next_child_host_pid(template), guard_for)
        return Spawned(handle, guard, replace(self.isolation, memory_limit=guard.kind))

    @staticmethod
    def _next_child_host_pid(template: _WarmTemplate) -> int | None:
        """The host pid of the next child the template forks ahead for the next submission, once it exists."""
        pid = template.request({"command": "next_child"}).get("pid")
        return template.child_host_pid(pid) if isinstance(pid, int) else None

    def close(self) -> None:
        if self._template is not None:
            self._template.close()
            self._template = None
        self._next.discard()
