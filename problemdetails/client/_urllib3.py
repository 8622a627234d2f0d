"""The retry policy as a urllib3 ``Retry``, for ``requests`` and urllib3 (imported when used)."""

from __future__ import annotations

import functools
import time
from typing import TYPE_CHECKING, Any

from ._retry import IDEMPOTENT_METHODS, RetryPolicy

if TYPE_CHECKING:
    from urllib3.util.retry import Retry


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
