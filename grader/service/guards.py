"""What every response and request passes through: security headers, body size and time limits, and errors
that never show a client a traceback. Pure ASGI middleware, so the limits hold while a body is still streaming."""

from __future__ import annotations

import asyncio
import json
import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("grader.service")

# No inline script anywhere (nor any script at all), styles from our own stylesheet, forms only to ourselves.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
    (b"cross-origin-opener-policy", b"same-origin"),
]


class RequestRefused(Exception):
    """The request broke a limit while it was being read: answered with `status`, the connection closed."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


def _error_body(message: str) -> bytes:
    return json.dumps({"error": message}).encode()


async def send_error(send: Send, status: int, message: str, close: bool = False) -> None:
    headers = [(b"content-type", b"application/json"), *SECURITY_HEADERS]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": _error_body(message)})


class Guards:
    """Security headers on every response; a request body larger than `max_body` bytes, slower than
    `chunk_s` between two pieces or `total_s` in all is refused as it streams (413 or 408); any exception
    left over becomes a 500 that says only that the server failed (the traceback goes to the server's log)."""

    def __init__(self, app: ASGIApp, max_body: int, chunk_s: float, total_s: float) -> None:
        self.app, self.max_body, self.chunk_s, self.total_s = app, max_body, chunk_s, total_s

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        loop = asyncio.get_running_loop()
        started, received, response_started = loop.time(), 0, False
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_body):
            await send_error(send, 413, "the request is larger than this service accepts", close=True)
            return

        body_done = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:   # the body is in; what comes now is a disconnect, whenever the client leaves
                return await receive()
            left = self.total_s - (loop.time() - started)
            try:
                message = await asyncio.wait_for(receive(), timeout=max(0.001, min(self.chunk_s, left)))
            except asyncio.TimeoutError:
                raise RequestRefused(408, "the request arrived too slowly") from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    raise RequestRefused(413, "the request is larger than this service accepts")
                body_done = not message.get("more_body", False)
            return message

        async def headed_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                message = {**message, "headers": [*message.get("headers", []), *SECURITY_HEADERS]}
            await send(message)

        try:
            await self.app(scope, limited_receive, headed_send)
        except RequestRefused as refused:
            if not response_started:
                await send_error(send, refused.status, refused.message, close=True)
        except Exception:  # noqa: BLE001 - a bug of ours: logged here, never shown to the client
            log.exception("request %s %s failed", scope.get("method"), scope.get("path"))
            if not response_started:
                await send_error(send, 500, "the service failed on this request; it has been logged", close=True)
