"""Rendering: a problem to its members, then to JSON or XML (RFC 9457 section 3 and appendix B)."""

from __future__ import annotations

import collections
import dataclasses
import enum
import json
import math
import typing
import xml.etree.ElementTree as ET
from collections.abc import (
    Collection,
    Iterable,
    MutableMapping,
    MutableSequence,
    MutableSet,
)
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, NamedTuple, TypedDict
from uuid import UUID

import attrs
import pytest

from problemdetails import (
    JSON_MEDIA_TYPE,
    XML_MEDIA_TYPE,
    Config,
    FieldError,
    Problem,
    ProblemHandler,
    RequestInfo,
    ValidationProblem,
    parse_problem,
)
from problemdetails._render import XML_NAMESPACE, problem_to_dict, to_json, to_xml

NS = "{urn:ietf:rfc:7807}"


class OutOfCredit(
    Problem,
    type="https://example.com/probs/out-of-credit-render",
    title="You do not have enough credit.",
    status=403,
):
    balance: int
    accounts: list[str] = attrs.field(factory=list[str])
    note: str | None = None


@attrs.frozen
class Money:
    amount: int
    currency: str
    memo: str | None = None


class Priced(Problem, type="https://example.com/probs/priced-render", title="Priced.", status=402):
    price: Money
    when: datetime | None = None
    ratio: float = 0.5
    flags: dict[str, bool] = attrs.field(factory=dict[str, bool])


RFC_EXAMPLE = OutOfCredit(
    balance=30,
    accounts=["/account/12345", "/account/67890"],
    detail="Your current balance is 30, but that costs 50.",
    instance="/account/12345/msgs/abc",
)


def render(problem: Problem, config: Config | None = None, **headers: str) -> Any:
    request = RequestInfo(headers={"X-Flow-ID": "flow-1", **headers})
    return ProblemHandler(config).render(problem, request)


class TestMembers:
    """Which members are rendered, and in what order."""

    def test_exact_bytes(self):
        """The RFC 9457 section 3 example renders to these exact bytes."""
        assert render(RFC_EXAMPLE).body == (
            b'{"type":"https://example.com/probs/out-of-credit-render",'
            b'"title":"You do not have enough credit.","status":403,'
            b'"detail":"Your current balance is 30, but that costs 50.",'
            b'"instance":"/account/12345/msgs/abc","flow_id":"flow-1","balance":30,'
            b'"accounts":["/account/12345","/account/67890"]}'
        )

    def test_order(self):
        """Standard members in RFC order, then the flow id, declared members, free-form ones."""
        problem = OutOfCredit(
            extensions={"zeta": 1, "alpha": 2},
            note="n",
            instance="/i",
            detail="d",
            balance=1,
            accounts=["/a"],
        )
        keys = list(problem_to_dict(problem, flow_id="f"))
        assert keys == [
            "type",
            "title",
            "status",
            "detail",
            "instance",
            "flow_id",
            "balance",
            "accounts",
            "note",
            "zeta",
            "alpha",
        ]

    def test_stable(self):
        """Rendering the same problem twice gives the same bytes."""
        assert render(RFC_EXAMPLE).body == render(RFC_EXAMPLE).body

    def test_none_members_omitted(self):
        """Members that are None are left out, standard, declared and free-form alike."""
        members = problem_to_dict(OutOfCredit(balance=0, extensions={"empty": None}))
        assert members == {
            "type": "https://example.com/probs/out-of-credit-render",
            "title": "You do not have enough credit.",
            "status": 403,
            "balance": 0,
            "accounts": [],
        }

    def test_untitled_problem_has_no_title(self):
        """A problem without title renders without one."""
        assert "title" not in problem_to_dict(Problem(status=599))

    def test_extensions_are_flattened(self):
        """Extension members sit at the top level (RFC 9457 section 3.2); no 'extensions' key."""
        members = problem_to_dict(Problem(status=400, extensions={"balance": 30, "tags": ["a"]}))
        assert members["balance"] == 30
        assert members["tags"] == ["a"]
        assert "extensions" not in members
        assert "headers" not in members

    def test_flow_id_member_name(self):
        """The flow id goes in the member named by flow_id_member."""
        members = problem_to_dict(Problem(status=400), flow_id_member="trace_id", flow_id="t")
        assert members["trace_id"] == "t"
        assert "flow_id" not in members

    def test_flow_id_of_problem_used_without_one_given(self):
        """Without a flow id given, the problem's own is rendered."""
        assert problem_to_dict(Problem(status=400, flow_id="own"))["flow_id"] == "own"

    def test_given_flow_id_wins(self):
        """A given flow id (the pipeline's choice) is what is rendered."""
        members = problem_to_dict(Problem(status=400, flow_id="own"), flow_id="chosen")
        assert members["flow_id"] == "chosen"

    def test_free_form_member_cannot_replace_flow_id(self):
        """A free-form member named like the configured flow id member does not replace it."""
        problem = Problem(status=400, extensions={"trace_id": "forged"})
        members = problem_to_dict(problem, flow_id_member="trace_id", flow_id="real")
        assert members["trace_id"] == "real"

    def test_instance_given(self):
        """A given instance fills the member when the problem has none."""
        assert problem_to_dict(Problem(status=400), instance="/x")["instance"] == "/x"
        members = problem_to_dict(Problem(status=400, instance="/own"), instance="/x")
        assert members["instance"] == "/own"

    def test_nested_values(self):
        """Nested attrs values become objects (None members left out), dates ISO 8601."""
        problem = Priced(
            price=Money(amount=5, currency="EUR"),
            when=datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
            flags={"x": True},
            extensions={"extra": Money(amount=1, currency="USD", memo="m")},
        )
        members = problem_to_dict(problem)
        assert members["price"] == {"amount": 5, "currency": "EUR"}
        assert members["when"] == "2024-01-02T03:04:05+00:00"
        assert members["ratio"] == 0.5
        assert members["flags"] == {"x": True}
        assert members["extra"] == {"amount": 1, "currency": "USD", "memo": "m"}

    def test_field_errors(self):
        """ValidationProblem's errors render as objects with detail and pointer."""
        problem = ValidationProblem(errors=[FieldError(detail="bad", pointer="#/a")])
        assert problem_to_dict(problem)["errors"] == [{"detail": "bad", "pointer": "#/a"}]


class TestStatus:
    """RFC 9457 section 3.1.2: the status member agrees with the HTTP status."""

    @pytest.mark.parametrize(
        "problem",
        [
            RFC_EXAMPLE,
            Problem(status=418),
            Problem(status=599),
            Problem(),
            OutOfCredit(balance=1, status=402),
        ],
        ids=["declared", "teapot", "unregistered-code", "default", "overridden"],
    )
    def test_same_status(self, problem: Problem):
        """RFC 9457 section 3.1.2: generators MUST use the same status in the response."""
        response = render(problem)
        assert response.status == json.loads(response.body)["status"] == problem.status

    def test_same_status_in_fallback(self):
        """RFC 9457 section 3.1.2: the minimal 500 says 500 in the body too."""
        response = render(Problem(status=404, extensions={"thing": object()}))
        assert response.status == json.loads(response.body)["status"] == 500


class TestTypeUri:
    """``type`` resolved against ``type_base_uri``."""

    @pytest.mark.parametrize(
        ("type_uri", "rendered"),
        [
            ("out-of-credit", "https://api.example.com/problems/out-of-credit"),
            ("/probs/x", "https://api.example.com/probs/x"),
            ("https://other.example.com/x", "https://other.example.com/x"),
            ("about:blank", "about:blank"),
            ("urn:example:x", "urn:example:x"),
        ],
    )
    def test_resolved(self, type_uri: str, rendered: str):
        """Relative types are resolved; absolute ones and about:blank pass through."""
        config = Config(type_base_uri="https://api.example.com/problems/")
        problem = Problem(type=type_uri, status=400)
        assert json.loads(render(problem, config).body)["type"] == rendered

    def test_not_resolved_without_base(self):
        """Without a base, a relative type is rendered as declared."""
        assert json.loads(render(Problem(type="x/y", status=400)).body)["type"] == "x/y"


class TestJson:
    """The ``application/problem+json`` body."""

    def test_content_type(self):
        """The media type is application/problem+json (RFC 9457 section 3)."""
        response = render(RFC_EXAMPLE)
        assert response.content_type == JSON_MEDIA_TYPE == "application/problem+json"
        assert response.headers[0] == ("Content-Type", "application/problem+json")

    def test_ascii_only(self):
        """Non-ASCII text is escaped, so the body is ASCII whatever the members hold."""
        problem = Problem(status=400, detail="caf\u00e9 \U0001f600 \ud800")
        body = render(problem).body
        body.decode("ascii")
        assert json.loads(body)["detail"] == "caf\u00e9 \U0001f600 \ud800"

    def test_compact(self):
        """No spaces after separators."""
        assert to_json({"a": 1, "b": [1, 2]}) == b'{"a":1,"b":[1,2]}'

    @pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
    def test_nan_refused(self, value: float):
        """NaN and infinities are not JSON (RFC 8259 section 6): encoding refuses them."""
        with pytest.raises(ValueError, match="JSON compliant"):
            to_json({"x": value})

    def test_non_serializable_refused(self):
        """An object JSON cannot encode raises (and the pipeline falls back)."""
        with pytest.raises(TypeError):
            to_json({"x": object()})


def parse_xml(body: bytes) -> ET.Element:
    return ET.fromstring(body)  # noqa: S314 - our own output, checked for well-formedness


class TestXml:
    """The ``application/problem+xml`` body (RFC 9457 appendix B)."""

    def test_content_type(self):
        """Asking for XML gives application/problem+xml."""
        response = render(RFC_EXAMPLE, Accept="application/problem+xml")
        assert response.content_type == XML_MEDIA_TYPE == "application/problem+xml"

    def test_rfc_example(self):
        """The RFC's example: root 'problem' in urn:ietf:rfc:7807, arrays as 'i' elements."""
        body = render(RFC_EXAMPLE, Accept="application/problem+xml").body
        assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
        root = parse_xml(body)
        assert root.tag == f"{NS}problem"
        assert XML_NAMESPACE == "urn:ietf:rfc:7807"
        assert [child.tag.removeprefix(NS) for child in root] == [
            "type",
            "title",
            "status",
            "detail",
            "instance",
            "flow_id",
            "balance",
            "accounts",
        ]
        assert root.findtext(f"{NS}status") == "403"
        assert root.findtext(f"{NS}balance") == "30"
        accounts = root.find(f"{NS}accounts")
        assert accounts is not None
        assert [item.tag for item in accounts] == [f"{NS}i", f"{NS}i"]
        assert [item.text for item in accounts] == ["/account/12345", "/account/67890"]

    def test_exact_bytes(self):
        """A small problem renders to these exact bytes."""
        members = {"type": "about:blank", "status": 404, "ok": False, "list": [1, "a"]}
        assert to_xml(members) == (
            b'<?xml version="1.0" encoding="UTF-8"?><problem xmlns="urn:ietf:rfc:7807">'
            b"<type>about:blank</type><status>404</status><ok>false</ok>"
            b"<list><i>1</i><i>a</i></list></problem>"
        )

    def test_objects_nest(self):
        """Objects become child elements; a null inside one becomes an empty element."""
        root = parse_xml(to_xml({"price": {"amount": 5, "memo": None, "tags": {"a": True}}}))
        price = root.find(f"{NS}price")
        assert price is not None
        assert price.findtext(f"{NS}amount") == "5"
        assert price.findtext(f"{NS}memo") == ""
        assert price.findtext(f"{NS}tags/{NS}a") == "true"

    def test_escaping(self):
        """Markup characters in values are escaped and come back intact."""
        text = "<b>&amp; \"quotes\" 'apostrophes' ]]> </problem>"
        root = parse_xml(to_xml({"detail": text}))
        assert root.findtext(f"{NS}detail") == text

    def test_control_characters(self):
        """Characters XML 1.0 forbids become U+FFFD; tab and newline stay."""
        text = "a\x00b\x08c\x0bd\x1fe\tf\ng\ud800h\uffffi"
        root = parse_xml(to_xml({"detail": text}))
        assert root.findtext(f"{NS}detail") == "a\ufffdb\ufffdc\ufffdd\ufffde\tf\ng\ufffdh\ufffdi"

    def test_non_ascii(self):
        """Non-ASCII text is sent as UTF-8."""
        body = to_xml({"detail": "caf\u00e9 \U0001f600"})
        assert "caf\u00e9 \U0001f600".encode() in body
        assert parse_xml(body).findtext(f"{NS}detail") == "caf\u00e9 \U0001f600"

    @pytest.mark.parametrize(
        "name", ["1abc", "a b", "a:b", "xmlthing", "XMLthing", "<x>", "a&b", "", "caf\u00e9"]
    )
    def test_names_that_are_not_xml_names(self, name: str):
        """Members whose names cannot be XML element names are left out; the rest stays."""
        body = to_xml({"status": 400, name: "dropped", "nested": {name: "dropped", "ok": 1}})
        root = parse_xml(body)
        assert b"dropped" not in body
        assert root.findtext(f"{NS}status") == "400"
        assert root.findtext(f"{NS}nested/{NS}ok") == "1"

    def test_non_string_keys_left_out(self):
        """Object keys that are not strings have no element name: left out."""
        root = parse_xml(to_xml({"nested": {1: "dropped", "ok": 1}}))
        nested = root.find(f"{NS}nested")
        assert nested is not None
        assert [child.tag for child in nested] == [f"{NS}ok"]

    def test_numbers_and_booleans(self):
        """Numbers are written as in JSON; booleans as true and false."""
        root = parse_xml(to_xml({"n": 1.5, "t": True, "f": False, "big": 10**20}))
        assert [root.findtext(f"{NS}{name}") for name in ("n", "t", "f", "big")] == [
            "1.5",
            "true",
            "false",
            "100000000000000000000",
        ]

    def test_generic_500_in_xml(self):
        """An unexpected error asked for in XML is the fixed 500 in XML."""
        handler = ProblemHandler()
        request = RequestInfo(headers={"Accept": "application/xml", "X-Flow-ID": "f1"})
        response = handler.handle(RuntimeError("x"), request)
        assert response.status == 500
        assert response.content_type == XML_MEDIA_TYPE
        root = parse_xml(response.body)
        assert root.findtext(f"{NS}flow_id") == "f1"
        assert root.findtext(f"{NS}title") == "Internal Server Error"


class Tagged(Problem, type="https://example.com/probs/tagged-render", title="Tagged.", status=409):
    tags: frozenset[str]
    ids: set[int] = attrs.field(factory=set[int])


class TestSets:
    """JSON has no sets: set members are sent as arrays, in a stable order."""

    def test_set_members_are_sorted_arrays(self):
        """Declared and free-form set members render as sorted arrays."""
        problem = Tagged(tags=frozenset({"b", "a"}), ids={3, 1}, extensions={"more": {"y", "x"}})
        body = json.loads(render(problem).body)
        assert (body["tags"], body["ids"], body["more"]) == (["a", "b"], [1, 3], ["x", "y"])

    def test_items_without_order(self):
        """Items that cannot be ordered are sent in the set's own order."""
        body = json.loads(render(Problem(status=400, extensions={"mixed": {1, "a"}})).body)
        assert sorted(map(str, body["mixed"])) == ["1", "a"]

    def test_round_trip(self):
        """The parser reads the array back as the declared set type."""
        problem = Tagged(tags=frozenset({"b", "a"}), ids={3})
        parsed = parse_problem(render(problem).body)
        assert isinstance(parsed, Tagged)
        assert (parsed.tags, set(parsed.ids)) == (frozenset({"a", "b"}), {3})


class Shade(enum.Enum):
    DARK = "dark"


class Shape(enum.Enum):
    DOT = (0, 0)


class Stock(TypedDict):
    sku: str
    since: date


@dataclasses.dataclass(frozen=True)
class Leg:
    km: float
    note: str | None = None


class Spot(NamedTuple):
    row: int
    day: date | None = None


@attrs.frozen
class Branch:
    name: str
    children: list[Branch] = attrs.Factory(list["Branch"])


ID = UUID("12345678-1234-5678-1234-567812345678")
DAY = date(2026, 11, 29)


def declare(annotation: object) -> type[Problem]:
    """Declare an unregistered 400 problem class with one member of type *annotation*."""
    namespace: dict[str, Any] = {"__annotations__": {"member": annotation}, "__module__": __name__}
    return type("Declared", (Problem,), namespace, status=400)  # type: ignore[call-arg]


def rendered_member(problem: Problem) -> Any:
    """Render *problem* through the pipeline; it must not fall back to the minimal 500."""
    response = render(problem)
    assert response.status == 400
    return json.loads(response.body)["member"]


class TestDeclaredTypesRender:
    """Whatever a declared member type takes renders as JSON: none of it falls back to a 500."""

    @pytest.mark.parametrize(
        ("annotation", "value", "expected"),
        [
            (UUID, ID, "12345678-1234-5678-1234-567812345678"),
            (date, DAY, "2026-11-29"),
            (time, time(12, 30, tzinfo=timezone.utc), "12:30:00+00:00"),
            (Decimal, Decimal("0.10"), "0.10"),
            (Decimal, Decimal("1E+2"), "1E+2"),
            (
                Decimal,
                Decimal("-12345678901234567890.123456789"),
                "-12345678901234567890.123456789",
            ),
            (Shade, Shade.DARK, "dark"),
            (Shape, Shape.DOT, [0, 0]),
            (float, 3, 3),
            (int, 10**4299, 10**4299),
            (Collection[str], {"b", "a"}, ["a", "b"]),
            (Collection[str], ("b", "a"), ["b", "a"]),
            (Iterable[date], frozenset({DAY}), ["2026-11-29"]),
            (MutableSequence[int], collections.deque([2, 1]), [2, 1]),
            (typing.Deque[int], collections.deque([1]), [1]),  # noqa: UP006
            (MutableSet[int], {2, 1}, [1, 2]),
            (MutableMapping[str, Decimal], {"a": Decimal("1.5")}, {"a": "1.5"}),
            (typing.DefaultDict[str, int], collections.defaultdict(int, a=1), {"a": 1}),  # noqa: UP006
            (collections.OrderedDict[str, UUID], collections.OrderedDict(a=ID), {"a": str(ID)}),
            (collections.Counter[str], collections.Counter("aab"), {"a": 2, "b": 1}),
            (Stock, {"sku": "a", "since": DAY}, {"sku": "a", "since": "2026-11-29"}),
            (list[Leg], [Leg(km=1.5), Leg(km=2, note="n")], [{"km": 1.5}, {"km": 2, "note": "n"}]),
            (Spot, Spot(1, DAY), [1, "2026-11-29"]),
            (
                Branch,
                Branch(name="a", children=[Branch(name="b")]),
                {"name": "a", "children": [{"name": "b", "children": []}]},
            ),
        ],
        ids=lambda value: repr(value)[:50],
    )
    def test_rendered(self, annotation: object, value: object, expected: object):
        """The member is sent in its JSON form."""
        assert rendered_member(declare(annotation)(member=value)) == expected  # type: ignore[call-arg]

    def test_local_class(self):
        """A member annotated with a class local to a function renders by its value's type."""

        @attrs.frozen
        class Item:
            qty: int

        class Local(Problem, status=400):
            member: Item

        assert rendered_member(Local(member=Item(qty=2))) == {"qty": 2}
        assert rendered_member(Local(member="as is")) == "as is"  # type: ignore[arg-type]


class Typed(Problem, type="https://example.com/probs/typed-render", title="Typed.", status=400):
    uid: UUID | None = None
    day: date | None = None
    clock: time | None = None
    money: Decimal | None = None
    shade: Shade | None = None


class TestDeclaredTypesParse:
    """UUID, date, time and Decimal members are read back from their strings, and only from them."""

    def test_round_trip(self):
        """What is rendered is read back equal."""
        problem = Typed(uid=ID, day=DAY, clock=time(8, 0), money=Decimal("-0.50"), shade=Shade.DARK)
        parsed = parse_problem(render(problem).body)
        assert isinstance(parsed, Typed)
        assert parsed == problem
        assert str(parsed.money) == "-0.50"

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("uid", 5),
            ("uid", "not-a-uuid"),
            ("uid", "{12345678-1234-5678-1234-567812345678}"),
            ("uid", "12345678123456781234567812345678"),
            ("day", 20261129),
            ("day", "2026-13-01"),
            ("day", "2026-11-29T10:00:00"),
            ("clock", 1200),
            ("clock", "25:00"),
            ("money", 0.5),
            ("money", 10),
            ("money", "NaN"),
            ("money", "Infinity"),
            ("money", "1.2.3"),
            ("money", " 1"),
            ("money", "1_000"),
            ("shade", "DARK"),
        ],
    )
    def test_wrong_member_ignored(self, name: str, value: object):
        """A member of the wrong JSON type, or a string that does not parse, is ignored."""
        valid = {
            "uid": str(ID),
            "day": "2026-11-29",
            "clock": "08:00",
            "money": "1",
            "shade": "dark",
        }
        parsed = parse_problem({"type": Typed.__problem_type__, **valid, name: value})
        assert isinstance(parsed, Typed)
        assert getattr(parsed, name) is None
        assert all(getattr(parsed, other) is not None for other in valid if other != name)
