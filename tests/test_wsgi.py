"""The WSGI middleware, served by wsgiref's PEP 3333 handler and checked by its validator."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from wsgiref.handlers import SimpleHandler
from wsgiref.util import FileWrapper, setup_testing_defaults
from wsgiref.validate import validator

import attrs
import pytest
from flask import Flask
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import (
    HTTPException,
    MethodNotAllowed,
    NotFound,
    TooManyRequests,
    Unauthorized,
)
from werkzeug.routing import RequestRedirect
from werkzeug.wrappers import Response

from problemdetails import ConfigurationError, Problem
from problemdetails.adapters.wsgi import ProblemDetailsMiddleware

JSON = "application/problem+json"
XML = "application/problem+xml"
FLOW = "wsgi-test-flow"
GENERIC_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)
SECRET = "s3cr3t-token-in-message"  # noqa: S105 - the leak canary

StartResponse = Callable[..., Callable[[bytes], object]]
App = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def ignore(*_: object) -> None:
    """A write callable, or start_response, that ignores what it is given."""


def no_start_response(*_: object) -> Callable[[bytes], object]:
    """A start_response for calling the middleware directly."""
    return ignore


class Conflict(Problem, type="urn:wsgi-test:conflict", title="Version conflict.", status=409):
    expected: int


@attrs.define
class Served:
    """What a client received from the server."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    errors: str

    def header(self, name: str) -> str | None:
        values = self.headers_named(name)
        assert len(values) <= 1, values
        return values[0] if values else None

    def headers_named(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key.lower() == name.lower()]

    def problem(self) -> dict[str, Any]:
        assert self.header("Content-Type") == JSON
        assert self.header("Content-Length") == str(len(self.body))
        return json.loads(self.body)  # type: ignore[no-any-return]


def serve(app: App, method: str = "GET", path: str = "/", **environ: str) -> Served:
    """Serve one request with wsgiref's handler, the app checked by wsgiref's validator."""
    env: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_X_FLOW_ID": FLOW,
        **environ,
    }
    setup_testing_defaults(env)
    output, errors = io.BytesIO(), io.StringIO()
    SimpleHandler(io.BytesIO(), output, errors, env, multithread=False).run(validator(app))
    head, _, body = output.getvalue().partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = [tuple(line.split(": ", 1)) for line in lines]
    return Served(
        status.partition(" ")[2],
        [(k, v) for k, v in headers if k != "Date"],  # type: ignore[misc]
        body,
        errors.getvalue(),
    )


def wrap(app: App, **settings: Any) -> App:
    """Wrap *app*, itself checked by wsgiref's validator (so close() is seen to be called)."""
    return ProblemDetailsMiddleware(validator(app), **settings)  # type: ignore[arg-type]


class Body:
    """A response body that records whether the server closed it."""

    def __init__(self, chunks: Iterable[bytes], fail_at: int | None = None) -> None:
        self.chunks = list(chunks)
        self.fail_at = fail_at
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_at:
                raise RuntimeError(SECRET)
            yield chunk
        if self.fail_at == len(self.chunks):
            raise RuntimeError(SECRET)

    def close(self) -> None:
        self.closed += 1


def text(status: str, headers: list[tuple[str, str]], body: bytes = b"") -> App:
    """An app answering with a fixed response."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        start_response(status, headers)
        return [body]

    return app


def raising(error: Exception, *, when: str = "before") -> App:
    """An app raising *error* before or after start_response, or from its body."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if when == "before":
            raise error
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        if when == "after-start":
            raise error
        return generator()

    def generator() -> Iterator[bytes]:
        raise error
        yield b"never"

    return app


def lazy(error: Exception) -> App:
    """A generator app: start_response and the failure happen on the first next()."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
        start_response("200 OK", [("Content-Type", "text/plain")])
        raise error
        yield b"never"

    return app


class TestExceptionsBeforeTheResponse:
    @pytest.mark.parametrize(
        "app",
        [
            raising(Conflict(expected=3), when="before"),
            raising(Conflict(expected=3), when="after-start"),
            raising(Conflict(expected=3), when="in-body"),
            lazy(Conflict(expected=3)),
        ],
        ids=["before-start-response", "after-start-response", "first-chunk", "generator-app"],
    )
    def test_problem_renders_as_itself(self, app):
        """A raised problem replaces whatever the app had started, wherever it was raised."""
        served = serve(wrap(app))

        assert served.status == "409 Conflict"
        assert served.headers == [
            ("Content-Type", JSON),
            ("Vary", "Accept"),
            ("X-Flow-ID", FLOW),
            ("Content-Length", str(len(served.body))),
        ]
        assert served.body == (
            b'{"type":"urn:wsgi-test:conflict","title":"Version conflict.","status":409,'
            b'"flow_id":"wsgi-test-flow","expected":3}'
        )
        assert served.errors == ""

    @pytest.mark.parametrize(
        "app",
        [raising(Conflict(expected=3), when="after-start"), lazy(Conflict(expected=3))],
        ids=["after-start-response", "generator-app"],
    )
    def test_server_sees_one_start_response(self, app):
        """The app's held status never reaches the server: one clean call, no header mix."""
        calls: list[tuple[Any, ...]] = []

        def start_response(*args: Any) -> Callable[[bytes], object]:
            calls.append(args)
            return ignore

        result = ProblemDetailsMiddleware(app)({"REQUEST_METHOD": "GET"}, start_response)
        body = b"".join(result)
        getattr(result, "close", ignore)()

        assert len(calls) == 1
        status, headers = calls[0]
        assert status == "409 Conflict"
        assert [name for name, _ in headers] == [
            "Content-Type",
            "Vary",
            "X-Flow-ID",
            "Content-Length",
        ]
        assert headers[3] == ("Content-Length", str(len(body)))

    @pytest.mark.parametrize("when", ["before", "after-start", "in-body"])
    def test_exception_whose_class_raises(self, caplog, when):
        """An exception whose ``__class__`` raises is the generic 500, logged once."""

        class LyingClass(Exception):
            @property
            def __class__(self) -> type:  # type: ignore[override]
                raise RuntimeError(SECRET)

        with caplog.at_level(logging.DEBUG, logger="problemdetails"):
            served = serve(wrap(raising(LyingClass(), when=when)))

        assert served.status == "500 Internal Server Error"
        assert served.problem() == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": GENERIC_DETAIL,
            "flow_id": FLOW,
        }
        assert served.errors == ""
        (record,) = caplog.records
        assert (record.levelno, record.flow_id) == (logging.ERROR, FLOW)  # type: ignore[attr-defined]

    def test_second_start_response_without_exc_info_refused(self):
        """Calling start_response twice without exc_info is an app error, as servers say."""

        def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            start_response("201 Created", [("Content-Type", "text/plain")])
            return [b"x"]

        served = serve(ProblemDetailsMiddleware(app))

        assert served.status == "500 Internal Server Error"

    def test_app_restart_with_exc_info_replaces(self):
        """An app that restarts its response with exc_info sends only the second one."""

        def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain"), ("X-First", "1")])
            try:
                raise RuntimeError(SECRET)
            except RuntimeError as error:
                start_response(
                    "503 Service Unavailable",
                    [("Content-Type", "text/plain")],
                    (type(error), error, error.__traceback__),
                )
            return [b"later"]

        served = serve(wrap(app))

        assert served.status == "503 Service Unavailable"
        assert served.header("X-First") is None
        assert served.body == b"later"

    def test_unexpected_error_is_the_generic_500(self, caplog):
        """Any other exception is the generic 500, logged with its traceback and flow id."""
        with caplog.at_level(logging.ERROR, logger="problemdetails"):
            served = serve(wrap(raising(RuntimeError(SECRET), when="after-start")))

        assert served.status == "500 Internal Server Error"
        assert served.problem() == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": GENERIC_DETAIL,
            "flow_id": FLOW,
        }
        assert SECRET not in str(served.headers)
        (record,) = caplog.records
        assert record.flow_id == FLOW  # type: ignore[attr-defined]
        assert record.exc_info is not None
        assert str(record.exc_info[1]) == SECRET

    def test_mapped_exception(self):
        """An exception the mappings setting maps renders as its problem."""
        app = wrap(raising(KeyError("x")), mappings={KeyError: lambda _: Conflict(expected=1)})

        assert serve(app).problem()["expected"] == 1

    @pytest.mark.parametrize(
        ("error", "status", "headers", "detail"),
        [
            (NotFound(), "404 Not Found", [], None),
            (NotFound("No book 42."), "404 Not Found", [], "No book 42."),
            (
                MethodNotAllowed(valid_methods=["GET", "POST"]),
                "405 Method Not Allowed",
                [("Allow", "GET, POST")],
                None,
            ),
            (
                Unauthorized(www_authenticate=WWWAuthenticate("bearer", {"realm": "api"})),
                "401 Unauthorized",
                [("WWW-Authenticate", str(WWWAuthenticate("bearer", {"realm": "api"})))],
                None,
            ),
            (TooManyRequests(retry_after=5), "429 Too Many Requests", [("Retry-After", "5")], None),
        ],
    )
    def test_werkzeug_http_exceptions(self, error, status, headers, detail):
        """werkzeug's HTTP errors become about:blank problems with their headers."""
        served = serve(wrap(raising(error)))

        assert served.status == status
        assert served.headers[:3] == [
            ("Content-Type", JSON),
            ("Vary", "Accept"),
            ("X-Flow-ID", FLOW),
        ]
        assert served.headers[3:-1] == headers
        body = served.problem()
        assert body["type"] == "about:blank"
        assert body["title"] == status.partition(" ")[2]
        assert body.get("detail") == detail

    def test_redirect_served_as_is(self):
        """A raised RequestRedirect is werkzeug's own 308 response."""
        served = serve(wrap(raising(RequestRedirect("http://localhost/new/"), when="after-start")))

        assert served.status.title() == "308 Permanent Redirect"
        assert served.header("Location") == "http://localhost/new/"
        assert served.header("Content-Type") != JSON

    def test_exception_with_its_own_response(self):
        """An HTTPException carrying a response sends that response."""
        served = serve(wrap(raising(HTTPException(response=Response("teapot", status=418)))))

        assert served.status.startswith("418")
        assert served.body == b"teapot"

    def test_xml(self):
        """Accept: application/problem+xml is honoured."""
        served = serve(wrap(raising(Conflict(expected=3))), HTTP_ACCEPT=XML)

        assert served.header("Content-Type") == XML
        assert served.body.startswith(b'<?xml version="1.0" encoding="UTF-8"?><problem')

    def test_head(self):
        """A HEAD request gets the headers, Content-Length included, but no body."""
        served = serve(wrap(raising(Conflict(expected=3))), method="HEAD")

        assert served.status == "409 Conflict"
        assert served.header("Content-Type") == JSON
        assert int(served.header("Content-Length") or 0) > 0
        assert served.body == b""

    def test_instance_setting(self):
        """instance='path' gives the percent-encoded path below SCRIPT_NAME."""
        app = wrap(raising(Conflict(expected=3)), instance="path")

        served = serve(app, path="/b\u00c3\u00a9/1", SCRIPT_NAME="/api")

        assert served.problem()["instance"] == "/api/b%C3%A9/1"

    def test_headers_sent_by_write_are_not_replaced(self, caplog):
        """If write() sent the headers, the server re-raises and the response is cut short."""

        def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            write = start_response("200 OK", [("Content-Type", "text/plain")])
            write(b"partial")
            raise RuntimeError(SECRET)

        with caplog.at_level(logging.ERROR):
            served = serve(ProblemDetailsMiddleware(app))

        assert served.status == "200 OK"
        assert served.body == b"partial"
        assert f"RuntimeError: {SECRET}" in served.errors

    def test_headers_the_server_refuses(self):
        """If the server refuses the app's headers, nothing is sent yet: a 500 problem is."""

        def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain"), ("Connection", "close")])
            return [b"hop-by-hop headers are the server's business"]

        served = serve(ProblemDetailsMiddleware(app))

        assert served.status == "500 Internal Server Error"
        assert served.problem()["detail"] == GENERIC_DETAIL

    def test_restart_after_write_is_refused_by_the_server(self):
        """An app restarting its response after write() gets the server's re-raise."""

        def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            write = start_response("200 OK", [("Content-Type", "text/plain")])
            write(b"partial")
            write(b" more")
            try:
                raise RuntimeError(SECRET)
            except RuntimeError as error:
                start_response("500 Oops", [], (type(error), error, error.__traceback__))
            return [b"never"]

        served = serve(ProblemDetailsMiddleware(app))

        assert served.status == "200 OK"
        assert served.body == b"partial more"
        assert f"RuntimeError: {SECRET}" in served.errors

    def test_bad_setting(self):
        """A wrong setting fails where the middleware is made."""
        with pytest.raises(ConfigurationError, match=r"ProblemDetailsMiddleware\(\)"):
            ProblemDetailsMiddleware(text("200 OK", []), flow_id_header="X Bad")


class TestExceptionsAfterTheResponseStarted:
    def test_logged_and_cut_short(self, caplog):
        """After the first chunk, the exception is logged and re-raised for the server."""
        body = Body([b"one", b"two"], fail_at=1)

        def app(environ: dict[str, Any], start_response: StartResponse) -> Body:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return body

        with caplog.at_level(logging.ERROR, logger="problemdetails"):
            served = serve(wrap(app))

        assert served.status == "200 OK"
        assert served.body == b"one"
        assert f"RuntimeError: {SECRET}" in served.errors
        (record,) = caplog.records
        assert "cut short" in record.getMessage()
        assert record.exc_info is not None
        assert body.closed == 1

    def test_start_response_called_once(self):
        """PEP 3333: no second start_response once the response has started."""
        calls: list[tuple[Any, ...]] = []
        body = Body([b"one"], fail_at=1)

        def app(environ: dict[str, Any], start_response: StartResponse) -> Body:
            start_response("200 OK", [])
            return body

        def start_response(*args: Any) -> Callable[[bytes], object]:
            calls.append(args)
            return ignore

        result = ProblemDetailsMiddleware(app)({"REQUEST_METHOD": "GET"}, start_response)
        chunks = iter(result)
        assert next(chunks) == b"one"
        with pytest.raises(RuntimeError, match=SECRET):
            next(chunks)
        result.close()  # type: ignore[attr-defined]

        assert calls == [("200 OK", [])]
        assert body.closed == 1

    def test_closed_when_never_iterated(self):
        """The app's iterable is closed even if the server closes without iterating."""
        body = Body([b"one"])

        def app(environ: dict[str, Any], start_response: StartResponse) -> Body:
            start_response("200 OK", [])
            return body

        result = ProblemDetailsMiddleware(app)({"REQUEST_METHOD": "GET"}, no_start_response)
        result.close()  # type: ignore[attr-defined]

        assert body.closed == 1

    def test_closed_after_a_problem_from_the_body(self):
        """An iterable that failed on its first chunk is still closed."""
        body = Body([b"one"], fail_at=0)

        def app(environ: dict[str, Any], start_response: StartResponse) -> Body:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return body

        served = serve(wrap(app))

        assert served.status == "500 Internal Server Error"
        assert body.closed == 1


class TestSuccessPath:
    @pytest.mark.parametrize("convert", [False, True])
    def test_list_body_passed_through(self, convert):
        """A list body is returned as the very same object, with the app's status and headers."""
        body = [b"ok"]
        seen: list[object] = []

        def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            seen.append(start_response)
            start_response("200 OK", [("Content-Type", "text/plain")])
            return body

        calls: list[tuple[Any, ...]] = []

        def start_response(*args: Any) -> Callable[[bytes], object]:
            calls.append(args)
            return ignore

        middleware = ProblemDetailsMiddleware(app, convert_error_responses=convert)
        result = middleware({"REQUEST_METHOD": "GET"}, start_response)

        assert result is body
        assert calls == [("200 OK", [("Content-Type", "text/plain")])]

    def test_file_wrapper_passed_through(self):
        """A wsgi.file_wrapper body keeps its type, so servers can still send the file."""
        wrapped = FileWrapper(io.BytesIO(b"file"))

        def app(environ: dict[str, Any], start_response: StartResponse) -> FileWrapper:
            start_response("200 OK", [])
            return wrapped

        result = ProblemDetailsMiddleware(app)(
            {"REQUEST_METHOD": "GET", "wsgi.file_wrapper": FileWrapper}, no_start_response
        )

        assert result is wrapped

    def test_streamed_body_unchanged(self):
        """A generator body reaches the client chunk for chunk and is closed."""
        body = Body([b"a", b"b", b"c"])

        def app(environ: dict[str, Any], start_response: StartResponse) -> Body:
            start_response("200 OK", [("Content-Type", "text/plain")])
            return body

        served = serve(wrap(app))

        assert served.status == "200 OK"
        assert served.body == b"abc"
        assert body.closed == 1

    def test_empty_body(self):
        """An empty iterable stays empty."""

        def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
            start_response("204 No Content", [])
            return iter(())

        served = serve(wrap(app))

        assert served.status == "204 No Content"
        assert served.body == b""


def flask_app() -> Flask:
    """A Flask app without the Flask extension: its errors are HTML pages."""
    app = Flask(__name__)

    @app.get("/ok")
    def ok() -> str:
        return "ok"

    return app


class TestConvertErrorResponses:
    @pytest.mark.parametrize(
        ("status", "headers", "kept"),
        [
            ("404 Not Found", [], []),
            (
                "405 Method Not Allowed",
                [("Content-Type", "text/html; charset=utf-8"), ("Allow", "GET, POST")],
                [("Allow", "GET, POST")],
            ),
            (
                "401 Unauthorized",
                [("WWW-Authenticate", 'Basic realm="a"'), ("WWW-Authenticate", "Bearer")],
                [("WWW-Authenticate", 'Basic realm="a"'), ("WWW-Authenticate", "Bearer")],
            ),
            (
                "503 Service Unavailable",
                [("Content-Type", "text/plain"), ("Retry-After", "120")],
                [("Retry-After", "120")],
            ),
            (
                "400 Bad Request",
                [
                    ("Content-Type", "application/json"),
                    ("Content-Length", "13"),
                    ("Content-Language", "en"),
                    ("ETag", '"v1"'),
                    ("Set-Cookie", "a=1"),
                    ("Set-Cookie", "b=2"),
                    ("X-Flow-ID", "from-the-app"),
                    ("Vary", "Accept"),
                    ("Vary", "Cookie"),
                ],
                [("Set-Cookie", "a=1"), ("Set-Cookie", "b=2"), ("Vary", "Cookie")],
            ),
        ],
    )
    def test_error_response_becomes_problem(self, status, headers, kept):
        """An error response the app made becomes a problem; headers that matter are kept."""
        # Not validated: PEP 3333 servers accept error responses without a Content-Type.
        app = ProblemDetailsMiddleware(
            text(status, headers, b'{"x":1}'), convert_error_responses=True
        )

        served = serve(app)

        assert served.status == status
        assert served.headers == [
            ("Content-Type", JSON),
            ("Vary", "Accept"),
            ("X-Flow-ID", FLOW),
            *kept,
            ("Content-Length", str(len(served.body))),
        ]
        assert served.problem() == {
            "type": "about:blank",
            "title": status.partition(" ")[2],
            "status": int(status[:3]),
            "flow_id": FLOW,
        }

    def test_server_error_page_never_leaks(self, caplog):
        """A 500 debug page from the app is replaced; its content is never sent."""
        page = f"<pre>Traceback ... {SECRET}</pre>".encode()
        app = wrap(
            text("500 Internal Server Error", [("Content-Type", "text/html")], page),
            convert_error_responses=True,
        )

        with caplog.at_level(logging.DEBUG, logger="problemdetails"):
            served = serve(app)

        assert served.status == "500 Internal Server Error"
        assert SECRET.encode() not in served.body
        assert served.problem()["title"] == "Internal Server Error"
        # The app answered its own error: a 500 it chose, a WARNING like a declared one.
        (record,) = caplog.records
        assert (record.levelno, record.flow_id) == (logging.WARNING, FLOW)  # type: ignore[attr-defined]

    @pytest.mark.parametrize(
        ("method", "status", "headers"),
        [
            ("GET", "404 Not Found", [("Content-Type", JSON)]),
            ("GET", "422 Unprocessable Entity", [("Content-Type", f"{JSON}; charset=utf-8")]),
            ("GET", "409 Conflict", [("Content-Type", XML)]),
            ("GET", "304 Not Modified", []),
            ("GET", "302 Found", [("Location", "/elsewhere"), ("Content-Type", "text/plain")]),
            ("GET", "200 OK", [("Content-Type", "text/html")]),
            ("HEAD", "404 Not Found", [("Content-Type", "text/html")]),
        ],
    )
    def test_left_alone(self, method, status, headers):
        """Problem documents, HEAD, and statuses below 400 pass through untouched."""
        body = b"" if method == "HEAD" or status.startswith("304") else b"original"

        served = serve(wrap(text(status, headers, body), convert_error_responses=True), method)

        assert served.status == status
        assert served.body == body
        for header in headers:
            assert header in served.headers

    @pytest.mark.parametrize(
        ("status", "converted"), [("499 Client Closed Request", True), ("600 Beyond", False)]
    )
    def test_unusual_statuses(self, status, converted):
        """Unregistered error codes are converted without a title; others pass through."""
        app = ProblemDetailsMiddleware(
            text(status, [("Content-Type", "text/html")], b"page"), convert_error_responses=True
        )
        calls: list[tuple[Any, ...]] = []

        def start_response(*args: Any) -> Callable[[bytes], object]:
            calls.append(args)
            return ignore

        body = b"".join(app({"REQUEST_METHOD": "GET", "HTTP_X_FLOW_ID": FLOW}, start_response))

        assert calls[0][0] == status
        if converted:
            assert json.loads(body) == {"type": "about:blank", "status": 499, "flow_id": FLOW}
        else:
            assert body == b"page"

    def test_off_by_default(self):
        """Without the opt-in, the app's own error pages pass through."""
        served = serve(wrap(text("404 Not Found", [("Content-Type", "text/html")], b"<h1>no</h1>")))

        assert served.body == b"<h1>no</h1>"

    def test_generator_app(self):
        """A generator app whose status is only known at the first chunk is converted."""
        body = Body([b"<h1>", b"missing</h1>"])

        def app(environ: dict[str, Any], start_response: StartResponse) -> Iterator[bytes]:
            start_response("404 Not Found", [("Content-Type", "text/html")])
            yield from body

        served = serve(wrap(app, convert_error_responses=True))

        assert served.status == "404 Not Found"
        assert served.problem()["status"] == 404

    def test_replaced_body_closed(self):
        """The replaced body is closed, never sent."""
        body = Body([b"<h1>gone</h1>"])

        def app(environ: dict[str, Any], start_response: StartResponse) -> Body:
            start_response("410 Gone", [("Content-Type", "text/html")])
            return body

        served = serve(wrap(app, convert_error_responses=True))

        assert served.problem()["title"] == "Gone"
        assert body.closed == 1

    def test_failing_close_still_converts(self, caplog):
        """If closing the replaced body fails, the problem is sent and the failure logged."""

        class Broken(Body):
            def close(self) -> None:
                raise RuntimeError(SECRET)

        def app(environ: dict[str, Any], start_response: StartResponse) -> Body:
            start_response("404 Not Found", [])
            return Broken([b"x"])

        with caplog.at_level(logging.WARNING, logger="problemdetails"):
            served = serve(ProblemDetailsMiddleware(app, convert_error_responses=True))

        assert served.problem()["status"] == 404
        assert any("closing the replaced" in r.getMessage() for r in caplog.records)

    def test_written_body_discarded(self):
        """Data an app sends through write() for an error response is not sent."""

        def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            write = start_response("403 Forbidden", [("Content-Type", "text/plain")])
            write(b"secret page")
            return []

        served = serve(wrap(app, convert_error_responses=True))

        assert served.problem()["title"] == "Forbidden"

    def test_app_error_page_after_success_start(self):
        """An app that restarts its response as a 500 (with exc_info) is converted."""

        def app(environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
            start_response("200 OK", [("Content-Type", "text/plain")])
            try:
                raise RuntimeError(SECRET)
            except RuntimeError as error:
                start_response(
                    "500 Internal Server Error",
                    [("Content-Type", "text/html")],
                    (type(error), error, error.__traceback__),
                )
                return [f"<pre>{SECRET}</pre>".encode()]

        served = serve(ProblemDetailsMiddleware(app, convert_error_responses=True))

        assert served.status == "500 Internal Server Error"
        assert SECRET.encode() not in served.body

    @pytest.mark.parametrize(
        ("method", "path", "status", "allow"),
        [
            ("GET", "/missing", "404 NOT FOUND", None),
            ("POST", "/ok", "405 METHOD NOT ALLOWED", True),
        ],
    )
    def test_flask_html_pages(self, method, path, status, allow):
        """A Flask app's own HTML error pages become problems."""
        served = serve(
            ProblemDetailsMiddleware(flask_app(), convert_error_responses=True), method, path
        )

        assert served.status.upper() == status
        assert served.problem()["status"] == int(status[:3])
        assert (served.header("Allow") is not None) is bool(allow)

    def test_werkzeug_exception_as_app(self):
        """werkzeug's HTML page for an HTTPException served as an app is converted."""
        served = serve(wrap(NotFound(), convert_error_responses=True))  # type: ignore[arg-type]

        assert served.problem() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "flow_id": FLOW,
        }


class TestMalformedAppResponses:
    """What an app gives start_response that is no WSGI response never breaks the middleware."""

    @pytest.mark.parametrize(
        ("status", "headers", "wrong"),
        [
            ("4\u00b23 Odd", [("Content-Type", "text/html")], "three-digit code"),
            ("4xx Odd", [], "three-digit code"),
            ("abc", [("Content-Type", "text/html")], "three-digit code"),
            ("", [("Content-Type", "text/html")], "three-digit code"),
            ("200OK", [("Content-Type", "text/html")], "three-digit code"),
            ("2x0 OK", [("Content-Type", "text/html")], "three-digit code"),
            (b"404 Not Found", [], "the status is a bytes"),
            ("404 Not Found", {"Content-Type": "text/html"}, "the headers are a dict"),
            ("404 Not Found", (("Content-Type", "text/html"),), "the headers are a tuple"),
            ("404 Not Found", [["Content-Type", "text/html"]], "header 0 is not"),
            ("404 Not Found", [("Allow", "GET"), ("Content-Type", b"text/html")], "header 1"),
        ],
        ids=[
            "superscript",
            "letters",
            "no-code",
            "empty",
            "no-space",
            "letter-in-code",
            "bytes",
            "dict",
            "tuple",
            "list-pair",
            "bytes-value",
        ],
    )
    def test_converted_to_the_generic_500(self, caplog, status, headers, wrong):
        """With convert_error_responses, malformed app output is the generic 500, logged once."""
        app = ProblemDetailsMiddleware(
            text(status, headers, f"<p>{SECRET}</p>".encode()), convert_error_responses=True
        )

        with caplog.at_level(logging.DEBUG, logger="problemdetails"):
            served = serve(app)

        assert served.status == "500 Internal Server Error"
        assert served.problem() == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": GENERIC_DETAIL,
            "flow_id": FLOW,
        }
        (record,) = caplog.records
        assert (record.levelno, record.flow_id) == (logging.ERROR, FLOW)  # type: ignore[attr-defined]
        assert record.exc_info is not None
        assert type(record.exc_info[1]).__name__ == "MalformedResponseError"
        assert wrong in str(record.exc_info[1])
        assert SECRET not in logging.Formatter().format(record)

    def test_unsendable_header_values_are_dropped(self):
        """Kept headers with CR, LF, non-ASCII or a bad name are dropped; the others stay."""
        headers = [
            ("Content-Type", "text/html"),
            ("X-Note", f"fine\r\nSet-Cookie: stolen={SECRET}"),
            ("X-Name", "caf\u00e9"),
            ("Bad Name", "x"),
            ("Allow", "GET, HEAD"),
        ]
        app = ProblemDetailsMiddleware(
            text("405 Method Not Allowed", headers), convert_error_responses=True
        )

        served = serve(app)

        assert served.status == "405 Method Not Allowed"
        assert served.headers == [
            ("Content-Type", JSON),
            ("Vary", "Accept"),
            ("X-Flow-ID", FLOW),
            ("Allow", "GET, HEAD"),
            ("Content-Length", str(len(served.body))),
        ]

    @pytest.mark.parametrize(
        "status", ["404 Not\r\nSet-Cookie: stolen=1", "404 Nicht gefunden \u00e4", "404"]
    )
    def test_unsendable_reason_phrase_is_replaced(self, status):
        """The app's reason phrase is kept only if it could be sent as it is."""
        app = ProblemDetailsMiddleware(text(status, []), convert_error_responses=True)

        served = serve(app)

        assert served.status == "404 Not Found"
        assert served.header("Set-Cookie") is None
        assert served.problem()["status"] == 404

    def test_success_status_with_malformed_headers_is_left_to_the_server(self):
        """A 2xx is never converted: the server refuses what it cannot send."""
        app = ProblemDetailsMiddleware(
            text("200 OK", {"Content-Type": "text/plain"}, SECRET.encode()),  # type: ignore[arg-type]
            convert_error_responses=True,
        )

        served = serve(app)

        assert served.status == "500 Internal Server Error"
        assert SECRET.encode() not in served.body
        assert served.header("Content-Type") == "text/plain"
        assert "must be of type list" in served.errors
