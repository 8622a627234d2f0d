"""Regression tests of the error path's fast paths in the Flask extension.

The extension answers unexpected errors through `handle_unexpected`, works
out once whether the app has a 500 handler of its own, sends
``got_request_exception`` only when someone listens, and builds response
headers from pairs the pipeline checked. Through Flask's real request stack.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest
from flask import Blueprint, Flask, Response, got_request_exception
from werkzeug.exceptions import InternalServerError

from problemdetails import Problem
from problemdetails.adapters.flask import ProblemDetails

JSON = "application/problem+json"
SECRET = "s3cr3t-in-the-message"  # noqa: S105 - the leak canary
GENERIC_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)


@pytest.fixture(name="quiet", autouse=True)
def _quiet() -> Iterator[None]:
    names = ("problemdetails", "test_attack_perf_flask")
    for name in names:
        logging.getLogger(name).disabled = True
    try:
        yield
    finally:
        for name in names:
            logging.getLogger(name).disabled = False


def make_app(name: str = __name__) -> Flask:
    app = Flask(name)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    ProblemDetails(app)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError(SECRET)

    @app.get("/conflict")
    def conflict() -> str:
        raise Problem(status=409, detail="Taken.", headers={"X-Own": "1"})

    return app


def generic(response) -> None:
    assert response.status_code == 500
    assert response.headers["Content-Type"] == JSON
    document = json.loads(response.data)
    flow_id = document.pop("flow_id")
    assert response.headers["X-Flow-ID"] == flow_id
    assert document == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": GENERIC_DETAIL,
    }
    assert SECRET.encode() not in response.data


class TestOwnServerErrorHandlers:
    """An app's own 500 handler answers where Flask would use it, and only there."""

    @pytest.mark.parametrize("key", [500, InternalServerError])
    def test_blueprint_scoped_handler(self, key: object):
        """A blueprint's 500 handler answers its own views; other views get the problem."""
        app = make_app()
        blueprint = Blueprint("admin", __name__)

        @blueprint.errorhandler(key)  # type: ignore[arg-type]
        def own(error: InternalServerError) -> tuple[str, int]:
            return "admin page", 500

        @blueprint.get("/admin/boom")
        def admin_boom() -> str:
            raise RuntimeError(SECRET)

        app.register_blueprint(blueprint)
        client = app.test_client()
        generic(client.get("/boom"))  # first unexpected error outside the blueprint
        inside = client.get("/admin/boom")
        assert (inside.status_code, inside.data) == (500, b"admin page")
        generic(client.get("/boom"))

    def test_app_handler_for_internal_server_error(self):
        """An app handler for InternalServerError answers every unexpected error."""
        app = make_app()

        @app.errorhandler(InternalServerError)
        def own(error: InternalServerError) -> tuple[str, int]:
            assert isinstance(error.original_exception, RuntimeError)
            return "own page", 500

        response = app.test_client().get("/boom")
        assert (response.status_code, response.data) == (500, b"own page")

    def test_two_apps_keep_their_own_answer(self):
        """One app with a 500 handler, one without, in one process: each answers its way."""
        plain = make_app("plain")
        custom = make_app("custom")

        @custom.errorhandler(500)
        def own(error: InternalServerError) -> tuple[str, int]:
            return "custom", 500

        generic(plain.test_client().get("/boom"))
        assert custom.test_client().get("/boom").data == b"custom"
        generic(plain.test_client().get("/boom"))

    def test_own_handler_that_raises(self):
        """A 500 handler of the app's own that raises gives the generic problem."""
        app = make_app()

        @app.errorhandler(500)
        def own(error: InternalServerError) -> str:
            raise ValueError(SECRET)

        generic(app.test_client().get("/boom"))


class TestSignal:
    """got_request_exception reaches receivers connected at any time."""

    def test_receiver_connected_after_the_first_error(self):
        """A receiver connected after the first unexpected error hears the next one."""
        app = make_app()
        client = app.test_client()
        generic(client.get("/boom"))
        heard: list[BaseException] = []

        def receiver(sender: Flask, exception: BaseException, **_: object) -> None:
            heard.append(exception)

        with got_request_exception.connected_to(receiver, app):
            generic(client.get("/boom"))
        assert [type(error) for error in heard] == [RuntimeError]

    def test_receiver_raising_a_hostile_exception(self):
        """A receiver raising an exception whose str fails still leaves the generic 500."""

        class Hostile(Exception):
            def __str__(self) -> str:
                raise RuntimeError(SECRET)

        def receiver(sender: Flask, exception: BaseException, **_: object) -> None:
            raise Hostile

        app = make_app()
        with got_request_exception.connected_to(receiver, app):
            generic(app.test_client().get("/boom"))


class TestResponseHeaders:
    """Problem responses' Headers behave as werkzeug's for after_request hooks."""

    def test_after_request_edits_headers(self):
        """add, set, remove, in and getlist work on a problem response's headers."""
        app = make_app()
        seen: dict[str, object] = {}

        @app.after_request
        def edit(response: Response) -> Response:
            headers = response.headers
            seen["own"] = "X-Own" in headers and "x-own" in headers
            seen["vary"] = headers.getlist("vary")
            headers.add("Vary", "Origin")
            headers.set("X-Own", "2")
            headers.remove("X-Flow-ID")
            headers["Access-Control-Allow-Origin"] = "*"
            return response

        response = app.test_client().get("/conflict")
        assert seen == {"own": True, "vary": ["Accept"]}
        assert response.status_code == 409
        assert response.headers["Content-Type"] == JSON
        assert response.headers.getlist("Vary") == ["Accept", "Origin"]
        assert response.headers["X-Own"] == "2"
        assert "X-Flow-ID" not in response.headers
        assert response.headers["Access-Control-Allow-Origin"] == "*"
        assert response.headers["Content-Length"] == str(len(response.data))
        assert json.loads(response.data)["detail"] == "Taken."

    def test_after_request_on_generic_500(self):
        """after_request applies to the generic 500 too, without sharing headers between them."""
        app = make_app()

        @app.after_request
        def edit(response: Response) -> Response:
            response.headers.add("X-Seen", "1")
            return response

        client = app.test_client()
        first = client.get("/boom")
        second = client.get("/boom")
        generic(first)
        generic(second)
        assert first.headers.getlist("X-Seen") == ["1"]
        assert second.headers.getlist("X-Seen") == ["1"]
        assert first.headers["X-Flow-ID"] != second.headers["X-Flow-ID"]
