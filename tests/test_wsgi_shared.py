"""What the Flask and WSGI adapters share: the werkzeug mapping, request facts, core hooks."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import (
    BadRequestKeyError,
    HTTPException,
    InternalServerError,
    MethodNotAllowed,
    NotFound,
    RequestedRangeNotSatisfiable,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)
from werkzeug.routing import RequestRedirect
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Response

from problemdetails import (
    Config,
    ConfigurationError,
    InternalError,
    InvalidProblemError,
    Problem,
    ProblemHandler,
    RetryAfterProblem,
)
from problemdetails.adapters._werkzeug import (
    DEFAULTS,
    http_exception_problem,
    is_problem,
    request_info,
)


class Teapot(HTTPException):
    code = 418
    description = "Short and stout."


class TestWerkzeugMapping:
    @pytest.mark.parametrize(
        ("error", "expected"),
        [
            (NotFound(), Problem(status=404)),
            (NotFound("No book 42."), Problem(status=404, detail="No book 42.")),
            (BadRequestKeyError("secret_field"), Problem(status=400)),
            (InternalServerError(), Problem(status=500)),
            (
                InternalServerError("The ledger is being rebuilt."),
                Problem(status=500, detail="The ledger is being rebuilt."),
            ),
            (Teapot(), Problem(status=418, detail="Short and stout.")),
            (
                MethodNotAllowed(valid_methods=["GET", "PUT"]),
                Problem(status=405, headers={"Allow": "GET, PUT"}),
            ),
            (
                RequestedRangeNotSatisfiable(length=10),
                Problem(status=416, headers={"Content-Range": "bytes */10"}),
            ),
            (TooManyRequests(retry_after=7), RetryAfterProblem(status=429, retry_after=7)),
            (ServiceUnavailable(retry_after=0), Problem(status=503)),
        ],
    )
    def test_about_blank_problems(self, error, expected):
        """HTTP errors map to about:blank problems; only descriptions the app wrote are details."""
        problem = http_exception_problem(error)

        assert problem == expected
        assert problem is not None
        assert dict(problem.headers) == dict(expected.headers)
        assert problem.type == "about:blank"

    def test_repeated_headers_are_joined(self):
        """Two WWW-Authenticate challenges become one comma-separated list."""
        error = Unauthorized(
            www_authenticate=[
                WWWAuthenticate("basic", {"realm": "a"}),
                WWWAuthenticate("bearer", {"realm": "b"}),
            ]
        )

        problem = http_exception_problem(error)

        assert problem is not None
        basic, bearer = (
            str(WWWAuthenticate("basic", {"realm": "a"})),
            str(WWWAuthenticate("bearer", {"realm": "b"})),
        )
        assert problem.headers == {"WWW-Authenticate": f"{basic}, {bearer}"}

    @pytest.mark.parametrize(
        ("retry_after", "expected"),
        [
            (datetime(2030, 1, 1, 12, tzinfo=timezone.utc), "Tue, 01 Jan 2030 12:00:00 GMT"),
            (datetime(2030, 1, 1, 12), "Tue, 01 Jan 2030 12:00:00 GMT"),  # noqa: DTZ001
            (
                datetime(2030, 1, 1, 14, tzinfo=timezone(timedelta(hours=2))),
                "Tue, 01 Jan 2030 12:00:00 GMT",
            ),
        ],
    )
    def test_retry_after_dates(self, retry_after, expected):
        """A retry_after date, naive ones read as UTC as werkzeug does, gives the HTTP date."""
        problem = http_exception_problem(ServiceUnavailable(retry_after=retry_after))

        assert isinstance(problem, RetryAfterProblem)
        assert dict(problem.http_headers()) == {"Retry-After": expected}

    @pytest.mark.parametrize(
        "error",
        [
            RequestRedirect("https://example.com/new"),
            HTTPException(response=Response("teapot", status=418)),
            NotFound(response=Response("custom", status=404)),
            HTTPException("no code"),
        ],
    )
    def test_left_to_the_framework(self, error):
        """Redirects, code-less exceptions and ones carrying a response are not problems."""
        assert not is_problem(error)
        assert http_exception_problem(error) is None

    def test_user_mapping_wins(self):
        """A user mapping for a werkzeug class beats the default at equal specificity."""
        handler = ProblemHandler(
            Config(mappings={HTTPException: lambda _: Problem(status=400, detail="mine")}),
            defaults=DEFAULTS,
        )

        assert handler.to_problem(NotFound()) == Problem(status=400, detail="mine")


class TestRequestInfo:
    @pytest.mark.parametrize(
        ("kwargs", "url", "path"),
        [
            ({"path": "/books/42"}, "http://localhost/books/42", "/books/42"),
            (
                {"path": "/books/42", "query_string": "a=1&b=%20x"},
                "http://localhost/books/42?a=1&b=%20x",
                "/books/42",
            ),
            (
                {"path": "/b\u00e9 x/<1>", "base_url": "https://api.example.com/v1/"},
                "https://api.example.com/v1/b%C3%A9%20x/%3C1%3E",
                "/v1/b%C3%A9%20x/%3C1%3E",
            ),
            ({"path": "/q", "query_string": "x=<y>"}, "http://localhost/q?x=%3Cy%3E", "/q"),
            ({"path": "/p%2541"}, "http://localhost/p%2541", "/p%2541"),
        ],
    )
    def test_url_and_path_are_uris(self, kwargs, url, path):
        """url and path are percent-encoded, as sent, so they can be an instance."""
        info = request_info(EnvironBuilder(**kwargs).get_environ())

        assert (info.method, info.url, info.path) == ("GET", url, path)

    def test_host_fallback(self):
        """Without a Host header, SERVER_NAME and a non-default port make the URL."""
        environ = EnvironBuilder(path="/x").get_environ()
        del environ["HTTP_HOST"]
        environ.update(SERVER_NAME="internal", SERVER_PORT="8080")

        assert request_info(environ).url == "http://internal:8080/x"

    def test_odd_host_is_quoted(self):
        """A Host header with characters outside a URI host is percent-encoded."""
        environ = EnvironBuilder(path="/x", headers={"Host": "a b"}).get_environ()

        assert request_info(environ).url == "http://a%20b/x"

    def test_headers_convert_with_type(self):
        """werkzeug's typed get still works on the request facts' headers."""
        environ = EnvironBuilder(path="/", headers={"X-Count": "3"}).get_environ()

        assert request_info(environ).headers.get("X-Count", type=int) == 3  # type: ignore[call-arg]

    def test_headers_case_insensitive(self):
        """Headers are looked up in any case, the special CGI ones included."""
        environ = EnvironBuilder(
            path="/", headers={"X-Flow-ID": "abc"}, data=b"{}", content_type="application/json"
        ).get_environ()

        headers = request_info(environ).headers

        assert headers.get("x-flow-id") == "abc"
        assert headers.get("Content-Type") == "application/json"
        assert headers.get("Accept") is None

    def test_broken_environ_never_raises(self):
        """An environ with values of the wrong type still gives a RequestInfo."""
        info = request_info({"PATH_INFO": 42, "HTTP_ACCEPT": "application/json"})

        assert info.url is None
        assert info.headers.get("Accept") == "application/json"


class TestCoreSupport:
    def test_find_problem(self):
        """find_problem returns a problem itself, a mapped one, or None when unexpected."""
        handler = ProblemHandler(Config(mappings={KeyError: lambda _: Problem(status=404)}))
        problem = Problem(status=409)

        assert handler.find_problem(problem) is problem
        assert handler.find_problem(KeyError("x")) == Problem(status=404)
        assert handler.find_problem(ValueError("x")) is None
        assert handler.to_problem(ValueError("x")) == InternalError()

    def test_find_problem_raises_what_a_factory_raises(self):
        """A failing factory's exception reaches the caller of find_problem."""

        def broken(error: KeyError) -> Problem:
            raise RuntimeError("factory bug")

        handler = ProblemHandler(Config(mappings={KeyError: broken}))

        with pytest.raises(RuntimeError, match="factory bug"):
            handler.find_problem(KeyError("x"))

    def test_from_mapping_over_a_base(self):
        """from_mapping(base=...) overrides only the keys given."""
        base = Config(flow_id_header="X-Request-ID", debug=True)

        config = Config.from_mapping({"DEBUG": False}, source="test", base=base)

        assert (config.flow_id_header, config.debug) == ("X-Request-ID", False)

    def test_from_mapping_base_errors_name_the_source(self):
        """A bad value layered over a base names its source."""
        with pytest.raises(ConfigurationError, match=r"^layer: .*flow_id_header"):
            Config.from_mapping({"flow_id_header": "X Y"}, source="layer", base=Config())

    def test_declared_type_is_not_checked_again(self):
        """A problem with its declared type is made without re-checking the URI; others are."""

        class Declared(Problem, type="urn:shared-test:declared", title="Declared.", status=400):
            pass

        try:
            assert Declared().type == "urn:shared-test:declared"
            with pytest.raises(InvalidProblemError, match="URI reference"):
                Declared(type="not a uri")
        finally:
            from problemdetails import registry  # noqa: PLC0415

            registry.unregister(Declared)

    def test_headers_and_extensions_are_copied(self):
        """headers and extensions accept any mapping and are copied into dicts."""
        source = {"Allow": "GET"}

        problem = Problem(status=405, headers=source, extensions={"limit": 3})
        source["Allow"] = "PUT"

        assert problem.headers == {"Allow": "GET"}
        assert type(problem.extensions) is dict
