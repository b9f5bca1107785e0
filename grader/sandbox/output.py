"""Bounded capture of what the submission prints: the total is counted, only the tail is kept."""

from __future__ import annotations

import os
import threading
from typing import IO

from grader.text import printable

class TailBuffer:
    """Keeps the last `limit` bytes written to it, and how many bytes there were in all."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0
        self._data = bytearray()
        self._lock = threading.Lock()

    def feed(self, chunk: bytes) -> None:
        with self._lock:
            self.total += len(chunk)
            self._data += chunk
            if len(self._data) > 2 * self.limit:
                del self._data[: len(self._data) - self.limit]

    def text(self) -> str:
        with self._lock:
            data = bytes(self._data[-self.limit:])
        return printable(data.decode("utf-8", errors="replace"))

    @property
    def truncated(self) -> bool:
        return self.total > self.limit


def drain(stream: IO[bytes] | None, buffer: TailBuffer) -> threading.Thread:
    """Read `stream` until EOF on a daemon thread, so a chatty child never blocks on a full pipe."""
    if stream is None:
        raise ValueError("drain needs the child's pipe; start it with stdout and stderr as PIPE")
    fd = stream.fileno()

    def run() -> None:
        try:
            while True:
                chunk = os.read(fd, 65536)
                if not chunk:
                    break
                buffer.feed(chunk)
        except OSError:
            pass
        finally:
            stream.close()

    thread = threading.Thread(target=run, name=f"drain-{fd}", daemon=True)
    thread.start()
    return thread
