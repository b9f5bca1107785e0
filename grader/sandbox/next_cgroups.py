"""The next warm child's cgroups, made and joined while the current submission is graded.

Moving a process into a memory cgroup can wait for the kernel (several milliseconds), and every warm
submission used to wait for it between the template's reply and the go-ahead. The template forks
the next child ahead of time (`warm_template._fork_next_child`); in a background thread, `NextCgroups` asks for that
child's pid, makes the cgroups the next submission needs and moves the child into them. The child has
run no student code and cannot run any before the go-ahead; it is only used if the template hands the
next submission to exactly that child, the limits are the same, and the child is listed in every one
of its cgroups. Anything else and the next spawn makes and joins cgroups as before.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

from grader.course.model import Limits
from grader.sandbox.guard import Guard


@dataclass(frozen=True)
class Joined:
    owner: object          # the template that forked the child ahead
    host_pid: int
    guard: Guard
    limits: Limits

    def fits(self, owner: object, host_pid: int, limits: Limits) -> bool:
        return (owner is self.owner and host_pid == self.host_pid and limits == self.limits
                and all(str(host_pid) in path.read_text().split() for path in self.guard.procs_files))


class NextCgroups:
    """At most one child joined ahead of time, made by a background thread."""

    def __init__(self) -> None:
        self._thread: threading.Thread | None = None
        self._joined: Joined | None = None

    def start(self, owner: object, limits: Limits, next_host_pid: Callable[[], int | None],
              make_guard: Callable[[Limits], Guard]) -> None:
        """Join the next child the template forks ahead, in the background."""
        self.take()

        def join() -> None:
            try:
                host_pid = next_host_pid()
            except Exception:  # noqa: BLE001 - the template broke: the next spawn finds out and says so
                return
            if host_pid is None:
                return
            guard = make_guard(limits)
            try:
                if not guard.procs_files:   # a watchdog watches a pid it is given at spawn: nothing to join
                    raise OSError("no cgroup")
                for procs in guard.procs_files:
                    with open(procs, "w") as stream:
                        stream.write(str(host_pid))
            except OSError:
                guard.close()
                return
            self._joined = Joined(owner, host_pid, guard, limits)

        self._thread = threading.Thread(target=join, name="grader-next-cgroups", daemon=True)
        self._thread.start()

    def take(self) -> Joined | None:
        """The child joined ahead of time, if any (waiting for the background thread first)."""
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        joined, self._joined = self._joined, None
        return joined

    def discard(self) -> None:
        joined = self.take()
        if joined is not None:
            joined.guard.close()
