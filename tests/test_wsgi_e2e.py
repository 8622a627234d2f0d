"""End to end: gunicorn serves the Flask extension and the WSGI middleware over loopback."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from apps.wsgi_malformed import SECRET as MALFORMED_SECRET
from servers import gunicorn

pytestmark = pytest.mark.e2e

APPS = Path(__file__).parent / "apps"
JSON = "application/problem+json"
XML = "application/problem+xml"
FLOW = "e2e-flow-1"
GENERIC_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)


def client_for(app: str, log: Path) -> Iterator[httpx.Client]:
    with gunicorn(app, cwd=APPS, log=log) as url, httpx.Client(base_url=url, timeout=10) as client:
        yield client


@pytest.fixture(name="flask_server", scope="module")
def _flask_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    yield from client_for("flask_app:app", tmp_path_factory.mktemp("flask") / "gunicorn.log")


@pytest.fixture(name="wsgi_server", scope="module")
def _wsgi_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    yield from client_for("wsgi_app:app", tmp_path_factory.mktemp("wsgi") / "gunicorn.log")


@pytest.fixture(name="malformed_server", scope="module")
def _malformed_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[httpx.Client]:
    log = tmp_path_factory.mktemp("malformed") / "gunicorn.log"
    yield from client_for("wsgi_malformed:app", log)


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers.get_list("Content-Type") == [JSON]
    assert response.headers.get_list("Content-Length") == [str(len(response.content))]
    body: dict[str, object] = response.json()
    assert body["flow_id"] == response.headers["X-Flow-ID"]
    return body


class TestFlaskUnderGunicorn:
    def test_declared_problem(self, flask_server):
        """A raised problem arrives with its status, media type, flow id and exact body."""
        response = flask_server.get("/credit", headers={"X-Flow-ID": FLOW})

        assert assert_problem(response, 403) == {
            "type": "https://example.com/probs/out-of-credit",
            "title": "You do not have enough credit.",
            "status": 403,
            "detail": "Your balance is 30.",
            "flow_id": FLOW,
            "balance": 30,
            "accounts": ["/account/12345"],
        }

    def test_abort_helper(self, flask_server):
        """The abort helper's problem arrives with its extension member."""
        body = assert_problem(flask_server.get("/books/42"), 404)

        assert body["detail"] == "No book 42."
        assert body["book_id"] == 42

    def test_unknown_url(self, flask_server):
        """An unknown URL is an about:blank 404."""
        body = assert_problem(flask_server.get("/nowhere"), 404)

        assert (body["type"], body["title"]) == ("about:blank", "Not Found")

    def test_method_not_allowed(self, flask_server):
        """A 405 keeps its Allow header."""
        response = flask_server.delete("/ok")

        assert_problem(response, 405)
        assert set(response.headers["Allow"].split(", ")) == {"GET", "HEAD", "OPTIONS"}

    def test_unexpected_error(self, flask_server):
        """An unexpected error is the generic 500 and nothing of the exception leaks."""
        response = flask_server.get("/boom", headers={"X-Flow-ID": FLOW})

        assert assert_problem(response, 500) == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": GENERIC_DETAIL,
            "flow_id": FLOW,
        }
        assert "hunter2" not in response.text
        assert "hunter2" not in str(response.headers)

    def test_xml(self, flask_server):
        """Accept: application/problem+xml gets the XML document."""
        response = flask_server.get("/credit", headers={"Accept": XML, "X-Flow-ID": FLOW})

        assert response.status_code == 403
        assert response.headers["Content-Type"] == XML
        assert response.text == (
            '<?xml version="1.0" encoding="UTF-8"?><problem xmlns="urn:ietf:rfc:7807">'
            "<type>https://example.com/probs/out-of-credit</type>"
            "<title>You do not have enough credit.</title><status>403</status>"
            "<detail>Your balance is 30.</detail><flow_id>e2e-flow-1</flow_id>"
            "<balance>30</balance><accounts><i>/account/12345</i></accounts></problem>"
        )

    def test_head(self, flask_server):
        """HEAD gets the problem's headers and no body."""
        response = flask_server.head("/credit")

        assert response.status_code == 403
        assert response.headers["Content-Type"] == JSON
        assert response.content == b""

    def test_success(self, flask_server):
        """A request that does not fail is untouched."""
        response = flask_server.get("/ok")

        assert response.status_code == 200
        assert response.json() == {"ok": True}
        assert "X-Flow-ID" not in response.headers


class TestWSGIUnderGunicorn:
    def test_raised_problem(self, wsgi_server):
        """A problem raised by a bare WSGI app arrives as is."""
        response = wsgi_server.get("/conflict", headers={"X-Flow-ID": FLOW})

        assert assert_problem(response, 409) == {
            "type": "about:blank",
            "title": "Conflict",
            "status": 409,
            "detail": "Version 3 expected.",
            "flow_id": FLOW,
        }

    def test_unexpected_error(self, wsgi_server):
        """An unexpected error is the generic 500 and nothing of it leaks."""
        response = wsgi_server.get("/boom")

        assert assert_problem(response, 500)["detail"] == GENERIC_DETAIL
        assert "hunter2" not in response.text

    def test_raised_before_first_chunk(self, wsgi_server):
        """A generator app failing before its first chunk gets one clean set of headers."""
        response = wsgi_server.get("/lazy")

        assert assert_problem(response, 409)["detail"] == "Raised before the first chunk."

    def test_raised_after_first_chunk(self, wsgi_server):
        """After the first chunk, the server cuts the response short; the client sees it."""
        with pytest.raises(httpx.RemoteProtocolError):
            wsgi_server.get("/late")

    def test_werkzeug_not_found(self, wsgi_server):
        """werkzeug's NotFound raised by the app is an about:blank 404."""
        body = assert_problem(wsgi_server.get("/missing"), 404)

        assert (body["type"], body["title"]) == ("about:blank", "Not Found")

    def test_converted_error_page(self, wsgi_server):
        """The app's own HTML 405 page becomes a problem that keeps Allow."""
        response = wsgi_server.get("/html-405")

        assert_problem(response, 405)
        assert response.headers["Allow"] == "GET, POST"

    def test_xml(self, wsgi_server):
        """Accept: application/problem+xml is honoured."""
        response = wsgi_server.get("/conflict", headers={"Accept": XML})

        assert response.status_code == 409
        assert response.headers["Content-Type"] == XML
        assert "<detail>Version 3 expected.</detail>" in response.text

    def test_success(self, wsgi_server):
        """A request that does not fail is untouched."""
        response = wsgi_server.get("/ok")

        assert response.status_code == 200
        assert response.text == "ok"
        assert "X-Flow-ID" not in response.headers


class TestMalformedResponsesUnderGunicorn:
    """An app's malformed status or headers: never mixed into a problem, never leaked."""

    @pytest.mark.parametrize("path", ["/plain/crlf-header", "/convert/crlf-header"])
    def test_refused_headers_are_left_to_the_server(self, malformed_server, path):
        """Headers gunicorn refuses part-way are not mixed into a problem: its own 500 answers."""
        response = malformed_server.get(path)

        assert response.status_code == 500
        assert response.headers.get_list("Content-Type") == ["text/html"]
        assert "Set-Cookie" not in response.headers
        assert "X-Flow-ID" not in response.headers
        assert MALFORMED_SECRET not in response.text
        assert MALFORMED_SECRET not in str(response.headers)

    def test_refused_status_is_replaced(self, malformed_server):
        """A status gunicorn refuses before taking anything is replaced by the generic 500."""
        body = assert_problem(malformed_server.get("/plain/odd-status"), 500)

        assert body["detail"] == GENERIC_DETAIL

    @pytest.mark.parametrize("path", ["/convert/odd-status", "/convert/dict-error-page"])
    def test_malformed_error_page_is_the_generic_500(self, malformed_server, path):
        """With convert_error_responses, a malformed error response is the generic 500."""
        response = malformed_server.get(path)

        body = assert_problem(response, 500)
        assert body["detail"] == GENERIC_DETAIL
        assert MALFORMED_SECRET not in response.text

    def test_unsendable_header_is_dropped(self, malformed_server):
        """A converted error page keeps its headers but the one with CR and LF."""
        response = malformed_server.get("/convert/crlf-error-page")

        assert_problem(response, 404)
        assert response.headers.get_list("Set-Cookie") == ["kept=1"]
        assert "X-Note" not in response.headers
        assert "X-Injected" not in response.headers
        assert MALFORMED_SECRET not in str(response.headers)

    def test_worker_keeps_serving(self, malformed_server):
        """After all of it, the worker answers a good response as it is."""
        response = malformed_server.get("/plain/ok")

        assert (response.status_code, response.text) == (200, f"<p>{MALFORMED_SECRET}</p>")
