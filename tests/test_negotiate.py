"""Content negotiation: the problem media type an ``Accept`` header asks for."""

from __future__ import annotations

import time

import pytest

from problemdetails import (
    JSON_MEDIA_TYPE,
    XML_MEDIA_TYPE,
    Config,
    Problem,
    ProblemHandler,
    RequestInfo,
)
from problemdetails._negotiate import MAX_ACCEPT_LENGTH, _cache, negotiate

JSON = JSON_MEDIA_TYPE
XML = XML_MEDIA_TYPE
BOTH = (JSON, XML)
XML_FIRST = (XML, JSON)


class TestChoice:
    """Which offer wins for a given Accept header (JSON offered first)."""

    @pytest.mark.parametrize(
        ("accept", "chosen"),
        [
            (None, JSON),
            ("", JSON),
            ("application/problem+json", JSON),
            ("application/problem+xml", XML),
            ("application/json", JSON),
            ("application/xml", XML),
            ("text/xml", XML),
            ("text/html", JSON),
            ("image/png", JSON),
            ("Application/Problem+XML", XML),
            ("application/problem+xml; charset=utf-8", XML),
            ("  application/problem+xml  ;  q=1  ", XML),
        ],
    )
    def test_types_and_aliases(self, accept: str | None, chosen: str):
        """The problem types, their general aliases, and the default for anything else."""
        assert negotiate(accept, BOTH) == chosen

    @pytest.mark.parametrize(
        ("accept", "chosen"),
        [
            ("application/problem+xml;q=0.5, application/problem+json", JSON),
            ("application/problem+json;q=0.1, application/xml", XML),
            ("application/problem+xml;Q=0.9, application/problem+json;q=0.8", XML),
            ("application/json;q=0.3, text/xml;q=0.4", XML),
            ("application/problem+xml;q=1.0, application/problem+json;q=1.0", JSON),
        ],
    )
    def test_quality_values(self, accept: str, chosen: str):
        """The highest q wins (RFC 9110 section 12.5.1); ties go to the server's order."""
        assert negotiate(accept, BOTH) == chosen

    @pytest.mark.parametrize(
        ("accept", "chosen"),
        [
            ("*/*", JSON),
            ("application/*", JSON),
            ("text/*", XML),
            ("text/*, application/json;q=0.5", XML),
            ("*/*;q=0.1, application/problem+xml", XML),
            ("application/problem+xml;q=0, */*", JSON),
            ("application/*;q=0.2, application/problem+xml;q=0.1", JSON),
            ("application/problem+json;q=0, application/*", XML),
        ],
    )
    def test_wildcards(self, accept: str, chosen: str):
        """Wildcards match every offer they cover; a more specific range overrides them."""
        assert negotiate(accept, BOTH) == chosen

    @pytest.mark.parametrize(
        "accept",
        [
            "application/problem+xml;q=0",
            "application/xml;q=0, text/xml;q=0",
            "application/problem+json;q=0, application/problem+xml;q=0",
        ],
    )
    def test_q_zero_excludes(self, accept: str):
        """q=0 means 'not acceptable': XML is never chosen through it."""
        assert negotiate(accept, BOTH) == JSON

    def test_q_zero_with_nothing_left(self):
        """When nothing is acceptable the server sends its first offer instead of a 406."""
        assert negotiate("application/problem+xml;q=0", XML_FIRST) == XML


class TestMalformed:
    """Malformed and huge headers fall back to the first offer (JSON by default)."""

    @pytest.mark.parametrize(
        "accept",
        [
            "garbage",
            ";;;",
            ",,,",
            "/",
            "application/problem+xml;q=abc",
            "application/problem+xml;q=2",
            "application/problem+xml;q=-1",
            "application/problem+xml;q=nan",
            "application/problem+xml;q=inf",
            "\x00\r\n",
            "caf\u00e9/xml",
            "application/problem+xml;q",
        ],
    )
    def test_malformed(self, accept: str):
        """Nothing usable in the header: JSON."""
        assert negotiate(accept, BOTH) == JSON

    @pytest.mark.parametrize(
        "accept",
        [
            "x" * 100_000,
            "text/html, " * 10_000,
            "text/html;q=0.1;" + "a=b;" * 20_000,
            "text/html, " * 40 + "application/problem+xml",
            " " * (MAX_ACCEPT_LENGTH + 1) + "application/problem+xml",
        ],
        ids=["one-long-range", "many-ranges", "many-params", "xml-after-32-ranges", "xml-far"],
    )
    def test_huge(self, accept: str):
        """A huge header is read only up to its limits, quickly, and gives JSON."""
        started = time.perf_counter()
        assert negotiate(accept, BOTH) == JSON
        assert time.perf_counter() - started < 0.5

    def test_huge_headers_are_not_cached(self):
        """Headers over the length limit do not fill the cache."""
        _cache.clear()
        negotiate("y" * (MAX_ACCEPT_LENGTH + 1), BOTH)
        assert _cache == {}

    def test_cache_stays_bounded(self):
        """Many distinct headers do not grow the cache without bound."""
        for number in range(1000):
            assert negotiate(f"application/problem+xml;ext={number}", BOTH) == XML
        assert len(_cache) <= 256


class TestOffers:
    """The media_types setting: what is offered, most preferred first."""

    @pytest.mark.parametrize(
        ("accept", "chosen"),
        [
            (None, XML),
            ("*/*", XML),
            ("application/*", XML),
            ("application/json", JSON),
            ("application/problem+json, application/problem+xml", XML),
            ("garbage", XML),
        ],
    )
    def test_xml_first(self, accept: str | None, chosen: str):
        """With XML first, XML is the default and wins ties."""
        assert negotiate(accept, XML_FIRST) == chosen

    @pytest.mark.parametrize("offers", [(JSON,), (XML,)])
    @pytest.mark.parametrize("accept", ["application/problem+xml", "application/json", "*/*"])
    def test_single_offer(self, offers: tuple[str, ...], accept: str):
        """With one media type offered, that one is sent whatever the client asks."""
        assert negotiate(accept, offers) == offers[0]

    @pytest.mark.parametrize(
        ("media_types", "accept", "content_type"),
        [
            ((JSON, XML), "application/xml", XML),
            ((JSON, XML), None, JSON),
            ((XML, JSON), None, XML),
            ((JSON,), "application/xml", JSON),
            ((XML,), "application/json", XML),
        ],
    )
    def test_through_handler(
        self, media_types: tuple[str, ...], accept: str | None, content_type: str
    ):
        """The handler negotiates with its configured media types and sets Content-Type."""
        handler = ProblemHandler(Config(media_types=media_types))
        headers = {} if accept is None else {"Accept": accept}
        response = handler.render(Problem(status=404), RequestInfo(headers=headers))
        assert response.content_type == content_type
        assert response.body.startswith(b"<?xml" if content_type == XML else b"{")
