"""Properties that hold for any input: round trips, bounded parsing, no leaks."""

from __future__ import annotations

import json
import logging
import re
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import (
    DECLARED_TYPES,
    json_values,
    leaks,
    problems,
    secret_exceptions,
)

from problemdetails import (
    JSON_MEDIA_TYPE,
    XML_MEDIA_TYPE,
    Config,
    Problem,
    ProblemHandler,
    ProblemParseError,
    RequestInfo,
    parse_problem,
    registry,
)
from problemdetails._negotiate import negotiate
from problemdetails._render import problem_to_dict, to_xml

# Server errors are logged with their tracebacks. On a logger of their own
# that lets nothing through, thousands of examples neither fill the captured
# log nor spend their time formatting tracebacks (test_pipeline covers logging).
LOGGER = "tests.properties"
logging.getLogger(LOGGER).addHandler(logging.NullHandler())
logging.getLogger(LOGGER).propagate = False
logging.getLogger(LOGGER).setLevel(logging.CRITICAL)

HANDLER = ProblemHandler(Config(logger_name=LOGGER))
XML_HANDLER = ProblemHandler(Config(logger_name=LOGGER, media_types=(XML_MEDIA_TYPE,)))
GENERATED = re.compile(r"[0-9a-f]{32}")
FLOW_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~+/=:\-]{0,127}")


class TestRoundTrip:
    """What is rendered parses back to the same problem."""

    @given(problems())
    def test_json_round_trip(self, problem: Problem):
        """``parse_problem(render(problem)) == problem`` for problems of every declared type."""
        response = HANDLER.render(problem, RequestInfo(headers={"X-Flow-ID": "flow-1"}))
        # RFC 9457 section 3.1.2: the same status in the response as in the member.
        assert response.status == problem.status == json.loads(response.body)["status"]
        parsed = parse_problem(response.body)
        assert parsed == problem
        assert type(parsed) is type(problem)
        assert parsed.flow_id == "flow-1"

    @given(problems())
    def test_round_trip_with_base_uri(self, problem: Problem):
        """Relative types rendered against a base parse back with that base."""
        base = "https://api.example.com/v1/"
        handler = ProblemHandler(Config(logger_name=LOGGER, type_base_uri=base))
        body = handler.render(problem).body
        assert parse_problem(body, base_uri=base) == problem

    @given(problems(), st.integers(400, 599))
    def test_status_argument(self, problem: Problem, status: int):
        """The HTTP status given to the parser is the status of the result."""
        assert parse_problem(HANDLER.render(problem).body, status=status).status == status

    def test_strategy_covers_declared_types(self):
        """The declared types the strategies use are registered."""
        assert all(registry.get(cls.__problem_type__) is cls for cls in DECLARED_TYPES)


class TestParsingNeverFails:
    """Whatever arrives, parse_problem gives a problem or a ProblemParseError."""

    @given(st.binary(max_size=300))
    def test_arbitrary_bytes(self, document: bytes):
        """Arbitrary bytes never raise anything but ProblemParseError."""
        reason = None
        try:
            problem = parse_problem(document)
        except ProblemParseError as error:
            reason = error.reason
        else:
            assert isinstance(problem, Problem)
        assert reason in {None, "json", "encoding", "not-object", "depth", "size"}

    @given(json_values(max_leaves=30))
    def test_arbitrary_json(self, value: Any):
        """Arbitrary JSON values never raise anything but ProblemParseError."""
        reason = None
        try:
            problem = parse_problem(json.dumps(value), max_depth=4)
        except ProblemParseError as error:
            reason = error.reason
        else:
            assert isinstance(value, dict)
            assert isinstance(problem, Problem)
        assert reason in {None, "not-object", "depth"}

    @given(
        st.dictionaries(
            st.sampled_from(
                [
                    "type",
                    "title",
                    "status",
                    "detail",
                    "instance",
                    "flow_id",
                    "extensions",
                    "headers",
                    "balance",
                    "accounts",
                    "limit",
                    "window",
                    "tags",
                    "retry_after",
                    "errors",
                ]
            )
            | st.text(max_size=5),
            json_values() | st.sampled_from([cls.__problem_type__ for cls in DECLARED_TYPES]),
            max_size=8,
        ),
        st.none() | st.integers(),
    )
    def test_documents_with_known_members(self, document: dict[str, Any], status: int | None):
        """Documents of declared types with members of any JSON type parse to a problem."""
        problem = parse_problem(json.dumps(document).encode(), status=status)
        assert 400 <= problem.status <= 599
        rendered = HANDLER.render(problem)
        assert rendered.status in {problem.status, 500}
        json.loads(rendered.body)


class TestRenderingNeverFails:
    """Any problem renders; any member value gives well-formed XML."""

    @given(problems())
    def test_xml_well_formed(self, problem: Problem):
        """Every problem renders to XML that parses."""
        body = XML_HANDLER.render(problem).body
        root = ET.fromstring(body)  # noqa: S314 - our own output
        assert root.tag == "{urn:ietf:rfc:7807}problem"

    @given(json_values(max_leaves=30), st.text(max_size=10))
    def test_xml_of_any_value(self, value: Any, name: str):
        """Any JSON value under any name gives well-formed XML."""
        ET.fromstring(to_xml({"status": 500, name: value, "detail": value}))  # noqa: S314

    @given(problems())
    def test_dict_is_json(self, problem: Problem):
        """The member dict of every problem is JSON as it is."""
        members = problem_to_dict(problem, flow_id="f")
        assert json.loads(json.dumps(members)) == members


class TestFlowIdProperty:
    """Whatever the flow id header holds, what is sent back is safe."""

    @given(st.text(max_size=200) | st.text(alphabet="abc-:=\r\n\x00", max_size=20))
    def test_incoming_flow_id(self, incoming: str):
        """The flow id sent is the incoming one if valid, else a generated one."""
        response = HANDLER.render(Problem(status=400), RequestInfo(headers={"X-Flow-ID": incoming}))
        sent = dict(response.headers)["X-Flow-ID"]
        assert json.loads(response.body)["flow_id"] == sent
        assert FLOW_ID.fullmatch(sent)
        assert sent == incoming or GENERATED.fullmatch(sent)


class TestNegotiationProperty:
    """Any Accept header gives one of the offers."""

    @given(st.text(max_size=300), st.sampled_from([(JSON_MEDIA_TYPE, XML_MEDIA_TYPE)]))
    def test_any_accept(self, accept: str, offers: tuple[str, ...]):
        """Negotiation never fails and never invents a media type."""
        assert negotiate(accept, offers) in offers


def _assert_no_leak(exception: BaseException, accept: str, incoming: str) -> None:
    request = RequestInfo(
        method="POST",
        url="https://api.example.com/orders",
        path="/orders",
        headers={"Accept": accept, "X-Flow-ID": incoming},
    )
    response = HANDLER.handle(exception, request)
    assert response.status == 500
    assert not leaks(response.body)
    for name, value in response.headers:
        assert not leaks(name)
        assert not leaks(value)


_accepts = st.sampled_from(["", "application/json", "application/problem+xml", "*/*"])
# The incoming flow id is the client's own, echoed when valid: never one of the secrets.
_incoming = st.sampled_from(["flow-1", "", "bad id\r\n", "x" * 200])


class TestNeverLeaks:
    """A 500 never carries anything of the exception (DESIGN: a 500 never leaks)."""

    @given(secret_exceptions(), _accepts, _incoming)
    def test_secrets_never_leak(self, exception: BaseException, accept: str, incoming: str):
        """No secret in message, args, notes, cause or context reaches the body or headers."""
        _assert_no_leak(exception, accept, incoming)

    @pytest.mark.slow
    @settings(max_examples=10_000)
    @given(secret_exceptions(), _accepts, _incoming)
    def test_secrets_never_leak_long(self, exception: BaseException, accept: str, incoming: str):
        """The same, for 10,000 exceptions."""
        _assert_no_leak(exception, accept, incoming)

    @given(secret_exceptions())
    def test_debug_shows_them(self, exception: BaseException):
        """With debug on (and only then) the exception's text is shown."""
        handler = ProblemHandler(Config(logger_name=LOGGER, debug=True))
        body = json.loads(handler.handle(exception).body)
        assert body["detail"].startswith(type(exception).__qualname__)
        assert body["traceback"]
