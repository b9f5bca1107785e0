"""The gradebook keeps what an LMS's download said about each student (version 3); a gradebook written before
(version 2, by the grader of commit f7c17b9) opens with its rows and gains the new columns empty."""

from __future__ import annotations

import sqlite3

from grader.batch.gradebook import VERSION, Attempt, Gradebook, StudentRecord

VERSION_2_SCHEMA = """
CREATE TABLE attempts (id INTEGER PRIMARY KEY AUTOINCREMENT, student TEXT NOT NULL, exercise TEXT NOT NULL,
    sha256 TEXT NOT NULL, status TEXT NOT NULL, score REAL NOT NULL, max_score REAL NOT NULL, feedback_path TEXT,
    problem TEXT, seed INTEGER, duration_s REAL, grader_version TEXT,
    graded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), graded_on TEXT);
CREATE INDEX attempts_by_student ON attempts (exercise, student, id);
CREATE TABLE students (student TEXT PRIMARY KEY, submitted_as TEXT NOT NULL);
PRAGMA user_version = 2;
"""


def test_a_version_2_gradebook_is_migrated_and_keeps_its_rows(tmp_path):
    path = tmp_path / "gradebook.sqlite"
    with sqlite3.connect(path) as db:
        db.executescript(VERSION_2_SCHEMA)
        db.execute("INSERT INTO attempts (student, exercise, sha256, status, score, max_score) "
                   "VALUES ('alice', '02_backprop', 'a', 'graded', 27, 30)")
        db.execute("INSERT INTO students VALUES ('alice', 'alice.py')")
    book = Gradebook(path)
    assert book.latest("02_backprop")["alice"].score == 27.0
    assert book.students() == {"alice": StudentRecord("alice", "alice.py")}
    book.name("doejane_12345", "doejane_12345_250_backprop-1.py",
              StudentRecord("doejane_12345", "doejane_12345_250_backprop-1.py", "canvas", "12345", "doejane", True,
                            "2026-12-02T10:00:00+00:00"))
    book.record(Attempt("doejane_12345", "02_backprop", "b", "graded", 30.0, 30.0))
    record = book.students()["doejane_12345"]
    book.close()
    assert (record.lms, record.lms_id, record.late, record.submitted_at) == ("canvas", "12345", True,
                                                                            "2026-12-02T10:00:00+00:00")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA user_version").fetchone()[0] == VERSION == 3
