"""Read `course.yaml` into a `Course`, or say exactly where and how it is broken.

Every problem names the file, the line, the key and what to do, because the person reading it is an
instructor editing YAML, not a Python programmer reading tracebacks. A problem inside one exercise's entry (a bad
field, a missing file, a repeated id) breaks that exercise only: the course keeps every other one and lists the
broken entry in `Course.broken`. A file YAML cannot read, or a problem outside the entries, is a `ManifestError`
for the whole course.
"""

from __future__ import annotations

import json
from dataclasses import fields
from datetime import date, datetime
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from grader.jsonschema_quick import jsonschema
import yaml

from grader.course.model import (EXERCISES_DIR, HIDDEN_CHECKS, MANIFEST_NAME, PUBLIC_CHECKS, SOLUTIONS_DIR,
                                 BrokenExercise, Course, Exercise, LatePolicy, Limits, ManifestProblem, RateLimit)
from grader.errors import CourseInvalid, UsageError



class ManifestError(CourseInvalid):
    def __init__(self, problems: list[ManifestProblem]) -> None:
        super().__init__("\n".join(str(problem) for problem in problems))
        self.problems = problems


class CourseNotFound(UsageError):
    """No course.yaml where the command looked."""


def find_course_root(*starts: Path) -> Path:
    """The nearest folder at or above the first of `starts` that has one holding course.yaml."""
    for start in (Path(start).resolve() for start in starts):
        for folder in [start, *start.parents]:
            if (folder / MANIFEST_NAME).is_file():
                return folder
    where = " or ".join(str(Path(start).resolve()) for start in starts)
    raise CourseNotFound(f"no {MANIFEST_NAME} in {where} or any folder above; run this inside the course folder")


def find_course(*starts: Path) -> Course:
    """The one way commands find their course: course.yaml at or above `starts` (the first that has one)."""
    return load_course(find_course_root(*starts) / MANIFEST_NAME)


@lru_cache(maxsize=None)
def course_schema() -> dict[str, Any]:
    return json.loads(resources.files("grader.course").joinpath("course.schema.json").read_text(encoding="utf-8"))


def _key_path(parts: list[Any]) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _LineMap:
    """Line numbers (1-based) of every key and item in the YAML document, by path."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: dict[tuple, int] = {}
        self.duplicates: list[ManifestProblem] = []

    def walk(self, node: yaml.Node, at: tuple = ()) -> None:
        self.lines.setdefault(at, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value_node in node.value:
                key = key_node.value
                if key in seen:
                    self.duplicates.append(ManifestProblem(
                        self.path, key_node.start_mark.line + 1, _key_path([*at, key]),
                        f"the key {key!r} appears twice", "Keep one of them.", (*at, key)))
                seen.add(key)
                self.lines[(*at, key)] = key_node.start_mark.line + 1
                self.walk(value_node, (*at, key))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                self.walk(item, (*at, index))

    def line(self, at: tuple) -> int | None:
        while at not in self.lines and at:
            at = at[:-1]
        return self.lines.get(at)


UNREADABLE = "A file YAML cannot read breaks the whole course: no exercise can be graded until it is fixed."


def _parse(path: Path) -> tuple[Any, _LineMap]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError([ManifestProblem(path, None, "", f"cannot be read ({exc})", "Check that it is a UTF-8 text file.")]) from None
    lines = _LineMap(path)
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise ManifestError([ManifestProblem(path, mark.line + 1 if mark else None, "",
                                             f"is not valid YAML: {exc.problem or exc.context}",
                                             f"Fix the indentation or quoting on that line. {UNREADABLE}")]) from None
    except yaml.YAMLError as exc:
        raise ManifestError([ManifestProblem(path, None, "", f"is not valid YAML: {exc}",
                                             f"Fix the YAML syntax. {UNREADABLE}")]) from None
    if node is not None:
        lines.walk(node)
    return data, lines


def _schema_problems(data: Any, lines: _LineMap) -> list[ManifestProblem]:
    validator = jsonschema.Draft202012Validator(course_schema())
    problems = []
    for error in sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path))):
        at = tuple(error.absolute_path)
        key = _key_path(list(at))
        if error.validator == "additionalProperties":
            extra = sorted(set(error.instance) - set(error.schema.get("properties", {})))
            allowed = ", ".join(sorted(error.schema.get("properties", {})))
            for name in extra:
                problems.append(ManifestProblem(lines.path, lines.line((*at, name)), _key_path([*at, name]),
                                                f"unknown key {name!r}", f"Remove it or use one of: {allowed}.",
                                                (*at, name)))
            continue
        if error.validator == "required":
            fix = "Add it."
        elif error.validator == "enum":
            fix = "Use one of: " + ", ".join(map(str, error.validator_value)) + "."
        elif error.validator == "pattern" and at and at[-1] in _TIMES:
            fix = f"Write the {at[-1]} time with its time zone, e.g. 2026-12-01T23:59:00+00:00."
        elif error.validator == "pattern":
            fix = "Exercise ids look like 03_activations; entry files like activations.py."
        elif error.validator == "dependentRequired":
            fix = "Give the exercise its due time (due: 2026-12-01T23:59:00+00:00), or remove late and hidden_before_due."
        elif error.validator == "not" and at and at[-1] == "late":
            fix = "Use penalty_per_day or flat, not both."
        else:
            fix = "See grader/course/course.schema.json for what is allowed."
        problems.append(ManifestProblem(lines.path, lines.line(at), key, error.message, fix, at))
    return problems


_TIMES = ("due", "opens")


def _due_times_as_text(data: Any) -> None:
    """YAML reads an unquoted `due: 2026-12-01T23:59:00+00:00` as a time: give the schema its text back (a time
    without its zone, or a date alone, becomes text the schema's pattern refuses, with its line)."""
    exercises = data.get("exercises") if isinstance(data, dict) else None
    for entry in exercises if isinstance(exercises, list) else ():
        for key in _TIMES:
            when = entry.get(key) if isinstance(entry, dict) else None
            if isinstance(when, datetime):
                entry[key] = when.isoformat() if when.tzinfo is not None else when.isoformat() + " (no time zone)"
            elif isinstance(when, date):
                entry[key] = when.isoformat() + " (no time)"


def _time(entry: dict, key: str) -> datetime | None:
    return datetime.fromisoformat(entry[key].replace("Z", "+00:00")) if key in entry else None


def _limits(defaults: dict, overrides: dict) -> Limits:
    merged = {**defaults, **overrides}
    names = {field.name for field in fields(Limits)}
    return Limits(**{name: value for name, value in merged.items() if name in names})


def load_course(path: Path, files_of: str | None = None, strict: bool = False) -> Course:
    """Load and check a course.yaml: a ManifestError listing every problem when the file as a whole is broken;
    otherwise the course, with each broken exercise entry left out and listed in `Course.broken`.

    `files_of`: check the files of this exercise only (a cluster worker's copy of the course holds one).
    `strict`: a broken entry is a ManifestError too (every problem of the file at once)."""
    path = Path(path).resolve()
    data, lines = _parse(path)
    _due_times_as_text(data)
    problems = list(lines.duplicates) + _schema_problems(data, lines)
    if any(_entry_of(problem) is None for problem in problems):
        raise ManifestError(problems)

    root = path.parent
    default_limits = (data.get("defaults") or {}).get("limits", {})
    exercises: list[Exercise] = []
    broken: list[BrokenExercise] = []
    seen: dict[str, int] = {}
    for index, entry in enumerate(data["exercises"]):
        at = ("exercises", index)
        own = [problem for problem in problems if _entry_of(problem) == index]
        exercise_id = entry.get("id") if isinstance(entry, dict) else None
        if not own and exercise_id in seen:
            own.append(ManifestProblem(path, lines.line((*at, "id")), _key_path([*at, "id"]),
                                       f"exercise id {exercise_id!r} is already used by exercises[{seen[exercise_id]}]",
                                       "Give every exercise its own id.", (*at, "id")))
        if own:
            broken.append(_broken(entry, index, lines, own))
            continue
        exercise_id = entry["id"]   # the schema holds it to the id pattern
        seen[exercise_id] = index
        exercise = Exercise(
            id=exercise_id, title=entry["title"], module=entry["module"], entry=entry["entry"],
            points=float(entry["points"]), requires=tuple(entry["requires"]),
            limits=_limits(default_limits, entry.get("limits", {})),
            exercise_dir=root / EXERCISES_DIR / exercise_id, solution_dir=root / SOLUTIONS_DIR / exercise_id,
            manifest_line=lines.line((*at, "points")) or 0,
            cells=entry.get("cells", "definitions"),
            lab_names=tuple(entry.get("lab_names", {}).items()),
            due=_time(entry, "due"),
            late=LatePolicy(**entry["late"]) if "late" in entry else None,
            opens=_time(entry, "opens"),
            rate_limit=RateLimit(**entry["rate_limit"]) if "rate_limit" in entry else None,
            cooldown_minutes=entry.get("cooldown_minutes"),
            counts=entry.get("counts", "last"),
            hidden_before_due=entry.get("hidden_before_due", "full"),
        )
        if exercise.opens and exercise.due and exercise.opens >= exercise.due:
            own.append(ManifestProblem(path, lines.line((*at, "opens")), _key_path([*at, "opens"]),
                                       f"the exercise opens ({entry['opens']}) at or after it is due ({entry['due']})",
                                       "Make opens earlier than due.", (*at, "opens")))
        if files_of is None or files_of == exercise_id:
            own += _missing_files(exercise, path, lines, at)
        if own:
            broken.append(_broken(entry, index, lines, own))
            continue
        exercises.append(exercise)
    if strict and broken:
        raise ManifestError([problem for exercise in broken for problem in exercise.problems])
    return Course(title=data["title"], root=root, manifest_path=path, exercises=tuple(exercises), broken=tuple(broken))


def _entry_of(problem: ManifestProblem) -> int | None:
    """The index of the exercise entry a problem lies in; None for a problem of the whole file."""
    at = problem.at
    return at[1] if len(at) >= 2 and at[0] == "exercises" and isinstance(at[1], int) else None


def _broken(entry: Any, index: int, lines: _LineMap, problems: list[ManifestProblem]) -> BrokenExercise:
    exercise_id = entry.get("id") if isinstance(entry, dict) else None
    name = exercise_id if isinstance(exercise_id, str) and exercise_id else f"exercises[{index}]"
    return BrokenExercise(name, lines.line(("exercises", index)), tuple(problems))


def _missing_files(exercise: Exercise, path: Path, lines: _LineMap, at: tuple) -> list[ManifestProblem]:
    """The stub and public checks must exist; solutions only where this copy ships solutions/."""
    required = [(exercise.stub_path, "entry", "the stub students start from"),
                (exercise.public_checks, "id", f"the public checks ({PUBLIC_CHECKS})")]
    if (exercise.solution_dir.parent).is_dir():
        required += [(exercise.reference_path, "entry", "the reference solution"),
                     (exercise.hidden_checks, "id", f"the hidden checks ({HIDDEN_CHECKS})")]
    if not exercise.exercise_dir.exists():   # nothing of it yet: one problem, and the command that makes it all
        folders = " and ".join(f"{folder.relative_to(path.parent)}/" for folder in (exercise.exercise_dir, exercise.solution_dir)
                               if not folder.exists())
        return [ManifestProblem(path, lines.line((*at, "id")), _key_path([*at, "id"]),
                                f"the exercise has no files: {folders} do{'es' if ' and ' not in folders else ''} not exist",
                                f"Correct the id, or remove this entry and run `grade new {exercise.id} --title ...`, "
                                "which writes the exercise and its entry.", (*at, "id"))]
    problems = []
    for file, key, what in required:
        if not file.is_file():
            problems.append(ManifestProblem(
                path, lines.line((*at, key)), _key_path([*at, key]),
                f"{what} is missing: {file.relative_to(path.parent)} does not exist",
                "Create the file, or correct the exercise's id or entry.", (*at, key)))
    return problems
