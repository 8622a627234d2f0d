"""Hostile problem documents against the parser and raise_for_problem.

Documents are written by hand, as a broken or malicious server would:
nesting past every limit, numbers past every range, NaN and Infinity,
duplicate members, every standard member of every JSON type, lone
surrogates and bidirectional controls, invalid UTF-8 and other encodings,
and XML with DTDs, entities, processing instructions and odd namespaces.
The parser raises nothing but ProblemParseError; raise_for_problem raises
nothing but the problem classes; what a caller then does with the problem
(log it, pickle it, ask the retry policy about it, assert on it) raises
nothing either.
"""

from __future__ import annotations

import json
import math
import pickle
import unicodedata
from typing import Any

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import MEMBER_SPECS, TypedMembers, json_values

from problemdetails import (
    Problem,
    ProblemParseError,
    RetryAfterProblem,
    ValidationProblem,
    parse_problem,
)
from problemdetails.client import (
    ReceivedProblem,
    RetryableServerError,
    RetryPolicy,
    problem_from_response,
    raise_for_problem,
    stamina_hook,
)
from problemdetails.client._xml import load_xml_document
from problemdetails.testing import assert_problem

JSON = "application/problem+json"
XML = "application/problem+xml"
NS = "urn:ietf:rfc:7807"


class Overloaded(
    RetryAfterProblem,
    type="https://example.com/probs/hostile/overloaded",
    title="Overloaded.",
    status=503,
):
    """A registered RetryAfterProblem, so that retry_after is read as a member."""

    queue: list[int]


#: Type URIs a hostile document may claim: registered ones, broken ones, odd ones.
TYPES = [
    TypedMembers.__problem_type__,
    Overloaded.__problem_type__,
    ValidationProblem.__problem_type__,
    "about:blank",
    "//[",
    "//[xyz]/p",
    "../../probs/x",
    "http://[::1",
    "\u202e",
    "",
]

#: Member names worth attacking: standard, flow id, declared by the types above.
NAMES = sorted(
    {
        "type",
        "title",
        "status",
        "detail",
        "instance",
        "flow_id",
        "retry_after",
        "queue",
        "errors",
        "extensions",
        "headers",
        *MEMBER_SPECS,
    }
)

#: Raw JSON value texts no encoder of ours would write.
_RAW_VALUES = st.sampled_from(
    [
        "NaN",
        "Infinity",
        "-Infinity",
        "1e400",
        "-1e400",
        "1e-400",
        "-0",
        "1.7976931348623157e308",
        "9" * 400,
        "9" * 4301,
        "-" + "9" * 20,
        '"\\ud800"',
        '"\\udfff\\ud800"',
        '"\\u202e\\u2066\\u200b\\u061c\\u0000\\u001b[2J"',
        '"' + "x" * 5000 + '"',
        "[" * 40 + "]" * 40,
        "[" * 3000 + "]" * 3000,
        '{"a":' * 40 + "1" + "}" * 40,
        "[1, 2,]",
        "{,}",
        "tru",
        "true",
        "null",
        "[]",
        "{}",
        '"9999-12-31T23:59:59+00:00"',
        '"0001-01-01T00:00:00-23:59"',
        '"Fri, 31 Dec 9999 23:59:59 GMT"',
        '[{"detail": 5, "pointer": "#/a"}]',
        '[{"detail": "d", "pointer": "not a pointer"}]',
    ]
)


def _json_text(value: Any) -> str:
    return json.dumps(value)


_VALUES = (
    _RAW_VALUES | json_values(max_leaves=6).map(_json_text) | st.sampled_from(TYPES).map(_json_text)
)


@st.composite
def hostile_json(draw: st.DrawFn) -> bytes:
    """A JSON problem document written by hand, duplicates and all, in some encoding."""
    members = draw(
        st.lists(
            st.tuples(st.sampled_from(NAMES) | st.text(max_size=6), _VALUES),
            max_size=10,
        )
    )
    if draw(st.booleans()):
        members.insert(0, ("type", _json_text(draw(st.sampled_from(TYPES)))))
    text = "{" + ",".join(f"{json.dumps(name)}:{value}" for name, value in members) + "}"
    if draw(st.integers(0, 9)) == 0:
        text = draw(_VALUES)  # not an object at all
    encoding = draw(st.sampled_from(["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-32-le"]))
    body = text.encode(encoding, "surrogatepass")
    if draw(st.integers(0, 9)) == 0:
        cut = draw(st.integers(0, len(body)))
        body = body[:cut] + draw(st.sampled_from([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00"]))
    return body


_XML_TEXTS = st.sampled_from(
    [
        "403",
        "\u00b2",
        "\u0664\u0660\u0663",
        "9" * 400,
        "nan",
        "-inf",
        "1e999",
        "true",
        "",
        "&#x202e;x",
        "&#xd800;",
        "&#0;",
        "&undeclared;",
        "&amp;&lt;",
        "<![CDATA[<status>500</status>]]>",
        "<?pi data?>",
        "<!-- comment -->",
        "<i>1</i><i>2</i>",
        "<i>a</i><x>b</x>",
        "<i><i><i>1</i></i></i>",
        '<p:a xmlns:p="urn:other">1</p:a>',
        "<a b='c'>1</a>",
        "<a>" * 40 + "</a>" * 40,
        "x" * 3000,
        "//[",
        "9999-12-31T23:59:59+00:00",
    ]
)

_XML_PROLOGS = st.sampled_from(
    [
        "",
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<?xml version="1.0" encoding="ISO-8859-1"?>',
        '<?xml version="1.0" encoding="nope"?>',
        '<?xml version="1.1"?>',
        '<!DOCTYPE problem [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">]>',
        '<!DOCTYPE problem SYSTEM "file:///etc/passwd">',
        '<!DOCTYPE problem [<!ENTITY % p SYSTEM "http://example.com/p.dtd"> %p;]>',
        '<!DOCTYPE problem [<!ENTITY e SYSTEM "file:///etc/hostname">]>',
    ]
)


@st.composite
def hostile_xml(draw: st.DrawFn) -> bytes:
    """An application/problem+xml document written by hand."""
    members = draw(
        st.lists(
            st.tuples(
                st.sampled_from([*NAMES, "i"]),
                _XML_TEXTS | st.sampled_from(TYPES) | st.text(max_size=10),
            ),
            max_size=8,
        )
    )
    namespace = draw(st.sampled_from([NS, NS, "urn:ietf:rfc:9457", ""]))
    body = "".join(f"<{name}>{value}</{name}>" for name, value in members)
    document = f'{draw(_XML_PROLOGS)}<problem xmlns="{namespace}">{body}</problem>'
    return document.encode("utf-8", "surrogatepass")


_STATUSES = st.integers(min_value=100, max_value=999)
#: A policy that honours any Retry-After: only the longest wait limits it.
_PATIENT = RetryPolicy(max_retry_after=math.inf, timeout=None, attempts=10)


def _response(status: int, body: bytes, content_type: str) -> httpx.Response:
    return httpx.Response(
        status,
        headers={"Content-Type": content_type},
        content=body,
        request=httpx.Request("GET", "https://api.example.com/v1/things/1"),
    )


def _escaped(text: str) -> bool:
    return not any(
        unicodedata.category(character) in {"Cc", "Cf", "Cs", "Cn", "Zl", "Zp"}
        for character in text
    )


def _use(problem: ReceivedProblem) -> None:
    """Do with a problem what callers do; every step must succeed."""
    assert isinstance(problem, ReceivedProblem)
    assert type(problem).__problem_received__ is True
    assert 400 <= problem.status <= 599
    text = str(problem)
    assert _escaped(text)
    text.encode("utf-8")
    assert len(repr(problem)) < 2100
    repr(problem.http)
    clone = pickle.loads(pickle.dumps(problem))  # noqa: S301 - our own object
    assert type(clone) is type(problem)
    for attempt in (1, 2):
        delay = _PATIENT.delay(attempt, problem)
        assert delay is None or 0 <= delay <= 1e9
    answer = stamina_hook(_PATIENT)(problem)
    assert answer is False or 0 <= answer <= 1e9


class TestParserOnHostileDocuments:
    """The parsers raise nothing but ProblemParseError."""

    @given(body=hostile_json())
    def test_json(self, body):
        """parse_problem gives a problem or a ProblemParseError for any hand-written JSON."""
        try:
            problem = parse_problem(body, base_uri="https://api.example.com/v1/")
        except ProblemParseError as error:
            message = str(error)
        else:
            assert isinstance(problem, Problem)
            return
        assert _escaped(message)

    @given(body=hostile_xml())
    def test_xml(self, body):
        """load_xml_document gives members or a ProblemParseError for any hand-written XML."""
        try:
            members = load_xml_document(body, max_bytes=1024 * 1024, max_depth=32)
        except ProblemParseError as error:
            message = str(error)
        else:
            assert isinstance(members, dict)
            return
        assert _escaped(message)


class TestClientOnHostileDocuments:
    """raise_for_problem raises nothing but the problem classes, which are safe to use."""

    @given(body=hostile_json(), status=_STATUSES)
    def test_json(self, body, status):
        """Any hand-written JSON under any status gives a usable problem, or nothing below 400."""
        response = _response(status, body, JSON)
        try:
            assert raise_for_problem(response) is response
        except ReceivedProblem as problem:
            _use(problem)
        else:
            assert status < 400

    @given(body=hostile_xml(), status=_STATUSES)
    def test_xml(self, body, status):
        """Any hand-written XML under any status gives a usable problem, or nothing below 400."""
        response = _response(status, body, XML)
        try:
            assert raise_for_problem(response) is response
        except ReceivedProblem as problem:
            _use(problem)
        else:
            assert status < 400

    @given(body=hostile_json() | hostile_xml(), status=st.integers(400, 599), xml=st.booleans())
    def test_assert_problem(self, body, status, xml):
        """assert_problem answers a problem or an AssertionError, whatever the body."""
        response = _response(status, body, XML if xml else JSON)
        try:
            problem = assert_problem(response)
        except AssertionError as error:
            message = str(error)
        else:
            _use(problem)
            return
        assert _escaped(message.replace("\n", "").replace("\t", ""))


class TestHostileRegressions:
    """Documents that broke the consumer side once, each answered as it should be."""

    @pytest.mark.parametrize(
        ("body", "content_type"),
        [
            (b'<problem xmlns="urn:ietf:rfc:7807"><status>\xc2\xb2</status></problem>', XML),
            (b'{"type": "//["}', JSON),
            (b'<problem xmlns="urn:ietf:rfc:7807"><type>//[</type></problem>', XML),
            (b'{"type": "https://example.com/probs/hostile/overloaded", "queue": "123"}', JSON),
            (b'{"status": 503, "detail": NaN}', JSON),
            (b'{"status": 503, "detail": "x", "detail": 5, "detail": "y"}', JSON),
            (
                b'{"type": "https://example.com/probs/hostile/overloaded", "queue": [],'
                b' "retry_after": ' + b"9" * 400 + b"}",
                JSON,
            ),
            (b'{"title": "\\u202e\\ud800\\u0000"}', JSON),
        ],
        ids=[
            "xml-status-superscript",
            "json-broken-authority",
            "xml-broken-authority",
            "string-for-a-list",
            "nan",
            "duplicates",
            "huge-retry-after",
            "unprintable-title",
        ],
    )
    def test_answered_as_a_problem(self, body, content_type):
        """Each gives a problem of the response's status that every caller can use."""
        with pytest.raises(ReceivedProblem) as info:
            raise_for_problem(_response(503, body, content_type))
        _use(info.value)
        assert info.value.status == 503

    def test_duplicate_members_last_wins(self):
        """Of duplicate members the last counts, as with Python's json module."""
        problem = problem_from_response(
            _response(503, b'{"detail": "first", "detail": 5, "detail": "last"}', JSON)
        )
        assert problem is not None
        assert problem.detail == "last"

    def test_required_list_sent_as_a_string(self):
        """A required list member sent as a string is as good as missing: the generic class."""
        body = json.dumps({"type": Overloaded.__problem_type__, "queue": "123"}).encode()
        problem = problem_from_response(_response(503, body, JSON))
        assert type(problem) is RetryableServerError
        assert problem.type == Overloaded.__problem_type__
        assert problem.extensions == {"queue": "123"}

    def test_problem_response_round_trip_is_untouched(self):
        """The library's own responses still read back exactly."""
        original = Overloaded(queue=[1, 2], retry_after=5, detail="d")
        received = problem_from_response(original.to_response())
        assert received == original
        assert isinstance(received, Overloaded)
