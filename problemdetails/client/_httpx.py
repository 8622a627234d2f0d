"""The retry policy as httpx transports, sync and async (httpx imported when used)."""

from __future__ import annotations

import functools
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

from ._response import HTTPX_ATTEMPTS_KEY
from ._retry import RetryPolicy

if TYPE_CHECKING:
    import httpx


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
