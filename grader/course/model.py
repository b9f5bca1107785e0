"""The course as typed data: what the manifest says, after it has been validated."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from grader.outcomes import Limit  # noqa: F401  (the limits below name these; course users import it from here too)

PUBLIC_CHECKS = "public_checks.py"
HIDDEN_CHECKS = "hidden_checks.py"
MANIFEST_NAME = "course.yaml"
EXERCISES_DIR = "exercises"   # exercises/<id>/: what students get (README, the stub, the public checks)
SOLUTIONS_DIR = "solutions"   # solutions/<id>/: what they never see (the reference, the hidden checks, cases)


def public_checks_beside(hidden_checks: Path) -> Path:
    """The public checks of the exercise whose hidden checks these are: solutions/<id>/hidden_checks.py ->
    exercises/<id>/public_checks.py (hidden checks import it to share its hints)."""
    here = hidden_checks.resolve()
    return here.parents[1].parent / EXERCISES_DIR / here.parent.name / PUBLIC_CHECKS


@dataclass(frozen=True)
class Limits:
    """Resource limits for one submission's untrusted process."""

    call_seconds: float = 10.0     # wall time of one call (and of importing the submission)
    total_seconds: float = 120.0   # wall time of the whole grading
    memory_mb: int = 1024          # address space / memory of the child
    output_kib: int = 64           # tail of stdout and stderr kept for the feedback
    max_file_kib: int = 2048       # a larger submission file is graded as broken
    max_processes: int = 64        # processes and threads of the child's tree
    scratch_mb: int = 64           # size of the private scratch tmpfs (and of /dev/shm)
    file_mb: int = 16              # largest file the child may write


@dataclass(frozen=True)
class LatePolicy:
    """How work handed in after the due time is marked down (grader/lms/late.py does the arithmetic):
    `penalty_per_day` of the score for every started day, or `flat` once late; more than `window_days` late
    (None: no limit) earns 0."""

    window_days: float | None = None
    penalty_per_day: float = 0.0
    flat: float = 0.0


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    module: str
    entry: str
    points: float
    requires: tuple[str, ...]
    limits: Limits
    exercise_dir: Path
    solution_dir: Path
    manifest_line: int = 0   # line of this exercise's `points` in course.yaml, for error messages
    cells: str = "definitions"   # keep what the graded functions need ("definitions"), or run "all" of the file
    lab_names: tuple[tuple[str, str], ...] = ()   # (name, lab name): a lab's second `def lab name` is graded as name
    due: datetime | None = None        # aware: course.yaml gives the time zone
    late: LatePolicy | None = None     # None: lateness is shown, never penalised

    @property
    def stub_path(self) -> Path:
        return self.exercise_dir / self.entry

    @property
    def reference_path(self) -> Path:
        return self.solution_dir / self.entry

    @property
    def public_checks(self) -> Path:
        return self.exercise_dir / PUBLIC_CHECKS

    @property
    def hidden_checks(self) -> Path:
        return self.solution_dir / HIDDEN_CHECKS

    def course_files(self) -> list[Path]:
        """The exercise's files in its course that grading reads (the stub, public checks, reference, hidden checks)."""
        return [self.stub_path, self.public_checks, self.reference_path, self.hidden_checks]

    def check_files(self) -> list[Path]:
        """Public checks always; hidden checks when this copy of the course has them."""
        files = [self.public_checks]
        if self.hidden_checks.is_file():
            files.append(self.hidden_checks)
        return files


@dataclass(frozen=True)
class Course:
    title: str
    root: Path
    manifest_path: Path
    exercises: tuple[Exercise, ...] = field(default_factory=tuple)

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(self.unknown_exercises([exercise_id]))

    def unknown_exercises(self, exercise_ids: list[str]) -> str:
        """The message for ids that name no exercise of this course."""
        names = ", ".join(repr(exercise_id) for exercise_id in exercise_ids)
        return f"no exercise {names} in {self.manifest_path} (known: {', '.join(e.id for e in self.exercises)})"
