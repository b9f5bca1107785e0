"""Zip member names decode as their archive says (issue 26 item 5), tested on zips whose raw name bytes are written
here: flagged UTF-8, Info-ZIP's unflagged UTF-8 (the system's code page on Linux and macOS), cp437 (Windows and
Info-ZIP on DOS), and Info-ZIP's Unicode Path field. Each gives the id a folder of the same name would; a name
flagged UTF-8 that is not is reported alone, never fatal. Extracted files keep their recorded times."""

from __future__ import annotations

import os
import struct
import time
import zipfile
import zlib
from pathlib import Path

import pytest

from conftest import ROOT
from grader.batch.collect import collect, student_id
from grader.course.manifest import load_course
from grader.labcode.safezip import extract

EXERCISE = load_course(ROOT / "course.yaml").exercise("02_backprop")
NAME = "José Núñez.py"


def raw_zip(path: Path, members: list[tuple[bytes, int, bytes]], date_time=(2026, 12, 2, 10, 30, 0)) -> Path:
    """A zip whose members have exactly these name bytes, flag bits and extra fields."""
    placeholders = [(f"{index}".ljust(len(name) - 3, "q") + ".py").encode() for index, (name, _, _) in enumerate(members)]
    with zipfile.ZipFile(path, "w") as archive:
        for placeholder, (_, _, extra) in zip(placeholders, members):
            info = zipfile.ZipInfo(placeholder.decode(), date_time)
            info.extra = extra
            archive.writestr(info, "def f():\n    return 1\n")
    data = bytearray(path.read_bytes())
    for index, (name, flags, _) in enumerate(members):
        placeholder = placeholders[index]
        for at in _all(data, placeholder):
            data[at:at + len(name)] = name
        for header in (b"PK\x03\x04", b"PK\x01\x02"):
            for at in _all(data, header):
                flag_at = at + (6 if header == b"PK\x03\x04" else 8)
                name_length = struct.unpack_from("<H", data, at + (26 if header == b"PK\x03\x04" else 28))[0]
                name_at = at + (30 if header == b"PK\x03\x04" else 46)
                if bytes(data[name_at:name_at + name_length]) == name:
                    struct.pack_into("<H", data, flag_at, flags)
    path.write_bytes(bytes(data))
    return path


def _all(data: bytearray, needle: bytes) -> list[int]:
    found, at = [], data.find(needle)
    while at >= 0:
        found.append(at)
        at = data.find(needle, at + 1)
    return found


def padded(name: str, encoding: str) -> bytes:
    return name.encode(encoding)


def unicode_path_field(raw: bytes, name: str) -> bytes:
    body = b"\x01" + struct.pack("<L", zlib.crc32(raw)) + name.encode()
    return struct.pack("<HH", 0x7075, len(body)) + body


@pytest.mark.parametrize("encoding, flags", [("utf-8", 0x800), ("utf-8", 0), ("cp437", 0), ("cp850", 0)])
def test_a_name_reads_as_its_archive_means_it(tmp_path, encoding, flags):
    raw = padded(NAME, encoding)
    expected = raw.decode("utf-8" if encoding == "utf-8" else "cp437")
    assert expected.startswith("José Núñez")   # cp850 agrees with cp437 on these letters
    archive = raw_zip(tmp_path / "class.zip", [(raw, flags, b"")])
    (tmp_path / "out").mkdir()
    assert extract(archive, tmp_path / "out") == []
    assert [p.name for p in (tmp_path / "out").iterdir()] == [expected]
    folder = tmp_path / "folder"
    folder.mkdir()
    (folder / expected).write_text("x")
    assert [e.student for e in collect(tmp_path / "out", EXERCISE)] == [student_id(expected, True)]
    assert student_id(expected, True).startswith("José_Núñez")


def test_info_zips_unicode_path_field_names_a_cp437_member(tmp_path):
    raw = "Jose Nunez.py".encode()
    archive = raw_zip(tmp_path / "class.zip", [(raw, 0, unicode_path_field(raw, NAME))])
    (tmp_path / "out").mkdir()
    extract(archive, tmp_path / "out")
    assert [p.name for p in (tmp_path / "out").iterdir()] == [NAME]


def test_a_name_flagged_utf8_that_is_not_is_reported_and_the_others_extracted(tmp_path):
    bad = b"Jos\xe9 N\xfa\xf1ez.py"
    good = padded("alice.py", "utf-8")
    archive = raw_zip(tmp_path / "class.zip", [(bad, 0x800, b""), (good, 0, b"")])
    (tmp_path / "out").mkdir()
    skipped = extract(archive, tmp_path / "out")
    assert len(skipped) == 1 and "marked as UTF-8" in skipped[0].reason
    assert [p.name for p in (tmp_path / "out").iterdir()] == [good.decode()]


def test_extracted_files_keep_the_time_their_member_records(tmp_path):
    archive = raw_zip(tmp_path / "class.zip", [(padded("alice.py", "utf-8"), 0, b"")], (2026, 12, 2, 10, 30, 0))
    (tmp_path / "out").mkdir()
    extract(archive, tmp_path / "out")
    extracted = next((tmp_path / "out").iterdir())
    assert time.localtime(os.stat(extracted).st_mtime)[:6] == (2026, 12, 2, 10, 30, 0)
