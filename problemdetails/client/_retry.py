"""The retry policy that every retry integration of the client side shares."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Collection
from datetime import datetime, timezone
from typing import Any, cast

import attrs

from problemdetails._errors import ConfigurationError
from problemdetails._problem import Problem

from ._problems import exchange_of
from ._response import attr, headers_of, method_of, status_of

#: Methods RFC 9110 section 9.2.2 defines as idempotent.
IDEMPOTENT_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"))

# Any number of digits is valid delay-seconds (RFC 9110 section 10.2.3): a
# long one is a wait beyond reason, to be refused as such, not misread.
_SECONDS = re.compile(r"\s*([0-9]+)\s*")
#: A wait this long or longer (about 31 years) counts as forever.
_FOREVER = 1e9
_MAX_RETRY_AFTER_TEXT = 64
_LOWEST_ERROR = 400

# The longest wait RetryPolicy.delay ever answers (about 31 years): any
# longer one (a server's Retry-After of 10**400 seconds, a policy whose limits
# are infinite) means "do not retry". It stays well inside what time.sleep
# accepts (it overflows near 9.2e9 seconds).
_LONGEST_WAIT = 1e9


def parse_retry_after(value: object, *, now: float | None = None) -> float | None:
    """Return the seconds a ``Retry-After`` value asks to wait, or None if it is invalid.

    Both forms of RFC 9110 section 10.2.3 are read: delay seconds and an
    HTTP-date (a date in the past means no wait).

    Args:
        value: the header value.
        now: the current time as a POSIX timestamp; the clock's when omitted.
    """
    if not isinstance(value, str) or len(value) > _MAX_RETRY_AFTER_TEXT:
        return None
    seconds = _SECONDS.fullmatch(value)
    if seconds is not None:
        digits = seconds.group(1).lstrip("0") or "0"
        return float("inf") if len(digits) > len(str(int(_FOREVER))) else float(digits)
    # Imported here: email is a heavy import that only HTTP-dates need.
    from email.utils import parsedate_to_datetime  # noqa: PLC0415

    try:
        date = parsedate_to_datetime(value)
    except Exception:  # noqa: BLE001 - its errors vary across Python versions
        return None
    return _until(date, now)


def _until(date: datetime, now: float | None) -> float:
    if date.tzinfo is None:  # HTTP-dates are always GMT
        date = date.replace(tzinfo=timezone.utc)
    current = time.time() if now is None else now
    return max(0.0, date.timestamp() - current)


def _check_attempts(_: RetryPolicy, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or value < 1:
        raise ConfigurationError(
            f"{attribute.name} must be an int >= 1 (the total number of tries), got {value!r}"
        )


def _check_seconds(_: RetryPolicy, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is None and attribute.name == "timeout":
        return
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ConfigurationError(f"{attribute.name} must be seconds >= 0, got {value!r}")
    if attribute.name == "timeout" and value == 0:
        raise ConfigurationError("timeout must be > 0 seconds, or None for no time budget")


def _check_fraction(_: RetryPolicy, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
        raise ConfigurationError(f"{attribute.name} must be a fraction in [0, 1], got {value!r}")


def _check_multiplier(_: RetryPolicy, attribute: attrs.Attribute[Any], value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 1:
        raise ConfigurationError(f"{attribute.name} must be a number >= 1, got {value!r}")


def _to_statuses(value: Collection[int]) -> frozenset[int]:
    if isinstance(value, (str, bytes)) or not isinstance(cast("object", value), Collection):
        return cast("frozenset[int]", value)  # the validator names the setting
    return frozenset(value)


def _check_statuses(_: RetryPolicy, attribute: attrs.Attribute[Any], value: frozenset[int]) -> None:
    if not isinstance(cast("object", value), frozenset):
        raise ConfigurationError(
            f"{attribute.name} must be a collection of HTTP statuses, got {value!r}"
        )
    bad = sorted(
        repr(status) for status in value if type(status) is not int or status < _LOWEST_ERROR
    )
    if bad:
        raise ConfigurationError(
            f"{attribute.name} must hold HTTP error statuses (ints >= 400); got {', '.join(bad)}"
        )


@attrs.frozen(kw_only=True)
class RetryPolicy:
    """When to try a failed request again, and how long to wait first.

    One policy drives every integration: `stamina_retry`, `stamina_hook`,
    `tenacity_kwargs`, `urllib3_retry` (for ``requests``) and the httpx
    transports. Its decisions come from `delay`, a function of the attempt
    number and the failed response or problem, so they are the same everywhere.

    The defaults follow what API providers document: 408, 429, 502, 503 and
    504 are retried, 500 once, other errors never; ``Retry-After`` is honoured
    (in seconds or as an HTTP-date) up to `max_retry_after`; only idempotent
    methods are retried unless `retry_non_idempotent` is set; and nothing loops
    for longer than the time budget.

    Attributes:
        attempts: total tries, the first included; 1 turns retrying off.
        backoff_base: seconds to wait after the first failure.
        backoff_multiplier: factor by which each further wait grows.
        backoff_max: longest backoff, in seconds.
        jitter: fraction of each backoff that is random (0 for none, 1 for
            "full jitter"), so that clients failing together do not return
            together.
        timeout: total seconds the tries and the waits may take; a retry whose
            wait would end past it is not made. None for no budget.
        retry_statuses: statuses worth retrying.
        retry_once_statuses: statuses retried only after the first try.
        retry_non_idempotent: retry POST and PATCH too (only when the server
            deduplicates them, e.g. by an idempotency key).
        max_retry_after: longest ``Retry-After`` honoured. A server asking for
            a longer wait gets no retry at all: trying earlier than it said
            would fail again, so the problem is raised at once and its
            ``http.retry_after`` tells the caller when to come back. Whatever
            the settings, no wait longer than about 31 years (1e9 seconds)
            is ever answered: such a ``Retry-After`` means no retry too.

    Raises:
        ConfigurationError: a setting is out of range.
    """

    attempts: int = attrs.field(default=3, validator=_check_attempts)
    backoff_base: float = attrs.field(default=0.5, validator=_check_seconds)
    backoff_multiplier: float = attrs.field(default=2.0, validator=_check_multiplier)
    backoff_max: float = attrs.field(default=10.0, validator=_check_seconds)
    jitter: float = attrs.field(default=0.5, validator=_check_fraction)
    timeout: float | None = attrs.field(default=30.0, validator=_check_seconds)
    retry_statuses: frozenset[int] = attrs.field(
        default=frozenset((408, 429, 502, 503, 504)),
        converter=_to_statuses,
        validator=_check_statuses,
    )
    retry_once_statuses: frozenset[int] = attrs.field(
        default=frozenset((500,)), converter=_to_statuses, validator=_check_statuses
    )
    retry_non_idempotent: bool = False
    max_retry_after: float = attrs.field(default=30.0, validator=_check_seconds)

    def is_retryable(self, status: int, method: str | None = None) -> bool:
        """Return whether a response of *status* to *method* is worth retrying at all.

        An unknown *method* is judged by the status alone.
        """
        if status not in self.retry_statuses and status not in self.retry_once_statuses:
            return False
        return method is None or self.retry_non_idempotent or method.upper() in IDEMPOTENT_METHODS

    def backoff(self, attempt: int) -> float:
        """Return the jittered exponential backoff after failed try number *attempt*."""
        wait = 0.0
        if self.backoff_base:  # 0 * inf would be nan: no base, no backoff
            try:
                wait = self.backoff_base * self.backoff_multiplier ** max(0, attempt - 1)
            except OverflowError:
                wait = math.inf
        wait = min(wait, self.backoff_max, _LONGEST_WAIT)
        # Jitter only shortens a wait: backoff_max stays a true maximum.
        # Imported here: random (with bisect and sha512) is needed only once a
        # retry is decided, not to import the client side.
        import random  # noqa: PLC0415

        return wait - wait * self.jitter * random.random()  # noqa: S311 - not for secrets

    def delay(
        self,
        attempt: int,
        outcome: object,
        *,
        method: str | None = None,
        elapsed: float | None = None,
    ) -> float | None:
        """Return the seconds to wait before trying again, or None to stop.

        A pure decision (but for the jitter): it neither sleeps nor retries.

        Args:
            attempt: how many tries were made, the failed one included (1-based).
            outcome: what the failed try gave: a problem (the client's, or
                any `Problem`), a response of any supported client library, an
                exception carrying one as ``.response`` (``requests``' and
                httpx's ``HTTPError``), or another exception that the caller
                chose to retry (a connection error), which gets plain backoff.
            method: the request method, when *outcome* does not tell it.
            elapsed: seconds since the first try started; taken from a
                client problem when omitted, else 0.

        Example:
            >>> RetryPolicy(jitter=0).delay(1, ServerError(status=503))  # doctest: +SKIP
            0.5
        """
        if attempt >= self.attempts:
            return None
        facts = _facts(outcome)
        if facts is None:
            raise TypeError(
                f"delay() takes a problem, a response or an exception, got {type(outcome).__name__}"
            )
        status, known_method, retry_after, known_elapsed = facts
        if status is not None:
            if not self.is_retryable(status, method or known_method):
                return None
            if status not in self.retry_statuses and attempt > 1:
                return None
        wait = self.backoff(attempt)
        if retry_after is not None:
            # Written so that nan, too, means "beyond": no retry.
            if not retry_after <= min(self.max_retry_after, _LONGEST_WAIT):
                return None
            wait = max(wait, retry_after)
        spent = elapsed if elapsed is not None else known_elapsed or 0.0
        if self.timeout is not None and not spent + wait <= self.timeout:
            return None
        return wait


_Facts = tuple[int | None, str | None, float | None, float | None]


def _problem_facts(problem: Problem) -> _Facts:
    http = exchange_of(problem)
    status = problem.status
    method = elapsed = None
    retry_after: float | None = None
    if http is not None:
        method, retry_after, elapsed = http.method, http.retry_after, http.elapsed
    if retry_after is None:
        member = attr(problem, "retry_after")
        if isinstance(member, datetime):
            retry_after = _until(member, None)
        elif type(member) is int:
            # An int of any size, from a document: past the longest wait it is
            # infinite (float() of 10**400 would overflow), hence no retry.
            retry_after = float(max(0, member)) if member <= _LONGEST_WAIT else math.inf
    return status, method, retry_after, elapsed


def _response_facts(response: object, status: int) -> _Facts:
    retry_after = parse_retry_after(headers_of(response).get("Retry-After"))
    return status, method_of(response), retry_after, None


def _facts(outcome: object) -> _Facts | None:
    if isinstance(outcome, Problem):
        return _problem_facts(outcome)
    status = status_of(outcome)
    if status is not None:
        return _response_facts(outcome, status)
    if isinstance(outcome, BaseException):
        response = attr(outcome, "response")
        status = status_of(response)
        if status is not None:
            return _response_facts(response, status)
        return None, None, None, None
    return None


#: Exception types a retry integration also retries, with plain backoff.
ExceptionTypes = type[BaseException] | tuple[type[BaseException], ...]


def concerns(error: BaseException, also_on: ExceptionTypes) -> bool:
    """Return whether the policy decides about *error* (problems, HTTP errors, *also_on*)."""
    kinds = also_on if isinstance(also_on, tuple) else (also_on,)
    if isinstance(error, (Problem, *kinds)):
        return True
    return status_of(attr(error, "response")) is not None
