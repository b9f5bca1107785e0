"""What every command shares: finding the course, the --course option, naming an exercise, the console."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from grader.course.model import MANIFEST_NAME, Course, Exercise
from grader.errors import CourseInvalid, UsageError

if TYPE_CHECKING:
    from rich.console import Console


def find_course(start: Path, warn: bool = True) -> Course:
    """The course holding `start` (the manifest and its schema are imported on first use). A broken exercise entry
    breaks only that exercise: a warning on stderr names it and what is wrong (`grade validate` fails on it)."""
    from grader.course.manifest import find_course as find

    course = find(start)
    if warn:
        for broken in course.broken:
            print(f"grade: warning: {course.manifest_path}: {broken}\n  Every other exercise works; "
                  "`grade validate` reports it too.", file=sys.stderr)
    return course


def course_parser(prog: str, description: str, **options) -> argparse.ArgumentParser:
    """A subcommand's parser, with the --course option every subcommand shares."""
    parser = argparse.ArgumentParser(prog=prog, description=description, **options)
    add_course_option(parser)
    return parser


def add_course_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--course", metavar="DIR", type=Path, default=Path("."),
                        help=f"the course folder holding {MANIFEST_NAME} (default: the current folder or above)")


def exercise_named(course: Course, exercise_id: str) -> Exercise:
    """The course's exercise with this id; a UsageError naming the course's exercises otherwise."""
    return exercises_named(course, [exercise_id])[0]


def exercises_named(course: Course, exercise_ids: Iterable[str]) -> list[Exercise]:
    """The course's exercises with these ids, in the order given; one UsageError naming every unknown id."""
    ids = list(exercise_ids)
    known = {exercise.id: exercise for exercise in course.exercises}
    unknown = [exercise_id for exercise_id in ids if exercise_id not in known]
    if any(course.broken_exercise(exercise_id) for exercise_id in unknown):
        raise CourseInvalid(course.unknown_exercises(unknown))
    if unknown:
        raise UsageError(course.unknown_exercises(unknown))
    return [known[exercise_id] for exercise_id in ids]


def console(**options) -> Console:
    """rich's console, imported on first use."""
    from rich.console import Console

    return Console(**options)

