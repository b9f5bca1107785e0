"""The report's "where it was graded" section: the instructor's machine, or which Dask cluster."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from markupsafe import Markup

from grader.views.pages import render

SECTION_ID = "graded-on"
UNRECORDED = "a machine this gradebook did not record"


@dataclass(frozen=True)
class Place:
    name: str
    students: int


def where_section(places: Counter) -> Markup:
    """`places`: how many students' current grade came from each place (None: a gradebook row older than
    the record of where, so the report cannot say)."""
    if not places:
        return Markup("")
    listed = [Place(place or UNRECORDED, count)
              for place, count in sorted(places.items(), key=lambda item: (-item[1], item[0] or ""))]
    return render("where.html.j2", section_id=SECTION_ID, places=listed)
