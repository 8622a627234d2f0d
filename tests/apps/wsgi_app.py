"""A bare WSGI app wrapped by the middleware, served by gunicorn in the end-to-end tests."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from werkzeug.exceptions import NotFound

from problemdetails import Problem
from problemdetails.adapters.wsgi import ProblemDetailsMiddleware

StartResponse = Callable[..., Callable[[bytes], object]]


def lazy(start_response: StartResponse) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
    raise Problem(status=409, detail="Raised before the first chunk.")
    yield b"never"


def late(start_response: StartResponse) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"first chunk"
    raise RuntimeError("too late to answer")


def routes(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path == "/ok":
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"ok"]
    if path == "/conflict":
        raise Problem(status=409, detail="Version 3 expected.")
    if path == "/boom":
        raise RuntimeError("database password is hunter2")
    if path == "/lazy":
        return lazy(start_response)
    if path == "/late":
        return late(start_response)
    if path == "/html-405":
        start_response(
            "405 Method Not Allowed",
            [("Content-Type", "text/html"), ("Allow", "GET, POST")],
        )
        return [b"<h1>Method Not Allowed</h1>"]
    raise NotFound


app = ProblemDetailsMiddleware(routes, convert_error_responses=True)
