"""The client side against a real server: gunicorn on 127.0.0.1, requests and httpx.

The server (tests/apps/client_server.py) answers with problems rendered by the
library's own pipeline, HTML and empty error pages, ``Retry-After`` in both
forms, oversized, deep and malformed documents, and a flaky endpoint that
fails a given number of times before it succeeds.
"""

from __future__ import annotations

import asyncio
import pickle
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import requests
import tenacity
from requests.adapters import HTTPAdapter
from servers import gunicorn

from problemdetails import Problem, ProblemParseError, ValidationProblem
from problemdetails.client import (
    ClientError,
    ReceivedProblem,
    Retryable,
    RetryableClientError,
    RetryableServerError,
    RetryPolicy,
    ServerError,
    araise_for_problem,
    async_retry_transport,
    problem_from_response,
    raise_for_problem,
    retry_transport,
    stamina_retry,
    tenacity_kwargs,
    urllib3_retry,
)
from problemdetails.testing import assert_problem

pytestmark = pytest.mark.e2e

APPS = Path(__file__).parent / "apps"

#: Quick retries: the waits that remain are the server's Retry-After.
QUICK = RetryPolicy(attempts=3, backoff_base=0.01, backoff_max=0.05, jitter=0, timeout=10)


class OutOfCredit(
    Problem,
    type="https://example.com/probs/client/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    """The client side's declaration of the server's problem type."""

    balance: int
    accounts: list[str]


class RelativeOutOfCredit(
    Problem, type="/probs/client/relative", title="Relative type.", status=403
):
    """A problem type declared with a relative URI."""

    balance: int


@pytest.fixture(name="base", scope="module")
def _base(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log = tmp_path_factory.mktemp("client-server") / "gunicorn.log"
    with gunicorn("client_server:app", cwd=APPS, log=log) as url:
        yield url


@pytest.fixture(name="session")
def _session() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.mount("http://", HTTPAdapter(max_retries=urllib3_retry(QUICK)))
        yield session


def _flaky(base: str, **query: object) -> str:
    params = "&".join(f"{name}={value}" for name, value in query.items())
    return f"{base}/flaky?key={uuid.uuid4().hex}&{params}"


def _get(client: str, url: str) -> object:
    if client == "requests":
        return requests.get(url, timeout=10)
    return httpx.get(url, timeout=10)


CLIENTS = ["requests", "httpx"]


class TestTypedProblems:
    """Problem responses come back as the classes registered for their types."""

    @pytest.mark.parametrize("client", CLIENTS)
    def test_registered_type_is_raised_as_its_class(self, base, client):
        """A problem of a registered type is raised as that class, with every member."""
        with pytest.raises(OutOfCredit) as info:
            raise_for_problem(_get(client, f"{base}/out-of-credit"))
        problem = info.value
        assert isinstance(problem, ClientError)
        assert not isinstance(problem, (ServerError, Retryable))
        assert problem.balance == 30
        assert problem.accounts == ["/account/12345", "/account/67890"]
        assert problem.status == 403
        assert problem.title == "You do not have enough credit."
        assert problem.detail == "Your current balance is 30, but that costs 50."
        assert problem.instance == "/account/12345/msgs/abc"
        assert problem.flow_id == "flow-abc-123"
        assert problem.http.method == "GET"
        assert problem.http.url == f"{base}/out-of-credit"
        assert problem.http.media_type == "application/problem+json"
        assert problem.http.body is None
        assert problem == OutOfCredit(
            balance=30,
            accounts=["/account/12345", "/account/67890"],
            detail="Your current balance is 30, but that costs 50.",
            instance="/account/12345/msgs/abc",
        )

    @pytest.mark.parametrize("client", CLIENTS)
    def test_message_has_what_support_needs(self, base, client):
        """str() names status, title, detail, method, URL and the flow id."""
        problem = problem_from_response(_get(client, f"{base}/out-of-credit"))
        assert str(problem) == (
            "403 You do not have enough credit.: Your current balance is 30, but that costs 50. "
            f"[GET {base}/out-of-credit; flow_id=flow-abc-123]"
        )

    def test_builtin_validation_problem(self, base):
        """The built-in ValidationProblem comes back with its typed errors."""
        with pytest.raises(ValidationProblem) as info:
            raise_for_problem(httpx.get(f"{base}/validation"))
        assert isinstance(info.value, ClientError)
        assert [(e.detail, e.pointer) for e in info.value.errors] == [("must be positive", "#/age")]

    def test_xml_problem(self, base):
        """An application/problem+xml body is read too, typed members converted."""
        with pytest.raises(OutOfCredit) as info:
            raise_for_problem(requests.get(f"{base}/out-of-credit-xml", timeout=10))
        assert info.value.balance == 30
        assert info.value.accounts == ["/account/12345"]
        assert info.value.http.media_type == "application/problem+xml"

    def test_relative_type_resolved_against_the_request_url(self, base):
        """A relative type URI is resolved against the response URL (RFC 9457 3.1.1)."""
        problem = problem_from_response(httpx.get(f"{base}/relative-type"))
        assert type(problem) is ClientError
        assert problem.type == f"{base}/probs/out-of-credit"
        assert problem.extensions == {"balance": 5, "accounts": []}

    def test_relative_type_matches_a_relative_declaration(self, base):
        """A relative type resolving to a declared relative type finds its class."""
        with pytest.raises(RelativeOutOfCredit) as info:
            raise_for_problem(httpx.get(f"{base}/probs/client/elsewhere"))
        assert info.value.balance == 5
        assert info.value.type == "/probs/client/relative"

    def test_unknown_type_keeps_every_member(self, base):
        """An unregistered type gives the generic group class with every member."""
        with pytest.raises(ClientError) as info:
            raise_for_problem(requests.get(f"{base}/unknown-type", timeout=10))
        problem = info.value
        assert type(problem) is ClientError
        assert problem.type == "https://example.com/probs/client/unknown"
        assert (problem.status, problem.title, problem.detail) == (409, "Conflict", "already there")
        assert problem.flow_id == "f-1"
        assert problem.extensions == {"existing": "/things/1"}

    def test_success_passes_through(self, base):
        """A 2xx response is returned as it is, for chaining."""
        assert raise_for_problem(httpx.get(f"{base}/ok")).json() == {"ok": True}
        assert problem_from_response(requests.get(f"{base}/ok", timeout=10)) is None

    def test_received_problem_pickles(self, base):
        """A received problem survives pickling with its class and exchange."""
        problem = problem_from_response(httpx.get(f"{base}/out-of-credit"))
        copy = pickle.loads(pickle.dumps(problem))  # noqa: S301 - our own object
        assert type(copy) is type(problem)
        assert copy == problem
        assert copy.http == problem.http


class TestAssertProblem:
    """assert_problem with real HTTP clients."""

    @pytest.mark.parametrize("client", CLIENTS)
    def test_passes(self, base, client):
        """The server's problem is what the test expects."""
        problem = assert_problem(
            _get(client, f"{base}/out-of-credit"),
            type=OutOfCredit,
            status=403,
            balance=30,
            accounts=["/account/12345", "/account/67890"],
            flow_id="flow-abc-123",
        )
        assert problem.balance == 30

    def test_fails_on_an_html_page(self, base):
        """A proxy's HTML page is no problem response."""
        with pytest.raises(AssertionError, match=r"media type: expected application/problem\+json"):
            assert_problem(requests.get(f"{base}/html-502", timeout=10), status=502)


class TestNonProblemResponses:
    """Error responses without a usable problem become about:blank problems."""

    @pytest.mark.parametrize("client", CLIENTS)
    def test_html_502_from_a_proxy(self, base, client):
        """An HTML 502 is a retryable server error with a capped excerpt of the page."""
        with pytest.raises(RetryableServerError) as info:
            raise_for_problem(_get(client, f"{base}/html-502"))
        problem = info.value
        assert (problem.type, problem.status, problem.title) == ("about:blank", 502, "Bad Gateway")
        assert problem.flow_id == "proxy-flow-1"
        assert problem.http.media_type == "text/html"
        assert problem.http.body is not None
        assert problem.http.body.startswith("<html><body><h1>502 Bad Gateway</h1>xxx")
        assert len(problem.http.body) == 2048

    @pytest.mark.parametrize("client", CLIENTS)
    def test_empty_503(self, base, client):
        """An empty 503 keeps its status; there is no body to keep."""
        problem = problem_from_response(_get(client, f"{base}/empty-503"))
        assert type(problem) is RetryableServerError
        assert (problem.status, problem.title, problem.http.body) == (
            503,
            "Service Unavailable",
            None,
        )

    @pytest.mark.parametrize(
        ("path", "status", "reason"),
        [("/oversized", 500, "size"), ("/deep", 400, "depth"), ("/malformed", 500, "json")],
    )
    @pytest.mark.parametrize("client", CLIENTS)
    def test_broken_documents(self, base, client, path, status, reason):
        """Oversized, deep and malformed documents give a generic problem, caused by the error."""
        problem = problem_from_response(_get(client, base + path))
        assert problem is not None
        assert (problem.type, problem.status) == ("about:blank", status)
        assert isinstance(problem.__cause__, ProblemParseError)
        assert problem.__cause__.reason == reason
        assert problem.http.body is not None
        assert len(problem.http.body) <= 2048

    def test_wrong_typed_members_are_ignored(self, base):
        """Members of the wrong JSON type are ignored (RFC 9457 3.1); the rest is kept."""
        problem = problem_from_response(requests.get(f"{base}/wrong-types", timeout=10))
        assert type(problem) is ClientError  # balance is required and arrived as a string
        assert problem.status == 403
        assert problem.title is None
        assert problem.detail is None
        assert problem.type == "https://example.com/probs/client/out-of-credit"
        assert problem.extensions == {"balance": "30", "accounts": ["/a"]}

    def test_http_status_wins_over_the_status_member(self, base):
        """The status member is advisory: the HTTP status decides."""
        problem = problem_from_response(httpx.get(f"{base}/status-disagrees"))
        assert type(problem) is ClientError
        assert problem.status == 404

    def test_requests_streamed_body_is_not_read_whole(self, base):
        """A streamed requests response is read only to the limit, then closed."""
        response = requests.get(f"{base}/oversized", stream=True, timeout=10)
        problem = problem_from_response(response)
        assert problem is not None
        assert problem.__cause__.reason == "size"
        assert response.raw.closed

    def test_streamed_oversized_body_is_not_read_whole(self, base):
        """A streamed httpx response is read only to the limit, then closed."""
        with httpx.stream("GET", f"{base}/oversized") as response:
            problem = problem_from_response(response)
            assert response.is_closed
        assert problem is not None
        assert problem.__cause__.reason == "size"


class TestRequestsRetries:
    """requests with the policy's urllib3 Retry."""

    def test_recovers_after_failures(self, session, base):
        """Two 503s, then success: the caller only sees the success."""
        response = session.get(_flaky(base, fail=2), timeout=10)
        assert response.status_code == 200
        assert response.json() == {"tries": 3}

    def test_exhausted_raises_the_last_problem_with_attempts(self, session, base):
        """When the attempts are spent, the last problem is raised, counting them."""
        with pytest.raises(RetryableServerError) as info:
            raise_for_problem(session.get(_flaky(base, fail=5), timeout=10))
        problem = info.value
        assert problem.detail == "try 3 failed"
        assert problem.http.attempts == 3
        assert str(problem).endswith("; after 3 attempts]")
        assert "[GET http://127.0.0.1:" in str(problem)
        assert "/flaky?...;" in str(problem)

    def test_500_is_retried_once(self, session, base):
        """A 500 is retried once only."""
        with pytest.raises(ServerError) as info:
            raise_for_problem(session.get(_flaky(base, fail=5, status=500), timeout=10))
        assert info.value.detail == "try 2 failed"
        assert info.value.http.attempts == 2

    def test_post_is_not_retried(self, session, base):
        """A non-idempotent request is not retried, and its problem is not Retryable."""
        with pytest.raises(ServerError) as info:
            raise_for_problem(session.post(_flaky(base, fail=1), timeout=10))
        assert not isinstance(info.value, Retryable)
        assert info.value.detail == "try 1 failed"
        assert info.value.http.attempts == 1

    def test_retry_after_seconds_is_honoured(self, session, base):
        """Retry-After: 1 makes the retry wait a second."""
        started = time.monotonic()
        response = session.get(_flaky(base, fail=1, retry_after=1), timeout=10)
        assert response.status_code == 200
        assert time.monotonic() - started >= 1.0

    def test_too_long_retry_after_gives_up_at_once(self, session, base):
        """A Retry-After beyond max_retry_after is not waited for: the problem says when."""
        started = time.monotonic()
        with pytest.raises(RetryableServerError) as info:
            raise_for_problem(session.get(_flaky(base, fail=1, retry_after=3600), timeout=10))
        assert time.monotonic() - started < 1.0
        assert info.value.http.retry_after == 3600.0
        assert info.value.http.attempts == 1


class TestRetryAfterBeyondReason:
    """A Retry-After no sleep can honour gives up at once, even when any wait is allowed."""

    #: Honours any Retry-After: only the longest wait a client makes still limits it.
    PATIENT = RetryPolicy(
        attempts=3, backoff_base=0.01, jitter=0, timeout=None, max_retry_after=float("inf")
    )

    def test_requests(self, base):
        """requests with the policy's urllib3 Retry raises the problem instead of OverflowError."""
        with requests.Session() as session:
            session.mount("http://", HTTPAdapter(max_retries=urllib3_retry(self.PATIENT)))
            started = time.monotonic()
            response = session.get(_flaky(base, fail=1, retry_after=9999999999), timeout=10)
        assert time.monotonic() - started < 1.0
        with pytest.raises(RetryableServerError) as info:
            raise_for_problem(response)
        assert info.value.http.retry_after == 9999999999.0
        assert info.value.http.attempts == 1

    def test_httpx(self, base):
        """The httpx retry transport raises the problem instead of OverflowError."""
        hooks = {"response": [raise_for_problem]}
        with (
            httpx.Client(transport=retry_transport(self.PATIENT), event_hooks=hooks) as client,
            pytest.raises(RetryableServerError) as info,
        ):
            client.get(_flaky(base, fail=1, retry_after=9999999999))
        assert info.value.http.retry_after == 9999999999.0
        assert info.value.http.attempts == 1


class TestHttpxRetries:
    """httpx with the retry transport and raise_for_problem as an event hook."""

    def test_sync_transport_and_hook(self, base):
        """The sync transport retries; the hook raises the last problem with attempts."""
        with httpx.Client(
            transport=retry_transport(QUICK), event_hooks={"response": [raise_for_problem]}
        ) as client:
            assert client.get(_flaky(base, fail=2)).json() == {"tries": 3}
            with pytest.raises(RetryableClientError) as info:
                client.get(_flaky(base, fail=5, status=429))
        assert info.value.status == 429
        assert info.value.http.attempts == 3

    def test_retry_after_http_date_is_honoured(self, base):
        """Retry-After as an HTTP-date makes the retry wait until then."""
        started = time.monotonic()
        with httpx.Client(transport=retry_transport(QUICK)) as client:
            response = client.get(_flaky(base, fail=1, retry_after="date"))
        assert response.status_code == 200
        assert time.monotonic() - started >= 0.9

    def test_async_transport_and_hook(self, base):
        """The async transport retries; the async hook raises the last problem."""

        async def scenario() -> tuple[object, ReceivedProblem]:
            async with httpx.AsyncClient(
                transport=async_retry_transport(QUICK),
                event_hooks={"response": [araise_for_problem]},
            ) as client:
                recovered = (await client.get(_flaky(base, fail=2))).json()
                try:
                    await client.get(_flaky(base, fail=5))
                except RetryableServerError as problem:
                    return recovered, problem
            raise AssertionError("no problem raised")

        recovered, problem = asyncio.run(scenario())
        assert recovered == {"tries": 3}
        assert problem.detail == "try 3 failed"
        assert problem.http.attempts == 3

    def test_async_typed_problem(self, base):
        """An unread async response is read with the async function and typed."""

        async def scenario() -> None:
            async with (
                httpx.AsyncClient() as client,
                client.stream("GET", f"{base}/out-of-credit") as response,
            ):
                with pytest.raises(TypeError, match="araise_for_problem"):
                    raise_for_problem(response)
                await araise_for_problem(response)

        with pytest.raises(OutOfCredit) as info:
            asyncio.run(scenario())
        assert info.value.balance == 30


class TestLibraryRetries:
    """stamina and tenacity doing the retrying, the policy deciding."""

    def test_stamina_retry(self, base):
        """stamina retries as the policy says and the last problem counts attempts."""
        calls: list[str] = []

        @stamina_retry(QUICK)
        def fetch(url: str) -> object:
            calls.append(url)
            return raise_for_problem(httpx.get(url)).json()

        assert fetch(_flaky(base, fail=1)) == {"tries": 2}
        with pytest.raises(RetryableServerError) as info:
            fetch(_flaky(base, fail=5))
        assert info.value.http.attempts == 3
        assert len(calls) == 5

    def test_stamina_retry_async(self, base):
        """The stamina decorator retries coroutines too."""

        @stamina_retry(QUICK)
        async def fetch(url: str) -> object:
            async with httpx.AsyncClient() as client:
                response = await araise_for_problem(await client.get(url))
            return response.json()

        assert asyncio.run(fetch(_flaky(base, fail=2))) == {"tries": 3}

    def test_tenacity(self, base):
        """tenacity retries as the policy says and re-raises the last problem."""

        @tenacity.retry(**tenacity_kwargs(QUICK))
        def fetch(url: str) -> object:
            return raise_for_problem(requests.get(url, timeout=10)).json()

        assert fetch(_flaky(base, fail=2)) == {"tries": 3}
        with pytest.raises(ServerError) as info:
            fetch(_flaky(base, fail=5, status=500))
        assert info.value.http.attempts == 2

    def test_tenacity_honours_retry_after(self, base):
        """The wait tenacity uses is the server's Retry-After."""

        @tenacity.retry(**tenacity_kwargs(QUICK))
        def fetch(url: str) -> object:
            return raise_for_problem(httpx.get(url)).json()

        started = time.monotonic()
        assert fetch(_flaky(base, fail=1, retry_after=1)) == {"tries": 2}
        assert time.monotonic() - started >= 1.0
