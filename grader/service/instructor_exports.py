"""`grade batch`'s exports from the service's gradings: the counting grading of every student is written as a
batch's OUT folder (gradebook.sqlite, feedback/<student>.json), and `grade batch`'s own code writes the rest
(grades.csv, students.csv, gradescope/, report.html) and `grade export`'s the LMS files. The folder is what the
instructor downloads as a zip, and what `grade export` or `grade similarity` read offline.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from grader.atomic import write_bytes_atomically
from grader.batch.gradebook import NO_SUBMISSION, Attempt, Gradebook, StudentRecord
from grader.batch.outputs import write_exports
from grader.batch.runner import FEEDBACK_DIR, GRADEBOOK_NAME
from grader.course.model import Exercise
from grader.lms.late import SERVICE
from grader.service.course_records import CourseSubmission, RosterEntry
from grader.service.dashboard import counting_submissions, without_submission

GRADED_ON = "grade serve"
MAX_FEEDBACK_BYTES = 8 * 2**20


@dataclass(frozen=True)
class BatchFolder:
    out: Path
    students: dict[str, CourseSubmission]   # student -> the submission whose grading the folder holds


def _document(path: Path) -> dict | None:
    """A feedback document the service wrote, or None when it is gone or damaged."""
    try:
        with open(path, "rb") as stream:
            document = json.loads(stream.read(MAX_FEEDBACK_BYTES))
        return document if isinstance(document, dict) and isinstance(document.get("submission"), dict) else None
    except (OSError, ValueError):
        return None


def write_batch_folder(data_dir: Path, exercise: Exercise, found: list[CourseSubmission], roster: list[RosterEntry],
                       out: Path, graded_files: bool = False) -> BatchFolder:
    """OUT as `grade batch` leaves it, from the counting gradings; roster students without a submission are
    recorded as `no_submission`. `graded_files`: each feedback document names the stored file it graded (for
    `grade similarity`; such a folder holds server paths and is never handed out) instead of the student's name."""
    counting = counting_submissions(found, exercise)
    book = Gradebook(out / GRADEBOOK_NAME)
    try:
        for student, submission in counting.items():
            relative = f"{FEEDBACK_DIR}/{student}.json"
            document = _document(data_dir / (submission.feedback_path or ""))
            if document is not None:   # else the exports say its feedback file is missing, as grade batch's do
                if graded_files:
                    document["submission"]["path"] = str(data_dir / submission.stored_path)
                write_bytes_atomically((json.dumps(document, indent=2, ensure_ascii=False) + "\n").encode(),
                                       out / relative)
            book.name(student, submission.original_name,
                      StudentRecord(student, submission.original_name, SERVICE, submitted_at=submission.received_at))
            graded = str((document or {}).get("submission", {}).get("sha256") or submission.sha256)
            book.record(Attempt(student, exercise.id, graded, str((document or {}).get("status", "graded")),
                                float(submission.score or 0.0), float(submission.max_score or 0.0), relative,
                                seed=(document or {}).get("seed"), duration_s=(document or {}).get("duration_s"),
                                grader_version=(document or {}).get("grader_version"), graded_on=GRADED_ON))
        for entry in without_submission(roster, found, exercise.id):
            book.name(entry.id, "")
            book.record(Attempt(entry.id, exercise.id, "", NO_SUBMISSION, 0.0, 0.0,
                                problem="nothing handed in to the grading service"))
    finally:
        book.close()
    return BatchFolder(out, counting)


def write_batch_exports(data_dir: Path, exercise: Exercise, found: list[CourseSubmission], roster: list[RosterEntry],
                        out: Path) -> BatchFolder:
    """The batch folder with `grade batch`'s exports beside it: grades.csv, students.csv, gradescope/, report.html."""
    folder = write_batch_folder(data_dir, exercise, found, roster, out)
    write_exports(out, exercise)
    return folder


def zipped(folder: Path, top: str) -> bytes:
    """The folder as a zip whose entries sit under `top/`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.startswith("."):
                archive.write(path, f"{top}/{path.relative_to(folder).as_posix()}")
    return buffer.getvalue()
