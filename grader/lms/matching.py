"""Which roster line each graded student is: by the LMS's own id where the download gave one, never by a guess.

Canvas's download names the Canvas user id, which is the roster's `ID`. Moodle's names the assignment's participant
id, which no Moodle export lists, so a Moodle student is matched by name (spelled as `roster.name_key` compares
names), and only when exactly one roster line has that name. A plain folder's student id is matched against the
roster's identifying columns (Canvas: ID, SIS User ID, SIS Login ID; Moodle: email, ID number, username), and
so is a student of the grading service (whose ids come from the roster it imported).
Two grades that match one roster line fill neither: both are listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from grader.lms.grades import Grade
from grader.lms.late import SERVICE
from grader.lms.roster import Roster, RosterStudent, name_key


@dataclass
class Matched:
    by_row: dict[int, Grade] = field(default_factory=dict)            # roster record index -> its grade
    unmatched: list[tuple[Grade, str]] = field(default_factory=list)  # grades without a roster line, and why
    missing: list[RosterStudent] = field(default_factory=list)        # roster students without a submission
    contested: list[RosterStudent] = field(default_factory=list)      # roster lines two grades claimed: left as they are


def match(roster: Roster, grades: list[Grade]) -> Matched:
    by_id: dict[str, list[RosterStudent]] = {}
    by_name: dict[str, list[RosterStudent]] = {}
    for student in roster.students:
        for value in set(student.identifiers.values()):
            by_id.setdefault(value.casefold(), []).append(student)
        by_name.setdefault(name_key(student.name), []).append(student)
    claims: dict[int, list[Grade]] = {}
    result = Matched()
    for grade in grades:
        found, why = _find(roster, grade, by_id, by_name)
        if found is None:
            result.unmatched.append((grade, why))
        else:
            claims.setdefault(found.row, []).append(grade)
    rows = {student.row: student for student in roster.students}
    for row, claimants in claims.items():
        if len(claimants) == 1:
            result.by_row[row] = claimants[0]
            continue
        result.contested.append(rows[row])
        others = ", ".join(grade.student for grade in claimants)
        result.unmatched += [(grade, f"{len(claimants)} submissions ({others}) match the roster's {rows[row].name!r}; "
                                     "none was written") for grade in claimants]
    result.missing = [student for student in roster.students if student.row not in claims]
    return result


def _find(roster: Roster, grade: Grade, by_id: dict[str, list[RosterStudent]],
          by_name: dict[str, list[RosterStudent]]) -> tuple[RosterStudent | None, str]:
    if grade.lms == "canvas" and roster.kind == "canvas":
        found = [s for s in by_id.get((grade.lms_id or "").casefold(), []) if s.identifiers.get("ID") == grade.lms_id]
        return (found[0], "") if len(found) == 1 else (None, f"no roster line has Canvas ID {grade.lms_id}")
    if grade.lms not in (None, SERVICE):   # the grading service's ids are the roster's own
        named = by_name.get(name_key(grade.lms_name or ""), []) if grade.lms_name else []
        if len(named) == 1:
            return named[0], ""
        return None, (f"{len(named)} roster lines are named {grade.lms_name!r}" if named
                      else f"no roster line is named {grade.lms_name!r}")
    found = by_id.get(grade.student.casefold(), [])
    if len(found) == 1:
        return found[0], ""
    return None, (f"{len(found)} roster lines have the identifier {grade.student!r}" if found
                  else f"no roster line has the identifier {grade.student!r}")
