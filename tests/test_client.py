"""The client side without a network: responses in, typed problems out.

Responses here are real objects of the libraries (httpx, urllib3, werkzeug
through Flask's test client) and the core's own `ProblemResponse`; the
end-to-end tests against a server process are in test_client_e2e.py.
"""

from __future__ import annotations

import contextlib
import copy
import json
import pickle
import subprocess
import sys
from typing import Any

import attrs
import flask
import httpx
import pytest
import urllib3
from hypothesis import given
from hypothesis import strategies as st
from strategies import (
    MEMBER_SPECS,
    TypedMembers,
    json_values,
    problems,
    typed_documents,
    wrong_json_for,
)

from problemdetails import (
    ConfigurationError,
    Problem,
    ProblemHandler,
    ProblemParseError,
    ProblemResponse,
    RequestInfo,
    RetryAfterProblem,
    parse_problem,
    registry,
)
from problemdetails._convert import structure_plan
from problemdetails._render import to_xml
from problemdetails.client import (
    ClientError,
    HttpExchange,
    ProblemReader,
    ReceivedProblem,
    Retryable,
    RetryableClientError,
    RetryableServerError,
    RetryPolicy,
    ServerError,
    problem_from_response,
    raise_for_problem,
)
from problemdetails.client._xml import load_xml_document, typed_members

URL = "https://api.example.com/v1/orders/17"


class Overdrawn(
    Problem, type="https://example.com/probs/client/overdrawn", title="Overdrawn.", status=403
):
    """A registered type with typed members."""

    balance: int
    accounts: list[str] = attrs.field(factory=list)
    ratio: float | None = None
    frozen: bool = False


class Throttled(
    RetryableClientError,
    type="https://example.com/probs/client/throttled",
    title="Slow down.",
    status=429,
):
    """A registered type that is a group class already."""


def _response(
    status: int,
    body: bytes | dict[str, Any] = b"",
    content_type: str | None = "application/problem+json",
    *,
    method: str = "GET",
    url: str = URL,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return httpx.Response(
        status, headers=all_headers, content=body, request=httpx.Request(method, url)
    )


OVERDRAWN = {
    "type": "https://example.com/probs/client/overdrawn",
    "title": "Overdrawn.",
    "status": 403,
    "detail": "Balance 30 is below 50.",
    "balance": 30,
    "accounts": ["/a/1"],
    "flow_id": "abc-123",
    "extra": {"x": 1},
}


class TestResponseKinds:
    """Every supported response object is read the same way."""

    def _check(self, problem: ReceivedProblem | None) -> None:
        assert isinstance(problem, Overdrawn)
        assert isinstance(problem, ClientError)
        assert problem.balance == 30
        assert problem.accounts == ["/a/1"]
        assert problem.detail == "Balance 30 is below 50."
        assert problem.flow_id == "abc-123"
        assert problem.extensions == {"extra": {"x": 1}}

    def test_httpx(self):
        """An httpx response gives method and URL too."""
        problem = problem_from_response(_response(403, OVERDRAWN))
        self._check(problem)
        assert problem is not None
        assert (problem.http.method, problem.http.url) == ("GET", URL)

    def test_urllib3(self):
        """A urllib3 response has no method: it may be given."""
        response = urllib3.HTTPResponse(
            body=json.dumps(OVERDRAWN).encode(),
            headers={"Content-Type": "application/problem+json"},
            status=403,
            request_url=URL,
        )
        problem = problem_from_response(response, method="delete")
        self._check(problem)
        assert problem is not None
        assert (problem.http.method, problem.http.url) == ("delete", URL)

    def test_flask_test_client(self):
        """A werkzeug test response gives the request's method and URL."""
        app = flask.Flask(__name__)

        @app.post("/buy")
        def buy() -> flask.Response:
            return flask.Response(
                json.dumps(OVERDRAWN), status=403, content_type="application/problem+json"
            )

        problem = problem_from_response(app.test_client().post("/buy"))
        self._check(problem)
        assert problem is not None
        assert (problem.http.method, problem.http.url) == ("POST", "http://localhost/buy")

    def test_core_problem_response(self):
        """The core's own ProblemResponse round-trips."""
        original = Overdrawn(balance=30, accounts=["/a/1"], detail="Balance 30 is below 50.")
        problem = problem_from_response(original.to_response())
        assert problem == original
        assert isinstance(problem, Overdrawn)
        assert (problem.http.method, problem.http.url) == (None, None)

    def test_not_a_response(self):
        """Something without a status is a TypeError, said plainly."""
        with pytest.raises(TypeError, match="str is not an HTTP response"):
            raise_for_problem("https://example.com")

    def test_credentials_never_kept(self):
        """user:password@ is dropped from the URL."""
        response = _response(404, url="https://me:secret@api.example.com/x?token=t")
        problem = problem_from_response(response)
        assert problem is not None
        assert problem.http.url == "https://api.example.com/x?token=t"
        assert "secret" not in str(problem)
        assert "token" not in str(problem)


class TestResponseReading:
    """Header containers and URLs of every shape are read without failing."""

    def test_header_pairs_bounded_and_decoded(self):
        """Byte pairs are decoded, values capped, the count bounded, bad entries skipped."""
        pairs: list[Any] = [(b"Content-Type", b"text/plain"), ("X-Long", "v" * 10_000)]
        pairs += [(f"X-{n}", "1") for n in range(300)]
        problem = problem_from_response(ProblemResponse(500, tuple(pairs), b"oops"))
        assert problem is not None
        assert problem.http.media_type == "text/plain"
        assert problem.http.header("x-long") == "v" * 8192
        assert len(problem.http.headers) == 128
        broken = problem_from_response(ProblemResponse(500, (("A", "1"), ("B",)), b""))  # type: ignore[arg-type]
        assert broken is not None
        assert broken.http.headers == (("A", "1"),)

    def test_url_that_does_not_parse(self):
        """A URL the parser refuses is left out, not raised."""
        response = urllib3.HTTPResponse(body=b"", status=500, request_url="http://[::1/x")
        problem = problem_from_response(response)
        assert problem is not None
        assert problem.http.url is None


class TestGroups:
    """The class of failure follows the status, the method and the policy."""

    @pytest.mark.parametrize(
        ("status", "method", "group"),
        [
            (400, "GET", ClientError),
            (404, "GET", ClientError),
            (408, "GET", RetryableClientError),
            (409, "PUT", ClientError),
            (422, "POST", ClientError),
            (429, "GET", RetryableClientError),
            (429, "POST", ClientError),
            (500, "GET", RetryableServerError),
            (501, "GET", ServerError),
            (502, "DELETE", RetryableServerError),
            (503, "GET", RetryableServerError),
            (503, "POST", ServerError),
            (503, "PATCH", ServerError),
            (504, "HEAD", RetryableServerError),
            (505, "GET", ServerError),
        ],
    )
    def test_group_table(self, status, method, group):
        """Each status and method lands in its group, and only there."""
        problem = problem_from_response(_response(status, content_type=None, method=method))
        assert type(problem) is group
        assert isinstance(problem, ClientError) == (status < 500)
        assert isinstance(problem, ServerError) == (status >= 500)
        assert isinstance(problem, Retryable) == issubclass(group, Retryable)

    def test_registered_class_grouped_by_actual_status(self):
        """A registered 403 type sent with 503 is a retryable server error."""
        problem = problem_from_response(_response(503, OVERDRAWN))
        assert isinstance(problem, Overdrawn)
        assert isinstance(problem, RetryableServerError)
        assert problem.status == 503

    def test_policy_of_the_reader_decides_retryable(self):
        """A reader's policy can make POSTs and other statuses retryable."""
        reader = ProblemReader(policy=RetryPolicy(retry_statuses={409}, retry_non_idempotent=True))
        problem = reader.problem(_response(409, method="POST", content_type=None))
        assert type(problem) is RetryableClientError

    @pytest.mark.parametrize("status", [200, 204, 301, 304, 399])
    def test_no_problem_below_400(self, status):
        """Success and redirects are no problems."""
        response = _response(status, OVERDRAWN)
        assert problem_from_response(response) is None
        assert raise_for_problem(response) is response

    def test_invalid_status_is_a_server_error(self):
        """A status past 599 is a broken server: a 500 problem keeping the real status."""
        problem = problem_from_response(_response(999, OVERDRAWN))
        assert isinstance(problem, Overdrawn)
        assert isinstance(problem, ServerError)
        assert problem.status == 500
        assert problem.http.status == 999
        assert "HTTP status 999" in str(problem)


class TestDerivedClasses:
    """Registered classes are raised as cached subclasses that also carry the group."""

    def test_not_registered(self):
        """Deriving leaves the registry as it was."""
        before = list(registry)
        for status in (403, 429, 500, 503):
            problem_from_response(_response(status, OVERDRAWN))
        assert list(registry) == before
        assert registry.get(OVERDRAWN["type"]) is Overdrawn

    def test_one_class_per_pair(self):
        """The same pair always gives the same class, named as the registered one."""
        first = problem_from_response(_response(403, OVERDRAWN))
        second = problem_from_response(_response(403, OVERDRAWN))
        other = problem_from_response(_response(503, OVERDRAWN))
        assert type(first) is type(second)
        assert type(first) is not type(other)
        assert type(first).__qualname__ == "Overdrawn"
        assert type(first).__module__ == Overdrawn.__module__
        assert type(first).__mro__[1] is Overdrawn
        assert repr(first).startswith("Overdrawn(type='https://example.com/probs/client/overdrawn'")

    def test_equal_to_the_registered_class(self):
        """A received problem equals (and hashes like) the same problem built locally."""
        received = problem_from_response(_response(403, OVERDRAWN))
        local = Overdrawn(
            balance=30,
            accounts=["/a/1"],
            detail="Balance 30 is below 50.",
            extensions={"extra": {"x": 1}},
        )
        assert received == local
        assert local == received
        assert not received != local  # noqa: SIM202 - __ne__ is under test
        assert hash(received) == hash(local)
        assert received != attrs.evolve(local, balance=31)
        assert received != Problem(status=403)

    def test_generic_equal_to_plain_problem(self):
        """A generic received problem equals the plain Problem with the same members."""
        received = problem_from_response(_response(404, content_type=None))
        assert received == Problem(status=404)
        assert Problem(status=404) == received
        assert hash(received) == hash(Problem(status=404))
        assert received != Problem(status=410)

    @pytest.mark.parametrize("status", [403, 429, 503])
    def test_pickle_and_copy(self, status):
        """Pickling and copying keep the derived class, the members and the exchange."""
        problem = problem_from_response(_response(status, OVERDRAWN))
        assert problem is not None
        if sys.version_info >= (3, 11):
            problem.add_note("seen in a test")
        else:  # add_note came in 3.11; this is what it does
            object.__setattr__(problem, "__notes__", ["seen in a test"])
        for clone in (
            pickle.loads(pickle.dumps(problem)),  # noqa: S301 - our own object
            copy.copy(problem),
            copy.deepcopy(problem),
        ):
            assert type(clone) is type(problem)
            assert clone == problem
            assert clone.http == problem.http
            assert clone.flow_id == "abc-123"
            assert clone.__notes__ == ["seen in a test"]

    def test_user_group_subclass_used_as_is(self):
        """A registered class that is a group class already needs no deriving."""
        body = {"type": "https://example.com/probs/client/throttled", "status": 429}
        problem = problem_from_response(_response(429, body))
        assert type(problem) is Throttled

    def test_member_named_http_wins(self, throwaway_types):
        """A declared member named http stays the member; the exchange is still known."""

        class Proxied(
            Problem, type="https://example.com/probs/client/proxied", title="Proxied.", status=502
        ):
            http: str

        throwaway_types.append(Proxied)
        body = {"type": "https://example.com/probs/client/proxied", "http": "1.1"}
        problem = problem_from_response(_response(502, body))
        assert isinstance(problem, Proxied)
        assert problem.http == "1.1"
        assert "GET https://api.example.com/v1/orders/17" in str(problem)

    def test_class_that_cannot_be_derived_falls_back(self, throwaway_types):
        """A registered class that cannot be combined gives the generic class, members kept."""

        class Odd(Problem):
            balance: int

        class Strict(  # a __init_subclass__ that refuses further subclasses
            Odd, type="https://example.com/probs/client/strict", title="Strict.", status=403
        ):
            def __init_subclass__(cls, **kwargs: Any) -> None:
                raise TypeError("final")

        throwaway_types.append(Strict)
        body = {"type": "https://example.com/probs/client/strict", "balance": 3}
        problem = problem_from_response(_response(403, body))
        assert type(problem) is ClientError
        assert problem.type == "https://example.com/probs/client/strict"
        assert problem.extensions == {"balance": 3}


class TestMessages:
    """str() of a received problem is one safe log line."""

    def test_full_line(self):
        """Status, title, detail, request, flow id, real status and attempts."""
        response = _response(503, {"detail": "down", "flow_id": "f1"}, method="PUT")
        problem = problem_from_response(response, attempts=4)
        assert str(problem) == (
            "503 Service Unavailable: down "
            "[PUT https://api.example.com/v1/orders/17; flow_id=f1; after 4 attempts]"
        )

    def test_configured_flow_id_member(self):
        """The flow id is read from, and labelled as, the configured member."""
        reader = ProblemReader(flow_id_member="request_id", flow_id_header=None)
        problem = reader.problem(_response(404, {"request_id": "r-9"}))
        assert problem is not None
        assert problem.flow_id == "r-9"
        assert str(problem).endswith("; request_id=r-9]")

    def test_flow_id_from_header_only_when_valid(self):
        """The header is a fallback, validated before it is used."""
        good = _response(502, b"<html>", "text/html", headers={"X-Flow-ID": "edge-1"})
        bad = _response(502, b"<html>", "text/html", headers={"X-Flow-ID": "a b\tc"})
        assert problem_from_response(good).flow_id == "edge-1"  # type: ignore[union-attr]
        assert problem_from_response(bad).flow_id is None  # type: ignore[union-attr]

    def test_hostile_text_is_escaped_and_capped(self):
        """Control characters cannot forge log lines; long text is cut."""
        body = {"title": "a\nFAKE LOG LINE", "detail": "x" * 5000, "flow_id": "id\r\n2"}
        text = str(problem_from_response(_response(400, body)))
        assert "\n" not in text
        assert "\r" not in text
        assert "a\\x0aFAKE LOG LINE" in text
        assert len(text) < 700

    @pytest.mark.parametrize(
        "character",
        [
            "\u202e",  # right-to-left override
            "\u202a",  # left-to-right embedding
            "\u2066",  # left-to-right isolate
            "\u2067",
            "\u2068",
            "\u2069",  # pop directional isolate
            "\u200b",  # zero width space
            "\u200f",  # right-to-left mark
            "\u061c",  # Arabic letter mark
            "\ufeff",  # zero width no-break space
            "\U000e0041",  # tag latin capital letter A
            "\ud800",  # a lone surrogate, which no log file can encode
            "\U000e0080",  # unassigned
        ],
    )
    def test_format_characters_are_escaped(self, character):
        """Bidirectional controls and other invisible characters cannot disguise a log line."""
        body = json.dumps(
            {"title": f"t{character}x", "detail": f"d{character}y", "flow_id": f"f{character}z"}
        ).encode()
        problem = problem_from_response(_response(400, body))
        text = str(problem)
        escaped = character.encode("unicode_escape").decode("ascii")
        assert character not in text
        assert f"t{escaped}x" in text
        assert f"d{escaped}y" in text
        assert f"flow_id=f{escaped}z" in text
        text.encode("utf-8")  # fit for any log file

    def test_printable_text_is_kept(self):
        """Letters of any script, accents, emoji and no-break spaces are not escaped."""
        body = json.dumps(
            {"title": "Paiement refus\u00e9", "detail": "\u4e0d\u8db3\u00a0\U0001f4b8"}
        )
        problem = problem_from_response(_response(402, body.encode()))
        assert str(problem).startswith("402 Paiement refus\u00e9: \u4e0d\u8db3\u00a0\U0001f4b8 [")

    def test_repr_is_bounded(self):
        """repr(), which retry libraries log on every try, stays short for huge documents."""
        body = json.dumps({**OVERDRAWN, "detail": "x" * 100_000, "extra": "\u202e" * 10})
        problem = problem_from_response(
            _response(403, body.encode(), headers={"X-Big": "y" * 8000})
        )
        assert isinstance(problem, Overdrawn)
        assert repr(problem).startswith(
            "Overdrawn(type='https://example.com/probs/client/overdrawn'"
        )
        assert len(repr(problem)) < 2100
        assert len(repr(problem.http)) < 2500
        assert "\u202e" not in repr(problem)


class TestBrokenTypeUris:
    """A type the URL parser refuses is an unknown type: the document still parses."""

    @pytest.mark.parametrize(
        "type_uri", ["//[", "//]", "//[::1", "//[xyz]/p", "//a\u2100b/x", "http://[x"]
    )
    @pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
    def test_generic_problem_with_every_member(self, type_uri, xml):
        """The document is read as the generic class, its type and members kept."""
        members = {"type": type_uri, "title": "Odd", "status": 409, "detail": "d", "extra": "e"}
        if xml:
            response = _response(409, to_xml(members), "application/problem+xml")
        else:
            response = _response(409, json.dumps(members).encode())
        with pytest.raises(ClientError) as info:
            raise_for_problem(response)
        problem = info.value
        assert type(problem) is ClientError
        assert (problem.type, problem.title, problem.detail) == (type_uri, "Odd", "d")
        assert problem.extensions == {"extra": "e"}

    def test_request_url_that_does_not_parse(self):
        """A request URL given by the caller that the parser refuses resolves nothing."""
        body = json.dumps({"type": "/probs/relative", "status": 404}).encode()
        problem = problem_from_response(_response(404, body), url="http://[::1/x")
        assert type(problem) is ClientError
        assert problem.type == "/probs/relative"


class TestReceivedMarker:
    """Every class the client raises says it was received, so a server never re-serves it."""

    @pytest.mark.parametrize(
        ("status", "body", "content_type"),
        [
            (403, OVERDRAWN, "application/problem+json"),  # registered, derived with a group
            (503, OVERDRAWN, "application/problem+json"),
            (429, {"type": "https://example.com/probs/client/throttled"}, None),
            (
                429,
                {"type": "https://example.com/probs/client/throttled"},
                "application/problem+json",
            ),
            (404, {"type": "https://example.com/unknown"}, "application/problem+json"),
            (400, b"<html>", "text/html"),
            (408, b"", None),
            (500, b"", None),
            (502, b"{", "application/problem+json"),
            (501, b"", None),
        ],
    )
    def test_marked(self, status, body, content_type):
        """Registered-derived, user group subclasses, groups and generic problems are all marked."""
        with pytest.raises(ReceivedProblem) as info:
            raise_for_problem(_response(status, body, content_type))
        assert type(info.value).__problem_received__ is True
        clone = pickle.loads(pickle.dumps(info.value))  # noqa: S301 - our own object
        assert type(clone).__problem_received__ is True

    def test_every_group_class(self):
        """The group classes themselves carry the mark; a class declared locally does not."""
        for cls in (
            ReceivedProblem,
            ClientError,
            ServerError,
            Retryable,
            RetryableClientError,
            RetryableServerError,
            Throttled,
        ):
            assert cls.__problem_received__ is True
        assert getattr(Overdrawn, "__problem_received__", False) is False
        assert getattr(Problem, "__problem_received__", False) is False


class TestMediaTypes:
    """Which bodies are read as problems."""

    @pytest.mark.parametrize(
        "content_type",
        [
            "application/problem+json",
            "Application/Problem+JSON",
            "application/problem+json; charset=utf-8",
            " application/problem+json ;charset=UTF-8",
        ],
    )
    def test_problem_json_variants(self, content_type):
        """Case and parameters do not matter."""
        assert isinstance(problem_from_response(_response(403, OVERDRAWN, content_type)), Overdrawn)

    @pytest.mark.parametrize(
        "content_type", ["application/json", "text/plain", "text/html", None, "application/xml"]
    )
    def test_other_media_types_are_not_problems(self, content_type):
        """Other bodies are kept as an excerpt, not parsed."""
        problem = problem_from_response(_response(403, OVERDRAWN, content_type))
        assert type(problem) is ClientError
        assert problem.type == "about:blank"
        assert problem.http.body == json.dumps(OVERDRAWN)

    def test_json_media_types_option(self):
        """application/json can be opted in for servers that mislabel problems."""
        reader = ProblemReader(json_media_types={"application/problem+json", "application/json"})
        assert isinstance(reader.problem(_response(403, OVERDRAWN, "application/json")), Overdrawn)

    def test_excerpt_uses_the_charset_and_its_size(self):
        """The excerpt is decoded with the declared charset, capped to excerpt_bytes."""
        reader = ProblemReader(excerpt_bytes=4)
        body = "déjà vu".encode("latin-1")
        problem = reader.problem(_response(500, body, "text/plain; charset=latin-1"))
        assert problem is not None
        assert problem.http.body == "déjà"
        broken = reader.problem(_response(500, b"\xff\xfeab", "text/plain; charset=nope"))
        assert broken is not None
        assert broken.http.body == "\ufffd\ufffdab"

    @pytest.mark.parametrize(
        "settings",
        [
            {"flow_id_member": ""},
            {"flow_id_member": "_x"},
            {"flow_id_header": " "},
            {"max_bytes": 0},
            {"max_depth": True},
            {"excerpt_bytes": -1},
            {"registry": {}},
            {"json_media_types": 3},
        ],
    )
    def test_reader_settings_are_checked(self, settings):
        """A wrong reader setting is a ConfigurationError at once."""
        with pytest.raises(ConfigurationError):
            ProblemReader(**settings)


XML_OVERDRAWN = (
    b'<?xml version="1.0" encoding="UTF-8"?><problem xmlns="urn:ietf:rfc:7807">'
    b"<type>https://example.com/probs/client/overdrawn</type><title>Overdrawn.</title>"
    b"<status>403</status><balance>30</balance><ratio>0.5</ratio><frozen>true</frozen>"
    b"<accounts><i>/a/1</i><i>/a/2</i></accounts><extra><x>1</x></extra></problem>"
)


class TestXml:
    """application/problem+xml, read without any DTD."""

    def test_typed_members(self):
        """Declared int, float, bool and list members are converted from text."""
        problem = problem_from_response(_response(403, XML_OVERDRAWN, "application/problem+xml"))
        assert isinstance(problem, Overdrawn)
        assert (problem.balance, problem.ratio, problem.frozen) == (30, 0.5, True)
        assert problem.accounts == ["/a/1", "/a/2"]
        assert problem.extensions == {"extra": {"x": "1"}}

    def test_round_trip_of_the_server_rendering(self):
        """What the pipeline renders as XML reads back as the same problem."""
        original = Overdrawn(balance=7, accounts=["/a"], ratio=1.5, frozen=True, detail="d")
        accept_xml = RequestInfo(headers={"Accept": "application/problem+xml"})
        response = ProblemHandler().render(original, accept_xml)
        assert response.content_type == "application/problem+xml"
        received = problem_from_response(response)
        assert received == original
        assert isinstance(received, Overdrawn)

    @pytest.mark.parametrize(
        ("document", "reason"),
        [
            (
                (
                    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
                    b'<!ENTITY lol2 "&lol;&lol;&lol;">]><problem xmlns="urn:ietf:rfc:7807">'
                    b"<title>&lol2;</title></problem>"
                ),
                "xml",
            ),
            (
                (
                    b'<?xml version="1.0"?><!DOCTYPE p [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
                    b'<problem xmlns="urn:ietf:rfc:7807"><title>&xxe;</title></problem>'
                ),
                "xml",
            ),
            (b"<problem><title>no namespace</title></problem>", "xml"),
            (b'<problem xmlns="urn:ietf:rfc:7807"><title>open', "xml"),
            (
                b'<problem xmlns="urn:ietf:rfc:7807">' + b"<a>" * 50 + b"</a>" * 50 + b"</problem>",
                "depth",
            ),
            (b"<x/>" * 10, "xml"),
            (b"", "xml"),
        ],
    )
    def test_hostile_documents(self, document, reason):
        """DTDs, entities, wrong roots, broken and deep documents are refused, typed."""
        with pytest.raises(ProblemParseError) as info:
            load_xml_document(document, max_bytes=10_000, max_depth=32)
        assert info.value.reason == reason
        problem = problem_from_response(_response(400, document, "application/problem+xml"))
        assert type(problem) is ClientError
        assert problem.type == "about:blank"
        assert isinstance(problem.__cause__, ProblemParseError)

    def test_xml_can_be_turned_off(self):
        """With xml=False an XML body is an excerpt like any other."""
        reader = ProblemReader(xml=False)
        problem = reader.problem(_response(403, XML_OVERDRAWN, "application/problem+xml"))
        assert type(problem) is ClientError
        assert problem.http.body is not None

    @pytest.mark.parametrize(
        "status", ["\u00b2", "\u0664\u0660\u0663", "4\uff103", "+403", "4 03", "403.0", "0x193"]
    )
    def test_status_of_other_characters_is_ignored(self, status):
        """Only ASCII digits are a status; other text is a member of the wrong type, ignored."""
        body = (
            '<problem xmlns="urn:ietf:rfc:7807"><type>https://example.com/probs/client/overdrawn'
            f"</type><status>{status}</status><balance>30</balance></problem>"
        ).encode()
        with pytest.raises(Overdrawn) as info:
            raise_for_problem(_response(409, body, "application/problem+xml"))
        assert info.value.status == 409
        assert "status" not in info.value.extensions
        # Without an HTTP status, the class's own status stands in, as for a missing one.
        document = load_xml_document(body, max_bytes=10_000, max_depth=8)
        assert document["status"] == status
        parsed = parse_problem(typed_members(document, structure_plan(Overdrawn)))
        assert (type(parsed), parsed.status) == (Overdrawn, 403)

    def test_status_with_white_space(self):
        """XML white space around the digits is no part of the status."""
        body = b'<problem xmlns="urn:ietf:rfc:7807"><status>\n 429\t</status></problem>'
        document = load_xml_document(body, max_bytes=10_000, max_depth=8)
        assert document["status"] == 429

    @pytest.mark.parametrize(
        ("member", "text"),
        [
            ("balance", "\u0663\u0660"),
            ("balance", "1_000"),
            ("balance", "30.0"),
            ("ratio", "nan"),
            ("ratio", "inf"),
            ("ratio", "1e999"),
            ("ratio", "\u0661.5"),
            ("frozen", "True"),
            ("frozen", "1"),
        ],
    )
    def test_text_that_only_python_reads_as_a_number_is_ignored(self, member, text):
        """A declared number or bool takes JSON's spelling only; other text is ignored."""
        body = (
            '<problem xmlns="urn:ietf:rfc:7807"><type>https://example.com/probs/client/overdrawn'
            f"</type><balance>30</balance><{member}>{text}</{member}></problem>"
        ).encode()
        if member == "balance":
            # balance is required: as for a missing one, the generic class keeps everything.
            with pytest.raises(ClientError) as generic:
                raise_for_problem(_response(403, body, "application/problem+xml"))
            assert type(generic.value) is ClientError
            assert generic.value.extensions["balance"] == text
            return
        with pytest.raises(Overdrawn) as info:
            raise_for_problem(_response(403, body, "application/problem+xml"))
        assert (info.value.ratio, info.value.frozen) == (None, False)
        assert member not in info.value.extensions


TYPED = TypedMembers.__problem_type__
#: A TypedMembers problem with every member at its default.
TYPED_DEFAULTS = TypedMembers(count=0)


def _typed_response(members: dict[str, Any], *, xml: bool = False) -> httpx.Response:
    document = {"type": TYPED, "status": 400, **members}
    if xml:
        # The renderer leaves None members out; so does this document.
        body = to_xml({name: value for name, value in document.items() if value is not None})
        return _response(400, body, "application/problem+xml")
    return _response(400, json.dumps(document).encode())


class TestDeclaredMemberTypes:
    """A declared member takes values of its JSON type only; others are ignored, never coerced."""

    @pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
    @pytest.mark.parametrize(
        ("member", "value"),
        [
            ("roles", "admin"),
            ("path", "a/b"),
            ("tags", "admin"),
            ("ids", "123"),
            ("steps", "1.5"),
            ("pair", "ab"),
            ("limits", "admin"),
            ("labels", "admin"),
        ],
    )
    def test_string_for_a_collection_is_ignored(self, member, value, xml):
        """A string where an array or object is declared is not split into characters."""
        with pytest.raises(TypedMembers) as info:
            raise_for_problem(_typed_response({"count": 1, member: value}, xml=xml))
        assert getattr(info.value, member) == getattr(TYPED_DEFAULTS, member)
        assert member not in info.value.extensions
        assert info.value.count == 1

    @pytest.mark.parametrize(
        ("member", "value"),
        [
            ("roles", {"admin": True}),
            ("roles", ["admin", 1]),
            ("tags", [["admin"]]),
            ("ids", [True]),
            ("ids", [1.0]),
            ("pair", [1, "a", 2]),
            ("pair", ["a", 1]),
            ("limits", ["admin"]),
            ("limits", {"a": "1"}),
            ("labels", {"a": 1}),
            ("level", True),
            ("level", 2.0),
            ("level", "HIGH"),
            ("mode", "slow"),
            ("code", 1.5),
            ("code", None),
            ("account", ["x"]),
            ("account", {"id": 5}),
            ("when", 1700000000),
        ],
    )
    def test_wrong_json_type_is_ignored(self, member, value):
        """Arrays, objects and their items, enums, literals and unions are all read strictly."""
        with pytest.raises(TypedMembers) as info:
            raise_for_problem(_typed_response({"count": 1, member: value}))
        assert getattr(info.value, member) == getattr(TYPED_DEFAULTS, member)
        assert member not in info.value.extensions

    @pytest.mark.parametrize("xml", [False, True], ids=["json", "xml"])
    @given(case=typed_documents())
    def test_values_of_the_declared_types_round_trip(self, case, xml):
        """A value of each declared type is read back as that value, in JSON and XML."""
        members, expected = case
        with pytest.raises(TypedMembers) as info:
            raise_for_problem(_typed_response(members, xml=xml))
        for name, spec_value in expected.items():
            assert getattr(info.value, name) == spec_value, name
        assert info.value.extensions == {}

    @given(data=st.data(), name=st.sampled_from(sorted(MEMBER_SPECS)))
    def test_value_of_another_json_type_is_ignored(self, data, name):
        """A member of another JSON type is ignored; a required one falls back as if missing."""
        members, expected = data.draw(typed_documents())
        wrong = data.draw(wrong_json_for(name))
        with pytest.raises(ClientError) as info:
            raise_for_problem(_typed_response({**members, name: wrong}))
        problem = info.value
        if name != "count":
            assert isinstance(problem, TypedMembers)
            assert getattr(problem, name) == getattr(TYPED_DEFAULTS, name)
            assert name not in problem.extensions
            for other, value in expected.items():
                if other != name:
                    assert getattr(problem, other) == value, other
            return
        # The required member: exactly what a document without it gives.
        missing = {key: value for key, value in members.items() if key != name}
        without = problem_from_response(_typed_response(missing))
        assert type(problem) is type(without) is ClientError
        assert problem.type == TYPED
        assert problem.extensions == {**without.extensions, name: wrong}  # type: ignore[union-attr]


class TestRetryAfterMember:
    """A RetryAfterProblem's member and header reach the exchange."""

    def test_header_seconds(self, throwaway_types):
        """Retry-After in seconds is on problem.http.retry_after."""

        class Busy(
            RetryAfterProblem,
            type="https://example.com/probs/client/busy",
            title="Busy.",
            status=503,
        ):
            pass

        throwaway_types.append(Busy)
        problem = problem_from_response(Busy(retry_after=7).to_response())
        assert isinstance(problem, Busy)
        assert isinstance(problem, RetryableServerError)
        assert problem.retry_after == 7
        assert problem.http.retry_after == 7.0


# --- Properties -----------------------------------------------------------------


def _neutral(status: int, content_type: str, body: bytes) -> ProblemResponse:
    return ProblemResponse(status, (("Content-Type", content_type),), body)


_MEDIA = st.sampled_from(
    ["application/problem+json", "application/problem+xml", "text/html", "application/json"]
)
_STATUSES = st.integers(min_value=100, max_value=999)


class TestNeverRaises:
    """Hostile bodies give a problem (or a ProblemParseError from the parser), nothing else."""

    @given(body=st.binary(max_size=2048))
    def test_parser_on_arbitrary_bytes(self, body):
        """parse_problem raises nothing but ProblemParseError on any bytes."""
        try:
            problem = parse_problem(body, max_depth=8)
        except ProblemParseError:
            return
        assert isinstance(problem, Problem)

    @given(document=json_values())
    def test_parser_on_arbitrary_json(self, document):
        """parse_problem raises nothing but ProblemParseError on any JSON value."""
        try:
            problem = parse_problem(json.dumps(document).encode())
        except ProblemParseError:
            return
        assert isinstance(problem, Problem)

    @given(
        members=st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "title",
                    "status",
                    "detail",
                    "instance",
                    "flow_id",
                    "balance",
                    "accounts",
                    "ratio",
                    "frozen",
                    "errors",
                    "retry_after",
                ]
            )
            | st.text(max_size=6),
            json_values(max_leaves=4),
            max_size=8,
        ),
        status=_STATUSES,
    )
    def test_client_on_arbitrary_members(self, members, status):
        """Any JSON object with any status gives a problem or None, never an error."""
        members.setdefault("type", OVERDRAWN["type"])
        response = _neutral(status, "application/problem+json", json.dumps(members).encode())
        problem = problem_from_response(response)
        assert (problem is None) == (status < 400)
        if problem is not None:
            assert isinstance(problem, ReceivedProblem)
            assert 400 <= problem.status <= 599
            assert isinstance(str(problem), str)

    @given(body=st.binary(max_size=2048), status=_STATUSES, media=_MEDIA)
    def test_client_on_arbitrary_bytes(self, body, status, media):
        """Any bytes under any media type give a problem or None, never an error."""
        problem = problem_from_response(_neutral(status, media, body))
        assert (problem is None) == (status < 400)
        if problem is not None:
            assert isinstance(problem, ReceivedProblem)
            pickle.loads(pickle.dumps(problem))  # noqa: S301 - our own object

    @given(
        headers=st.lists(
            st.tuples(
                st.sampled_from(["Content-Type", "Retry-After", "X-Flow-ID", "x"]),
                st.text(max_size=40),
            ),
            max_size=5,
        ),
        body=st.binary(max_size=64),
    )
    def test_client_on_arbitrary_headers(self, headers, body):
        """Any header values give a problem, never an error."""
        problem = problem_from_response(ProblemResponse(503, tuple(headers), body))
        assert isinstance(problem, ReceivedProblem)

    @given(body=st.text(max_size=300))
    def test_xml_loader_on_arbitrary_text(self, body):
        """The XML loader raises nothing but ProblemParseError."""
        data = b'<problem xmlns="urn:ietf:rfc:7807">' + body.encode() + b"</problem>"
        with contextlib.suppress(ProblemParseError):
            load_xml_document(data, max_bytes=10_000, max_depth=8)

    @given(problem=problems())
    def test_round_trip(self, problem):
        """A rendered problem reads back as an equal problem of its class."""
        received = problem_from_response(problem.to_response())
        assert received == problem
        assert isinstance(received, type(problem))


class TestLazyImports:
    """Importing the client side imports no HTTP or retry library."""

    def test_no_library_imported(self):
        """problemdetails.client and .testing import none of the integrations' libraries."""
        code = (
            "import sys, problemdetails.client, problemdetails.testing\n"
            "names = ('httpx', 'requests', 'urllib3', 'stamina', 'tenacity', 'flask', "
            "'django', 'werkzeug', 'anyio')\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] in names))\n"
        )
        output = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        ).stdout
        assert output.strip() == "[]"


class TestExchange:
    """The HttpExchange record."""

    def test_header_lookup_is_case_insensitive(self):
        """header() finds the first value whatever the case."""
        exchange = HttpExchange(headers=(("Retry-After", "5"), ("retry-after", "6")))
        assert exchange.header("RETRY-AFTER") == "5"
        assert exchange.header("X") is None

    def test_default_for_problems_built_locally(self):
        """A group problem built by hand has an empty exchange."""
        problem = ServerError(status=500)
        assert problem.http == HttpExchange()
        assert str(problem) == "500 Internal Server Error"
