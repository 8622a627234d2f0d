"""Declared member types hold: checked at construction, by what the annotation says."""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from http import HTTPStatus
from typing import Annotated, Any, Literal, NewType, Optional

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import json_values

from problemdetails import (
    FieldError,
    InvalidProblemError,
    Problem,
    ProblemDefinitionError,
    ValidationProblem,
)


class Color(enum.Enum):
    RED = "red"


class Level(enum.IntEnum):
    LOW = 1


class Code(enum.IntEnum):
    CONFLICT = 409


@attrs.frozen
class Account:
    id: int


UserId = NewType("UserId", int)


def declare(annotation: object, **field: Any) -> type[Problem]:
    """Declare an unregistered problem class with one member of type *annotation*."""
    namespace: dict[str, Any] = {"__annotations__": {"member": annotation}, "__module__": __name__}
    if field:
        namespace["member"] = attrs.field(**field)
    return type("Declared", (Problem,), namespace, status=400)  # type: ignore[call-arg]


NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)

#: (annotation, values it takes, values it refuses)
TABLE: list[tuple[object, list[object], list[object]]] = [
    (int, [0, -5, 10**30, Level.LOW, HTTPStatus.OK], ["1", 1.0, True, None, [1]]),
    (float, [1, 1.5, -0.0], ["1.5", True, None]),
    (str, ["", "x"], [1, b"x", None, ["x"]]),
    (bool, [True, False], [1, "true", None]),
    (list[str], [[], ["a", "b"]], ["admin", ("a",), ["a", 1], {"a": 1}, None]),
    (tuple[str, ...], [(), ("a",), ["a"]], ["ab", ("a", 1)]),
    (tuple[int, str], [(1, "a"), [1, "a"]], [(1,), ("a", 1), (1, "a", 2)]),
    (frozenset[str], [frozenset({"a"}), {"a"}], ["ab", ["a"]]),
    (set[int], [{1}], [[1], "1"]),
    (Sequence[int], [[1], (1, 2)], ["1", [True], b"\x01"]),
    (dict[str, int], [{}, {"a": 1}], [{"a": "1"}, {1: 1}, [("a", 1)]]),
    (Mapping[str, Any], [{"a": [1]}], [[("a", 1)], "a"]),
    (int | None, [None, 3], ["3", 3.5]),
    (Optional[str], [None, "x"], [1]),  # noqa: UP045 - the old spelling is still written
    (int | str, [1, "1"], [1.5, None, [1]]),
    (Literal["a", 1], ["a", 1], ["b", True, 1.0, [1]]),
    (Color, [Color.RED], ["red"]),
    (Level, [Level.LOW], [1]),
    (datetime, [NOW], ["2026-11-29T00:00:00Z"]),
    (Account, [Account(id=1)], [{"id": 1}]),
    (list[Account], [[Account(id=1)]], [[{"id": 1}]]),
    (UserId, [7], ["7"]),
    (Annotated[int, "doc"], [7], ["7"]),
    (Any, [None, object(), "x", [1]], []),
    (object, [None, 1], []),
]


class TestDeclaredTypes:
    """Each annotation takes values of its JSON type and refuses the others."""

    @pytest.mark.parametrize(
        ("annotation", "value"),
        [(annotation, value) for annotation, takes, _ in TABLE for value in takes],
        ids=repr,
    )
    def test_takes(self, annotation: object, value: object):
        """A value of the declared type constructs, unchanged."""
        assert declare(annotation)(member=value).member is value  # type: ignore[call-arg, attr-defined]

    @pytest.mark.parametrize(
        ("annotation", "value"),
        [(annotation, value) for annotation, _, refuses in TABLE for value in refuses],
        ids=repr,
    )
    def test_refuses(self, annotation: object, value: object):
        """A value of another type is refused, naming the member and both types."""
        with pytest.raises(InvalidProblemError, match=r"^Declared\.member must be .+, got "):
            declare(annotation)(member=value)  # type: ignore[call-arg]

    def test_message(self):
        """The message names the member, the declared type and the given one."""
        with pytest.raises(InvalidProblemError) as raised:
            declare(list[str])(member="notalist")  # type: ignore[call-arg]
        assert str(raised.value) == "Declared.member must be list[str], got str"

    def test_message_of_a_container(self):
        """For a container, the message names the types of its items."""
        with pytest.raises(InvalidProblemError) as raised:
            declare(list[str])(member=["a", 1])  # type: ignore[call-arg]
        assert str(raised.value) == "Declared.member must be list[str], got list of int, str"

    def test_declared_default_is_trusted(self):
        """A default the declaration gives is not checked against the annotation."""
        cls = declare(int, default=None)
        assert cls().member is None  # type: ignore[attr-defined]
        with pytest.raises(InvalidProblemError):
            cls(member="1")  # type: ignore[call-arg]

    def test_evolve_checks(self):
        """A changed copy is checked too."""
        problem = declare(int)(member=1)  # type: ignore[call-arg]
        with pytest.raises(InvalidProblemError):
            attrs.evolve(problem, member="2")  # type: ignore[misc]

    def test_later_definition_resolved_on_first_use(self):
        """An annotation naming something defined after the class works once it exists."""
        namespace: dict[str, Any] = {"__annotations__": {"member": "Later"}, "__module__": __name__}
        cls = type("Forward", (Problem,), namespace, status=400)  # type: ignore[call-arg]
        globals()["Later"] = Account
        try:
            assert cls(member=Account(id=1)).member == Account(id=1)  # type: ignore[call-arg, attr-defined]
            with pytest.raises(InvalidProblemError):
                cls(member={"id": 1})  # type: ignore[call-arg]
        finally:
            del globals()["Later"]

    def test_unresolvable_annotation(self):
        """An annotation that never resolves is a definition error, named."""
        namespace: dict[str, Any] = {
            "__annotations__": {"member": "Nowhere"},
            "__module__": __name__,
        }
        cls = type("Unresolved", (Problem,), namespace, status=400)  # type: ignore[call-arg]
        with pytest.raises(ProblemDefinitionError, match="Unresolved: an annotation names"):
            cls(member=1)  # type: ignore[call-arg]


class TestStandardMembers:
    """The standard members keep their RFC types; int subclasses count by value."""

    @pytest.mark.parametrize("status", [HTTPStatus.CONFLICT, Code.CONFLICT])
    def test_status_int_subclass(self, status: int):
        """HTTPStatus and other IntEnum members are taken, as plain ints."""
        problem = Problem(status=status)
        assert (problem.status, type(problem.status)) == (409, int)
        assert problem.title == "Conflict"

    @pytest.mark.parametrize("status", [True, 409.0, "409", HTTPStatus.OK, 600])
    def test_status_refused(self, status: object):
        """bool, float, strings and statuses outside 400-599 are refused."""
        with pytest.raises(InvalidProblemError, match="status must be an int from 400 to 599"):
            Problem(status=status)  # type: ignore[arg-type]

    def test_class_keyword_takes_httpstatus(self):
        """status=HTTPStatus.FORBIDDEN works as a class keyword too."""
        cls = type("Forbidden", (Problem,), {"__module__": __name__}, status=HTTPStatus.FORBIDDEN)  # type: ignore[call-arg]
        assert (cls().status, type(cls().status)) == (403, int)

    def test_headers_checked_where_made(self):
        """A header value with CR/LF is refused at construction."""
        with pytest.raises(InvalidProblemError, match="not a valid HTTP field"):
            Problem(status=400, headers={"X-A": "1\r\nSet-Cookie: a=b"})


class TestValidationErrors:
    """ValidationProblem's errors are FieldErrors, given as such or as mappings."""

    def test_mappings_become_field_errors(self):
        """{"detail", "pointer"} mappings are turned into FieldError."""
        problem = ValidationProblem(errors=[{"detail": "bad", "pointer": "#/x"}, {"detail": "b"}])  # type: ignore[list-item]
        assert problem.errors == [
            FieldError(detail="bad", pointer="#/x"),
            FieldError(detail="b"),
        ]

    @pytest.mark.parametrize(
        ("errors", "message"),
        [
            ([{"message": "bad"}], r"errors\[0\] must be a FieldError, or a mapping with 'detail'"),
            ([{"detail": 5}], r"errors\[0\]\['detail'\] must be a string, got int"),
            ([{"detail": "x", "pointer": "no pointer"}], "pointer must be a JSON Pointer"),
            (
                ["bad"],
                r"ValidationProblem\.errors must be Sequence\[.*FieldError\], got list of str",
            ),
            ("bad", "errors must be a list of FieldError, got str"),
            ({"detail": "bad"}, "errors must be a list of FieldError, got dict"),
        ],
    )
    def test_bad_errors(self, errors: object, message: str):
        """Anything else is refused at construction, with a message naming FieldError."""
        with pytest.raises((InvalidProblemError, TypeError), match=message):
            ValidationProblem(errors=errors)  # type: ignore[arg-type]

    def test_field_error_detail_is_text(self):
        """FieldError's detail is a string."""
        with pytest.raises(TypeError):
            FieldError(detail=5)  # type: ignore[arg-type]


@st.composite
def _typed_member(draw: st.DrawFn) -> tuple[object, object, bool]:
    annotation, takes, refuses = draw(st.sampled_from([row for row in TABLE if row[2]]))
    if draw(st.booleans()):
        return annotation, draw(st.sampled_from(takes)), True
    return annotation, draw(st.sampled_from(refuses)), False


_JSON_KINDS: dict[object, type | tuple[type, ...]] = {
    int: int,
    str: str,
    bool: bool,
    list[str]: list,
    dict[str, int]: dict,
}


class TestProperties:
    """Hypothesis: the checks accept exactly the declared JSON types."""

    @given(_typed_member())
    def test_table_values(self, case: tuple[object, object, bool]):
        """A value from the table is taken exactly when the table says so."""
        annotation, value, ok = case
        cls = declare(annotation)
        if ok:
            assert cls(member=value).member is value  # type: ignore[call-arg, attr-defined]
        else:
            with pytest.raises(InvalidProblemError):
                cls(member=value)  # type: ignore[call-arg]

    @given(st.sampled_from(list(_JSON_KINDS)), json_values())
    def test_any_json_value(self, annotation: object, value: object):
        """Any JSON value of another JSON type than the declared one is refused."""
        kind = _JSON_KINDS[annotation]
        right = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
        if right and annotation == list[str]:
            right = all(isinstance(item, str) for item in value)  # type: ignore[attr-defined]
        if right and annotation == dict[str, int]:
            right = all(
                type(item) is int
                for item in value.values()  # type: ignore[attr-defined]
            )
        cls = declare(annotation)
        if right:
            assert cls(member=value).member is value  # type: ignore[call-arg, attr-defined]
        else:
            with pytest.raises(InvalidProblemError):
                cls(member=value)  # type: ignore[call-arg]
