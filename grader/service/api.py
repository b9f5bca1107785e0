"""The JSON API `grade submit` speaks: hand in a file, read a submission's status and feedback, list one's own.

Every route needs `Authorization: Bearer <token>`; a submission that is not the caller's answers exactly as one
that does not exist (404), so ids reveal nothing. The upload is the request body itself, streamed to the store
and counted against the exercise's `max_file_kib` as it arrives.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from grader.course.model import Exercise
from grader.service import accounts, queue, records
from grader.service.accounts import Student
from grader.service.blobs import TooLarge
from grader.service.service import Service
from grader.service.uploads import BadName, store_stream, suffix_and_name

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
        submission = await accept_upload(service, student, exercise, suffix, shown, request.stream())
    except Refusal as refused:
        if refused.status == 401:
            return unauthorised()
        return error(refused.status, refused.message, **({"Retry-After": "30"} if refused.status == 429 else {}))
    return JSONResponse({"id": submission, "status": queue.QUEUED}, status_code=201)


class Refusal(Exception):
    """An upload the service did not accept: the HTTP status and the message for the student."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


async def accept_upload(service: Service, student: Student, exercise: Exercise, suffix: str, shown: str,
                        chunks: AsyncIterator[bytes]) -> int:
    """Store the bytes, then queue them: the submission's id once both are durable, else a Refusal."""
    try:
        blob = await store_stream(service.data_dir, suffix, exercise.limits.max_file_kib * 1024, chunks)
    except TooLarge as exc:
        raise Refusal(413, str(exc)) from None
    if blob.size == 0:
        raise Refusal(400, "the file is empty")
    try:
        return await run_in_threadpool(service.queue, student.id, exercise, blob, shown)
    except queue.QueueFull as exc:
        raise Refusal(429, str(exc)) from None
    except queue.UnknownStudent:
        raise Refusal(401, "your token is no longer valid") from None


def feedback_document(service: Service, record: records.SubmissionRecord) -> dict | None:
    """The graded submission's feedback document, read back from the data folder."""
    if not record.feedback_path:
        return None
    path = service.data_dir / record.feedback_path
    try:
        with open(path, "rb") as stream:
            return json.loads(stream.read(MAX_FEEDBACK_BYTES))
    except (OSError, ValueError):
        return None


async def status(request: Request) -> Response:
    service: Service = request.app.state.service
    student = await bearer_student(request)
    if student is None:
        return unauthorised()
    record = await run_in_threadpool(records.one, service.engine, student.id, request.path_params["submission"])
    if record is None:
        return error(404, "no such submission of yours")
    document = await run_in_threadpool(feedback_document, service, record)
    return JSONResponse({"submission": record.public(), "feedback": document})


async def history(request: Request) -> Response:
    service: Service = request.app.state.service
    student = await bearer_student(request)
    if student is None:
        return unauthorised()
    found = await run_in_threadpool(records.history, service.engine, student.id)
    return JSONResponse({"student": student.id, "submissions": [record.public() for record in found]})


routes = [
    Route("/api/submissions", submit, methods=["POST"]),
    Route("/api/submissions", history, methods=["GET"]),
    Route("/api/submissions/{submission:int}", status, methods=["GET"]),
]
