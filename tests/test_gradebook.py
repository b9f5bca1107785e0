"""The gradebook keeps its tables' version: an older gradebook is brought up to date, a newer one refused."""

from __future__ import annotations

import sqlite3

import pytest

from grader.batch.gradebook import SCHEMA, VERSION, Attempt, Gradebook, GradebookError
from grader.errors import UsageError


def version(path) -> int:
    with sqlite3.connect(path) as db:
        return db.execute("PRAGMA user_version").fetchone()[0]


def test_a_new_gradebook_has_the_current_version_and_keeps_the_latest_attempt(tmp_path):
    book = Gradebook(tmp_path / "g.sqlite")
    book.record(Attempt("ann", "02_backprop", "a" * 64, "graded", 10.0, 30.0))
    book.record(Attempt("ann", "02_backprop", "b" * 64, "graded", 30.0, 30.0))
    book.name("ann", "ann.py")
    assert book.latest("02_backprop")["ann"].score == 30.0 and book.names() == {"ann": "ann.py"}
    book.close()
    assert version(tmp_path / "g.sqlite") == VERSION == 3


def test_an_unversioned_gradebook_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "old.sqlite"
    book = Gradebook(path)
    book.record(Attempt("bob", "02_backprop", "c" * 64, "graded", 12.0, 30.0))
    book.close()
    with sqlite3.connect(path) as db:
        db.execute("PRAGMA user_version = 0")   # as gradebooks were written before they had a version
    reopened = Gradebook(path)
    assert reopened.latest("02_backprop")["bob"].score == 12.0
    reopened.close()
    assert version(path) == VERSION


def test_a_version_1_gradebook_gains_where_each_attempt_was_graded(tmp_path):
    path = tmp_path / "v1.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(SCHEMA.replace(",\n    graded_on TEXT", ""))
        db.execute("INSERT INTO attempts (student, exercise, sha256, status, score, max_score) "
                   "VALUES ('cy', '02_backprop', 'd', 'graded', 3, 30)")
        db.execute("PRAGMA user_version = 1")
    book = Gradebook(path)
    book.record(Attempt("di", "02_backprop", "e" * 64, "graded", 30.0, 30.0, graded_on="the Dask cluster at tls://s:8786"))
    latest = book.latest("02_backprop")
    book.close()
    assert (latest["cy"].score, latest["cy"].graded_on) == (3.0, None)
    assert latest["di"].graded_on == "the Dask cluster at tls://s:8786" and version(path) == VERSION


def test_a_gradebook_from_a_newer_grader_is_refused_untouched(tmp_path):
    path = tmp_path / "new.sqlite"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE future (x)")
        db.execute(f"PRAGMA user_version = {VERSION + 1}")
    with pytest.raises(GradebookError, match=f"version {VERSION + 1}, written by a newer grader") as caught:
        Gradebook(path)
    assert isinstance(caught.value, UsageError)
    assert version(path) == VERSION + 1
    with sqlite3.connect(path) as db:
        assert [row[0] for row in db.execute("SELECT name FROM sqlite_master")] == ["future"]
