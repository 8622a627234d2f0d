"""The Flask adapter where Flask's own error handling ends: debug mode, teardown, streams, logs.

Everything goes through Flask's real request handling: the test client, or
the app called as a WSGI server calls it, or werkzeug's debugger around it.
The apps are ``apps.flask_errors``'s, built with Flask's defaults
(``PROPAGATE_EXCEPTIONS`` and ``TESTING`` unset) unless a test says otherwise.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from wsgiref.handlers import SimpleHandler

import pytest
from apps.flask_errors import BODIES, SECRET, Misconfigured, ShelfMissing, create_app
from flask import (
    Blueprint,
    Flask,
    Request,
    Response,
    abort,
    g,
    got_request_exception,
    send_file,
    stream_with_context,
)
from werkzeug.debug import DebuggedApplication
from werkzeug.test import Client

from problemdetails import Problem

TESTS = Path(__file__).parent
JSON = "application/problem+json"
FLOW = "flask-errors-flow"
GENERIC_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)
GENERIC_500 = {
    "type": "about:blank",
    "title": "Internal Server Error",
    "status": 500,
    "detail": GENERIC_DETAIL,
    "flow_id": FLOW,
}


class Hostile(Exception):
    """An exception whose str(), repr(), truth value and notes all raise."""

    def __str__(self) -> str:
        raise RuntimeError(SECRET)

    def __repr__(self) -> str:
        raise RuntimeError(SECRET)

    def __bool__(self) -> bool:
        raise RuntimeError(SECRET)

    @property
    def __notes__(self) -> list[str]:
        raise RuntimeError(SECRET)


@pytest.fixture(name="app")
def _app() -> Flask:
    return create_app()


@pytest.fixture(name="client")
def _client(app: Flask) -> Any:
    return app.test_client()


@pytest.fixture(name="records")
def _records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record the test makes, DEBUG and up."""
    caplog.set_level(logging.DEBUG)
    return caplog


@contextlib.contextmanager
def signalled(app: Flask) -> Iterator[list[BaseException]]:
    """Record the exceptions got_request_exception is sent with, for *app*."""
    received: list[BaseException] = []

    def receiver(sender: Flask, exception: BaseException, **_: object) -> None:
        received.append(exception)

    with got_request_exception.connected_to(receiver, app):
        yield received


def get(client: Any, path: str, method: str = "GET") -> Any:
    return client.open(path, method=method, headers={"X-Flow-ID": FLOW})


def assert_generic_500(response: Any) -> None:
    """*response* is the generic 500, whole, and nothing of the secret is in it."""
    assert response.status_code == 500
    assert response.headers["Content-Type"] == JSON
    assert response.headers["X-Flow-ID"] == FLOW
    assert response.headers["Content-Length"] == str(len(response.data))
    assert json.loads(response.data) == GENERIC_500
    assert SECRET not in response.get_data(as_text=True)
    assert all(SECRET not in value for _, value in response.headers)


def at_least(records: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [record for record in records.records if record.levelno >= level]


def assert_one_error(
    records: pytest.LogCaptureFixture, path: str, exception: type[BaseException] = Misconfigured
) -> logging.LogRecord:
    """The records hold one ERROR record and nothing at WARNING: the pipeline's, for *path*."""
    (record,) = at_least(records, logging.WARNING)
    assert (record.name, record.levelno) == ("problemdetails", logging.ERROR)
    facts = {
        name: getattr(record, name, None)
        for name in ("flow_id", "method", "path", "status_code", "problem_type")
    }
    assert facts == {
        "flow_id": FLOW,
        "method": "GET",
        "path": path,
        "status_code": 500,
        "problem_type": "about:blank",
    }
    assert record.exc_info is not None
    # Every standard handler can format it, and it names the exception.
    assert exception.__qualname__ in logging.Formatter().format(record)
    return record


class TestDebugMode:
    """Flask's debug flag alone puts nothing of an exception into a response."""

    def test_debug_flag_answers_with_the_generic_500(self, app, client, records):
        """With app.debug on and propagation unset, the client gets the generic 500."""
        app.debug = True
        with signalled(app) as received:
            response = get(client, "/boom")

        assert_generic_500(response)
        assert [type(error) for error in received] == [Misconfigured]
        assert_one_error(records, "/boom")

    def test_debug_flag_and_a_failing_after_request(self, app, client):
        """What fails outside a view in debug mode is the generic 500 as well."""
        app.debug = True

        assert_generic_500(get(client, "/after-request"))

    def test_under_the_werkzeug_debugger(self, app):
        """Behind werkzeug's debugger (``flask run --debug``), the generic 500, no debugger page."""
        app.debug = True
        client = Client(DebuggedApplication(app, evalex=True))

        assert_generic_500(get(client, "/boom"))

    def test_debugger_when_exceptions_propagate(self, app):
        """With PROPAGATE_EXCEPTIONS on, as asked, the exception reaches the debugger."""
        app.debug = True
        app.config["PROPAGATE_EXCEPTIONS"] = True
        client = Client(DebuggedApplication(app, evalex=True))

        response = get(client, "/boom")

        assert response.status_code == 500
        assert response.mimetype == "text/html"
        assert "Misconfigured" in response.get_data(as_text=True)

    @pytest.mark.parametrize("kind", ["late", "late-context"])
    @pytest.mark.parametrize("debugger", [False, True], ids=["test-client", "debugger"])
    def test_stream_failing_after_its_first_chunk(self, app, records, kind, debugger):
        """In debug mode a stream failing after its first chunk ends there, logged once.

        Behind werkzeug's debugger, re-raised, it got the debugger's page
        (the exception's text) appended to the body.
        """
        app.debug = True
        client = Client(DebuggedApplication(app, evalex=True)) if debugger else app.test_client()

        response = get(client, f"/stream/{kind}")

        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        assert response.get_data() == b"first chunk"
        (record,) = at_least(records, logging.WARNING)
        assert (record.name, record.levelno) == ("problemdetails", logging.ERROR)
        assert record.getMessage() == (
            f"GET /stream/{kind}: exception after the streamed response started; "
            f"it ends there, as the app is in debug mode (flow id {FLOW})"
        )
        assert (record.flow_id, record.status_code) == (FLOW, 200)  # type: ignore[attr-defined]
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], Misconfigured)

    def test_stream_failure_reaches_the_debugger_when_propagating(self, app):
        """With PROPAGATE_EXCEPTIONS on, as asked, a late stream failure reaches the debugger."""
        app.debug = True
        app.config["PROPAGATE_EXCEPTIONS"] = True
        client = Client(DebuggedApplication(app, evalex=True))

        body = get(client, "/stream/late").get_data(as_text=True)

        assert body.startswith("first chunk")
        assert "Misconfigured" in body

    def test_library_debug_setting_shows_the_exception(self):
        """The library's own debug setting, and only it, puts the exception into the 500."""
        app = create_app(debug=True)
        app.debug = True

        body = json.loads(get(app.test_client(), "/boom").data)

        assert body["detail"] == f"Misconfigured: {SECRET}"
        assert isinstance(body["traceback"], list)

    @pytest.mark.parametrize("method", ["GET", "HEAD"])
    @pytest.mark.parametrize(
        "config", [{}, {"TESTING": True}, {"PROPAGATE_EXCEPTIONS": True}], ids=str
    )
    def test_abort_with_a_response(self, app, config, method):
        """flask.abort(response) sends that response, whatever the mode."""
        app.debug = True
        app.config.update(config)

        response = get(app.test_client(), "/abort-response", method)

        assert response.status_code == 418
        assert response.data == (b"" if method == "HEAD" else b"teapot")


class TestOneRecordPerError:
    """One ERROR record per unexpected error, with the request's facts; the signal still sent."""

    def test_unexpected_error(self, client, records):
        """Flask's own "Exception on ..." record is gone; the pipeline's carries the request."""
        get(client, "/boom")

        record = assert_one_error(records, "/boom")
        native = record.request  # type: ignore[attr-defined]
        assert isinstance(native, Request)
        assert native.path == "/boom"

    def test_head(self, client, records):
        """A HEAD request gets the 500's headers without the body, logged once."""
        response = get(client, "/boom", "HEAD")

        assert response.status_code == 500
        assert response.headers["Content-Type"] == JSON
        assert int(response.headers["Content-Length"]) > 0
        assert response.data == b""
        (record,) = at_least(records, logging.WARNING)
        assert record.method == "HEAD"  # type: ignore[attr-defined]

    def test_signal_sent_once(self, app, client):
        """got_request_exception is sent once, with the exception."""
        with signalled(app) as received:
            get(client, "/boom")

        assert [type(error) for error in received] == [Misconfigured]

    def test_signal_sent_once_when_propagating(self, app, client):
        """When the exception propagates, the signal is still sent once, before."""
        app.config["TESTING"] = True
        with signalled(app) as received, pytest.raises(Misconfigured):
            get(client, "/boom")

        assert [type(error) for error in received] == [Misconfigured]

    @pytest.mark.parametrize("testing", [False, True])
    def test_raising_mapping_factory_runs_once(self, records, testing):
        """A mapping factory that raises is asked once; its failure is the one ERROR record."""
        calls: list[BaseException] = []

        def broken(error: KeyError) -> Problem:
            calls.append(error)
            raise RuntimeError(SECRET)

        app = create_app(mappings={KeyError: broken})
        app.config["TESTING"] = testing

        @app.get("/key")
        def key() -> str:
            raise KeyError(SECRET)

        with signalled(app) as received, contextlib.ExitStack() as stack:
            if testing:
                stack.enter_context(pytest.raises(KeyError))
            response = get(app.test_client(), "/key")

        assert len(calls) == 1
        assert [type(error) for error in received] == [KeyError]
        if testing:
            return
        assert_generic_500(response)
        (record,) = at_least(records, logging.WARNING)
        assert record.levelno == logging.ERROR
        assert record.getMessage().startswith("GET /key: mapping KeyError to a problem failed")
        assert (record.method, record.path, record.status_code) == ("GET", "/key", 500)  # type: ignore[attr-defined]
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], RuntimeError)
        assert isinstance(record.exc_info[1].__context__, KeyError)

    def test_declining_mapping_factory_runs_once(self, records):
        """A mapping factory that returns None is asked once; the error is unexpected."""
        calls: list[BaseException] = []

        def declines(error: KeyError) -> None:
            calls.append(error)

        app = create_app(mappings={KeyError: declines})

        @app.get("/key")
        def key() -> str:
            raise KeyError(SECRET)

        assert_generic_500(get(app.test_client(), "/key"))
        assert len(calls) == 1
        assert_one_error(records, "/key", KeyError)

    def test_failing_error_handler(self, app, records):
        """An app's error handler that raises is one ERROR record: its own failure."""

        @app.errorhandler(LookupError)
        def lookup(error: LookupError) -> str:
            raise Misconfigured(SECRET)

        @app.get("/lookup")
        def view() -> str:
            raise LookupError(SECRET)

        assert_generic_500(get(app.test_client(), "/lookup"))
        assert_one_error(records, "/lookup")

    def test_failing_receiver_when_propagating(self, app, client):
        """A receiver that raises while exceptions propagate is asked once; its error propagates."""
        calls: list[BaseException] = []

        def receiver(sender: Flask, exception: BaseException, **_: object) -> None:
            calls.append(exception)
            raise RuntimeError(SECRET)

        app.config["TESTING"] = True
        with (
            got_request_exception.connected_to(receiver, app),
            pytest.raises(RuntimeError, match=SECRET),
        ):
            get(client, "/boom")

        assert [type(error) for error in calls] == [Misconfigured]

    def test_sentry_gets_one_event_per_error(self):
        """Sentry's Flask integration reports each unexpected error once, problems never."""
        pytest.importorskip("sentry_sdk")
        paths = ["/boom", "/stream/early", "/teardown", "/problem", "/nowhere"]
        result = subprocess.run(
            [sys.executable, "-m", "apps.flask_sentry_probe", *paths],
            cwd=TESTS,
            env={**os.environ, "PYTHONPATH": str(TESTS)},
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )

        assert json.loads(result.stdout) == [
            {"path": "/boom", "status": 500, "events": [["Misconfigured", "flask"]]},
            {"path": "/stream/early", "status": 500, "events": [["Misconfigured", "flask"]]},
            # Outside the request, without the signal: the ERROR record is the event.
            {"path": "/teardown", "status": 500, "events": [["Misconfigured", "logging"]]},
            {"path": "/problem", "status": 404, "events": []},
            {"path": "/nowhere", "status": 404, "events": []},
        ]


class TestTeardown:
    """A teardown function that raises: the generic 500, logged once."""

    def test_generic_500(self, client, records):
        """The client gets the generic 500 in place of the response the view made."""
        response = get(client, "/teardown")

        assert_generic_500(response)
        assert "X-After" not in response.headers
        assert_one_error(records, "/teardown")

    def test_after_a_problem(self, client, records):
        """A teardown failure after a declared 404 makes the response the generic 500."""
        assert_generic_500(get(client, "/teardown-after-problem"))
        assert_one_error(records, "/teardown-after-problem")

    @pytest.mark.parametrize("method", ["GET", "HEAD"])
    def test_after_an_unexpected_error(self, client, records, method):
        """After the view's unexpected error, its 500 stands: one ERROR record, one flow id.

        The teardown failure is a warning with the flow id the client got;
        no flow id header is sent, so the flow id is made for the request.
        """
        response = client.open("/teardown-after-error", method=method)

        assert response.status_code == 500
        assert response.headers["Content-Type"] == JSON
        assert response.headers["X-After"] == "1"
        flow_id = response.headers["X-Flow-ID"]
        generic = {**GENERIC_500, "flow_id": flow_id}
        length = len(json.dumps(generic, separators=(",", ":")))
        assert response.headers["Content-Length"] == str(length)
        if method == "GET":
            assert json.loads(response.data) == generic
        else:
            assert response.data == b""
        error, warning = at_least(records, logging.WARNING)
        assert (error.levelno, warning.levelno) == (logging.ERROR, logging.WARNING)
        assert error.flow_id == warning.flow_id == flow_id  # type: ignore[attr-defined]
        assert error.getMessage() == (
            f"{method} /teardown-after-error failed with apps.flask_errors.Misconfigured: "
            f"answered with a 500 problem (flow id {flow_id})"
        )
        assert warning.getMessage() == (
            f"{method} /teardown-after-error: exception in a teardown function after an "
            f"unexpected error was answered; that answer is sent (flow id {flow_id})"
        )
        assert warning.exc_info is not None
        assert isinstance(warning.exc_info[1], Misconfigured)

    def test_app_context_teardown(self, app, records):
        """A teardown_appcontext function that raises is answered the same way."""

        @app.teardown_appcontext
        def broken(error: BaseException | None) -> None:
            if g.get("fail"):
                raise Misconfigured(SECRET)

        @app.get("/fail-later")
        def fail_later() -> str:
            g.fail = True
            return "made"

        assert_generic_500(get(app.test_client(), "/fail-later"))
        assert_one_error(records, "/fail-later")

    @pytest.mark.parametrize("path", ["/teardown", "/ok"])
    def test_server_sees_one_start_response(self, app, path):
        """The server gets one status and one set of headers: the held ones never mix in."""
        calls: list[tuple[Any, ...]] = []

        def start_response(*args: Any) -> Callable[[bytes], object]:
            calls.append(args)
            return lambda _: None

        environ = Client(app).get(path).request.environ
        environ.update(HTTP_X_FLOW_ID=FLOW)
        body = b"".join(app(environ, start_response))

        (call,) = calls
        if path == "/ok":
            assert call[0] == "200 OK"
            assert json.loads(body)["ok"] is True
            return
        assert call == (
            "500 Internal Server Error",
            [
                ("Content-Type", JSON),
                ("Vary", "Accept"),
                ("X-Flow-ID", FLOW),
                ("Content-Length", str(len(body))),
            ],
        )
        assert json.loads(body) == GENERIC_500

    def test_head(self, client):
        """A HEAD request gets the 500's headers, with the length of the body it omits."""
        response = get(client, "/teardown", "HEAD")

        assert response.status_code == 500
        assert response.headers["Content-Type"] == JSON
        assert int(response.headers["Content-Length"]) == len(
            json.dumps(GENERIC_500, separators=(",", ":"))
        )
        assert response.data == b""

    def test_propagates_when_asked(self, app, client):
        """With TESTING on, the teardown failure reaches the test, as Flask's own would."""
        app.config["TESTING"] = True

        with pytest.raises(Misconfigured):
            get(client, "/teardown")

    def test_hostile_exception(self, app, records):
        """A teardown failure whose str, repr, bool and notes raise: one formattable record."""

        @app.teardown_request
        def hostile(error: BaseException | None) -> None:
            raise Hostile

        assert_generic_500(get(app.test_client(), "/ok"))
        assert_one_error(records, "/ok", Hostile)


class TestRefusedResponses:
    """A response the server refuses is replaced by a problem only where nothing of it stays."""

    def test_refused_hop_by_hop_header(self, app):
        """wsgiref refuses a hop-by-hop header: the generic 500 replaces the whole response."""
        environ = Client(app).get("/refused-header/hop").request.environ
        environ.update(HTTP_X_FLOW_ID=FLOW)
        output, errors = io.BytesIO(), io.StringIO()

        SimpleHandler(io.BytesIO(), output, errors, environ, multithread=False).run(app)

        head, _, body = output.getvalue().partition(b"\r\n\r\n")
        status, *lines = head.decode("latin-1").split("\r\n")
        assert status == "HTTP/1.0 500 Internal Server Error"
        assert [line.partition(":")[0] for line in lines] == [
            "Date",
            "Content-Type",
            "Vary",
            "X-Flow-ID",
            "Content-Length",
        ]
        assert json.loads(body) == GENERIC_500
        assert errors.getvalue() == ""


class TestStreamedResponses:
    """A streamed response that fails before its first chunk is the 500 problem."""

    @pytest.mark.parametrize("kind", ["early", "early-context"])
    def test_failure_before_the_first_chunk(self, app, client, records, kind):
        """The generic 500, the signal sent once, one ERROR record, after_request applied once."""
        with signalled(app) as received:
            response = get(client, f"/stream/{kind}")

        assert_generic_500(response)
        assert response.headers["X-After"] == "1"
        assert [type(error) for error in received] == [Misconfigured]
        assert_one_error(records, f"/stream/{kind}")

    @pytest.mark.parametrize("kind", ["late", "late-context"])
    def test_failure_after_the_first_chunk(self, client, records, kind):
        """After the first chunk the response is cut short: the server sees the exception."""
        response = get(client, f"/stream/{kind}")

        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
        with pytest.raises(Misconfigured):
            response.get_data()
        (record,) = at_least(records, logging.WARNING)
        assert (record.name, record.levelno) == ("problemdetails", logging.ERROR)
        assert "cut short" in record.getMessage()
        assert (record.flow_id, record.path, record.status_code) == (  # type: ignore[attr-defined]
            FLOW,
            f"/stream/{kind}",
            200,
        )

    @pytest.mark.parametrize(
        ("path", "body"),
        [
            ("/stream/ok", b"one two"),
            ("/stream/empty", b""),
            ("/stream/context?name=ada", b"hello ada"),
            ("/body/ok", b"one two"),
        ],
    )
    def test_success_unchanged(self, client, records, path, body):
        """Streams that do not fail arrive chunk for chunk, with after_request applied once."""
        response = get(client, path)

        assert response.status_code == 200
        assert response.data == body
        assert response.headers["X-After"] == "1"
        assert "X-Flow-ID" not in response.headers
        assert records.records == []

    def test_closed_once(self, client):
        """A streamed body is closed once, when the response is."""
        response = get(client, "/body/ok")
        response.get_data()
        response.close()

        assert BODIES["ok"].closed == 1

    def test_failed_body_closed(self, client):
        """The body whose first chunk failed is closed before the problem is sent."""
        assert_generic_500(get(client, "/body/early"))
        assert BODIES["early"].closed == 1

    def test_close_that_raises(self, client, records):
        """A failing body whose close() raises too: the 500, and a WARNING for the close."""
        assert_generic_500(get(client, "/body/early-close-raises"))
        warning, error = at_least(records, logging.WARNING)
        assert (warning.levelno, error.levelno) == (logging.WARNING, logging.ERROR)
        assert "closing the failed streamed response failed" in warning.getMessage()
        assert SECRET not in warning.getMessage()

    def test_head_does_not_start_the_body(self, client):
        """HEAD responses never run the body: werkzeug does not iterate it."""
        response = get(client, "/body/ok", "HEAD")

        assert (response.status_code, response.data) == (200, b"")
        assert BODIES["ok"].started is False

    def test_propagates_when_asked(self, app, client):
        """With TESTING on, the failure reaches the test."""
        app.config["TESTING"] = True

        with pytest.raises(Misconfigured):
            get(client, "/stream/early")

    def test_files_are_not_touched(self, app):
        """send_file's responses keep their file wrapper and are not read early."""

        @app.get("/file")
        def file() -> Response:
            return send_file(io.BytesIO(b"file body"), mimetype="text/plain")

        response = get(app.test_client(), "/file")

        assert (response.status_code, response.data) == (200, b"file body")

    def test_hostile_exception(self, app, records):
        """A stream failing with a hostile exception: the generic 500, one formattable record."""

        def hostile() -> Iterator[bytes]:
            raise Hostile
            yield b"never"

        @app.get("/hostile-stream")
        def view() -> Response:
            return Response(hostile())

        assert_generic_500(get(app.test_client(), "/hostile-stream"))
        assert_one_error(records, "/hostile-stream", Hostile)


class TestAfterRequestFailures:
    """An after_request function that raises: the generic 500, Flask's records not written."""

    def test_generic_500(self, client, records):
        """One ERROR record for the failure; a WARNING when it fails again on the 500."""
        response = get(client, "/after-request")

        assert_generic_500(response)
        error, warning = at_least(records, logging.WARNING)
        assert (error.name, error.levelno) == ("problemdetails", logging.ERROR)
        assert (warning.name, warning.levelno) == ("problemdetails", logging.WARNING)
        assert "after_request functions failed on the error response" in warning.getMessage()

    def test_hostile_exception(self, app, records):
        """An after_request failure with a hostile exception: the 500, records that format."""

        @app.after_request
        def hostile(response: Response) -> Response:
            raise Hostile

        assert_generic_500(get(app.test_client(), "/ok"))
        for record in at_least(records, logging.WARNING):
            logging.Formatter().format(record)


class TestAppErrorHandlers:
    """Error handlers the app registers itself keep Flask's precedence."""

    def test_app_500_handler_answers(self, app, records):
        """An app's 500 handler gets the InternalServerError; Flask logs the exception."""

        @app.errorhandler(500)
        def server_error(error: Any) -> tuple[dict[str, str], int]:
            return {"mine": type(error.original_exception).__name__}, 500

        with signalled(app) as received:
            response = get(app.test_client(), "/boom")

        assert (response.status_code, response.json) == (500, {"mine": "Misconfigured"})
        assert [type(error) for error in received] == [Misconfigured]
        (record,) = at_least(records, logging.WARNING)
        assert (record.name, record.levelno) == (app.logger.name, logging.ERROR)

    def test_app_500_handler_that_raises(self, app, records):
        """An app's 500 handler that raises: the generic 500, its failure logged."""

        @app.errorhandler(500)
        def server_error(error: Any) -> str:
            raise RuntimeError(SECRET)

        assert_generic_500(get(app.test_client(), "/boom"))
        names = [(record.name, record.levelno) for record in at_least(records, logging.WARNING)]
        assert names == [(app.logger.name, logging.ERROR), ("problemdetails", logging.ERROR)]

    def test_blueprint_500_handler(self, app):
        """A blueprint's 500 handler answers for its routes only."""
        shop = Blueprint("shop", __name__, url_prefix="/shop")

        @shop.get("/boom")
        def shop_boom() -> str:
            raise Misconfigured(SECRET)

        @shop.errorhandler(500)
        def shop_error(error: Any) -> tuple[str, int]:
            return "shop error", 500

        app.register_blueprint(shop)
        client = app.test_client()

        assert get(client, "/shop/boom").data == b"shop error"
        assert_generic_500(get(client, "/boom"))


class TestProblemsOutsideViews:
    """Problems and mapped exceptions raised outside a view are answered as in a view."""

    @pytest.fixture(name="mapped")
    def _mapped(self) -> Flask:
        """The app, with LookupError mapped to a declared 404."""
        return create_app(mappings={LookupError: lambda _: ShelfMissing(shelf=-1)})

    @pytest.mark.parametrize(
        ("where", "raised"),
        [
            ("stream", ShelfMissing(shelf=3)),
            ("stream", LookupError(SECRET)),
            ("after-request", ShelfMissing(shelf=3)),
            ("after-request", LookupError(SECRET)),
            ("teardown", LookupError(SECRET)),
        ],
        ids=["stream-problem", "stream-mapped", "after-problem", "after-mapped", "teardown-mapped"],
    )
    def test_answered_as_their_problem(self, mapped, where, raised):
        """A declared problem renders as itself, a mapped exception as its problem; no signal."""
        shelf = raised.shelf if isinstance(raised, ShelfMissing) else -1

        def stream() -> Iterator[bytes]:
            raise raised
            yield b"never"

        @mapped.get("/stream")
        def streamed() -> Response:
            return Response(stream())

        @mapped.after_request
        def after(response: Response) -> Response:
            if where == "after-request":
                raise raised
            return response

        @mapped.teardown_request
        def teardown(error: BaseException | None) -> None:
            if where == "teardown":
                raise raised

        with signalled(mapped) as received:
            response = get(mapped.test_client(), "/stream" if where == "stream" else "/ok")

        assert response.status_code == 404
        assert response.headers["Content-Type"] == JSON
        assert json.loads(response.data) == {
            "type": "urn:flask-errors:shelf-missing",
            "title": "No such shelf.",
            "status": 404,
            "flow_id": FLOW,
            "shelf": shelf,
        }
        assert received == []

    def test_abort_in_a_streamed_body(self, app):
        """flask.abort(404) in a stream_with_context body before its first chunk is the 404."""

        def stream() -> Iterator[bytes]:
            abort(404)
            yield b"never"

        @app.get("/abort-stream")
        def view() -> Response:
            return Response(stream_with_context(stream()))

        response = get(app.test_client(), "/abort-stream")

        assert response.status_code == 404
        assert json.loads(response.data) == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "flow_id": FLOW,
        }
