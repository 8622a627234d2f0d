"""The retry policy: one decision function that every integration shares."""

from __future__ import annotations

import json
import math
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import httpx
import pytest
import tenacity
from hypothesis import given
from hypothesis import strategies as st

from problemdetails import ConfigurationError, Problem, RetryAfterProblem
from problemdetails.client import (
    IDEMPOTENT_METHODS,
    ClientError,
    RetryableServerError,
    RetryPolicy,
    ServerError,
    parse_retry_after,
    problem_from_response,
    raise_for_problem,
    retry_transport,
    stamina_hook,
    stamina_retry,
    tenacity_kwargs,
    tenacity_retry,
    tenacity_wait,
    urllib3_retry,
)

NOW = datetime(2026, 3, 1, 12, 0, 0, tzinfo=timezone.utc).timestamp()

#: No jitter: waits are exact.
EXACT = RetryPolicy(attempts=5, backoff_base=1, backoff_multiplier=2, backoff_max=5, jitter=0)


def _response(
    status: int, *, method: str = "GET", retry_after: str | None = None
) -> httpx.Response:
    headers = {"Retry-After": retry_after} if retry_after is not None else {}
    return httpx.Response(
        status, headers=headers, request=httpx.Request(method, "https://api.example.com/x")
    )


class TestRetryAfter:
    """Retry-After in both forms of RFC 9110 section 10.2.3."""

    @pytest.mark.parametrize(
        ("value", "seconds"),
        [
            ("0", 0.0),
            ("120", 120.0),
            (" 5 ", 5.0),
            ("Sun, 01 Mar 2026 12:00:30 GMT", 30.0),
            ("Sunday, 01-Mar-26 12:00:30 GMT", 30.0),
            ("Sun Mar  1 12:00:30 2026", 30.0),
            ("Sun, 01 Mar 2026 11:00:00 GMT", 0.0),
            ("9" * 11, math.inf),
            ("0" * 20 + "7", 7.0),
        ],
    )
    def test_valid(self, value, seconds):
        """Delay seconds and HTTP-dates (a past date means now)."""
        assert parse_retry_after(value, now=NOW) == seconds

    @pytest.mark.parametrize(
        "value",
        [None, "", "-1", "1.5", "soon", "Sun, 99 Foo 2026 12:00:30 GMT", 5, "x" * 100],
    )
    def test_invalid(self, value):
        """Anything else is no Retry-After at all."""
        assert parse_retry_after(value, now=NOW) is None

    @given(st.text(max_size=80))
    def test_never_raises(self, value):
        """Any header text gives seconds >= 0 or None."""
        seconds = parse_retry_after(value)
        assert seconds is None or seconds >= 0


class TestDelay:
    """RetryPolicy.delay decides whether and how long."""

    @pytest.mark.parametrize(
        ("status", "method", "attempt", "expected"),
        [
            (503, "GET", 1, 1.0),
            (503, "GET", 2, 2.0),
            (503, "GET", 3, 4.0),
            (503, "GET", 4, 5.0),  # capped by backoff_max
            (503, "GET", 5, None),  # attempts spent
            (429, "HEAD", 1, 1.0),
            (408, "PUT", 1, 1.0),
            (502, "DELETE", 1, 1.0),
            (504, "OPTIONS", 1, 1.0),
            (500, "GET", 1, 1.0),
            (500, "GET", 2, None),  # 500 is retried once
            (503, "POST", 1, None),
            (503, "PATCH", 1, None),
            (400, "GET", 1, None),
            (404, "GET", 1, None),
            (409, "GET", 1, None),
            (501, "GET", 1, None),
            (200, "GET", 1, None),
        ],
    )
    def test_table(self, status, method, attempt, expected):
        """Statuses, methods and attempt numbers, as API providers document them."""
        assert EXACT.delay(attempt, _response(status, method=method)) == expected

    def test_retry_after_wins_over_backoff(self):
        """A server's Retry-After is waited for; backoff still applies if longer."""
        assert EXACT.delay(1, _response(503, retry_after="3")) == 3.0
        assert EXACT.delay(3, _response(503, retry_after="1")) == 4.0

    def test_retry_after_http_date(self):
        """An HTTP-date in the future is waited for."""
        date = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
        delay = EXACT.delay(1, _response(429, retry_after=date))
        assert delay is not None
        assert 18 <= delay <= 20

    def test_too_long_retry_after_stops(self):
        """A Retry-After beyond max_retry_after is no retry: trying earlier would fail."""
        policy = RetryPolicy(max_retry_after=10)
        assert policy.delay(1, _response(503, retry_after="11")) is None
        assert policy.delay(1, _response(503, retry_after="10")) == 10.0

    def test_retry_after_of_many_digits_stops(self):
        """Delay seconds of 11 or more digits are valid and mean no retry, even without a cap."""
        policy = RetryPolicy(max_retry_after=math.inf)
        assert policy.delay(1, _response(503, retry_after="99999999999")) is None

    def test_time_budget(self):
        """A retry whose wait would end past the budget is not made."""
        policy = RetryPolicy(backoff_base=1, jitter=0, timeout=5)
        assert policy.delay(1, _response(503), elapsed=3.5) == 1.0
        assert policy.delay(1, _response(503), elapsed=4.5) is None
        assert policy.delay(1, _response(503, retry_after="4"), elapsed=2) is None
        assert RetryPolicy(timeout=None).delay(1, _response(503), elapsed=10**6) is not None

    def test_non_idempotent_opt_in(self):
        """retry_non_idempotent lets POST be retried."""
        policy = RetryPolicy(retry_non_idempotent=True, jitter=0)
        assert policy.delay(1, _response(503, method="POST")) == 0.5

    def test_method_argument_wins(self):
        """A method given to delay() decides when the response has none."""
        response = httpx.Response(503)
        assert EXACT.delay(1, response) == 1.0
        assert EXACT.delay(1, response, method="POST") is None

    def test_received_problem(self):
        """A received problem brings method, Retry-After and elapsed time."""
        problem = problem_from_response(_response(503, retry_after="2"))
        assert EXACT.delay(1, problem) == 2.0
        post = problem_from_response(_response(503, method="POST"))
        assert EXACT.delay(1, post) is None

    def test_plain_problem_and_retry_after_member(self):
        """Any Problem counts by its status; a RetryAfterProblem by its member."""
        assert EXACT.delay(1, Problem(status=502)) == 1.0
        assert EXACT.delay(1, RetryAfterProblem(retry_after=3)) == 3.0
        later = datetime.now(timezone.utc) + timedelta(seconds=4)
        delay = EXACT.delay(1, RetryAfterProblem(retry_after=later))
        assert delay is not None
        assert 3 <= delay <= 4
        assert EXACT.delay(1, ClientError(status=404)) is None

    def test_http_errors_of_client_libraries(self):
        """An exception carrying a response is judged by that response."""
        response = _response(503, retry_after="2")
        error = httpx.HTTPStatusError("boom", request=response.request, response=response)
        assert EXACT.delay(1, error) == 2.0

    def test_other_exceptions_get_backoff(self):
        """An exception the caller chose to retry gets plain backoff within the budget."""
        assert EXACT.delay(2, ConnectionError("refused")) == 2.0
        assert EXACT.delay(5, ConnectionError("refused")) is None

    def test_unsupported_outcome(self):
        """Something that is no problem, response or exception is a TypeError."""
        with pytest.raises(TypeError, match="got str"):
            EXACT.delay(1, "503")


class TestBackoff:
    """Exponential backoff with jitter and a cap."""

    @given(attempt=st.integers(min_value=1, max_value=10_000), jitter=st.floats(0, 1))
    def test_within_bounds(self, attempt, jitter):
        """Every wait lies in [(1 - jitter) * d, d] with d the capped exponential."""
        policy = RetryPolicy(backoff_base=0.5, backoff_multiplier=2, backoff_max=10, jitter=jitter)
        capped = min(10.0, 0.5 * 2.0 ** min(attempt - 1, 100))
        wait = policy.backoff(attempt)
        assert capped * (1 - jitter) - 1e-9 <= wait <= capped + 1e-9

    def test_jitter_spreads_waits(self):
        """With jitter, waits differ from call to call."""
        policy = RetryPolicy(jitter=1)
        assert len({policy.backoff(3) for _ in range(20)}) > 1


class TestPolicySettings:
    """A wrong setting is a ConfigurationError at once."""

    @pytest.mark.parametrize(
        "settings",
        [
            {"attempts": 0},
            {"attempts": 2.0},
            {"backoff_base": -1},
            {"backoff_max": "1"},
            {"backoff_multiplier": 0.5},
            {"jitter": 1.5},
            {"jitter": True},
            {"timeout": 0},
            {"timeout": -1},
            {"retry_statuses": {200}},
            {"retry_statuses": "503"},
            {"retry_once_statuses": {"500"}},
            {"max_retry_after": float("nan")},
        ],
    )
    def test_rejected(self, settings):
        """Each out-of-range setting is refused with a message naming it."""
        with pytest.raises(ConfigurationError, match=next(iter(settings))):
            RetryPolicy(**settings)

    def test_idempotent_methods(self):
        """RFC 9110 section 9.2.2's idempotent methods."""
        assert frozenset({"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}) == IDEMPOTENT_METHODS


class TestAdapters:
    """The integration objects, called as their libraries call them."""

    def test_stamina_hook(self):
        """The hook answers a wait for retryable problems, False otherwise."""
        hook = stamina_hook(EXACT, also_on=ConnectionError)
        assert hook(problem_from_response(_response(503))) == 1.0  # type: ignore[arg-type]
        assert hook(problem_from_response(_response(404))) is False  # type: ignore[arg-type]
        assert hook(ConnectionError()) == 1.0
        assert hook(ValueError()) is False

    def test_tenacity_predicate_records_attempts(self):
        """tenacity's attempt number reaches the problem it re-raises."""
        problem = problem_from_response(_response(503))
        assert problem is not None
        calls = 0

        @tenacity.retry(**tenacity_kwargs(RetryPolicy(attempts=3, backoff_base=0, jitter=0)))
        def fail() -> None:
            nonlocal calls
            calls += 1
            raise problem

        with pytest.raises(ServerError):
            fail()
        assert calls == 3
        assert problem.http.attempts == 3

    def test_tenacity_leaves_other_exceptions_alone(self):
        """An exception the policy does not concern is raised at once."""
        calls = 0

        @tenacity.retry(retry=tenacity_retry(EXACT), wait=tenacity_wait(EXACT), reraise=True)
        def fail() -> None:
            nonlocal calls
            calls += 1
            raise ValueError

        with pytest.raises(ValueError):
            fail()
        assert calls == 1

    def test_tenacity_wait_alone_is_backoff(self):
        """Without the predicate, the wait is the policy's backoff."""
        state = tenacity.RetryCallState(tenacity.Retrying(), None, (), {})
        state.attempt_number = 2
        assert tenacity_wait(EXACT)(state) == 2.0

    def test_urllib3_retry_settings(self):
        """The urllib3 Retry carries the policy's attempts, methods and statuses."""
        retry = urllib3_retry(RetryPolicy(attempts=4))
        assert retry.total == 3
        assert retry.allowed_methods == IDEMPOTENT_METHODS
        assert retry.status_forcelist == {408, 429, 500, 502, 503, 504}
        assert retry.raise_on_status is False
        assert urllib3_retry(RetryPolicy(retry_non_idempotent=True)).allowed_methods is None
        assert retry.is_retry("GET", 503)
        assert not retry.is_retry("POST", 503)
        assert not retry.is_retry("GET", 404)


class Busy(
    RetryAfterProblem,
    type="https://example.com/probs/test-retry/busy",
    title="Busy.",
    status=503,
):
    """A registered RetryAfterProblem: its member counts when no header is sent."""


def _busy(retry_after: object, *, header: str | None = None) -> httpx.Response:
    headers = {"Content-Type": "application/problem+json"}
    if header is not None:
        headers["Retry-After"] = header
    body = json.dumps({"type": Busy.__problem_type__, "retry_after": retry_after}).encode()
    return httpx.Response(
        503, headers=headers, content=body, request=httpx.Request("GET", "https://a.example/")
    )


def _raised(response: httpx.Response) -> RetryableServerError:
    with pytest.raises(RetryableServerError) as info:
        raise_for_problem(response)
    return info.value


#: A policy that honours any Retry-After and has no time budget.
PATIENT = RetryPolicy(max_retry_after=math.inf, timeout=None, jitter=0, backoff_base=0.01)


class TestWaitsBeyondReason:
    """A wait no client can make means no retry; nothing raises OverflowError."""

    @pytest.mark.parametrize("digits", [16, 400, 4000])
    def test_huge_member_stops(self, digits):
        """A retry_after member of hundreds of digits, without a header, is no retry."""
        problem = _raised(_busy(int("9" * digits)))
        assert isinstance(problem, Busy)
        for policy in (EXACT, PATIENT):
            assert policy.delay(1, problem) is None
            assert stamina_hook(policy)(problem) is False

    def test_huge_member_through_tenacity(self):
        """tenacity tries once and re-raises the problem itself."""
        calls = 0

        @tenacity.retry(**tenacity_kwargs(PATIENT))
        def fetch() -> None:
            nonlocal calls
            calls += 1
            raise_for_problem(_busy(10**400))

        with pytest.raises(Busy):
            fetch()
        assert calls == 1

    def test_huge_member_through_stamina(self):
        """stamina tries once and re-raises the problem itself."""
        calls = 0

        @stamina_retry(PATIENT)
        def fetch() -> None:
            nonlocal calls
            calls += 1
            raise_for_problem(_busy(10**400))

        with pytest.raises(Busy):
            fetch()
        assert calls == 1

    def test_far_future_date_member_stops(self):
        """A retry_after date in year 9999 is no retry either."""
        problem = _raised(_busy("9999-12-31T23:59:59+00:00"))
        assert PATIENT.delay(1, problem) is None

    @pytest.mark.parametrize(
        "header", ["9999999999", "1000000001", "Fri, 31 Dec 9999 23:59:59 GMT"]
    )
    def test_huge_header_stops_even_without_limit(self, header):
        """A Retry-After beyond about 31 years is no retry, even with max_retry_after=inf."""
        assert PATIENT.delay(1, _busy(0, header=header)) is None
        assert PATIENT.delay(1, _raised(_busy(None, header=header))) is None

    def test_largest_wait_still_made(self):
        """A Retry-After of a billion seconds is honoured by a policy that allows it."""
        assert PATIENT.delay(1, _busy(0, header="1000000000")) == 1e9

    def test_huge_header_through_the_httpx_transport(self):
        """The httpx transport returns the response at once instead of failing to sleep."""
        slept: list[float] = []

        def sleep(seconds: float) -> None:
            slept.append(seconds)
            time.sleep(seconds)  # the real sleep, which overflows past ~9.2e9 s

        transport = retry_transport(
            PATIENT,
            httpx.MockTransport(lambda _: _busy(0, header="9999999999")),
            sleep=sleep,
        )
        with httpx.Client(transport=transport) as client:
            problem = _raised(client.get("https://a.example/"))
        assert problem.http.retry_after == 9999999999.0
        assert slept == []

    @pytest.mark.parametrize(
        "settings",
        [
            {"backoff_max": math.inf, "backoff_multiplier": 1e308},
            {"backoff_max": math.inf, "backoff_base": 1e308, "backoff_multiplier": math.inf},
            {"backoff_base": 0, "backoff_multiplier": math.inf, "backoff_max": math.inf},
            {"backoff_max": 1e308, "timeout": None},
        ],
    )
    def test_infinite_settings_give_finite_waits(self, settings):
        """Backoff under extreme settings is a finite number a sleep accepts, never nan."""
        policy = RetryPolicy(attempts=10**6, jitter=0, **settings)
        for attempt in (1, 2, 5, 10_000):
            wait = policy.backoff(attempt)
            assert 0 <= wait <= 1e9
            delay = policy.delay(attempt, ConnectionError())
            assert delay is None or 0 <= delay <= 1e9

    def test_nan_elapsed_stops(self):
        """An elapsed time that is not a number ends retrying rather than ignoring the budget."""
        assert EXACT.delay(1, _response(503), elapsed=math.nan) is None
