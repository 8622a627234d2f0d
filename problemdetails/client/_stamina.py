"""The retry policy, plugged into stamina (imported only when used)."""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Callable
from typing import Any, TypeVar, cast

from problemdetails._problem import Problem

from ._problems import ReceivedProblem, exchange_of, record_attempt
from ._retry import ExceptionTypes, RetryPolicy, concerns

F = TypeVar("F", bound=Callable[..., Any])


def stamina_hook(
    policy: RetryPolicy, *, also_on: ExceptionTypes = ()
) -> Callable[[Exception], bool | float]:
    """Return a stamina backoff hook that retries as *policy* says.

    The hook answers False (no retry) or the seconds to wait, which stamina
    uses instead of its own backoff, so ``Retry-After`` is honoured. It reads
    the attempt number from the problem (``problem.http.attempts``): use
    `stamina_retry`, which counts for it, or pass ``attempts=attempt.num`` to
    `raise_for_problem` inside ``stamina.retry_context``; otherwise statuses
    retried once are retried up to stamina's own ``attempts``.

    Args:
        policy: the retry policy.
        also_on: further exception types to retry with plain backoff
            (connection errors, say); problems and the ``HTTPError`` of
            ``requests`` and httpx are always judged by the policy.

    Example:
        >>> for attempt in stamina.retry_context(on=stamina_hook(policy)):  # doctest: +SKIP
        ...     with attempt:
        ...         raise_for_problem(session.get(url), attempts=attempt.num)
    """

    def hook(error: Exception) -> bool | float:
        if not concerns(error, also_on):
            return False
        exchange = exchange_of(error) if isinstance(error, Problem) else None
        delay = policy.delay(exchange.attempts if exchange is not None else 1, error)
        return False if delay is None else delay

    return hook


class _Count:
    """Tries of one call, for the stamina wrapper."""

    def __init__(self, policy: RetryPolicy, also_on: ExceptionTypes) -> None:
        self.policy = policy
        self.also_on = also_on
        self.attempts = 0
        self.started = time.monotonic()

    def begin(self) -> None:
        self.attempts += 1

    def failed(self, error: BaseException) -> None:
        if isinstance(error, ReceivedProblem):
            record_attempt(error, self.attempts, time.monotonic() - self.started)

    def hook(self, error: Exception) -> bool | float:
        if not concerns(error, self.also_on):
            return False
        delay = self.policy.delay(self.attempts, error, elapsed=time.monotonic() - self.started)
        return False if delay is None else delay


def stamina_retry(policy: RetryPolicy, *, also_on: ExceptionTypes = ()) -> Callable[[F], F]:
    """Return a decorator that retries a function with stamina, as *policy* says.

    stamina does the retrying (and its instrumentation and test mode apply);
    this counts the tries of each call, so that the problem raised last says
    how many were made (``problem.http.attempts``) and statuses retried once
    are retried once. Sync and async functions are both supported.

    Args:
        policy: the retry policy.
        also_on: further exception types to retry with plain backoff.

    Example:
        >>> @stamina_retry(RetryPolicy(attempts=4))  # doctest: +SKIP
        ... def invoice(number):
        ...     return raise_for_problem(session.get(f"{api}/invoices/{number}")).json()
    """
    import stamina  # noqa: PLC0415 - an optional integration

    def options(count: _Count) -> dict[str, Any]:
        return {"on": count.hook, "attempts": policy.attempts, "timeout": policy.timeout}

    def decorate(function: F) -> F:
        if inspect.iscoroutinefunction(function):

            @functools.wraps(function)
            async def call_async(*args: Any, **kwargs: Any) -> Any:
                count = _Count(policy, also_on)

                @functools.wraps(function)
                async def attempt(*args: Any, **kwargs: Any) -> Any:
                    count.begin()
                    try:
                        return await function(*args, **kwargs)
                    except BaseException as error:
                        count.failed(error)
                        raise

                return await stamina.retry(**options(count))(attempt)(*args, **kwargs)

            return cast("F", call_async)

        @functools.wraps(function)
        def call(*args: Any, **kwargs: Any) -> Any:
            count = _Count(policy, also_on)

            @functools.wraps(function)
            def attempt(*args: Any, **kwargs: Any) -> Any:
                count.begin()
                try:
                    return function(*args, **kwargs)
                except BaseException as error:
                    count.failed(error)
                    raise

            return stamina.retry(**options(count))(attempt)(*args, **kwargs)

        return cast("F", call)

    return decorate
