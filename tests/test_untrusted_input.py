"""Untrusted request input through the Flask, Django and WSGI stacks.

Correlation headers with CR/LF, control characters, 10 KB of text or
non-ASCII, and ``Accept`` and ``Accept-Language`` headers that are huge or
malformed, are sent to a success, a declared problem, an unexpected error
and an unknown URL. None is echoed unsafely (no response carries any of it,
every header value is visible ASCII), and none makes the request fail
differently: the response equals the one to the same request without the
header, but for the generated flow id.

The values go straight into the environ, as a server or proxy that lets
them through would hand them on; test clients refuse some of them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import pytest
from apps.faults_clients import STACKS, Reply, Stack, stack

JSON = "application/problem+json"
XML = "application/problem+xml"
#: Every hostile value carries it; no response may.
MARK = "h0st1le"
GENERATED = re.compile(r"[0-9a-f]{32}")
# What a header value may hold on the way out: visible ASCII, spaces and tabs.
FIELD_VALUE = re.compile(r"[\t\x20-\x7e]*")
URI_REFERENCE = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]*")
ROUTES = {
    "success": "/ok",
    "problem": "/problem",
    "unexpected": "/crash",
    "unknown-url": "/nowhere",
}
KILOBYTES_10 = 10 * 1024

FLOW_IDS = {
    "crlf": f"{MARK}\r\nSet-Cookie: session=1",
    "lf": f"{MARK}\nX-Injected: 1",
    "cr": f"{MARK}\r",
    "controls": f"{MARK}\x00\x01\x07\x1b[2J\x7f",
    "tab": f"{MARK}\tx",
    "10kb-token": MARK + "A" * KILOBYTES_10,
    "10kb-utf8-as-latin1": MARK + ("é" * (KILOBYTES_10 // 2)).encode().decode("latin-1"),
    "non-latin1": f"{MARK}-日本語",
    "line-separators": f"{MARK}\u2028\u2029\x85",
    "markup": f"{MARK}<script>alert(1)</script>",
    "quote": f'{MARK}","status":200,"x":"',
    "spaces": f" {MARK} ",
    "one-over-max": MARK + "a" * (128 - len(MARK) + 1),
}
# (value, the representation it must get)
ACCEPTS = {
    "100kb": (MARK + "x" * 100 * 1024, JSON),
    "q-not-a-number": (f"{XML};q=abc, {MARK}", JSON),
    "q-nan": (f"{XML};q=NaN, {MARK}", JSON),
    "q-infinite": (f"{XML};q=1e999, {MARK}", JSON),
    "q-negative": (f"{XML};q=-1, {MARK}", JSON),
    "only-separators": (f";;;,,,===;q=;{MARK}", JSON),
    "controls": (f"\x00\r\n\t{MARK}", JSON),
    "non-ascii": (f"{XML}\u00e9, {MARK}\u65e5", JSON),
    "thousands-of-ranges": ("text/html, " * 5000 + MARK, JSON),
    "xml-past-the-ranges-read": ("a/b, " * 40 + XML + f", {MARK}", JSON),
    "xml-then-100kb": (f"{XML}, {MARK}" + "a" * 100 * 1024, XML),
    "xml-first-then-junk": (f"{XML};q=0.9, {MARK}/*;q=abc", XML),
}
ACCEPT_LANGUAGES = {
    "100kb": MARK + "x" * 100 * 1024,
    "q-not-a-number": f"de;q=abc, {MARK}",
    "q-nan": f"de;q=NaN, {MARK}",
    "crlf": f"de\r\nSet-Cookie: {MARK}=1",
    "controls": f"\x00\x1bde-{MARK}",
    "non-ascii": f"日本語, {MARK}",
    "thousands-of-ranges": f"{MARK};q=0.1, " * 5000,
    "only-separators": f",,,;;;==={MARK}",
}


@pytest.fixture(name="untrusted_stack", scope="module", params=STACKS)
def _untrusted_stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    """Each stack in-process, with ``instance`` filled from the request path."""
    with stack(request.param, instance="path") as chosen:
        yield chosen


@pytest.fixture(name="route", params=list(ROUTES))
def _route(request: pytest.FixtureRequest) -> str:
    """The path of a success, a declared problem, an unexpected error, an unknown URL."""
    return ROUTES[str(request.param)]


def assert_nothing_echoed(reply: Reply) -> None:
    """No hostile text reaches the response, and every header value is plain ASCII."""
    assert MARK.encode() not in reply.body
    for name, value in reply.headers:
        assert MARK not in value, (name, value)
        assert FIELD_VALUE.fullmatch(value), (name, value)


def comparable(reply: Reply) -> dict[str, Any]:
    """What two replies must share: everything but the flow id (and the worker's pid)."""
    headers = sorted((name.lower(), value) for name, value in reply.headers)
    content_type = reply.header("Content-Type") or ""
    if content_type == JSON:
        members = json.loads(reply.body)
        flow_id = members.pop("flow_id")
        assert flow_id == reply.header("X-Flow-ID")
        assert GENERATED.fullmatch(flow_id)
        body: object = members
    elif content_type == XML:
        match = re.search(rb"<flow_id>([^<]*)</flow_id>", reply.body)
        assert match is not None
        assert match.group(1).decode() == reply.header("X-Flow-ID")
        body = reply.body.replace(match.group(0), b"")
    else:
        body = reply.body
    return {
        "status": reply.status,
        "headers": [(name, value) for name, value in headers if name != "x-flow-id"],
        "body": body,
    }


class TestCorrelationHeaders:
    """A flow id that is not safe to echo is replaced by a generated one; nothing else changes."""

    @pytest.mark.parametrize("value", list(FLOW_IDS.values()), ids=list(FLOW_IDS))
    def test_hostile_flow_id(self, untrusted_stack, route, value):
        """The response is the one without the header: a generated flow id, nothing echoed."""
        baseline = untrusted_stack.get(route)

        reply = untrusted_stack.get(route, {"X-Flow-ID": value})

        assert_nothing_echoed(reply)
        assert comparable(reply) == comparable(baseline)

    def test_safe_flow_id_is_echoed(self, untrusted_stack):
        """A flow id of token characters within the length limit is echoed (the control case)."""
        reply = untrusted_stack.get("/problem", {"X-Flow-ID": "trace-1:a/b+c=="})

        assert reply.header("X-Flow-ID") == "trace-1:a/b+c=="
        assert json.loads(reply.body)["flow_id"] == "trace-1:a/b+c=="


class TestAccept:
    """``Accept`` headers that are huge or malformed get the default representation."""

    @pytest.mark.parametrize(("value", "media_type"), list(ACCEPTS.values()), ids=list(ACCEPTS))
    def test_hostile_accept(self, untrusted_stack, route, value, media_type):
        """The response is the one to a well-formed request for the same representation."""
        baseline = untrusted_stack.get(route, {"Accept": media_type})

        reply = untrusted_stack.get(route, {"Accept": value})

        assert_nothing_echoed(reply)
        assert comparable(reply) == comparable(baseline)
        if route != "/ok":
            assert reply.header("Content-Type") == media_type


class TestAcceptLanguage:
    """``Accept-Language`` headers that are huge or malformed change nothing."""

    @pytest.mark.parametrize("value", list(ACCEPT_LANGUAGES.values()), ids=list(ACCEPT_LANGUAGES))
    def test_hostile_accept_language(self, untrusted_stack, route, value):
        """The response is the one without the header; Django's stays in its default language."""
        baseline = untrusted_stack.get(route)

        reply = untrusted_stack.get(route, {"Accept-Language": value})

        assert_nothing_echoed(reply)
        assert comparable(reply) == comparable(baseline)

    def test_well_formed_accept_language_is_honoured(self, untrusted_stack):
        """A well-formed header does pick a configured language (the control case)."""
        reply = untrusted_stack.get("/problem", {"Accept-Language": "de"})

        expected = "de" if untrusted_stack.name == "django" else None
        assert reply.header("Content-Language") == expected


class TestHostilePaths:
    """A path with CR/LF or non-ASCII becomes a percent-encoded ``instance``, never raw text."""

    @pytest.mark.parametrize(
        "path",
        ["/nowhere%0D%0ASet-Cookie:%20a=b", "/n%C3%B6where", "/nowhere/%3Cscript%3E%00"],
        ids=["crlf", "non-ascii", "markup-and-nul"],
    )
    def test_instance_is_encoded(self, untrusted_stack, path):
        """The unknown URL's 404 names the path percent-encoded, as a URI reference."""
        reply = untrusted_stack.get(path)

        assert reply.status == 404
        assert_nothing_echoed(reply)
        instance = json.loads(reply.body)["instance"]
        assert URI_REFERENCE.fullmatch(instance)
        # Adapters may differ in which sub-delimiters they escape, not in the path named.
        assert unquote(instance) == unquote(path)
