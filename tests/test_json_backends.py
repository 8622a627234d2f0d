"""The two JSON encoders send the same documents: the standard library's, and orjson's.

With the ``orjson`` extra installed, `to_json` encodes with orjson and hands
what orjson would encode differently (NaN, integers past 64 bits, lone
surrogates, keys that are not strings, subclasses) to the standard encoder.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from problemdetails import Problem, ProblemHandler
from problemdetails import _render as render

orjson_json = render._orjson_backend()
pytestmark = pytest.mark.skipif(orjson_json is None, reason="the orjson extra is not installed")

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.integers(min_value=2**63 - 2, max_value=2**64 + 2)
    | st.floats()
    | st.text()
    | st.sampled_from(["\ud800", "a\udfffb", "null", "caf\u00e9", "\u2028", "\x00"])
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=5) | st.integers(), inner, max_size=4)
    ),
    max_leaves=12,
)


def encoded(encode: Any, members: dict[str, Any]) -> object:
    """The parsed document, or the kind of failure."""
    try:
        return json.loads(encode(members))
    except (ValueError, TypeError) as error:
        return type(error).__mro__[1] if isinstance(error, UnicodeError) else type(error)


@settings(max_examples=300, deadline=None)
@given(value=values)
def test_same_document_or_same_refusal(value: object):
    """For any member value, both encoders give the same document, or both refuse it."""
    members = {"type": "about:blank", "status": 500, "value": value}
    assert encoded(orjson_json, members) == encoded(render._stdlib_json, members)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf, [1.0, math.nan], {"a": math.inf}])
def test_nan_and_infinity_are_refused_by_both(bad: object):
    """orjson writes NaN as null; the body is encoded the standard way, which refuses it."""
    members = {"type": "about:blank", "value": bad}
    with pytest.raises(ValueError, match="JSON compliant"):
        orjson_json(members)  # type: ignore[misc]


class Text(str):
    """A str subclass (as markupsafe's Markup is)."""

    __slots__ = ()


@pytest.mark.parametrize(
    "value",
    [2**64, -(2**63) - 1, "\ud800", {1: "one"}, Text("marked"), [Text("x"), {2: 3}]],
    ids=["big", "small", "surrogate", "int key", "str subclass", "nested"],
)
def test_what_orjson_cannot_encode_is_encoded_the_standard_way(value: object):
    """The standard encoder's bytes, exactly."""
    members = {"type": "about:blank", "value": value}
    assert orjson_json(members) == render._stdlib_json(members)  # type: ignore[misc]


def test_non_ascii_is_sent_as_utf8():
    """orjson sends UTF-8; the document is the same."""
    members = {"title": "caf\u00e9 \u2603"}
    body = orjson_json(members)  # type: ignore[misc]
    assert body == '{"title":"caf\u00e9 \u2603"}'.encode()
    assert json.loads(body) == json.loads(render._stdlib_json(members))


def test_the_pipeline_falls_back_for_nan():
    """A NaN extension member still gets the generic 500, with orjson installed."""
    response = ProblemHandler().render(Problem(status=422, extensions={"reading": math.nan}))
    assert response.status == 500
    assert json.loads(response.body)["title"] == "Internal Server Error"


def test_the_pipeline_uses_orjson_when_installed():
    """Non-ASCII text goes out as UTF-8, as orjson writes it (the standard way escapes it)."""
    response = ProblemHandler().render(Problem(status=404, detail="caf\u00e9"))
    assert b'"detail":"caf\xc3\xa9"' in response.body


def test_without_orjson_the_standard_encoder(monkeypatch: pytest.MonkeyPatch):
    """When orjson cannot be imported, there is no orjson backend."""
    monkeypatch.setitem(__import__("sys").modules, "orjson", None)
    assert render._orjson_backend() is None
