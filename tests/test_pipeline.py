"""The pipeline: flow id, the never-leaks rule, the fallback, logging and hooks."""

from __future__ import annotations

import json
import logging
import math
import re
import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any
from wsgiref.headers import Headers
from wsgiref.util import setup_testing_defaults

import attrs
import pytest

from problemdetails import (
    Config,
    ErrorReport,
    InternalError,
    InvalidProblemError,
    Problem,
    ProblemHandler,
    ProblemResponse,
    RequestInfo,
    RetryAfterProblem,
    default_handler,
)

GENERATED = re.compile(r"[0-9a-f]{32}")
INTERNAL_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)
SECRET = "hunter2-s3cr3t"  # noqa: S105 - a fake secret the tests look for


class NotFound(Problem, status=404):
    pass


class Broke(Problem, status=503):
    pass


def request_with(**headers: str) -> RequestInfo:
    """A request whose headers are looked up case-insensitively, as in every framework."""
    return RequestInfo(
        method="GET",
        url="https://api.example.com/orders/7?x=1",
        path="/orders/7",
        headers=Headers([(name.replace("_", "-"), value) for name, value in headers.items()]),
    )


def body_of(response: ProblemResponse) -> dict[str, Any]:
    return json.loads(response.body)


def header(response: ProblemResponse, name: str) -> str | None:
    values = [value for key, value in response.headers if key.lower() == name.lower()]
    assert len(values) <= 1, response.headers
    return values[0] if values else None


def generic_body(flow_id: str, member: str = "flow_id") -> bytes:
    """The exact body of the generic 500."""
    return json.dumps(
        {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": INTERNAL_DETAIL,
            member: flow_id,
        },
        separators=(",", ":"),
    ).encode()


def raised(exception: BaseException) -> BaseException:
    try:
        raise exception
    except BaseException as caught:
        return caught


@pytest.fixture(name="handler")
def _handler() -> ProblemHandler:
    return ProblemHandler()


class Records:
    """The records of the current test phase (pytest swaps the list between phases)."""

    def __init__(self, caplog: pytest.LogCaptureFixture) -> None:
        self._caplog = caplog

    def __iter__(self) -> Iterator[logging.LogRecord]:
        return iter(self._caplog.records)


@pytest.fixture(name="records")
def _records(caplog: pytest.LogCaptureFixture) -> Records:
    """The records logged on the ``problemdetails`` logger, DEBUG and up."""
    caplog.set_level(logging.DEBUG, logger="problemdetails")
    return Records(caplog)


def errors(records: Iterable[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if r.name == "problemdetails" and r.levelno >= logging.ERROR]


def assert_fallback(response: ProblemResponse, member: str = "flow_id") -> str:
    """Check *response* is the minimal problem+json 500 and return its flow id."""
    assert response.status == 500
    assert response.content_type == "application/problem+json"
    flow_id = header(response, "X-Flow-ID")
    assert flow_id is not None
    assert GENERATED.fullmatch(flow_id)
    assert response.body == generic_body(flow_id, member)
    return flow_id


class TestFlowIdFromRequest:
    """The flow id comes from the configured request header when it is safe to echo."""

    @pytest.mark.parametrize(
        "incoming",
        [
            "abc",
            "0f8fad5b-d9cb-469f-a165-70867728950e",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "checkout:7f3a",
            "YWJjZGVm+/==",
            "a.b_c~d",
            "x" * 128,
        ],
    )
    def test_valid_incoming_id_is_echoed(self, handler: ProblemHandler, incoming: str):
        """A valid id is sent back in the body and in the response header."""
        response = handler.render(NotFound(), request_with(X_Flow_ID=incoming))
        assert body_of(response)["flow_id"] == incoming
        assert header(response, "X-Flow-ID") == incoming

    @pytest.mark.parametrize(
        "incoming",
        [
            "",
            "abc\r\nSet-Cookie: session=evil",
            "abc\ndef",
            "abc\rdef",
            "abc\x00def",
            "abc\x7fdef",
            "abc\tdef",
            "caf\u00e9",
            "\u2028abc",
            "has space",
            "<script>alert(1)</script>",
            '"quoted"',
            "-leading-dash",
            "x" * 129,
            "x" * 10_240,
        ],
        ids=lambda value: repr(value)[:30],
    )
    def test_invalid_incoming_id_is_replaced(self, handler: ProblemHandler, incoming: str):
        """An id with bad characters or length is replaced by a generated one and never echoed."""
        response = handler.render(NotFound(), request_with(X_Flow_ID=incoming))
        flow_id = body_of(response)["flow_id"]
        assert GENERATED.fullmatch(flow_id)
        assert header(response, "X-Flow-ID") == flow_id
        if incoming:
            assert incoming.encode("utf-8", "replace") not in response.body
            assert json.dumps(incoming)[1:-1].encode() not in response.body
            assert all(incoming not in value for _, value in response.headers)

    def test_max_length_is_configurable(self):
        """flow_id_max_length sets the longest id echoed."""
        handler = ProblemHandler(Config(flow_id_max_length=8))
        assert body_of(handler.render(NotFound(), request_with(X_Flow_ID="x" * 8)))["flow_id"] == (
            "x" * 8
        )
        replaced = body_of(handler.render(NotFound(), request_with(X_Flow_ID="x" * 9)))["flow_id"]
        assert GENERATED.fullmatch(replaced)

    def test_header_name_is_case_insensitive(self, handler: ProblemHandler):
        """The header is found whatever case the client sent it in."""
        response = handler.render(NotFound(), request_with(x_flow_id="abc123"))
        assert body_of(response)["flow_id"] == "abc123"

    def test_configured_header(self):
        """flow_id_header names both the request header read and the response header sent."""
        handler = ProblemHandler(Config(flow_id_header="X-Request-ID"))
        response = handler.render(
            NotFound(), request_with(X_Request_ID="req-1", X_Flow_ID="flow-1")
        )
        assert body_of(response)["flow_id"] == "req-1"
        assert header(response, "X-Request-ID") == "req-1"
        assert header(response, "X-Flow-ID") is None

    def test_header_off(self):
        """flow_id_header=None reads no header and sends none; the member is still there."""
        handler = ProblemHandler(Config(flow_id_header=None))
        response = handler.render(NotFound(), request_with(X_Flow_ID="flow-1"))
        assert response.headers == (
            ("Content-Type", "application/problem+json"),
            ("Vary", "Accept"),
        )
        assert GENERATED.fullmatch(body_of(response)["flow_id"])

    def test_configured_member(self):
        """flow_id_member names the member the flow id is sent in."""
        handler = ProblemHandler(Config(flow_id_member="trace_id"))
        body = body_of(handler.render(NotFound(), request_with(X_Flow_ID="abc123")))
        assert body["trace_id"] == "abc123"
        assert "flow_id" not in body

    def test_without_request(self, handler: ProblemHandler):
        """Without a request, a new id is generated for each response."""
        first = body_of(handler.render(NotFound()))["flow_id"]
        second = body_of(handler.render(NotFound()))["flow_id"]
        assert GENERATED.fullmatch(first)
        assert first != second

    def test_flow_id_method(self, handler: ProblemHandler):
        """``handler.flow_id`` applies the same rules."""
        assert handler.flow_id(request_with(X_Flow_ID="abc123")) == "abc123"
        assert GENERATED.fullmatch(handler.flow_id(request_with(X_Flow_ID="a b")))
        assert GENERATED.fullmatch(handler.flow_id(None))


class TestFlowIdOfProblem:
    """A problem may bring its own flow id."""

    def test_own_valid_flow_id_wins(self, handler: ProblemHandler):
        """A problem's own valid flow id beats the request header."""
        response = handler.render(NotFound(flow_id="own-1"), request_with(X_Flow_ID="req-1"))
        assert body_of(response)["flow_id"] == "own-1"
        assert header(response, "X-Flow-ID") == "own-1"

    @pytest.mark.parametrize("own", ["own\r\nX-Evil: 1", "", "x" * 200, "caf\u00e9"])
    def test_own_invalid_flow_id_is_replaced(self, handler: ProblemHandler, own: str):
        """A problem's own invalid flow id is replaced in body and header alike."""
        response = handler.render(NotFound(flow_id=own), request_with(X_Flow_ID="req-1"))
        assert body_of(response)["flow_id"] == "req-1"
        assert header(response, "X-Flow-ID") == "req-1"


class TestFlowIdFactory:
    """The factory that makes new flow ids."""

    def test_factory_is_used(self):
        """New ids come from flow_id_factory."""
        handler = ProblemHandler(Config(flow_id_factory=lambda: "made-1"))
        response = handler.render(NotFound())
        assert body_of(response)["flow_id"] == "made-1"
        assert header(response, "X-Flow-ID") == "made-1"

    @pytest.mark.parametrize("junk", ["bad id", "a\r\nb", "", 5, None, b"bytes", "x" * 500])
    def test_factory_returning_junk(self, junk: object, records: Records):
        """Junk from the factory is replaced by a generated id."""
        handler = ProblemHandler(Config(flow_id_factory=lambda: junk))
        response = handler.render(NotFound())
        assert response.status == 404
        flow_id = body_of(response)["flow_id"]
        assert GENERATED.fullmatch(flow_id)
        assert header(response, "X-Flow-ID") == flow_id
        (warning,) = [r for r in records if r.levelno == logging.WARNING]
        assert "flow_id_factory (it returned no valid flow id) failed" in warning.getMessage()
        assert warning.flow_id == flow_id  # type: ignore[attr-defined]
        assert not warning.exc_info

    def test_factory_raising_keeps_the_response(self, records: Records):
        """A factory that raises gives the right response with a generated id, logged once."""

        def factory() -> str:
            raise RuntimeError("no entropy")

        handler = ProblemHandler(Config(flow_id_factory=factory))
        response = handler.render(NotFound())
        assert response.status == 404
        flow_id = body_of(response)["flow_id"]
        assert GENERATED.fullmatch(flow_id)
        assert header(response, "X-Flow-ID") == flow_id
        warnings = [r for r in records if r.levelno == logging.WARNING]
        assert len(warnings) == 1
        assert warnings[0].flow_id == flow_id  # type: ignore[attr-defined]
        assert "no entropy" in str(warnings[0].exc_info)
        assert errors(records) == []

    def test_factory_raising_on_server_error(self, records: Records):
        """With a raising factory, a 500 is still the generic 500, logged at ERROR once."""

        def factory() -> str:
            raise RuntimeError("no entropy")

        handler = ProblemHandler(Config(flow_id_factory=factory))
        response = handler.handle(ValueError("boom"))
        flow_id = assert_fallback(response)
        (error,) = errors(records)
        assert error.flow_id == flow_id  # type: ignore[attr-defined]


class TestNeverLeaks:
    """A 500 never carries anything of the exception (DESIGN: a 500 never leaks)."""

    @pytest.fixture(name="exception")
    def _exception(self) -> BaseException:
        cause = raised(KeyError(f"cause {SECRET}"))
        context = raised(LookupError(f"context {SECRET}"))
        exception = raised(ValueError(f"message {SECRET}", {"password": SECRET}))
        exception.__cause__ = cause
        exception.__context__ = context
        exception.__notes__ = [f"note {SECRET}"]  # type: ignore[attr-defined]
        return exception

    def test_generic_body(self, handler: ProblemHandler, exception: BaseException):
        """The body is exactly the fixed 500 with the flow id: no message, repr, args, notes,
        cause, context or traceback."""
        response = handler.handle(exception, request_with(X_Flow_ID="req-1"))
        assert response.status == 500
        assert response.body == generic_body("req-1")
        assert response.headers == (
            ("Content-Type", "application/problem+json"),
            ("Vary", "Accept"),
            ("X-Flow-ID", "req-1"),
        )
        for text in (SECRET, "ValueError", "Traceback", repr(exception)):
            assert text.encode() not in response.body

    @pytest.mark.parametrize(
        "exception",
        [
            KeyError(SECRET),
            OSError(2, SECRET, SECRET),
            RuntimeError(),
            SystemExit(SECRET),
            KeyboardInterrupt(SECRET),
        ],
        ids=lambda e: type(e).__name__,
    )
    def test_any_exception(self, handler: ProblemHandler, exception: BaseException):
        """Every unmapped exception, BaseExceptions included, gives the same fixed body."""
        response = handler.handle(raised(exception), request_with(X_Flow_ID="req-1"))
        assert response.body == generic_body("req-1")

    def test_xml_body(self, handler: ProblemHandler, exception: BaseException):
        """The XML representation of the generic 500 carries nothing either."""
        response = handler.handle(exception, request_with(Accept="application/problem+xml"))
        assert response.content_type == "application/problem+xml"
        assert SECRET.encode() not in response.body
        assert b"ValueError" not in response.body

    def test_debug_shows_details(self, exception: BaseException):
        """With debug=True, and only then, the type, message and traceback are in the body."""
        handler = ProblemHandler(Config(debug=True))
        body = body_of(handler.handle(exception))
        assert body["detail"] == f"ValueError: ('message {SECRET}', {{'password': '{SECRET}'}})"
        assert any(line.startswith("ValueError: ") for line in body["traceback"])
        assert any(SECRET in line for line in body["traceback"])
        assert body["status"] == 500

    def test_debug_with_broken_str(self):
        """In debug, an exception whose str() fails is named without failing the response."""

        class Unprintable(Exception):
            def __str__(self) -> str:
                raise RuntimeError(SECRET)

        handler = ProblemHandler(Config(debug=True))
        response = handler.handle(raised(Unprintable()))
        assert response.status == 500
        assert body_of(response)["detail"].endswith("<Unprintable whose str() failed>")

    def test_debug_with_broken_exception_class(self):
        """In debug, an exception whose class cannot even be named still gives the generic 500."""

        class Nameless(type):
            def __getattribute__(cls, name: str) -> Any:
                if name in ("__qualname__", "__module__"):
                    raise RuntimeError(SECRET)
                return super().__getattribute__(name)

        class Weird(Exception, metaclass=Nameless):
            pass

        handler = ProblemHandler(Config(debug=True))
        response = handler.handle(raised(Weird(SECRET)), request_with(X_Flow_ID="req-1"))
        assert response.body == generic_body("req-1")

    def test_debug_text_is_bounded(self):
        """In debug, a huge message is cut short."""
        handler = ProblemHandler(Config(debug=True))
        body = body_of(handler.handle(raised(ValueError("x" * 100_000))))
        assert len(body["detail"]) <= 4096 + len("ValueError: ")

    def test_debug_off_by_default(self, exception: BaseException):
        """The default handler does not show details."""
        assert SECRET.encode() not in default_handler().handle(exception).body


class TestFallback:
    """The error path cannot fail: a broken problem still gives a minimal 500."""

    def test_non_serializable_extension(self, handler: ProblemHandler, records: Records):
        """A member JSON cannot encode gives the minimal 500 with the flow id, logged once."""
        response = handler.render(
            Problem(status=400, extensions={"thing": object()}), request_with(X_Flow_ID="req-1")
        )
        assert response.status == 500
        assert response.body == generic_body("req-1")
        (error,) = errors(records)
        assert error.flow_id == "req-1"  # type: ignore[attr-defined]
        assert "rendering a Problem failed" in error.getMessage()

    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, [1.0, math.nan]])
    def test_nan(self, handler: ProblemHandler, value: Any, records: Records):
        """NaN and infinities are not JSON: the minimal 500 instead of a bad document."""
        assert_fallback(handler.render(Problem(status=400, extensions={"ratio": value})))
        assert len(errors(records)) == 1

    def test_nan_in_a_member_of_any_type(self, handler: ProblemHandler, records: Records):
        """NaN in a member declared Any (so unchecked) gives the minimal 500."""

        class Ratio(Problem, status=400):
            ratio: Any

        assert_fallback(handler.render(Ratio(ratio=math.nan)))
        assert len(errors(records)) == 1

    def test_nan_in_declared_float_member(self):
        """NaN in a declared float member is refused where the problem is made: JSON has none."""

        class Ratio(Problem, status=400):
            ratio: float

        with pytest.raises(InvalidProblemError, match=r"Ratio\.ratio"):
            Ratio(ratio=math.nan)

    @pytest.mark.parametrize("member", ["title", "detail"])
    def test_lazy_text_that_fails(self, handler: ProblemHandler, member: str, records: Records):
        """A lazy title or detail whose ``__str__`` raises gives the minimal 500."""

        class Lazy:
            def __str__(self) -> str:
                raise LookupError("no translation catalog")

        problem = Problem(status=404, **{member: Lazy()})
        assert_fallback(handler.render(problem))
        assert len(errors(records)) == 1

    def test_lazy_text_is_rendered(self, handler: ProblemHandler):
        """A lazy title becomes text when the response is rendered."""

        class Lazy:
            def __str__(self) -> str:
                return "Nicht gefunden"

        assert (
            body_of(handler.render(Problem(status=404, title=Lazy())))["title"] == "Nicht gefunden"
        )  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("X-Note", "a\r\nSet-Cookie: x=1"),
            ("X-Note", "a\nb"),
            ("X-Note", "a\x00b"),
            ("X-Note", "caf\u00e9"),
            ("X Note", "ok"),
            ("X-Note\r\n", "ok"),
            ("", "ok"),
        ],
    )
    def test_bad_header_from_headers(self, name: str, value: str):
        """A header that is not a valid HTTP field is refused where the problem is made."""
        with pytest.raises(InvalidProblemError, match="not a valid HTTP field"):
            Problem(status=429, headers={name: value})

    def test_bad_header_from_http_headers(self, handler: ProblemHandler, records: Records):
        """A bad header from an ``http_headers()`` override gives the minimal 500."""

        class Redirecting(Problem, status=409):
            def http_headers(self) -> Iterable[tuple[str, str]]:
                yield ("Location", "/x\r\nSet-Cookie: a=b")

        assert_fallback(handler.render(Redirecting()))
        assert len(errors(records)) == 1

    def test_http_headers_raising(self, handler: ProblemHandler, records: Records):
        """An ``http_headers()`` override that raises gives the minimal 500."""

        class Broken(Problem, status=409):
            def http_headers(self) -> Iterable[tuple[str, str]]:
                raise RuntimeError(SECRET)

        response = handler.render(Broken())
        assert_fallback(response)
        assert SECRET.encode() not in response.body
        assert len(errors(records)) == 1

    def test_instance_callable_raising(self, records: Records):
        """An instance callable that raises gives the minimal 500."""

        def instance(request: RequestInfo) -> str:
            raise RuntimeError("no route")

        handler = ProblemHandler(Config(instance=instance))
        assert_fallback(handler.render(NotFound(), request_with()))
        assert len(errors(records)) == 1

    def test_fallback_uses_configured_names(self):
        """The minimal 500 uses the configured member and header names."""
        handler = ProblemHandler(Config(flow_id_member="trace_id", flow_id_header="X-Request-ID"))
        response = handler.render(
            Problem(status=400, extensions={"thing": object()}), request_with(X_Request_ID="r-1")
        )
        assert response.body == generic_body("r-1", "trace_id")
        assert response.headers == (
            ("Content-Type", "application/problem+json"),
            ("X-Request-ID", "r-1"),
        )

    def test_fallback_without_flow_id_header(self):
        """With the flow id header off, the minimal 500 sends only Content-Type."""
        handler = ProblemHandler(Config(flow_id_header=None))
        response = handler.render(Problem(status=400, extensions={"thing": object()}))
        assert response.headers == (("Content-Type", "application/problem+json"),)

    def test_fallback_reaches_hooks(self):
        """Hooks hear of the minimal 500 the client got, with the original exception."""
        reports: list[ErrorReport] = []
        exception = raised(ValueError("x"))

        def broken(_: BaseException) -> Problem:
            return Problem(status=400, extensions={"thing": object()})

        handler = ProblemHandler(
            Config(report_hooks=[reports.append], mappings={ValueError: broken})
        )
        response = handler.handle(exception)
        (report,) = reports
        assert report.problem == InternalError()
        assert report.exception is exception
        assert report.flow_id == header(response, "X-Flow-ID")

    def test_logging_handler_that_raises(self, handler: ProblemHandler):
        """A log handler that raises changes nothing in the response."""

        class Exploding(logging.Handler):
            def emit(self, record: logging.LogRecord) -> None:
                raise RuntimeError(f"disk full, {record.name} lost")

        logger = logging.getLogger("problemdetails")
        exploding = Exploding()
        logger.addHandler(exploding)
        old_level = logger.level
        logger.setLevel(logging.DEBUG)
        try:
            response = handler.handle(raised(ValueError("x")), request_with(X_Flow_ID="req-1"))
            not_found = handler.render(NotFound(), request_with(X_Flow_ID="req-2"))
        finally:
            logger.removeHandler(exploding)
            logger.setLevel(old_level)
        assert response.body == generic_body("req-1")
        assert not_found.status == 404
        assert body_of(not_found)["flow_id"] == "req-2"

    def test_header_lookup_raising(self, handler: ProblemHandler, records: Records):
        """A request whose headers cannot be read still gets the minimal 500 with a flow id."""

        class BrokenHeaders:
            def get(self, key: str) -> str | None:
                raise RuntimeError(f"cannot parse {key}")

        response = handler.render(NotFound(), RequestInfo(headers=BrokenHeaders()))
        flow_id = assert_fallback(response)
        (error,) = errors(records)
        assert error.flow_id == flow_id


class TestLogging:
    """Server errors are logged with the original exception and the flow id."""

    def test_server_error_logged_at_error(self, handler: ProblemHandler, records: Records):
        """A 5xx is one ERROR record on 'problemdetails' with the original exception and flow id."""
        exception = raised(ValueError("boom"))
        handler.handle(exception, request_with(X_Flow_ID="req-1"))
        (record,) = records
        assert record.name == "problemdetails"
        assert record.levelno == logging.ERROR
        assert record.exc_info is not None
        assert record.exc_info[1] is exception
        assert record.flow_id == "req-1"
        assert record.status == 500
        assert record.getMessage() == (
            "GET /orders/7 failed with ValueError: answered with a 500 problem (flow id req-1)"
        )

    def test_server_error_problem_logged(self, handler: ProblemHandler, records: Records):
        """A raised 5xx problem is declared: one WARNING record, without a traceback."""
        handler.handle(raised(Broke()))
        (record,) = records
        assert (record.levelno, record.exc_info) == (logging.WARNING, None)
        assert record.getMessage().startswith("Request answered with a 503 problem about:blank")

    def test_rendered_server_error_without_exception(
        self, handler: ProblemHandler, records: Records
    ):
        """A 5xx rendered without an exception is logged at WARNING without a traceback."""
        handler.render(Broke(), request_with(X_Flow_ID="req-1"))
        (record,) = records
        assert record.levelno == logging.WARNING
        assert not record.exc_info
        assert record.getMessage() == (
            "GET /orders/7 answered with a 503 problem about:blank (flow id req-1)"
        )

    def test_client_error_not_logged_as_error(self, handler: ProblemHandler, records: Records):
        """A 4xx is logged at DEBUG, never at ERROR."""
        handler.handle(raised(NotFound()), request_with(X_Flow_ID="req-1"))
        (record,) = records
        assert record.levelno == logging.DEBUG
        assert record.flow_id == "req-1"
        assert record.status == 404

    def test_logger_name(self, caplog: pytest.LogCaptureFixture):
        """logger_name picks the logger."""
        caplog.set_level(logging.DEBUG)
        ProblemHandler(Config(logger_name="myapp.errors")).handle(raised(ValueError("x")))
        assert [r.name for r in caplog.records] == ["myapp.errors"]

    def test_mapping_failure_logged_once(self, records: Records):
        """A mapping factory that raises is logged once at ERROR with the flow id."""

        def factory(exception: BaseException) -> Problem:
            raise RuntimeError("factory bug")

        handler = ProblemHandler(Config(mappings={KeyError: factory}))
        response = handler.handle(raised(KeyError("k")), request_with(X_Flow_ID="req-1"))
        assert response.body == generic_body("req-1")
        (record,) = errors(records)
        assert record.flow_id == "req-1"
        assert record.status == 500
        assert isinstance(record.exc_info[1], RuntimeError)
        assert "mapping KeyError to a problem failed" in record.getMessage()

    def test_handle_unexpected_asks_no_mapping(self, records: Records):
        """handle_unexpected answers with the generic 500 without running any factory."""
        calls: list[BaseException] = []

        def factory(exception: BaseException) -> Problem:
            calls.append(exception)
            return NotFound()

        handler = ProblemHandler(Config(mappings={KeyError: factory}))
        error = raised(KeyError(SECRET))
        response = handler.handle_unexpected(error, request_with(X_Flow_ID="req-2"))
        assert calls == []
        assert response.status == 500
        assert response.body == generic_body("req-2")
        (record,) = errors(records)
        assert record.exc_info[1] is error
        assert record.flow_id == "req-2"

    def test_no_report_is_made_when_nothing_would_read_it(self):
        """Unexpected errors: a report is made only for a logger that logs ERROR, or for hooks."""
        from problemdetails._report import Reporter  # noqa: PLC0415 - the pipeline's reporter

        quiet = logging.getLogger("problemdetails.tests.quiet")
        quiet.setLevel(logging.CRITICAL)
        assert not Reporter(quiet, (), None).wants(InternalError(), unexpected=True)
        assert Reporter(quiet, (print,), None).wants(InternalError(), unexpected=True)
        quiet.setLevel(logging.ERROR)
        assert Reporter(quiet, (), None).wants(InternalError(), unexpected=True)

    def test_handle_unexpected_logs_the_mapping_failure(self, records: Records):
        """A factory's failure handed over is the one ERROR record, with its traceback."""
        failure = raised(RuntimeError("factory bug"))
        handler = ProblemHandler()
        response = handler.handle_unexpected(
            raised(KeyError(SECRET)), request_with(X_Flow_ID="req-3"), mapping_failure=failure
        )
        assert response.body == generic_body("req-3")
        (record,) = errors(records)
        assert record.exc_info[1] is failure
        assert record.status == 500
        assert record.problem_type == "about:blank"
        assert "mapping KeyError to a problem failed" in record.getMessage()

    def test_render_without_logging(self, records: Records):
        """render(log=False) logs nothing, and the hooks still hear of the 5xx."""
        reports: list[ErrorReport] = []
        handler = ProblemHandler(Config(report_hooks=[reports.append]))
        response = handler.render(InternalError(), request_with(X_Flow_ID="req-1"), log=False)
        assert response.status == 500
        assert list(records) == []
        assert [report.flow_id for report in reports] == ["req-1"]


class TestHooks:
    """Report hooks hear of server errors."""

    def test_hooks_get_report_for_server_errors(self):
        """Each hook gets an ErrorReport with problem, exception, request and flow id."""
        first: list[ErrorReport] = []
        second: list[ErrorReport] = []
        handler = ProblemHandler(Config(report_hooks=[first.append, second.append]))
        request = request_with(X_Flow_ID="req-1")
        exception = raised(ValueError("boom"))
        handler.handle(exception, request)
        assert first == second
        (report,) = first
        assert report == ErrorReport(
            problem=InternalError(),
            exception=exception,
            request=request,
            flow_id="req-1",
            unexpected=True,
        )

    def test_no_hooks_for_client_errors(self):
        """4xx problems do not reach the hooks."""
        reports: list[ErrorReport] = []
        handler = ProblemHandler(Config(report_hooks=[reports.append]))
        handler.handle(raised(NotFound()))
        handler.render(Problem(status=499))
        assert reports == []

    def test_hook_that_raises(self, records: Records):
        """A hook that raises is logged as a warning; later hooks and the response are unharmed."""
        reports: list[ErrorReport] = []

        def broken(report: ErrorReport) -> None:
            raise RuntimeError("sentry is down")

        handler = ProblemHandler(Config(report_hooks=[broken, reports.append]))
        response = handler.handle(raised(ValueError("x")), request_with(X_Flow_ID="req-1"))
        assert response.body == generic_body("req-1")
        assert len(reports) == 1
        (warning,) = [r for r in records if r.levelno == logging.WARNING]
        assert "reporting hook" in warning.getMessage()
        assert "broken" in warning.getMessage()
        assert warning.flow_id == "req-1"
        assert len(errors(records)) == 1

    def test_hooks_with_timeout(self):
        """With report_timeout, hooks run in a worker thread and are waited for."""
        threads: list[str] = []
        handler = ProblemHandler(
            Config(
                report_hooks=[lambda _: threads.append(threading.current_thread().name)],
                report_timeout=5,
            )
        )
        handler.handle(raised(ValueError("x")))
        handler.handle(raised(ValueError("y")))
        assert len(threads) == 2
        assert threading.current_thread().name not in threads
        assert all(name.startswith("problemdetails") for name in threads)

    def test_hook_raising_with_timeout(self, records: Records):
        """With report_timeout, a hook that raises is logged as a warning too."""

        def broken(report: ErrorReport) -> None:
            raise RuntimeError("sentry is down")

        handler = ProblemHandler(Config(report_hooks=[broken], report_timeout=5))
        response = handler.handle(raised(ValueError("x")), request_with(X_Flow_ID="req-1"))
        assert response.body == generic_body("req-1")
        (warning,) = [r for r in records if r.levelno == logging.WARNING]
        assert "broken" in warning.getMessage()

    def test_hook_that_hangs(self, records: Records):
        """A hook still running after report_timeout does not hold the response longer."""
        release = threading.Event()

        def hanging(report: ErrorReport) -> None:
            release.wait(10)

        handler = ProblemHandler(Config(report_hooks=[hanging], report_timeout=0.2))
        try:
            started = time.monotonic()
            response = handler.handle(raised(ValueError("x")), request_with(X_Flow_ID="req-1"))
            elapsed = time.monotonic() - started
        finally:
            release.set()
        assert response.body == generic_body("req-1")
        assert 0.2 <= elapsed < 5
        (warning,) = [r for r in records if r.levelno == logging.WARNING]
        assert "still running after 0.2s" in warning.getMessage()
        assert warning.flow_id == "req-1"


class TestRendering:
    """What ``render`` puts in the response."""

    @pytest.mark.parametrize(
        ("media_types", "vary"),
        [
            (("application/problem+json", "application/problem+xml"), [("Vary", "Accept")]),
            (("application/problem+json",), []),
            (("application/problem+xml",), []),
        ],
        ids=["negotiated", "json-only", "xml-only"],
    )
    def test_vary_accept_when_negotiated(self, media_types, vary):
        """RFC 9110 section 12.5.5: a body chosen by Accept says so in Vary; a fixed one not."""
        handler = ProblemHandler(Config(media_types=media_types, flow_id_header=None))
        response = handler.render(Problem(status=404), request_with(Accept="*/*"))
        assert [header for header in response.headers if header[0] == "Vary"] == vary

    def test_status_and_headers(self, handler: ProblemHandler):
        """The status is the problem's; Content-Type, the flow id, then the problem's headers."""
        problem = Problem(status=401, headers={"WWW-Authenticate": "Bearer"})
        response = handler.render(problem, request_with(X_Flow_ID="req-1"))
        assert response.status == 401
        assert response.headers == (
            ("Content-Type", "application/problem+json"),
            ("Vary", "Accept"),
            ("X-Flow-ID", "req-1"),
            ("WWW-Authenticate", "Bearer"),
        )

    def test_own_headers_cannot_be_replaced(self, handler: ProblemHandler):
        """A problem's headers cannot replace Content-Type, Content-Length or the flow id header."""
        problem = Problem(
            status=400,
            headers={"content-type": "text/html", "Content-Length": "1", "x-flow-id": "evil"},
        )
        response = handler.render(problem, request_with(X_Flow_ID="req-1"))
        assert response.headers == (
            ("Content-Type", "application/problem+json"),
            ("Vary", "Accept"),
            ("X-Flow-ID", "req-1"),
        )

    def test_retry_after(self, handler: ProblemHandler):
        """Retry-After from a RetryAfterProblem reaches the response."""
        response = handler.render(RetryAfterProblem(retry_after=30))
        assert header(response, "Retry-After") == "30"

    def test_instance_not_filled_by_default(self, handler: ProblemHandler):
        """By default instance is left out: it names the occurrence, not the URL."""
        assert "instance" not in body_of(handler.render(NotFound(), request_with()))

    @pytest.mark.parametrize(
        ("source", "expected"),
        [("path", "/orders/7"), ("url", "https://api.example.com/orders/7?x=1")],
    )
    def test_instance_from_request(self, source: Any, expected: str):
        """instance='path' or 'url' fills instance from the request."""
        handler = ProblemHandler(Config(instance=source))
        assert body_of(handler.render(NotFound(), request_with()))["instance"] == expected

    def test_instance_from_callable(self):
        """A callable instance source gets the request."""
        handler = ProblemHandler(Config(instance=lambda request: f"urn:req:{request.method}"))
        assert body_of(handler.render(NotFound(), request_with()))["instance"] == "urn:req:GET"

    @pytest.mark.parametrize("fact", ["path", "url"])
    def test_instance_from_a_request_fact_that_is_no_uri_is_left_out(self, fact: str):
        """A path or URL that is no URI reference (a raw space, a stray bracket) is left out."""
        handler = ProblemHandler(Config(instance=fact))
        request = RequestInfo(method="GET", url="http://[evil/a b", path="/a b")
        body = body_of(handler.render(NotFound(), request))
        assert "instance" not in body
        assert body["status"] == 404

    @pytest.mark.parametrize("value", ["not a uri", 42, "http://[evil/"])
    def test_instance_callable_returning_no_uri(self, records: Records, value: object):
        """A callable whose value is no URI reference gives the minimal 500, logged once."""
        handler = ProblemHandler(Config(instance=lambda _: value))
        assert_fallback(handler.render(NotFound(), request_with()))
        assert len(errors(records)) == 1

    def test_instance_callable_returning_none(self):
        """A callable returning None leaves instance out."""
        handler = ProblemHandler(Config(instance=lambda _: None))
        assert "instance" not in body_of(handler.render(NotFound(), request_with()))

    def test_instance_of_problem_wins(self):
        """A problem's own instance is kept."""
        handler = ProblemHandler(Config(instance="path"))
        body = body_of(handler.render(NotFound(instance="/tx/9"), request_with()))
        assert body["instance"] == "/tx/9"

    def test_instance_without_request(self):
        """Without a request, there is nothing to fill instance from."""
        handler = ProblemHandler(Config(instance="path"))
        assert "instance" not in body_of(handler.render(NotFound()))

    def test_type_resolved_against_base(self):
        """type_base_uri resolves relative type URIs when rendering."""

        class Local(Problem, status=400):
            pass

        handler = ProblemHandler(Config(type_base_uri="https://api.example.com/problems/"))
        problem = Problem(type="out-of-credit", status=403)
        assert body_of(handler.render(problem))["type"] == (
            "https://api.example.com/problems/out-of-credit"
        )
        assert body_of(handler.render(Local()))["type"] == "about:blank"

    def test_repr(self, handler: ProblemHandler):
        """A handler's repr shows its config."""
        assert repr(handler).startswith("<ProblemHandler Config(debug=False")

    def test_default_handler_is_shared(self):
        """default_handler returns one handler per process."""
        assert default_handler() is default_handler()


def start_response_recorder() -> tuple[list[Any], Any]:
    calls: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        calls.append((status, headers))
        return lambda _: None

    return calls, start_response


class TestProblemResponse:
    """The neutral response is a WSGI application."""

    @pytest.mark.parametrize(
        ("replaced", "kept"),
        [
            (
                [("Content-Type", "text/html"), ("Content-Length", "9"), ("ETag", '"v1"')],
                [],
            ),
            (
                [("Allow", "GET"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
                [("Allow", "GET"), ("Set-Cookie", "a=1"), ("Set-Cookie", "b=2")],
            ),
            ([("X-Flow-ID", "the-page's"), ("content-language", "de")], []),
            (
                [("Vary", "Accept"), ("Vary", "accept, Cookie"), ("Vary", "Origin")],
                [
                    ("Vary", "Cookie"),
                    ("Vary", "Origin"),
                ],
            ),
        ],
        ids=["body-headers", "others-kept", "own-and-body", "vary-merged"],
    )
    def test_kept_headers(self, replaced, kept):
        """Replacing an error page keeps its other headers, not its body's or our own."""
        response = ProblemResponse(
            404,
            (
                ("Content-Type", "application/problem+json"),
                ("Vary", "Accept"),
                ("X-Flow-ID", "f1"),
            ),
            b"{}",
        )
        assert response.kept_headers(replaced) == kept

    @pytest.fixture(name="response")
    def _response(self) -> ProblemResponse:
        return ProblemHandler().render(NotFound(detail="No order 7."), request_with(X_Flow_ID="f1"))

    def test_wsgi_get(self, response: ProblemResponse):
        """A GET gets the status line, the headers with Content-Length, and the body."""
        environ: dict[str, Any] = {}
        setup_testing_defaults(environ)
        calls, start_response = start_response_recorder()
        body = b"".join(response(environ, start_response))
        assert calls == [
            (
                "404 Not Found",
                [
                    ("Content-Type", "application/problem+json"),
                    ("Vary", "Accept"),
                    ("X-Flow-ID", "f1"),
                    ("Content-Length", str(len(response.body))),
                ],
            )
        ]
        assert body == response.body
        assert json.loads(body)["detail"] == "No order 7."

    def test_wsgi_head(self, response: ProblemResponse):
        """A HEAD gets the same headers and an empty body."""
        environ: dict[str, Any] = {"REQUEST_METHOD": "HEAD"}
        setup_testing_defaults(environ)
        calls, start_response = start_response_recorder()
        assert b"".join(response(environ, start_response)) == b""
        assert ("Content-Length", str(len(response.body))) in calls[0][1]

    @pytest.mark.parametrize(
        ("status", "line"),
        [(404, "404 Not Found"), (500, "500 Internal Server Error"), (599, "599 Error")],
    )
    def test_status_line(self, status: int, line: str):
        """The status line carries the registered phrase, or 'Error' for unregistered codes."""
        assert ProblemResponse(status, (("Content-Type", "x"),), b"").status_line == line

    def test_content_type(self, response: ProblemResponse):
        """content_type is the first header's value."""
        assert response.content_type == "application/problem+json"

    def test_frozen(self, response: ProblemResponse):
        """A response is immutable."""
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            response.status = 200  # type: ignore[misc]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="add_note is Python 3.11+")
def test_notes_added_with_add_note_do_not_leak():
    """Notes added the 3.11 way stay out of the 500."""
    exception = raised(ValueError("x"))
    exception.add_note(SECRET)
    assert SECRET.encode() not in ProblemHandler().handle(exception).body


class TestLogFailure:
    """ProblemHandler.log_failure: one record for what no response can answer any more."""

    def test_record(self, records: Records):
        """The record carries the request's facts, the exception and the level asked for."""
        handler = ProblemHandler()
        error = raised(ValueError("late"))
        handler.log_failure(
            "the response failed after it started; it is cut short",
            error,
            request_with(X_Flow_ID="req-9"),
            status=200,
        )
        (record,) = records
        assert record.levelno == logging.ERROR
        assert record.getMessage() == (
            "GET /orders/7: the response failed after it started; it is cut short (flow id req-9)"
        )
        assert (record.method, record.path, record.status_code, record.problem_type) == (  # type: ignore[attr-defined]
            "GET",
            "/orders/7",
            200,
            None,
        )
        assert record.exc_info is not None
        assert record.exc_info[1] is error

    def test_never_raises(self, records: Records):
        """A hostile exception and broken headers still give one formattable record."""

        class Hostile(Exception):
            def __str__(self) -> str:
                raise RuntimeError

        class BrokenHeaders:
            def get(self, _: str, /) -> str | None:
                raise RuntimeError

        ProblemHandler().log_failure(
            "closing the body",
            raised(Hostile()),
            RequestInfo(headers=BrokenHeaders()),
            level=logging.WARNING,
        )
        assert [record.levelno for record in records] == [logging.WARNING, logging.WARNING]
        for record in records:
            logging.Formatter().format(record)
