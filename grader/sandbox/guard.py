"""Memory and process limits for one child tree, with the strongest mechanism this machine allows.

Order of preference: a memory (and pids) cgroup the grader may create, v2 or v1 (this machine
mounts v1 for memory with a v2 hierarchy beside it); otherwise a watchdog thread that sums the
resident memory and counts the processes of the child's tree and kills it past the limit.
`RLIMIT_AS` is not used for TensorFlow: it kills TensorFlow's import at any sensible size.
"""

from __future__ import annotations

import os
import signal
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from grader.outcomes import Limit

CGROUP_ROOT = Path("/sys/fs/cgroup")
WATCH_INTERVAL_S = 0.05


@dataclass
class LimitHit:
    limit: Limit   # MEMORY or PROCESSES
    detail: str


def _own_cgroup_paths() -> dict[str, str]:
    """controller (or '' for v2) -> this process's cgroup path."""
    paths: dict[str, str] = {}
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            _, controllers, path = line.split(":", 2)
            if controllers == "":
                paths[""] = path
            for controller in controllers.split(","):
                if controller:
                    paths[controller] = path
    except (OSError, ValueError):
        pass
    return paths


def _write(path: Path, value: str) -> None:
    with open(path, "w") as stream:
        stream.write(value)


class CgroupV1:
    """A memory cgroup (and a pids cgroup when there is one) under this process's own cgroups."""

    def __init__(self, memory_bytes: int, max_processes: int) -> None:
        own = _own_cgroup_paths()
        name = f"grader-{uuid.uuid4().hex[:12]}"
        self.memory_dir = CGROUP_ROOT / "memory" / own["memory"].lstrip("/") / name
        self.memory_dir.mkdir()
        self.dirs = [self.memory_dir]
        try:
            _write(self.memory_dir / "memory.limit_in_bytes", str(memory_bytes))
            try:
                _write(self.memory_dir / "memory.swappiness", "0")
            except OSError:
                pass
            self.pids_dir: Path | None = None
            if "pids" in own and (CGROUP_ROOT / "pids").is_dir():
                pids_dir = CGROUP_ROOT / "pids" / own["pids"].lstrip("/") / name
                try:
                    pids_dir.mkdir()
                    _write(pids_dir / "pids.max", str(max_processes))
                    self.pids_dir = pids_dir
                    self.dirs.append(pids_dir)
                except OSError:
                    pass
        except OSError:
            self.close()
            raise

    @property
    def procs_files(self) -> list[Path]:
        return [folder / "cgroup.procs" for folder in self.dirs]

    @property
    def kind(self) -> str:
        return "cgroup-v1" + ("+pids" if self.pids_dir else "")

    def limit_hit(self) -> LimitHit | None:
        try:
            control = (self.memory_dir / "memory.oom_control").read_text()
            kills = [int(line.split()[1]) for line in control.splitlines() if line.startswith("oom_kill ")]
            failures = int((self.memory_dir / "memory.failcnt").read_text())
        except (OSError, ValueError):
            return None
        if (kills and kills[0] > 0) or failures > 0:
            return LimitHit(Limit.MEMORY, "it used more memory than allowed and was killed")
        if self.pids_dir is not None:
            try:
                events = (self.pids_dir / "pids.events").read_text()
                if any(line.startswith("max ") and int(line.split()[1]) > 0 for line in events.splitlines()):
                    return LimitHit(Limit.PROCESSES, "it tried to start more processes than allowed")
            except (OSError, ValueError):
                pass
        return None

    def kill_all(self) -> None:
        for folder in self.dirs:
            try:
                for pid in (folder / "cgroup.procs").read_text().split():
                    try:
                        os.kill(int(pid), signal.SIGKILL)
                    except (ProcessLookupError, ValueError):
                        pass
            except OSError:
                pass

    def close(self) -> None:
        self.kill_all()
        for folder in self.dirs:
            for _ in range(500):
                try:
                    folder.rmdir()
                    break
                except FileNotFoundError:
                    break
                except OSError:
                    threading.Event().wait(0.002)   # processes still leaving


class CgroupV2:
    """A delegated v2 cgroup with memory.max and pids.max; only where such a subtree is writable."""

    def __init__(self, memory_bytes: int, max_processes: int) -> None:
        own = _own_cgroup_paths()
        base = CGROUP_ROOT if (CGROUP_ROOT / "cgroup.controllers").is_file() else CGROUP_ROOT / "unified"
        parent = base / own.get("", "/").lstrip("/")
        if "memory" not in (parent / "cgroup.subtree_control").read_text().split():
            raise OSError("the memory controller is not delegated to this cgroup")
        self.dir = parent / f"grader-{uuid.uuid4().hex[:12]}"
        self.dir.mkdir()
        try:
            _write(self.dir / "memory.max", str(memory_bytes))
            _write(self.dir / "memory.swap.max", "0") if (self.dir / "memory.swap.max").exists() else None
            if (self.dir / "pids.max").exists():
                _write(self.dir / "pids.max", str(max_processes))
        except OSError:
            self.close()
            raise

    @property
    def procs_files(self) -> list[Path]:
        return [self.dir / "cgroup.procs"]

    kind = "cgroup-v2"

    def limit_hit(self) -> LimitHit | None:
        try:
            events = dict(line.split() for line in (self.dir / "memory.events").read_text().splitlines())
            if int(events.get("oom_kill", 0)) > 0 or int(events.get("max", 0)) > 0:
                return LimitHit(Limit.MEMORY, "it used more memory than allowed and was killed")
            if (self.dir / "pids.events").exists():
                pid_events = dict(line.split() for line in (self.dir / "pids.events").read_text().splitlines())
                if int(pid_events.get("max", 0)) > 0:
                    return LimitHit(Limit.PROCESSES, "it tried to start more processes than allowed")
        except (OSError, ValueError):
            return None
        return None

    def kill_all(self) -> None:
        try:
            _write(self.dir / "cgroup.kill", "1")
        except OSError:
            pass

    def close(self) -> None:
        self.kill_all()
        for _ in range(500):
            try:
                self.dir.rmdir()
                break
            except FileNotFoundError:
                break
            except OSError:
                threading.Event().wait(0.002)


def process_tree(root_pid: int) -> list[int]:
    """The pids of root_pid and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    try:
        entries = os.listdir("/proc")
    except OSError:   # no /proc (macOS): only the child itself can be watched
        return [root_pid]
    for entry in entries:
        if not entry.isdigit():
            continue
        stat = proc_stat(int(entry))
        if stat is not None:
            children.setdefault(stat[1], []).append(int(entry))
    found, stack = [], [root_pid]
    while stack:
        pid = stack.pop()
        found.append(pid)
        stack.extend(children.get(pid, []))
    return found


def proc_stat(pid: int) -> tuple[str, int] | None:
    """(state, parent pid) from /proc/<pid>/stat, or None when the process is gone or unreadable.

    The command name may hold spaces and parentheses: the fields start after its last ')'."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return fields[0], int(fields[1])
    except (OSError, ValueError, IndexError):
        return None


def kill_group(pid: int) -> None:
    """SIGKILL a child's whole process group (its session leader is the child itself); gone is fine."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _resident_bytes(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


class Watchdog:
    """Samples the child tree's resident memory and process count; kills the tree past a limit."""

    kind = "watchdog"

    def __init__(self, memory_bytes: int, max_processes: int) -> None:
        self.memory_bytes = memory_bytes
        self.max_processes = max_processes
        self._hit: LimitHit | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    procs_files: list[Path] = []

    def watch(self, pid: int, kill) -> None:
        def run() -> None:
            while not self._stop.wait(WATCH_INTERVAL_S):
                pids = process_tree(pid)
                if len(pids) > self.max_processes:
                    self._hit = LimitHit(Limit.PROCESSES, f"it started more than {self.max_processes} processes")
                elif sum(_resident_bytes(p) for p in pids) > self.memory_bytes:
                    self._hit = LimitHit(Limit.MEMORY, f"it used more than {self.memory_bytes // 2**20} MB of memory")
                if self._hit:
                    kill()
                    return

        self._thread = threading.Thread(target=run, name=f"watchdog-{pid}", daemon=True)
        self._thread.start()

    def limit_hit(self) -> LimitHit | None:
        return self._hit

    def kill_all(self) -> None:
        pass

    def close(self) -> None:
        self._stop.set()


_UNAVAILABLE: set[type] = set()   # guard kinds that cannot work in this process; not tried again


class Guard(Protocol):
    """What the session needs of a memory and process guard, whichever mechanism it uses."""

    @property
    def kind(self) -> str: ...
    @property
    def procs_files(self) -> list[Path]: ...
    def limit_hit(self) -> LimitHit | None: ...
    def kill_all(self) -> None: ...
    def close(self) -> None: ...


def make_guard(memory_bytes: int, max_processes: int) -> Guard:
    """The strongest guard available: cgroup v2, cgroup v1, else the watchdog."""
    for kind in (CgroupV2, CgroupV1):
        if kind in _UNAVAILABLE:
            continue
        try:
            return kind(memory_bytes, max_processes)
        except (OSError, KeyError, ValueError):
            if kind is CgroupV2:   # not delegated here: that does not change while we run
                _UNAVAILABLE.add(kind)
    return Watchdog(memory_bytes, max_processes)
