"""What `grade validate` reads in an exercise's sources without grading anything, each with what to do.

- a stub generated from the reference's solution regions (`grader.course.regions`) must be the committed stub;
- a public check may not ask for a fixture only hidden checks get (`reference`): it works in the repository and
  fails in the student release, where solutions/ is not;
- a check's name may not end in "(hidden)": the grader adds it to hidden checks itself;
- the checks' points must add up to the exercise's `points` in course.yaml.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterator

from grader.course.model import Course, Exercise
from grader.course.regions import RegionError, first_difference, has_regions, stub_from_reference
from grader.grading.check_files import Check, CheckFile, CheckFileError, check_functions, describe, forget_modules

HIDDEN_ONLY_FIXTURES = ("reference",)   # the student release has no solutions/, so public checks never get these
HIDDEN_MARK = "(hidden)"                # what every view adds to a hidden check's name
SYNC_COMMAND = "grade new --sync {id}"

Found = Callable[[bool, str], Any]   # validate's finding(ok, what) for this exercise


def source_findings(finding: Found, course: Course, exercise: Exercise) -> Iterator[Any]:
    """Every finding about the exercise's sources (the check files must import: validate asks that first)."""
    yield from stub_findings(finding, course, exercise)
    checks = {"public": _checks(exercise.public_checks, "public"), "hidden": _checks(exercise.hidden_checks, "hidden")}
    yield from fixture_findings(finding, course, checks["public"])
    yield from name_findings(finding, course, checks["public"] + checks["hidden"])
    yield from points_findings(finding, course, exercise, checks)


def stub_findings(finding: Found, course: Course, exercise: Exercise) -> Iterator[Any]:
    """A reference with solution regions generates the stub; the committed one must be that stub."""
    reference = exercise.reference_path.read_text(encoding="utf-8")
    if not has_regions(reference):
        return
    where = exercise.reference_path.relative_to(course.root)
    try:
        generated = stub_from_reference(reference, str(where))
    except RegionError as exc:
        yield finding(False, f"the solution regions cannot make a stub: {exc}")
        return
    stub = exercise.stub_path.relative_to(course.root)
    difference = first_difference(exercise.stub_path.read_text(encoding="utf-8"), generated)
    if difference is None:
        yield finding(True, f"{stub} is the stub {where}'s solution regions generate")
    else:
        yield finding(False, f"{stub} is not the stub {where}'s solution regions generate ({difference}); "
                             f"run `{SYNC_COMMAND.format(id=exercise.id)}` to write it (and its notebook) again")


def fixture_findings(finding: Found, course: Course, public: list[tuple[Check, Path, int]]) -> Iterator[Any]:
    for check, path, line in public:
        hidden_only = [name for name in check.fixtures if name in HIDDEN_ONLY_FIXTURES]
        if hidden_only:
            yield finding(False, f"the public check {check.id} ({path.relative_to(course.root)}:{line}) asks for "
                                 f"{', '.join(hidden_only)}, which only hidden checks get: the student release has no "
                                 "solutions/, so it fails there. Compute the expected values in the check, or move "
                                 "it to hidden_checks.py")


def name_findings(finding: Found, course: Course, checks: list[tuple[Check, Path, int]]) -> Iterator[Any]:
    for check, path, line in checks:
        if check.name.rstrip().lower().endswith(HIDDEN_MARK):
            shown = f"{check.name} {HIDDEN_MARK}" if check.visibility == "hidden" else check.name
            yield finding(False, f"the check {check.id} ({path.relative_to(course.root)}:{line}) is named "
                                 f"{check.name!r}, shown as {shown!r}: the grader marks hidden checks "
                                 f"{HIDDEN_MARK} itself. Remove {HIDDEN_MARK!r} from its docstring's first line")


def points_findings(finding: Found, course: Course, exercise: Exercise,
                    checks: dict[str, list[tuple[Check, Path, int]]]) -> Iterator[Any]:
    worth = {visibility: sum(check.points for check, _, _ in found) for visibility, found in checks.items()}
    total = sum(worth.values())
    if abs(total - exercise.points) <= 1e-9:
        yield finding(True, f"the checks' points ({worth['public']:g} public + {worth['hidden']:g} hidden) are "
                            f"course.yaml's {exercise.points:g}")
        return
    yield finding(False, f"the checks are worth {total:g} points ({worth['public']:g} public + {worth['hidden']:g} "
                         f"hidden) but course.yaml says points: {exercise.points:g} "
                         f"({course.manifest_path.name}:{exercise.manifest_line}): write points: {total:g} there, or "
                         "change the checks' @pytest.mark.points(n)")


def _checks(path: Path, visibility: str) -> list[tuple[Check, Path, int]]:
    """The file's checks with their lines, as the runner reads them (none when it cannot be read: validate
    reports that on its own)."""
    try:
        _, module = CheckFile.read(path, path.parent, visibility)
    except CheckFileError:
        return []
    finally:
        forget_modules([path])
    return [(describe(function, visibility), path, _line(function)) for _, function in check_functions(module)]


def _line(function: Any) -> int:
    code = getattr(function, "__code__", None)
    return code.co_firstlineno if code is not None else 1
