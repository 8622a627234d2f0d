"""Regression tests of the error path's fast paths: request facts worked out on first read.

`RequestInfo` takes ``url_facts`` and works out the URL and path only when
something reads them; the werkzeug and Django adapters pass it. These tests
feed it hostile environs and requests, read the facts late and from other
threads, and check that ``instance`` stays a URI reference.
"""

from __future__ import annotations

import json
import logging
import os
import threading
from typing import Any

import django
import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st
from werkzeug.middleware.proxy_fix import ProxyFix

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
django.setup()

from django.test import Client, override_settings  # noqa: E402

from problemdetails import ErrorReport, Problem, ProblemHandler, RequestInfo  # noqa: E402
from problemdetails._uri import is_uri_reference  # noqa: E402
from problemdetails.adapters._werkzeug import request_info  # noqa: E402
from problemdetails.adapters.flask import ProblemDetails  # noqa: E402

JSON = "application/problem+json"


def environ(**overrides: Any) -> dict[str, Any]:
    """A minimal WSGI environ, with *overrides*."""
    base: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": "/a",
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "HTTP_HOST": "localhost",
        "wsgi.url_scheme": "http",
    }
    base.update(overrides)
    return base


class TestRequestInfoContract:
    """RequestInfo's lazy facts: once, never raising, consistent equality and hashing."""

    def test_hook_reading_raises_leaves_both_unknown(self):
        """url_facts raising something odd (a RecursionError) leaves url and path None."""

        def facts() -> tuple[str, str]:
            raise RecursionError

        info = RequestInfo(method="GET", url_facts=facts)
        assert (info.url, info.path) == (None, None)
        assert repr(info) == "RequestInfo(method='GET', url=None, path=None)"

    def test_url_facts_returning_garbage_leaves_both_unknown(self):
        """A url_facts that returns no pair is a failure: both stay None, nothing raises."""
        info = RequestInfo(url_facts=lambda: "not a pair")  # type: ignore[arg-type,return-value]
        assert (info.url, info.path) == (None, None)

    def test_hash_and_eq_agree_before_and_after_first_read(self):
        """Equal infos hash alike whether or not their facts were worked out yet."""
        lazy = RequestInfo(method="GET", url_facts=lambda: ("http://h/x", "/x"))
        other = RequestInfo(method="GET", url_facts=lambda: ("http://h/x", "/x"))
        assert hash(lazy) == hash(other)
        assert lazy == other
        assert {lazy: 1}[other] == 1

    def test_concurrent_first_reads_see_one_answer(self):
        """Threads reading .url while another thread's first read is running all get the URL."""
        started = threading.Event()
        release = threading.Event()

        def facts() -> tuple[str, str]:
            started.set()
            release.wait(5)
            return "http://h/slow", "/slow"

        info = RequestInfo(method="GET", url_facts=facts)
        seen: list[str | None] = []
        first = threading.Thread(target=lambda: seen.append(info.url))
        first.start()
        assert started.wait(5)
        seen.append(info.url)  # while the first read is still working it out
        release.set()
        first.join(5)
        assert seen == ["http://h/slow", "http://h/slow"]


class TestWerkzeugEnviron:
    """request_info on hostile environs: never raises, and the facts are URIs or None."""

    @pytest.mark.parametrize(
        ("overrides", "url", "path"),
        [
            ({"PATH_INFO": "/a\r\nb"}, "http://localhost/a%0D%0Ab", "/a%0D%0Ab"),
            ({"PATH_INFO": "/\u0100x"}, "http://localhost/%3Fx", "/%3Fx"),
            ({"QUERY_STRING": "q=\r\n#"}, "http://localhost/a?q=%0D%0A%23", "/a"),
            ({"QUERY_STRING": "q=\u0100"}, "http://localhost/a?q=?", "/a"),
            ({"HTTP_HOST": "h\r\nx"}, "http://h%0D%0Ax/a", "/a"),
            ({"HTTP_HOST": "", "SERVER_PORT": "8080"}, "http://localhost:8080/a", "/a"),
            ({"SCRIPT_NAME": "/s\x00p", "PATH_INFO": ""}, "http://localhost/s%00p", "/s%00p"),
            ({"PATH_INFO": ""}, "http://localhost/", "/"),
        ],
    )
    def test_hostile_values_are_percent_encoded(
        self, overrides: dict[str, Any], url: str, path: str
    ):
        """CR, LF, NUL, '#', non-latin-1 text in the environ are percent-encoded or replaced."""
        info = request_info(environ(**overrides))
        assert (info.url, info.path) == (url, path)
        assert is_uri_reference(info.url)

    @pytest.mark.parametrize(
        "overrides",
        [
            {"PATH_INFO": None},
            {"PATH_INFO": b"/bytes"},
            {"SCRIPT_NAME": 3},
            {"HTTP_HOST": 3},
            {"QUERY_STRING": ["x"]},
        ],
    )
    def test_non_str_values_leave_facts_unknown(self, overrides: dict[str, Any]):
        """Values that are no strings make the facts unknown; reading them never raises."""
        info = request_info(environ(**overrides))
        assert (info.url, info.path) == (None, None)
        assert info.method == "GET"

    def test_missing_keys_fall_back(self):
        """An environ with no keys at all still gives a URL."""
        info = request_info({})
        assert (info.method, info.url, info.path) == (None, "http://localhost/", "/")

    def test_huge_path_is_worked_out_only_when_read(self):
        """A megabyte path costs nothing until read, and is then encoded whole."""
        info = request_info(environ(PATH_INFO="/" + "\u00e9" * 1_000_000))
        assert info.url_facts is not None
        assert info.path is not None
        assert len(info.path) == 1 + 3 * 1_000_000

    @settings(max_examples=200, deadline=None)
    @given(
        path=st.text(st.characters(max_codepoint=0x2FF), max_size=30),
        query=st.text(st.characters(max_codepoint=0xFF, exclude_characters="%"), max_size=30),
        host=st.text(
            st.characters(min_codepoint=0x21, max_codepoint=0xFF, exclude_characters="[]"),
            min_size=1,
            max_size=20,
        ),
    )
    def test_worked_out_url_is_a_uri_reference(self, path: str, query: str, host: str):
        """For any path, query (without '%') and bracket-free host, the facts are URI references."""
        info = request_info(environ(PATH_INFO="/" + path, QUERY_STRING=query, HTTP_HOST=host))
        assert info.url is not None
        assert info.path is not None
        assert is_uri_reference(info.url)
        assert is_uri_reference(info.path)


def flask_app(*, proxied: bool = False, **settings: Any) -> Flask:
    app = Flask(__name__)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    if proxied:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1)  # type: ignore[method-assign]
    ProblemDetails(app, **settings)

    @app.get("/conflict")
    def conflict() -> str:
        raise Problem(status=409, detail="Taken.")

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("s3cr3t")

    return app


class TestFlaskInstance:
    """INSTANCE = 'url' / 'path' through Flask's request stack."""

    @pytest.mark.parametrize(
        ("source", "query", "expected"),
        [
            ("url", "x=%0D%0A1", "http://localhost/conflict?x=%0D%0A1"),
            ("path", "x=1", "/conflict"),
        ],
    )
    def test_instance_from_request(self, source: str, query: str, expected: str):
        """The instance is the request's URL or path, percent-encoded."""
        response = flask_app(instance=source).test_client().get(f"/conflict?{query}")
        assert response.status_code == 409
        assert response.headers["Content-Type"] == JSON
        document = json.loads(response.data)
        assert document["instance"] == expected
        assert document["detail"] == "Taken."

    def test_instance_with_crlf_host(self):
        """A Host header with odd characters is percent-encoded into the instance."""
        client = flask_app(instance="url").test_client()
        response = client.get("/conflict", headers={"Host": "a b\tc"})
        document = json.loads(response.data)
        assert document["instance"] == "http://a%20b%09c/conflict"

    def test_instance_with_bracket_host_is_a_uri_reference(self):
        """A Host header of '[evil' must not make the instance an invalid URI reference."""
        client = flask_app(instance="url").test_client()
        response = client.get("/conflict", headers={"Host": "[evil"})
        assert response.status_code == 409
        instance = json.loads(response.data).get("instance")
        assert instance is None or is_uri_reference(instance)

    def test_instance_with_forwarded_scheme_is_a_uri_reference(self):
        """An X-Forwarded-Proto of 'ht tp' behind ProxyFix must not break the instance."""
        client = flask_app(instance="url", proxied=True).test_client()
        response = client.get("/conflict", headers={"X-Forwarded-Proto": "ht tp"})
        assert response.status_code == 409
        instance = json.loads(response.data).get("instance")
        assert instance is None or is_uri_reference(instance)

    def test_instance_with_stray_percent_in_query_is_a_uri_reference(self):
        """A query of '%zz' (sent as is by the client) must not break the instance."""
        client = flask_app(instance="url").test_client()
        response = client.get("/conflict", environ_overrides={"QUERY_STRING": "q=%zz"})
        assert response.status_code == 409
        instance = json.loads(response.data).get("instance")
        assert instance is None or is_uri_reference(instance)

    def test_hook_reads_url_in_another_thread_after_the_request(self):
        """A report kept past the request gives its URL when read later from another thread."""
        reports: list[ErrorReport] = []
        app = flask_app(report_hooks=[reports.append])
        logging.getLogger("problemdetails").disabled = True
        try:
            response = app.test_client().get("/boom?q=1")
        finally:
            logging.getLogger("problemdetails").disabled = False
        assert response.status_code == 500
        (report,) = reports
        assert report.request is not None
        seen: list[object] = []
        reader = threading.Thread(target=lambda: seen.append(report.request.url))  # type: ignore[union-attr]
        reader.start()
        reader.join(5)
        assert seen == ["http://localhost/boom?q=1"]
        assert report.request.path == "/boom"


@pytest.fixture(name="django_client")
def _django_client() -> Client:
    return Client(raise_request_exception=False)


class TestDjangoLazyFacts:
    """Django's request facts, worked out late."""

    def test_hook_reads_url_after_the_request_in_another_thread(self, django_client: Client):
        """A 503's report read after the request, from another thread, has the URL."""
        reports: list[ErrorReport] = []
        logger = logging.getLogger("django.request")
        level = logger.level
        logger.setLevel(logging.CRITICAL)
        try:
            with override_settings(PROBLEMDETAILS={"REPORT_HOOKS": [reports.append]}):
                response = django_client.get("/raise/retry/?a=%C3%A9")
        finally:
            logger.setLevel(level)
        assert response.status_code == 503
        assert response["Content-Type"] == JSON
        (report,) = reports
        request = report.request
        assert request is not None
        assert request.url_facts is not None  # nothing read it during the request
        seen: list[object] = []
        reader = threading.Thread(target=lambda: seen.append((request.url, request.path)))
        reader.start()
        reader.join(5)
        assert seen == [("http://testserver/raise/retry/?a=%C3%A9", "/raise/retry/")]

    def test_disallowed_host_leaves_url_unknown(self):
        """With a Host Django refuses, the URL is None and the path is still known."""
        from django.http import HttpRequest  # noqa: PLC0415

        from problemdetails.adapters.django._http import request_info as django_info  # noqa: PLC0415

        request = HttpRequest()
        request.method = "GET"
        request.path = "/x y"
        request.META = {"HTTP_HOST": "evil.example", "SERVER_NAME": "evil", "SERVER_PORT": "80"}
        info = django_info(request)
        assert (info.url, info.path) == (None, "/x%20y")
        handler = ProblemHandler()
        rendered = handler.render(Problem(status=404), info)
        assert rendered.status == 404
