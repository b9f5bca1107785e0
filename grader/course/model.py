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
class RateLimit:
    """At most `gradings` handed in per `per_minutes` (a sliding window), counted when each is received; a
    submission the grader itself failed does not count (grader/service/policies.py enforces it)."""

    gradings: int
    per_minutes: float


COUNTS = ("last", "best")                                       # which grading is the student's grade
HIDDEN_VIEWS = ("full", "outcome_and_hint", "score_only")      # what students see of hidden checks before due


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
    # The grading service's policies (grade serve; grader/service/policies.py), none of which `grade batch` reads:
    opens: datetime | None = None      # aware: no submission is accepted before it
    rate_limit: RateLimit | None = None
    cooldown_minutes: float | None = None   # the least time between two counted submissions
    counts: str = "last"               # one of COUNTS: the last grading, or the best (after late penalties)
    hidden_before_due: str = "full"    # one of HIDDEN_VIEWS: what students see of hidden checks until `due`

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
class ManifestProblem:
    """One problem of course.yaml: where (file, line, key), what is wrong, and what to do."""

    path: Path
    line: int | None
    key: str
    problem: str
    fix: str
    at: tuple = field(default=(), compare=False, repr=False)   # where in the document: ("exercises", 3, "points")

    def __str__(self) -> str:
        where = f"{self.path}:{self.line}" if self.line else str(self.path)
        key = f" [{self.key}]" if self.key else ""
        return f"{where}{key}: {self.problem}. {self.fix}"


@dataclass(frozen=True)
class BrokenExercise:
    """An entry of course.yaml that cannot be used (a bad field, a missing file): it breaks only its own exercise.
    Every other exercise grades; commands warn with this, and `grade validate` fails on it."""

    id: str                      # the entry's id, or "exercises[<index>]" when it has no usable one
    line: int | None             # the entry's first line in course.yaml
    problems: tuple[ManifestProblem, ...]

    def __str__(self) -> str:
        at = f" (line {self.line})" if self.line else ""
        return f"exercise {self.id}{at} is broken and left out until its entry is fixed:\n" + \
            "\n".join(f"  {problem}" for problem in self.problems)


@dataclass(frozen=True)
class Course:
    title: str
    root: Path
    manifest_path: Path
    exercises: tuple[Exercise, ...] = field(default_factory=tuple)
    broken: tuple[BrokenExercise, ...] = ()   # entries left out, each with what is wrong (empty when all are fine)

    def exercise(self, exercise_id: str) -> Exercise:
        for exercise in self.exercises:
            if exercise.id == exercise_id:
                return exercise
        raise KeyError(self.unknown_exercises([exercise_id]))

    def broken_exercise(self, exercise_id: str) -> BrokenExercise | None:
        """The broken entry with this id, if that is why the course has no such exercise."""
        return next((broken for broken in self.broken if broken.id == exercise_id), None)

    def unknown_exercises(self, exercise_ids: list[str]) -> str:
        """The message for ids that name no exercise of this course (and what is wrong with those that are broken)."""
        broken = [found for found in map(self.broken_exercise, exercise_ids) if found is not None]
        if broken:
            return f"{self.manifest_path}: " + "\n".join(map(str, broken))
        names = ", ".join(repr(exercise_id) for exercise_id in exercise_ids)
        return f"no exercise {names} in {self.manifest_path} (known: {', '.join(e.id for e in self.exercises)})"
