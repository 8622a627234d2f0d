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
    """A running server: its base URL and its log file."""

    def __init__(self, url: str, log: Path) -> None:
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
        served = Served(url, log)
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
        assert log.count(f"RuntimeError answered with a 500 problem (flow id {flow_id})") == 1

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
