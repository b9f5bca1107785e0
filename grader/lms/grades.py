"""One student's grade as the exports see it: read from the gradebook by the command, with the late policy applied."""

from __future__ import annotations

from dataclasses import dataclass

from grader.lms.late import Lateness


@dataclass(frozen=True)
class Grade:
    student: str               # the gradebook's id
    lms: str | None            # "canvas", "moodle", or None for a plain folder
    lms_id: str | None
    lms_name: str | None
    status: str
    score: float
    max_score: float
    lateness: Lateness
    note: str = ""             # why there is nothing graded, when there is not

    @property
    def final(self) -> float:
        """The score after the late penalty: what the LMS's column gets."""
        return self.lateness.applied(self.score)

    @property
    def notes(self) -> str:
        return "; ".join(filter(None, (self.note, self.lateness.note)))
