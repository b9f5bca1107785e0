"""A new exercise's entry appended to course.yaml as text, so every comment and blank line of the file stays.

The entry goes after the last line of the `exercises:` list (before any top-level key that follows it, and the
comments introducing that key), indented as the list's entries are; the result must read back as YAML with the
new entry last, or nothing is written.
"""

from __future__ import annotations

import json
import re

import yaml

from grader.errors import UsageError

TOP_LEVEL_KEY = re.compile(r"^[A-Za-z_][\w-]*\s*:")
LIST_ITEM = re.compile(r"^(?P<indent>[ ]*)- ")


def entry_text(exercise_id: str, title: str, module: str, entry: str, points: float,
               requires: tuple[str, ...], limits: tuple[tuple[str, int], ...]) -> list[str]:
    """The entry's lines, without the list's indentation: quoted with JSON's rules, which YAML reads too."""
    lines = [f"- id: {exercise_id}",
             f"  title: {json.dumps(title, ensure_ascii=False)}",
             f"  module: {json.dumps(module, ensure_ascii=False)}",
             f"  entry: {entry}",
             f"  points: {points:g}".ljust(24) + "# must equal the checks' points (public_checks.py + hidden_checks.py)",
             f"  requires: [{', '.join(requires)}]",
             "  limits:".ljust(24) + "# change: what one call and the whole grading may take"]
    lines += [f"    {name}: {value}" for name, value in limits]
    return lines


def append_entry(text: str, exercise_id: str, entry: list[str]) -> str:
    """course.yaml's text with the entry appended to its exercises list; a UsageError when that cannot be done."""
    lines = text.splitlines()
    start = next((index for index, line in enumerate(lines) if re.match(r"^exercises\s*:", line)), None)
    if start is None:
        raise UsageError("course.yaml has no top-level `exercises:` list to add the exercise to")
    end = next((index for index in range(start + 1, len(lines)) if TOP_LEVEL_KEY.match(lines[index])), len(lines))
    key_follows = end < len(lines)
    while end > start + 1 and (not lines[end - 1].strip() or (key_follows and lines[end - 1].startswith("#"))):
        end -= 1   # blank lines (and, before a key, the comments at column 0 that introduce it) stay after the entry
    items = [match["indent"] for line in lines[start + 1:end] if (match := LIST_ITEM.match(line))]
    indent = items[0] if items else "  "
    added = ["", *(indent + line for line in entry)]
    result = "\n".join(lines[:end] + added + lines[end:]) + "\n"
    try:
        data = yaml.safe_load(result)
        last = data["exercises"][-1]["id"]
    except (yaml.YAMLError, TypeError, KeyError, IndexError):
        last = None
    if last != exercise_id:
        raise UsageError("course.yaml's exercises list is not written as `grade new` can extend it (one `- id:` "
                         "entry per exercise, under a top-level `exercises:` key); add the entry by hand:\n" +
                         "\n".join(indent + line for line in entry))
    return result
