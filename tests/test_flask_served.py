"""End to end: gunicorn serves a Flask app in debug mode that fails outside its views.

``apps.flask_served:app`` has Flask's debug flag on, as ``FLASK_DEBUG=1``
would set it. What the client receives over loopback, and what the server's
log holds, show that debug mode leaks nothing, that a teardown failure and
a stream failing before its first chunk are the generic 500, logged once,
and that a stream failing later is cut short (``apps.flask_served:production``,
debug off) or, in debug mode, ends there.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from apps.flask_errors import SECRET
from servers import gunicorn

pytestmark = pytest.mark.e2e

TESTS = Path(__file__).parent
JSON = "application/problem+json"
FLOW = "served-flow-1"
GENERIC_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)


class Served:
    """The gunicorn server's client, and the log it writes to."""

    def __init__(self, client: httpx.Client, log: Path) -> None:
        self.client = client
        self.log = log

    def records_of(self, path: str) -> list[str]:
        """Lines of the server's log that begin a record about *path*, from any logger."""
        escaped = re.escape(path)
        pattern = re.compile(rf"(GET |Exception on |request GET ){escaped}(?![^\s:])")
        return [line for line in self.log.read_text().splitlines() if pattern.search(line)]


@pytest.fixture(name="served", scope="module")
def _served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The debug-mode app under gunicorn (one worker)."""
    log = tmp_path_factory.mktemp("flask-served") / "gunicorn.log"
    with (
        gunicorn("apps.flask_served:app", cwd=TESTS, log=log) as url,
        httpx.Client(base_url=url, timeout=10, headers={"X-Flow-ID": FLOW}) as client,
    ):
        yield Served(client, log)


@pytest.fixture(name="production", scope="module")
def _production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    """The same app with Flask's debug flag off, under gunicorn (one worker)."""
    log = tmp_path_factory.mktemp("flask-production") / "gunicorn.log"
    with (
        gunicorn("apps.flask_served:production", cwd=TESTS, log=log) as url,
        httpx.Client(base_url=url, timeout=10, headers={"X-Flow-ID": FLOW}) as client,
    ):
        yield Served(client, log)


def assert_generic_500(response: httpx.Response) -> None:
    """*response* is the generic 500, one set of headers, nothing of the secret."""
    assert response.status_code == 500
    assert response.headers.get_list("Content-Type") == [JSON]
    assert response.headers.get_list("Content-Length") == [str(len(response.content))]
    assert response.json() == {
        "type": "about:blank",
        "title": "Internal Server Error",
        "status": 500,
        "detail": GENERIC_DETAIL,
        "flow_id": FLOW,
    }
    assert response.headers["X-Flow-ID"] == FLOW
    assert SECRET not in response.text
    assert SECRET not in str(response.headers)


def pid(served: Served) -> int:
    response = served.client.get("/ok")
    assert response.status_code == 200
    worker: int = response.json()["pid"]
    return worker


class TestDebugModeUnderGunicorn:
    @pytest.mark.parametrize(
        ("path", "levels"),
        [
            ("/boom", ["ERROR"]),
            # The after_request function fails on the 500 as well: a warning.
            ("/after-request", ["ERROR", "WARNING"]),
        ],
    )
    def test_generic_500(self, served, path, levels):
        """With Flask's debug flag on, an unexpected error is the generic 500, logged once."""
        assert_generic_500(served.client.get(path))
        lines = served.records_of(path)
        assert [line.partition(" ")[0] for line in lines] == levels
        assert all(line.split(" ")[1] == "problemdetails:" and FLOW in line for line in lines)

    def test_declared_problem(self, served):
        """Declared problems are answered as always."""
        response = served.client.get("/problem")

        assert response.status_code == 404
        assert response.json() == {
            "type": "urn:flask-errors:shelf-missing",
            "title": "No such shelf.",
            "status": 404,
            "flow_id": FLOW,
            "shelf": 7,
        }


class TestTeardownUnderGunicorn:
    def test_generic_500(self, served):
        """A teardown failure replaces the held response cleanly: no header of it remains."""
        worker = pid(served)

        response = served.client.get("/teardown")

        assert_generic_500(response)
        assert "X-After" not in response.headers
        (line,) = served.records_of("/teardown")
        assert line.startswith("ERROR problemdetails: ")
        assert pid(served) == worker


class TestRefusedUnderGunicorn:
    def test_refused_header_is_not_mixed_into_a_problem(self, served):
        """A header gunicorn refuses after others: its own 500, none of the app's headers."""
        response = served.client.get("/refused-header/nul")

        assert response.status_code == 500
        assert response.headers.get_list("Content-Type") == ["text/html"]
        assert "Set-Cookie" not in response.headers
        assert SECRET not in response.text
        assert SECRET not in str(response.headers)


class TestStreamsUnderGunicorn:
    @pytest.mark.parametrize("path", ["/stream/early", "/stream/early-context"])
    def test_failure_before_the_first_chunk(self, served, path):
        """A stream failing before its first chunk is the generic 500, logged once."""
        response = served.client.get(path)

        assert_generic_500(response)
        assert response.headers["X-After"] == "1"
        (line,) = served.records_of(path)
        assert line.startswith("ERROR problemdetails: ")

    @pytest.mark.parametrize("path", ["/stream/late", "/stream/late-context"])
    def test_failure_after_the_first_chunk(self, production, path):
        """A stream failing after its first chunk is cut short: the client sees it end early."""
        worker = pid(production)

        with pytest.raises(httpx.RemoteProtocolError):
            production.client.get(path)

        # The server logs that it cut the response too, without the request.
        (line,) = production.records_of(path)
        assert line.startswith("ERROR problemdetails: ")
        assert "cut short" in line
        assert FLOW in line
        assert pid(production) == worker

    @pytest.mark.parametrize("path", ["/stream/late", "/stream/late-context"])
    def test_failure_after_the_first_chunk_in_debug_mode(self, served, path):
        """In debug mode the body ends where it failed (werkzeug's debugger would render it)."""
        worker = pid(served)

        response = served.client.get(path)

        assert (response.status_code, response.content) == (200, b"first chunk")
        (line,) = served.records_of(path)
        assert line.startswith("ERROR problemdetails: ")
        assert "debug mode" in line
        assert FLOW in line
        assert pid(served) == worker

    def test_success(self, served):
        """A stream that does not fail arrives whole."""
        response = served.client.get("/stream/context", params={"name": "ada"})

        assert (response.status_code, response.text) == (200, "hello ada")
