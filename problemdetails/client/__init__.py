"""The consumer side: problem responses back into typed exceptions, and polite retries.

Give `raise_for_problem` any response (``requests``, ``httpx``, ``urllib3``,
werkzeug/Flask or Django test clients): an error response is raised as the
problem class registered for its ``type``, the very class the server raises,
grouped so that callers can also catch by class of failure::

    from problemdetails.client import ClientError, Retryable, raise_for_problem

    try:
        invoice = raise_for_problem(session.get(url)).json()
    except OutOfCredit as problem:      # the registered class
        top_up(problem.balance)
    except Retryable as problem:        # 408, 429, 5xx worth another try
        log.warning("try later: %s", problem)
    except ClientError:                 # any other 4xx
        raise

Bodies that are no problem document (an HTML 502 from a proxy, an empty 503,
oversized or malformed JSON) become ``about:blank`` problems with the real
status and the start of the body in ``problem.http.body``. Nothing else is
ever raised for a response's content.

Retrying is a `RetryPolicy` plugged into what a project already runs:
`stamina_retry` / `stamina_hook`, `tenacity_kwargs`, `urllib3_retry` for
``requests``, `retry_transport` / `async_retry_transport` for httpx. None of
these libraries is imported until its integration is used.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any, TypeVar

from ._problems import (
    ClientError,
    HttpExchange,
    ReceivedProblem,
    Retryable,
    RetryableClientError,
    RetryableServerError,
    ServerError,
)
from ._reader import ProblemReader, default_reader
from ._response import PROBLEM_MEDIA_TYPES
from ._retry import IDEMPOTENT_METHODS, RetryPolicy, parse_retry_after

if TYPE_CHECKING:
    from ._httpx import async_retry_transport, retry_transport
    from ._stamina import stamina_hook, stamina_retry
    from ._tenacity import TenacityKwargs, tenacity_kwargs, tenacity_retry, tenacity_wait
    from ._urllib3 import urllib3_retry

R = TypeVar("R")

_LOWEST_ERROR = 400

__all__ = [
    "IDEMPOTENT_METHODS",
    "PROBLEM_MEDIA_TYPES",
    "ClientError",
    "HttpExchange",
    "ProblemReader",
    "ReceivedProblem",
    "RetryPolicy",
    "Retryable",
    "RetryableClientError",
    "RetryableServerError",
    "ServerError",
    "TenacityKwargs",
    "aproblem_from_response",
    "araise_for_problem",
    "async_retry_transport",
    "parse_retry_after",
    "problem_from_response",
    "raise_for_problem",
    "retry_transport",
    "stamina_hook",
    "stamina_retry",
    "tenacity_kwargs",
    "tenacity_retry",
    "tenacity_wait",
    "urllib3_retry",
]


# The retry integrations, imported when first asked for: a program uses one at most.
_INTEGRATIONS = {
    "TenacityKwargs": "._tenacity",
    "async_retry_transport": "._httpx",
    "retry_transport": "._httpx",
    "stamina_hook": "._stamina",
    "stamina_retry": "._stamina",
    "tenacity_kwargs": "._tenacity",
    "tenacity_retry": "._tenacity",
    "tenacity_wait": "._tenacity",
    "urllib3_retry": "._urllib3",
}


if not TYPE_CHECKING:  # type checkers see the imports above, and no other name

    def __getattr__(name: str) -> Any:
        module = _INTEGRATIONS.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, __name__), name)
        globals()[name] = value  # asked once: the next look-up finds it directly
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})


def raise_for_problem(
    response: R,
    *,
    attempts: int | None = None,
    method: str | None = None,
    url: str | None = None,
) -> R:
    """Raise the problem of an error response (status >= 400); return others as is.

    Works as an httpx ``response`` event hook too. Uses the default
    `ProblemReader`; build one for other settings.

    Args:
        response: a response of any supported client or test client.
        attempts: tries made so far, if the caller counted them.
        method: the request method, if the response does not tell it (urllib3).
        url: the request URL, if the response does not tell it.

    Returns:
        *response*, for chaining: ``raise_for_problem(session.get(url)).json()``.

    Raises:
        ReceivedProblem: the problem, as its registered class grouped with
            `ClientError` or `ServerError` (and `Retryable` where it applies).
        TypeError: *response* is no HTTP response, or an unread httpx response
            of an ``AsyncClient`` (use `araise_for_problem`).
    """
    # The success path first, with nothing read or built: most responses take it.
    try:
        status = getattr(response, "status_code", None)
    except Exception:  # noqa: BLE001 - a getter that fails: the reader looks further
        status = None
    if type(status) is int and status < _LOWEST_ERROR:
        return response
    return default_reader().raise_for_problem(response, attempts=attempts, method=method, url=url)


async def araise_for_problem(
    response: R,
    *,
    attempts: int | None = None,
    method: str | None = None,
    url: str | None = None,
) -> R:
    """Like `raise_for_problem`, reading unread responses of an httpx ``AsyncClient``.

    Usable as an ``AsyncClient`` ``response`` event hook.
    """
    try:
        status = getattr(response, "status_code", None)
    except Exception:  # noqa: BLE001 - a getter that fails: the reader looks further
        status = None
    if type(status) is int and status < _LOWEST_ERROR:
        return response
    return await default_reader().araise_for_problem(
        response, attempts=attempts, method=method, url=url
    )


def problem_from_response(
    response: object,
    *,
    attempts: int | None = None,
    method: str | None = None,
    url: str | None = None,
) -> ReceivedProblem | None:
    """Return the problem of an error response without raising it; None for other statuses.

    Raises:
        TypeError: as `raise_for_problem`.
    """
    return default_reader().problem(response, attempts=attempts, method=method, url=url)


async def aproblem_from_response(
    response: object,
    *,
    attempts: int | None = None,
    method: str | None = None,
    url: str | None = None,
) -> ReceivedProblem | None:
    """Like `problem_from_response`, for responses of an httpx ``AsyncClient``."""
    return await default_reader().aproblem(response, attempts=attempts, method=method, url=url)
