"""The Django adapter through the test client (WSGI) and the async client (ASGI)."""

from __future__ import annotations

import asyncio
import io
import json
import logging
import os
import re
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import django
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import got_request_exception
from django.http import (
    FileResponse,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.test import AsyncClient, Client, override_settings
from django.test.client import encode_multipart
from django.utils import translation

os.environ["DJANGO_SETTINGS_MODULE"] = "django_project.settings"
django.setup()

from django_project.middleware import MiddlewareFailure  # noqa: E402
from django_project.views import CLOSED, EVENTS, EVENTS_LIMIT, GIVEN, PRIVATE  # noqa: E402
from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from strategies import leaks, secret_exceptions  # noqa: E402

from problemdetails import ErrorReport, InternalError, Problem, ProblemHandler  # noqa: E402
from problemdetails.adapters.django import (  # noqa: E402
    ProblemDetailsMiddleware,
    get_handler,
    problem_response,
)

TESTS = Path(__file__).parent
GENERATED = re.compile(r"[0-9a-f]{32}")
INTERNAL_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)
# What SecurityMiddleware adds to every response of the test project.
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cross-Origin-Opener-Policy": "same-origin",
}
LOCALE_MIDDLEWARE = [
    "problemdetails.adapters.django.ProblemDetailsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
]


def assert_logged(record: logging.LogRecord, error: BaseException) -> None:
    """Assert *record* carries *error*, or the stand-in for one log handlers cannot format."""
    assert record.exc_info is not None
    logged = record.exc_info[1]
    if logged is not error:
        assert type(logged).__name__ == "_UnformattableError"
        assert type(error).__qualname__ in str(logged)


class Streamed:
    """A response and its body as a client reads it: the chunks, then what was raised, if any."""

    def __init__(self, response: Any, chunks: list[bytes], error: Exception | None) -> None:
        self.response = response
        self.chunks = chunks
        self.error = error

    @property
    def body(self) -> bytes:
        return b"".join(self.chunks)


def _read(response: Any) -> tuple[list[bytes], Exception | None]:
    chunks: list[bytes] = []
    try:
        chunks.extend(response.streaming_content if response.streaming else [response.content])
    except Exception as error:  # what the client sees
        return chunks, error
    return chunks, None


async def _aread(response: Any) -> tuple[list[bytes], Exception | None]:
    if not (response.streaming and response.is_async):
        return _read(response)
    chunks: list[bytes] = []
    try:
        async for chunk in response.streaming_content:
            chunks.append(chunk)  # noqa: PERF401 - what arrived before an exception counts
    except Exception as error:  # what the client sees
        return chunks, error
    return chunks, None


class Fetch:
    """Requests through the test client (WSGI) or the async client (ASGI)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind

    def __call__(
        self,
        method: str,
        path: str,
        *,
        raise_exceptions: bool = False,
        **kwargs: Any,
    ) -> HttpResponse:
        return self.stream(method, path, raise_exceptions=raise_exceptions, **kwargs).response

    def stream(
        self, method: str, path: str, *, raise_exceptions: bool = False, **kwargs: Any
    ) -> Streamed:
        """Make a request and read its whole body, streamed or not, as a client would."""
        if self.kind == "asgi":
            client: Any = AsyncClient(raise_request_exception=raise_exceptions)

            async def fetch() -> Streamed:
                # Read in the loop that made it: asyncio.run() closes async generators.
                response = await getattr(client, method)(path, **kwargs)
                return Streamed(response, *await _aread(response))

            return asyncio.run(fetch())
        client = Client(raise_request_exception=raise_exceptions)
        response = getattr(client, method)(path, **kwargs)
        return Streamed(response, *_read(response))

    def get(self, path: str, **kwargs: Any) -> HttpResponse:
        return self("get", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> HttpResponse:
        return self("post", path, **kwargs)


@pytest.fixture(name="fetch", params=["wsgi", "asgi"])
def _fetch(request: pytest.FixtureRequest) -> Fetch:
    """Each test runs under the WSGI test client and under the ASGI async client."""
    return Fetch(request.param)


@pytest.fixture(name="view", params=["sync", "async"])
def _view(request: pytest.FixtureRequest) -> str:
    """The URL prefix of the sync or the async form of a view."""
    return "/" if request.param == "sync" else "/async/"


@pytest.fixture(name="records")
def _records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every log record, from every logger."""
    caplog.set_level(logging.DEBUG)
    return caplog


@pytest.fixture(name="signals")
def _signals() -> Iterator[list[BaseException | None]]:
    """The exceptions current when got_request_exception was sent, in order."""
    sent: list[BaseException | None] = []

    def receiver(**kwargs: object) -> None:
        sent.append(sys.exc_info()[1])

    got_request_exception.connect(receiver, dispatch_uid="test-django-signals")
    yield sent
    got_request_exception.disconnect(dispatch_uid="test-django-signals")


def body(response: HttpResponse) -> dict[str, Any]:
    assert response["Content-Type"] == "application/problem+json"
    result: dict[str, Any] = json.loads(response.content)
    return result


def flow_id(response: HttpResponse) -> str:
    value = response["X-Flow-ID"]
    assert GENERATED.fullmatch(value)
    return value


def about_blank(status: int, title: str, response: HttpResponse) -> dict[str, Any]:
    return {"type": "about:blank", "title": title, "status": status, "flow_id": flow_id(response)}


def errors_of(records: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in records.records if record.levelno >= logging.ERROR]


class TestRaisedProblems:
    """A problem raised in a view renders as itself."""

    def test_declared_problem(self, fetch: Fetch, view: str):
        """Status, media type, flow id header and every member, in RFC order."""
        response = fetch.get(f"{view}raise/problem/")
        assert response.status_code == 403
        assert dict(response.headers) == {
            "Content-Type": "application/problem+json",
            "Vary": "Accept",
            "X-Flow-ID": flow_id(response),
            "Content-Length": str(len(response.content)),
            **SECURITY_HEADERS,
        }
        assert response.content == (
            b'{"type":"https://testproject.example/problems/out-of-credit",'
            b'"title":"You do not have enough credit.","status":403,'
            b'"detail":"Your current balance is 30, but that costs 50.",'
            b'"flow_id":"' + flow_id(response).encode() + b'",'
            b'"balance":30,"accounts":["/account/12345","/account/67890"]}'
        )

    def test_problem_headers(self, fetch: Fetch, view: str):
        """A problem's own headers (Retry-After) reach the response."""
        response = fetch.get(f"{view}raise/retry/")
        assert response.status_code == 503
        assert response["Retry-After"] == "120"
        assert body(response) == {
            **about_blank(503, "Service Unavailable", response),
            "detail": "Down for maintenance.",
            "retry_after": 120,
        }

    def test_raised_5xx_logged_once(
        self,
        fetch: Fetch,
        records: pytest.LogCaptureFixture,
        signals: list[BaseException | None],
    ):
        """A 5xx problem raised on purpose is one WARNING record, no ERROR, and no signal."""
        response = fetch.get("/raise/retry/", raise_exceptions=True)
        (record,) = [r for r in records.records if r.levelno >= logging.WARNING]
        assert (record.name, record.levelno) == ("django.request", logging.WARNING)
        assert record.getMessage() == (
            f"GET /raise/retry/ answered with a 503 problem about:blank "
            f"(flow id {flow_id(response)})"
        )
        assert record.flow_id == flow_id(response)
        assert signals == []


TITLES = {400: "Bad Request", 403: "Forbidden", 404: "Not Found", 500: "Internal Server Error"}


class TestDjangoExceptions:
    """Django's exceptions become about:blank problems with Django's status."""

    @pytest.mark.parametrize(
        ("name", "status"),
        [
            ("http404", 404),
            ("permission-denied", 403),
            ("bad-request", 400),
            ("multipart", 400),
            ("suspicious-operation", 400),
            ("disallowed-host", 400),
            ("disallowed-redirect", 400),
            ("suspicious-file-operation", 400),
            ("suspicious-multipart-form", 400),
            ("suspicious-session", 400),
            ("request-data-too-big", 400),
            ("too-many-fields-sent", 400),
            ("too-many-files-sent", 400),
            ("unprintable-suspicion", 400),
        ],
    )
    def test_status(self, fetch: Fetch, view: str, name: str, status: int):
        """The status Django gives it, the status phrase as title, and no message."""
        response = fetch.get(f"{view}raise/{name}/", raise_exceptions=True)
        assert response.status_code == status
        assert body(response) == about_blank(status, TITLES[status], response)
        assert PRIVATE.encode() not in response.content

    def test_suspicious_logged_on_security_logger(
        self, fetch: Fetch, records: pytest.LogCaptureFixture
    ):
        """A SuspiciousOperation is logged on django.security.<name>, as Django does, once."""
        response = fetch.get("/raise/disallowed-redirect/")
        warnings_and_up = [r for r in records.records if r.levelno >= logging.WARNING]
        (record,) = warnings_and_up
        assert record.name == "django.security.DisallowedRedirect"
        assert record.levelno == logging.ERROR
        assert record.getMessage() == PRIVATE
        assert record.status_code == 400
        assert record.request.path == "/raise/disallowed-redirect/"
        assert response.status_code == 400

    def test_client_error_logged_by_django(self, fetch: Fetch, records: pytest.LogCaptureFixture):
        """A 4xx keeps Django's WARNING on django.request and adds only a DEBUG record."""
        response = fetch.get("/raise/permission-denied/")
        levels = [(r.name, r.levelno) for r in records.records if r.name.startswith("django")]
        assert levels == [("django.request", logging.DEBUG), ("django.request", logging.WARNING)]
        assert records.records[-1].getMessage() == "Forbidden: /raise/permission-denied/"
        assert response.status_code == 403


class TestRealSuspiciousRequests:
    """Requests past Django's limits, as a client would send them."""

    def test_too_many_fields(self, fetch: Fetch):
        """More query fields than DATA_UPLOAD_MAX_NUMBER_FIELDS: 400, as Django answers."""
        response = fetch.get("/query/", data={f"field{i}": "x" for i in range(11)})
        assert response.status_code == 400
        assert body(response) == about_blank(400, "Bad Request", response)

    def test_body_too_big(self, fetch: Fetch):
        """A form body over DATA_UPLOAD_MAX_MEMORY_SIZE: 400, as Django answers (not 413)."""
        response = fetch.post("/body/", data={"text": "x" * 2048})
        assert response.status_code == 400
        assert body(response) == about_blank(400, "Bad Request", response)

    def test_too_many_files(self, fetch: Fetch, records: pytest.LogCaptureFixture):
        """More files than DATA_UPLOAD_MAX_NUMBER_FILES: 400, logged on django.security."""
        files = {f"file{i}": SimpleUploadedFile(f"f{i}.txt", b"content") for i in range(3)}
        response = fetch.post(
            "/body/",
            data=encode_multipart("BoUnDaRy", files),
            content_type="multipart/form-data; boundary=BoUnDaRy",
        )
        assert response.status_code == 400
        assert body(response) == about_blank(400, "Bad Request", response)
        names = [r.name for r in records.records if r.levelno >= logging.WARNING]
        assert names == ["django.security.TooManyFilesSent"]


class TestValidationError:
    """ValidationError becomes a validation problem whose errors point at the fields."""

    def test_error_dict(self, fetch: Fetch, view: str):
        """Field errors point at their field (escaped); non-field errors have no pointer."""
        response = fetch.get(f"{view}raise/validation/")
        assert response.status_code == 422
        assert body(response) == {
            "type": "urn:problemdetails:validation-error",
            "title": "Your request is not valid.",
            "status": 422,
            "flow_id": flow_id(response),
            "errors": [
                {"detail": "Enter a valid email address.", "pointer": "#/email"},
                {"detail": "Ensure this value is greater than or equal to 18.", "pointer": "#/age"},
                {"detail": "Odd name.", "pointer": "#/a~1b~0c"},
                {"detail": "Passwords do not match."},
            ],
        }

    def test_single_message_with_params(self, fetch: Fetch):
        """A single message is rendered with its params and has no pointer."""
        response = fetch.get("/raise/validation-message/")
        assert body(response)["errors"] == [{"detail": "Start must be before 2024-01-01."}]

    def test_message_list(self, fetch: Fetch):
        """A list of messages gives one error each."""
        response = fetch.get("/raise/validation-list/")
        assert body(response)["errors"] == [{"detail": "First."}, {"detail": "Second."}]

    def test_form_errors(self, fetch: Fetch):
        """A Django form's errors, raised as ValidationError(form.errors.as_data())."""
        response = fetch.post("/sign-up/", data={"email": "nope", "age": "12"})
        assert response.status_code == 422
        assert body(response)["errors"] == [
            {"detail": "Enter a valid email address.", "pointer": "#/email"},
            {"detail": "Ensure this value is greater than or equal to 18.", "pointer": "#/age"},
        ]

    def test_form_errors_translated(self, fetch: Fetch):
        """Django's own messages come in the active language."""
        with override_settings(MIDDLEWARE=LOCALE_MIDDLEWARE, ROOT_URLCONF="django_project.urls"):
            response = fetch.post(
                "/sign-up/", data={"email": "nope"}, headers={"Accept-Language": "de"}
            )
        assert body(response)["errors"] == [
            {"detail": "Bitte gültige E-Mail-Adresse eingeben.", "pointer": "#/email"},
            {"detail": "Dieses Feld ist zwingend erforderlich.", "pointer": "#/age"},
        ]


class TestUnexpectedErrors:
    """Anything else is the generic 500: it never leaks, and Django's listeners still hear of it."""

    @pytest.mark.parametrize("debug", [False, True])
    def test_generic_500(self, fetch: Fetch, view: str, debug: bool):
        """Fixed text and the flow id, whatever DEBUG says."""
        with override_settings(DEBUG=debug):
            response = fetch.get(f"{view}raise/unexpected/")
        assert response.status_code == 500
        assert body(response) == {
            **about_blank(500, "Internal Server Error", response),
            "detail": INTERNAL_DETAIL,
        }
        assert PRIVATE.encode() not in response.content

    def test_library_debug_shows_exception(self, fetch: Fetch):
        """The library's own DEBUG setting adds the exception and its traceback."""
        with override_settings(PROBLEMDETAILS={"DEBUG": True}):
            response = fetch.get("/raise/unexpected/")
        document = body(response)
        assert document["detail"] == f"RuntimeError: {PRIVATE}"
        assert any("raise exception" in line for line in document["traceback"])

    def test_one_error_record(self, fetch: Fetch, view: str, records: pytest.LogCaptureFixture):
        """Exactly one ERROR record: on django.request, with the exception and the flow id."""
        response = fetch.get(f"{view}raise/unexpected/")
        (record,) = errors_of(records)
        assert record.name == "django.request"
        assert isinstance(record.exc_info[1], RuntimeError)
        assert record.flow_id == flow_id(response)
        assert record.getMessage() == (
            f"GET {view}raise/unexpected/ failed with RuntimeError: answered with a 500 problem "
            f"(flow id {flow_id(response)})"
        )

    def test_signal_sent_once(self, fetch: Fetch, view: str, signals: list[BaseException | None]):
        """got_request_exception is sent once, while the exception is current (Sentry reads it)."""
        fetch.get(f"{view}raise/unexpected/")
        (current,) = signals
        assert isinstance(current, RuntimeError)
        assert str(current) == PRIVATE

    def test_test_client_reraises(self, fetch: Fetch):
        """Django's test clients re-raise it, as they do without the middleware."""
        with pytest.raises(RuntimeError, match=PRIVATE):
            fetch.get("/raise/unexpected/", raise_exceptions=True)

    def test_no_signal_for_problems(self, fetch: Fetch, signals: list[BaseException | None]):
        """Problems and Django's 4xx exceptions are not unexpected: no signal."""
        for name in ("problem", "retry", "http404", "validation", "disallowed-host"):
            fetch.get(f"/raise/{name}/", raise_exceptions=True)
        assert signals == []

    def test_debug_propagate_exceptions(
        self, fetch: Fetch, signals: list[BaseException | None], records: pytest.LogCaptureFixture
    ):
        """With DEBUG_PROPAGATE_EXCEPTIONS the exception propagates, as in plain Django.

        Django sends the signal (once per middleware layer it passes) and logs nothing.
        """
        with override_settings(DEBUG_PROPAGATE_EXCEPTIONS=True), pytest.raises(RuntimeError):
            fetch.get("/raise/unexpected/")
        assert signals
        assert all(isinstance(current, RuntimeError) for current in signals)
        assert errors_of(records) == []

    def test_failing_mapping(self, fetch: Fetch, signals: list[BaseException | None]):
        """A mapping that raises gives the generic 500 and counts as unexpected."""

        def broken(exception: BaseException) -> Problem:
            raise ValueError("mapping bug")

        with override_settings(PROBLEMDETAILS={"MAPPINGS": {RuntimeError: broken}}):
            response = fetch.get("/raise/unexpected/")
        assert body(response)["detail"] == INTERNAL_DETAIL
        assert len(signals) == 1

    def test_failing_mapping_runs_once(self, fetch: Fetch, records: pytest.LogCaptureFixture):
        """A mapping that raises is called once, and its failure is logged once, at ERROR."""
        calls: list[BaseException] = []

        def broken(exception: BaseException) -> Problem:
            calls.append(exception)
            raise ValueError("mapping bug")

        with override_settings(PROBLEMDETAILS={"MAPPINGS": {RuntimeError: broken}}):
            response = fetch.get("/raise/unexpected/")
        assert response.status_code == 500
        assert len(calls) == 1
        [record] = errors_of(records)
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], ValueError)

    def test_user_mapping(self, fetch: Fetch, throwaway_types: list[type[Problem]]):
        """MAPPINGS in PROBLEMDETAILS turn an exception into a declared problem."""

        class Conflict(Problem, type="https://example.com/conflict", title="Conflict", status=409):
            pass

        throwaway_types.append(Conflict)
        with override_settings(PROBLEMDETAILS={"MAPPINGS": {RuntimeError: Conflict}}):
            response = fetch.get("/raise/unexpected/")
        assert response.status_code == 409
        assert body(response)["type"] == "https://example.com/conflict"


# The pipeline logs every 500 with its traceback: on a logger of its own that
# lets nothing through, thousands of examples spend no time formatting them.
QUIET = {"LOGGER_NAME": "tests.django.quiet"}
logging.getLogger(QUIET["LOGGER_NAME"]).addHandler(logging.NullHandler())
logging.getLogger(QUIET["LOGGER_NAME"]).propagate = False
logging.getLogger(QUIET["LOGGER_NAME"]).setLevel(logging.CRITICAL)
ACCEPTS = st.sampled_from(["", "application/json", "application/problem+xml", "text/html"])


# Where an exception can be raised: a view, another middleware, a streamed body.
WHERE = st.sampled_from(
    ["/raise-given/", "/mw/view/given/", "/mw/response/given/", "/stream/given-at-0/"]
)


def assert_never_leaks(exception: BaseException, accept: str, path: str, *, debug: bool) -> None:
    GIVEN.append(exception)
    try:
        with override_settings(DEBUG=debug, PROBLEMDETAILS=QUIET):
            response: Any = Client(raise_request_exception=False).get(
                path, headers={"Accept": accept} if accept else {}
            )
            content = b"".join(response) if response.streaming else response.content
    finally:
        GIVEN.pop()
    assert response.status_code == 500
    assert not leaks(content)
    assert not any(leaks(f"{name}: {value}") for name, value in response.headers.items())


class TestNeverLeaksProperty:
    """Whatever an unexpected exception carries, and whatever DEBUG says, none of it leaks."""

    @pytest.mark.slow
    @given(exception=secret_exceptions(), accept=ACCEPTS, path=WHERE, debug=st.booleans())
    def test_secrets_never_leak(
        self, exception: BaseException, accept: str, path: str, debug: bool
    ):
        """No secret in message, args, notes, cause or context reaches the response.

        Raised in a view, in another middleware or by a streamed body. The
        'leaks' profile runs it for 10,000 exceptions.
        """
        assert_never_leaks(exception, accept, path, debug=debug)


class TestSentry:
    """Sentry's Django integration, for real, in a process of its own (it patches Django)."""

    def test_one_event_per_unexpected_error(self):
        """One event per unexpected error (in a view, a middleware, a streamed body); none else."""
        pytest.importorskip("sentry_sdk")
        paths = [
            "/raise/unexpected/",
            "/async/raise/unexpected/",
            "/raise/retry/",
            "/raise/http404/",
            "/mw/view/unexpected/",
            "/mw/view/http404/",
            "/stream/unexpected-at-0/",
        ]
        result = subprocess.run(
            [sys.executable, "-m", "django_project.sentry_probe", *paths],
            cwd=TESTS,
            env={**os.environ, "PYTHONPATH": str(TESTS)},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        unexpected = [{"type": "RuntimeError", "mechanism": "django"}]
        assert [
            (entry["path"], entry["kind"], entry["status"], entry["events"])
            for entry in json.loads(result.stdout)
        ] == [
            ("/raise/unexpected/", "wsgi", 500, unexpected),
            ("/raise/unexpected/", "asgi", 500, unexpected),
            ("/async/raise/unexpected/", "wsgi", 500, unexpected),
            ("/async/raise/unexpected/", "asgi", 500, unexpected),
            ("/raise/retry/", "wsgi", 503, []),
            ("/raise/retry/", "asgi", 503, []),
            ("/raise/http404/", "wsgi", 404, []),
            ("/raise/http404/", "asgi", 404, []),
            ("/mw/view/unexpected/", "wsgi", 500, unexpected),
            ("/mw/view/unexpected/", "asgi", 500, unexpected),
            ("/mw/view/http404/", "wsgi", 404, []),
            ("/mw/view/http404/", "asgi", 404, []),
            ("/stream/unexpected-at-0/", "wsgi", 500, unexpected),
            ("/stream/unexpected-at-0/", "asgi", 500, unexpected),
        ]


class TestDjangoErrorPages:
    """Error pages Django makes outside views are rewritten into problems."""

    @pytest.mark.parametrize("debug", [False, True])
    def test_unknown_url(self, fetch: Fetch, debug: bool):
        """A URL that matches no route: a 404 problem, never the debug page."""
        with override_settings(DEBUG=debug):
            response = fetch.get("/no/such/route/")
        assert response.status_code == 404
        assert dict(response.headers) == {
            "Content-Type": "application/problem+json",
            "Content-Length": str(len(response.content)),
            **SECURITY_HEADERS,
            "Vary": "Accept",
            "X-Flow-ID": flow_id(response),
        }
        assert body(response) == about_blank(404, "Not Found", response)

    def test_other_middleware_headers_kept(self, fetch: Fetch):
        """Headers other middleware set on Django's page stay, and Vary gains Accept."""
        response = fetch.get("/varied/no/such/route/")
        assert response.status_code == 404
        assert response["Content-Type"] == "application/problem+json"
        assert response["X-Set-By-Middleware"] == "kept"
        assert sorted(entry.strip() for entry in response["Vary"].split(",")) == [
            "Accept",
            "Cookie",
        ]

    def test_unknown_url_mapped(self, fetch: Fetch, throwaway_types: list[type[Problem]]):
        """A mapping for Http404 applies to unknown URLs too."""

        class NoSuchThing(Problem, type="https://example.com/none", title="None", status=404):
            pass

        throwaway_types.append(NoSuchThing)
        settings = {"MAPPINGS": {"django.http.Http404": NoSuchThing}}
        with override_settings(PROBLEMDETAILS=settings):
            response = fetch.get("/no/such/route/")
        assert body(response)["type"] == "https://example.com/none"

    def test_append_slash_still_redirects(self, fetch: Fetch):
        """CommonMiddleware's APPEND_SLASH redirect is left alone."""
        response = fetch.get("/ok")
        assert response.status_code == 301
        assert response["Location"] == "/ok/"

    def test_method_not_allowed(self, fetch: Fetch):
        """require_POST's 405 keeps its Allow header."""
        response = fetch.get("/post-only/")
        assert response.status_code == 405
        assert response["Allow"] == "POST"
        assert body(response) == about_blank(405, "Method Not Allowed", response)

    def test_gone(self, fetch: Fetch):
        """RedirectView's 410."""
        response = fetch.get("/gone/")
        assert body(response) == about_blank(410, "Gone", response)

    @pytest.mark.parametrize("debug", [False, True])
    def test_middleware_error(
        self,
        fetch: Fetch,
        debug: bool,
        records: pytest.LogCaptureFixture,
        signals: list[BaseException | None],
    ):
        """An exception in another middleware: the generic 500, logged once (by Django)."""
        with override_settings(DEBUG=debug):
            response = fetch.get("/middleware-error/")
        assert response.status_code == 500
        assert body(response) == {
            **about_blank(500, "Internal Server Error", response),
            "detail": INTERNAL_DETAIL,
        }
        assert b"secret-in-middleware" not in response.content
        (record,) = errors_of(records)
        assert record.name == "django.request"
        assert isinstance(record.exc_info[1], MiddlewareFailure)
        assert len(signals) == 1

    def test_middleware_error_reaches_hooks(self, fetch: Fetch):
        """The report hooks hear of that 500 too."""
        reports: list[ErrorReport] = []
        with override_settings(PROBLEMDETAILS={"REPORT_HOOKS": [reports.append]}):
            response = fetch.get("/middleware-error/")
        (report,) = reports
        assert report.problem == InternalError()
        assert report.flow_id == flow_id(response)
        assert report.request is not None
        assert report.request.path == "/middleware-error/"

    @pytest.mark.parametrize("debug", [False, True])
    def test_disallowed_host(self, fetch: Fetch, debug: bool, records: pytest.LogCaptureFixture):
        """A Host header not in ALLOWED_HOSTS (refused by CommonMiddleware): a 400 problem."""
        with override_settings(DEBUG=debug):
            response = fetch.get("/ok/", headers={"Host": "evil.example"})
        assert response.status_code == 400
        assert body(response) == about_blank(400, "Bad Request", response)
        assert b"evil.example" not in response.content
        names = [r.name for r in records.records if r.levelno >= logging.WARNING]
        assert names == ["django.security.DisallowedHost"]

    def test_body_too_big_for_csrf_middleware(self, records: pytest.LogCaptureFixture):
        """A body too big for CsrfViewMiddleware to read: Django's 400, rewritten, logged once."""
        client = Client(enforce_csrf_checks=True)
        client.cookies["csrftoken"] = "a" * 32
        response = client.post("/protected/", data={"text": "x" * 2048})
        assert response.status_code == 400
        assert body(response) == about_blank(400, "Bad Request", response)
        names = [r.name for r in records.records if r.levelno >= logging.WARNING]
        assert names == ["django.security.RequestDataTooBig"]

    def test_disallowed_host_and_instance_url(self, fetch: Fetch):
        """With INSTANCE = 'url', a Host header not allowed gives no instance, not a failure."""
        with override_settings(PROBLEMDETAILS={"INSTANCE": "url"}):
            response = fetch.get("/ok/", headers={"Host": "evil.example"})
        assert body(response) == about_blank(400, "Bad Request", response)

    def test_own_error_page_left_alone(self, fetch: Fetch):
        """A 404 page a view returns on purpose is not rewritten."""
        response = fetch.get("/html-not-found/")
        assert response.status_code == 404
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert response.content == b"<h1>A page of our own</h1>"


STAGES = ["request", "view", "response"]
# Django's exceptions raised outside a view, with the problem that answers them.
OUTSIDE = [
    ("http404", 404),
    ("permission-denied", 403),
    ("bad-request", 400),
    ("multipart", 400),
    ("suspicious-operation", 400),
    ("disallowed-host", 400),
    ("hostile-404", 404),
    ("hostile-permission-denied", 403),
    ("hostile-bad-request", 400),
    ("unprintable-suspicion", 400),
]
# What Django's own pages for them would show.
DJANGO_PAGE_TEXT = [b"<html", b"Page not found", b"URLconf", b"passed", b"mw/<str:stage>"]


def problem_headers(response: HttpResponse) -> dict[str, str]:
    """The headers of a problem response of the test project, whatever made it."""
    return {
        "Content-Type": "application/problem+json",
        "Content-Length": str(len(response.content)),
        "Vary": "Accept",
        "X-Flow-ID": flow_id(response),
        **SECURITY_HEADERS,
    }


class TestExceptionsOutsideViews:
    """An exception raised in another middleware is answered as a view's is, whatever DEBUG says.

    ``RaisingMiddleware`` raises it in ``process_request`` (before URL
    resolution), ``process_view`` (after it) or after the view returned.
    """

    @pytest.mark.parametrize("debug", [False, True])
    @pytest.mark.parametrize("stage", STAGES)
    @pytest.mark.parametrize(("name", "status"), OUTSIDE)
    def test_django_exceptions(self, fetch: Fetch, name: str, status: int, stage: str, debug: bool):
        """Each is the about:blank problem of its status; no trace of Django's page or message."""
        with override_settings(DEBUG=debug):
            response = fetch.get(f"/mw/{stage}/{name}/")
        assert response.status_code == status
        assert dict(response.headers) == problem_headers(response)
        assert body(response) == about_blank(status, TITLES[status], response)
        assert PRIVATE.encode() not in response.content

    @pytest.mark.parametrize("stage", ["view", "response"])
    def test_technical_404_page_never_shown(self, fetch: Fetch, view: str, stage: str):
        """With DEBUG on, an Http404 after URL resolution shows no message, view or URL pattern."""
        with override_settings(DEBUG=True):
            response = fetch.get(f"{view}mw/{stage}/http404/")
        assert response.status_code == 404
        assert dict(response.headers) == problem_headers(response)
        assert response.content == (
            b'{"type":"about:blank","title":"Not Found","status":404,"flow_id":"'
            + flow_id(response).encode()
            + b'"}'
        )
        assert not [text for text in DJANGO_PAGE_TEXT if text in response.content]

    @pytest.mark.parametrize("stage", STAGES)
    def test_declared_problem(self, fetch: Fetch, stage: str):
        """A problem raised in a middleware renders as itself, members and all."""
        response = fetch.get(f"/mw/{stage}/problem/")
        assert response.status_code == 403
        assert dict(response.headers) == problem_headers(response)
        assert body(response) == {
            "type": "https://testproject.example/problems/out-of-credit",
            "title": "You do not have enough credit.",
            "status": 403,
            "detail": "Your current balance is 30, but that costs 50.",
            "flow_id": flow_id(response),
            "balance": 30,
            "accounts": ["/account/12345", "/account/67890"],
        }

    @pytest.mark.parametrize("stage", STAGES)
    def test_validation_error(self, fetch: Fetch, stage: str):
        """A ValidationError raised in a middleware is the validation problem."""
        response = fetch.get(f"/mw/{stage}/validation-list/")
        assert response.status_code == 422
        assert body(response) == {
            "type": "urn:problemdetails:validation-error",
            "title": "Your request is not valid.",
            "status": 422,
            "flow_id": flow_id(response),
            "errors": [{"detail": "First."}, {"detail": "Second."}],
        }

    @pytest.mark.parametrize("debug", [False, True])
    @pytest.mark.parametrize("stage", STAGES)
    @pytest.mark.parametrize("name", ["unexpected", "hostile"])
    def test_unexpected(
        self,
        fetch: Fetch,
        name: str,
        stage: str,
        debug: bool,
        *,
        records: pytest.LogCaptureFixture,
        signals: list[BaseException | None],
    ):
        """The generic 500, one ERROR record with the flow id, one signal; nothing leaks."""
        with override_settings(DEBUG=debug):
            response = fetch.get(f"/mw/{stage}/{name}/")
        assert response.status_code == 500
        assert dict(response.headers) == problem_headers(response)
        assert body(response) == {
            **about_blank(500, "Internal Server Error", response),
            "detail": INTERNAL_DETAIL,
        }
        assert PRIVATE.encode() not in response.content
        (record,) = errors_of(records)
        assert (record.name, record.flow_id) == ("django.request", flow_id(response))
        (current,) = signals
        assert_logged(record, current)

    def test_client_error_logged_as_a_views(self, fetch: Fetch, records: pytest.LogCaptureFixture):
        """An Http404 from process_view: the pipeline's DEBUG record, Django's WARNING, no ERROR."""
        response = fetch.get("/mw/view/http404/")
        levels = [(r.name, r.levelno) for r in records.records if r.name.startswith("django")]
        assert levels == [("django.request", logging.DEBUG), ("django.request", logging.WARNING)]
        assert records.records[-1].getMessage() == "Not Found: /mw/view/http404/"
        assert response.status_code == 404

    @pytest.mark.parametrize("stage", STAGES)
    def test_suspicious_on_security_logger(
        self, fetch: Fetch, stage: str, records: pytest.LogCaptureFixture
    ):
        """A SuspiciousOperation from a middleware is logged on django.security.<name>, once."""
        response = fetch.get(f"/mw/{stage}/disallowed-redirect/")
        (record,) = [r for r in records.records if r.levelno >= logging.WARNING]
        assert (record.name, record.levelno) == (
            "django.security.DisallowedRedirect",
            logging.ERROR,
        )
        assert (record.status_code, record.request.path) == (
            400,
            f"/mw/{stage}/disallowed-redirect/",
        )
        assert response.status_code == 400

    def test_mappings_see_the_exception(self, fetch: Fetch, throwaway_types: list[type[Problem]]):
        """MAPPINGS apply to the exception itself, down to a subclass of Http404."""

        class Gone(Problem, type="https://example.com/gone", title="Gone for good", status=410):
            pass

        throwaway_types.append(Gone)
        settings = {"MAPPINGS": {"django_project.views.HostileNotFound": Gone}}
        with override_settings(PROBLEMDETAILS=settings):
            mapped = fetch.get("/mw/view/hostile-404/")
            plain = fetch.get("/mw/view/http404/")
        assert body(mapped) == {
            "type": "https://example.com/gone",
            "title": "Gone for good",
            "status": 410,
            "flow_id": flow_id(mapped),
        }
        assert body(plain) == about_blank(404, "Not Found", plain)

    def test_debug_propagate_exceptions(self, fetch: Fetch, signals: list[BaseException | None]):
        """With DEBUG_PROPAGATE_EXCEPTIONS an unexpected exception propagates, as in Django."""
        with override_settings(DEBUG_PROPAGATE_EXCEPTIONS=True), pytest.raises(RuntimeError):
            fetch.get("/mw/view/unexpected/")
        assert signals
        assert all(isinstance(current, RuntimeError) for current in signals)

    def test_test_client_reraises(self, fetch: Fetch):
        """Django's test clients re-raise an unexpected exception from a middleware, as usual."""
        with pytest.raises(RuntimeError, match=PRIVATE):
            fetch.get("/mw/view/unexpected/", raise_exceptions=True)

    def test_head(self, fetch: Fetch):
        """HEAD gets the problem's status and headers, and no body."""
        response = fetch("head", "/mw/view/http404/")
        assert response.status_code == 404
        assert dict(response.headers) == {
            "Content-Type": "application/problem+json",
            "Content-Length": response["Content-Length"],
            "Vary": "Accept",
            "X-Flow-ID": response["X-Flow-ID"],
            **SECURITY_HEADERS,
        }
        assert int(response["Content-Length"]) > 0
        assert response.content == b""

    def test_settings_broken_after_start(self):
        """If the middleware cannot answer (settings broken since start-up), Django's page stays."""
        client = Client()
        client.get("/ok/")  # the middleware is loaded, with good settings
        with override_settings(PROBLEMDETAILS={"DEBUG": "yes"}):
            response = client.get("/mw/view/http404/")
            streamed = client.get("/stream/unexpected-at-2/")
            with pytest.raises(RuntimeError, match=PRIVATE):
                b"".join(streamed.streaming_content)
        assert response.status_code == 404
        assert response["Content-Type"] == "text/html; charset=utf-8"

    def test_other_stacks_left_to_django(self, fetch: Fetch):
        """A request the middleware did not pass on keeps Django's own handling."""
        fetch.get("/ok/")  # the middleware is loaded
        middleware = ["django_project.middleware.RaisingMiddleware"]
        with override_settings(MIDDLEWARE=middleware, DEBUG=False):
            response = fetch.get("/mw/view/http404/")
        assert response.status_code == 404
        assert response["Content-Type"] == "text/html; charset=utf-8"
        assert b"<h1>Not Found</h1>" in response.content


# The streaming views: a sync iterator under WSGI and ASGI (Django's own
# sync-iterator-under-ASGI case), an async iterator under ASGI.
STREAMS = [("wsgi", "/"), ("asgi", "/"), ("asgi", "/async/")]
CHUNKS = [b"chunk 1\n", b"chunk 2\n", b"chunk 3\n"]


@pytest.fixture(name="streams", params=STREAMS, ids=["wsgi-sync", "asgi-sync", "asgi-async"])
def _streams(request: pytest.FixtureRequest) -> tuple[Fetch, str]:
    """A client, and the URL prefix of the streaming view it serves."""
    kind, prefix = request.param
    return Fetch(kind), f"{prefix}stream/"


@pytest.fixture(name="closed")
def _closed() -> Iterator[list[str]]:
    """The names of the streamed bodies closed during the test."""
    del CLOSED[:]
    yield CLOSED
    del CLOSED[:]


class TestStreamedBodies:
    """A streamed body that fails before its first chunk is answered; after it, it is cut short."""

    def test_success_untouched(self, streams: tuple[Fetch, str], closed: list[str]):
        """A body that does not fail streams as it is, chunk by chunk, and is closed once."""
        fetch, prefix = streams
        streamed = fetch.stream("get", f"{prefix}ok/")
        response = streamed.response
        assert response.status_code == 200
        assert dict(response.headers) == {"Content-Type": "text/plain", **SECURITY_HEADERS}
        assert (streamed.chunks, streamed.error) == (CHUNKS, None)
        assert closed == ["ok"]

    def test_same_response(self):
        """The view's streaming response goes on as the very same object, unbuffered."""
        sent = StreamingHttpResponse(iter(CHUNKS))
        response: Any = ProblemDetailsMiddleware(lambda _: sent)(HttpRequest())
        assert response is sent
        assert list(response.streaming_content) == CHUNKS

    def test_empty_body(self, streams: tuple[Fetch, str], closed: list[str]):
        """A body without chunks stays empty."""
        fetch, prefix = streams
        streamed = fetch.stream("get", f"{prefix}empty/")
        assert (streamed.response.status_code, streamed.body, streamed.error) == (200, b"", None)
        assert closed == ["empty"]

    @pytest.mark.parametrize("debug", [False, True])
    @pytest.mark.parametrize("name", ["unexpected", "hostile"])
    def test_fails_before_first_chunk(
        self,
        streams: tuple[Fetch, str],
        name: str,
        debug: bool,
        *,
        records: pytest.LogCaptureFixture,
        signals: list[BaseException | None],
        closed: list[str],
    ):
        """The generic 500 problem, logged once, one signal, the body closed; nothing leaks."""
        fetch, prefix = streams
        with override_settings(DEBUG=debug):
            streamed = fetch.stream("get", f"{prefix}{name}-at-0/")
        response = streamed.response
        assert response.status_code == 500
        assert dict(response.headers) == {
            "Content-Type": "application/problem+json",
            "Content-Length": str(len(streamed.body)),
            "Vary": "Accept",
            "X-Flow-ID": response["X-Flow-ID"],
            **SECURITY_HEADERS,
        }
        assert streamed.error is None
        assert json.loads(streamed.body) == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": INTERNAL_DETAIL,
            "flow_id": flow_id(response),
        }
        assert PRIVATE.encode() not in streamed.body
        (record,) = errors_of(records)
        assert (record.name, record.flow_id) == ("django.request", flow_id(response))
        assert record.getMessage().startswith(f"GET {prefix}{name}-at-0/ failed with ")
        (current,) = signals
        assert_logged(record, current)
        assert closed == [f"{name}-at-0"]

    def test_declared_problem_before_first_chunk(
        self,
        streams: tuple[Fetch, str],
        records: pytest.LogCaptureFixture,
        signals: list[BaseException | None],
    ):
        """A problem raised by the body renders as itself: no ERROR record, no signal."""
        fetch, prefix = streams
        streamed = fetch.stream("get", f"{prefix}problem-at-0/")
        assert streamed.response.status_code == 403
        document = json.loads(streamed.body)
        assert (document["type"], document["balance"]) == (
            "https://testproject.example/problems/out-of-credit",
            30,
        )
        assert errors_of(records) == []
        assert signals == []

    def test_suspicious_before_first_chunk(
        self, streams: tuple[Fetch, str], records: pytest.LogCaptureFixture
    ):
        """A SuspiciousOperation from the body: 400, logged on django.security.<name> only."""
        fetch, prefix = streams
        streamed = fetch.stream("get", f"{prefix}suspicious-operation-at-0/")
        assert streamed.response.status_code == 400
        assert json.loads(streamed.body) == {
            "type": "about:blank",
            "title": "Bad Request",
            "status": 400,
            "flow_id": flow_id(streamed.response),
        }
        names = [r.name for r in records.records if r.levelno >= logging.WARNING]
        assert names == ["django.security.SuspiciousOperation"]

    def test_library_debug_shows_exception(self, streams: tuple[Fetch, str]):
        """The library's own DEBUG setting adds the exception, as for a view's."""
        fetch, prefix = streams
        with override_settings(PROBLEMDETAILS={"DEBUG": True}):
            streamed = fetch.stream("get", f"{prefix}unexpected-at-0/")
        assert json.loads(streamed.body)["detail"] == f"RuntimeError: {PRIVATE}"

    def test_debug_propagate_exceptions(self, streams: tuple[Fetch, str]):
        """With DEBUG_PROPAGATE_EXCEPTIONS the exception propagates, as a view's does."""
        fetch, prefix = streams
        with override_settings(DEBUG_PROPAGATE_EXCEPTIONS=True), pytest.raises(RuntimeError):
            fetch.stream("get", f"{prefix}unexpected-at-0/")

    def test_test_client_reraises(self, streams: tuple[Fetch, str]):
        """Django's test clients re-raise it, as they do a view's."""
        fetch, prefix = streams
        with pytest.raises(RuntimeError, match=PRIVATE):
            fetch.stream("get", f"{prefix}unexpected-at-0/", raise_exceptions=True)

    @pytest.mark.parametrize(
        ("name", "sent"), [("unexpected", 2), ("hostile", 2), ("unexpected", 1)]
    )
    def test_cut_short_after_first_chunk(
        self,
        streams: tuple[Fetch, str],
        name: str,
        sent: int,
        *,
        records: pytest.LogCaptureFixture,
        signals: list[BaseException | None],
        closed: list[str],
    ):
        """The status has gone: the client gets the chunks before the failure, then it.

        It is logged once, at ERROR, with the request's facts; no signal (the
        response was Django's to send, and it was sent).
        """
        fetch, prefix = streams
        streamed = fetch.stream("get", f"{prefix}{name}-at-{sent}/")
        assert streamed.response.status_code == 200
        assert streamed.chunks == CHUNKS[:sent]
        assert type(streamed.error).__name__ == (
            "RuntimeError" if name == "unexpected" else "Hostile"
        )
        (record,) = errors_of(records)
        assert record.name == "django.request"
        assert_logged(record, streamed.error)
        kind = "RuntimeError" if name == "unexpected" else "django_project.views.Hostile"
        assert record.getMessage() == (
            f"GET {prefix}{name}-at-{sent}/: failed with {kind} after the response started; "
            f"it was cut short (flow id {record.flow_id})"
        )
        assert (record.method, record.path, record.status_code) == (
            "GET",
            f"{prefix}{name}-at-{sent}/",
            200,
        )
        assert signals == []
        assert closed == [f"{name}-at-{sent}"]

    @pytest.mark.parametrize("at", [0, 2])
    def test_unformattable_exception_logged(
        self, streams: tuple[Fetch, str], at: int, records: pytest.LogCaptureFixture
    ):
        """An exception the traceback module cannot format still leaves one formattable record."""
        fetch, prefix = streams
        fetch.stream("get", f"{prefix}unformattable-at-{at}/")
        (record,) = errors_of(records)
        text = logging.Formatter().format(record)
        assert "django_project.views.Unformattable" in text
        assert "could not be formatted" in text
        assert PRIVATE not in text

    @pytest.mark.parametrize(
        ("name", "status"), [("ok-close", 200), ("unexpected-at-0-close", 500)]
    )
    def test_close_that_raises(
        self,
        streams: tuple[Fetch, str],
        name: str,
        status: int,
        records: pytest.LogCaptureFixture,
        closed: list[str],
    ):
        """A body whose close() raises changes nothing: Django closes it, once, and goes on."""
        fetch, prefix = streams
        streamed = fetch.stream("get", f"{prefix}{name}/")
        assert (streamed.response.status_code, streamed.error) == (status, None)
        assert len(errors_of(records)) == (status == 500)
        assert closed == [name]

    def test_head(self, streams: tuple[Fetch, str]):
        """HEAD gets the problem's status and headers, and no body."""
        fetch, prefix = streams
        streamed = fetch.stream("head", f"{prefix}unexpected-at-0/")
        response = streamed.response
        assert response.status_code == 500
        assert response["Content-Type"] == "application/problem+json"
        assert int(response["Content-Length"]) > 0
        assert streamed.body == b""

    @pytest.mark.parametrize("stack", ["sync", "async"])
    def test_file_response_left_to_the_server(self, stack: str):
        """A FileResponse keeps its file for the server's file wrapper: nothing is read from it."""
        file = io.BytesIO(b"a file")
        sent = FileResponse(file)
        response: Any = asyncio.run(_through_middleware(sent, stack))
        assert response is sent
        assert response.file_to_stream is file
        assert file.tell() == 0

    def test_first_chunk_that_is_no_bytes(self):
        """A first chunk Django cannot turn into bytes (its str() raises) is answered too."""

        class Unprintable:
            def __str__(self) -> str:
                raise RuntimeError(PRIVATE)

        sent = StreamingHttpResponse(iter([Unprintable()]))
        with override_settings(PROBLEMDETAILS=QUIET):
            response: Any = ProblemDetailsMiddleware(lambda _: sent)(HttpRequest())
        assert response.status_code == 500
        body = b"".join(response.streaming_content)
        assert json.loads(body)["detail"] == INTERNAL_DETAIL
        assert PRIVATE.encode() not in body

    def test_body_kept_under_another_name(self):
        """A streaming response that keeps its iterator elsewhere is served through its API."""

        class OwnStorage(StreamingHttpResponse):
            @property
            def streaming_content(self) -> Any:
                return map(self.make_bytes, self.own)

            @streaming_content.setter
            def streaming_content(self, value: Any) -> None:
                self.own = iter(value)
                self.is_async = False

        served: Any = ProblemDetailsMiddleware(lambda _: OwnStorage(iter(CHUNKS)))(HttpRequest())
        assert list(served.streaming_content) == CHUNKS

        def failing() -> Iterator[bytes]:
            raise RuntimeError(PRIVATE)
            yield b""

        with override_settings(PROBLEMDETAILS=QUIET):
            failed: Any = ProblemDetailsMiddleware(lambda _: OwnStorage(failing()))(HttpRequest())
        assert failed.status_code == 500
        assert json.loads(b"".join(failed.streaming_content))["detail"] == INTERNAL_DETAIL

    @pytest.mark.parametrize("stack", ["sync", "async"])
    def test_other_streaming_classes_left_alone(self, stack: str):
        """A streaming response that is no StreamingHttpResponse passes through as it is."""

        class Streaming(HttpResponseBase):
            streaming = True

        sent = Streaming()
        assert asyncio.run(_through_middleware(sent, stack)) is sent

    @pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume asynchronous")
    @pytest.mark.parametrize(
        ("name", "status", "chunks"),
        [("ok", 200, CHUNKS), ("unexpected-at-0", 500, None), ("unexpected-at-2", 500, None)],
    )
    def test_async_body_on_a_sync_stack(self, name: str, status: int, chunks: list[bytes] | None):
        """Django reads an async body whole on a sync stack: a failure anywhere is answered."""
        streamed = Fetch("wsgi").stream("get", f"/async/stream/{name}/")
        assert streamed.response.status_code == status
        if chunks is None:
            assert json.loads(streamed.body)["detail"] == INTERNAL_DETAIL
        else:
            assert streamed.chunks == chunks


# A sync-only middleware after this one: Django runs this one in sync mode under ASGI too.
SYNC_MODE_MIDDLEWARE = [
    "problemdetails.adapters.django.ProblemDetailsMiddleware",
    "django_project.middleware.SyncOnlyMiddleware",
]


@pytest.fixture(name="events")
def _events() -> Iterator[list[int]]:
    """The events the event stream made during the test."""
    del EVENTS[:]
    yield EVENTS
    del EVENTS[:]


class TestAsyncBodyInSyncMode:
    """Under ASGI in sync mode an async body is never read here; a failure cuts it short."""

    def test_event_stream_starts_at_once(self, events: list[int]):
        """An endless event stream is passed on before its first event is made, and streams."""
        client = AsyncClient()

        async def fetch() -> tuple[HttpResponseBase, int, list[bytes]]:
            response: Any = await client.get("/async/events/")
            made = len(events)
            first: list[bytes] = []
            if not response.is_async:
                return response, made, first
            async for chunk in response.streaming_content:
                first.append(chunk)
                if len(first) == 2:  # a client that reads two events
                    break
            return response, made, first

        with override_settings(MIDDLEWARE=SYNC_MODE_MIDDLEWARE):
            response, made, first = asyncio.run(fetch())
        assert response.status_code == 200
        assert made == 0
        assert first == [b"data: 0\n\n", b"data: 1\n\n"]
        assert len(events) < EVENTS_LIMIT

    def test_success(self, closed: list[str]):
        """A body that does not fail arrives chunk for chunk, and is closed once."""
        with override_settings(MIDDLEWARE=SYNC_MODE_MIDDLEWARE):
            streamed = Fetch("asgi").stream("get", "/async/stream/ok/")
        assert (streamed.response.status_code, streamed.chunks, streamed.error) == (
            200,
            CHUNKS,
            None,
        )
        assert closed == ["ok"]

    @pytest.mark.parametrize("sent", [0, 2])
    def test_failure_cut_short(self, sent: int, records: pytest.LogCaptureFixture):
        """A failure, before the first chunk as after it, cuts the body short: one ERROR record."""
        path = f"/async/stream/unexpected-at-{sent}/"
        with override_settings(MIDDLEWARE=SYNC_MODE_MIDDLEWARE):
            streamed = Fetch("asgi").stream("get", path)
        assert streamed.response.status_code == 200
        assert streamed.chunks == CHUNKS[:sent]
        assert type(streamed.error) is RuntimeError
        assert PRIVATE.encode() not in streamed.body
        (record,) = errors_of(records)
        assert record.name == "django.request"
        assert_logged(record, streamed.error)
        assert record.getMessage() == (
            f"GET {path}: failed with RuntimeError after the response started; "
            f"it was cut short (flow id {record.flow_id})"
        )


# Where an unexpected error can happen, and the path that reaches it.
UNEXPECTED_PATHS = [
    "/raise/unexpected/",
    "/async/raise/unexpected/",
    "/mw/view/unexpected/",
    "/mw/response/unexpected/",
    "/stream/unexpected-at-0/",
]


class TestLogRecords:
    """One record per unexpected error, with its facts, as Django's own tooling expects it."""

    @pytest.mark.parametrize("path", UNEXPECTED_PATHS)
    def test_one_record_with_the_facts(
        self, fetch: Fetch, path: str, records: pytest.LogCaptureFixture
    ):
        """One ERROR record, on django.request: flow id, method, path, status, type, the request."""
        response = fetch.get(path)
        (record,) = errors_of(records)
        assert record.name == "django.request"
        assert (
            record.flow_id,
            record.method,
            record.path,
            record.status,
            record.status_code,
            record.problem_type,
        ) == (flow_id(response), "GET", path, 500, 500, "about:blank")
        assert isinstance(record.request, HttpRequest)
        assert record.request.path == path
        assert isinstance(record.exc_info[1], RuntimeError)
        assert record.getMessage() == (
            f"GET {path} failed with RuntimeError: answered with a 500 problem "
            f"(flow id {flow_id(response)})"
        )

    @pytest.mark.parametrize("path", UNEXPECTED_PATHS)
    def test_admin_email_has_the_request(self, fetch: Fetch, path: str, admin_mail: list[Any]):
        """mail_admins gets one email per unexpected error, with the request in it."""
        response = fetch.get(path)
        (email,) = admin_mail
        assert email.to == ["ops@example.com"]
        assert email.subject == (
            f"[Django] ERROR (EXTERNAL IP): GET {path} failed with RuntimeError: answered with "
            f"a 500 problem (flow id {flow_id(response)})"
        )
        assert "Request Method: GET\n" in email.body
        assert f"Request URL: http://testserver{path}\n" in email.body
        assert "Request data not supplied" not in email.body

    def test_admin_email_when_cut_short(self, streams: tuple[Fetch, str], admin_mail: list[Any]):
        """A streamed body cut short is mailed too, with the request."""
        fetch, prefix = streams
        fetch.stream("get", f"{prefix}unexpected-at-2/", headers={"X-Flow-ID": "cut-1"})
        (email,) = admin_mail
        assert email.subject == (
            f"[Django] ERROR (EXTERNAL IP): GET {prefix}unexpected-at-2/: failed with RuntimeError "
            "after the response started; it was cut short (flow id cut-1)"
        )
        assert f"Request URL: http://testserver{prefix}unexpected-at-2/\n" in email.body

    @pytest.mark.parametrize("path", ["/raise/http404/", "/mw/view/http404/", "/raise/retry/"])
    def test_no_email_for_problems(self, fetch: Fetch, path: str, admin_mail: list[Any]):
        """Client errors and 5xx problems raised on purpose are not unexpected: no email."""
        fetch.get(path)
        assert admin_mail == []


class TestCsrf:
    """CSRF failures are 403 problems."""

    def test_failure_view(self, records: pytest.LogCaptureFixture):
        """With CSRF_FAILURE_VIEW set, the reason Django gives is the detail."""
        response = Client(enforce_csrf_checks=True).post("/protected/")
        assert response.status_code == 403
        assert body(response) == {
            **about_blank(403, "Forbidden", response),
            "detail": "CSRF cookie not set.",
        }
        (record,) = [r for r in records.records if r.levelno >= logging.WARNING]
        assert record.name == "django.security.csrf"

    def test_async(self):
        """Under ASGI too."""
        client = AsyncClient(enforce_csrf_checks=True)
        response = asyncio.run(client.post("/protected/"))
        assert body(response)["detail"] == "CSRF cookie not set."

    def test_default_failure_view_rewritten(self):
        """With Django's own failure view, its page becomes a 403 problem."""
        with override_settings(CSRF_FAILURE_VIEW="django.views.csrf.csrf_failure"):
            response = Client(enforce_csrf_checks=True).post("/protected/")
        assert response.status_code == 403
        assert body(response) == about_blank(403, "Forbidden", response)

    def test_compressed_page_rewritten(self):
        """A page another middleware compressed: the problem is sent plain, Vary keeps both."""
        middleware = [
            "problemdetails.adapters.django.ProblemDetailsMiddleware",
            "django.middleware.gzip.GZipMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
        ]
        with override_settings(
            MIDDLEWARE=middleware, CSRF_FAILURE_VIEW="django.views.csrf.csrf_failure"
        ):
            response = Client(enforce_csrf_checks=True).post(
                "/protected/", headers={"Accept-Encoding": "gzip"}
            )
        assert response.status_code == 403
        assert dict(response.headers) == {
            "Content-Type": "application/problem+json",
            "Content-Length": str(len(response.content)),
            "Vary": "Accept, Accept-Encoding",
            "X-Flow-ID": flow_id(response),
        }
        assert body(response) == about_blank(403, "Forbidden", response)


class TestTranslation:
    """Lazy translation strings render in the active language, which Content-Language names."""

    def test_lazy_title_and_detail(self, fetch: Fetch, view: str):
        """Accept-Language: de through LocaleMiddleware: German text, Content-Language: de."""
        with override_settings(MIDDLEWARE=LOCALE_MIDDLEWARE):
            response = fetch.get(f"{view}raise/lazy/", headers={"Accept-Language": "de"})
        assert response["Content-Language"] == "de"
        assert body(response) == {
            **about_blank(403, "Verboten", response),
            "detail": "Dieses Feld ist zwingend erforderlich.",
        }

    def test_content_language_only_when_translated(self):
        """Plain text gets no Content-Language from the adapter; lazy text does."""
        client = Client()
        with translation.override("de"):
            plain = client.get("/raise/problem/")
            lazy = client.get("/raise/lazy/")
        assert "Content-Language" not in plain
        assert lazy["Content-Language"] == "de"
        assert body(lazy)["title"] == "Verboten"

    def test_without_i18n(self):
        """With USE_I18N off, no Content-Language."""
        with override_settings(USE_I18N=False), translation.override("de"):
            response = Client().get("/raise/lazy/")
        assert "Content-Language" not in response
        assert response.status_code == 403


class TestReturnedProblems:
    """problem_response() for views that return rather than raise."""

    def test_in_a_view(self, fetch: Fetch, view: str):
        """Rendered with the request: its flow id is echoed."""
        response = fetch.get(f"{view}returned/", headers={"X-Flow-ID": "req-42"})
        assert response.status_code == 403
        assert response["X-Flow-ID"] == "req-42"
        assert body(response)["flow_id"] == "req-42"
        assert body(response)["balance"] == 30

    def test_without_request(self):
        """Without a request: a new flow id and the default media type."""
        response = problem_response(Problem(status=409, detail="Taken."))
        assert response.status_code == 409
        assert body(response) == {**about_blank(409, "Conflict", response), "detail": "Taken."}

    def test_negotiates(self):
        """With a request, its Accept header picks the media type."""
        request = HttpRequest()
        request.META["HTTP_ACCEPT"] = "application/problem+xml"
        response = problem_response(Problem(status=409), request)
        assert response["Content-Type"] == "application/problem+xml"
        assert response.content.startswith(b'<?xml version="1.0" encoding="UTF-8"?><problem')

    def test_returned_5xx_logged_once(self, records: pytest.LogCaptureFixture):
        """A returned 5xx is logged by the pipeline only (a WARNING), not again by Django."""
        response = problem_response(Problem(status=503))
        (record,) = [r for r in records.records if r.levelno >= logging.WARNING]
        assert (record.levelno, record.flow_id) == (logging.WARNING, flow_id(response))
        assert getattr(response, "_has_been_logged", False)


class TestRequestFacts:
    """The flow id, negotiation and instance come from the Django request."""

    def test_flow_id_echoed(self, fetch: Fetch):
        """A valid incoming X-Flow-ID is echoed in the header and the body."""
        response = fetch.get("/raise/http404/", headers={"X-Flow-ID": "abc-123"})
        assert response["X-Flow-ID"] == "abc-123"
        assert body(response)["flow_id"] == "abc-123"

    def test_bad_flow_id_replaced(self, fetch: Fetch):
        """An unsafe incoming flow id is replaced by a generated one."""
        response = fetch.get("/raise/http404/", headers={"X-Flow-ID": "<script>"})
        assert body(response)["flow_id"] == flow_id(response)

    def test_flow_id_header_setting(self, fetch: Fetch):
        """FLOW_ID_HEADER names the header read and sent."""
        with override_settings(PROBLEMDETAILS={"FLOW_ID_HEADER": "X-Request-ID"}):
            response = fetch.get("/raise/http404/", headers={"X-Request-ID": "r-1"})
        assert response["X-Request-ID"] == "r-1"
        assert "X-Flow-ID" not in response

    def test_xml(self, fetch: Fetch):
        """Accept: application/problem+xml gives the XML form."""
        response = fetch.get("/raise/http404/", headers={"Accept": "application/problem+xml"})
        assert response["Content-Type"] == "application/problem+xml"
        assert response.content == (
            b'<?xml version="1.0" encoding="UTF-8"?><problem xmlns="urn:ietf:rfc:7807">'
            b"<type>about:blank</type><title>Not Found</title><status>404</status>"
            b"<flow_id>" + flow_id(response).encode() + b"</flow_id></problem>"
        )

    def test_no_instance_by_default(self, fetch: Fetch):
        """instance is not filled with the request path unless configured."""
        assert "instance" not in body(fetch.get("/raise/http404/?q=1"))

    @pytest.mark.parametrize(
        ("source", "instance"),
        [("path", "/raise/http404/"), ("url", "http://testserver/raise/http404/?q=%C3%A9")],
    )
    def test_instance_setting(self, fetch: Fetch, source: str, instance: str):
        """INSTANCE = 'path' or 'url' fills it from the request, percent-encoded."""
        with override_settings(PROBLEMDETAILS={"INSTANCE": source}):
            response = fetch.get("/raise/http404/?q=%C3%A9")
        assert body(response)["instance"] == instance

    def test_report_hooks_get_request_facts(self, fetch: Fetch):
        """A report hook gets the method, URL, path and headers of the request."""
        reports: list[ErrorReport] = []
        with override_settings(PROBLEMDETAILS={"REPORT_HOOKS": [reports.append]}):
            fetch.get("/raise/unexpected/", headers={"User-Agent": "probe/1"})
        (report,) = reports
        assert report.request is not None
        assert (report.request.method, report.request.path, report.request.url) == (
            "GET",
            "/raise/unexpected/",
            "http://testserver/raise/unexpected/",
        )
        assert report.request.headers.get("user-agent") == "probe/1"
        assert report.request.headers.get("Content-Type") is None
        assert isinstance(report.exception, RuntimeError)


class TestStacks:
    """The middleware runs in sync and async stacks without being adapted."""

    @pytest.mark.parametrize("handler_class", [WSGIHandler, ASGIHandler])
    def test_not_adapted(self, handler_class: type[Any], records: pytest.LogCaptureFixture):
        """Django adapts no handler for it (it logs each adaptation in debug mode)."""
        with override_settings(DEBUG=True, MIDDLEWARE=LOCALE_MIDDLEWARE[:1]):
            handler = handler_class()
            if handler_class is ASGIHandler:
                handler.load_middleware(is_async=True)
        assert [r.getMessage() for r in records.records if "adapted" in r.getMessage()] == []

    def test_async_mode(self):
        """Given an async get_response it is a coroutine function that awaits it in the loop."""

        async def get_response(request: HttpRequest) -> HttpResponse:
            return HttpResponse(threading.current_thread().name)

        middleware = ProblemDetailsMiddleware(get_response)
        assert asyncio.iscoroutinefunction(middleware)
        loop_thread, response = asyncio.run(_call_in_loop(middleware))
        assert response.content.decode() == loop_thread

    def test_sync_mode(self):
        """Given a sync get_response it is a plain callable."""
        middleware = ProblemDetailsMiddleware(lambda _: HttpResponse(b"ok"))
        assert not asyncio.iscoroutinefunction(middleware)
        assert middleware(HttpRequest()).content == b"ok"


async def _through_middleware(response: HttpResponseBase, stack: str) -> HttpResponseBase:
    if stack == "sync":
        return cast("HttpResponseBase", ProblemDetailsMiddleware(lambda _: response)(HttpRequest()))

    async def get_response(request: HttpRequest) -> HttpResponseBase:
        return response

    middleware: Any = ProblemDetailsMiddleware(get_response)
    return cast("HttpResponseBase", await middleware(HttpRequest()))


async def _call_in_loop(middleware: Callable[..., Any]) -> tuple[str, HttpResponse]:
    response: HttpResponse = await middleware(HttpRequest())
    return threading.current_thread().name, response


class TestSuccessPath:
    """Responses that are not errors pass through untouched."""

    def test_ok(self, fetch: Fetch, view: str):
        """A view's response is returned as it is."""
        response = fetch.get(f"{view}ok/")
        assert response.status_code == 200
        assert response["Content-Type"] == "application/json"
        assert response.content == b'{"ok": true}'

    def test_same_object(self):
        """The middleware returns the very response object it got."""
        sent = HttpResponse(b"ok")
        assert ProblemDetailsMiddleware(lambda _: sent)(HttpRequest()) is sent


class TestHandler:
    """get_handler() is built once from settings and rebuilt when they change."""

    def test_built_once(self):
        """The same handler every time."""
        assert get_handler() is get_handler()
        assert isinstance(get_handler(), ProblemHandler)

    def test_rebuilt_on_override(self):
        """override_settings(PROBLEMDETAILS=...) gives a handler with those settings, then not."""
        before = get_handler()
        with override_settings(PROBLEMDETAILS={"FLOW_ID_MEMBER": "trace_id"}):
            assert get_handler().config.flow_id_member == "trace_id"
        assert get_handler().config.flow_id_member == "flow_id"
        assert get_handler() is not before

    def test_logger_defaults_to_django_request(self):
        """The pipeline logs on django.request unless LOGGER_NAME says otherwise."""
        assert get_handler().config.logger_name == "django.request"
        with override_settings(PROBLEMDETAILS={"LOGGER_NAME": "myapi.errors"}):
            assert get_handler().config.logger_name == "myapi.errors"
