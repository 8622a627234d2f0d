"""A WSGI app that answers the way real APIs, proxies and broken servers do.

Served by gunicorn for the client tests: problems (made by the library's own
pipeline), HTML error pages, empty bodies, ``Retry-After`` in both forms,
oversized, deep and malformed documents, and counters for retried requests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterable
from email.utils import formatdate
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from problemdetails import FieldError, Problem, ProblemHandler, RetryAfterProblem, ValidationProblem

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment


class OutOfCredit(
    Problem,
    type="https://example.com/probs/client/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    balance: int
    accounts: list[str]


class Maintenance(
    RetryAfterProblem,
    type="https://example.com/probs/client/maintenance",
    title="Down for maintenance.",
    status=503,
):
    pass


handler = ProblemHandler()
_counts: dict[str, int] = {}
_lock = threading.Lock()

Response = tuple[str, list[tuple[str, str]], bytes]


def _raw(status: str, content_type: str | None, body: bytes, *extra: tuple[str, str]) -> Response:
    headers = [("Content-Type", content_type)] if content_type else []
    return status, [*headers, *extra], body


def _problem(problem: Problem) -> Response:
    response = handler.render(problem)
    return response.status_line, list(response.headers), response.body


def _nested(depth: int) -> bytes:
    return b'{"type":"about:blank","status":400,"x":' + b"[" * depth + b"]" * depth + b"}"


def _count(key: str) -> int:
    with _lock:
        _counts[key] = _counts.get(key, 0) + 1
        return _counts[key]


def _flaky(query: dict[str, list[str]]) -> Response:
    """Fail ``fail`` times with ``status`` (and ``retry_after``), then succeed."""
    key = query["key"][0]
    failures = int(query.get("fail", ["1"])[0])
    status = int(query.get("status", ["503"])[0])
    seen = _count(key)
    if seen > failures:
        return _raw("200 OK", "application/json", json.dumps({"tries": seen}).encode())
    extra: dict[str, object] = {}
    headers: list[tuple[str, str]] = []
    retry_after = query.get("retry_after", [None])[0]
    if retry_after == "date":
        headers.append(("Retry-After", formatdate(time.time() + 2, usegmt=True)))
    elif retry_after is not None:
        headers.append(("Retry-After", retry_after))
    problem = Problem(status=status, detail=f"try {seen} failed", extensions={"try": seen, **extra})
    status_line, problem_headers, body = _problem(problem)
    return status_line, problem_headers + headers, body


ROUTES = {
    "/out-of-credit": lambda _: _problem(
        OutOfCredit(
            balance=30,
            accounts=["/account/12345", "/account/67890"],
            detail="Your current balance is 30, but that costs 50.",
            instance="/account/12345/msgs/abc",
            flow_id="flow-abc-123",
        )
    ),
    "/out-of-credit-xml": lambda _: _raw(
        "403 Forbidden",
        "application/problem+xml; charset=utf-8",
        b'<?xml version="1.0" encoding="UTF-8"?><problem xmlns="urn:ietf:rfc:7807">'
        b"<type>https://example.com/probs/client/out-of-credit</type><title>You do not have enough"
        b" credit.</title><status>403</status><balance>30</balance><accounts>"
        b"<i>/account/12345</i></accounts></problem>",
    ),
    "/relative-type": lambda _: _raw(
        "403 Forbidden",
        "Application/Problem+JSON; charset=UTF-8",
        b'{"type":"/probs/out-of-credit","title":"Nope","status":403,"balance":5,"accounts":[]}',
    ),
    "/probs/client/elsewhere": lambda _: _raw(
        "403 Forbidden",
        "application/problem+json",
        b'{"type":"relative","title":"Relative type.","status":403,"balance":5}',
    ),
    "/unknown-type": lambda _: _raw(
        "409 Conflict",
        "application/problem+json",
        b'{"type":"https://example.com/probs/client/unknown","title":"Conflict","status":409,'
        b'"detail":"already there","existing":"/things/1","flow_id":"f-1"}',
    ),
    "/validation": lambda _: _problem(
        ValidationProblem(errors=[FieldError(detail="must be positive", pointer="#/age")])
    ),
    "/maintenance": lambda _: _problem(Maintenance(retry_after=1, detail="back soon")),
    "/html-502": lambda _: _raw(
        "502 Bad Gateway",
        "text/html; charset=utf-8",
        b"<html><body><h1>502 Bad Gateway</h1>" + b"x" * 10_000 + b"</body></html>",
        ("X-Flow-ID", "proxy-flow-1"),
    ),
    "/empty-503": lambda _: _raw("503 Service Unavailable", None, b""),
    "/oversized": lambda _: _raw(
        "500 Internal Server Error",
        "application/problem+json",
        b'{"type":"about:blank","status":500,"detail":"' + b"x" * (2 * 1024 * 1024) + b'"}',
    ),
    "/deep": lambda _: _raw("400 Bad Request", "application/problem+json", _nested(200)),
    "/malformed": lambda _: _raw(
        "500 Internal Server Error", "application/problem+json", b'{"type": "about:blank", "sta'
    ),
    "/wrong-types": lambda _: _raw(
        "403 Forbidden",
        "application/problem+json",
        b'{"type":"https://example.com/probs/client/out-of-credit","title":7,"status":"403",'
        b'"detail":["no"],"balance":"30","accounts":["/a"]}',
    ),
    "/status-disagrees": lambda _: _raw(
        "404 Not Found", "application/problem+json", b'{"type":"about:blank","status":500}'
    ),
    "/flaky": _flaky,
    "/ok": lambda _: _raw("200 OK", "application/json", b'{"ok":true}'),
}


def app(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    """Answer each route of `ROUTES`; 404 problems for the rest."""
    query = parse_qs(environ.get("QUERY_STRING", ""))
    route = ROUTES.get(environ.get("PATH_INFO", ""))
    if route is None:
        status, headers, body = _problem(Problem(status=404))
    else:
        status, headers, body = route(query)
    start_response(status, [*headers, ("Content-Length", str(len(body)))])
    return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [body]
