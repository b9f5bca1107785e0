"""Extract an LMS zip export without trusting it: no path escapes, no links, bounded size and count."""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

MAX_FILES = 20_000
MAX_TOTAL_BYTES = 1024 * 2**20
MAX_FILE_BYTES = 64 * 2**20


class UnsafeArchive(Exception):
    """The archive as a whole cannot be used (not a zip, too large, too many files)."""


@dataclass(frozen=True)
class Skipped:
    name: str
    reason: str


def _member_path(name: str) -> PurePosixPath | None:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or not path.parts or ":" in path.parts[0]:
        return None
    return path


def extract(archive: Path, target: Path) -> list[Skipped]:
    """Extract regular files under `target`; return what was skipped and why."""
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchive(f"{archive} is not a readable zip archive ({exc})") from None
    skipped: list[Skipped] = []
    with bundle:
        members = bundle.infolist()
        if len(members) > MAX_FILES:
            raise UnsafeArchive(f"{archive} holds {len(members)} entries (at most {MAX_FILES})")
        total = sum(member.file_size for member in members)
        if total > MAX_TOTAL_BYTES:
            raise UnsafeArchive(f"{archive} unpacks to {total / 2**20:.0f} MB (at most {MAX_TOTAL_BYTES / 2**20:.0f} MB)")
        for member in members:
            if member.is_dir():
                continue
            relative = _member_path(member.filename)
            mode = member.external_attr >> 16
            if relative is None:
                skipped.append(Skipped(member.filename, "its path leaves the archive's folder"))
            elif stat.S_ISLNK(mode):
                skipped.append(Skipped(member.filename, "it is a symbolic link"))
            elif member.file_size > MAX_FILE_BYTES:
                skipped.append(Skipped(member.filename, f"it is larger than {MAX_FILE_BYTES / 2**20:.0f} MB"))
            else:
                destination = target.joinpath(*relative.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                with bundle.open(member) as source, open(destination, "wb") as sink:
                    remaining = MAX_FILE_BYTES + 1
                    while chunk := source.read(min(1 << 20, remaining)):
                        sink.write(chunk)
                        remaining -= len(chunk)
                        if remaining <= 0:
                            break
                if remaining <= 0:   # the header lied about the size
                    destination.unlink()
                    skipped.append(Skipped(member.filename, f"it is larger than {MAX_FILE_BYTES / 2**20:.0f} MB"))
    return skipped
