"""The late policy's arithmetic: how late a submission is, by whose word, and what share of its score it loses.

Where lateness comes from, in order of trust: Canvas's own LATE marker (Canvas applies extensions and the
assignment's dates; its download records no submission time, so a late file counts as one started day late and
the note says so); otherwise the time the file records (Moodle's download holds no submission time, so its files'
times, kept from the zip; a plain folder's files' modification times). Every started day after the due time counts
as a day. The penalty is a share of the score earned; past the window the score is 0. Nothing here is silent: every
penalty comes with the note the exports and students.csv show.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from grader.course.model import Exercise

DAY_SECONDS = 86_400.0
SERVICE = "grade serve"   # `lms` for a submission the grading service received: its time is the service's own


@dataclass(frozen=True)
class Lateness:
    days: int = 0              # started days after the due time (0: on time, or not known to be late)
    penalty: float = 0.0       # the share of the score taken: 0 on time, 1 past the window
    note: str = ""             # why, and by whose word; "" when there is nothing to say

    def applied(self, score: float) -> float:
        """The score after the penalty, rounded as the exports write it."""
        return round(score * (1.0 - self.penalty), 4)


def lateness(exercise: Exercise, lms: str | None, late_marker: bool | None, submitted_at: str | None) -> Lateness:
    """How late one student's graded submission is under the exercise's policy (see the module)."""
    due = exercise.due
    if late_marker is not None:   # the LMS's word (Canvas)
        if not late_marker:
            return Lateness()
        source = "Canvas marks it LATE"
        if due is None:
            return Lateness(0, 0.0, f"{source}; course.yaml gives this exercise no due time, so no penalty")
        return _penalised(exercise, 1, f"{source} (its download records no submission time: counted as 1 started "
                                       f"day late; SpeedGrader shows the exact time)")
    if due is None or submitted_at is None:
        return Lateness()
    try:
        when = datetime.fromisoformat(submitted_at)
    except ValueError:
        return Lateness(0, 0.0, f"its recorded time {submitted_at!r} cannot be read; lateness unknown, no penalty")
    seconds = (when - due).total_seconds()
    if seconds <= 0:
        return Lateness()
    source = {"moodle": "the file's recorded time (Moodle's download holds no submission time)",
              SERVICE: "the time the grading service received it"}.get(lms or "", "the file's modification time")
    return _penalised(exercise, math.ceil(seconds / DAY_SECONDS),
                      f"{_duration(seconds)} after the due time, by {source} {when.isoformat(timespec='minutes')}",
                      seconds / DAY_SECONDS)


def _penalised(exercise: Exercise, days: int, why: str, exact_days: float | None = None) -> Lateness:
    policy = exercise.late
    if policy is None:
        return Lateness(days, 0.0, f"late: {why}; course.yaml gives no late policy, so no penalty")
    if policy.window_days is not None and (exact_days if exact_days is not None else days) > policy.window_days:
        return Lateness(days, 1.0, f"late: {why}; past the late window of {policy.window_days:g} days: 0")
    share = policy.flat if policy.flat else min(1.0, policy.penalty_per_day * days)
    rule = f"flat {policy.flat:.0%}" if policy.flat else f"{policy.penalty_per_day:.0%} a day x {days}"
    return Lateness(days, share, f"late: {why}; penalty {share:.0%} ({rule})")


def _duration(seconds: float) -> str:
    hours = seconds / 3600
    return f"{hours:.1f} hours" if hours < 48 else f"{hours / 24:.1f} days"
