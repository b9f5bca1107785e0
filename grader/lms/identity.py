"""Who handed an entry in, as an LMS's download names it: the one type the LMS readers give the batch."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_ID_BYTES = 100        # as grader.batch.collect's ids: room for `.json` and a temporary prefix in 255 bytes
MAX_LMS_ID_CHARS = 40
_UNSAFE_RUN = re.compile(r"[^\w.-]+")


@dataclass(frozen=True)
class LmsName:
    """What an LMS wrote into one entry's name. `order` ranks the same student's entries (Canvas's file id grows
    with every upload); `original` is the student's own file name (Canvas's `-N` resubmission suffix removed)."""

    lms: str                   # "canvas" or "moodle"
    lms_id: str                # Canvas's user id (or anon_…), Moodle's participant id
    name: str                  # Canvas's sortable name as it writes it (lowercase, no punctuation); Moodle's full name
    late: bool | None          # Canvas's LATE marker; None when the LMS does not say (Moodle)
    order: int = 0
    original: str = ""

    @property
    def student(self) -> str:
        return student_id(self.lms, self.name, self.lms_id)


def student_id(lms: str, name: str, lms_id: str) -> str:
    """The gradebook's id for an LMS student: the readable name and the LMS's id, unique by that id alone.
    Letters of any script stay; every other run of characters becomes `_`; bounded in bytes."""
    readable = _UNSAFE_RUN.sub("_", unicodedata.normalize("NFC", name)).strip("_.-")
    suffix = f"_{lms_id}"
    while len((readable + suffix).encode()) > MAX_ID_BYTES:
        readable = readable[:-1]
    return f"{readable.rstrip('_.-') or lms}{suffix}"
