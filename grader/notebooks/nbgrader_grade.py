"""Grade an nbgrader course's submitted notebooks in the sandbox and write the scores into nbgrader's gradebook.

nbgrader's `autograde` decides pass or fail in the student's kernel, which the student's own cells
control, on the instructor's machine beside the course. Here the notebook is only read (nbformat);
its code runs in this grader's sandbox through the batch runner (strong isolation, resumable), and
each check's score is written, with nbgrader's own API (`nbgrader.api.Gradebook`), as the
`auto_score` of the test cell `check-<check id>` that `grade nbgrader` exported for that check.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import nbformat

from grader.batch.collect import StudentEntry, student_id
from grader.batch.gradebook import Gradebook as BatchGradebook
from grader.batch.runner import GRADEBOOK_NAME, run_batch
from grader.course.model import Course, Exercise
from grader.errors import UsageError
from grader.feedback.model import Feedback, FeedbackError, read_feedback
from grader.notebooks.nbgrader_export import exercise_checks, grade_cell_id
from grader.feedback.outcomes import Status

OUT_DIR = "sandbox_grades"   # under the nbgrader course: feedback JSON, our gradebook, the notebooks graded


class NbgraderSetupError(UsageError):
    """The nbgrader course is not ready for grading; the message says what to run."""


@dataclass(frozen=True)
class StudentGrade:
    student: str          # nbgrader's student id
    status: str
    score: float | None   # None: the grader failed, nothing was written
    max_score: float
    feedback: Path | None
    problem: str | None = None


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


def gradable_copy(notebook: Path, destination: Path, max_bytes: int) -> Path:
    """The notebook without its nbgrader test cells (instructor code, not the student's work).

    A file that is too large or not a notebook is handed to the engine as it is, which says why it
    cannot be graded."""
    try:
        if notebook.stat().st_size > max_bytes:
            return notebook
        document = nbformat.read(notebook, as_version=4)
    except Exception:  # noqa: BLE001 - the engine reports unreadable notebooks to the student
        return notebook
    document.cells = [cell for cell in document.cells if not _is_test_cell(cell)]
    destination.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(document, destination)
    return destination


def _is_test_cell(cell) -> bool:
    metadata = cell.get("metadata", {}).get("nbgrader", {})
    return cell.get("cell_type") == "code" and bool(metadata.get("grade")) and not metadata.get("solution")


def submitted_entries(coursedir, exercise: Exercise, assignment: str, notebook: str, out: Path
                      ) -> tuple[list[StudentEntry], dict[str, str]]:
    """One batch entry per student folder in submitted/, and the map from batch ids to nbgrader ids."""
    submitted = Path(coursedir.root) / coursedir.submitted_directory
    entries, students = [], {}
    for folder in sorted(submitted.iterdir()) if submitted.is_dir() else []:
        path = Path(coursedir.format_path(coursedir.submitted_directory, folder.name, assignment))
        if folder.name.startswith(".") or not path.is_dir():
            continue
        safe = student_id(folder.name, False)
        students[safe] = folder.name
        source = path / f"{notebook}.ipynb"
        if not source.is_file() or source.is_symlink():
            entries.append(StudentEntry(safe, None, f"no {notebook}.ipynb in {path}"))
            continue
        copy = gradable_copy(source, out / "notebooks" / safe / f"{notebook}.ipynb", exercise.limits.max_file_kib * 1024)
        entries.append(StudentEntry(safe, copy))
    return entries, students


def record(gradebook, coursedir, assignment: str, notebook: str, student: str, cells: dict[str, float],
           scores: dict[str, float] | None) -> None:
    """Write one student's scores as nbgrader's autograde would: auto_score on each of our test cells.

    `scores` maps test cells to points; None when the grader failed (left for a regrade, not scored 0)."""
    folder = coursedir.format_path(coursedir.submitted_directory, student, assignment)
    timestamp = coursedir.get_existing_timestamp(folder)
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
    entries, students = submitted_entries(coursedir, exercise, assignment, notebook, out)
    run_batch(course.manifest_path, exercise.id, entries, out, jobs=jobs, strong=True)
    batch = BatchGradebook(out / GRADEBOOK_NAME)
    try:
        latest = batch.latest(exercise.id)
    finally:
        batch.close()
    grades = []
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        for safe, student in students.items():
            attempt = latest.get(safe)
            feedback = out / attempt.feedback_path if attempt and attempt.feedback_path else None
            graded = _read(feedback) if feedback and feedback.is_file() else None
            if attempt is None or (graded is None and attempt.status != "no_submission"):
                record(gradebook, coursedir, assignment, notebook, student, cells, None)
                grades.append(StudentGrade(student, Status.GRADER_FAILED.value, None, sum(cells.values()), None,
                                           attempt.problem if attempt else "not graded"))
                continue
            record(gradebook, coursedir, assignment, notebook, student, cells, _cell_scores(graded))
            failed = attempt.status == Status.GRADER_FAILED.value
            grades.append(StudentGrade(student, attempt.status, None if failed else attempt.score, sum(cells.values()),
                                       feedback, attempt.problem))
    return grades
