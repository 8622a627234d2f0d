"""Regression tests of the error path's fast paths: orjson and the standard encoder agree.

With the ``orjson`` extra, `to_json` encodes with orjson and hands the
values it would encode differently to the standard encoder. Every response
the pipeline makes must be the same document (or the same fallback 500)
whichever encoder is in use.
"""

from __future__ import annotations

import collections
import enum
import json
import logging
import math
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from problemdetails import Problem, ProblemHandler
from problemdetails import _render as render

orjson = pytest.importorskip("orjson")
ORJSON = render._orjson_backend()
JSON = "application/problem+json"
GENERIC_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)


class Colour(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


class Ratio(float):
    pass


class Count(int):
    def __repr__(self) -> str:
        return "999"


class Name(str):
    __slots__ = ()

    def __str__(self) -> str:
        return "other"


class AnyMember(Problem, status=422):
    """A problem whose declared member takes any object."""

    value: object


@pytest.fixture(name="quiet", autouse=True)
def _quiet() -> Iterator[None]:
    logger = logging.getLogger("problemdetails")
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = False


def both(problem: Problem) -> tuple[tuple[int, object], tuple[int, object]]:
    """The (status, parsed body) with orjson, then with the standard encoder."""
    results = []
    saved = render._encode
    try:
        for encode in (ORJSON, render._stdlib_json):
            render._encode = encode  # type: ignore[assignment]
            response = ProblemHandler().render(problem)
            assert response.headers[0] == ("Content-Type", JSON)
            document = json.loads(response.body)
            document.pop("flow_id")
            results.append((response.status, document))
    finally:
        render._encode = saved
    return results[0], results[1]


EXTENSION_VALUES = [
    pytest.param(2**64 + 1, id="past-64-bits"),
    pytest.param(-(2**63) - 1, id="below-int64"),
    pytest.param(-0.0, id="negative-zero"),
    pytest.param(5e-324, id="subnormal"),
    pytest.param(1e16, id="big-float"),
    pytest.param(Ratio(1.5), id="float-subclass"),
    pytest.param(Count(5), id="int-subclass-with-repr"),
    pytest.param(Level.HIGH, id="int-enum"),
    pytest.param(Name("x"), id="str-subclass-with-str"),
    pytest.param(collections.OrderedDict(b=1, a=2), id="ordered-dict"),
    pytest.param(collections.defaultdict(int, a=1), id="defaultdict"),
    pytest.param((1, "two"), id="tuple"),
    pytest.param({True: 1, None: 2, 1.5: 3}, id="odd-keys"),
    pytest.param({"\ud800": "\udfff"}, id="lone-surrogates"),
    pytest.param("\u2028\u2029\x00null", id="separators-and-null-text"),
    pytest.param(Colour.RED, id="enum"),
    pytest.param(uuid.UUID(int=5), id="uuid"),
    pytest.param(b"bytes", id="bytes"),
    pytest.param({(1, 2): 1}, id="tuple-key"),
    pytest.param(math.nan, id="nan"),
    pytest.param([math.inf], id="infinity"),
]


class TestExtensions:
    """Free-form extension members give the same response with either encoder."""

    @pytest.mark.parametrize("value", EXTENSION_VALUES)
    def test_same_response(self, value: object):
        """Same status and document, or the same fallback 500, with either encoder."""
        with_orjson, standard = both(Problem(status=409, extensions={"value": value}))
        assert with_orjson == standard
        assert with_orjson[0] in (409, 500)

    def test_nan_gives_the_fallback_500(self):
        """NaN cannot be sent: the minimal 500 with its fixed text, with orjson too."""
        status, document = both(Problem(status=409, extensions={"value": math.nan}))[0]
        assert status == 500
        assert document == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": GENERIC_DETAIL,
        }

    def test_deep_nesting(self):
        """300 levels of lists (past orjson's limit) are the same document either way."""
        value: object = 1
        for _ in range(300):
            value = [value]
        with_orjson, standard = both(Problem(status=409, extensions={"value": value}))
        assert with_orjson == standard
        assert with_orjson[0] == 409

    @settings(max_examples=200, deadline=None)
    @given(
        value=st.recursive(
            st.none()
            | st.booleans()
            | st.integers()
            | st.floats()
            | st.text(max_size=8)
            | st.sampled_from(["\ud800", "null", "\u2028"]),
            lambda inner: (
                st.lists(inner, max_size=3)
                | st.dictionaries(st.text(max_size=4), inner, max_size=3)
            ),
            max_leaves=10,
        )
    )
    def test_any_json_value(self, value: object):
        """For generated values, both encoders answer alike through the pipeline."""
        with_orjson, standard = both(Problem(status=409, extensions={"value": value}))
        assert with_orjson == standard


class TestDeclaredMembers:
    """A declared member holding a value orjson knows and the standard encoder does not."""

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(Colour.RED, id="enum"),
            pytest.param(uuid.UUID(int=5), id="uuid"),
            pytest.param([Colour.RED], id="enum-in-list"),
        ],
    )
    def test_object_member_same_response(self, value: object):
        """A member declared as object holding an Enum or UUID answers alike with either."""
        with_orjson, standard = both(AnyMember(value=value))
        assert with_orjson == standard

    def test_fragment_member_never_makes_invalid_json(self):
        """A Fragment of broken JSON in a member gives valid JSON (the fallback 500)."""
        response = ProblemHandler().render(AnyMember(value=orjson.Fragment(b"{broken")))
        assert response.headers[0] == ("Content-Type", JSON)
        json.loads(response.body)

    def test_int_enum_member(self):
        """An IntEnum in a member declared int is its number with either encoder."""

        class Levelled(Problem, status=409):
            level: int

        with_orjson, standard = both(Levelled(level=Level.HIGH))
        assert (
            with_orjson
            == standard
            == (
                409,
                {
                    "type": "about:blank",
                    "title": "Conflict",
                    "status": 409,
                    "level": 3,
                },
            )
        )


def test_first_encode_choice_is_kept():
    """The backend is chosen once; later calls use it without choosing again."""
    members: dict[str, Any] = {"type": "about:blank", "status": 400}
    assert render.to_json(members) == b'{"type":"about:blank","status":400}'
    assert render._encode is not render._first_encode
