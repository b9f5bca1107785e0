"""The instructor's pages: the course live (queue, throughput, each exercise's report), the exports of `grade
batch`, similarity on demand and a regrade with its preview.

Separate credentials: the instructor signs in with the token `grade serve instructor` made (`instructor_auth`),
never a student's. The session is the students' kind (the signed, HttpOnly, SameSite=Strict cookie), holding a
binding to the instructor token's hash instead of a student: a new token ends it, and a student's session is no
instructor's. Every route but the sign-in form answers 403 without that session; every form carries the CSRF
token. The numbers are `dashboard`'s pure functions over `course_records`; what the pages show of students (ids,
names, file names, notes) is escaped by the page layer.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import shutil
import tempfile
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterator

from markupsafe import Markup
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from grader.batch.runner import Job
from grader.course.model import Exercise
from grader.errors import UsageError
from grader.feedback.model import Feedback, FeedbackError, read_feedback
from grader.service import course_records, dashboard, instructor_auth, instructor_regrade
from grader.service.instructor_exports import write_batch_exports, write_batch_folder, zipped
from grader.service.service import Service
from grader.service.web import csrf_ok, csrf_token, page
from grader.service.worker import Grader, PoolGrader
from grader.text import one_line
from grader.views.report import report_page

# What similarity on demand runs (set by `grade serve`, which may import grader.similarity; this layer may not):
# an OUT folder whose feedback names the stored files -> report.html's similarity section.
SimilarityRunner = Callable[[Path, Exercise], Markup]
PreviewGraders = Callable[[Service], Grader]
DOWNLOADS = {"grades.csv": "text/csv", "students.csv": "text/csv", "report.html": "text/html",
             "scores.csv": "text/csv", "batch.zip": "application/zip"}
_one_comparison = threading.Lock()
log = logging.getLogger("grader.service")


def fresh_grader(service: Service) -> Grader:
    """The preview's own worker pools (the grading loop's are the loop's alone), closed after the preview."""
    config = service.config
    return PoolGrader(config.course.manifest_path, config.strong, config.jobs)


class _Shared:
    """The grading loop's own grader lent to a preview (a cluster's client, safe from any thread): never closed."""

    def __init__(self, grader: Grader) -> None:
        self.grader = grader

    def submit(self, exercise: Exercise, job: Job) -> Future:
        return self.grader.submit(exercise, job)

    def broken(self, exercise: Exercise) -> None:
        self.grader.broken(exercise)

    def close(self) -> None:
        pass


def shared_grader(service: Service) -> Grader:
    """Previews on the service's own grader (`grade serve --cluster`: the cluster grades, this machine does not)."""
    return _Shared(service.loop.grader)


def _binding(request: Request, token_hash: str) -> str:
    return hmac.new(request.app.state.session_key, b"instructor:" + token_hash.encode(), hashlib.sha256).hexdigest()


async def signed_in(request: Request) -> bool:
    """Whether the session was made with the instructor's current token."""
    bound = request.session.get("instructor")
    if not isinstance(bound, str):
        return False
    service: Service = request.app.state.service
    stored = await run_in_threadpool(instructor_auth.stored_hash, service.data_dir)
    return stored is not None and hmac.compare_digest(_binding(request, stored).encode(), bound.encode())


def refused(request: Request) -> Response:
    return page("instructor_signin.html.j2", 403, csrf=csrf_token(request),
                problem="This page is for the course's instructor: sign in with the instructor's token.")


def _exercise(request: Request) -> Exercise | None:
    service: Service = request.app.state.service
    return service.exercise(request.path_params["exercise"])


def _not_found(request: Request) -> Response:
    return page("instructor_message.html.j2", 404, csrf=csrf_token(request), title="Not found",
                message="There is no such exercise in this course.", back="/instructor")


async def front(request: Request) -> Response:
    if not await signed_in(request):
        return page("instructor_signin.html.j2", csrf=csrf_token(request), problem=None)
    service: Service = request.app.state.service

    def numbers():
        found = course_records.submissions_of(service.engine)
        roster = course_records.roster(service.engine)
        return (dashboard.queue_numbers(found, datetime.now(timezone.utc)),
                dashboard.exercise_lines(service.config.course.exercises, found, roster),
                dashboard.recent_gradings(found), roster)

    queue, exercises, recent, roster = await run_in_threadpool(numbers)
    names = {student.id: student.name for student in roster}
    return page("instructor.html.j2", csrf=csrf_token(request), queue=queue, exercises=exercises, recent=recent,
                names=names, students=len(roster), title=service.config.course.title)


async def sign_in(request: Request) -> Response:
    service: Service = request.app.state.service
    async with request.form(max_files=0, max_fields=4) as form:
        sent_csrf, token = form.get("csrf"), form.get("token")
    if not csrf_ok(request, sent_csrf):
        return page("instructor_signin.html.j2", 403, csrf=csrf_token(request),
                    problem="The form expired; please sign in again.")
    token = token.strip() if isinstance(token, str) else ""
    if not await run_in_threadpool(instructor_auth.is_instructor, service.data_dir, token):
        return page("instructor_signin.html.j2", 401, csrf=csrf_token(request),
                    problem="That is not the instructor's token.")
    stored = await run_in_threadpool(instructor_auth.stored_hash, service.data_dir)
    request.session.clear()
    request.session.update({"instructor": _binding(request, stored or ""), "csrf": secrets.token_urlsafe(32)})
    return RedirectResponse("/instructor", status_code=303)


async def sign_out(request: Request) -> Response:
    async with request.form(max_files=0, max_fields=2) as form:
        if not csrf_ok(request, form.get("csrf")):
            return refused(request)
    request.session.clear()
    return RedirectResponse("/instructor", status_code=303)


def _documents(data_dir: Path, counting: dict[str, course_records.CourseSubmission]) -> dict[int, Feedback | None]:
    documents: dict[int, Feedback | None] = {}
    for submission in counting.values():
        try:
            documents[submission.id] = read_feedback(data_dir / (submission.feedback_path or ""))
        except (OSError, FeedbackError, ValueError, KeyError, TypeError):
            documents[submission.id] = None
    return documents


async def exercise_page(request: Request, notice: str | None = None, problem: str | None = None,
                        status: int = 200) -> Response:
    if not await signed_in(request):
        return refused(request)
    exercise = _exercise(request)
    if exercise is None:
        return _not_found(request)
    service: Service = request.app.state.service

    def numbers():
        found = course_records.submissions_of(service.engine, exercise.id)
        roster = course_records.roster(service.engine)
        counting = dashboard.counting_submissions(found, exercise)
        missing = dashboard.without_submission(roster, found, exercise.id)
        rows = dashboard.student_rows(exercise, counting, _documents(service.data_dir, counting), missing)
        return (report_page(exercise.id, exercise.title, rows), missing,
                dashboard.late_submissions(exercise, found, counting), counting, roster)

    report, missing, late, counting, roster = await run_in_threadpool(numbers)
    return page("instructor_exercise.html.j2", status, csrf=csrf_token(request), exercise=exercise, report=report,
                missing=missing, late=late, counted=sorted(counting), names={s.id: s.name for s in roster},
                notice=notice, problem=problem, similarity=getattr(request.app.state, "similarity", None) is not None)


@contextmanager
def _work_folder() -> Iterator[Path]:
    folder = Path(tempfile.mkdtemp(prefix="grade-serve-instructor-"))   # 0700
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _batch_download(service: Service, exercise: Exercise, name: str) -> bytes:
    from grader.batch.grades import batch_grades
    from grader.lms.import_file import import_file

    found = course_records.submissions_of(service.engine, exercise.id)
    roster = course_records.roster(service.engine)
    with _work_folder() as work:
        out = work / f"{exercise.id}-grade-serve"
        write_batch_exports(service.data_dir, exercise, found, roster, out)
        if name == "batch.zip":
            return zipped(out, out.name)
        if name == "scores.csv":
            return import_file("csv", batch_grades(out, exercise), None, exercise).export.text.encode()
        return (out / name).read_bytes()


def _attachment(data: bytes, media_type: str, filename: str) -> Response:
    return Response(data, media_type=media_type, headers={"Content-Disposition": f'attachment; filename="{filename}"'})


ExerciseHandler = Callable[[Request, Exercise, dict], Awaitable[Response]]


def exercise_route(handler: ExerciseHandler, fields: tuple[str, ...] = (), upload: str | None = None):
    """The route behind the instructor's session: 403 without it, 404 for an unknown exercise, and for a POST the
    form read with its CSRF token checked (403 when it is wrong) before `handler` sees `fields` (and `upload`'s
    bytes) as a dict."""
    async def route(request: Request) -> Response:
        if not await signed_in(request):
            return refused(request)
        exercise = _exercise(request)
        if exercise is None:
            return _not_found(request)
        values: dict = {}
        if request.method == "POST":
            async with request.form(max_files=1 if upload else 0, max_fields=len(fields) + 2) as form:
                if not csrf_ok(request, form.get("csrf")):
                    return refused(request)
                values = {name: str(form.get(name) or "") for name in fields}
                if upload:
                    file = form.get(upload)
                    values[upload] = await file.read() if isinstance(file, UploadFile) else None
        return await handler(request, exercise, values)
    return route


async def download(request: Request, exercise: Exercise, _: dict) -> Response:
    name = request.path_params["name"]
    if name not in DOWNLOADS:
        return _not_found(request)
    service: Service = request.app.state.service
    data = await run_in_threadpool(_batch_download, service, exercise, name)
    return _attachment(data, DOWNLOADS[name], f"{exercise.id}-{name}")


def _lms_file(service: Service, exercise: Exercise, format: str, roster_bytes: bytes | None, column: str,
              identifier: str) -> bytes:
    """A zip of what `grade export FORMAT` writes: the import file, unmatched.csv (with a roster) and its notes."""
    from grader.batch.grades import batch_grades
    from grader.lms.exports import unmatched_csv
    from grader.lms.import_file import import_file
    from grader.lms.roster import MOODLE_IDENTIFIERS, read_roster

    if identifier not in MOODLE_IDENTIFIERS:
        raise UsageError(f"no identifier {identifier!r}; choose one of {', '.join(MOODLE_IDENTIFIERS)}")
    found = course_records.submissions_of(service.engine, exercise.id)
    with _work_folder() as work:
        write_batch_folder(service.data_dir, exercise, found, course_records.roster(service.engine), work / "batch")
        roster = None
        if roster_bytes:
            (work / "roster.csv").write_bytes(roster_bytes)
            roster = read_roster(work / "roster.csv")
        made = import_file(format, batch_grades(work / "batch", exercise), roster, exercise, column or None, identifier,
                           roster_name="the roster")
        files = work / "export"
        files.mkdir()
        (files / f"{format}_import.csv").write_text(made.export.text, encoding="utf-8")
        notes = list(made.export.notes)
        notes += [f"on the roster without a submission, written as 0: {student.name}" for student in made.matched.missing]
        if roster is not None:
            (files / "unmatched.csv").write_text(unmatched_csv(made.matched), encoding="utf-8")
            notes += [f"not on the roster, not in the import file: {grade.student} ({why})"
                      for grade, why in made.matched.unmatched]
        (files / "notes.txt").write_text("".join(one_line(note, 1000) + "\n" for note in notes), encoding="utf-8")
        return zipped(files, f"{exercise.id}-{format}")


async def lms_export(request: Request, exercise: Exercise, form: dict) -> Response:
    service: Service = request.app.state.service
    try:
        data = await run_in_threadpool(_lms_file, service, exercise, form["format"], form["roster"], form["column"],
                                       form["identifier"] or "email")
    except UsageError as exc:
        return await exercise_page(request, problem=one_line(str(exc), 1000), status=400)
    return _attachment(data, "application/zip", f"{exercise.id}-{format}.zip")


def _similar(service: Service, exercise: Exercise, runner: SimilarityRunner) -> Markup:
    found = course_records.submissions_of(service.engine, exercise.id)
    with _work_folder() as work:
        write_batch_folder(service.data_dir, exercise, found, [], work / "batch", graded_files=True)
        return runner(work / "batch", exercise)


async def similarity(request: Request, exercise: Exercise, _: dict) -> Response:
    runner: SimilarityRunner | None = getattr(request.app.state, "similarity", None)
    if runner is None:
        return await exercise_page(request, problem="Similarity is not available in this service "
                                                    "(install the [similarity] extra and start grade serve again).",
                                   status=501)
    if not _one_comparison.acquire(blocking=False):
        return await exercise_page(request, problem="A comparison is running; try again when it has finished.",
                                   status=429)
    service: Service = request.app.state.service
    try:
        section = await run_in_threadpool(_similar, service, exercise, runner)
    except UsageError as exc:
        return await exercise_page(request, problem=one_line(str(exc), 1000), status=400)
    finally:
        _one_comparison.release()
    return page("instructor_similarity.html.j2", csrf=csrf_token(request), exercise=exercise, section=section)


def _preview(service: Service, exercise: Exercise, only: str | None, make_grader: PreviewGraders,
             run: instructor_regrade.PreviewRun) -> instructor_regrade.RegradePreview:
    def progress(done: int, total: int) -> None:
        run.done, run.total = done, total

    found = course_records.submissions_of(service.engine, exercise.id)
    grader = make_grader(service)
    try:
        with _work_folder() as work:
            return instructor_regrade.preview(service.data_dir, exercise, found, grader, service.loop.seed_key,
                                              work, only, progress)
    finally:
        grader.close()


def _previews(request: Request) -> instructor_regrade.PreviewRuns:
    state = request.app.state
    if getattr(state, "regrade_previews", None) is None:
        state.regrade_previews = instructor_regrade.PreviewRuns()
    return state.regrade_previews


async def regrade_preview(request: Request, exercise: Exercise, form: dict) -> Response:
    """Start the preview in the background; its page refreshes until it is graded."""
    only = form["student"] or None
    service: Service = request.app.state.service
    make_grader: PreviewGraders = getattr(request.app.state, "preview_grader", None) or fresh_grader
    key = _previews(request).start(exercise.id, only,
                                   lambda run: _preview(service, exercise, only, make_grader, run))
    if key is None:
        return await exercise_page(request, problem="A regrade preview is being graded; wait for it to finish.",
                                   status=429)
    return RedirectResponse(f"/instructor/exercises/{exercise.id}/regrade/{key}", status_code=303)


async def regrade_page(request: Request, exercise: Exercise, _: dict) -> Response:
    run = _previews(request).get(request.path_params["key"])
    if run is None or run.exercise != exercise.id:
        return page("instructor_message.html.j2", 404, csrf=csrf_token(request), title="Not found",
                    message="There is no such regrade preview (only the latest few are kept).",
                    back=f"/instructor/exercises/{exercise.id}")
    ids = ",".join(str(i) for i in sorted(run.result.submissions.values())) if run.result else ""
    return page("instructor_regrade.html.j2", csrf=csrf_token(request), exercise=exercise, run=run, ids=ids)


def _ids(text: str) -> list[int] | None:
    parts = [part for part in text.split(",") if part]
    if len(parts) > 100_000 or not all(part.isdigit() and len(part) < 10 for part in parts):
        return None
    return [int(part) for part in parts]


async def regrade_apply(request: Request, exercise: Exercise, form: dict) -> Response:
    ids = _ids(form["submissions"])
    if ids is None:
        return await exercise_page(request, problem="The regrade's list of submissions is not one this page made.",
                                   status=400)
    service: Service = request.app.state.service

    def apply() -> int:
        mine = {s.id for s in course_records.submissions_of(service.engine, exercise.id)}
        moved = instructor_regrade.requeue(service.engine, [i for i in ids if i in mine])
        service.loop.wake.set()
        log.info("instructor: %d submissions of %s queued to be graded again (a regrade)", moved, exercise.id)
        return moved

    moved = await run_in_threadpool(apply)
    return await exercise_page(request, notice=f"{moved} submission{'s' if moved != 1 else ''} queued to be graded "
                                               f"again; the numbers below change as they are graded.")


routes = [
    Route("/instructor", front, methods=["GET"]),
    Route("/instructor/signin", sign_in, methods=["POST"]),
    Route("/instructor/signout", sign_out, methods=["POST"]),
    Route("/instructor/exercises/{exercise}", exercise_page, methods=["GET"]),
    Route("/instructor/exercises/{exercise}/download/{name}", exercise_route(download), methods=["GET"]),
    Route("/instructor/exercises/{exercise}/lms", exercise_route(lms_export, ("format", "column", "identifier"), "roster"),
          methods=["POST"]),
    Route("/instructor/exercises/{exercise}/similarity", exercise_route(similarity), methods=["POST"]),
    Route("/instructor/exercises/{exercise}/regrade", exercise_route(regrade_preview, ("student",)), methods=["POST"]),
    Route("/instructor/exercises/{exercise}/regrade/apply", exercise_route(regrade_apply, ("submissions",)),
          methods=["POST"]),
    Route("/instructor/exercises/{exercise}/regrade/{key}", exercise_route(regrade_page), methods=["GET"]),
]
