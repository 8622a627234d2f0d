"""The Django adapter's public API as a Django user writes it, for mypy and pyright (never run).

Every ``type: ignore`` below marks a mistake the type checkers must catch:
mypy's ``warn_unused_ignores`` (part of strict) fails if one stops being an error.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from django.apps import AppConfig
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from typing_extensions import assert_type

from problemdetails import Problem, ProblemHandler, ProblemResponse
from problemdetails.adapters.django import (
    ProblemDetailsConfig,
    ProblemDetailsMiddleware,
    csrf_failure,
    get_handler,
    problem_response,
)


class OutOfCredit(
    Problem,
    type="https://example.com/probs/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    balance: int


# --- Views that raise, or return ---------------------------------------------


def buy(request: HttpRequest) -> HttpResponse:
    raise OutOfCredit(balance=30, detail="That costs 50.")


def book(request: HttpRequest, pk: int) -> HttpResponse:
    if pk != 1:
        return problem_response(Problem(status=404, detail=f"No book {pk}."), request)
    return HttpResponse(b"{}", content_type="application/json")


assert_type(problem_response(OutOfCredit(balance=1)), HttpResponse)
problem_response("not a problem")  # type: ignore[arg-type]


# --- Settings.py pieces -------------------------------------------------------

csrf_view: Callable[[HttpRequest, str], HttpResponse] = csrf_failure
app_config: type[AppConfig] = ProblemDetailsConfig


# --- The middleware in a sync and in an async stack ------------------------------


def sync_view(request: HttpRequest) -> HttpResponseBase:
    return HttpResponse(b"ok")


async def async_view(request: HttpRequest) -> HttpResponseBase:
    return HttpResponse(b"ok")


sync_stack = ProblemDetailsMiddleware(sync_view)
async_stack = ProblemDetailsMiddleware(async_view)
result: HttpResponseBase | Awaitable[HttpResponseBase] = sync_stack(HttpRequest())
ProblemDetailsMiddleware(42)  # type: ignore[arg-type]
maybe: HttpResponse | None = sync_stack.process_exception(HttpRequest(), ValueError("x"))


# --- The handler behind it ------------------------------------------------------

handler: ProblemHandler = get_handler()
rendered: ProblemResponse = handler.render(OutOfCredit(balance=1))
