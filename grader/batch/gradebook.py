"""The gradebook: one SQLite row per graded attempt, committed as it happens, so a crash loses nothing.

SQLite needs no server, survives `kill -9` (each row is its own transaction, journal in WAL mode),
and lets a re-run grade only what is missing or changed. The file's `PRAGMA user_version` is the
version of its tables: an older gradebook is migrated on opening, a newer one refused.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from grader.errors import UsageError

SCHEMA = """
CREATE TABLE IF NOT EXISTS attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    student TEXT NOT NULL,
    exercise TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    status TEXT NOT NULL,
    score REAL NOT NULL,
    max_score REAL NOT NULL,
    feedback_path TEXT,
    problem TEXT,
    seed INTEGER,
    duration_s REAL,
    grader_version TEXT,
    graded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')),
    graded_on TEXT
);
CREATE INDEX IF NOT EXISTS attempts_by_student ON attempts (exercise, student, id);
CREATE TABLE IF NOT EXISTS students (
    student TEXT PRIMARY KEY,
    submitted_as TEXT NOT NULL,
    lms TEXT,
    lms_id TEXT,
    lms_name TEXT,
    late INTEGER,
    submitted_at TEXT
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

# 3: students say who the LMS's download named (lms, lms_id, lms_name), its LATE marker and the recorded time; a
#    settings table (created by SCHEMA in any older gradebook) records the checks' fingerprint.
# 2: attempts say where they were graded (graded_on). 1: without it. 0: 1 before gradebooks had a version.
VERSION = 3
STUDENT_COLUMNS = ("lms", "lms_id", "lms_name", "late", "submitted_at")



def _add_graded_on(db: sqlite3.Connection) -> None:
    if "graded_on" not in {row[1] for row in db.execute("PRAGMA table_info(attempts)")}:
        db.execute("ALTER TABLE attempts ADD COLUMN graded_on TEXT")


def _add_lms_identity(db: sqlite3.Connection) -> None:
    present = {row[1] for row in db.execute("PRAGMA table_info(students)")}
    for column in STUDENT_COLUMNS:
        if column not in present:
            db.execute(f"ALTER TABLE students ADD COLUMN {column} {'INTEGER' if column == 'late' else 'TEXT'}")


# What brings a gradebook of version N to N + 1; version 0 differs from 1 only by its missing stamp.
MIGRATIONS: dict[int, Callable[[sqlite3.Connection], None]] = {0: lambda db: None, 1: _add_graded_on,
                                                                2: _add_lms_identity}

NO_SUBMISSION = "no_submission"


class GradebookError(UsageError):
    """A gradebook this grader cannot use (written by a newer grader)."""


@dataclass(frozen=True)
class Attempt:
    student: str
    exercise: str
    sha256: str
    status: str
    score: float
    max_score: float
    feedback_path: str | None = None
    problem: str | None = None
    seed: int | None = None
    duration_s: float | None = None
    grader_version: str | None = None
    graded_at: str | None = None
    graded_on: str | None = None   # this machine, or the cluster's address: the report says where grades came from


@dataclass(frozen=True)
class StudentRecord:
    """Who a student id stands for: the name handed in and, for an LMS's download, what the LMS said."""

    student: str
    submitted_as: str
    lms: str | None = None
    lms_id: str | None = None
    lms_name: str | None = None
    late: bool | None = None          # the LMS's own marker (Canvas's LATE); None when it gives none
    submitted_at: str | None = None   # the recorded modification time of what was graded (UTC, ISO 8601)


class Gradebook:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(self.path, timeout=30)
        try:
            self._upgrade()
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
            self._db.execute(f"PRAGMA user_version = {VERSION}")
            self._db.commit()
        except BaseException:
            self._db.close()
            raise

    def _upgrade(self) -> None:
        """Migrate an older gradebook step by step; refuse one from a newer grader, leaving it untouched."""
        version = self._db.execute("PRAGMA user_version").fetchone()[0]
        if version > VERSION:
            raise GradebookError(f"{self.path} is a gradebook of version {version}, written by a newer grader (this one "
                                 f"reads versions up to {VERSION}); grade with that grader, or choose another --out")
        fresh = self._db.execute("SELECT name FROM sqlite_master WHERE name = 'attempts'").fetchone() is None
        with self._db:
            for step in range(version, VERSION if not fresh else version):   # a new file gets the tables as they are
                MIGRATIONS[step](self._db)

    def record(self, attempt: Attempt) -> None:
        with self._db:
            self._db.execute(
                "INSERT INTO attempts (student, exercise, sha256, status, score, max_score, feedback_path, problem, "
                "seed, duration_s, grader_version, graded_on) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (attempt.student, attempt.exercise, attempt.sha256, attempt.status, attempt.score, attempt.max_score,
                 attempt.feedback_path, attempt.problem, attempt.seed, attempt.duration_s, attempt.grader_version,
                 attempt.graded_on))

    def name(self, student: str, submitted_as: str, record: StudentRecord | None = None) -> None:
        """Remember which file or folder name a student id stands for (the id is derived from that name), and
        what the LMS's download said about the student (`record`), as of the latest run."""
        record = record or StudentRecord(student, submitted_as)
        late = None if record.late is None else int(record.late)
        with self._db:
            self._db.execute(
                "INSERT INTO students (student, submitted_as, lms, lms_id, lms_name, late, submitted_at) VALUES "
                "(?, ?, ?, ?, ?, ?, ?) ON CONFLICT (student) DO UPDATE SET submitted_as = excluded.submitted_as, "
                "lms = excluded.lms, lms_id = excluded.lms_id, lms_name = excluded.lms_name, late = excluded.late, "
                "submitted_at = excluded.submitted_at",
                (student, submitted_as, record.lms, record.lms_id, record.lms_name, late, record.submitted_at))

    def names(self) -> dict[str, str]:
        return dict(self._db.execute("SELECT student, submitted_as FROM students ORDER BY student"))

    def students(self) -> dict[str, StudentRecord]:
        rows = self._db.execute("SELECT student, submitted_as, lms, lms_id, lms_name, late, submitted_at FROM students "
                                "ORDER BY student")
        return {student: StudentRecord(student, submitted_as, lms, lms_id, lms_name, None if late is None else bool(late),
                                       submitted_at)
                for student, submitted_as, lms, lms_id, lms_name, late, submitted_at in rows}

    def setting(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM settings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        """What a batch records about itself (the checks' fingerprint, by grader.batch.regrade)."""
        with self._db:
            self._db.execute("INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                             "value = excluded.value", (key, value))

    def exercises(self) -> list[str]:
        return [row[0] for row in self._db.execute("SELECT DISTINCT exercise FROM attempts ORDER BY exercise")]

    def latest(self, exercise: str) -> dict[str, Attempt]:
        """The newest attempt of every student for this exercise."""
        rows = self._db.execute(
            "SELECT student, exercise, sha256, status, score, max_score, feedback_path, problem, seed, duration_s, "
            "grader_version, graded_at, graded_on FROM attempts WHERE id IN "
            "(SELECT MAX(id) FROM attempts WHERE exercise = ? GROUP BY student) ORDER BY student", (exercise,))
        return {row[0]: Attempt(*row) for row in rows}

    def close(self) -> None:
        self._db.close()
