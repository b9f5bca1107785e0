"""What every command shares: finding the course, the --course option, naming an exercise, the console."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Iterable

from grader.course.model import MANIFEST_NAME, Course, Exercise
from grader.errors import UsageError

if TYPE_CHECKING:
    from rich.console import Console


def find_course(start: Path) -> Course:
    """The course holding `start` (the manifest and its schema are imported on first use)."""
    from grader.course.manifest import find_course as find

    return find(start)


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
    if unknown:
        raise UsageError(course.unknown_exercises(unknown))
    return [known[exercise_id] for exercise_id in ids]


def console(**options) -> Console:
    """rich's console, imported on first use."""
    from rich.console import Console

    return Console(**options)

