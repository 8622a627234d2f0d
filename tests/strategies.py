"""Hypothesis strategies shared by the core, adapter and reliability tests.

- `json_values`: any JSON value (what a document may carry).
- `problems`: problems of several declared types (and plain ``about:blank``
  ones) with extension members, all of which survive a JSON round trip.
- `secret_exceptions`: raised exceptions that carry secret strings in their
  message, args, notes, cause and context; `leaks` says whether a text gives
  any of it away.
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

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
    "SECRET_MARK",
    "Account",
    "OutOfCredit",
    "Quota",
    "Throttled",
    "extension_members",
    "extension_names",
    "json_values",
    "leaks",
    "problems",
    "secret_exceptions",
    "secrets",
    "uri_references",
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
