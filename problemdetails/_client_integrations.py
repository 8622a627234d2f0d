"""The retry policy, plugged into stamina, tenacity, urllib3 (for requests) and httpx.

Each integration imports its library only when it is called: the core never
needs any of them installed.
"""

from __future__ import annotations

import functools
import inspect
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

from ._client_problems import ReceivedProblem, exchange_of, record_attempt
from ._client_response import HTTPX_ATTEMPTS_KEY, attr, status_of
from ._client_retry import IDEMPOTENT_METHODS, RetryPolicy
from ._problem import Problem

if TYPE_CHECKING:
    import httpx
    from tenacity import RetryCallState
    from urllib3.util.retry import Retry

F = TypeVar("F", bound=Callable[..., Any])

ExceptionTypes = type[BaseException] | tuple[type[BaseException], ...]

# Where the tenacity predicate leaves its decision for the wait function
# (stamina does the same with tenacity's per-call state).
_DELAY_ATTR = "_problemdetails_delay"


def _concerns(error: BaseException, also_on: ExceptionTypes) -> bool:
    """Return whether the policy decides about *error* (problems, HTTP errors, *also_on*)."""
    kinds = also_on if isinstance(also_on, tuple) else (also_on,)
    if isinstance(error, (Problem, *kinds)):
        return True
    return status_of(attr(error, "response")) is not None


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
        if not _concerns(error, also_on):
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
        if not _concerns(error, self.also_on):
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


def tenacity_retry(
    policy: RetryPolicy, *, also_on: ExceptionTypes = ()
) -> Callable[[RetryCallState], bool]:
    """Return a tenacity ``retry=`` predicate that follows *policy*.

    It records the attempt number on the problem, so the one re-raised last
    says how many tries were made. Pair it with `tenacity_wait`, or use
    `tenacity_kwargs` for both.
    """

    def retry(state: RetryCallState) -> bool:
        outcome = state.outcome
        error = outcome.exception() if outcome is not None and outcome.failed else None
        if error is None or not _concerns(error, also_on):
            return False
        elapsed = state.seconds_since_start
        if isinstance(error, ReceivedProblem):
            record_attempt(error, state.attempt_number, elapsed)
        delay = policy.delay(state.attempt_number, error, elapsed=elapsed)
        setattr(state, _DELAY_ATTR, delay)
        return delay is not None

    return retry


def tenacity_wait(policy: RetryPolicy) -> Callable[[RetryCallState], float]:
    """Return a tenacity ``wait=`` function: the wait `tenacity_retry` decided on.

    Without that predicate, it is the policy's plain backoff.
    """

    def wait(state: RetryCallState) -> float:
        delay = getattr(state, _DELAY_ATTR, None)
        if isinstance(delay, float):
            delattr(state, _DELAY_ATTR)
            return delay
        return policy.backoff(state.attempt_number)

    return wait


class TenacityKwargs(TypedDict):
    """The keyword arguments `tenacity_kwargs` returns for ``tenacity.retry``."""

    retry: Callable[[RetryCallState], bool]
    wait: Callable[[RetryCallState], float]
    reraise: bool


def tenacity_kwargs(policy: RetryPolicy, *, also_on: ExceptionTypes = ()) -> TenacityKwargs:
    """Return ``retry``, ``wait`` and ``reraise`` for ``tenacity.retry(**...)``.

    With ``reraise=True`` the last problem itself is raised when the policy
    gives up, not tenacity's ``RetryError``.

    Example:
        >>> @tenacity.retry(**tenacity_kwargs(policy))  # doctest: +SKIP
        ... def invoice(number): ...
    """
    return {
        "retry": tenacity_retry(policy, also_on=also_on),
        "wait": tenacity_wait(policy),
        "reraise": True,
    }


def _tries(history: tuple[Any, ...]) -> int:
    return 1 + sum(1 for entry in history if entry.redirect_location is None)


@functools.cache
def _urllib3_retry_class() -> type[Retry]:
    from urllib3.exceptions import MaxRetryError, ResponseError  # noqa: PLC0415
    from urllib3.util.retry import Retry  # noqa: PLC0415

    class PolicyRetry(Retry):
        """A urllib3 ``Retry`` whose decisions are the policy's."""

        def __init__(
            self,
            *args: Any,
            policy: RetryPolicy,
            started: float | None = None,
            next_delay: float | None = None,
            **kwargs: Any,
        ) -> None:
            super().__init__(*args, **kwargs)
            self.policy = policy
            self.started = started
            self.next_delay = next_delay

        def new(self, **kwargs: Any) -> PolicyRetry:
            kwargs.setdefault("policy", self.policy)
            kwargs.setdefault("started", self.started)
            return super().new(**kwargs)

        def is_retry(
            self,
            method: str,
            status_code: int,
            has_retry_after: bool = False,  # noqa: ARG002 - urllib3's signature
        ) -> bool:
            return self.policy.is_retryable(status_code, method)

        def increment(
            self,
            method: str | None = None,
            url: str | None = None,
            response: Any = None,
            error: Exception | None = None,
            _pool: Any = None,
            _stacktrace: Any = None,
        ) -> PolicyRetry:
            started = self.started if self.started is not None else time.monotonic()
            delay = None
            if response is not None and error is None and not response.get_redirect_location():
                delay = self.policy.delay(
                    _tries(self.history),
                    response,
                    method=method,
                    elapsed=time.monotonic() - started,
                )
                if delay is None:
                    reason = ResponseError(
                        f"the retry policy gives up after HTTP {response.status}"
                    )
                    raise MaxRetryError(_pool, url or "", reason)
            retry = super().increment(method, url, response, error, _pool, _stacktrace)
            retry.started = started
            retry.next_delay = delay
            return retry

        def get_backoff_time(self) -> float:
            return self.policy.backoff(max(1, _tries(self.history) - 1))

        def sleep(self, response: Any = None) -> None:  # noqa: ARG002 - urllib3's signature
            delay = self.next_delay if self.next_delay is not None else self.get_backoff_time()
            if delay > 0:
                time.sleep(delay)

    return PolicyRetry


def urllib3_retry(policy: RetryPolicy) -> Retry:
    """Return a urllib3 ``Retry`` that follows *policy*, for ``requests`` and urllib3.

    Retried responses follow the policy (statuses, methods, ``Retry-After``,
    attempts and time budget, counted from the first failed response);
    connection errors are retried with its backoff within its attempts, read
    errors only for the methods it retries. When it gives up, the last
    response is returned (not raised), so that `raise_for_problem` raises its
    problem, which knows how many tries were made.

    Example:
        >>> session.mount("https://", HTTPAdapter(max_retries=urllib3_retry(policy)))
        ... # doctest: +SKIP
    """
    cls: Any = _urllib3_retry_class()
    return cls(  # type: ignore[no-any-return]
        total=policy.attempts - 1,
        allowed_methods=None if policy.retry_non_idempotent else IDEMPOTENT_METHODS,
        status_forcelist=policy.retry_statuses | policy.retry_once_statuses,
        raise_on_status=False,
        policy=policy,
    )


Sleep = Callable[[float], object]
AsyncSleep = Callable[[float], Awaitable[object]]


def _replayable(request: httpx.Request) -> bool:
    import httpx  # noqa: PLC0415

    return isinstance(request.stream, httpx.ByteStream)


@functools.cache
def _httpx_transport() -> type[httpx.BaseTransport]:
    import httpx  # noqa: PLC0415

    class RetryTransport(httpx.BaseTransport):
        """An httpx transport that retries responses as a policy says."""

        def __init__(
            self, policy: RetryPolicy, transport: httpx.BaseTransport, sleep: Sleep
        ) -> None:
            self.policy = policy
            self.transport = transport
            self.sleep = sleep

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            started = time.monotonic()
            replayable = _replayable(request)
            attempt = 1
            while True:
                response = self.transport.handle_request(request)
                delay = None
                if replayable:
                    delay = self.policy.delay(
                        attempt, response, method=request.method, elapsed=time.monotonic() - started
                    )
                if delay is None:
                    response.extensions = {**response.extensions, HTTPX_ATTEMPTS_KEY: attempt}
                    return response
                response.close()
                self.sleep(delay)
                attempt += 1

        def close(self) -> None:
            self.transport.close()

    return RetryTransport


@functools.cache
def _httpx_async_transport() -> type[httpx.AsyncBaseTransport]:
    import httpx  # noqa: PLC0415

    class AsyncRetryTransport(httpx.AsyncBaseTransport):
        """An async httpx transport that retries responses as a policy says."""

        def __init__(
            self, policy: RetryPolicy, transport: httpx.AsyncBaseTransport, sleep: AsyncSleep
        ) -> None:
            self.policy = policy
            self.transport = transport
            self.sleep = sleep

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            started = time.monotonic()
            replayable = _replayable(request)
            attempt = 1
            while True:
                response = await self.transport.handle_async_request(request)
                delay = None
                if replayable:
                    delay = self.policy.delay(
                        attempt, response, method=request.method, elapsed=time.monotonic() - started
                    )
                if delay is None:
                    response.extensions = {**response.extensions, HTTPX_ATTEMPTS_KEY: attempt}
                    return response
                await response.aclose()
                await self.sleep(delay)
                attempt += 1

        async def aclose(self) -> None:
            await self.transport.aclose()

    return AsyncRetryTransport


def retry_transport(
    policy: RetryPolicy | None = None,
    transport: httpx.BaseTransport | None = None,
    *,
    sleep: Sleep | None = None,
) -> httpx.BaseTransport:
    """Return an httpx transport that retries as *policy* says.

    Only requests whose body can be sent again are retried. The response
    returned last records the tries made, which `raise_for_problem` (also
    usable as a ``response`` event hook) puts on the problem it raises.

    Args:
        policy: the retry policy; the defaults when omitted.
        transport: the transport that sends each try; ``httpx.HTTPTransport()``
            when omitted.
        sleep: how to wait (``time.sleep`` by default).

    Example:
        >>> client = httpx.Client(  # doctest: +SKIP
        ...     transport=retry_transport(RetryPolicy()),
        ...     event_hooks={"response": [raise_for_problem]},
        ... )
    """
    import httpx  # noqa: PLC0415

    cls: Any = _httpx_transport()
    transport = transport or httpx.HTTPTransport()
    return cast("httpx.BaseTransport", cls(policy or RetryPolicy(), transport, sleep or time.sleep))


def async_retry_transport(
    policy: RetryPolicy | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    *,
    sleep: AsyncSleep | None = None,
) -> httpx.AsyncBaseTransport:
    """Return an httpx transport for ``AsyncClient`` that retries as *policy* says.

    As `retry_transport`; pair it with `araise_for_problem` as an event hook.
    *sleep* defaults to ``anyio.sleep`` (asyncio and trio alike).
    """
    import anyio  # noqa: PLC0415 - httpx depends on it
    import httpx  # noqa: PLC0415

    cls: Any = _httpx_async_transport()
    transport = transport or httpx.AsyncHTTPTransport()
    return cast(
        "httpx.AsyncBaseTransport", cls(policy or RetryPolicy(), transport, sleep or anyio.sleep)
    )
