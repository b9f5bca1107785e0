"""Grade an nbgrader course's submitted notebooks in the sandbox and write the scores into nbgrader's gradebook.

nbgrader's `autograde` decides pass or fail in the student's kernel, which the student's own cells
control, on the instructor's machine beside the course. Here the notebook is only read (as JSON);
its code runs in this grader's sandbox through the batch runner (strong isolation, resumable), and
each check's score is written, with nbgrader's own API (`nbgrader.api.Gradebook`), as the
`auto_score` of the test cell `check-<check id>` that `grade nbgrader` exported for that check.

One student folder never stops the class: whatever is in it (a link, a notebook or `timestamp.txt`
that is not what nbgrader writes, a name that is not UTF-8 text) is reported on that student's line,
and everyone else is graded and recorded. Nothing is read through a link: every path component
below the course folder is opened without following links (O_NOFOLLOW), a link anywhere in a
student's submission is refused as `grade batch` refuses it, and each file is read once, bounded.
Student folder names are shown through `grader.text.one_line`.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import warnings
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from grader.batch.collect import StudentEntry, shown, student_id
from grader.batch.gradebook import NO_SUBMISSION, Attempt
from grader.batch.gradebook import Gradebook as BatchGradebook
from grader.batch.runner import GRADEBOOK_NAME, run_batch
from grader.course.model import Course, Exercise
from grader.errors import UsageError
from grader.extras import require
from grader.feedback.model import Feedback, FeedbackError, read_feedback
from grader.outcomes import Status
from grader.notebooks.nbgrader_export import exercise_checks, grade_cell_id
from grader.text import one_line

OUT_DIR = "sandbox_grades"   # under the nbgrader course: feedback JSON, our gradebook, the notebooks graded
MAX_TIMESTAMP_BYTES = 1024   # nbgrader writes about 30
MAX_FOLDER_ENTRIES = 10_000  # how far a submission folder is searched for links (only two files in it are read)
MAX_PROBLEM_CHARS = 400


class NbgraderSetupError(UsageError):
    """The nbgrader course is not ready for grading; the message says what to run."""


@dataclass(frozen=True)
class StudentGrade:
    student: str          # the student folder's name as shown: printable, on one line, bounded
    status: str
    score: float | None   # None: the grader failed, nothing was written
    max_score: float
    feedback: Path | None
    problem: str | None = None
    recorded: bool = True   # False: nbgrader's gradebook cannot hold the folder's name as it is


@dataclass(frozen=True)
class Submitted:
    """One student folder of submitted/: what the batch grades for it, and what nbgrader records."""

    name: str                     # the folder's name as the file system gives it (nbgrader's student id)
    entry: StudentEntry           # the batch's id, and the notebook's graded copy or why there is none
    recordable: bool = True       # the name can be written in nbgrader's gradebook as it is
    timestamp: datetime | None = None
    note: str | None = None       # what was ignored (a timestamp that is not a date, malformed metadata)

    @property
    def shown(self) -> str:
        return display_name(self.name, self.entry.student)


def display_name(name: str, safe: str) -> str:
    """A folder's name as a terminal line may show it; with the batch's id when the name had to be changed."""
    text = one_line(shown(name))
    return text if text == name else f"{text} (id {safe})"


def course_directory(root: Path):
    """nbgrader's CourseDirectory for ROOT, configured by ROOT/nbgrader_config.py as nbgrader itself would be."""
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import Config, PyFileConfigLoader

    config = Config()
    if (root / "nbgrader_config.py").is_file():
        config.merge(PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config())
    config.CourseDirectory.root = str(root.resolve())
    return CourseDirectory(config=config)


def expected_cells(gradebook, exercise: Exercise, assignment: str, notebook: str) -> dict[str, float]:
    """The test cells nbgrader recorded for the notebook, checked against the exercise's checks."""
    from nbgrader.api import MissingEntry

    try:
        cells = {cell.name: cell.max_score for cell in gradebook.find_notebook(notebook, assignment).grade_cells}
    except MissingEntry:
        raise NbgraderSetupError(f"nbgrader's gradebook has no notebook {notebook} in assignment {assignment}; run "
                                 f"`grade nbgrader {exercise.id} --out COURSE_DIR` and `nbgrader generate_assignment "
                                 f"{assignment}` in the course folder first") from None
    checks = {grade_cell_id(check): points for check, points, _ in exercise_checks(exercise)}
    ours = {name: points for name, points in cells.items() if name.startswith("check-")}
    if set(ours) != set(checks):
        missing, extra = sorted(set(checks) - set(ours)), sorted(set(ours) - set(checks))
        raise NbgraderSetupError(f"the test cells of {assignment}/{notebook} do not match the checks of {exercise.id} "
                                 f"(missing: {', '.join(missing) or 'none'}; unknown: {', '.join(extra) or 'none'}); "
                                 f"export it again with `grade nbgrader` and run `nbgrader generate_assignment --force`")
    return ours


# ---------------------------------------------------------------- reading without links


class Unreadable(Exception):
    """A file of the submission that cannot be read as it is; the message says why, in the student's terms."""


def open_below(root: Path, parts: tuple[str, ...]) -> int:
    """A descriptor for ROOT/PARTS, opened one component at a time from ROOT without following a link:
    a link at any level fails with ELOOP (or ENOTDIR). The last component is opened non-blocking, so a
    FIFO never waits for a writer."""
    descriptor = os.open(root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for index, part in enumerate(parts):
            last = index == len(parts) - 1
            flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC | (os.O_NONBLOCK if last else os.O_DIRECTORY)
            following = os.open(part, flags, dir_fd=descriptor)
            os.close(descriptor)
            descriptor = following
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


def read_below(root: Path, parts: tuple[str, ...], limit: int) -> tuple[bytes | None, int]:
    """A regular file's bytes (None when it holds more than `limit`) and its size, read once through
    `open_below`. FileNotFoundError when it is not there; Unreadable for anything else."""
    try:
        descriptor = open_below(root, parts)
    except FileNotFoundError:
        raise
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
            raise Unreadable("it is reached through a symbolic link, which is never followed") from None
        raise Unreadable(f"it cannot be read ({exc.strerror or exc})") from None
    try:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise Unreadable("it is not a regular file")
        if status.st_size > limit:
            return None, status.st_size
        chunks, total = [], 0
        while total <= limit:
            chunk = os.read(descriptor, limit + 1 - total)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
        data = b"".join(chunks)
        return (None, max(total, status.st_size)) if total > limit else (data, total)
    except OSError as exc:
        raise Unreadable(f"it cannot be read ({exc.strerror or exc})") from None
    finally:
        os.close(descriptor)


def _component_check(root: Path, parts: tuple[str, ...]) -> tuple[str, Path]:
    """("ok", path), ("missing", first component that is absent or not a folder), or ("link", first link)."""
    path = root
    for part in parts:
        path = path / part
        try:
            mode = os.lstat(path).st_mode
        except OSError:
            return "missing", path
        if stat.S_ISLNK(mode):
            return "link", path
        if not stat.S_ISDIR(mode):
            return "missing", path
    return "ok", path


def first_link(folder: Path, limit: int = MAX_FOLDER_ENTRIES) -> Path | None:
    """The first symbolic link inside FOLDER (links are never followed), searching at most `limit` entries."""
    pending, seen = [folder], 0
    while pending:
        try:
            with os.scandir(pending.pop()) as listing:
                entries = sorted(listing, key=lambda entry: entry.name)
        except OSError:
            continue
        for entry in entries:
            seen += 1
            if seen > limit:
                return None
            if entry.is_symlink():
                return Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                pending.append(Path(entry.path))
    return None


def _link_problem(link: Path, root: Path, submitted: Path) -> str:
    try:
        target = os.readlink(link)
    except OSError:
        target = "?"
    try:
        (link.parent / target).resolve().relative_to(submitted.resolve())
        whose = "another student's submission"
    except (ValueError, OSError, RuntimeError):
        whose = "something outside the submissions"
    return (f"{shown(str(link.relative_to(root)))} is a symbolic link to {whose} ({shown(target)}); links are not "
            f"followed, and a submission holding one is not graded: the student hands in their files themselves, "
            f"not links (a link beside the notebook, such as a timestamp file, counts too)")


# ---------------------------------------------------------------- what is graded


def _nbgrader_metadata(cell) -> object:
    metadata = cell.get("metadata") if isinstance(cell, dict) else None
    return metadata.get("nbgrader") if isinstance(metadata, dict) else None


def _is_test_cell(cell) -> bool:
    """One of the test cells `grade nbgrader` exported (instructor code, not the student's work)."""
    nbgrader = _nbgrader_metadata(cell)
    return (isinstance(cell, dict) and cell.get("cell_type") == "code" and isinstance(nbgrader, dict)
            and bool(nbgrader.get("grade")) and not nbgrader.get("solution"))


def without_test_cells(data: bytes) -> tuple[bytes, str | None]:
    """The notebook without its nbgrader test cells, and a note when some cell's nbgrader metadata is not
    an object (nbgrader's own tools refuse such a notebook; its cells are graded as the student's code).
    Bytes that are not a version 4 notebook are handed on as they are: the engine says why they cannot be graded.
    The copy is written without layout, so it is at most a few times the notebook's size (a number as Python writes
    it, 1e15 as 1000000000000000.0; text escaped when the notebook holds a lone surrogate, which UTF-8 cannot)."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return data, None
    cells = document.get("cells") if isinstance(document, dict) and document.get("nbformat") == 4 else None
    if not isinstance(cells, list):
        return data, None
    malformed = sum(1 for cell in cells if _nbgrader_metadata(cell) is not None
                    and not isinstance(_nbgrader_metadata(cell), dict))
    note = (f"the nbgrader metadata of {malformed} cell{'s' if malformed != 1 else ''} is not an object, so nbgrader's "
            f"own tools would refuse the notebook; {'their' if malformed != 1 else 'its'} code was graded as the "
            f"student's") if malformed else None
    document["cells"] = [cell for cell in cells if not _is_test_cell(cell)]
    try:   # compact: indented, 1,000 arrays nested 900 deep (1.8 MB) were written as 817 MB, held whole in memory
        compact = json.dumps(document, ensure_ascii=False, separators=(",", ":"))
        try:
            return compact.encode("utf-8"), note
        except UnicodeEncodeError:   # a lone surrogate (valid JSON, not UTF-8): every character escaped instead
            return json.dumps(document, separators=(",", ":")).encode("ascii"), note
    except (ValueError, RecursionError):
        return data, note


def gradable_copy(data: bytes | None, size: int, destination: Path) -> tuple[Path, str | None]:
    """Write what the batch grades: the notebook as read, without its test cells. A notebook larger than the
    exercise allows becomes an empty (sparse) file of its size, so the engine says how large it is without
    reading it."""
    destination.parent.mkdir(parents=True, exist_ok=True)
    note = None
    with open(destination, "wb") as stream:
        if data is None:
            stream.truncate(size)
        else:
            copy, note = without_test_cells(data)
            stream.write(copy)
    return destination, note


_TIMESTAMP = re.compile(r"[0-9A-Za-z:.,+\-/_ ]{1,64}")
_ZONE = re.compile(r"[+-]?\d{1,4}|[A-Za-z][A-Za-z0-9_+\-]*(?:/[A-Za-z][A-Za-z0-9_+\-]*)*")


def parse_timestamp(data: bytes) -> tuple[datetime | None, str | None]:
    """nbgrader's reading of timestamp.txt (nbgrader.utils.parse_utc), for text that looks like a date and
    names a time zone only as a zone name or offset (never a path dateutil would open); or a note saying why
    the timestamp is ignored."""
    from nbgrader.utils import parse_utc

    text = data.decode("utf-8", "replace").strip()
    if not text:
        return None, "timestamp.txt ignored: it is empty"
    parts = text.split(" ")
    ignored = f"timestamp.txt ignored: it is not a date ({one_line(text, 60)})"
    if not _TIMESTAMP.fullmatch(text) or (len(parts) == 3 and not _ZONE.fullmatch(parts[2])):
        return None, ignored
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            value = parse_utc(text)
    except Exception:  # noqa: BLE001 - dateutil raises ValueError, OverflowError, TypeError ... for odd text
        return None, ignored
    return (value, None) if isinstance(value, datetime) else (None, ignored)


def read_timestamp(root: Path, parts: tuple[str, ...]) -> tuple[datetime | None, str | None]:
    """The submission's time from its timestamp.txt, or a note saying why it was ignored (the submission
    is then recorded without a time, as nbgrader records one without the file)."""
    try:
        data, size = read_below(root, (*parts, "timestamp.txt"), MAX_TIMESTAMP_BYTES)
    except FileNotFoundError:
        return None, None
    except Unreadable as exc:
        return None, f"timestamp.txt ignored: {exc}"
    if data is None:
        return None, f"timestamp.txt ignored: it holds {size} bytes, not a date"
    return parse_timestamp(data)


def _unrecordable(name: str) -> str | None:
    """Why nbgrader's gradebook cannot hold the folder's name as its student id, or None."""
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:
        reason = "is not UTF-8 text, so nbgrader's gradebook cannot hold it"
    else:
        if one_line(name, len(name)) == name:
            return None
        reason = "holds control characters or direction overrides, which nbgrader would show as they are"
    return (f"the folder's name {reason}; nothing in it was graded: rename the folder to the student's nbgrader id "
            f"and run again")


def _problem(text: str) -> str:
    return one_line(text, MAX_PROBLEM_CHARS)


def _student(coursedir, root: Path, submitted: Path, name: str, exercise: Exercise, assignment: str, notebook: str,
             out: Path) -> Submitted | None:
    """What to grade and record for one folder of submitted/ (None: it is not a submission of this assignment)."""
    safe = student_id(name, False)
    try:
        parts = Path(coursedir.format_path(coursedir.submitted_directory, name, assignment)).relative_to(root).parts
    except ValueError:
        raise NbgraderSetupError(f"CourseDirectory.directory_structure puts submissions outside {root}") from None
    state, where = _component_check(root, parts)
    if state == "missing":
        return None
    if (reason := _unrecordable(name)) is not None:
        return Submitted(name, StudentEntry(safe, None, _problem(reason), one_line(shown(name))), recordable=False)
    link = where if state == "link" else first_link(where)
    if link is not None:
        return Submitted(name, StudentEntry(safe, None, _problem(_link_problem(link, root, submitted)),
                                            one_line(shown(name))))
    timestamp, note = read_timestamp(root, parts)
    shown_path = one_line(shown(str(Path(*parts))))
    try:
        data, size = read_below(root, (*parts, f"{notebook}.ipynb"), exercise.limits.max_file_kib * 1024)
    except FileNotFoundError:
        return Submitted(name, StudentEntry(safe, None, _problem(f"no {notebook}.ipynb in {shown_path}"),
                                            one_line(shown(name))), timestamp=timestamp, note=note)
    except Unreadable as exc:
        return Submitted(name, StudentEntry(safe, None, _problem(f"{shown_path}/{notebook}.ipynb: {exc}"),
                                            one_line(shown(name))), timestamp=timestamp, note=note)
    copy, metadata_note = gradable_copy(data, size, out / "notebooks" / safe / f"{notebook}.ipynb")
    notes = "; ".join(text for text in (note, metadata_note) if text) or None
    return Submitted(name, StudentEntry(safe, copy, None, one_line(shown(name))), timestamp=timestamp, note=notes)


def submitted_students(coursedir, exercise: Exercise, assignment: str, notebook: str, out: Path) -> list[Submitted]:
    """One entry per student folder in submitted/ that holds the assignment (or a link where it should be)."""
    root = Path(coursedir.root)
    submitted_parts = Path(coursedir.submitted_directory).parts
    state, where = _component_check(root, submitted_parts)
    if state == "link":
        raise NbgraderSetupError(f"{where} is a symbolic link; `grade nbgrader-grade` reads submissions only from real "
                                 "folders of the course, never through links")
    if state == "missing":
        return []
    submitted = root.joinpath(*submitted_parts)
    try:
        names = sorted(os.listdir(submitted))
    except OSError as exc:
        raise NbgraderSetupError(f"cannot list {submitted} ({exc.strerror or exc})") from None
    found = []
    for name in names:
        if name.startswith("."):
            continue
        try:
            student = _student(coursedir, root, submitted, name, exercise, assignment, notebook, out)
        except OSError as exc:   # one folder the file system will not let us read: that student's problem line
            why = _problem(f"{shown(name)} cannot be read ({exc.strerror or exc})")
            student = Submitted(name, StudentEntry(student_id(name, False), None, why, one_line(shown(name))),
                                recordable=_unrecordable(name) is None)
        if student is not None:
            found.append(student)
    return found


# ---------------------------------------------------------------- recording


def record(gradebook, assignment: str, notebook: str, student: str, cells: dict[str, float],
           scores: dict[str, float] | None, timestamp: datetime | None = None) -> None:
    """Write one student's scores as nbgrader's autograde would: auto_score on each of our test cells.

    `scores` maps test cells to points; None when the grader failed (left for a regrade, not scored 0)."""
    gradebook.update_or_create_student(student)
    if timestamp:
        gradebook.update_or_create_submission(assignment, student, timestamp=timestamp)
    else:
        gradebook.update_or_create_submission(assignment, student)
    for grade in gradebook.find_submission_notebook(notebook, assignment, student).grades:
        if grade.name not in cells:
            continue
        if scores is None:    # not the student's fault: leave it for a regrade, visible as needing a look
            grade.auto_score, grade.needs_manual_grade = None, True
        else:
            grade.auto_score = min(float(scores.get(grade.name, 0.0)), cells[grade.name])
            grade.needs_manual_grade = grade.manual_score is not None
    gradebook.db.commit()


def _read(path: Path) -> Feedback | None:
    try:
        return read_feedback(path)
    except (OSError, FeedbackError):
        return None


def _cell_scores(feedback: Feedback | None) -> dict[str, float] | None:
    """Points per test cell; None when the grader failed; none at all without a submission."""
    if feedback is None:
        return {}
    if feedback.status is Status.GRADER_FAILED:
        return None
    return {grade_cell_id(check.id): feedback.score_of(check) for check in feedback.checks}


def _joined(*problems: str | None) -> str | None:
    return _problem("; ".join(problem for problem in problems if problem)) if any(problems) else None


def _record_student(gradebook, student: Submitted, attempt: Attempt | None, out: Path, assignment: str, notebook: str,
                    cells: dict[str, float]) -> StudentGrade:
    """Record one student in nbgrader's gradebook and say how it went; a failure to write is this student's
    grader failure, never the end of the class."""
    max_score = sum(cells.values())
    feedback = out / attempt.feedback_path if attempt and attempt.feedback_path else None
    graded = _read(feedback) if feedback is not None and student.recordable else None
    why = graded.message if graded is not None and graded.status is not Status.GRADED else None   # broken, timed out
    problem = _joined(attempt.problem if attempt else "not graded", why, student.note)
    if not student.recordable:
        return StudentGrade(student.shown, NO_SUBMISSION, 0.0, max_score, None, problem, recorded=False)
    failed = (attempt is None or attempt.status == Status.GRADER_FAILED.value
              or (graded is None and attempt.status != NO_SUBMISSION))
    try:
        record(gradebook, assignment, notebook, student.name, cells, None if failed else _cell_scores(graded),
               student.timestamp)
    except Exception as exc:  # noqa: BLE001 - nbgrader's API and its database: ours to report, not to stop on
        gradebook.db.rollback()
        return StudentGrade(student.shown, Status.GRADER_FAILED.value, None, max_score, None,
                            _joined(f"not written in nbgrader's gradebook ({type(exc).__name__}: {exc})", problem),
                            recorded=False)
    if failed or attempt is None:
        return StudentGrade(student.shown, Status.GRADER_FAILED.value, None, max_score, None, problem)
    return StudentGrade(student.shown, attempt.status, attempt.score, max_score, feedback, problem)


def _require_sandbox() -> None:
    from grader.sandbox.launchers import WeakIsolationRefused, choose_launcher

    try:
        choose_launcher(require_strong=True, allow_weak=False)
    except WeakIsolationRefused as exc:
        raise NbgraderSetupError(f"{str(exc).split(';')[0]}; `grade nbgrader-grade` grades only inside the sandbox, "
                                 "so nothing was graded. Install bubblewrap and run it again") from None


def grade_submitted(course: Course, exercise: Exercise, course_dir: Path, *, assignment: str | None = None,
                    notebook: str | None = None, jobs: int = 1) -> list[StudentGrade]:
    """Grade every submitted notebook of the assignment in the sandbox; record the scores in nbgrader's gradebook."""
    require("nbgrader", "grade nbgrader-grade")
    from nbgrader.api import Gradebook

    assignment = assignment or exercise.id
    notebook = notebook or exercise.id
    _require_sandbox()
    coursedir = course_directory(course_dir)
    out = Path(coursedir.root) / OUT_DIR / assignment
    database = coursedir.db_url.removeprefix("sqlite:///")
    if coursedir.db_url.startswith("sqlite:///") and not Path(database).is_file():
        raise NbgraderSetupError(f"there is no nbgrader gradebook {database}; run `nbgrader generate_assignment "
                                 f"{assignment}` in {coursedir.root} first (after `grade nbgrader {exercise.id}`)")
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        cells = expected_cells(gradebook, exercise, assignment, notebook)
    students = submitted_students(coursedir, exercise, assignment, notebook, out)
    run_batch(course.manifest_path, exercise.id, [student.entry for student in students], out, jobs=jobs, strong=True)
    batch = BatchGradebook(out / GRADEBOOK_NAME)
    try:
        latest = batch.latest(exercise.id)
    finally:
        batch.close()
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        return [_record_student(gradebook, student, latest.get(student.entry.student), out, assignment, notebook, cells)
                for student in students]
