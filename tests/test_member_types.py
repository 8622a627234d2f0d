"""Declared member types hold: checked at construction, by what the annotation says."""

from __future__ import annotations

import collections
import dataclasses
import enum
import json
import math
import re
import typing
from collections.abc import (
    Callable,
    Collection,
    Iterable,
    Iterator,
    Mapping,
    MutableMapping,
    MutableSequence,
    MutableSet,
    Sequence,
)
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated, Any, Literal, NamedTuple, NewType, Optional, TypedDict
from uuid import UUID

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import json_values
from typing_extensions import NotRequired

from problemdetails import (
    FieldError,
    InvalidProblemError,
    Problem,
    ProblemDefinitionError,
    ProblemHandler,
    ValidationProblem,
    _member_types,
    parse_problem,
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


@attrs.frozen
class Line:
    qty: int
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class Entry:
    amount: float
    tags: list[str] = dataclasses.field(default_factory=list[str])


class Point(NamedTuple):
    x: int
    y: int = 0


@attrs.frozen
class Node:
    """A tree: its annotation names the class itself."""

    name: str
    children: list[Node] = attrs.Factory(list["Node"])


class Order(TypedDict):
    sku: str
    qty: int
    note: NotRequired[str]


UserId = NewType("UserId", int)
BIG = 10**_member_types.MAX_INT_DIGITS  # the smallest int of more digits than JSON gets
NEVER = date(2026, 11, 29)
NOON = time(12, 0)
ID = UUID("12345678-1234-5678-1234-567812345678")


def declare(annotation: object, **field: Any) -> type[Problem]:
    """Declare an unregistered problem class with one member of type *annotation*."""
    namespace: dict[str, Any] = {"__annotations__": {"member": annotation}, "__module__": __name__}
    if field:
        namespace["member"] = attrs.field(**field)
    return type("Declared", (Problem,), namespace, status=400)  # type: ignore[call-arg]


NOW = datetime(2026, 11, 29, tzinfo=timezone.utc)

#: (annotation, values it takes, values it refuses)
TABLE: list[tuple[object, list[object], list[object]]] = [
    (int, [0, -5, 10**30, BIG - 1, 1 - BIG, Level.LOW, HTTPStatus.OK], ["1", 1.0, True, None, [1]]),
    (int, [], [BIG, -BIG]),
    (float, [1, 1.5, -0.0, 1e308], ["1.5", True, None, math.nan, math.inf, -math.inf, BIG]),
    (list[float], [[1.5, 2]], [[1.5, math.nan]]),
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
    (date, [NEVER], [NOW, "2026-11-29"]),
    (time, [NOON], ["12:00", NOW]),
    (UUID, [ID], [str(ID), ID.int]),
    (Decimal, [Decimal("0.10"), Decimal(-3)], [0.1, "0.10", Decimal("NaN"), Decimal("-Infinity")]),
    (Account, [Account(id=1)], [{"id": 1}, Account(id="1")]),  # type: ignore[arg-type]
    (list[Account], [[Account(id=1)]], [[{"id": 1}], [Account(id=True)]]),
    (list[Line], [[Line(qty=1), Line(qty=2, note="n")]], [[Line(qty="many")]]),  # type: ignore[arg-type]
    (Entry, [Entry(amount=1), Entry(amount=1.5, tags=["a"])], [Entry(amount=math.nan)]),
    (Entry, [], [Entry(amount=1, tags="ab")]),  # type: ignore[arg-type]
    (Point, [Point(1, 2), Point(x=1)], [(1, 2), Point(1, "2")]),  # type: ignore[arg-type]
    (Node, [Node(name="a", children=[Node(name="b")])], [Node(name="a", children=[Node(name=1)])]),  # type: ignore[arg-type]
    (
        Order,
        [{"sku": "a", "qty": 1}, {"sku": "a", "qty": 1, "note": "n", "more": [1]}],
        [
            {"sku": "a"},
            {"sku": "a", "qty": "1"},
            {"sku": "a", "qty": 1, "note": 2},
            {"sku": "a", "qty": 1, 3: 3},
            [("sku", "a")],
        ],
    ),
    (
        Collection[str],
        [["a"], ("a",), {"a"}, frozenset({"a"})],
        ["admin", b"a", {"a": 1}, iter(["a"])],
    ),
    (Iterable[int], [[1], (1,), {1}], [(i for i in [1]), range(2), "1", [True], {1: 1}]),
    (MutableSequence[int], [[1], collections.deque([1])], [(1,), "1"]),
    (typing.Deque[int], [collections.deque([1]), [1]], [(1,), collections.deque(["1"])]),  # noqa: UP006
    (MutableSet[int], [{1}], [frozenset({1}), [1]]),
    (MutableMapping[str, int], [{"a": 1}], [{"a": "1"}, [("a", 1)]]),
    (typing.DefaultDict[str, int], [collections.defaultdict(int, a=1)], [{"a": 1.5}]),  # noqa: UP006
    (collections.OrderedDict[str, int], [collections.OrderedDict(a=1)], [{"a": None}]),
    (collections.Counter[str], [collections.Counter("ab")], [{"a": "1"}, {1: 1}]),
    (UserId, [7], ["7"]),
    (Annotated[int, "doc"], [7], ["7"]),
    (Any, [None, object(), "x", [1]], []),
    (object, [None, 1], []),
]


def _id(value: object) -> str:
    """A test id: the repr, cut short (an int of thousands of digits has none)."""
    try:
        return repr(value)[:60]
    except ValueError:
        return f"{type(value).__name__} of many digits"


class TestDeclaredTypes:
    """Each annotation takes values of its JSON type and refuses the others."""

    @pytest.mark.parametrize(
        ("annotation", "value"),
        [(annotation, value) for annotation, takes, _ in TABLE for value in takes],
        ids=_id,
    )
    def test_takes(self, annotation: object, value: object):
        """A value of the declared type constructs, unchanged."""
        assert declare(annotation)(member=value).member is value  # type: ignore[call-arg, attr-defined]

    @pytest.mark.parametrize(
        ("annotation", "value"),
        [(annotation, value) for annotation, _, refuses in TABLE for value in refuses],
        ids=_id,
    )
    def test_refuses(self, annotation: object, value: object):
        """A value of another type is refused, naming the member and both types."""
        with pytest.raises(InvalidProblemError, match=r"^Declared\.member must be .+, got "):
            declare(annotation)(member=value)  # type: ignore[call-arg]

    @pytest.mark.parametrize(
        ("annotation", "value"),
        [
            (annotation, value)
            for annotation, takes, _ in TABLE
            if annotation not in (Any, object)
            for value in takes
        ],
        ids=_id,
    )
    def test_takes_renders(self, annotation: object, value: object):
        """A value the check takes is sent as JSON, never as the minimal 500."""
        response = ProblemHandler().render(declare(annotation)(member=value))  # type: ignore[call-arg]
        assert response.status == 400

    def test_message(self):
        """The message names the member, the declared type and the given one."""
        with pytest.raises(InvalidProblemError) as raised:
            declare(list[str])(member="notalist")  # type: ignore[call-arg]
        assert str(raised.value) == "Declared.member must be list[str], got str"

    def test_message_of_a_container(self):
        """For a container, the message names the first wrong item: its type and its index."""
        with pytest.raises(InvalidProblemError) as raised:
            declare(list[str])(member=["a", 1])  # type: ignore[call-arg]
        assert str(raised.value) == "Declared.member must be list[str], got list with int at [1]"

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
        """An annotation that never resolves leaves its member unchecked."""
        namespace: dict[str, Any] = {
            "__annotations__": {"member": "Nowhere"},
            "__module__": __name__,
        }
        cls = type("Unresolved", (Problem,), namespace, status=400)  # type: ignore[call-arg]
        assert cls(member=1).member == 1  # type: ignore[call-arg, attr-defined]


class Shape(enum.Enum):
    """An enum whose values JSON carries: arrays and objects too."""

    DOT = (0, 0)
    BOX = {"w": 1}  # noqa: RUF012 - a member's value, not a class attribute


class Raw(enum.Enum):
    BLOB = b"\x00"


class Weird(enum.Enum):
    NAN = math.nan


@attrs.frozen
class Blob:
    data: bytes


def _local_problem() -> tuple[type[Problem], type[Any], type[Any]]:
    """A problem class declared in a function, its member annotated with local classes."""

    @attrs.frozen
    class Part:
        code: str

    @attrs.frozen
    class Item:
        qty: int
        part: Part | None = None

    class Local(Problem, status=400):
        item: Item
        count: int = 0

    return Local, Item, Part


DEFINITION_ERROR = r"^problem class Declared: member 'member': "


class TestResolution:
    """Annotations are resolved member by member, once per class."""

    def test_local_class(self):
        """A member annotated with a class local to a function is taken unchecked."""
        local, item, _ = _local_problem()
        assert local(item=item(qty=1)).item == item(qty=1)  # type: ignore[call-arg, attr-defined]
        assert local(item="anything").item == "anything"  # type: ignore[call-arg, attr-defined]

    def test_other_members_still_checked(self):
        """The members whose annotations resolve are checked as ever."""
        local, item, _ = _local_problem()
        with pytest.raises(InvalidProblemError, match=r"^Local\.count must be int, got str$"):
            local(item=item(qty=1), count="1")  # type: ignore[call-arg]

    def test_outcome_kept(self):
        """A name still undefined on first use is not looked up again on later ones."""
        namespace: dict[str, Any] = {
            "__annotations__": {"member": "Later2"},
            "__module__": __name__,
        }
        cls = type("NotYet", (Problem,), namespace, status=400)  # type: ignore[call-arg]
        assert cls(member={"id": 1}).member == {"id": 1}  # type: ignore[call-arg, attr-defined]
        assert cls.__dict__["__problem_checks__"] == ()
        globals()["Later2"] = Account
        try:
            assert cls(member={"id": 1}).member == {"id": 1}  # type: ignore[call-arg, attr-defined]
        finally:
            del globals()["Later2"]

    def test_nested_local_class(self):
        """In a nested class, a field annotated with a local class is unchecked, the others not."""
        _, item, part = _local_problem()
        cls = declare(item)
        assert cls(member=item(qty=1, part="anything")).member.part == "anything"  # type: ignore[call-arg, attr-defined]
        assert cls(member=item(qty=1, part=part(code="c"))).member.part == part(code="c")  # type: ignore[call-arg, attr-defined]
        with pytest.raises(InvalidProblemError, match=r"got Item with str at \.qty$"):
            cls(member=item(qty="1"))  # type: ignore[call-arg]

    @pytest.mark.parametrize("annotation", ["list[int", "int | 3", "typing.Lisst[int]"])
    def test_not_a_type_expression(self, annotation: str):
        """An annotation that is no type expression is an error when the class is made."""
        with pytest.raises(ProblemDefinitionError, match=DEFINITION_ERROR):
            declare(annotation)

    def test_compiled_once(self, monkeypatch: pytest.MonkeyPatch):
        """A nested class's annotations are resolved once, however many problems use it."""

        @attrs.frozen
        class Fresh:
            size: int
            name: str

        calls: list[object] = []
        resolve = _member_types._resolve  # pyright: ignore[reportPrivateUsage]

        def counting(annotation: object, owner: type) -> object:
            calls.append(annotation)
            return resolve(annotation, owner)

        monkeypatch.setattr(_member_types, "_resolve", counting)
        first, second = declare(Fresh), declare(list[Fresh])
        for _ in range(3):
            first(member=Fresh(size=1, name="a"))  # type: ignore[call-arg]
            second(member=[Fresh(size=1, name="a")])  # type: ignore[call-arg]
        assert len(calls) == 4  # the two members of Declared, twice, and the two fields of Fresh


class TestNestedRecords:
    """Nested attrs classes, dataclasses, named tuples and typed dicts: checked field by field."""

    def test_message(self):
        """The message says where in the value the wrong field is."""
        with pytest.raises(InvalidProblemError) as raised:
            declare(list[Line])(member=[Line(qty=1), Line(qty="many")])  # type: ignore[call-arg, arg-type]
        assert (
            str(raised.value) == "Declared.member must be list[Line], got list with str at [1].qty"
        )

    def test_tree(self):
        """A class whose fields name itself is checked at every depth."""
        tree = Node(name="a", children=[Node(name="b", children=[Node(name=3)])])  # type: ignore[arg-type]
        with pytest.raises(
            InvalidProblemError, match=r"got Node with int at \.children\[0\]\.children\[0\]\.name$"
        ):
            declare(Node)(member=tree)  # type: ignore[call-arg]

    def test_tree_containing_itself(self):
        """A value that contains itself is refused, not a RecursionError."""
        tree = Node(name="a")
        tree.children.append(tree)
        with pytest.raises(InvalidProblemError, match="nested too deep"):
            declare(Node)(member=tree)  # type: ignore[call-arg]

    def test_nested_default_trusted(self):
        """A nested class's own default is its declaration's word, as a problem's is."""

        @attrs.frozen
        class Stamp:
            when: datetime = None  # type: ignore[assignment]

        assert declare(Stamp)(member=Stamp()).member == Stamp()  # type: ignore[call-arg, attr-defined]

    def test_typed_dict_missing_key(self):
        """A typed dict without a required key says which."""
        with pytest.raises(InvalidProblemError, match=r"got dict with nothing at \['qty'\]$"):
            declare(Order)(member={"sku": "a"})  # type: ignore[call-arg]


class TestNeverJson:
    """Types JSON can never carry are refused when the class is made, saying what to declare."""

    @pytest.mark.parametrize(
        ("annotation", "advice"),
        [
            (bytes, "declare str"),
            (bytearray, "declare str"),
            (memoryview, "declare str"),
            (complex, "tuple\\[float, float\\]"),
            (timedelta, "seconds"),
            (Callable[[int], str], "declare the value"),
            (Callable, "declare the value"),
            (type[int], "declare str"),
            (type, "declare str"),
            (list[bytes], "declare str"),
            (int | bytes, "declare str"),
            (Optional[timedelta], "seconds"),  # noqa: UP045 - the old spelling is still written
            (dict[str, complex], "float"),
            (Literal[b"x"], "str or int literals"),
            (Raw, "give its members str or int values"),
            (Weird, "give its members str or int values"),
            (Blob, r"Blob\.data: bytes cannot be sent as JSON"),
        ],
        ids=_id,
    )
    def test_refused(self, annotation: object, advice: str):
        """The class is not made; the message names the member and what to declare."""
        with pytest.raises(ProblemDefinitionError, match=DEFINITION_ERROR) as raised:
            declare(annotation)
        assert re.search(advice, str(raised.value))

    def test_json_enum(self):
        """An enum whose values are JSON arrays and objects is fine."""
        assert declare(Shape)(member=Shape.BOX).member is Shape.BOX  # type: ignore[call-arg, attr-defined]


class TestMessages:
    """A refused value's message names the first wrong item, and the declared type as written."""

    @pytest.mark.parametrize(
        ("annotation", "value", "found"),
        [
            (list[int], [*range(150), "x"], "list with str at [150]"),
            (dict[str, list[int]], {"a": [1], "b": [1, "2"]}, "dict with str at ['b'][1]"),
            (dict[str, int], {1: 1}, "dict with int key at [1]"),
            (tuple[int, str], (1,), "tuple of 1 item"),
            (tuple[int, str], (1, 2), "tuple with int at [1]"),
            (set[int], {"a"}, "set with str"),
            (list[float], [0.5, math.inf], "list with float inf at [1]"),
            (float, math.nan, "float nan"),
            (int, -BIG, f"int of more than {_member_types.MAX_INT_DIGITS} digits"),
            (Line | None, Line(qty=None), "Line with None at .qty"),  # type: ignore[arg-type]
            (Entry, Entry(amount=1, tags=["a", 2]), "Entry with int at .tags[1]"),  # type: ignore[list-item]
            (Point, Point(1, "2"), "Point with str at .y"),  # type: ignore[arg-type]
        ],
        ids=_id,
    )
    def test_first_wrong_item(self, annotation: object, value: object, found: str):
        """The path and type of the first wrong item, past the first hundred items too."""
        with pytest.raises(InvalidProblemError) as raised:
            declare(annotation)(member=value)  # type: ignore[call-arg]
        assert str(raised.value).endswith(f", got {found}")

    @pytest.mark.parametrize(
        ("annotation", "written"),
        [
            (Sequence[FieldError], "Sequence[FieldError]"),
            (Optional[int], "int | None"),  # noqa: UP045 - the old spelling is still written
            (dict[str, Line], "dict[str, Line]"),
            (typing.Deque[int], "deque[int]"),  # noqa: UP006 - the old spelling is still written
            (Literal["a", 1], "Literal['a', 1]"),
            (Literal[Color.RED], "Literal[Color.RED]"),
            (tuple[()], "tuple[()]"),
            (tuple[int, ...], "tuple[int, ...]"),
            (Annotated[int, "doc"], "int"),
            (UserId, "UserId"),
        ],
        ids=_id,
    )
    def test_declared_type(self, annotation: object, written: str):
        """The declared type is shown as written, without module paths."""
        with pytest.raises(InvalidProblemError) as raised:
            declare(annotation)(member=object())  # type: ignore[call-arg]
        assert f" must be {written}, got object" in str(raised.value)

    def test_local_class_named_plainly(self):
        """A class local to a function is named without its function's name."""
        _, item, _ = _local_problem()
        with pytest.raises(
            InvalidProblemError, match=r"^Declared\.member must be list\[Item\], got str$"
        ):
            declare(list[item])(member="x")  # type: ignore[call-arg, valid-type]


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
                (
                    r"^ValidationProblem\.errors must be Sequence\[FieldError\], "
                    r"got list with str at \[0\]$"
                ),
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
    if takes and draw(st.booleans()):
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


class _IterRaises(list[int]):
    def __iter__(self) -> Iterator[int]:
        raise RuntimeError("hostile")


class Branch(TypedDict):
    kids: list[Branch]


class TestChecksThatCannotRun:
    """A value the check cannot even look at is refused, never a stray exception."""

    def test_container_whose_iteration_raises(self):
        """A list whose __iter__ raises is refused as invalid."""
        with pytest.raises(InvalidProblemError, match=r"could not be checked"):
            declare(list[int])(member=_IterRaises([1]))  # type: ignore[call-arg]

    def test_typeddict_that_contains_itself(self):
        """A recursive TypedDict value that contains itself is refused as invalid."""
        node: dict[str, Any] = {"kids": []}
        node["kids"].append(node)
        with pytest.raises(InvalidProblemError):
            declare(Branch)(member=node)  # type: ignore[call-arg]


class TestObjectKeys:
    """A mapping member's keys must be something a JSON object can be keyed by."""

    @pytest.mark.parametrize(
        "annotation", [dict[tuple[int, int], int], dict[frozenset[int], int], Mapping[Account, int]]
    )
    def test_refused_at_declaration(self, annotation: object):
        """Tuples, sets and records as keys are refused when the class is declared."""
        with pytest.raises(ProblemDefinitionError, match="cannot be the key of a JSON object"):
            declare(annotation)

    def test_int_keys_render(self):
        """int keys are fine: JSON writes them as strings."""
        problem = declare(dict[int, str])(member={1: "x"})  # type: ignore[call-arg]
        assert problem.to_response().status == 400


class TestOneListOfContainers:
    """The containers the checks know and the ones parsing reads are the same list."""

    def test_arrays_and_objects_agree(self):
        """Each declared container checked at construction is read back when parsing.

        ``tuple`` has a check of its own (fixed-length tuples), and parsing
        reads a ``defaultdict`` through cattrs' own hook (shown below).
        """
        from problemdetails import _convert, _member_types  # noqa: PLC0415

        assert set(_member_types._ARRAYS) | {tuple} == set(_convert._ARRAYS)
        assert set(_member_types._OBJECTS) - {collections.defaultdict} == set(_convert._OBJECTS)

    def test_defaultdict_round_trip(self, throwaway_types: list[type[Problem]]):
        """A defaultdict member renders as an object and is read back."""

        class Counts(Problem, type="urn:test-member-types:counts", title="Counts.", status=400):
            counts: collections.defaultdict[str, int]

        throwaway_types.append(Counts)
        body = Counts(counts=collections.defaultdict(int, a=1)).to_response().body
        assert json.loads(body)["counts"] == {"a": 1}
        parsed = parse_problem(body)
        assert isinstance(parsed, Counts)
        assert parsed.counts == {"a": 1}
