"""Per-request cost of the Django middleware, against a hand-written middleware, in one run.

Run from the repository root with the project's environment::

    .venv/bin/python bench/bench_django.py

Every sync case calls Django's ``WSGIHandler`` in-process (no network) with a
fresh environ and reads the body, as a server would; the async case awaits
``get_response_async`` of an async handler. Subject and baseline run
interleaved in the same process; the per-request time is the minimum (and
median) CPU time over the repeats. Cases:

- ``error: raised problem``: a view raises a declared problem, answered by
  ``ProblemDetailsMiddleware``; the baseline view raises a plain exception that
  a hand-written middleware's ``process_exception`` turns into the same JSON
  document with ``JsonResponse`` (a ``uuid4`` flow id, the same headers).
  Aim: 1.05x or less.
- ``error: process_exception alone``: the same two ``process_exception``
  calls, without the rest of Django's request handling around them.
- ``error: Http404``: ``get_object_or_404``'s exception, against a hand-written
  ``process_exception`` for ``Http404``.
- ``error: unknown URL``: Django's 404 for a URL no route matches, rewritten by
  the middleware, against a hand-written middleware that replaces it with a
  ``JsonResponse``.
- ``success: sync`` and ``success: async``: a view that does not fail, with
  and without the middleware. Aim: no measurable difference.
- ``success: sync, vs pass-through``: the same against a middleware that only
  calls ``get_response``, which isolates the middleware's own cost from what
  Django spends on calling any middleware at all.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import time
import uuid
from collections.abc import Awaitable, Callable
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
    OutOfCredit,
    per_request,
)
from django.core.handlers.base import BaseHandler  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.urls import path  # noqa: E402

from problemdetails.adapters.django import ProblemDetailsMiddleware  # noqa: E402

OURS = "problemdetails.adapters.django.ProblemDetailsMiddleware"
HAND = f"{__name__}.HandWrittenMiddleware"
PASS = f"{__name__}.pass_through"


def problem_json(members: dict[str, Any], status: int) -> JsonResponse:
    """What a developer writes by hand: the members, a flow id, JsonResponse."""
    flow_id = uuid.uuid4().hex
    response = JsonResponse(
        {**members, "flow_id": flow_id},
        status=status,
        content_type="application/problem+json",
        json_dumps_params={"separators": (",", ":")},
    )
    response["X-Flow-ID"] = flow_id
    return response


class HandWrittenMiddleware:
    """The baseline: a middleware that knows the one problem type and Http404."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 404 and request.resolver_match is None:
            return problem_json({"type": "about:blank", "title": "Not Found", "status": 404}, 404)
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        del request  # Django passes it; the baseline needs only the exception
        if isinstance(exception, HandOutOfCredit):
            return problem_json(
                {
                    "type": "https://example.com/probs/out-of-credit",
                    "title": "You do not have enough credit.",
                    "status": 403,
                    "detail": exception.detail,
                    "balance": exception.balance,
                    "accounts": exception.accounts,
                },
                403,
            )
        if isinstance(exception, Http404):
            return problem_json({"type": "about:blank", "title": "Not Found", "status": 404}, 404)
        return None


def pass_through(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """The cheapest middleware there is: what any middleware costs Django to call."""

    def middleware(request: HttpRequest) -> HttpResponse:
        return get_response(request)

    return middleware


def fail(request: HttpRequest) -> HttpResponse:
    raise OutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)


def fail_by_hand(request: HttpRequest) -> HttpResponse:
    raise HandOutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)


def missing(request: HttpRequest) -> HttpResponse:
    raise Http404


def ok(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


async def ok_async(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


urlpatterns = [
    path("fail", fail),
    path("fail-by-hand", fail_by_hand),
    path("missing", missing),
    path("ok", ok),
    path("ok-async", ok_async),
]


def wsgi_app(middleware: list[str]) -> WSGIHandler:
    settings.MIDDLEWARE = middleware
    return WSGIHandler()


def async_app(middleware: list[str]) -> BaseHandler:
    settings.MIDDLEWARE = middleware
    handler = BaseHandler()
    handler.load_middleware(is_async=True)
    return handler


def per_async_request(handler: BaseHandler, path: str, number: int) -> float:
    """CPU seconds per request over *number* requests of an async handler, in one loop."""
    factory = RequestFactory()
    get_response: Callable[[HttpRequest], Awaitable[HttpResponse]] = handler.get_response_async

    async def run() -> float:
        begin = time.process_time()
        for _ in range(number):
            response = await get_response(factory.get(path))
            response.close()
        return (time.process_time() - begin) / number

    return asyncio.run(run())


Measure = Callable[[int], float]


def compare(
    name: str, subject: Measure, baseline: Measure, repeat: int, number: int
) -> tuple[str, float, float, float, float]:
    subject(number // 10)  # warm up both
    baseline(number // 10)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        ours.append(subject(number))
        theirs.append(baseline(number))
    return (
        name,
        min(ours) * 1e6,
        min(theirs) * 1e6,
        statistics.median(ours) / statistics.median(theirs),
        min(ours) / min(theirs),
    )


def exception_only(middleware: Any, exception: Exception) -> Measure:
    """CPU seconds per ``process_exception`` call, with one request made up front."""
    request = RequestFactory().get("/fail", HTTP_ACCEPT="application/json")

    def measure(number: int) -> float:
        begin = time.process_time()
        for _ in range(number):
            middleware.process_exception(request, exception)
        return (time.process_time() - begin) / number

    return measure


def wsgi(app: WSGIHandler, path: str) -> Measure:
    return lambda number: per_request(app, path, number)


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40)
    parser.add_argument("--number", type=int, default=1_000)
    args = parser.parse_args()
    # Django logs every 4xx response as a warning, and the pipeline at DEBUG,
    # in both configurations; keep the benchmark free of log output.
    logging.getLogger("django.request").setLevel(logging.ERROR)

    ours, hand, bare, passing = wsgi_app([OURS]), wsgi_app([HAND]), wsgi_app([]), wsgi_app([PASS])
    ours_async, bare_async = async_app([OURS]), async_app([])
    repeat, number = args.repeat, args.number
    rows = [
        compare(
            "error: raised problem",
            wsgi(ours, "/fail"),
            wsgi(hand, "/fail-by-hand"),
            repeat,
            number,
        ),
        compare(
            "error: process_exception alone",
            exception_only(
                ProblemDetailsMiddleware(ok),
                OutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL),
            ),
            exception_only(
                HandWrittenMiddleware(ok),
                HandOutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL),
            ),
            repeat,
            number * 5,
        ),
        compare("error: Http404", wsgi(ours, "/missing"), wsgi(hand, "/missing"), repeat, number),
        compare(
            "error: unknown URL (404)",
            wsgi(ours, "/nowhere"),
            wsgi(hand, "/nowhere"),
            repeat,
            number // 4,
        ),
        compare("success: sync", wsgi(ours, "/ok"), wsgi(bare, "/ok"), repeat, number),
        compare(
            "success: sync, vs pass-through",
            wsgi(ours, "/ok"),
            wsgi(passing, "/ok"),
            repeat,
            number,
        ),
        compare(
            "success: async",
            lambda n: per_async_request(ours_async, "/ok-async", n),
            lambda n: per_async_request(bare_async, "/ok-async", n),
            repeat,
            number,
        ),
    ]
    print(f"{'case':32} {'ours us':>9} {'base us':>9} {'diff us':>8} {'min x':>7} {'med x':>7}")
    for name, mine, theirs, median_ratio, min_ratio in rows:
        print(
            f"{name:32} {mine:9.2f} {theirs:9.2f} {mine - theirs:8.2f}"
            f" {min_ratio:7.3f} {median_ratio:7.3f}"
        )


if __name__ == "__main__":
    main()
