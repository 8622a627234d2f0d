"""Per-request cost of the Django middleware, against a hand-written middleware, in one run.

Run from the repository root with the project's environment::

    .venv/bin/python bench/bench_django.py

Every case goes through Django's real handlers in-process (no network):
``WSGIHandler`` with a fresh environ, its body read and closed as a server
would (``sync``), and ``ASGIHandler`` with a fresh scope, awaited in one event
loop (``async``; its views are coroutines). Subject and baseline run
interleaved in the same process, on the same URLconf; the per-request time is
the minimum (and median) CPU time over the repeats. Cases:

- ``error: ...``: a view raises a declared problem, ``Http404``,
  ``PermissionDenied`` or an unexpected exception, or no route matches the
  URL; ``ProblemDetailsMiddleware`` answers. The baseline is the plainest
  middleware a user would write instead: its ``process_exception`` returns
  the same document with ``JsonResponse(..., status=...,
  content_type="application/problem+json")`` (no flow id, no negotiation, no
  logging), and for the unknown URL the URLconf's ``handler404`` view returns
  one (``ProblemDetailsMiddleware`` answers before Django calls it). Aim:
  1.05x or less. For the unexpected exception the middleware also sends
  ``got_request_exception`` (no receivers here) and makes one log record.
  Django logs every 4xx response of both as a warning on ``django.request``,
  and the baseline's 500 at ERROR; all of it below that logger's level here.
- ``error: process_exception alone``: the two ``process_exception`` calls of
  the raised problem, without the rest of Django's request handling.
- ``success: ...``: a view that does not fail, with and without the
  middleware, and against a middleware that only passes the request on,
  which isolates the middleware's own cost from what Django spends calling
  any middleware. Aim: no measurable difference.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections.abc import Callable, MutableMapping
from typing import Any

import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["localhost"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    DATABASES={},
    USE_I18N=True,
    LOGGING_CONFIG=None,
)
django.setup()

from _common import (  # noqa: E402
    ACCOUNTS,
    DETAIL,
    HandOutOfCredit,
    Measure,
    OutOfCredit,
    Row,
    interleaved,
    per_request,
    report,
)
from asgiref.sync import iscoroutinefunction, markcoroutinefunction  # noqa: E402
from django.core.exceptions import PermissionDenied  # noqa: E402
from django.core.handlers.asgi import ASGIHandler  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.urls import path  # noqa: E402

from problemdetails.adapters.django import ProblemDetailsMiddleware  # noqa: E402

OURS = "problemdetails.adapters.django.ProblemDetailsMiddleware"
HAND = f"{__name__}.HandWrittenMiddleware"
PASS = f"{__name__}.PassThroughMiddleware"
PROBLEM_JSON = "application/problem+json"
INTERNAL_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)


class HandWrittenMiddleware:
    """The baseline: the plainest middleware that answers the same errors with JSON."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse:  # noqa: ARG002 - Django passes it
        if isinstance(exception, HandOutOfCredit):
            members = {
                "type": "https://example.com/probs/out-of-credit",
                "title": "You do not have enough credit.",
                "status": 403,
                "detail": exception.detail,
                "balance": exception.balance,
                "accounts": exception.accounts,
            }
            return JsonResponse(members, status=403, content_type=PROBLEM_JSON)
        if isinstance(exception, Http404):
            members = {"type": "about:blank", "title": "Not Found", "status": 404}
            return JsonResponse(members, status=404, content_type=PROBLEM_JSON)
        if isinstance(exception, PermissionDenied):
            members = {"type": "about:blank", "title": "Forbidden", "status": 403}
            return JsonResponse(members, status=403, content_type=PROBLEM_JSON)
        members = {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": INTERNAL_DETAIL,
        }
        return JsonResponse(members, status=500, content_type=PROBLEM_JSON)


def hand_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The baseline's answer to an unknown URL: the URLconf's ``handler404``."""
    members = {"type": "about:blank", "title": "Not Found", "status": 404}
    return JsonResponse(members, status=404, content_type=PROBLEM_JSON)


class PassThroughMiddleware:
    """The cheapest middleware there is: what any middleware costs Django to call."""

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: Callable[[HttpRequest], Any]) -> None:
        self.get_response = get_response
        if iscoroutinefunction(get_response):
            markcoroutinefunction(self)

    def __call__(self, request: HttpRequest) -> Any:
        return self.get_response(request)


def problem(request: HttpRequest) -> HttpResponse:
    raise OutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)


def problem_by_hand(request: HttpRequest) -> HttpResponse:
    raise HandOutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)


def missing(request: HttpRequest) -> HttpResponse:
    raise Http404


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(DETAIL)


def ok(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


async def aproblem(request: HttpRequest) -> HttpResponse:
    raise OutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)


async def aproblem_by_hand(request: HttpRequest) -> HttpResponse:
    raise HandOutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)


async def amissing(request: HttpRequest) -> HttpResponse:
    raise Http404


async def aforbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


async def acrash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(DETAIL)


async def aok(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("problem", problem),
    path("problem-by-hand", problem_by_hand),
    path("missing", missing),
    path("forbidden", forbidden),
    path("crash", crash),
    path("ok", ok),
    path("async/problem", aproblem),
    path("async/problem-by-hand", aproblem_by_hand),
    path("async/missing", amissing),
    path("async/forbidden", aforbidden),
    path("async/crash", acrash),
    path("async/ok", aok),
]
handler404 = f"{__name__}.hand_not_found"


def wsgi_app(middleware: list[str]) -> WSGIHandler:
    settings.MIDDLEWARE = middleware
    return WSGIHandler()


def asgi_app(middleware: list[str]) -> ASGIHandler:
    settings.MIDDLEWARE = middleware
    return ASGIHandler()


_Message = MutableMapping[str, Any]


def per_asgi_request(app: ASGIHandler, path: str, number: int) -> float:
    """CPU seconds per request over *number* GET requests of *app*, in one event loop.

    CPU time of the whole process: Django's worker threads count too.
    """
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"localhost"), (b"accept", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("localhost", 80),
    }
    request: _Message = {"type": "http.request", "body": b"", "more_body": False}

    async def run() -> float:
        loop = asyncio.get_running_loop()

        async def send(message: _Message) -> None:
            pass

        async def one() -> None:
            received = False
            # Django listens for a disconnect after the body: it never comes.
            never: asyncio.Future[_Message] = loop.create_future()

            async def receive() -> _Message:
                nonlocal received
                if received:
                    return await never
                received = True
                return request

            await app(dict(scope), receive, send)

        begin = time.process_time()
        for _ in range(number):
            await one()
        return (time.process_time() - begin) / number

    return asyncio.run(run())


def wsgi(app: WSGIHandler, path: str) -> Measure:
    return lambda number: per_request(app, path, number)


def asgi(app: ASGIHandler, path: str) -> Measure:
    return lambda number: per_asgi_request(app, path, number)


def exception_only(middleware: Any, exception: Exception) -> Measure:
    """CPU seconds per ``process_exception`` call, with one request made up front."""
    from django.test import RequestFactory  # noqa: PLC0415 - only this case needs it

    request = RequestFactory().get("/problem", HTTP_ACCEPT="application/json")

    def measure(number: int) -> float:
        begin = time.process_time()
        for _ in range(number):
            middleware.process_exception(request, exception)
        return (time.process_time() - begin) / number

    return measure


def compare(
    case: str,
    subject: Measure,
    baseline: Measure,
    *,
    repeat: int,
    number: int,
    aim: float | None = 1.05,
) -> Row:
    """Time *subject* against *baseline*, interleaved; the minimum of each."""
    return interleaved("django", case, subject, baseline, repeat=repeat, number=number, aim=aim)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--number", type=int, default=1_000)
    parser.add_argument("--only", help="run only the cases whose name contains this text")
    args = parser.parse_args()
    # Django logs each 4xx response as a warning and the pipeline each 500
    # at ERROR, on django.request: below its level here, for both.
    logging.getLogger("django.request").setLevel(logging.CRITICAL)

    ours, hand = wsgi_app([OURS]), wsgi_app([HAND])
    bare, passing = wsgi_app([]), wsgi_app([PASS])
    aours, ahand = asgi_app([OURS]), asgi_app([HAND])
    abare, apassing = asgi_app([]), asgi_app([PASS])
    errors = [
        ("raised problem", "problem", "problem-by-hand"),
        ("Http404", "missing", "missing"),
        ("PermissionDenied", "forbidden", "forbidden"),
        ("unknown URL (404)", "nowhere", "nowhere"),
        ("unexpected exception (500)", "crash", "crash"),
    ]
    number = args.number
    # The async stack costs several times the sync one: fewer requests a round.
    anumber = max(number // 4, 1)
    cases: list[tuple[str, Measure, Measure, int, float | None]] = [
        (f"error: {name}, sync", wsgi(ours, f"/{mine}"), wsgi(hand, f"/{theirs}"), number, 1.05)
        for name, mine, theirs in errors
    ]
    cases += [
        (
            f"error: {name}, async",
            asgi(aours, f"/async/{mine}"),
            asgi(ahand, f"/async/{theirs}"),
            anumber,
            1.05,
        )
        for name, mine, theirs in errors
    ]
    cases += [
        (
            "error: process_exception alone",
            exception_only(
                ProblemDetailsMiddleware(ok),
                OutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL),
            ),
            exception_only(
                HandWrittenMiddleware(ok),
                HandOutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL),
            ),
            number * 5,
            None,
        ),
        ("success: sync", wsgi(ours, "/ok"), wsgi(bare, "/ok"), number, None),
        ("success: sync, vs pass-through", wsgi(ours, "/ok"), wsgi(passing, "/ok"), number, 1.05),
        ("success: async", asgi(aours, "/async/ok"), asgi(abare, "/async/ok"), anumber, None),
        (
            "success: async, vs pass-through",
            asgi(aours, "/async/ok"),
            asgi(apassing, "/async/ok"),
            anumber,
            1.05,
        ),
    ]
    rows = [
        compare(name, subject, baseline, repeat=args.repeat, number=count, aim=aim)
        for name, subject, baseline, count, aim in cases
        if not args.only or args.only in name
    ]
    report(rows, title=f"Django {django.get_version()}")


if __name__ == "__main__":
    main()
