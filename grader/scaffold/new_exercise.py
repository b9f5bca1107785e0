"""A new exercise from a template: its files in exercises/ and solutions/, and its entry appended to course.yaml.

Nothing is written unless everything can be: the id must be new and well formed, no file may exist yet, and
course.yaml must read back with the new entry last. The stub is generated from the reference's solution regions
(`grader.course.regions`); the notebook is the command's to write (`grade notebooks` builds it), as this layer
does not reach the notebooks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from string import Template as Text

from grader.atomic import write_text_atomically
from grader.course.model import EXERCISES_DIR, MANIFEST_NAME, SOLUTIONS_DIR, Course, Exercise
from grader.course.regions import RegionError, has_regions, stub_from_reference
from grader.errors import UsageError
from grader.scaffold.manifest_entry import append_entry, entry_text
from grader.scaffold.templates import KERAS, NUMPY, Template, change_block

ID_PATTERN = re.compile(r"^[0-9]{2}_[a-z0-9_]+$")   # as course.schema.json
DEFAULT_MODULE = "Additional exercises"


@dataclass(frozen=True)
class NewExercise:
    """What `grade new` was asked for."""

    id: str
    title: str
    module: str = DEFAULT_MODULE
    keras: bool = False

    @property
    def entry(self) -> str:
        """The file students fill in: the id without its number (10_binary_cross_entropy -> binary_cross_entropy.py)."""
        return self.id.split("_", 1)[1] + ".py"

    @property
    def template(self) -> Template:
        return KERAS if self.keras else NUMPY


def planned_files(new: NewExercise) -> dict[str, str]:
    """Every file of the new exercise but its notebook: path below the course -> text."""
    values = {"id": new.id, "number": new.id[:2], "title": new.title, "module": new.module, "entry": new.entry,
              "function": new.template.function, "change": change_block(*new.template.case_change).rstrip("\n")}
    files = {Text(path).substitute(values): Text(text).substitute(values) for path, text in new.template.files}
    reference = files[f"{SOLUTIONS_DIR}/{new.id}/{new.entry}"]
    files[f"{EXERCISES_DIR}/{new.id}/{new.entry}"] = stub_from_reference(reference, "the template's reference")
    assert reference.count(new.template.case_change[0]) == 1, "the template's case change applies to its reference"
    return files


def create_exercise(root: Path, course: Course, new: NewExercise) -> list[Path]:
    """Write the new exercise's files and append its entry to course.yaml; the paths written, course.yaml last."""
    _refuse_unusable(root, course, new)
    files = planned_files(new)
    manifest = root / MANIFEST_NAME
    template = new.template
    text = append_entry(manifest.read_text(encoding="utf-8"), new.id, entry_text(
        new.id, new.title, new.module, new.entry, template.points, template.requires, template.limits))
    written = []
    for relative, content in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomically(content, path, mode=0o644)
        written.append(path)
    write_text_atomically(text, manifest, mode=0o644)
    return [*written, manifest]


def sync_stub(exercise: Exercise) -> bool:
    """Write the stub the reference's solution regions generate; False when it already is that stub. A UsageError
    when the reference has no regions (its stub is written by hand) or they cannot make a stub."""
    reference = exercise.reference_path.read_text(encoding="utf-8")
    if not has_regions(reference):
        raise UsageError(f"{exercise.reference_path} has no solution regions (# BEGIN SOLUTION / # END SOLUTION), "
                         f"so {exercise.stub_path} is written by hand; mark the solution in the reference first")
    try:
        stub = stub_from_reference(reference, str(exercise.reference_path))
    except RegionError as exc:
        raise UsageError(str(exc)) from None
    if exercise.stub_path.is_file() and exercise.stub_path.read_text(encoding="utf-8") == stub:
        return False
    write_text_atomically(stub, exercise.stub_path, mode=0o644)
    return True


def _refuse_unusable(root: Path, course: Course, new: NewExercise) -> None:
    if not ID_PATTERN.match(new.id):
        raise UsageError(f"{new.id!r} is not an exercise id: ids look like 10_binary_cross_entropy (two digits, an "
                         "underscore, then lower-case letters, digits and underscores)")
    if not new.title.strip():
        raise UsageError("give the exercise a title: grade new ID --title \"What it teaches\"")
    used = [exercise.id for exercise in course.exercises] + [broken.id for broken in course.broken]
    if new.id in used:
        raise UsageError(f"{root / MANIFEST_NAME} already has an exercise {new.id}; choose another id")
    existing = [root / folder / new.id for folder in (EXERCISES_DIR, SOLUTIONS_DIR) if (root / folder / new.id).exists()]
    if existing:
        raise UsageError(f"{', '.join(map(str, existing))} already exists; remove it or choose another id")
