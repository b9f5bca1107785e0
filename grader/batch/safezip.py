"""Extract an LMS zip export without trusting it: no path escapes, no links, bounded size and count."""

from __future__ import annotations

import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from grader.errors import UsageError

MAX_FILES = 20_000
MAX_TOTAL_BYTES = 1024 * 2**20
MAX_FILE_BYTES = 64 * 2**20


class UnsafeArchive(UsageError):
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


SUPPORTED_COMPRESSION = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
MAX_NAME_BYTES = 255


def _refusal(member: zipfile.ZipInfo, relative: PurePosixPath | None, written: set[PurePosixPath]) -> str | None:
    """Why this member cannot be extracted, judged from its header before reading it; None if it can."""
    mode = member.external_attr >> 16
    if relative is None:
        return "its path leaves the archive's folder"
    if stat.S_ISLNK(mode):
        return "it is a symbolic link"
    if member.flag_bits & 0x1:
        return "it is encrypted (password-protected); ask for it again without a password"
    if member.compress_type not in SUPPORTED_COMPRESSION:
        return f"it is compressed with a method this grader cannot read (zip method {member.compress_type}); ask for a plain zip"
    if any(len(part.encode("utf-8", "replace")) > MAX_NAME_BYTES for part in relative.parts):
        return f"a part of its name is longer than {MAX_NAME_BYTES} bytes, too long for a file name"
    if member.file_size > MAX_FILE_BYTES:
        return f"it is larger than {MAX_FILE_BYTES / 2**20:.0f} MB"
    if relative in written:
        return "the archive holds two members of this name; the first was kept"
    if any(parent in written for parent in relative.parents):
        return "a file of the archive has the name of one of its folders"
    return None


def _copy(bundle: zipfile.ZipFile, member: zipfile.ZipInfo, destination: Path, budget: int) -> tuple[str | None, int]:
    """Copy one member, at most MAX_FILE_BYTES and `budget` bytes of it (headers can lie about sizes);
    on any failure remove the partial file and say why. Returns (reason or None, bytes written)."""
    limit = min(MAX_FILE_BYTES, budget)
    written, created = 0, False
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        with bundle.open(member) as source, open(destination, "xb") as sink:
            created = True
            while chunk := source.read(min(1 << 20, limit + 1 - written)):
                sink.write(chunk)
                written += len(chunk)
                if written > limit:
                    break
    except Exception as exc:  # noqa: BLE001 - one damaged member must not stop the others
        if created:
            destination.unlink(missing_ok=True)
        return _damage(exc), 0
    if written > limit:
        destination.unlink()
        return f"it unpacks to more than {limit / 2**20:.0f} MB (its header said {member.file_size} bytes)", 0
    return None, written


def _damage(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return f"it is damaged ({exc}); ask for a new upload"
    if isinstance(exc, (FileExistsError, NotADirectoryError, IsADirectoryError)):
        return "its name clashes with another file or folder of the archive"
    if isinstance(exc, OSError):
        return f"it cannot be written here ({exc.strerror or exc})"
    return f"it cannot be read ({type(exc).__name__}: {exc})"


def extract(archive: Path, target: Path, max_files: int = MAX_FILES, max_total_bytes: int = MAX_TOTAL_BYTES) -> list[Skipped]:
    """Extract regular files under `target`; return what was skipped and why. A member that cannot be
    extracted (damaged, encrypted, a name clash, a name too long) is skipped; the others are extracted.
    The bounds default to an LMS export's; one student's zip passes its own, smaller ones."""
    try:
        bundle = zipfile.ZipFile(archive)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UnsafeArchive(f"{archive} is not a readable zip archive ({exc})") from None
    skipped: list[Skipped] = []
    written: set[PurePosixPath] = set()
    budget = max_total_bytes
    with bundle:
        members = bundle.infolist()
        if len(members) > max_files:
            raise UnsafeArchive(f"{archive} holds {len(members)} entries (at most {max_files})")
        total = sum(member.file_size for member in members)
        if total > max_total_bytes:
            raise UnsafeArchive(f"{archive} unpacks to {total / 2**20:.1f} MB (at most {max_total_bytes / 2**20:.1f} MB)")
        for member in members:
            if member.is_dir():
                continue
            relative = _member_path(member.filename)
            reason = _refusal(member, relative, written)
            if reason is None:
                assert relative is not None   # _refusal refuses a path that leaves the folder
                reason, size = _copy(bundle, member, target.joinpath(*relative.parts), budget)
                budget -= size
                if reason is None:
                    written.add(relative)
            if reason is not None:
                skipped.append(Skipped(member.filename, reason))
    return skipped
