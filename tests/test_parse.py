"""Parsing problem documents, as RFC 9457 asks consumers to."""

from __future__ import annotations

import collections
import json
from collections.abc import Collection, Iterable, Mapping, MutableSequence, Sequence
from collections.abc import Set as AbstractSet
from datetime import date, datetime, timezone
from ipaddress import IPv4Address
from typing import Any

import attrs
import pytest

from problemdetails import (
    Config,
    ConfigurationError,
    FieldError,
    InvalidProblemError,
    Problem,
    ProblemDefinitionError,
    ProblemDetailsError,
    ProblemParseError,
    RetryAfterProblem,
    ValidationProblem,
    parse_problem,
)
from problemdetails._uri import is_uri_reference

CREDIT = "https://example.com/probs/test-parse/out-of-credit"


class OutOfCredit(Problem, type=CREDIT, title="You do not have enough credit.", status=403):
    balance: int
    accounts: list[str] = attrs.field(factory=list[str])


class Defaults(Problem, type="https://example.com/probs/test-parse/optional", title="Opt."):
    balance: int = 0
    price: Price | None = None
    ratio: float = 1.0


@attrs.frozen
class Price:
    amount: int
    currency: str = "EUR"


class Relative(Problem, type="/problems/test-parse/relative", title="Relative.", status=409):
    pass


class Busy(RetryAfterProblem, type="https://example.com/probs/test-parse/busy", title="Busy."):
    pass


class Containers(
    Problem, type="https://example.com/probs/test-parse/containers", title="Containers."
):
    """One member of each container type the parser reads from a JSON array or object."""

    listed: list[str] = attrs.field(factory=list[str])
    mutable: MutableSequence[str] = attrs.field(factory=list[str])
    sequence: Sequence[str] = ()
    collection: Collection[str] = ()
    iterable: Iterable[str] = ()
    fixed: tuple[str, ...] = ()
    pair: tuple[str, int] | None = None
    unique: set[str] = attrs.field(factory=set[str])
    frozen: frozenset[str] = frozenset()
    abstract_set: AbstractSet[str] = frozenset()
    queue: collections.deque[str] = attrs.field(factory=collections.deque[str])
    mapping: Mapping[str, str] = attrs.field(factory=dict[str, str])
    ordered: collections.OrderedDict[str, str] = attrs.field(
        factory=collections.OrderedDict[str, str]
    )
    counts: collections.Counter[str] = attrs.field(factory=collections.Counter[str])


class Unusual(Problem, type="https://example.com/probs/test-parse/unusual", title="Unusual."):
    """Members of types cattrs has no structure hook of its own for."""

    code: int | str = 0
    day: date | None = None
    address: IPv4Address | None = None


RFC_EXAMPLE = {
    "type": CREDIT,
    "title": "You do not have enough credit.",
    "status": 403,
    "detail": "Your current balance is 30, but that costs 50.",
    "instance": "/account/12345/msgs/abc",
    "balance": 30,
    "accounts": ["/account/12345", "/account/67890"],
}


class TestRegisteredTypes:
    """The class is chosen by ``type``."""

    @pytest.mark.parametrize("form", ["bytes", "str", "dict"])
    def test_registered_class(self, form: str):
        """RFC 9457 section 3.1.1: the type URI, the primary identifier, picks the class."""
        text = json.dumps(RFC_EXAMPLE)
        document = {"bytes": text.encode(), "str": text, "dict": RFC_EXAMPLE}[form]
        problem = parse_problem(document)
        assert type(problem) is OutOfCredit
        assert problem == OutOfCredit(
            balance=30,
            accounts=["/account/12345", "/account/67890"],
            detail="Your current balance is 30, but that costs 50.",
            instance="/account/12345/msgs/abc",
        )

    def test_unknown_type(self):
        """An unregistered type gives a plain Problem that keeps type and members."""
        document = {"type": "https://example.com/unknown", "title": "T", "status": 400, "x": 1}
        problem = parse_problem(document)
        assert type(problem) is Problem
        assert problem.type == "https://example.com/unknown"
        assert problem.title == "T"
        assert problem.extensions == {"x": 1}

    def test_about_blank(self):
        """about:blank gives a plain Problem whose title defaults to the status phrase."""
        problem = parse_problem({"type": "about:blank", "status": 404})
        assert (type(problem), problem.title) == (Problem, "Not Found")

    def test_missing_type_is_about_blank(self):
        """A document without type is about:blank (RFC 9457 section 3.1.1)."""
        assert parse_problem({"status": 404}).type == "about:blank"

    def test_unknown_members_kept(self):
        """RFC 9457 section 3.2: unrecognized extensions MUST be ignored (kept, not failed on)."""
        problem = parse_problem({**RFC_EXAMPLE, "currency": "EUR", "a-b": [1]})
        assert isinstance(problem, OutOfCredit)
        assert problem.extensions == {"currency": "EUR", "a-b": [1]}

    def test_nested_value(self):
        """Nested members are structured into their attrs class."""
        problem = parse_problem(
            {"type": Defaults.__problem_type__, "price": {"amount": 5, "currency": "USD"}}
        )
        assert isinstance(problem, Defaults)
        assert problem.price == Price(amount=5, currency="USD")

    def test_field_errors(self):
        """ValidationProblem's errors come back as FieldErrors."""
        problem = parse_problem(
            {
                "type": "urn:problemdetails:validation-error",
                "status": 422,
                "errors": [{"detail": "bad", "pointer": "#/a"}, {"detail": "worse"}],
            }
        )
        assert isinstance(problem, ValidationProblem)
        assert problem.errors == [
            FieldError(detail="bad", pointer="#/a"),
            FieldError(detail="worse"),
        ]

    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (120, 120),
            (0, 0),
            (None, None),
            ("2015-10-21T07:28:00+00:00", datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)),
            ("Wed, 21 Oct 2015 07:28:00 GMT", datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)),
        ],
    )
    def test_retry_after(self, value: Any, expected: Any):
        """retry_after comes back as seconds or as an aware datetime."""
        problem = parse_problem({"type": Busy.__problem_type__, "retry_after": value})
        assert isinstance(problem, Busy)
        assert problem.retry_after == expected

    def test_required_member_missing(self):
        """A document lacking a required member gives a plain Problem that keeps everything."""
        document = {**RFC_EXAMPLE}
        del document["balance"]
        problem = parse_problem(document)
        assert type(problem) is Problem
        assert problem.type == CREDIT
        assert problem.status == 403
        assert problem.extensions == {"accounts": ["/account/12345", "/account/67890"]}

    def test_producer_rules_not_applied(self):
        """A received document may break producer-side rules; it is kept as it is."""
        problem = parse_problem(
            {"type": "not a uri", "status": 400, "instance": "has space", "x": 1, "flow_id": 5}
        )
        assert problem.type == "not a uri"
        assert problem.instance == "has space"
        assert problem.extensions == {"x": 1, "flow_id": 5}

    def test_leniency_ends_with_parsing(self):
        """After parsing, constructing a problem checks the producer rules again."""
        parse_problem({"status": 400, "a-b": 1})
        with pytest.raises(InvalidProblemError):
            Problem(status=400, extensions={"a-b": 1})


class TestWrongTypes:
    """RFC 9457 section 3.1: a member whose value has the wrong type MUST be ignored."""

    @pytest.mark.parametrize(
        ("member", "value"),
        [
            ("status", "403"),
            ("status", 403.0),
            ("status", True),
            ("status", 200),
            ("status", 1000),
            ("status", None),
            ("title", 5),
            ("title", ["x"]),
            ("detail", 5),
            ("detail", {"x": 1}),
            ("instance", 5),
            ("instance", False),
            ("type", 5),
            ("type", None),
        ],
    )
    def test_standard_member(self, member: str, value: Any):
        """RFC 9457 section 3.1: a standard member of the wrong type is ignored, not kept."""
        problem = parse_problem({"type": "about:blank", "status": 404, member: value})
        # Without a usable status (and no HTTP status given) a problem is a 500.
        expected = Problem() if member == "status" else Problem(status=404)
        assert problem == expected
        assert member not in problem.extensions

    def test_wrong_status_uses_class_default(self):
        """RFC 9457 section 3.1: a registered class falls back to its declared status."""
        problem = parse_problem({**RFC_EXAMPLE, "status": "403", "title": 5})
        assert isinstance(problem, OutOfCredit)
        assert (problem.status, problem.title) == (403, "You do not have enough credit.")

    @pytest.mark.parametrize(
        ("member", "value"),
        [
            ("balance", "30"),
            ("balance", 30.0),
            ("balance", True),
            ("balance", None),
            ("price", {"amount": "5"}),
            ("price", "5 EUR"),
            ("price", [5]),
            ("ratio", "1.5"),
            ("ratio", True),
            ("ratio", None),
        ],
    )
    def test_declared_member(self, member: str, value: Any):
        """RFC 9457 section 3.1: a declared member of the wrong type is ignored (its default)."""
        problem = parse_problem({"type": Defaults.__problem_type__, member: value})
        assert isinstance(problem, Defaults)
        assert (problem.balance, problem.price, problem.ratio) == (0, None, 1.0)
        assert member not in problem.extensions

    @pytest.mark.parametrize(("value", "expected"), [(2, 2.0), (0.25, 0.25)])
    def test_json_numbers_for_floats(self, value: float, expected: float):
        """Any JSON number fills a float member."""
        problem = parse_problem({"type": Defaults.__problem_type__, "ratio": value})
        assert isinstance(problem, Defaults)
        assert problem.ratio == expected
        assert type(problem.ratio) is float

    def test_required_declared_member_of_wrong_type(self):
        """RFC 9457 section 3.1: a required member of the wrong type is as good as absent."""
        problem = parse_problem({**RFC_EXAMPLE, "balance": "30", "accounts": [5]})
        assert type(problem) is Problem
        assert problem.type == CREDIT

    @pytest.mark.parametrize(
        "value",
        [
            1.5,
            True,
            [1],
            {"at": 1},
            "not a date",
            -1.0,
            -5,
            "2015-10-21T07:28:00",
            "Wed, 21 Oct 2015 07:28:00 -0000",
        ],
    )
    def test_retry_after_of_wrong_type(self, value: Any):
        """RFC 9457 section 3.1: retry_after that is neither seconds nor a date is ignored."""
        problem = parse_problem({"type": Busy.__problem_type__, "retry_after": value})
        assert isinstance(problem, Busy)
        assert problem.retry_after is None
        assert "retry_after" not in problem.extensions

    def test_list_item_of_wrong_type(self):
        """A list member with an item of the wrong type is ignored as a whole."""
        problem = parse_problem({**RFC_EXAMPLE, "accounts": ["/a", 5]})
        assert isinstance(problem, OutOfCredit)
        assert problem.accounts == []

    @pytest.mark.parametrize("value", ["/account/12345", {"0": "/a"}, 5, True, None])
    def test_list_member_that_is_no_array(self, value: Any):
        """RFC 9457 section 3.1: a list member that is no JSON array is ignored, never split."""
        problem = parse_problem({**RFC_EXAMPLE, "accounts": value})
        assert isinstance(problem, OutOfCredit)
        assert problem.accounts == []
        assert "accounts" not in problem.extensions


class TestContainers:
    """A container member takes a JSON array or object only; a string is never split."""

    @pytest.mark.parametrize(
        ("member", "value", "expected"),
        [
            ("listed", ["a", "b"], ["a", "b"]),
            ("mutable", ["a"], ["a"]),
            ("sequence", ["a"], ("a",)),
            ("collection", ["a"], ("a",)),
            ("iterable", ["a"], ("a",)),
            ("fixed", ["a", "b"], ("a", "b")),
            ("pair", ["a", 1], ("a", 1)),
            ("unique", ["a", "a"], {"a"}),
            ("frozen", ["a"], frozenset({"a"})),
            ("abstract_set", ["a"], frozenset({"a"})),
            ("queue", ["a"], collections.deque(["a"])),
            ("mapping", {"a": "b"}, {"a": "b"}),
            ("ordered", {"a": "b"}, collections.OrderedDict(a="b")),
            ("counts", {"a": 2}, collections.Counter(a=2)),
        ],
    )
    def test_array_or_object(self, member: str, value: Any, expected: Any):
        """A JSON array or object of the right items becomes the declared container."""
        problem = parse_problem({"type": Containers.__problem_type__, member: value})
        assert isinstance(problem, Containers)
        assert getattr(problem, member) == expected
        assert type(getattr(problem, member)) is type(expected)

    @pytest.mark.parametrize(
        "member",
        [
            "listed",
            "mutable",
            "sequence",
            "collection",
            "iterable",
            "fixed",
            "pair",
            "unique",
            "frozen",
            "abstract_set",
            "queue",
            "mapping",
            "ordered",
            "counts",
        ],
    )
    @pytest.mark.parametrize("value", ["ab", 12, True, None], ids=["str", "int", "bool", "null"])
    def test_other_json_types_are_ignored(self, member: str, value: Any):
        """RFC 9457 section 3.1: a string, a number or null is ignored, never split or wrapped."""
        problem = parse_problem({"type": Containers.__problem_type__, member: value})
        assert isinstance(problem, Containers)
        assert getattr(problem, member) == getattr(Containers(), member)
        assert member not in problem.extensions

    @pytest.mark.parametrize(
        ("member", "value"),
        [
            ("listed", {"a": "b"}),
            ("listed", ["a", 1]),
            ("fixed", ["a", None]),
            ("pair", ["a", 1, 2]),
            ("pair", ["a", True]),
            ("unique", [["a"]]),
            ("mapping", ["a", "b"]),
            ("mapping", {"a": 1}),
            ("counts", {"a": "2"}),
            ("counts", {"a": 2.0}),
        ],
    )
    def test_wrong_shape_or_items_are_ignored(self, member: str, value: Any):
        """An array where an object is declared, or items of the wrong type, are ignored whole."""
        problem = parse_problem({"type": Containers.__problem_type__, member: value})
        assert isinstance(problem, Containers)
        assert getattr(problem, member) == getattr(Containers(), member)


class TestUnusualTypes:
    """Declared types cattrs cannot structure never make parsing raise."""

    @pytest.mark.parametrize(("value", "expected"), [(7, 7), ("A-7", "A-7"), (7.5, 0), (None, 0)])
    def test_union_of_scalars(self, value: Any, expected: Any):
        """int | str takes either JSON type as it is; another type is ignored."""
        problem = parse_problem({"type": Unusual.__problem_type__, "code": value})
        assert isinstance(problem, Unusual)
        assert problem.code == expected

    def test_type_without_a_hook(self):
        """A member no JSON value can fill is ignored; the rest of the document is read."""
        problem = parse_problem(
            {"type": Unusual.__problem_type__, "address": "10.0.0.1", "code": 1, "x": 2}
        )
        assert isinstance(problem, Unusual)
        assert (problem.address, problem.code, problem.extensions) == (None, 1, {"x": 2})

    def test_date_read_from_its_string(self):
        """A date member is read from the ISO string it is sent as."""
        problem = parse_problem({"type": Unusual.__problem_type__, "day": "2026-03-01"})
        assert isinstance(problem, Unusual)
        assert problem.day == date(2026, 3, 1)


class TestUriReferences:
    """An authority the URL parser refuses is no URI reference, so nothing resolves against it."""

    @pytest.mark.parametrize(
        ("value", "valid"),
        [
            ("//[", False),
            ("//]", False),
            ("//[::1", False),
            ("http://[x", False),
            ("//[::1]/x", True),
            ("http://[::1]:8080/a", True),
            ("/a[1]", True),
            ("?q=[1]", True),
        ],
    )
    def test_ip_literal_brackets(self, value: str, valid: bool):
        """RFC 3986 section 3.2.2: an IP literal's brackets come in a closed pair."""
        assert is_uri_reference(value) is valid

    def test_producers_refuse_them(self):
        """A problem cannot be declared or built with one; settings refuse one as a base."""
        with pytest.raises(ProblemDefinitionError, match="URI reference"):

            class Broken(Problem, type="//[", title="Broken."):
                pass

        with pytest.raises(InvalidProblemError, match="URI reference"):
            Problem(status=400, instance="//[")
        with pytest.raises(ConfigurationError, match="type_base_uri"):
            Config(type_base_uri="http://[::1/")

    def test_consumers_keep_them(self):
        """A received document keeps such a member as it came."""
        problem = parse_problem({"status": 400, "type": "//[", "instance": "//]"})
        assert (problem.type, problem.instance) == ("//[", "//]")


class TestArguments:
    """The arguments of ``parse_problem``."""

    def test_status_argument_wins(self):
        """The HTTP status given wins over the advisory status member."""
        assert parse_problem({**RFC_EXAMPLE, "status": 403}, status=402).status == 402

    def test_status_argument_that_is_not_an_error(self):
        """A status argument outside 400-599 is not used."""
        assert parse_problem({**RFC_EXAMPLE, "status": 403}, status=200).status == 403

    def test_status_argument_without_member(self):
        """The status argument fills a missing status member."""
        assert parse_problem({"type": "about:blank"}, status=429).title == "Too Many Requests"

    def test_relative_declaration_absolute_document(self):
        """base_uri resolves a relative declaration to the absolute type received."""
        problem = parse_problem(
            {"type": "https://api.example.com/problems/test-parse/relative"},
            base_uri="https://api.example.com/orders/7",
        )
        assert type(problem) is Relative

    def test_relative_document(self):
        """base_uri resolves a relative type received against the request URL."""
        problem = parse_problem(
            {"type": "../probs/test-parse/out-of-credit", "balance": 1},
            base_uri="https://example.com/api/orders",
        )
        assert type(problem) is OutOfCredit

    def test_relative_without_base(self):
        """Without base_uri, a relative type matches only its exact declaration."""
        assert type(parse_problem({"type": "/problems/test-parse/relative"})) is Relative
        assert type(parse_problem({"type": "problems/test-parse/relative"})) is Problem

    @pytest.mark.parametrize("type_uri", ["//[", "//]", "//[xyz]/p", "//a\u2100b/x"])
    def test_type_the_url_parser_refuses(self, type_uri: str):
        """A relative type that cannot be resolved is an unknown type, kept as received."""
        problem = parse_problem(
            {"type": type_uri, "status": 409, "x": 1}, base_uri="https://example.com/api/orders"
        )
        assert (type(problem), problem.type, problem.extensions) == (Problem, type_uri, {"x": 1})

    def test_base_uri_the_url_parser_refuses(self):
        """A base URI that does not parse resolves nothing; exact declarations still match."""
        base = "http://[::1/orders"
        assert type(parse_problem({"type": "../probs/x"}, base_uri=base)) is Problem
        problem = parse_problem({"type": CREDIT, "balance": 1}, base_uri=base)
        assert type(problem) is OutOfCredit
        assert type(parse_problem({"type": "/problems/test-parse/relative"}, base_uri=base)) is (
            Relative
        )

    def test_flow_id_member(self):
        """The flow id is read from the default member, or the one named."""
        assert parse_problem({"status": 500, "flow_id": "f1"}).flow_id == "f1"
        problem = parse_problem({"status": 500, "trace_id": "t1"}, flow_id_member="trace_id")
        assert problem.flow_id == "t1"
        assert problem.extensions == {}


class TestBadDocuments:
    """Bad input gives ProblemParseError with a reason, and nothing else."""

    @pytest.mark.parametrize(
        "document", [b"", b"not json", b"{", b"{'a': 1}", '{"a": NaN', b"\x00", b"1" * 5000]
    )
    def test_not_json(self, document: bytes | str):
        """Text that is not JSON: reason 'json'."""
        with pytest.raises(ProblemParseError, match="not valid JSON") as info:
            parse_problem(document)
        assert info.value.reason == "json"

    @pytest.mark.parametrize(
        "document",
        [
            b'{"status": 400, "a": NaN}',
            b'{"status": 400, "a": [Infinity]}',
            b'{"status": 400, "a": {"b": -Infinity}}',
            b'{"status": 400, "a": 1e400}',
            b'{"status": 400, "a": -1.5e309}',
        ],
    )
    def test_numbers_json_does_not_have(self, document: bytes):
        """RFC 8259 section 6: NaN, Infinity and numbers past a float's range are no JSON."""
        with pytest.raises(ProblemParseError, match="not valid JSON") as info:
            parse_problem(document)
        assert info.value.reason == "json"

    def test_largest_numbers_json_has(self):
        """The largest float and an int of many digits are JSON like any other number."""
        problem = parse_problem(b'{"status": 400, "a": 1.7976931348623157e308, "b": 1e-400}')
        assert problem.extensions == {"a": 1.7976931348623157e308, "b": 0.0}
        assert parse_problem(b'{"status": 400, "a": ' + b"9" * 4000 + b"}").extensions["a"] > 0

    @pytest.mark.parametrize("document", [b'{"a": "\xff"}', b"\xc3", b"\xff\xfe\x00"])
    def test_not_text(self, document: bytes):
        """Bytes that are not UTF-8 (or UTF-16/32) text: reason 'encoding'."""
        with pytest.raises(ProblemParseError) as info:
            parse_problem(document)
        assert info.value.reason == "encoding"

    @pytest.mark.parametrize("document", [b"[]", b'"text"', b"5", b"null", b"true", b"[{}]"])
    def test_not_an_object(self, document: bytes):
        """JSON that is not an object: reason 'not-object'."""
        with pytest.raises(ProblemParseError, match="is a JSON object") as info:
            parse_problem(document)
        assert info.value.reason == "not-object"

    @pytest.mark.parametrize("document", [b"{}" + b" " * 100, "{}" + " " * 100])
    def test_too_large(self, document: bytes | str):
        """A document over max_bytes: reason 'size', before any decoding."""
        with pytest.raises(ProblemParseError, match="exceeds the limit of 64") as info:
            parse_problem(document, max_bytes=64)
        assert info.value.reason == "size"

    def test_default_size_limit(self):
        """The default limit is 1 MiB."""
        with pytest.raises(ProblemParseError) as info:
            parse_problem(b'{"x": "' + b"a" * (1024 * 1024) + b'"}')
        assert info.value.reason == "size"

    @pytest.mark.parametrize(
        ("document", "max_depth"),
        [
            ('{"a": ' * 33 + "1" + "}" * 33, 32),
            ('{"a": [[[1]]]}', 3),
            ("[" * 100_000 + "]" * 100_000, 32),
            ('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", 32),
        ],
        ids=["objects", "arrays", "very-deep-array", "very-deep-member"],
    )
    def test_too_deep(self, document: str, max_depth: int):
        """A document nested deeper than max_depth: reason 'depth'."""
        with pytest.raises(ProblemParseError, match="nests deeper than") as info:
            parse_problem(document, max_depth=max_depth, max_bytes=10**6)
        assert info.value.reason == "depth"

    def test_deep_enough(self):
        """A document exactly max_depth deep is accepted."""
        problem = parse_problem('{"status": 400, "a": [[1]]}', max_depth=3)
        assert problem.extensions == {"a": [[1]]}

    def test_too_deep_mapping(self):
        """An already decoded object is checked for depth too."""
        nested: dict[str, Any] = {}
        current = nested
        for _ in range(40):
            current["a"] = {}
            current = current["a"]
        with pytest.raises(ProblemParseError) as info:
            parse_problem(nested)
        assert info.value.reason == "depth"

    def test_error_class(self):
        """ProblemParseError is a ValueError and one of the library's own errors."""
        with pytest.raises(ProblemParseError) as info:
            parse_problem(b"[]")
        assert isinstance(info.value, ValueError)
        assert isinstance(info.value, ProblemDetailsError)
