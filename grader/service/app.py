"""The ASGI application: the API and the students' pages behind the guards and the signed session cookie."""

from __future__ import annotations

import contextlib
import hashlib
import hmac

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.sessions import SessionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from grader.service import api, instructor, web
from grader.service.guards import Guards
from grader.service.service import Service

SESSION_COOKIE = "grade_session"


async def _http_error(request: Request, exc: Exception) -> Response:
    status = exc.status_code if isinstance(exc, HTTPException) else 500
    if status == 404:
        return await web.not_found(request, exc)
    if request.url.path.startswith("/api/"):
        return api.error(status, "this request is not one the service answers")
    return PlainTextResponse("This request is not one the service answers.", status_code=status)


def build_app(service: Service, run_loop: bool = True,
              similarity: instructor.SimilarityRunner | None = None) -> Starlette:
    """The application over a service; the grading loop runs while the application does (`run_loop`);
    `similarity` is what the instructor's page compares submissions with (None: not offered)."""
    config = service.config
    # The cookies' signing key, derived from the data folder's secret key (grade batch's seed.key, 0600): one
    # secret to keep, and a new one signs everyone out.
    key = hmac.new(service.loop.seed_key, b"grade serve: session cookies", hashlib.sha256).digest()

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        if run_loop:
            service.start()
        try:
            yield
        finally:
            if run_loop:
                service.stop()

    app = Starlette(
        routes=[*api.routes, *web.routes, *instructor.routes],
        middleware=[
            Middleware(Guards, max_body=config.largest_body, chunk_s=config.chunk_timeout_s, total_s=config.body_timeout_s),
            Middleware(SessionMiddleware, secret_key=key.hex(), session_cookie=SESSION_COOKIE,
                       max_age=int(config.session_hours * 3600), same_site="strict", https_only=config.https_only),
        ],
        exception_handlers={HTTPException: _http_error},
        lifespan=lifespan,
    )
    app.state.service = service
    app.state.session_key = key
    app.state.similarity = similarity
    return app
