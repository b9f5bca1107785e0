"""The report's "where it was graded" section: the instructor's machine, or which Dask cluster."""

from __future__ import annotations

import html
from collections import Counter

SECTION_ID = "graded-on"


def where_section(places: Counter) -> str:
    """`places`: how many students' current grade came from each place (None: a gradebook row older than
    the record of where, so the report cannot say)."""
    if not places:
        return ""
    items = "".join(f"<li>{count} on {html.escape(place or 'a machine this gradebook did not record')}</li>"
                    for place, count in sorted(places.items(), key=lambda item: (-item[1], item[0] or "")))
    return f'<section id="{SECTION_ID}"><h2>Where it was graded</h2><ul>{items}</ul></section>\n'
