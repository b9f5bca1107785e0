"""A submission's bytes, read once and safely: the one regular-file open, hashing, inspecting, the hidden seed.

Every reader of a student's file opens it here: without following a link and without blocking (a FIFO or
device put in a file's place since it was listed is refused, never read), bounded before reading. Single
`grade`, `grade batch`, the cluster and similarity hash and judge a file alike because they ask here.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import os
import stat
from pathlib import Path
from typing import BinaryIO, Iterator

from grader.course.model import Exercise
from grader.feedback.model import SubmissionInfo

HASH_CHUNK = 1 << 20
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC


class SubmissionRefused(ValueError):
    """The submission cannot be graded; the message says why in plain words."""


class NotRegularFile(SubmissionRefused, OSError):
    """A FIFO, device or folder where a file was listed: never read (it could block or be endless)."""


class TooLarge(SubmissionRefused):
    """A file larger than allowed, refused by its size before it was read."""

    def __init__(self, size: int, max_kib: int) -> None:
        super().__init__(too_large(size, max_kib))
        self.size = size


def too_large(size: int, max_kib: int) -> str:
    return (f"the file is {size / 1024 / 1024:.1f} MB, and a submission may be at most {max_kib / 1024:g} MB; "
            f"hand in only your code")


@contextlib.contextmanager
def open_regular(path: Path, dir_fd: int | None = None) -> Iterator[tuple[BinaryIO, int]]:
    """The file opened without following a link or blocking, and its size; NotRegularFile for anything but a
    regular file, OSError (ELOOP) for a link."""
    descriptor = os.open(path, OPEN_FLAGS, dir_fd=dir_fd)
    with os.fdopen(descriptor, "rb") as stream:
        status = os.fstat(stream.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFile(f"{Path(path).name} is not a regular file")
        yield stream, status.st_size


def read_regular(path: Path, limit: int, dir_fd: int | None = None, refuse_larger: bool = False) -> bytes:
    """At most `limit` + 1 bytes of the regular file (one byte more than allowed, if it grew since it was
    measured: still "too large" later); with `refuse_larger`, a file larger than `limit` is TooLarge, unread."""
    with open_regular(path, dir_fd) as (stream, size):
        if refuse_larger and size > limit:
            raise TooLarge(size, limit // 1024)
        return stream.read(limit + 1)


def file_sha256(path: Path, limit: int | None = None) -> str:
    """The file's sha256, read in chunks so a huge file never sits in memory whole; OSError for a link, a FIFO
    or a device. With `limit`, a file larger than `limit` bytes is TooLarge, unread (hashing a sparse terabyte
    takes most of an hour: one such file held up a whole batch before anyone was graded)."""
    digest = hashlib.sha256()
    with open_regular(path) as (stream, size):
        if limit is not None and size > limit:
            raise TooLarge(size, limit // 1024)
        read = 0
        while chunk := stream.read(HASH_CHUNK):
            read += len(chunk)
            if limit is not None and read > limit:   # it grew since it was measured
                raise TooLarge(read, limit // 1024)
            digest.update(chunk)
    return digest.hexdigest()


def inspect_file(path: Path, max_kib: int) -> tuple[SubmissionInfo, str | None]:
    """Say why the file cannot be run at all (unreadable, too large, binary, not UTF-8), judging its size
    before reading it, so a huge file costs no memory; hash what is read."""
    limit = max_kib * 1024
    try:
        data = read_regular(path, limit, refuse_larger=True)
    except NotRegularFile:
        return SubmissionInfo(path=str(path), sha256="", bytes=0), "the file cannot be read (it is not a regular file)"
    except TooLarge as exc:
        return SubmissionInfo(path=str(path), sha256="", bytes=exc.size), str(exc)
    except OSError as exc:
        return SubmissionInfo(path=str(path), sha256="", bytes=0), f"the file cannot be read ({exc.strerror or exc})"
    if len(data) > limit:
        return SubmissionInfo(path=str(path), sha256="", bytes=len(data)), too_large(len(data), max_kib)
    info = SubmissionInfo(path=str(path), sha256=hashlib.sha256(data).hexdigest(), bytes=len(data))
    if not data.strip():
        return info, "the file is empty: write your functions in it and grade again"
    if b"\x00" in data:
        return info, "the file contains NUL bytes, so it is not a Python text file (was a binary file saved under this name?)"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return info, f"the file is not valid UTF-8 text (bad byte at position {exc.start}); save it as UTF-8"
    return info, None


def seed_for(key: bytes, exercise_id: str, sha256: str) -> int:
    """The hidden inputs' seed: the same file gets the same inputs under the same key, and without the key
    (which the sandbox never sees) a submission cannot compute them from its own bytes."""
    mac = hmac.new(key, f"{exercise_id}\n{sha256}".encode(), hashlib.sha256).digest()
    return int.from_bytes(mac[:4], "big")


def sandbox_seed(seed: int) -> int:
    """The seed of the submission's own random generators (Python's, numpy's, Keras'), set before each call: the
    same file graded under the same seed trains the same way, so a grade can be reproduced. One-way from the hidden
    inputs' seed, which reading the generators therefore does not give (and that seed is the file's own: knowing it
    would not help a changed file, whose seed differs)."""
    return int.from_bytes(hashlib.sha256(b"grader sandbox seed %d" % seed).digest()[:4], "big")


def course_key(exercise: Exercise) -> bytes:
    """The key of single `grade` runs: the exercise's hidden checks and reference solution, which never enter
    the sandbox, so the seed is the same on every machine holding the course and unknown to the submission."""
    digest = hashlib.sha256(exercise.id.encode())
    for path in (exercise.hidden_checks, exercise.reference_path):
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.digest()
