"""The JSON API `grade submit` speaks: hand in a file, read a submission's status and feedback, list one's own.

Every route needs `Authorization: Bearer <token>`; a submission that is not the caller's answers exactly as one
that does not exist (404), so ids reveal nothing. The upload is the request body itself, streamed to the store
and counted against the exercise's `max_file_kib` as it arrives.

The exercise's policies hold here as on the web page: an upload is judged at the time its request arrived (the
window and the rate limit: 403 or 429 with Retry-After), every record carries its lateness and whether it is the
grading that counts, and feedback is shown as `visibility` allows at the time it is read.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from grader.course.model import Exercise
from grader.service import accounts, queue, records
from grader.service.accounts import Student
from grader.service.blobs import TooLarge
from grader.service.policies import PolicyRefusal, check_open, received_lateness
from grader.service.service import Service
from grader.service.standing import Standing, student_standings
from grader.service.uploads import BadName, store_stream, suffix_and_name
from grader.service.visibility import hidden_view, visible_document

MAX_FEEDBACK_BYTES = 8 * 2**20


def error(status: int, message: str, **headers: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def unauthorised() -> JSONResponse:
    return error(401, "sign in: send your token as 'Authorization: Bearer <token>'", **{"WWW-Authenticate": "Bearer"})


async def bearer_student(request: Request) -> Student | None:
    service: Service = request.app.state.service
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    return await run_in_threadpool(accounts.authenticate, service.engine, token.strip())


async def submit(request: Request) -> Response:
    service: Service = request.app.state.service
    arrived = service.clock()
    student = await bearer_student(request)
    if student is None:
        return unauthorised()
    exercise = service.exercise(request.query_params.get("exercise", ""))
    if exercise is None:
        return error(404, "no such exercise in this course")
    try:
        suffix, shown = suffix_and_name(request.query_params.get("name", ""))
    except BadName as exc:
        return error(400, str(exc))
    try:
        submission = await accept_upload(service, student, exercise, suffix, shown, request.stream(), arrived)
    except Refusal as refused:
        if refused.status == 401:
            return unauthorised()
        wait = {"Retry-After": str(refused.retry_after_s or 30)} if refused.status == 429 else {}
        return error(refused.status, refused.message, **wait)
    return JSONResponse({"id": submission, "status": queue.QUEUED}, status_code=201)


class Refusal(Exception):
    """An upload the service did not accept: the HTTP status, the message for the student, and (429) the seconds
    until one would be."""

    def __init__(self, status: int, message: str, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.retry_after_s = status, message, retry_after_s


async def accept_upload(service: Service, student: Student, exercise: Exercise, suffix: str, shown: str,
                        chunks: AsyncIterator[bytes], arrived: datetime) -> int:
    """Store the bytes, then queue them as received at `arrived`: the submission's id once both are durable, else
    a Refusal (a closed exercise, a full queue or a student over the rate limit is refused before a byte is stored)."""
    try:
        check_open(exercise, arrived)
        await run_in_threadpool(queue.check_before_storing, service.engine, student.id, exercise,
                                service.config.queue_limit, arrived)
    except PolicyRefusal as refused:
        raise Refusal(refused.status, refused.message, refused.retry_after_s) from None
    except queue.QueueFull as exc:
        raise Refusal(429, str(exc)) from None
    try:
        blob = await store_stream(service.data_dir, suffix, exercise.limits.max_file_kib * 1024, chunks)
    except TooLarge as exc:
        raise Refusal(413, str(exc)) from None
    if blob.size == 0:
        raise Refusal(400, "the file is empty")
    try:
        return await run_in_threadpool(service.queue, student.id, exercise, blob, shown, arrived)
    except PolicyRefusal as refused:
        raise Refusal(refused.status, refused.message, refused.retry_after_s) from None
    except queue.QueueFull as exc:
        raise Refusal(429, str(exc)) from None
    except queue.UnknownStudent:
        raise Refusal(401, "your token is no longer valid") from None


def feedback_document(service: Service, record: records.SubmissionRecord) -> dict | None:
    """The graded submission's whole feedback document, read back from the data folder (what a student may see of
    it is `visible_feedback`)."""
    if not record.feedback_path:
        return None
    path = service.data_dir / record.feedback_path
    try:
        with open(path, "rb") as stream:
            return json.loads(stream.read(MAX_FEEDBACK_BYTES))
    except (OSError, ValueError):
        return None


def visible_feedback(service: Service, record: records.SubmissionRecord, now: datetime) -> dict | None:
    """The feedback document as its student may see it at `now` (the exercise's `hidden_before_due`): the one way
    a student's route reads feedback. An exercise no longer in the course shows none (fail closed)."""
    exercise = service.exercise(record.exercise)
    if exercise is None:
        return None
    return visible_document(feedback_document(service, record), exercise, now)


def shown_view(service: Service, record: records.SubmissionRecord, now: datetime) -> str:
    exercise = service.exercise(record.exercise)
    return "none" if exercise is None else hidden_view(exercise, now)


def public_record(service: Service, record: records.SubmissionRecord, standings: dict[str, Standing]) -> dict:
    """The record for its student: its lateness under the exercise's policy and whether its grading counts."""
    exercise = service.exercise(record.exercise)
    counting = standings.get(record.exercise)
    return record.public(received_lateness(exercise, record.received_at) if exercise else None,
                         counting is not None and counting.submission == record.id)


def standings_of(service: Service, student: Student) -> dict[str, Standing]:
    return student_standings(service.engine, service.config.course, student.id)


def grade_entry(standing: Standing) -> dict:
    """A counting grading as the API reports it."""
    return {"exercise": standing.exercise, "submission": standing.submission, "counts": standing.counts,
            "score": standing.score, "max_score": standing.max_score, "final_score": standing.final_score,
            "late_days": standing.lateness.days, "late_penalty": standing.lateness.penalty,
            "late_note": standing.lateness.note}


async def status(request: Request) -> Response:
    service: Service = request.app.state.service
    now = service.clock()
    student = await bearer_student(request)
    if student is None:
        return unauthorised()
    submission = request.path_params["submission"]
    record = await run_in_threadpool(records.one, service.engine, student.id, submission)
    if record is None:
        return error(404, "no such submission of yours")
    wait = _wait_seconds(request)
    if wait and record.status in ("queued", "grading"):   # answered when it is graded, not polled for
        await service.waiters.wait(submission, wait)
        record = await run_in_threadpool(records.one, service.engine, student.id, submission) or record
        now = service.clock()
    document = await run_in_threadpool(visible_feedback, service, record, now)
    standings = await run_in_threadpool(standings_of, service, student)
    return JSONResponse({"submission": public_record(service, record, standings), "feedback": document,
                         "hidden_checks": shown_view(service, record, now)})


def _wait_seconds(request: Request) -> float:
    """`?wait=S`: how long the client will wait for the grading (0 when absent or not a number)."""
    try:
        seconds = float(request.query_params.get("wait", "0"))
    except ValueError:
        return 0.0
    return seconds if 0 < seconds < float("inf") else 0.0


async def history(request: Request) -> Response:
    service: Service = request.app.state.service
    student = await bearer_student(request)
    if student is None:
        return unauthorised()
    found = await run_in_threadpool(records.history, service.engine, student.id)
    standings = await run_in_threadpool(standings_of, service, student)
    return JSONResponse({"student": student.id,
                         "submissions": [public_record(service, record, standings) for record in found],
                         "grades": [grade_entry(standing) for standing in standings.values()]})


routes = [
    Route("/api/submissions", submit, methods=["POST"]),
    Route("/api/submissions", history, methods=["GET"]),
    Route("/api/submissions/{submission:int}", status, methods=["GET"]),
]
