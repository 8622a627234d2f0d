"""The test project and the example API served by real gunicorn and uvicorn processes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from servers import gunicorn, uvicorn

pytestmark = pytest.mark.e2e

TESTS = Path(__file__).parent
EXAMPLES = TESTS.parent / "examples"
GENERATED = re.compile(r"[0-9a-f]{32}")
INTERNAL_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)


class Served:
    """A running server: its name, base URL and log file."""

    def __init__(self, name: str, url: str, log: Path) -> None:
        self.name = name
        self.url = url
        self.log = log
        self.client = httpx.Client(base_url=url, timeout=10)


@pytest.fixture(name="served", scope="module", params=["gunicorn", "uvicorn"])
def _served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """The test project under gunicorn (WSGI) and under uvicorn (ASGI)."""
    log = tmp_path_factory.mktemp("django") / f"{request.param}.log"
    env = {"DJANGO_SETTINGS_MODULE": "django_project.settings"}
    if request.param == "gunicorn":
        server = gunicorn("django_project.wsgi:application", cwd=TESTS, log=log, env=env)
    else:
        server = uvicorn("django_project.asgi:application", cwd=TESTS, log=log, env=env)
    with server as url:
        served = Served(request.param, url, log)
        with served.client:
            yield served


def problem(response: httpx.Response) -> dict[str, object]:
    assert response.headers["content-type"] == "application/problem+json"
    if "content-length" in response.headers:  # absent when CommonMiddleware did not run
        assert response.headers["content-length"] == str(len(response.content))
    document: dict[str, object] = response.json()
    assert document["flow_id"] == response.headers["x-flow-id"]
    return document


class TestServedProject:
    """What a real HTTP client gets from the served test project."""

    @pytest.mark.parametrize("prefix", ["/", "/async/"])
    def test_raised_problem(self, served: Served, prefix: str):
        """A declared problem from a sync and an async view."""
        response = served.client.get(f"{prefix}raise/problem/", headers={"X-Flow-ID": "e2e-1"})
        assert response.status_code == 403
        assert response.headers["x-flow-id"] == "e2e-1"
        assert problem(response) == {
            "type": "https://testproject.example/problems/out-of-credit",
            "title": "You do not have enough credit.",
            "status": 403,
            "detail": "Your current balance is 30, but that costs 50.",
            "flow_id": "e2e-1",
            "balance": 30,
            "accounts": ["/account/12345", "/account/67890"],
        }

    def test_unknown_url(self, served: Served):
        """A URL that matches no route."""
        response = served.client.get("/no/such/route/")
        assert response.status_code == 404
        assert problem(response)["title"] == "Not Found"

    @pytest.mark.parametrize("prefix", ["/", "/async/"])
    def test_unexpected_error(self, served: Served, prefix: str):
        """The generic 500, and one log line that finds it by its flow id."""
        response = served.client.get(f"{prefix}raise/unexpected/")
        assert response.status_code == 500
        document = problem(response)
        assert document["detail"] == INTERNAL_DETAIL
        assert b"hunter2" not in response.content
        flow_id = response.headers["x-flow-id"]
        assert GENERATED.fullmatch(flow_id)
        served.client.get("/ok/")  # a later request: the record is written by now
        log = served.log.read_text()
        record = (
            f"GET {prefix}raise/unexpected/ failed with RuntimeError: answered with a 500 problem "
            f"(flow id {flow_id})"
        )
        assert log.count(record) == 1

    def test_csrf_failure(self, served: Served):
        """A POST without the CSRF cookie: 403 with Django's reason."""
        response = served.client.post("/protected/")
        assert response.status_code == 403
        assert problem(response)["detail"] == "CSRF cookie not set."

    def test_bad_host(self, served: Served):
        """A Host header outside ALLOWED_HOSTS."""
        response = served.client.get("/ok/", headers={"Host": "evil.example"})
        assert response.status_code == 400
        assert problem(response)["title"] == "Bad Request"

    def test_validation(self, served: Served):
        """A form that does not validate: 422 with pointers."""
        response = served.client.post("/sign-up/", data={"email": "nope", "age": "12"})
        assert response.status_code == 422
        assert problem(response)["errors"] == [
            {"detail": "Enter a valid email address.", "pointer": "#/email"},
            {"detail": "Ensure this value is greater than or equal to 18.", "pointer": "#/age"},
        ]

    def test_body_too_big(self, served: Served):
        """A form body over DATA_UPLOAD_MAX_MEMORY_SIZE."""
        response = served.client.post("/body/", data={"text": "x" * 4096})
        assert response.status_code == 400

    def test_method_not_allowed(self, served: Served):
        """Django's 405 keeps its Allow header."""
        response = served.client.get("/post-only/")
        assert response.status_code == 405
        assert response.headers["allow"] == "POST"
        assert problem(response)["title"] == "Method Not Allowed"

    def test_xml(self, served: Served):
        """Accept: application/problem+xml."""
        response = served.client.get(
            "/raise/http404/", headers={"Accept": "application/problem+xml"}
        )
        assert response.headers["content-type"] == "application/problem+xml"
        assert response.text.startswith('<?xml version="1.0" encoding="UTF-8"?><problem')

    def test_success(self, served: Served):
        """A response that is not an error passes through."""
        response = served.client.get("/async/ok/")
        assert response.status_code == 200
        assert response.json() == {"ok": True}


# Headers a server adds itself, whatever the application sends.
SERVER_HEADERS = frozenset(("server", "date", "connection", "transfer-encoding"))
SECURITY_HEADERS = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "cross-origin-opener-policy": "same-origin",
}
PRIVATE = b"hunter2"


def app_headers(response: httpx.Response) -> dict[str, str]:
    """The response's headers that the application sent."""
    return {name: value for name, value in response.headers.items() if name not in SERVER_HEADERS}


def logged(served: Served, text: str) -> int:
    """How often *text* is in the server's log, once a later request has been served."""
    served.client.get("/ok/")
    return served.log.read_text().count(text)


class TestServedOutsideViews:
    """Exceptions raised in another middleware, through a real server."""

    @pytest.mark.parametrize("prefix", ["/", "/async/"])
    def test_http404_after_resolution(self, served: Served, prefix: str):
        """An Http404 raised in process_view is the 404 problem."""
        response = served.client.get(f"{prefix}mw/view/http404/")
        assert response.status_code == 404
        assert app_headers(response) == {
            "content-type": "application/problem+json",
            "content-length": str(len(response.content)),
            "vary": "Accept",
            "x-flow-id": response.headers["x-flow-id"],
            **SECURITY_HEADERS,
        }
        assert response.json() == {
            "type": "about:blank",
            "title": "Not Found",
            "status": 404,
            "flow_id": response.headers["x-flow-id"],
        }

    def test_problem_after_the_view(self, served: Served):
        """A problem raised after the view returned renders as itself."""
        response = served.client.get("/async/mw/response/problem/")
        assert response.status_code == 403
        assert problem(response)["balance"] == 30


class TestServedStreams:
    """Streamed bodies that fail, served by gunicorn (WSGI) and uvicorn (ASGI).

    Before its first chunk a failure is the 500 problem; without the
    middleware's help it escaped into gunicorn (a non-problem 500) and made
    uvicorn drop the connection. After it, the response is cut short.
    """

    @pytest.mark.parametrize("prefix", ["/stream/", "/async/stream/"])
    def test_fails_before_first_chunk(self, served: Served, prefix: str):
        """The generic 500 problem, logged once with its flow id; nothing leaks."""
        response = served.client.get(f"{prefix}unexpected-at-0/")
        assert response.status_code == 500
        flow_id = response.headers["x-flow-id"]
        assert GENERATED.fullmatch(flow_id)
        assert app_headers(response) == {
            "content-type": "application/problem+json",
            "content-length": str(len(response.content)),
            "vary": "Accept",
            "x-flow-id": flow_id,
            **SECURITY_HEADERS,
        }
        assert response.json() == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": INTERNAL_DETAIL,
            "flow_id": flow_id,
        }
        assert PRIVATE not in response.content
        record = (
            f"GET {prefix}unexpected-at-0/ failed with RuntimeError: answered with a 500 problem "
            f"(flow id {flow_id})"
        )
        assert logged(served, record) == 1

    def test_head(self, served: Served):
        """HEAD: the problem's status and headers, no body, and the connection stays usable."""
        response = served.client.head("/stream/unexpected-at-0/")
        assert response.status_code == 500
        assert response.headers["content-type"] == "application/problem+json"
        assert int(response.headers["content-length"]) > 0
        assert response.content == b""
        assert served.client.get("/ok/").json() == {"ok": True}

    @pytest.mark.parametrize("prefix", ["/stream/", "/async/stream/"])
    def test_cut_short_after_first_chunk(self, served: Served, prefix: str):
        """The 200 has gone out: the client sees the body end early; logged once, at ERROR.

        An async body under gunicorn is read whole before anything is sent (Django
        does so on a sync stack): its failure is still the 500 problem.
        """
        path = f"{prefix}unexpected-at-2/"
        flow_id = "cut-async" if prefix.startswith("/async/") else "cut-sync"
        chunks: list[bytes] = []
        with (
            httpx.Client(base_url=served.url, timeout=10) as client,
            client.stream("GET", path, headers={"X-Flow-ID": flow_id}) as response,
        ):
            if served.name == "gunicorn" and prefix == "/async/stream/":
                response.read()
                assert response.status_code == 500
                assert response.json()["detail"] == INTERNAL_DETAIL
                return
            assert response.status_code == 200
            with pytest.raises(httpx.RemoteProtocolError):
                chunks.extend(response.iter_raw())
        assert b"".join(chunks) in (b"", b"chunk 1\nchunk 2\n")
        record = (
            f"GET {path}: failed with RuntimeError after the response started; "
            f"it was cut short (flow id {flow_id})"
        )
        assert logged(served, record) == 1

    @pytest.mark.parametrize("prefix", ["/stream/", "/async/stream/"])
    def test_success(self, served: Served, prefix: str):
        """A body that does not fail streams whole."""
        response = served.client.get(f"{prefix}ok/")
        assert response.status_code == 200
        assert response.content == b"chunk 1\nchunk 2\nchunk 3\n"


class TestServedExample:
    """examples/django_api, served from the examples folder."""

    def test_example(self, tmp_path: Path):
        """Its declared problems, validation problems and Django's own errors."""
        env = {"DJANGO_SETTINGS_MODULE": "django_api.settings"}
        log = tmp_path / "example.log"
        with (
            gunicorn("django_api.wsgi:application", cwd=EXAMPLES, log=log, env=env) as url,
            httpx.Client(base_url=url, timeout=10) as client,
        ):
            missing = client.get("/books/99/", headers={"X-Request-ID": "ex-1"})
            invalid = client.post("/loans/", content=b'{"member": "", "book": 0}')
            limit = client.post("/loans/", content=b'{"member": "ada", "book": 2}')
            export = client.get("/catalogue/export/")
            crash = client.get("/crash/")
        assert (missing.status_code, missing.headers["x-request-id"]) == (404, "ex-1")
        assert missing.json() == {
            "type": "https://library.example/problems/book-not-found",
            "title": "There is no such book.",
            "status": 404,
            "detail": "No book has the id 99.",
            "instance": "/books/99/",
            "flow_id": "ex-1",
            "book_id": 99,
        }
        assert invalid.status_code == 422
        assert [error["pointer"] for error in invalid.json()["errors"]] == ["#/member", "#/book"]
        assert limit.status_code == 409
        assert limit.json()["loans"] == ["/books/1/", "/books/3/"]
        assert (export.status_code, export.headers["retry-after"]) == (503, "120")
        assert crash.status_code == 500
        assert crash.json()["detail"] == INTERNAL_DETAIL
