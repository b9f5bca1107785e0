"""The instructor's roster into the service: one token per new student, written once to a CSV for a mail-merge.

The roster is a plain CSV of `id,name[,email]` (a first line `id,name,...` is a header). Tokens are shown only in
the file this writes (mode 0600); the database keeps their hashes, so a lost token is replaced (`--rotate`), never
read back.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from grader.atomic import write_text_atomically
from grader.errors import UsageError
from grader.service import accounts
from grader.text import one_line
from grader.views.csv_table import text_cell, write_rows

MAX_ROSTER_BYTES = 10 * 2**20


@dataclass(frozen=True)
class RosterLine:
    id: str
    name: str
    email: str = ""


@dataclass
class Imported:
    tokens: list[tuple[RosterLine, str]] = field(default_factory=list)   # new students and their tokens
    kept: list[RosterLine] = field(default_factory=list)                 # known students: their tokens stay


def read_roster(path: Path) -> list[RosterLine]:
    """The roster's students, in order; a UsageError naming the line of anything it cannot use."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"cannot read the roster {path}: {exc.strerror or exc}") from None
    if len(data) > MAX_ROSTER_BYTES:
        raise UsageError(f"{path} is larger than {MAX_ROSTER_BYTES // 2**20} MiB; is it a roster?")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UsageError(f"{path} is not UTF-8 text; export the roster as UTF-8 CSV") from None
    lines, seen = [], set()
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells):
            continue
        if number == 1 and cells[0].casefold() in ("id", "student", "student id"):
            continue
        if len(cells) < 2:
            raise UsageError(f"{path}:{number}: expected id,name[,email], found {one_line(','.join(cells))!r}")
        try:
            student_id = accounts.check_student_id(cells[0])
        except UsageError as exc:
            raise UsageError(f"{path}:{number}: {exc}") from None
        if student_id in seen:
            raise UsageError(f"{path}:{number}: the id {student_id!r} is on the roster twice")
        seen.add(student_id)
        lines.append(RosterLine(student_id, one_line(cells[1], 400), one_line(cells[2], 400) if len(cells) > 2 else ""))
    return lines


def import_roster(engine: Engine, lines: list[RosterLine]) -> Imported:
    """Add every new student with a token; known students keep theirs (their names are updated)."""
    imported = Imported()
    for line in lines:
        token = accounts.add_or_update(engine, line.id, line.name)
        if token is None:
            imported.kept.append(line)
        else:
            imported.tokens.append((line, token))
    return imported


def write_tokens(path: Path, tokens: list[tuple[RosterLine, str]]) -> None:
    """id,name,email,token for a mail-merge, readable by the instructor only."""
    rows = [[text_cell(line.id), text_cell(line.name), text_cell(line.email), token] for line, token in tokens]
    write_text_atomically(write_rows(["id", "name", "email", "token"], rows), path, mode=0o600)
