"""Who waits for a submission's grading: a status request asked to wait (`?wait=S`) is answered as soon as the
grading loop records that submission, instead of the client asking again every second.

The loop records in its own thread; each waiter is an asyncio event of the server's event loop, set through
`call_soon_threadsafe`. A recording nobody waits for costs one dictionary lookup.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict

MAX_WAIT_S = 25.0   # under common proxies' 30 s idle limits; a client asks again after it


class Waiters:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[int, list[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = defaultdict(list)

    async def wait(self, submission: int, seconds: float) -> None:
        """Return when the submission is next recorded, or after `seconds` (at most MAX_WAIT_S)."""
        event = asyncio.Event()
        entry = (asyncio.get_running_loop(), event)
        with self._lock:
            self._waiting[submission].append(entry)
        try:
            await asyncio.wait_for(event.wait(), timeout=max(0.0, min(seconds, MAX_WAIT_S)))
        except asyncio.TimeoutError:
            pass
        finally:
            with self._lock:
                entries = self._waiting.get(submission, [])
                if entry in entries:
                    entries.remove(entry)
                if not entries:
                    self._waiting.pop(submission, None)

    def recorded(self, submission: int) -> None:
        """The loop recorded the submission (any thread): wake whoever waits for it."""
        with self._lock:
            entries = list(self._waiting.get(submission, ()))
        for loop, event in entries:
            try:
                loop.call_soon_threadsafe(event.set)
            except RuntimeError:   # that event loop has closed: its request is gone
                pass
