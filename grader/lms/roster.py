"""The instructor's roster: Canvas's exported gradebook, or Moodle's exported grades or participants, as CSV.

Canvas's gradebook export ("Export Entire Gradebook") starts with `Student, ID, SIS User ID, SIS Login ID, Section`
(some exports also `Integration ID`) and one column per assignment named `<title> (<assignment id>)`; its second
line may be "Points Possible" (and newer exports add a "Manual Posting" line): these lines have no student ID and
stay as they are. Moodle's grade export (Grades > Export > Plain text file) and its participants download have
`First name`, `Last name` (or `Surname`), `Email address`, and, as the site shows them, `ID number` and `Username`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from grader.errors import UsageError
from grader.lms.raw_csv import BOM, RawCsvError, RawRecord, split
from grader.text import one_line

MAX_ROSTER_BYTES = 50 * 2**20
CANVAS_COLUMNS = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
MOODLE_IDENTIFIERS = {"email": "Email address", "idnumber": "ID number", "username": "Username"}
_NOT_LETTERS = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class RosterStudent:
    row: int                           # index of its record in Roster.records
    name: str                          # as the roster shows it ("Núñez, José", or "José Núñez")
    identifiers: dict[str, str]        # column -> value, of the columns that identify a student


@dataclass
class Roster:
    kind: str                          # "canvas" or "moodle"
    path: Path
    bom: bool
    records: list[RawRecord]
    header: list[str]
    students: list[RosterStudent]

    def column(self, name: str) -> int | None:
        folded = [cell.strip().casefold() for cell in self.header]
        return folded.index(name.casefold()) if name.casefold() in folded else None


def comparable_name(name: str) -> str:
    """A person's name as two systems spelling it differently still agree on: letters and digits only, casefolded,
    in NFC (apostrophes, hyphens, commas, double spaces and the order "Last, First" aside)."""
    return _NOT_LETTERS.sub("", unicodedata.normalize("NFC", name)).casefold()


def name_key(name: str) -> str:
    """`comparable_name` of "Last, First" and of "First Last" alike: the sorted words."""
    if "," in name:
        last, _, first = name.partition(",")
        name = f"{first} {last}"
    return comparable_name(name)


def read_roster(path: Path) -> Roster:
    """The roster at `path`, Canvas's or Moodle's, told by its header; a UsageError saying what is wrong otherwise."""
    try:
        if path.stat().st_size > MAX_ROSTER_BYTES:
            raise UsageError(f"the roster {path} is larger than {MAX_ROSTER_BYTES // 2**20} MB")
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"there is no roster file {path}") from None
    except UnicodeDecodeError:
        raise UsageError(f"the roster {path} is not UTF-8 text; export it again from the LMS as CSV (UTF-8)") from None
    except OSError as exc:
        raise UsageError(f"the roster {path} cannot be read ({exc.strerror or exc})") from None
    bom = text.startswith(BOM)
    try:
        records = split(text.removeprefix(BOM))
    except RawCsvError as exc:
        raise UsageError(f"the roster {path} is not a CSV file: {exc}") from None
    if not records:
        raise UsageError(f"the roster {path} is empty")
    header = [cell.strip() for cell in records[0].values()]
    if all(column in header for column in CANVAS_COLUMNS[:2]):
        return Roster("canvas", path, bom, records, header, _canvas_students(records, header))
    if "Email address" in header or ("First name" in header and ("Last name" in header or "Surname" in header)):
        return Roster("moodle", path, bom, records, header, _moodle_students(records, header))
    raise UsageError(f"the roster {path} is neither Canvas's gradebook export (its header starts Student, ID, SIS User "
                     f"ID, SIS Login ID, Section) nor Moodle's grades or participants export (First name, Last name, "
                     f"Email address); its header is: {one_line(', '.join(header), 300)}")


def _canvas_students(records: list[RawRecord], header: list[str]) -> list[RosterStudent]:
    at = {column: header.index(column) for column in CANVAS_COLUMNS if column in header}
    students = []
    for row, record in enumerate(records[1:], start=1):
        values = record.values()
        canvas_id = values[at["ID"]].strip() if at["ID"] < len(values) else ""
        if not canvas_id:   # "Points Possible", "Manual Posting": lines of the gradebook, not students
            continue
        identifiers = {column: values[index].strip() for column, index in at.items()
                       if column != "Student" and index < len(values) and values[index].strip()}
        students.append(RosterStudent(row, values[at["Student"]] if at["Student"] < len(values) else "", identifiers))
    return students


def _moodle_students(records: list[RawRecord], header: list[str]) -> list[RosterStudent]:
    def index(*names: str) -> int | None:
        return next((header.index(name) for name in names if name in header), None)

    first, last, full = index("First name"), index("Last name", "Surname"), index("Full name")
    identifiers = {column: i for column in MOODLE_IDENTIFIERS.values() if (i := index(column)) is not None}
    students = []
    for row, record in enumerate(records[1:], start=1):
        values = record.values()

        def value(i: int | None) -> str:
            return values[i].strip() if i is not None and i < len(values) else ""

        name = value(full) or " ".join(filter(None, (value(first), value(last))))
        found = {column: value(i) for column, i in identifiers.items() if value(i)}
        if name or found:
            students.append(RosterStudent(row, name, found))
    return students
