"""Extract an LMS zip export without trusting it: no path escapes, no links, bounded size and count.

Member names are decoded as the archive says: UTF-8 when a member's general purpose bit 11 is set, or when its
Info-ZIP Unicode Path field (0x7075) gives the UTF-8 name of exactly these bytes; otherwise UTF-8 when the bytes
are valid UTF-8 (Info-ZIP on Linux and macOS writes the system's UTF-8 names without the flag, which cp437 would turn
into `Jos├⌐`), else cp437 (what Info-ZIP and Windows' own zip write). A name thus reads as it did in the student's
folder, and gets the same id. Each file keeps the time its member records (as `unzip` does), which a download that
holds no submission time (Moodle's) gives as the time the file was handed in. Python's zipfile decodes every name while it opens the
archive and raises UnicodeDecodeError for one flagged name that is not UTF-8, so one such member stopped
the whole class. The central directory is therefore read here first; a member whose flagged name is not
UTF-8 (or that asks for a zip reader newer than zipfile's) is refused alone, with its name shown printably,
and zipfile opens the archive through a view in which only that member's flag (or version) byte reads as
what zipfile can decode. That member is never opened; every other member is read exactly as before.
"""

from __future__ import annotations

import bisect
import io
import os
import stat
import struct
import time
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any
from pathlib import Path, PurePosixPath

from grader.errors import UsageError
from grader.text import one_line

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
    _keep_time(member, destination)
    return None, written


def _keep_time(member: zipfile.ZipInfo, destination: Path) -> None:
    """The member's recorded time (local time, as zip records it and `unzip` restores it) on the extracted file."""
    try:
        stamp = time.mktime((*member.date_time, 0, 0, -1))
        os.utime(destination, (stamp, stamp))
    except (OverflowError, ValueError, OSError):
        pass   # a nonsense date keeps the extraction time


_UNICODE_PATH = 0x7075   # Info-ZIP Unicode Path extra field: version 1, CRC-32 of the header's name, the UTF-8 name


def _unicode_path(member: zipfile.ZipInfo, raw: bytes) -> str | None:
    extra, position = member.extra, 0
    while position + 4 <= len(extra):
        kind, size = struct.unpack_from("<HH", extra, position)
        body = extra[position + 4:position + 4 + size]
        if kind == _UNICODE_PATH and len(body) > 5 and body[0] == 1 and struct.unpack_from("<L", body, 1)[0] == zlib.crc32(raw):
            try:
                return body[5:].decode("utf-8")
            except UnicodeDecodeError:
                return None
        position += 4 + size
    return None


def member_name(member: zipfile.ZipInfo) -> str:
    """The member's name as its archive means it (see the module): zipfile has decoded an unflagged name as cp437."""
    if member.flag_bits & _UTF8_NAME:
        return member.filename
    try:
        raw = member.filename.encode("cp437")
    except UnicodeEncodeError:
        return member.filename
    named = _unicode_path(member, raw)
    if named is not None:
        return named
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return member.filename


def _damage(exc: Exception) -> str:
    if isinstance(exc, zipfile.BadZipFile):
        return f"it is damaged ({one_line(str(exc))}); ask for a new upload"
    if isinstance(exc, UnicodeDecodeError):   # its own (local) header marks its name UTF-8, and it is not
        return "its name in its own header is marked as UTF-8 but is not UTF-8; ask for a new upload"
    if isinstance(exc, (FileExistsError, NotADirectoryError, IsADirectoryError)):
        return "its name clashes with another file or folder of the archive"
    if isinstance(exc, OSError):
        return f"it cannot be written here ({one_line(str(exc.strerror or exc))})"
    return f"it cannot be read ({type(exc).__name__}: {one_line(str(exc))})"


_UTF8_NAME = 0x800                                   # general purpose bit 11: the name is UTF-8
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")           # a central directory header (APPNOTE 4.3.12)
_CENTRAL_SIGNATURE = b"PK\x01\x02"
_ZIP64_END = b"PK\x06\x06"
_VERSION_AT, _FLAGS_HIGH_AT = 6, 9                   # bytes of a central header: version needed, flag bits 8-15


@dataclass(frozen=True)
class _Entry:
    offset: int          # of its central directory header in the archive
    flags: int
    version: int         # zip version needed to extract it
    name: bytes


def _central_directory(handle: io.BufferedReader, max_files: int) -> list[_Entry]:
    """The central directory's entries in order (as zipfile lists them), located as zipfile locates them;
    empty when zipfile would not find one either (it then says why itself)."""
    internals: Any = zipfile   # zipfile's own private reader of the end record: the one it trusts, zip64 included
    endrec = internals._EndRecData(handle)
    if not endrec:
        return []
    size, offset, location = endrec[internals._ECD_SIZE], endrec[internals._ECD_OFFSET], endrec[internals._ECD_LOCATION]
    start = location - size
    if endrec[internals._ECD_SIGNATURE] == _ZIP64_END:
        start -= internals.sizeEndCentDir64 + internals.sizeEndCentDir64Locator
    if start < 0 or offset < 0:
        return []
    handle.seek(start)
    data = handle.read(size)
    entries: list[_Entry] = []
    position = 0
    while position + _CENTRAL.size <= len(data) and len(entries) <= max_files:
        fields = _CENTRAL.unpack_from(data, position)
        if fields[0] != _CENTRAL_SIGNATURE:
            break
        name_end = position + _CENTRAL.size + fields[12]
        entries.append(_Entry(start + position, fields[5], fields[3], data[position + _CENTRAL.size:name_end]))
        position = name_end + fields[13] + fields[14]
    return entries


def _unreadable(entry: _Entry) -> tuple[str, str, dict[int, int]] | None:
    """For a member zipfile cannot list: its name (undecodable bytes kept as surrogates, as a file name on
    disk keeps them), why it is refused, and the header bytes that let zipfile list it; None when it can."""
    patches: dict[int, int] = {}
    reasons = []
    name = entry.name.decode("utf-8" if entry.flags & _UTF8_NAME else "cp437", "surrogateescape")
    if entry.flags & _UTF8_NAME and any("\udc80" <= char <= "\udcff" for char in name):
        shown = one_line(entry.name.decode("utf-8", "backslashreplace"))
        reasons.append(f"its name ({shown}) is marked as UTF-8 in the archive but its bytes are not UTF-8, so it cannot "
                       "be named; ask for the archive again (made by another zip tool) or for the file renamed")
        patches[entry.offset + _FLAGS_HIGH_AT] = (entry.flags >> 8) & ~(_UTF8_NAME >> 8)
    if entry.version > zipfile.MAX_EXTRACT_VERSION:
        reasons.append(f"it needs a zip reader of version {entry.version / 10:.1f}, newer than this grader's; "
                       "ask for a plain zip")
        patches[entry.offset + _VERSION_AT] = 20
    return (name, "; ".join(reasons), patches) if reasons else None


class _Patched(io.RawIOBase):
    """The archive as it is on disk, except for a few header bytes read as `patches` says."""

    def __init__(self, path: Path, patches: dict[int, int]) -> None:
        super().__init__()
        self._file = open(path, "rb", buffering=0)  # noqa: SIM115 - closed with this object
        self._places = sorted(patches)
        self._values = [patches[place] for place in self._places]

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def readinto(self, buffer) -> int | None:  # type: ignore[no-untyped-def]
        start = self._file.tell()
        count = self._file.readinto(buffer)
        if count:
            view = memoryview(buffer).cast("B")
            index = bisect.bisect_left(self._places, start)
            while index < len(self._places) and self._places[index] < start + count:
                view[self._places[index] - start] = self._values[index]
                index += 1
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def _opened(archive: Path, max_files: int) -> tuple[zipfile.ZipFile, dict[int, Skipped], Any]:
    """The archive opened by zipfile; the members it could not have listed, by position in its list; and the
    patched view it reads through (None when it reads the file itself), to close after the archive."""
    with open(archive, "rb") as handle:
        entries = _central_directory(handle, max_files)
    if len(entries) > max_files:
        raise UnsafeArchive(f"{archive} holds more than {max_files} entries")
    refused: dict[int, Skipped] = {}
    patches: dict[int, int] = {}
    for index, entry in enumerate(entries):
        found = _unreadable(entry)
        if found is not None:
            refused[index] = Skipped(found[0], found[1])
            patches.update(found[2])
    if not patches:
        return zipfile.ZipFile(archive), refused, None
    view = io.BufferedReader(_Patched(archive, patches))
    try:
        bundle = zipfile.ZipFile(view)
        if len(bundle.infolist()) != len(entries):   # zipfile read another directory than this one: trust neither
            bundle.close()
            raise zipfile.BadZipFile("its central directory cannot be read consistently")
    except BaseException:
        view.close()
        raise
    return bundle, refused, view


def extract(archive: Path, target: Path, max_files: int = MAX_FILES, max_total_bytes: int = MAX_TOTAL_BYTES) -> list[Skipped]:
    """Extract regular files under `target`; return what was skipped and why. A member that cannot be
    extracted (damaged, encrypted, a name clash, a name too long, a name that is not what the archive says
    it is) is skipped; the others are extracted. The bounds default to an LMS export's; one student's zip
    passes its own, smaller ones."""
    try:
        bundle, refused, view = _opened(archive, max_files)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, UnicodeDecodeError, struct.error) as exc:
        raise UnsafeArchive(f"{archive} is not a readable zip archive ({one_line(str(exc))})") from None
    skipped: list[Skipped] = []
    written: set[PurePosixPath] = set()
    budget = max_total_bytes
    try:
        with bundle:
            members = bundle.infolist()
            if len(members) > max_files:
                raise UnsafeArchive(f"{archive} holds {len(members)} entries (at most {max_files})")
            total = sum(member.file_size for member in members)
            if total > max_total_bytes:
                raise UnsafeArchive(f"{archive} unpacks to {total / 2**20:.1f} MB (at most {max_total_bytes / 2**20:.1f} MB)")
            for index, member in enumerate(members):
                if member.is_dir():
                    continue
                if index in refused:
                    skipped.append(refused[index])
                    continue
                name = member_name(member)
                relative = _member_path(name)
                reason = _refusal(member, relative, written)
                if reason is None:
                    assert relative is not None   # _refusal refuses a path that leaves the folder
                    reason, size = _copy(bundle, member, target.joinpath(*relative.parts), budget)
                    budget -= size
                    if reason is None:
                        written.add(relative)
                if reason is not None:
                    skipped.append(Skipped(name, reason))
    finally:
        if view is not None:
            view.close()
    return skipped
