"""A bare WSGI app for fault injection, wrapped by the middleware.

The same routes as `apps.faults_flask`, and more ways to fail: ``/raise-lazy``
raises in a generator body before its first chunk, ``/raise-started`` after
calling ``start_response``, ``/error-page`` answers with its own HTML 500 page
that shows the exception (the middleware converts it).
"""

from __future__ import annotations

import html
import json
import os
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from apps.faults_common import FAULTS, GIVEN, SECRET, raise_given, release_hanging_hooks
from werkzeug.exceptions import NotFound

from problemdetails import Problem
from problemdetails.adapters.wsgi import ProblemDetailsMiddleware

StartResponse = Callable[..., Callable[[bytes], object]]


class ItemMissing(Problem, type="urn:faults:wsgi-item-missing", title="No such item.", status=404):
    """A declared client error."""

    item_id: int


def _lazy() -> Iterator[bytes]:
    raise_given()
    yield b"never"


def _routes(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path: str = environ.get("PATH_INFO", "")
    if path == "/ok":
        start_response("200 OK", [("Content-Type", "application/json")])
        return [json.dumps({"ok": True, "pid": os.getpid()}).encode()]
    if path == "/release":
        release_hanging_hooks()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [b'{"released": true}']
    if path.startswith("/fault/"):
        exception = FAULTS[path.removeprefix("/fault/")]()
        raise exception
    if path == "/problem":
        raise ItemMissing(item_id=7, detail="There is no item 7.")
    if path == "/crash":
        raise RuntimeError(SECRET)
    if path == "/raise":
        raise_given()
    if path == "/raise-lazy":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return _lazy()
    if path == "/raise-started":
        start_response("200 OK", [("Content-Type", "text/plain")])
        raise_given()
    if path == "/error-page":
        page = f"<h1>Server Error</h1><pre>{html.escape(repr(GIVEN[-1].args))}</pre>"
        start_response("500 Internal Server Error", [("Content-Type", "text/html")])
        return [page.encode()]
    raise NotFound


def create_app(**settings: Any) -> ProblemDetailsMiddleware:
    """Return the app wrapped by the middleware (error pages converted) with *settings*."""
    return ProblemDetailsMiddleware(_routes, convert_error_responses=True, **settings)
