"""Similarity for a graded batch: find what each student handed in, compare, write OUT/similarity.csv.

The batch's feedback files name what each student was graded on and its sha256; it is compared only if
it is still there unchanged, so the report never pairs a grade with other code. When the submissions
moved, `submissions` (a folder collected as `grade batch` collects it) is used instead. A folder or zip
is compared on its entry file, the one grading chose; its helper modules are not compared.

The batch's time budget (grader/similarity/budget.py) starts before the files are read: a file not reached
in time is listed as not compared. A similarity.csv of an earlier run is removed first, so that a run that
fails or is stopped never leaves another run's pairs beside this batch's grades.
"""

from __future__ import annotations

import contextlib
import json
import time
from pathlib import Path
from typing import Iterator

from grader.atomic import write_text_atomically
from grader.batch.collect import collect
from grader.batch.gradebook import Gradebook
from grader.batch.runner import GRADEBOOK_NAME
from grader.course.model import Exercise
from grader.labcode.submission import TooLarge, file_sha256
from grader.labcode.folder import FolderRefused, is_folder_submission, opened
from grader.similarity.budget import SOURCE_BYTES, Clock, Deadline
from grader.similarity.compare import SimilarityOptions, SimilarityResult, compare
from grader.similarity.export import similarity_csv
from grader.similarity.sources import Document, SourceError, correct_solutions, given_code, read_document

CSV_NAME = "similarity.csv"


class NothingToCompare(ValueError):
    """OUT holds no graded batch of this exercise; the message says what to run first."""


def _graded_files(out: Path, exercise: Exercise) -> dict[str, tuple[str, str] | str]:
    """student -> (path graded, its sha256), or why there is none, for every student with a feedback file."""
    if not (out / GRADEBOOK_NAME).is_file():
        raise NothingToCompare(f"{out} holds no {GRADEBOOK_NAME}: grade the batch first "
                               f"(grade batch SUBMISSIONS --exercise {exercise.id} --out {out})")
    gradebook = Gradebook(out / GRADEBOOK_NAME)
    try:
        latest = gradebook.latest(exercise.id)
    finally:
        gradebook.close()
    if not latest:
        raise NothingToCompare(f"{out / GRADEBOOK_NAME} has no grades for {exercise.id}")
    files: dict[str, tuple[str, str] | str] = {}
    for student, attempt in latest.items():
        if not attempt.feedback_path:
            continue   # nothing was handed in (or the grader failed twice): nothing to compare
        try:
            submission = json.loads((out / attempt.feedback_path).read_text(encoding="utf-8"))["submission"]
            files[student] = (str(submission["path"]), str(submission["sha256"]))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            files[student] = f"its feedback file {attempt.feedback_path} cannot be read ({exc})"
    return files


@contextlib.contextmanager
def _graded_file(path: Path, exercise: Exercise) -> Iterator[tuple[Path, str]]:
    """The file grading read (the submission, or a folder's or zip's entry file) and the sha256 it recorded."""
    if not is_folder_submission(path):
        max_bytes = exercise.limits.max_file_kib * 1024
        try:
            digest = file_sha256(path, max_bytes)   # a larger file is not read: hashing a sparse terabyte takes an hour
        except TooLarge:
            raise SourceError(f"the file is larger than {max_bytes // 1024} KiB, the course's limit; it was not "
                              "compared") from None
        yield path, digest
        return
    try:
        with opened(path, exercise.entry, exercise.limits.max_file_kib) as folder:
            yield folder.entry, folder.sha256
    except FolderRefused as exc:
        raise SourceError(f"{path} cannot be read as it was graded: {exc}") from None


def gather(out: Path, exercise: Exercise, submissions: Path | None = None, deadline: Deadline | None = None,
           source_bytes: int = SOURCE_BYTES) -> tuple[list[Document], dict[str, str]]:
    """The documents to compare, and student -> why theirs is not compared."""
    files = _graded_files(out, exercise)
    moved = {entry.student: entry.path for entry in collect(submissions, exercise)} if submissions else {}
    documents, skipped = [], {}
    max_bytes = exercise.limits.max_file_kib * 1024
    for student, found in sorted(files.items()):
        if isinstance(found, str):
            skipped[student] = found
            continue
        if deadline is not None and deadline.passed():
            skipped[student] = f"not compared: {deadline.why()} before it was read"
            continue
        recorded, sha = found
        path = moved.get(student) if submissions else Path(recorded)
        try:
            if path is None or not (path.is_file() or path.is_dir()):
                raise SourceError(f"the graded file is not at {path or recorded} any more"
                                  + ("" if submissions else "; pass --submissions with the folder that holds it"))
            with _graded_file(path, exercise) as (file, digest):
                if digest != sha:
                    raise SourceError(f"{path} changed since it was graded; grade the batch again first")
                documents.append(read_document(student, file, max_bytes, source_bytes))
        except (SourceError, OSError) as exc:
            skipped[student] = str(exc)
    return documents, skipped


def run_similarity(out: Path, exercise: Exercise, options: SimilarityOptions = SimilarityOptions(),
                   submissions: Path | None = None, clock: Clock = time.monotonic) -> tuple[SimilarityResult, dict[str, Document]]:
    """Compare the batch in OUT and write OUT/similarity.csv; the documents are returned for the report."""
    path = out / CSV_NAME
    path.unlink(missing_ok=True)
    deadline = Deadline(options.budget, clock)
    documents, skipped = gather(out, exercise, submissions, deadline, options.budget.source_bytes)
    result = compare(documents, given_code(exercise, options.budget), options, skipped, deadline,
                     correct_solutions(exercise, options.budget))
    by_student = {document.student: document for document in documents}
    write_text_atomically(similarity_csv(result, by_student), path)
    return result, by_student
