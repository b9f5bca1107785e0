"""grader.atomic: an output appears whole or not at all, on the real file system."""

from __future__ import annotations

import json
import os

import pytest

from grader.atomic import (
    atomic_file,
    atomic_folder,
    write_bytes_atomically,
    write_json_atomically,
    write_text_atomically,
)


def _leftovers(folder):
    return sorted(path.name for path in folder.iterdir() if path.name.startswith("."))


def test_text_json_and_bytes_land_whole_in_new_folders(tmp_path):
    write_text_atomically("naïve\n", tmp_path / "a" / "b.txt")
    write_json_atomically({"ü": [1, 2]}, tmp_path / "c.json")
    write_bytes_atomically(b"\x00\xff", tmp_path / "d.bin")
    assert (tmp_path / "a" / "b.txt").read_text(encoding="utf-8") == "naïve\n"
    assert (tmp_path / "c.json").read_text(encoding="utf-8") == '{\n  "ü": [\n    1,\n    2\n  ]\n}\n'
    assert json.loads((tmp_path / "c.json").read_text(encoding="utf-8")) == {"ü": [1, 2]}
    assert (tmp_path / "d.bin").read_bytes() == b"\x00\xff"
    assert _leftovers(tmp_path) == [] and _leftovers(tmp_path / "a") == []


def test_files_are_owner_only_unless_a_mode_is_given(tmp_path):
    write_text_atomically("x", tmp_path / "private.txt")
    write_text_atomically("x", tmp_path / "shared.txt", mode=0o644)
    assert (tmp_path / "private.txt").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "shared.txt").stat().st_mode & 0o777 == 0o644


def test_a_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path):
    target = tmp_path / "report.html"
    target.write_text("old")
    with pytest.raises(TypeError):
        write_json_atomically({"not json": object()}, target)
    with pytest.raises(RuntimeError), atomic_file(target) as partial:
        partial.write_text("half a new")
        raise RuntimeError("the writer broke")
    assert target.read_text() == "old" and _leftovers(tmp_path) == []


def test_a_reader_sees_the_old_file_until_the_new_one_is_whole(tmp_path):
    target = tmp_path / "grades.csv"
    target.write_text("old")
    with atomic_file(target) as partial:
        partial.write_text("new, being written")
        assert target.read_text() == "old"
    assert target.read_text() == "new, being written" and _leftovers(tmp_path) == []


def test_a_folder_appears_whole_replacing_only_an_empty_one(tmp_path):
    out = tmp_path / "release"
    out.mkdir()
    with atomic_folder(out, mode=0o755) as partial:
        (partial / "README.md").write_text("hello")
        assert not (out / "README.md").exists()
    assert (out / "README.md").read_text() == "hello" and out.stat().st_mode & 0o777 == 0o755
    with pytest.raises(OSError), atomic_folder(out) as partial:
        (partial / "other").write_text("never shown")
    assert sorted(os.listdir(out)) == ["README.md"] and _leftovers(tmp_path) == []


def test_a_folder_whose_filling_fails_is_removed(tmp_path):
    with pytest.raises(KeyError), atomic_folder(tmp_path / "release") as partial:
        (partial / "half").write_text("x")
        raise KeyError("copy failed")
    assert list(tmp_path.iterdir()) == []
