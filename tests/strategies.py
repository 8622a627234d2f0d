"""Hypothesis strategies shared by the core, adapter and reliability tests.

- `json_values`: any JSON value (what a document may carry).
- `problems`: problems of several declared types (and plain ``about:blank``
  ones) with extension members, all of which survive a JSON round trip.
- `secret_exceptions`: raised exceptions that carry secret strings in their
  message, args, notes, cause and context; `leaks` says whether a text gives
  any of it away.
- `TypedMembers`, `MEMBER_SPECS`, `typed_documents` and `wrong_json_for`:
  a problem type with one member of each declared type a consumer reads,
  documents whose members have those types, and JSON values of any other
  JSON type (`json_kind` names the JSON type of a value).
"""

from __future__ import annotations

import enum
import string
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta, timezone
from typing import Any, Literal

import attrs
from hypothesis import strategies as st

from problemdetails import (
    FieldError,
    Problem,
    RetryAfterProblem,
    ValidationProblem,
    json_pointer,
)

__all__ = [
    "DECLARED_TYPES",
    "MEMBER_SPECS",
    "SECRET_MARK",
    "Account",
    "Level",
    "MemberSpec",
    "OutOfCredit",
    "Quota",
    "Throttled",
    "TypedMembers",
    "extension_members",
    "extension_names",
    "json_kind",
    "json_values",
    "leaks",
    "problems",
    "secret_exceptions",
    "secrets",
    "typed_documents",
    "uri_references",
    "wrong_json_for",
]

# --- JSON -------------------------------------------------------------------

_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
)


def json_values(*, max_leaves: int = 12) -> st.SearchStrategy[Any]:
    """Any JSON value: null, booleans, numbers, strings, arrays and objects."""
    return st.recursive(
        _scalars,
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=8), children, max_size=4)
        ),
        max_leaves=max_leaves,
    )


# --- Problems -----------------------------------------------------------------

_NAME_TAIL = string.ascii_letters + string.digits + "_"
_RESERVED = frozenset(
    ("type", "title", "status", "detail", "instance", "flow_id", "extensions", "headers")
)


def extension_names() -> st.SearchStrategy[str]:
    """Member names that follow RFC 9457 section 3.2's recommendation and are free to use."""
    return st.builds(
        "".join,
        st.tuples(
            st.sampled_from(string.ascii_letters),
            st.text(alphabet=_NAME_TAIL, min_size=2, max_size=10),
        ),
    ).filter(lambda name: name not in _RESERVED)


def extension_members(taken: frozenset[str] = frozenset()) -> st.SearchStrategy[dict[str, Any]]:
    """Free-form extension members; no top-level None (a None member is not rendered)."""
    values = json_values().filter(lambda value: value is not None)
    names = extension_names().filter(lambda name: name not in taken)
    return st.dictionaries(names, values, max_size=4)


_URI_TEXT = string.ascii_letters + string.digits + "-._~!$&'()*+,;=@%"


def uri_references() -> st.SearchStrategy[str]:
    """Relative and absolute URI references (RFC 3986) such as ``instance`` holds."""
    segment = st.text(alphabet=_URI_TEXT.replace("%", ""), min_size=1, max_size=8)
    path = st.lists(segment, min_size=1, max_size=3).map(lambda parts: "/" + "/".join(parts))
    return path | path.map(lambda p: "https://api.example.com" + p) | st.just("urn:uuid:1234")


@attrs.frozen
class Account:
    """A nested value inside a problem member."""

    id: str
    note: str | None = None


class OutOfCredit(
    Problem,
    type="https://example.com/probs/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    """RFC 9457's own example, with a nested attrs value."""

    balance: int
    accounts: list[Account] = attrs.field(factory=list[Account])


class Quota(Problem, type="/problems/quota", title="Quota exceeded.", status=429):
    """A relative type URI and members of several JSON types."""

    limit: int
    window: float = 60.0
    tags: dict[str, str] = attrs.field(factory=dict[str, str])
    enforced: bool = True
    note: str | None = None


class Throttled(
    RetryAfterProblem,
    type="https://example.com/probs/throttled",
    title="Slow down.",
    status=429,
):
    """A `RetryAfterProblem` subclass: seconds or an aware date."""


#: The declared problem types `problems` draws from.
DECLARED_TYPES: tuple[type[Problem], ...] = (OutOfCredit, Quota, Throttled, ValidationProblem)

_texts = st.text(max_size=30)
_optional_texts = st.none() | _texts
_statuses = st.integers(min_value=400, max_value=599)
_dates = st.datetimes(
    min_value=datetime(2000, 1, 1),  # noqa: DTZ001 - hypothesis wants naive bounds
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
    timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=2))]),
)


def _common(cls: type[Problem]) -> dict[str, st.SearchStrategy[Any]]:
    return {
        "detail": _optional_texts,
        "instance": st.none() | uri_references(),
        "extensions": extension_members(frozenset(cls.__problem_fields__)),
    }


def _out_of_credit() -> st.SearchStrategy[Problem]:
    accounts = st.lists(st.builds(Account, id=_texts, note=_optional_texts), max_size=3)
    return st.builds(
        OutOfCredit,
        balance=st.integers(),
        accounts=accounts,
        title=st.none() | _texts.filter(bool),
        **_common(OutOfCredit),
    )


def _quota() -> st.SearchStrategy[Problem]:
    return st.builds(
        Quota,
        limit=st.integers(min_value=0),
        window=st.floats(allow_nan=False, allow_infinity=False),
        tags=st.dictionaries(_texts, _texts, max_size=3),
        enforced=st.booleans(),
        note=_optional_texts,
        status=st.sampled_from([429, 403]),
        **_common(Quota),
    )


def _throttled() -> st.SearchStrategy[Problem]:
    return st.builds(
        Throttled,
        retry_after=st.none() | st.integers(min_value=0, max_value=10**6) | _dates,
        **_common(Throttled),
    )


def _validation() -> st.SearchStrategy[Problem]:
    pointers = st.lists(st.text(max_size=6) | st.integers(0, 9), max_size=3).map(
        lambda path: json_pointer(*path)
    )
    errors = st.lists(
        st.builds(FieldError, detail=_texts, pointer=st.none() | pointers), max_size=3
    )
    return st.builds(ValidationProblem, errors=errors, **_common(ValidationProblem))


def _about_blank() -> st.SearchStrategy[Problem]:
    return st.builds(Problem, status=_statuses, **_common(Problem))


def problems() -> st.SearchStrategy[Problem]:
    """Problems of the declared types above, built-ins and plain ``about:blank`` ones.

    Every problem survives ``parse_problem(render(problem)) == problem``.
    """
    return st.one_of(_out_of_credit(), _quota(), _throttled(), _validation(), _about_blank())


# --- Secrets -----------------------------------------------------------------

#: Every secret starts with this; a response containing it gives a secret away.
SECRET_MARK = "s3cr3t"  # noqa: S105 - not a secret: the mark of fake ones


def secrets() -> st.SearchStrategy[str]:
    """Secret strings: the mark followed by any text (controls and non-ASCII included)."""
    return st.text(max_size=16).map(lambda tail: SECRET_MARK + tail)


def leaks(text: str | bytes) -> bool:
    """Return whether *text* gives away any secret made by `secrets`."""
    if isinstance(text, bytes):
        text = text.decode("latin-1")
    return SECRET_MARK in text


class SecretReprError(Exception):
    """An exception whose repr and str carry a secret of their own."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def __str__(self) -> str:
        return self.secret

    def __repr__(self) -> str:
        return f"SecretReprError({self.secret!r})"


class BrokenStrError(Exception):
    """An exception whose ``str()`` fails with a secret in the failure."""

    def __str__(self) -> str:
        raise RuntimeError(self.args[0] if self.args else SECRET_MARK)


_KINDS: tuple[Callable[[str], BaseException], ...] = (
    ValueError,
    RuntimeError,
    KeyError,
    lambda secret: OSError(2, secret, secret),
    lambda secret: UnicodeDecodeError("utf-8", secret.encode("utf-8", "replace"), 0, 1, secret),
    SecretReprError,
    BrokenStrError,
    lambda secret: type("DynamicError", (LookupError,), {})(secret, {"token": secret}),
)


def _raised(kind: Callable[[str], BaseException], secret: str) -> BaseException:
    try:
        raise kind(secret)
    except BaseException as error:  # every kind is built to be caught here
        return error


@st.composite
def secret_exceptions(draw: st.DrawFn) -> BaseException:
    """A raised exception carrying secrets in message, args, notes, cause and context."""
    kinds = st.sampled_from(_KINDS)
    exception = _raised(draw(kinds), draw(secrets()))
    if draw(st.booleans()):
        exception.args = (*exception.args, draw(secrets()), {"password": draw(secrets())})
    notes = draw(st.lists(secrets(), max_size=2))
    if notes:
        # What add_note does (Python 3.11+), spelled so that 3.10 runs it too.
        exception.__notes__ = notes  # type: ignore[attr-defined]
    if draw(st.booleans()):
        exception.__cause__ = _raised(draw(kinds), draw(secrets()))
    if draw(st.booleans()):
        exception.__context__ = _raised(draw(kinds), draw(secrets()))
    return exception


# --- Declared member types -------------------------------------------------------


class Level(enum.Enum):
    """An enum whose values are of two JSON types."""

    LOW = "low"
    HIGH = 2


class TypedMembers(
    Problem,
    type="https://example.com/probs/typed-members",
    title="Typed members.",
    status=400,
):
    """One member of each declared type a consumer reads strictly; only ``count`` is required."""

    count: int
    ratio: float = 0.0
    enabled: bool = False
    label: str = ""
    note: str | None = None
    roles: list[str] = attrs.field(factory=list[str])
    path: tuple[str, ...] = ()
    pair: tuple[int, str] | None = None
    tags: frozenset[str] = frozenset()
    ids: set[int] = attrs.field(factory=set[int])
    steps: Sequence[float] = ()
    limits: dict[str, int] = attrs.field(factory=dict[str, int])
    labels: Mapping[str, str] = attrs.field(factory=dict[str, str])
    level: Level = Level.LOW
    mode: Literal["fast", "safe"] = "safe"
    code: int | str = 0
    account: Account | None = None
    when: datetime | None = None


def json_kind(value: object) -> str:
    """Return the JSON type of a decoded JSON *value*, in JSON Schema's words."""
    kinds: dict[type, str] = {
        type(None): "null",
        bool: "boolean",
        int: "integer",
        float: "number",
        str: "string",
        list: "array",
        dict: "object",
    }
    return kinds[type(value)]


@attrs.frozen
class MemberSpec:
    """How a member of `TypedMembers` is carried in JSON.

    Attributes:
        kinds: the JSON types (`json_kind`) a value of the member may have.
        values: draws ``(json_value, python_value)``: a value of the declared
            type as a document carries it, and what parsing must give.
    """

    kinds: frozenset[str]
    values: st.SearchStrategy[tuple[Any, Any]]


def _same(value: Any) -> tuple[Any, Any]:
    return value, value


# Text that survives XML too: no control characters, no CR (XML normalizes
# line ends), and nothing that spells a number where a union could read one.
_plain_texts = st.text(alphabet=string.ascii_letters + " -_/.", max_size=10)
_floats = st.floats(allow_nan=False, allow_infinity=False)
_keys = st.from_regex(r"[a-hj-wyz][a-z0-9]{0,5}", fullmatch=True)  # XML names; "i" is an item


def _account_json(account: Account) -> dict[str, Any]:
    return {"id": account.id} if account.note is None else {"id": account.id, "note": account.note}


#: Every member of `TypedMembers`, with its JSON types and values.
MEMBER_SPECS: dict[str, MemberSpec] = {
    "count": MemberSpec(frozenset({"integer"}), st.integers().map(_same)),
    "ratio": MemberSpec(
        frozenset({"integer", "number"}),
        _floats.map(_same) | st.integers(-(2**53), 2**53).map(lambda n: (n, float(n))),
    ),
    "enabled": MemberSpec(frozenset({"boolean"}), st.booleans().map(_same)),
    "label": MemberSpec(frozenset({"string"}), _plain_texts.map(_same)),
    "note": MemberSpec(frozenset({"string", "null"}), (st.none() | _plain_texts).map(_same)),
    "roles": MemberSpec(frozenset({"array"}), st.lists(_plain_texts, max_size=3).map(_same)),
    "path": MemberSpec(
        frozenset({"array"}), st.lists(_plain_texts, max_size=3).map(lambda v: (v, tuple(v)))
    ),
    "pair": MemberSpec(
        frozenset({"array", "null"}),
        st.none().map(_same)
        | st.tuples(st.integers(), _plain_texts).map(lambda pair: (list(pair), pair)),
    ),
    "tags": MemberSpec(
        frozenset({"array"}), st.lists(_plain_texts, max_size=3).map(lambda v: (v, frozenset(v)))
    ),
    "ids": MemberSpec(
        frozenset({"array"}), st.lists(st.integers(), max_size=3).map(lambda v: (v, set(v)))
    ),
    "steps": MemberSpec(
        frozenset({"array"}), st.lists(_floats, max_size=3).map(lambda v: (v, tuple(v)))
    ),
    "limits": MemberSpec(
        frozenset({"object"}), st.dictionaries(_keys, st.integers(), max_size=3).map(_same)
    ),
    "labels": MemberSpec(
        frozenset({"object"}), st.dictionaries(_keys, _plain_texts, max_size=3).map(_same)
    ),
    "level": MemberSpec(
        frozenset({"string", "integer"}), st.sampled_from(Level).map(lambda m: (m.value, m))
    ),
    "mode": MemberSpec(frozenset({"string"}), st.sampled_from(["fast", "safe"]).map(_same)),
    "code": MemberSpec(
        frozenset({"integer", "string"}),
        (st.integers() | st.text(alphabet=string.ascii_letters, max_size=6)).map(_same),
    ),
    "account": MemberSpec(
        frozenset({"object", "null"}),
        st.none().map(_same)
        | st.builds(Account, id=_plain_texts, note=st.none() | _plain_texts).map(
            lambda account: (_account_json(account), account)
        ),
    ),
    "when": MemberSpec(
        frozenset({"string", "null"}),
        st.none().map(_same) | _dates.map(lambda moment: (moment.isoformat(), moment)),
    ),
}


@st.composite
def typed_documents(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """A `TypedMembers` document with some members, and the values parsing must give.

    Returns ``(members, expected)``: the document's declared members as JSON
    values (``count`` always among them) and the Python value of each.
    """
    names = draw(st.sets(st.sampled_from(sorted(MEMBER_SPECS)))) | {"count"}
    document: dict[str, Any] = {}
    expected: dict[str, Any] = {}
    for name in sorted(names):
        document[name], expected[name] = draw(MEMBER_SPECS[name].values)
    return document, expected


def wrong_json_for(name: str) -> st.SearchStrategy[Any]:
    """JSON values of a JSON type that member *name* of `TypedMembers` does not take."""
    kinds = MEMBER_SPECS[name].kinds
    return json_values(max_leaves=4).filter(lambda value: json_kind(value) not in kinds)
