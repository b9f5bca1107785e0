"""Which LMS wrote a folder of submissions, told from its entries' names, and never guessed silently.

A download is Canvas's or Moodle's when all, or nearly all, of its entries carry that LMS's names; the few that do
not are listed (an instructor added a file by hand, say) and graded under their own names as in a plain folder.
Anything else is a plain folder: one file or folder per student, named by the student id.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Callable

from grader.lms import canvas, moodle
from grader.lms.identity import LmsName

PLAIN = "plain folder"
READERS: dict[str, Callable[[str, bool], LmsName | None]] = {"canvas": canvas.parse, "moodle": moodle.parse}
SHOWN = {"canvas": "Canvas's submission download", "moodle": "Moodle's submission download", PLAIN: "a plain folder"}
NEARLY_ALL = 0.9   # of the entries; below ten entries that is all of them


@dataclass(frozen=True)
class Reading:
    """The format a folder's names were read in, each entry's LMS name, and the entries that did not match."""

    lms: str
    names: dict[str, LmsName] = field(default_factory=dict)   # entry name -> what the LMS wrote in it
    unmatched: tuple[str, ...] = ()

    @property
    def shown(self) -> str:
        return SHOWN[self.lms]

    def read(self, name: str, is_dir: bool) -> LmsName | None:
        """`name` read as this format reads names (an archive member that was not extracted, say)."""
        return READERS[self.lms](name, is_dir) if self.lms in READERS else None


def read_names(entries: list[tuple[str, bool]]) -> Reading:
    """`entries`: each top-level (name, is_dir). The LMS whose names all or nearly all of them carry, or PLAIN."""
    if not entries:
        return Reading(PLAIN)
    needed = max(1, math.ceil(NEARLY_ALL * len(entries)))
    for lms, parse in READERS.items():
        names = {name: parsed for name, is_dir in entries if (parsed := parse(name, is_dir)) is not None}
        if len(names) >= needed:
            return Reading(lms, names, tuple(name for name, _ in entries if name not in names))
    return Reading(PLAIN)
