"""The queue of submissions, kept in the database: accepted, claimed fairly, finished once, requeued after a crash.

A submission's status moves queued -> grading -> graded | failed. Accepting counts the student's unfinished
submissions against a bound in the same transaction as the insert (their row locked on PostgreSQL; SQLite's
writer lock does it there). Claiming is round robin across students: each student has a turn counter (`served`),
the claim takes the oldest queued submission of the student served longest ago and moves them to the back,
so a flood from one student delays any other by at most one grading per grading slot. Finishing writes the
grading row and the final status in one transaction, only if the submission is still the one claimed.

Several services may share one database (PostgreSQL). A claim names its owner (host, process id and a random
nonce of the service that took it) and holds a lease the owner renews while it grades. A submission left
`grading` is taken back into the queue when its lease has run out, or at once when its owner was a service on
this host whose process is gone (after `kill -9`, a restart resumes without waiting out the lease); a live
peer's claims are never taken. Finishing and retrying act only on the caller's own claim, so a service whose
lease was taken over records nothing.

Accepting also applies the exercise's policies (grader/service/policies.py) in that transaction: its window
(opens, due and the late window) and its rate limit, counted over the student's submissions of the exercise that
the grader did not fail, so two uploads racing for the last slot are judged one after the other.
"""

from __future__ import annotations

import os
import secrets
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import Connection, Engine, func, select
from sqlalchemy.exc import IntegrityError

from grader.course.model import Exercise
from grader.service import policies
from grader.service.blobs import Blob
from grader.service.database import is_postgresql
from grader.service.schema import gradings, students, submissions

QUEUED, GRADING, GRADED, FAILED = "queued", "grading", "graded", "failed"
DEFAULT_QUEUE_LIMIT = 5
MAX_ATTEMPTS = 2   # a grading the grader failed (or whose worker died) is tried once more, as grade batch does
MAX_CLAIMS = 5     # claimed this often without a result (the service died each time): recorded as the grader's failure
LEASE_S = 60.0     # a claim's lease; its owner renews it every LEASE_S / 4 while it grades


class QueueFull(Exception):
    """The student already has as many submissions waiting as the service allows."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"you already have {limit} submissions waiting to be graded; wait for one to finish, "
                         f"then submit again")
        self.limit = limit


class UnknownStudent(Exception):
    """No live student with this id (revoked, or never in the roster)."""


@dataclass(frozen=True)
class Claim:
    """A submission taken off the queue by a grading slot."""

    submission: int
    student: str
    exercise: str
    sha256: str
    stored_path: str
    original_name: str
    attempts: int   # including this one
    owner: str = ""   # the service that holds it (new_owner())


_RUNNING_HERE: set[str] = set()   # owners whose grading loop runs in this process now


def new_owner() -> str:
    """A grading loop's name on its claims: host, process id and a nonce (a restarted service reusing a dead one's
    process id is still another owner). It counts as running in this process until `ended(owner)`."""
    owner = f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"
    _RUNNING_HERE.add(owner)
    return owner


def ended(owner: str) -> None:
    """The owner's grading loop has stopped: what it left `grading` may be taken back at once."""
    _RUNNING_HERE.discard(owner)


def _owner_gone(owner: str | None, me: str) -> bool:
    """Whether a claim's owner is known to be dead: a service of this host whose process no longer runs."""
    if not owner:
        return True   # claimed before owners were recorded (schema version 2)
    host, _, rest = owner.partition(":")
    pid_text = rest.partition(":")[0]
    if host != socket.gethostname() or not pid_text.isdigit() or owner == me:
        return False
    if int(pid_text) == os.getpid():
        return owner not in _RUNNING_HERE   # a loop of this process, or a dead service whose process id this one has
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False   # a process of another user lives there
    return False


@dataclass(frozen=True)
class Result:
    """What a finished grading records."""

    feedback_path: str   # relative to the data folder
    score: float
    max_score: float
    status: str          # the feedback's status
    grader_version: str
    failed: bool         # the grader failed: the submission's status becomes `failed`
    grader_fault: bool = False   # the grader failed or one of its checks broke: a rate limit does not count it


def now_iso() -> str:
    return policies.stored_time(datetime.now(timezone.utc))


def accept(engine: Engine, student: str, exercise: str, blob: Blob, original_name: str,
           limit: int = DEFAULT_QUEUE_LIMIT, policy: Exercise | None = None, now: datetime | None = None) -> int:
    """Queue a stored blob as the student's submission; its id once committed. QueueFull or UnknownStudent; with
    the exercise's `policy`, also its refusals (policies.NotOpen, policies.RateLimited) judged at `now` (aware,
    default the present), which is recorded as the time it was received."""
    now = now or datetime.now(timezone.utc)
    if policy is not None:
        policies.check_open(policy, now)
    with engine.begin() as connection:
        lock = select(students.c.id).where(students.c.id == student, students.c.revoked.is_(False))
        if is_postgresql(engine):
            lock = lock.with_for_update()
        if connection.execute(lock).first() is None:
            raise UnknownStudent(student)
        _check_room(connection, student, limit)
        if policy is not None:
            policies.check_rate(policy, counted_times(connection, student, exercise, policy, now), now)
        return int(connection.execute(submissions.insert().values(
            student=student, exercise=exercise, received_at=policies.stored_time(now), sha256=blob.sha256,
            stored_path=blob.relative_path, original_name=original_name, status=QUEUED, attempts=0,
        ).returning(submissions.c.id)).scalar_one())


def _check_room(connection: Connection, student: str, limit: int) -> None:
    waiting = connection.execute(select(func.count()).select_from(submissions).where(
        submissions.c.student == student, submissions.c.status.in_((QUEUED, GRADING)),
        submissions.c.regrade.is_(False))).scalar_one()   # the instructor's regrades are not the student's to wait on
    if waiting >= limit:
        raise QueueFull(limit)


def check_before_storing(engine: Engine, student: str, exercise: Exercise, limit: int, now: datetime) -> None:
    """QueueFull or policies.RateLimited if the student's next submission of the exercise would be refused now:
    read before an upload is stored, so a refused one costs no disk (a student with a full queue sending file after
    file would otherwise fill it); `accept` counts again, in its transaction, to decide."""
    with engine.connect() as connection:
        _check_room(connection, student, limit)
        if policies.rate_window(exercise) is not None:
            policies.check_rate(exercise, counted_times(connection, student, exercise.id, exercise, now), now)


def counted_times(connection: Connection, student: str, exercise: str, policy: Exercise,
                  now: datetime) -> list[datetime]:
    """When the student's submissions of the exercise within its rate window were received, leaving out those the
    grader failed or whose grading was the grader's fault."""
    window = policies.rate_window(policy)
    if window is None:
        return []
    query = (select(submissions.c.received_at)
             .select_from(submissions.outerjoin(gradings, gradings.c.submission == submissions.c.id))
             .where(submissions.c.student == student, submissions.c.exercise == exercise,
                    submissions.c.received_at >= policies.stored_time(now - window),
                    submissions.c.status != FAILED, func.coalesce(gradings.c.grader_fault, False).is_(False)))
    return [policies.as_time(received) for received in connection.execute(query).scalars()]


def _lease_end(now: datetime | None) -> str:
    return policies.stored_time((now or datetime.now(timezone.utc)) + timedelta(seconds=LEASE_S))


def claim(engine: Engine, owner: str = "", now: datetime | None = None) -> Claim | None:
    """The next submission to grade, marked `grading` and leased to `owner`: the oldest queued one of the student
    served longest ago."""
    with engine.begin() as connection:
        query = (select(submissions).join(students, students.c.id == submissions.c.student)
                 .where(submissions.c.status == QUEUED)
                 # New work first: an instructor's regrade of the class waits until no student's submission does.
                 .order_by(submissions.c.regrade, students.c.served, submissions.c.student, submissions.c.id).limit(1))
        if is_postgresql(engine):
            query = query.with_for_update(of=submissions, skip_locked=True)
        row = connection.execute(query).first()
        if row is None:
            return None
        taken = connection.execute(submissions.update()
                                   .where(submissions.c.id == row.id, submissions.c.status == QUEUED)
                                   .values(status=GRADING, attempts=submissions.c.attempts + 1, claimed_by=owner,
                                           lease_until=_lease_end(now))).rowcount
        if not taken:
            return None
        if not row.regrade:   # a regrade is background work: it does not cost the student their turn
            turn = connection.execute(select(func.coalesce(func.max(students.c.served), 0))).scalar_one() + 1
            connection.execute(students.update().where(students.c.id == row.student).values(served=turn))
        return Claim(row.id, row.student, row.exercise, row.sha256, row.stored_path, row.original_name,
                     row.attempts + 1, owner)


def _held(claimed: Claim):
    """The condition that the submission is still `grading` under this claim."""
    return (submissions.c.id == claimed.submission) & (submissions.c.status == GRADING) & \
        (submissions.c.claimed_by == claimed.owner)


def renew(engine: Engine, owner: str, submission_ids: list[int], now: datetime | None = None) -> int:
    """Extend the leases of the owner's claims still running; how many it still holds."""
    if not submission_ids:
        return 0
    with engine.begin() as connection:
        return connection.execute(submissions.update()
                                  .where(submissions.c.id.in_(submission_ids), submissions.c.status == GRADING,
                                         submissions.c.claimed_by == owner)
                                  .values(lease_until=_lease_end(now))).rowcount


def finish(engine: Engine, claimed: Claim, result: Result) -> bool:
    """Record the grading and the submission's final status in one transaction; False (nothing written) when the
    submission is no longer the one claimed or already has its grading."""
    try:
        with engine.begin() as connection:
            moved = connection.execute(submissions.update().where(_held(claimed))
                                       .values(status=FAILED if result.failed else GRADED, lease_until=None,
                                               regrade=False)).rowcount
            if not moved:
                return False
            connection.execute(gradings.insert().values(
                submission=claimed.submission, feedback_path=result.feedback_path, score=result.score,
                max_score=result.max_score, status=result.status, grader_version=result.grader_version,
                graded_at=now_iso(), grader_fault=result.grader_fault or result.failed))
    except IntegrityError:   # a grading already recorded: the transaction rolled back whole
        return False
    return True


def retry(engine: Engine, claimed: Claim) -> None:
    """Put a claimed submission back in the queue (its grading is tried again)."""
    with engine.begin() as connection:
        connection.execute(submissions.update().where(_held(claimed)).values(status=QUEUED, lease_until=None))


def requeue_abandoned(engine: Engine, me: str, now: datetime | None = None) -> int:
    """Every submission left `grading` by a service that is gone (its lease ran out, or it was a service of this
    host whose process has ended) is queued again; how many. A live service's claims, and `me`'s, stay."""
    expired = policies.stored_time(now or datetime.now(timezone.utc))
    with engine.begin() as connection:
        held = connection.execute(select(submissions.c.id, submissions.c.claimed_by, submissions.c.lease_until)
                                  .where(submissions.c.status == GRADING)).all()
        taken = 0
        for row in held:
            if row.claimed_by == me or not (row.lease_until is None or row.lease_until < expired
                                            or _owner_gone(row.claimed_by, me)):
                continue
            # Compare and set: a lease its owner renewed since it was read stays the owner's.
            taken += connection.execute(submissions.update().where(
                submissions.c.id == row.id, submissions.c.status == GRADING,
                submissions.c.claimed_by.is_not_distinct_from(row.claimed_by),
                submissions.c.lease_until.is_not_distinct_from(row.lease_until),
            ).values(status=QUEUED, lease_until=None)).rowcount
        return taken
