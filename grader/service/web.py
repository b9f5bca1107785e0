"""The students' web pages: sign in with the token, hand in a file, see one's history and each feedback.

A session is a signed cookie (HttpOnly, SameSite=Strict, Secure behind TLS) naming the student and bound to
their current token: rotating or revoking the token ends every session made with it. Every form carries the
session's CSRF token. Pages are jinja2 templates with autoescape on; there is no script at all. The exercises'
policies hold as in the API (`api.accept_upload`, `api.visible_feedback`, `api.public_record`).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import secrets
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from grader.service import accounts, records
from grader.service.accounts import Student
from grader.service.api import (Refusal, accept_upload, error, public_record, shown_view, standings_of,
                                visible_feedback)
from grader.service.policies import describe
from grader.service.service import Service
from grader.service.uploads import BadName, suffix_and_name
from grader.views.pages import environment

TEMPLATES = Path(__file__).parent / "templates"
CHUNK = 64 * 1024


def page(name: str, status: int = 200, **values) -> HTMLResponse:
    """One of the service's pages (grader/service/templates), rendered by the one page layer (autoescape on)."""
    return HTMLResponse(environment("grader.service").get_template(name).render(**values), status_code=status)


def _binding(request: Request, student: Student) -> str:
    """What ties a session to the token it was made with (the key never leaves the server)."""
    return hmac.new(request.app.state.session_key, student.token_hash.encode(), hashlib.sha256).hexdigest()


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not isinstance(token, str) or len(token) != 43:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, sent: object) -> bool:
    expected = request.session.get("csrf")
    return (isinstance(expected, str) and isinstance(sent, str) and len(expected) == 43
            and hmac.compare_digest(expected.encode(), sent.encode()))


async def signed_in(request: Request) -> Student | None:
    """The session's student, if their token is still the one the session was made with."""
    student_id, bound = request.session.get("student"), request.session.get("bind")
    if not isinstance(student_id, str) or not isinstance(bound, str):
        return None
    service: Service = request.app.state.service
    student = await run_in_threadpool(accounts.find, service.engine, student_id)
    if student is None or not hmac.compare_digest(_binding(request, student).encode(), bound.encode()):
        return None
    return student


def terminal_text(document: dict | None) -> str | None:
    """The feedback as `grade` prints it in a terminal (the same `views.terminal.render`), as plain text."""
    if document is None:
        return None
    from rich.console import Console

    from grader.feedback.model import Feedback
    from grader.views.terminal import render

    console = Console(file=io.StringIO(), width=120, record=True, color_system=None, highlight=False)
    render(Feedback.from_dict(document), console)
    return console.export_text()


async def front(request: Request) -> Response:
    if await signed_in(request) is not None:
        return RedirectResponse("/home", status_code=303)
    return page("signin.html.j2", csrf=csrf_token(request), problem=None)


async def sign_in(request: Request) -> Response:
    service: Service = request.app.state.service
    async with request.form(max_files=0, max_fields=4) as form:
        sent_csrf, token = form.get("csrf"), form.get("token")
    if not csrf_ok(request, sent_csrf):
        return page("signin.html.j2", 403, csrf=csrf_token(request), problem="The form expired; please sign in again.")
    student = None
    if isinstance(token, str):
        student = await run_in_threadpool(accounts.authenticate, service.engine, token.strip())
    if student is None:
        return page("signin.html.j2", 401, csrf=csrf_token(request), problem="That token is not valid.")
    request.session.clear()
    request.session.update({"student": student.id, "bind": _binding(request, student),
                            "csrf": secrets.token_urlsafe(32)})
    return RedirectResponse("/home", status_code=303)


async def sign_out(request: Request) -> Response:
    async with request.form(max_files=0, max_fields=2) as form:
        if not csrf_ok(request, form.get("csrf")):
            return page("signin.html.j2", 403, csrf=csrf_token(request), problem="The form expired.")
    request.session.clear()
    return RedirectResponse("/", status_code=303)


async def home(request: Request, problem: str | None = None, status: int = 200) -> Response:
    student = await signed_in(request)
    if student is None:
        return RedirectResponse("/", status_code=303)
    service: Service = request.app.state.service
    found = await run_in_threadpool(records.history, service.engine, student.id)
    standings = await run_in_threadpool(standings_of, service, student)
    exercises = service.config.course.exercises
    return page("home.html.j2", status, student=student, csrf=csrf_token(request), problem=problem,
                submissions=[public_record(service, record, standings) for record in found],
                exercises=[exercise.id for exercise in exercises],
                policies=[(exercise.id, describe(exercise)) for exercise in exercises if describe(exercise)],
                grades=list(standings.values()))


async def _chunks(upload: UploadFile):
    while chunk := await upload.read(CHUNK):
        yield chunk


async def upload(request: Request) -> Response:
    service: Service = request.app.state.service
    arrived = service.clock()
    student = await signed_in(request)
    if student is None:
        return RedirectResponse("/", status_code=303)
    async with request.form(max_files=1, max_fields=4) as form:
        if not csrf_ok(request, form.get("csrf")):
            return await home(request, "The form expired; please try again.", 403)
        exercise = service.exercise(str(form.get("exercise") or ""))
        file = form.get("file")
        if exercise is None or not isinstance(file, UploadFile):
            return await home(request, "Choose an exercise and a file.", 400)
        try:
            suffix, shown = suffix_and_name(file.filename or "")
        except BadName as exc:
            return await home(request, str(exc), 400)
        try:
            submitted = await accept_upload(service, student, exercise, suffix, shown, _chunks(file), arrived)
        except Refusal as refused:
            return await home(request, refused.message, refused.status)
    return RedirectResponse(f"/submissions/{submitted}", status_code=303)


async def submission(request: Request) -> Response:
    student = await signed_in(request)
    if student is None:
        return RedirectResponse("/", status_code=303)
    service: Service = request.app.state.service
    now = service.clock()
    record = await run_in_threadpool(records.one, service.engine, student.id, request.path_params["submission"])
    if record is None:
        return page("missing.html.j2", 404, student=student, csrf=csrf_token(request))
    document = await run_in_threadpool(visible_feedback, service, record, now)
    standings = await run_in_threadpool(standings_of, service, student)
    return page("submission.html.j2", student=student, record=public_record(service, record, standings),
                table=terminal_text(document), csrf=csrf_token(request), view=shown_view(service, record, now),
                waiting=record.status in ("queued", "grading"))


async def stylesheet(request: Request) -> Response:
    return FileResponse(TEMPLATES / "service.css", media_type="text/css")


async def not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return error(404, "not found")
    return HTMLResponse("<!doctype html><title>Not found</title><p>Not found.</p>", status_code=404)


routes = [
    Route("/", front, methods=["GET"]),
    Route("/signin", sign_in, methods=["POST"]),
    Route("/signout", sign_out, methods=["POST"]),
    Route("/home", home, methods=["GET"]),
    Route("/upload", upload, methods=["POST"]),
    Route("/submissions/{submission:int}", submission, methods=["GET"]),
    Route("/static/service.css", stylesheet, methods=["GET"]),
]
