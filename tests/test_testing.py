"""assert_problem with the test clients of Flask and Django, and with httpx responses."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from unittest.mock import ANY

import django
import flask
import httpx
import pytest
from django.conf import settings
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.test import Client, override_settings
from django.urls import path

from problemdetails import Problem, ProblemHandler, ProblemRegistry, ProblemResponse, RequestInfo
from problemdetails.client import ClientError
from problemdetails.testing import assert_problem

if not settings.configured:
    settings.configure(
        SECRET_KEY="tests-only",  # noqa: S106 - a test configuration
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_TZ=True,
    )
    django.setup()


class Declined(
    Problem, type="https://example.com/probs/client/declined", title="Card declined.", status=402
):
    """A registered problem type the views answer with."""

    reason: str
    retryable: bool = False


def _declined() -> ProblemResponse:
    return Declined(reason="insufficient_funds", detail="Try another card.").to_response()


# --- Flask ----------------------------------------------------------------------


@pytest.fixture(name="flask_client")
def _flask_client() -> Any:
    app = flask.Flask(__name__)

    @app.post("/pay")
    def pay() -> ProblemResponse:
        return _declined()

    @app.get("/html")
    def html() -> tuple[str, int]:
        return "<h1>oops</h1>", 500

    @app.get("/disagrees")
    def disagrees() -> flask.Response:
        body = json.dumps({"type": "about:blank", "status": 500, "title": "Bad Request"})
        return flask.Response(body, status=400, content_type="application/problem+json")

    return app.test_client()


# --- Django ---------------------------------------------------------------------


def _django_response(problem: ProblemResponse) -> HttpResponse:
    headers = dict(problem.headers)
    return HttpResponse(problem.body, status=problem.status, headers=headers)


def pay_view(request: HttpRequest) -> HttpResponse:
    """Answer with a Declined problem."""
    return _django_response(_declined())


def xml_view(request: HttpRequest) -> HttpResponse:
    """Answer with a Declined problem as XML."""
    accept = RequestInfo(headers={"Accept": "application/problem+xml"})
    problem = Declined(reason="expired", retryable=True)
    return _django_response(ProblemHandler().render(problem, accept))


urlpatterns = [path("pay", pay_view), path("xml", xml_view)]


@pytest.fixture(name="django_client")
def _django_client() -> Iterator[Client]:
    with override_settings(ROOT_URLCONF=__name__, ALLOWED_HOSTS=["testserver"], MIDDLEWARE=[]):
        yield Client()


# --- Tests ----------------------------------------------------------------------


class TestPasses:
    """A response that is the expected problem passes and gives its problem back."""

    def test_flask(self, flask_client):
        """Flask's test client, the class as type, members compared."""
        problem = assert_problem(
            flask_client.post("/pay"),
            type=Declined,
            status=402,
            reason="insufficient_funds",
            title="Card declined.",
            detail="Try another card.",
            flow_id=ANY,
        )
        assert isinstance(problem, Declined)
        assert isinstance(problem, ClientError)
        assert problem.reason == "insufficient_funds"
        assert problem.http.method == "POST"

    def test_django(self, django_client):
        """Django's test client, the type as a URI."""
        problem = assert_problem(
            django_client.post("/pay"),
            type="https://example.com/probs/client/declined",
            status=402,
            reason="insufficient_funds",
        )
        assert isinstance(problem, Declined)
        assert problem.http.url == "http://testserver/pay"

    def test_django_xml(self, django_client):
        """An XML problem passes; expected values compare as the server renders them."""
        problem = assert_problem(
            django_client.get("/xml"), type=Declined, status=402, reason="expired", retryable=True
        )
        assert isinstance(problem, Declined)
        assert problem.retryable is True

    def test_django_streaming_response(self):
        """A Django streaming response is read through getvalue()."""
        problem = _declined()
        response = StreamingHttpResponse(
            iter([problem.body]), status=402, content_type="application/problem+json"
        )
        assert isinstance(assert_problem(response, type=Declined, status=402), Declined)

    def test_httpx_response(self):
        """An httpx response, about:blank when the body has no type."""
        response = httpx.Response(
            404,
            headers={"Content-Type": "application/problem+json; charset=utf-8"},
            content=b'{"title": "Not Found", "status": 404}',
            request=httpx.Request("GET", "https://api.example.com/x"),
        )
        problem = assert_problem(response, type="about:blank", status=404, title="Not Found")
        assert type(problem) is ClientError


class TestFailures:
    """A failure lists every difference, the media type and the body."""

    def test_wrong_members_status_and_type(self, flask_client):
        """Expected and actual values side by side, all of them."""
        with pytest.raises(AssertionError) as info:
            assert_problem(
                flask_client.post("/pay"),
                type="https://example.com/probs/other",
                status=403,
                reason="expired",
                missing=1,
            )
        message = str(info.value)
        assert message.startswith("response is not the expected problem (4 differences):\n")
        assert "  - HTTP status: expected 403, got 402\n" in message
        assert (
            "  - type: expected 'https://example.com/probs/other', "
            "got 'https://example.com/probs/client/declined'\n"
        ) in message
        assert "  - member 'reason': expected 'expired', got 'insufficient_funds'\n" in message
        assert "  - member 'missing': expected 1, but it is missing\n" in message
        assert "\nmedia type: application/problem+json\n" in message
        assert '\nbody: {\n  "type": "https://example.com/probs/client/declined",' in message

    def test_not_a_problem_media_type(self, flask_client):
        """An HTML error page fails on its media type and body."""
        with pytest.raises(AssertionError) as info:
            assert_problem(flask_client.get("/html"), status=500)
        message = str(info.value)
        assert (
            "  - media type: expected application/problem+json (or application/problem+xml), "
            "got 'text/html; charset=utf-8'"
        ) in message
        assert "  - body is not a problem document: problem document is not valid JSON" in message
        assert message.endswith("body: <h1>oops</h1>")

    def test_status_member_must_agree(self, flask_client):
        """A status member that disagrees with the HTTP status fails (RFC 9457 3.1.2)."""
        with pytest.raises(
            AssertionError, match=r"status member 500 disagrees with the HTTP status 400"
        ):
            assert_problem(flask_client.get("/disagrees"), status=400)

    def test_success_is_no_problem(self):
        """A 200 fails: problems are errors."""
        response = httpx.Response(
            200, headers={"Content-Type": "application/problem+json"}, content=b"{}"
        )
        with pytest.raises(AssertionError, match="HTTP status 200 is not an error status"):
            assert_problem(response)

    def test_unregistered_class(self):
        """A class the client side would not read the body as fails, saying why."""

        class Local(
            Problem,
            type="https://example.com/probs/client/declined",
            title="Elsewhere.",
            registry=ProblemRegistry(),
        ):
            reason: str

        response = _declined()
        with pytest.raises(AssertionError, match="reads it as Declined, not Local"):
            assert_problem(response, type=Local)

    def test_not_a_response(self):
        """Something that is no response fails plainly."""
        with pytest.raises(AssertionError, match="dict is not an HTTP response"):
            assert_problem({"status": 404})


def _problem_response(
    body: bytes, content_type: str = "application/problem+json"
) -> httpx.Response:
    return httpx.Response(
        400,
        headers={"Content-Type": content_type},
        content=body,
        request=httpx.Request("GET", "https://api.example.com/v1/x"),
    )


class TestHostileResponses:
    """Whatever the server sends, a failure is an AssertionError with a safe message."""

    @pytest.mark.parametrize("type_uri", ["//[", "//]", "//[xyz]/p"])
    def test_type_the_url_parser_refuses(self, type_uri):
        """A type that cannot be resolved is compared as it is, not raised as ValueError."""
        body = json.dumps({"type": type_uri, "status": 400}).encode()
        with pytest.raises(AssertionError) as info:
            assert_problem(_problem_response(body), type="/probs/expected")
        assert f"  - type: expected '/probs/expected', got {type_uri!r}\n" in str(info.value)
        problem = assert_problem(_problem_response(body), type=type_uri)
        assert problem.type == type_uri

    @pytest.mark.parametrize(
        "body",
        [b"[" * 2000 + b"]" * 2000, b'{"a":' + b"[" * 1500 + b"]" * 1500 + b"}"],
        ids=["array", "member"],
    )
    def test_body_nested_deeper_than_the_decoder_goes(self, body):
        """A body too deep to pretty-print is shown as it came, in an AssertionError."""
        with pytest.raises(AssertionError) as info:
            assert_problem(_problem_response(body))
        assert "nests deeper than 32 levels" in str(info.value)
        assert "\nbody: [[[" in str(info.value) or '\nbody: {"a":[[[' in str(info.value)

    def test_unprintable_server_text_is_escaped(self):
        """Terminal escapes and bidirectional controls from the server cannot rewrite a report."""
        body = json.dumps(
            {"type": "about:blank", "status": 500, "detail": "a\u202eb\x1b[2Kc"}, ensure_ascii=False
        ).encode()
        with pytest.raises(AssertionError) as info:
            assert_problem(_problem_response(body, b"application/problem+json; x=\x9b\r\n"))
        message = str(info.value)
        assert "\u202e" not in message
        assert "\x9b" not in message
        assert "\x1b" not in message
        assert "\r" not in message
        assert '"detail": "a\\u202eb\\u001b[2Kc"' in message
        assert "\nmedia type: application/problem+json; x=\\x9b\\x0d\\x0a\n" in message
        assert message.count("\n") > 3
