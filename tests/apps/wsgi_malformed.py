"""A bare WSGI app whose responses are malformed, behind the middleware, for gunicorn.

Paths under ``/convert/`` go through a middleware with
``convert_error_responses=True``, the others through one without. Each
route answers with what `RESPONSES` holds for its last path segment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from problemdetails.adapters.wsgi import ProblemDetailsMiddleware

#: Text no response may contain.
SECRET = "s3cr3t-malformed-canary"  # noqa: S105 - not a secret: the canary

#: Route -> (status, headers) the app gives start_response.
RESPONSES: dict[str, tuple[Any, Any]] = {
    # A header a server refuses after those before it: gunicorn keeps those.
    "crlf-header": (
        "200 OK",
        [
            ("Content-Type", "text/plain"),
            ("Set-Cookie", f"session={SECRET}"),
            ("X-Note", f"fine\r\nX-Injected: {SECRET}"),
        ],
    ),
    "crlf-error-page": (
        "404 Not Found",
        [
            ("Content-Type", "text/html"),
            ("Set-Cookie", "kept=1"),
            ("X-Note", f"fine\r\nX-Injected: {SECRET}"),
        ],
    ),
    "odd-status": ("4\u00b23 Odd", [("Content-Type", "text/html")]),
    "dict-error-page": ("404 Not Found", {"Content-Type": "text/html"}),
    "ok": ("200 OK", [("Content-Type", "text/plain")]),
}


def routes(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Answer with the response of the path's last segment, and a page with the secret."""
    status, headers = RESPONSES[environ["PATH_INFO"].rpartition("/")[2]]
    start_response(status, headers)
    return [f"<p>{SECRET}</p>".encode()]


plain = ProblemDetailsMiddleware(routes)
converting = ProblemDetailsMiddleware(routes, convert_error_responses=True)


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Dispatch ``/convert/...`` to the converting middleware, the rest to the plain one."""
    chosen = converting if environ["PATH_INFO"].startswith("/convert/") else plain
    return chosen(environ, start_response)
