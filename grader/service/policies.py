"""Whether the service takes a submission now: the exercise's opening time, its due time and late window, and its
rate limit (course.yaml), as pure functions of the exercise, the times already counted and `now` (aware).

A submission is judged at the moment its request arrived: before `opens` it is refused (403), after `due` plus the
late window it is refused ("closed at ..."), in between it is accepted, marked late by grader/lms/late.py (the
arithmetic of `grade batch`'s exports) when after `due`. The rate limit counts the student's submissions of the
exercise that the grader did not fail; the caller reads those times in the same transaction as its insert, so two
racing uploads are judged one after the other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime, timedelta, timezone

from grader.course.model import Exercise
from grader.lms.late import SERVICE, Lateness, lateness


class PolicyRefusal(Exception):
    """A submission the exercise's policy does not accept now: the HTTP status, the message for the student, and
    the seconds until one would be (None: never again, or not known)."""

    status = 403

    def __init__(self, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.message, self.retry_after_s = message, retry_after_s


class NotOpen(PolicyRefusal):
    """Before the exercise opens, or after it closed."""


class RateLimited(PolicyRefusal):
    status = 429


def shown_time(when: datetime) -> str:
    """A time as a student reads it, in the zone course.yaml wrote it in: 2026-12-01 23:59 UTC (or +01:00)."""
    offset = when.utcoffset()
    zone = "UTC" if not offset else when.strftime("%z")[:3] + ":" + when.strftime("%z")[3:]
    return f"{when.strftime('%Y-%m-%d %H:%M')} {zone}"


def closes_at(exercise: Exercise) -> datetime | None:
    """The last moment a submission is accepted: due plus the late window (None: no end)."""
    if exercise.due is None:
        return None
    if exercise.late is None or exercise.late.window_days is None:
        return None   # late work is taken (and marked) for as long as the policy has no window
    return exercise.due + timedelta(days=exercise.late.window_days)


def check_open(exercise: Exercise, now: datetime) -> None:
    """NotOpen before `opens` or after the late window closed; nothing otherwise."""
    if exercise.opens is not None and now < exercise.opens:
        raise NotOpen(f"{exercise.id} opens at {shown_time(exercise.opens)}; hand it in from then on",
                      math.ceil((exercise.opens - now).total_seconds()))
    closes = closes_at(exercise)
    if closes is not None and exercise.due is not None and now > closes:
        after = "" if closes == exercise.due else f" (due {shown_time(exercise.due)}, late work accepted until then)"
        raise NotOpen(f"{exercise.id} closed at {shown_time(closes)}{after}; nothing more is accepted")


def received_lateness(exercise: Exercise, received_at: str) -> Lateness:
    """How late a submission the service received at `received_at` (ISO 8601) is: days, penalty and note."""
    return lateness(exercise, SERVICE, None, received_at)


def rate_window(exercise: Exercise) -> timedelta | None:
    """How far back the submissions that may limit a new one go (None: the exercise has no rate limit)."""
    minutes = [exercise.cooldown_minutes or 0.0, exercise.rate_limit.per_minutes if exercise.rate_limit else 0.0]
    return timedelta(minutes=max(minutes)) if max(minutes) > 0 else None


def next_allowed(exercise: Exercise, counted: Iterable[datetime], now: datetime) -> datetime | None:
    """When the student may hand in again, if not now: `counted` are the times of their submissions of the exercise
    that count (the grader's own failures left out). None: now is allowed."""
    times = sorted(counted)
    waits: list[datetime] = []
    if exercise.cooldown_minutes and times:
        waits.append(times[-1] + timedelta(minutes=exercise.cooldown_minutes))
    rate = exercise.rate_limit
    if rate is not None:
        window = timedelta(minutes=rate.per_minutes)
        recent = [when for when in times if when > now - window]
        if len(recent) >= rate.gradings:   # the slot that frees first: the oldest of the last `gradings`
            waits.append(recent[len(recent) - rate.gradings] + window)
    later = [when for when in waits if when > now]
    return max(later) if later else None


def check_rate(exercise: Exercise, counted: Iterable[datetime], now: datetime) -> None:
    """RateLimited (with when the next one is allowed) if the exercise's rate limit or cooldown holds it back."""
    allowed = next_allowed(exercise, counted, now)
    if allowed is None:
        return
    rules = []
    if exercise.rate_limit is not None:
        rules.append(f"{exercise.rate_limit.gradings} gradings per {exercise.rate_limit.per_minutes:g} minutes")
    if exercise.cooldown_minutes:
        rules.append(f"{exercise.cooldown_minutes:g} minutes between two")
    seconds = math.ceil((allowed - now).total_seconds())
    raise RateLimited(f"{exercise.id} allows {' and '.join(rules)}; your next submission is allowed at "
                      f"{shown_time(allowed.astimezone(timezone.utc))} (in {_wait(seconds)})", seconds)


def _wait(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minutes" if minutes < 120 else f"{minutes / 60:.1f} hours"


def as_time(received_at: str) -> datetime:
    """A stored time (ISO 8601 with its zone) as an aware datetime."""
    when = datetime.fromisoformat(received_at)
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)


def stored_time(when: datetime) -> str:
    """An aware time as the service stores it: UTC, to the microsecond (text that sorts as the time does)."""
    return when.astimezone(timezone.utc).isoformat(timespec="microseconds")


def describe(exercise: Exercise) -> list[str]:
    """The exercise's policies as short sentences for its students (empty: none beyond the defaults)."""
    lines = []
    if exercise.opens is not None:
        lines.append(f"opens {shown_time(exercise.opens)}")
    if exercise.due is not None:
        closes = closes_at(exercise)
        late = exercise.late
        if closes == exercise.due:
            lines.append(f"due {shown_time(exercise.due)}; nothing is accepted after it")
        elif late is None:
            lines.append(f"due {shown_time(exercise.due)}; later work is marked late, without a penalty")
        else:
            penalty = f"{late.flat:.0%} off" if late.flat else f"{late.penalty_per_day:.0%} off per started day"
            until = f"until {shown_time(closes)}" if closes is not None else "without an end"
            lines.append(f"due {shown_time(exercise.due)}; late work {until}, {penalty}")
    if exercise.rate_limit is not None:
        lines.append(f"at most {exercise.rate_limit.gradings} gradings per {exercise.rate_limit.per_minutes:g} minutes")
    if exercise.cooldown_minutes:
        lines.append(f"{exercise.cooldown_minutes:g} minutes between two gradings")
    if exercise.counts == "best":
        lines.append("your best grading counts (after late penalties)")
    if exercise.hidden_before_due != "full" and exercise.due is not None:
        shown = "their outcome and hint" if exercise.hidden_before_due == "outcome_and_hint" else "their points together"
        lines.append(f"hidden checks show only {shown} until the due time")
    return lines
