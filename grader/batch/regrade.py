"""Regrading after the checks changed: grade everything again into a scratch batch, show whose grade changes and
which checks changed their verdict, and publish only when asked (`grade batch --preview`, then `--apply`).

The scratch batch is OUT/preview: its own gradebook and feedback, the same seed key as OUT (so the hidden inputs
are the same and a change comes from the checks), never OUT's gradebook or exports. Applying copies its results
into OUT as a re-run would have written them. Each run records the checks' fingerprint in OUT's gradebook, so a
later run sees that a check file changed and regrades every submission (unchanged files would otherwise be kept).
"""

from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from pathlib import Path

from grader.atomic import write_bytes_atomically
from grader.batch.gradebook import Attempt, Gradebook
from grader.batch.runner import FEEDBACK_DIR, GRADEBOOK_NAME, SEED_KEY_NAME
from grader.course.model import Exercise
from grader.feedback.model import Feedback, FeedbackError, read_feedback
from grader.views.csv_table import number_cell, text_cell, write_rows

SCRATCH_DIR = "preview"
PREVIEW_CSV = "preview.csv"
CHECKS_KEY = "checks_sha256"
MAX_LISTED_CHECKS = 5


def checks_fingerprint(exercise: Exercise) -> str:
    """The sha256 of the exercise's check files (names and bytes): what a regrade after a fix is about."""
    digest = hashlib.sha256()
    for path in exercise.check_files():
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def checks_changed(out: Path, exercise: Exercise, fingerprint: str) -> bool:
    """Whether OUT was graded with other checks than these (False for a new OUT, or one graded before the record)."""
    if not (out / GRADEBOOK_NAME).is_file():
        return False
    book = Gradebook(out / GRADEBOOK_NAME)
    try:
        recorded = book.setting(f"{CHECKS_KEY}:{exercise.id}")
    finally:
        book.close()
    return recorded is not None and recorded != fingerprint


def record_checks(out: Path, exercise: Exercise, fingerprint: str) -> None:
    book = Gradebook(out / GRADEBOOK_NAME)
    try:
        book.set_setting(f"{CHECKS_KEY}:{exercise.id}", fingerprint)
    finally:
        book.close()


def scratch(out: Path) -> Path:
    """A fresh OUT/preview holding OUT's seed key, for the regrade."""
    folder = out / SCRATCH_DIR
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if (out / SEED_KEY_NAME).is_file():
        shutil.copy2(out / SEED_KEY_NAME, folder / SEED_KEY_NAME)
    return folder


@dataclass(frozen=True)
class Change:
    student: str
    before: float | None      # None: not graded before
    after: float
    checks: tuple[str, ...]   # "hidden/x: passed -> failed"

    @property
    def delta(self) -> float:
        return self.after - (self.before or 0.0)


def _feedback(folder: Path, attempt: Attempt | None) -> Feedback | None:
    if attempt is None or not attempt.feedback_path:
        return None
    try:
        return read_feedback(folder / attempt.feedback_path)
    except (OSError, FeedbackError):
        return None


def _verdicts(feedback: Feedback | None) -> dict[str, str]:
    if feedback is None:
        return {}
    return {check.id: f"{check.outcome.value} {number_cell(feedback.score_of(check))}/{number_cell(check.max_score)}"
            for check in feedback.checks}


def compare(out: Path, folder: Path, exercise_id: str) -> list[Change]:
    """Every student whose score or any check's verdict differs between OUT and the scratch batch."""
    before = _latest(out, exercise_id) if (out / GRADEBOOK_NAME).is_file() else {}
    after = _latest(folder, exercise_id)
    changes = []
    for student, attempt in sorted(after.items()):
        previous = before.get(student)
        old, new = _verdicts(_feedback(out, previous)), _verdicts(_feedback(folder, attempt))
        checks = () if previous is None else tuple(f"{check}: {old.get(check, 'absent')} -> {new.get(check, 'absent')}"
                       for check in sorted(set(old) | set(new)) if old.get(check) != new.get(check))
        if previous is None or previous.score != attempt.score or checks or previous.status != attempt.status:
            changes.append(Change(student, previous.score if previous else None, attempt.score, checks))
    return changes


def _latest(folder: Path, exercise_id: str) -> dict[str, Attempt]:
    book = Gradebook(folder / GRADEBOOK_NAME)
    try:
        return book.latest(exercise_id)
    finally:
        book.close()


def preview_csv(changes: list[Change]) -> str:
    rows = [[text_cell(change.student), "" if change.before is None else number_cell(change.before),
             number_cell(change.after), number_cell(change.delta), text_cell("; ".join(change.checks))]
            for change in changes]
    return write_rows(["student", "score_now", "score_regraded", "change", "checks_changed"], rows)


def shown(change: Change) -> str:
    """One console line for a change."""
    before = "new" if change.before is None else f"{change.before:g}"
    listed = list(change.checks[:MAX_LISTED_CHECKS]) + (
        [f"and {len(change.checks) - MAX_LISTED_CHECKS} more"] if len(change.checks) > MAX_LISTED_CHECKS else [])
    return f"{change.student}: {before} -> {change.after:g} ({change.delta:+g})" + (
        f"; {', '.join(listed)}" if listed else "")


def adopt(out: Path, folder: Path, exercise_id: str) -> int:
    """Publish the scratch batch's grades into OUT as a re-run would write them; the number of students."""
    new_book, old_book = Gradebook(folder / GRADEBOOK_NAME), Gradebook(out / GRADEBOOK_NAME)
    try:
        latest, records = new_book.latest(exercise_id), new_book.students()
        for student, attempt in latest.items():
            if attempt.feedback_path:
                source = folder / attempt.feedback_path
                write_bytes_atomically(source.read_bytes(), out / FEEDBACK_DIR / source.name)
            if student in records:
                old_book.name(student, records[student].submitted_as, records[student])
            old_book.record(attempt)
    finally:
        new_book.close()
        old_book.close()
    return len(latest)
