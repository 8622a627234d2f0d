"""RequestInfo: facts given, and the URL worked out only when something reads it."""

from __future__ import annotations

import attrs
import pytest

from problemdetails import RequestInfo


def test_given_facts_are_kept():
    info = RequestInfo(method="GET", url="http://h/a", path="/a", headers={"Accept": "x"})
    assert (info.method, info.url, info.path) == ("GET", "http://h/a", "/a")
    assert info.headers.get("Accept") == "x"


def test_url_facts_run_once_on_first_read():
    calls: list[int] = []

    def facts() -> tuple[str, str]:
        calls.append(1)
        return "http://h/b?q=1", "/b"

    info = RequestInfo(method="GET", url_facts=facts)
    assert calls == []
    assert info.path == "/b"
    assert info.url == "http://h/b?q=1"
    assert info.path == "/b"
    assert calls == [1]


def test_given_values_win_over_url_facts():
    info = RequestInfo(url="http://given/", url_facts=lambda: ("http://worked-out/", "/w"))
    assert info.url == "http://given/"
    assert info.path == "/w"


def test_failing_url_facts_leave_both_unknown():
    def facts() -> tuple[str, str]:
        raise UnicodeDecodeError("utf-8", b"\xff", 0, 1, "bad")

    info = RequestInfo(method="GET", url_facts=facts)
    assert info.url is None
    assert info.path is None


def test_equality_compares_worked_out_facts():
    lazy = RequestInfo(method="GET", url_facts=lambda: ("http://h/c", "/c"))
    eager = RequestInfo(method="GET", url="http://h/c", path="/c")
    assert lazy == eager
    assert hash(lazy) == hash(RequestInfo(method="GET", url="http://h/c", path="/c", headers={}))
    assert lazy != RequestInfo(method="POST", url="http://h/c", path="/c")


def test_frozen_and_repr():
    info = RequestInfo(method="GET", url_facts=lambda: ("http://h/d", "/d"))
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        info.method = "POST"  # type: ignore[misc]
    assert repr(info) == "RequestInfo(method='GET', url='http://h/d', path='/d')"
