"""The Flask adapter, through Flask's real request stack (the test client)."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timezone
from http import HTTPStatus

import pytest
from flask import Blueprint, Flask, Response, got_request_exception, request
from flask import abort as flask_abort
from flask_cors import CORS
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import HTTPException, NotFound

from problemdetails import (
    Config,
    ConfigurationError,
    InvalidProblemError,
    Problem,
    ProblemHandler,
    RetryAfterProblem,
)
from problemdetails.adapters.flask import ProblemDetails, abort, get_handler, problem_response

JSON = "application/problem+json"
XML = "application/problem+xml"
FLOW = "flask-test-flow"
GENERIC_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)
SECRET = "s3cr3t-password-in-message"  # noqa: S105 - the leak canary


class OutOfCredit(
    Problem,
    type="https://example.com/probs/flask-out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    balance: int
    accounts: list[str]


class BookMissing(Problem, type="urn:flask-test:book-missing", title="No such book.", status=404):
    book_id: int


class Misconfigured(Exception):
    """An unexpected error whose message must never reach a client."""


class BookGone(NotFound):
    description = "That book was withdrawn."


def make_app(**settings: object) -> Flask:  # noqa: C901 - one route per case
    """Return an app with the extension and one route per case the tests need."""
    app = Flask(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    ProblemDetails(app, **settings)

    @app.get("/credit")
    def credit() -> str:
        raise OutOfCredit(balance=30, accounts=["/account/12345"], detail="Your balance is 30.")

    @app.get("/books/<int:book_id>")
    def book(book_id: int) -> str:
        raise BookMissing(book_id=book_id)

    @app.get("/boom")
    def boom() -> str:
        raise Misconfigured(SECRET)

    @app.get("/key")
    def key() -> str:
        raise KeyError(SECRET)

    @app.get("/flask-abort/<int:status>")
    def aborts(status: int) -> str:
        flask_abort(status)

    @app.get("/not-found-described")
    def described() -> str:
        flask_abort(404, description="No book 42.")

    @app.get("/gone")
    def gone() -> str:
        raise BookGone

    @app.get("/unauthorized")
    def unauthorized() -> str:
        flask_abort(401, www_authenticate=WWWAuthenticate("basic", {"realm": "api"}))

    @app.get("/too-many")
    def too_many() -> str:
        flask_abort(429, retry_after=30)

    @app.get("/maintenance")
    def maintenance() -> str:
        flask_abort(
            503,
            description="Down for maintenance.",
            retry_after=datetime(2030, 1, 2, 3, 4, 5),  # noqa: DTZ001 - werkzeug reads it as UTC
        )

    @app.post("/json")
    def echo_json() -> object:
        return request.get_json()

    @app.post("/form")
    def form() -> str:
        return request.form["missing"]

    @app.post("/upload")
    def upload() -> bytes:
        return request.get_data()

    @app.get("/slash/")
    def slash() -> str:
        return "slash"

    @app.get("/abort-response")
    def abort_response() -> str:
        flask_abort(Response("teapot", status=418))

    @app.get("/returned")
    def returned() -> object:
        return BookMissing(book_id=7).to_response()

    @app.get("/rendered")
    def rendered() -> Response:
        return problem_response(BookMissing(book_id=8))

    @app.get("/ok")
    def ok() -> dict[str, bool]:
        return {"ok": True}

    return app


@contextlib.contextmanager
def signalled(app: Flask) -> Iterator[list[BaseException]]:
    """Record the exceptions got_request_exception is sent with, for *app*."""
    received: list[BaseException] = []

    def receiver(sender: Flask, exception: BaseException, **_: object) -> None:
        received.append(exception)

    with got_request_exception.connected_to(receiver, app):
        yield received


@pytest.fixture(name="app")
def _app() -> Flask:
    return make_app()


@pytest.fixture(name="client")
def _client(app: Flask):
    return app.test_client()


def get(client, path: str, **headers: str):
    return client.get(path, headers={"X-Flow-ID": FLOW, **headers})


def problem(response) -> dict[str, object]:
    assert response.headers["Content-Type"] == JSON
    return json.loads(response.data)


class TestRaisedProblems:
    def test_declared_problem_renders_as_itself(self, client):
        """A raised problem gives its status, media type, flow id header and exact body."""
        response = get(client, "/credit")

        assert response.status_code == 403
        assert response.headers["Content-Type"] == JSON
        assert response.headers["X-Flow-ID"] == FLOW
        assert response.headers["Content-Length"] == str(len(response.data))
        assert response.data == (
            b'{"type":"https://example.com/probs/flask-out-of-credit",'
            b'"title":"You do not have enough credit.","status":403,'
            b'"detail":"Your balance is 30.","flow_id":"flask-test-flow",'
            b'"balance":30,"accounts":["/account/12345"]}'
        )

    def test_generated_flow_id_matches_header(self, client):
        """Without an incoming flow id, the generated one is in the header and the body."""
        response = client.get("/books/42")

        body = problem(response)
        assert body["flow_id"] == response.headers["X-Flow-ID"]
        assert len(response.headers["X-Flow-ID"]) == 32

    def test_unsafe_incoming_flow_id_is_replaced(self, client):
        """An incoming flow id with characters that could split a header is not echoed."""
        response = client.get("/books/42", headers={"X-Flow-ID": "<script>"})

        assert response.headers["X-Flow-ID"] != "<script>"
        assert problem(response)["flow_id"] == response.headers["X-Flow-ID"]

    def test_xml_when_accepted(self, client):
        """Accept: application/problem+xml gets the RFC 9457 appendix B document."""
        response = get(client, "/books/42", Accept=XML)

        assert response.status_code == 404
        assert response.headers["Content-Type"] == XML
        assert response.data == (
            b'<?xml version="1.0" encoding="UTF-8"?><problem xmlns="urn:ietf:rfc:7807">'
            b"<type>urn:flask-test:book-missing</type><title>No such book.</title>"
            b"<status>404</status><flow_id>flask-test-flow</flow_id><book_id>42</book_id>"
            b"</problem>"
        )

    def test_head_has_headers_but_no_body(self, client):
        """A HEAD request gets the problem's status and headers without the body."""
        response = client.head("/books/42", headers={"X-Flow-ID": FLOW})

        assert response.status_code == 404
        assert response.headers["Content-Type"] == JSON
        assert response.headers["X-Flow-ID"] == FLOW
        assert response.data == b""

    def test_problem_headers_are_sent(self):
        """Headers a problem asks for (Retry-After here) are on the response."""
        app = make_app()

        @app.get("/busy")
        def busy() -> str:
            raise RetryAfterProblem(retry_after=120)

        response = get(app.test_client(), "/busy")

        assert response.status_code == 503
        assert response.headers["Retry-After"] == "120"
        assert problem(response) == {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "flow_id": FLOW,
            "retry_after": 120,
        }

    def test_raised_in_before_request(self):
        """A problem raised by a before_request hook is answered like one from a view."""
        app = make_app()

        @app.before_request
        def deny() -> None:
            raise Problem(status=403, detail="Closed today.")

        response = get(app.test_client(), "/ok")

        assert response.status_code == 403
        assert problem(response) == {
            "type": "about:blank",
            "title": "Forbidden",
            "status": 403,
            "detail": "Closed today.",
            "flow_id": FLOW,
        }

    def test_returned_to_response(self, client):
        """problem.to_response() can be returned from a view as it is."""
        response = client.get("/returned")

        assert response.status_code == 404
        body = problem(response)
        assert body["type"] == "urn:flask-test:book-missing"
        assert body["book_id"] == 7

    def test_problem_response_uses_request_and_app_settings(self):
        """problem_response negotiates with Accept and uses the app's flow id header."""
        app = make_app(flow_id_header="X-Request-ID")

        response = app.test_client().get(
            "/rendered", headers={"X-Request-ID": "req-1", "Accept": XML}
        )

        assert response.status_code == 404
        assert response.headers["Content-Type"] == XML
        assert response.headers["X-Request-ID"] == "req-1"
        assert b"<flow_id>req-1</flow_id><book_id>8</book_id>" in response.data

    def test_problem_response_needs_the_extension(self):
        """problem_response in an app without the extension says what is missing."""
        app = Flask(__name__)

        with app.test_request_context(), pytest.raises(RuntimeError, match="not set up"):
            problem_response(Problem(status=400))

    def test_signal_not_sent_for_problems(self, app, client):
        """A raised problem is a handled error: got_request_exception is not sent."""
        with signalled(app) as received:
            response = client.get("/books/1")

        assert response.status_code == 404
        assert received == []


class TestAbort:
    @pytest.mark.parametrize(
        ("args", "members", "expected"),
        [
            ((404,), {}, {"type": "about:blank", "title": "Not Found", "status": 404}),
            (
                (404,),
                {"detail": "No book 42.", "book_id": 42},
                {
                    "type": "about:blank",
                    "title": "Not Found",
                    "status": 404,
                    "detail": "No book 42.",
                    "book_id": 42,
                },
            ),
            (
                (409,),
                {"title": "Version clash", "extensions": {"expected": 3}, "actual": 2},
                {
                    "type": "about:blank",
                    "title": "Version clash",
                    "status": 409,
                    "expected": 3,
                    "actual": 2,
                },
            ),
            (
                (BookMissing,),
                {"book_id": 3, "detail": "Gone."},
                {
                    "type": "urn:flask-test:book-missing",
                    "title": "No such book.",
                    "status": 404,
                    "detail": "Gone.",
                    "book_id": 3,
                },
            ),
            (
                (BookMissing(book_id=4),),
                {},
                {
                    "type": "urn:flask-test:book-missing",
                    "title": "No such book.",
                    "status": 404,
                    "book_id": 4,
                },
            ),
            (
                (BookMissing(book_id=4),),
                {"status": 410},
                {
                    "type": "urn:flask-test:book-missing",
                    "title": "No such book.",
                    "status": 410,
                    "book_id": 4,
                },
            ),
        ],
    )
    def test_abort_raises_the_problem(self, args, members, expected):
        """abort takes a status, a problem class or a problem, plus members."""
        app = make_app()

        @app.get("/abort")
        def view() -> str:
            abort(*args, **members)

        response = get(app.test_client(), "/abort")

        assert response.status_code == expected["status"]
        assert problem(response) == {**expected, "flow_id": FLOW}

    def test_abort_outside_a_request_raises(self):
        """abort raises the problem itself, so it works anywhere."""
        with pytest.raises(Problem) as raised:
            abort(422, detail="Bad.")

        assert raised.value == Problem(status=422, detail="Bad.")

    def test_abort_with_a_bad_status_is_a_programming_error(self):
        """A status outside 400-599 is refused where abort is called."""
        with pytest.raises(InvalidProblemError, match="400 to 599"):
            abort(302)


class TestHTTPExceptions:
    @pytest.mark.parametrize("status", [400, 403, 404, 406, 409, 410, 418, 422, 500, 501, 502, 504])
    def test_abort_status_becomes_about_blank(self, client, status):
        """flask.abort(status) gives about:blank, the status phrase, and no default prose."""
        response = get(client, f"/flask-abort/{status}")

        assert response.status_code == status
        assert problem(response) == {
            "type": "about:blank",
            "title": HTTPStatus(status).phrase,
            "status": status,
            "flow_id": FLOW,
        }

    def test_unknown_url(self, client):
        """An unknown URL is a 404 problem."""
        response = get(client, "/nowhere")

        assert response.status_code == 404
        assert problem(response) == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "flow_id": FLOW,
        }

    def test_method_not_allowed_keeps_allow(self, client):
        """A 405 from routing keeps the Allow header werkzeug computed."""
        response = client.delete("/ok", headers={"X-Flow-ID": FLOW})

        assert response.status_code == 405
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
        assert problem(response) == {
            "type": "about:blank",
            "title": "Method Not Allowed",
            "status": 405,
            "flow_id": FLOW,
        }

    def test_description_becomes_detail(self, client):
        """abort(404, description=...) is the application's text: it is the detail."""
        response = get(client, "/not-found-described")

        assert problem(response) == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "detail": "No book 42.",
            "flow_id": FLOW,
        }

    def test_subclass_description_becomes_detail(self, client):
        """A description an application's HTTPException subclass declares is the detail."""
        response = get(client, "/gone")

        assert response.status_code == 404
        assert problem(response)["detail"] == "That book was withdrawn."

    def test_www_authenticate_kept(self, client):
        """A 401's WWW-Authenticate challenge is kept."""
        response = get(client, "/unauthorized")

        assert response.status_code == 401
        assert response.headers["WWW-Authenticate"] == str(
            WWWAuthenticate("basic", {"realm": "api"})
        )
        assert problem(response)["title"] == "Unauthorized"

    def test_retry_after_seconds(self, client):
        """A 429's retry_after is the Retry-After header and the retry_after member."""
        response = get(client, "/too-many")

        assert response.status_code == 429
        assert response.headers.getlist("Retry-After") == ["30"]
        assert problem(response) == {
            "type": "about:blank",
            "title": "Too Many Requests",
            "status": 429,
            "flow_id": FLOW,
            "retry_after": 30,
        }

    def test_retry_after_date_and_5xx_description(self, client):
        """A naive retry_after date is UTC, as werkzeug has it; a 503's own description is sent."""
        response = get(client, "/maintenance")

        assert response.status_code == 503
        assert response.headers.getlist("Retry-After") == ["Wed, 02 Jan 2030 03:04:05 GMT"]
        assert problem(response) == {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "Down for maintenance.",
            "flow_id": FLOW,
            "retry_after": datetime(2030, 1, 2, 3, 4, 5, tzinfo=timezone.utc).isoformat(),
        }

    def test_bad_json_body(self, client):
        """A malformed JSON body is a 400 problem without parser internals."""
        response = client.post(
            "/json", data=b"{not json", content_type="application/json", headers={"X-Flow-ID": FLOW}
        )

        assert response.status_code == 400
        assert problem(response) == {
            "type": "about:blank",
            "title": "Bad Request",
            "status": 400,
            "flow_id": FLOW,
        }

    def test_json_with_wrong_media_type(self, client):
        """get_json on a non-JSON body is a 415 problem that says why."""
        response = client.post("/json", data=b"x=1", content_type="text/plain")

        assert response.status_code == 415
        body = problem(response)
        assert body["title"] == "Unsupported Media Type"
        assert "Content-Type" in str(body["detail"])

    def test_missing_form_key_does_not_show_the_key_in_debug(self):
        """A missing form key is a 400 without werkzeug's debug text naming the key."""
        app = make_app()
        app.debug = True

        response = app.test_client().post("/form", data={}, headers={"X-Flow-ID": FLOW})

        assert response.status_code == 400
        assert problem(response) == {
            "type": "about:blank",
            "title": "Bad Request",
            "status": 400,
            "flow_id": FLOW,
        }

    def test_request_entity_too_large(self):
        """A body over MAX_CONTENT_LENGTH is a 413 problem."""
        app = make_app()
        app.config["MAX_CONTENT_LENGTH"] = 10

        response = app.test_client().post("/upload", data=b"x" * 100, headers={"X-Flow-ID": FLOW})

        assert response.status_code == 413
        assert problem(response) == {
            "type": "about:blank",
            "title": HTTPStatus(413).phrase,
            "status": 413,
            "flow_id": FLOW,
        }

    def test_routing_redirect_left_alone(self, client):
        """werkzeug's RequestRedirect (strict slashes) stays a redirect, not a problem."""
        response = client.get("/slash")

        assert response.status_code == 308
        assert response.headers["Location"].endswith("/slash/")
        assert response.headers["Content-Type"] != JSON

    def test_abort_with_a_response_left_alone(self, client):
        """flask.abort(response) sends that response."""
        response = client.get("/abort-response")

        assert response.status_code == 418
        assert response.data == b"teapot"

    def test_trapped_http_exceptions_are_still_problems(self):
        """With TRAP_HTTP_EXCEPTIONS, the extension's handler still answers them."""
        app = make_app()
        app.config["TRAP_HTTP_EXCEPTIONS"] = True

        response = get(app.test_client(), "/nowhere")

        assert response.status_code == 404
        assert problem(response)["title"] == "Not Found"

    def test_trapped_redirect_is_left_alone(self):
        """With TRAP_HTTP_EXCEPTIONS, a routing redirect still reaches the client as one."""
        app = make_app()
        app.config["TRAP_HTTP_EXCEPTIONS"] = True

        response = app.test_client().get("/slash")

        assert response.status_code == 308

    def test_user_mapping_overrides_default(self):
        """A mapping for a werkzeug exception class replaces the default about:blank one."""
        app = make_app(mappings={NotFound: lambda _: BookMissing(book_id=0)})

        response = get(app.test_client(), "/nowhere")

        assert problem(response)["type"] == "urn:flask-test:book-missing"

    def test_app_status_handler_takes_precedence(self):
        """An errorhandler the app registers for a status code wins, as in Flask."""
        app = make_app()

        @app.errorhandler(404)
        def not_found(error: HTTPException) -> tuple[str, int]:
            return "custom", 404

        response = app.test_client().get("/nowhere")

        assert response.status_code == 404
        assert response.data == b"custom"


class TestUnexpectedErrors:
    def test_generic_500_never_leaks(self, client):
        """An unexpected exception is the generic 500: fixed text and the flow id."""
        response = get(client, "/boom")

        assert response.status_code == 500
        assert problem(response) == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": GENERIC_DETAIL,
            "flow_id": FLOW,
        }
        assert SECRET not in response.get_data(as_text=True)
        assert all(SECRET not in value for _, value in response.headers)

    def test_signal_sent_with_the_original_exception(self, app, client):
        """got_request_exception (Sentry's hook) still fires for unexpected errors."""
        with signalled(app) as received:
            response = client.get("/boom")

        assert response.status_code == 500
        assert len(received) == 1
        assert isinstance(received[0], Misconfigured)
        assert str(received[0]) == SECRET

    def test_logged_once_with_flow_id(self, client, caplog):
        """One ERROR record, on the problemdetails logger, with the flow id; none from Flask."""
        with caplog.at_level(logging.DEBUG):
            get(client, "/boom")

        (record,) = caplog.records
        assert (record.name, record.levelno) == ("problemdetails", logging.ERROR)
        assert record.flow_id == FLOW  # type: ignore[attr-defined]
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], Misconfigured)

    @pytest.mark.parametrize(
        ("config", "debug"),
        [
            ({"TESTING": True}, False),
            ({"TESTING": True}, True),
            ({"PROPAGATE_EXCEPTIONS": True}, False),
            ({"PROPAGATE_EXCEPTIONS": True}, True),
        ],
    )
    def test_propagation_reraises_unexpected_errors(self, config, debug):
        """With PROPAGATE_EXCEPTIONS on, or TESTING with it unset, unexpected errors re-raise."""
        app = make_app()
        app.config.update({"PROPAGATE_EXCEPTIONS": None, **config})
        app.debug = debug

        with pytest.raises(Misconfigured, match=SECRET):
            app.test_client().get("/boom")

    @pytest.mark.parametrize("path", ["/credit", "/nowhere", "/flask-abort/503"])
    def test_propagation_still_answers_handled_errors(self, path):
        """With TESTING on, problems and HTTP errors are still answered as problems."""
        app = make_app()
        app.config.update(PROPAGATE_EXCEPTIONS=None, TESTING=True)

        response = app.test_client().get(path)

        assert response.headers["Content-Type"] == JSON

    def test_signal_sent_before_propagation(self, app):
        """got_request_exception is sent even when the exception then propagates."""
        app.config.update(PROPAGATE_EXCEPTIONS=True)
        with signalled(app) as received, pytest.raises(Misconfigured):
            app.test_client().get("/boom")

        assert [type(error) for error in received] == [Misconfigured]

    def test_testing_without_propagation_answers(self):
        """TESTING with PROPAGATE_EXCEPTIONS=False answers with the generic 500."""
        app = make_app()
        app.config.update(TESTING=True, PROPAGATE_EXCEPTIONS=False)

        response = app.test_client().get("/boom")

        assert response.status_code == 500
        assert problem(response)["detail"] == GENERIC_DETAIL

    def test_problemdetails_debug_shows_the_exception(self):
        """PROBLEMDETAILS_DEBUG, and only it, puts the exception into the 500."""
        app = Flask(__name__)
        app.config.update(PROPAGATE_EXCEPTIONS=False, PROBLEMDETAILS_DEBUG=True)
        ProblemDetails(app)

        @app.get("/boom")
        def boom() -> str:
            raise Misconfigured(SECRET)

        body = problem(app.test_client().get("/boom"))

        assert body["detail"] == f"Misconfigured: {SECRET}"
        assert isinstance(body["traceback"], list)

    def test_mapped_exception_is_handled(self):
        """An exception the mappings setting maps is answered with its problem, no signal."""
        app = make_app(mappings={KeyError: lambda _: BookMissing(book_id=-1)})
        with signalled(app) as received:
            response = get(app.test_client(), "/key")

        assert response.status_code == 404
        assert problem(response)["book_id"] == -1
        assert received == []

    def test_mapping_returning_none_falls_through(self):
        """A factory that returns None leaves the exception unexpected."""
        app = make_app(mappings={KeyError: lambda _: None})

        response = get(app.test_client(), "/key")

        assert response.status_code == 500
        assert problem(response)["detail"] == GENERIC_DETAIL

    def test_failing_mapping_is_the_generic_500(self, app, caplog):
        """A mapping factory that raises makes the error unexpected: signal, log, generic 500."""

        def broken(error: KeyError) -> Problem:
            raise RuntimeError(SECRET)

        app = make_app(mappings={KeyError: broken})
        with signalled(app) as received, caplog.at_level(logging.ERROR):
            response = get(app.test_client(), "/key")

        assert response.status_code == 500
        assert problem(response)["detail"] == GENERIC_DETAIL
        assert SECRET not in response.get_data(as_text=True)
        assert [type(error) for error in received] == [KeyError]
        assert any("mapping KeyError" in r.getMessage() for r in caplog.records)

    def test_after_request_failure_is_the_generic_500(self):
        """An exception in an after_request hook still ends as the generic 500."""
        app = make_app()

        @app.after_request
        def broken(response: Response) -> Response:
            raise Misconfigured(SECRET)

        response = get(app.test_client(), "/ok")

        assert response.status_code == 500
        assert SECRET not in response.get_data(as_text=True)


class TestFlaskConventions:
    @pytest.mark.parametrize(
        ("path", "status"), [("/credit", 403), ("/nowhere", 404), ("/boom", 500)]
    )
    def test_after_request_applies(self, path, status):
        """after_request hooks run on problem responses of every kind."""
        app = make_app()

        @app.after_request
        def stamp(response: Response) -> Response:
            response.headers["X-Stamp"] = "yes"
            return response

        response = app.test_client().get(path)

        assert response.status_code == status
        assert response.headers["Content-Type"] == JSON
        assert response.headers["X-Stamp"] == "yes"

    @pytest.mark.parametrize(
        ("path", "status"), [("/credit", 403), ("/nowhere", 404), ("/boom", 500)]
    )
    def test_flask_cors_headers(self, path, status):
        """flask-cors adds its headers to problem responses."""
        app = make_app()
        CORS(app)

        response = app.test_client().get(path, headers={"Origin": "https://example.org"})

        assert response.status_code == status
        assert response.headers["Content-Type"] == JSON
        assert response.headers["Access-Control-Allow-Origin"] == "https://example.org"

    def test_custom_response_class(self):
        """Problem responses are made with app.response_class."""

        class Tagged(Response):
            pass

        app = Flask(__name__)
        app.response_class = Tagged
        ProblemDetails(app)

        with app.test_request_context():
            response = problem_response(Problem(status=400))

        assert isinstance(response, Tagged)
        assert response.status_code == 400

    def test_blueprints(self):
        """Errors in blueprint views are problems; a blueprint's own handler wins."""
        app = make_app()
        plain = Blueprint("plain", __name__, url_prefix="/plain")
        own = Blueprint("own", __name__, url_prefix="/own")

        @plain.get("/missing")
        def plain_missing() -> str:
            raise BookMissing(book_id=5)

        @own.get("/missing")
        def own_missing() -> str:
            raise BookMissing(book_id=6)

        @own.errorhandler(BookMissing)
        def own_handler(error: BookMissing) -> tuple[str, int]:
            return f"book {error.book_id}", 404

        app.register_blueprint(plain)
        app.register_blueprint(own)
        client = app.test_client()

        assert problem(client.get("/plain/missing"))["book_id"] == 5
        assert client.get("/own/missing").data == b"book 6"
        assert problem(client.get("/plain/nowhere"))["status"] == 404

    def test_app_factory(self):
        """One extension object sets up many apps, each with its own handler."""
        ext = ProblemDetails(flow_id_header="X-Request-ID")

        def create_app(member: str) -> Flask:
            app = Flask(__name__)
            app.config["PROBLEMDETAILS_FLOW_ID_MEMBER"] = member
            ext.init_app(app)
            return app

        first, second = create_app("trace_one"), create_app("trace_two")

        one = first.test_client().get("/nowhere", headers={"X-Request-ID": "a-1"})
        two = second.test_client().get("/nowhere", headers={"X-Request-ID": "b-2"})

        assert problem(one)["trace_one"] == "a-1"
        assert problem(two)["trace_two"] == "b-2"
        assert get_handler(first) is not get_handler(second)


class TestInstance:
    def test_not_filled_by_default(self, client):
        """instance identifies an occurrence, so the request path is not put there."""
        assert "instance" not in problem(client.get("/books/42"))

    @pytest.mark.parametrize(
        ("setting", "path", "root", "expected"),
        [
            ("path", "/books/42", "", "/books/42"),
            ("path", "/books/42", "/api", "/api/books/42"),
            ("path", "/nowhere/\u00e9 x", "", "/nowhere/%C3%A9%20x"),
            ("url", "/books/42?x=1", "", "http://localhost/books/42?x=1"),
            ("url", "/books/42", "/api", "http://localhost/api/books/42"),
        ],
    )
    def test_configured(self, setting, path, root, expected):
        """PROBLEMDETAILS_INSTANCE fills instance with the path or URL, percent-encoded."""
        app = Flask(__name__)
        app.config["PROBLEMDETAILS_INSTANCE"] = setting
        ProblemDetails(app)

        @app.get("/books/<int:book_id>")
        def book(book_id: int) -> str:
            raise BookMissing(book_id=book_id)

        response = app.test_client().get(path, environ_overrides={"SCRIPT_NAME": root})

        assert problem(response)["instance"] == expected

    def test_callable(self):
        """A callable setting gets the request's facts."""
        app = make_app(instance=lambda info: f"urn:req:{info.method}")

        assert problem(app.test_client().get("/books/1"))["instance"] == "urn:req:GET"


class TestSetup:
    def test_state_in_extensions(self, app):
        """The app's handler lives in app.extensions and get_handler returns it."""
        handler = get_handler(app)

        assert isinstance(handler, ProblemHandler)
        assert app.extensions["problemdetails"].handler is handler
        with app.app_context():
            assert get_handler() is handler

    def test_settings_layering(self):
        """Keyword arguments override app.config, which overrides a Config object."""
        app = Flask(__name__)
        app.config.update(
            PROBLEMDETAILS_FLOW_ID_HEADER="X-From-Config", PROBLEMDETAILS_FLOW_ID_MEMBER="trace"
        )
        ProblemDetails(
            app,
            config=Config(flow_id_header="X-From-Object", flow_id_max_length=16),
            flow_id_member="request_id",
        )

        config = get_handler(app).config

        assert config.flow_id_header == "X-From-Config"
        assert config.flow_id_member == "request_id"
        assert config.flow_id_max_length == 16

    def test_dotted_paths_in_app_config(self):
        """app.config may name callables by dotted path."""
        app = Flask(__name__)
        app.config["PROBLEMDETAILS_FLOW_ID_FACTORY"] = "problemdetails.new_flow_id"
        ProblemDetails(app)

        assert get_handler(app).config.flow_id_factory.__name__ == "new_flow_id"

    def test_unknown_app_config_key(self):
        """An unknown PROBLEMDETAILS_ key fails init_app and names its source."""
        app = Flask(__name__)
        app.config["PROBLEMDETAILS_FLOW_ID_HEADR"] = "X-Id"

        with pytest.raises(ConfigurationError, match=r"app\.config.*FLOW_ID_HEADR"):
            ProblemDetails(app)
        assert "problemdetails" not in app.extensions

    def test_bad_app_config_value(self):
        """A wrong value in app.config fails init_app."""
        app = Flask(__name__)
        app.config["PROBLEMDETAILS_FLOW_ID_HEADER"] = "X Id"

        with pytest.raises(ConfigurationError, match="flow_id_header"):
            ProblemDetails(app)

    def test_bad_keyword_fails_at_construction(self):
        """A wrong keyword argument fails where the extension is made."""
        with pytest.raises(ConfigurationError, match=r"ProblemDetails\(\).*media_types"):
            ProblemDetails(media_types=["text/html"])

    def test_init_twice(self, app):
        """Setting up the same app twice is refused."""
        with pytest.raises(RuntimeError, match="already"):
            ProblemDetails(app)

    def test_get_handler_without_extension(self):
        """get_handler on an app without the extension says so."""
        with pytest.raises(RuntimeError, match="not set up"):
            get_handler(Flask(__name__))

    def test_other_apps_untouched(self):
        """An app without the extension keeps Flask's HTML errors."""
        make_app()
        plain = Flask(__name__)

        response = plain.test_client().get("/nowhere")

        assert response.status_code == 404
        assert response.mimetype == "text/html"

    def test_success_path_untouched(self, client):
        """A request that does not fail is answered exactly as without the extension."""
        response = client.get("/ok")

        assert response.status_code == 200
        assert response.json == {"ok": True}
        assert "X-Flow-ID" not in response.headers
