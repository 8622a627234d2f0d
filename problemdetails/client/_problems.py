"""The problems the client side raises, grouped by class of failure.

A response's problem is raised as its registered class, so ``except
OutOfCredit:`` works on both sides of the wire. To let callers also catch by
class of failure, the raised object's class is derived, once per (registered
class, group) pair, from both the registered class and a group class, e.g.
``OutOfCredit`` + `ClientError`. Such a derived class adds no members, is not
registered, compares equal to its registered class, and pickles.
"""

from __future__ import annotations

import threading
import types
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, cast, overload

import attrs

from problemdetails._problem import EXCHANGE_KEY, Problem, lenient_construction
from problemdetails._text import printable as capped_printable

#: Where a received problem keeps its `HttpExchange` (a name no member can take).
_EXCHANGE_KEY = EXCHANGE_KEY

_MAX_MESSAGE_TEXT = 300
_MAX_URL_TEXT = 200
_MAX_REPR = 2000


def _capped_repr(value: object) -> str:
    """Return ``repr(value)``, cut to a length a log line can carry."""
    text = repr(value)
    return text if len(text) <= _MAX_REPR else f"{text[:_MAX_REPR]}...({len(text)} characters)"


# Not slotted: a frozen attrs class with a __dict__ is made by plain dict
# stores, a third faster than through object.__setattr__, on every received problem.
@attrs.frozen(kw_only=True, slots=False)
class HttpExchange:
    """The HTTP facts behind a received problem: what support needs to find it.

    Attributes:
        method: the request method, when the response tells it.
        url: the request URL, without any ``user:password@``.
        status: the HTTP status as received (which may lie outside 400-599
            when a server misbehaves; the problem's ``status`` never does).
        media_type: the response's media type, lowercased, without parameters.
        headers: the response headers, as ``(name, value)`` pairs (bounded).
        body: the start of a body that was not a usable problem document
            (an HTML error page, a malformed document), decoded with
            replacement characters; None when the body was a problem.
        attempts: how many tries were made, when a retry integration counted
            them; 1 otherwise.
        retry_after: seconds the server asked to wait (``Retry-After``), as of
            when the response arrived.
        elapsed: seconds from the first try to this response, when a retry
            integration measured them.
        flow_id_member: the member name the flow id was read from.
    """

    method: str | None = None
    url: str | None = None
    status: int | None = None
    media_type: str | None = None
    headers: tuple[tuple[str, str], ...] = attrs.field(default=(), repr=_capped_repr)
    body: str | None = attrs.field(default=None, repr=_capped_repr)
    attempts: int = 1
    retry_after: float | None = None
    elapsed: float | None = None
    flow_id_member: str = "flow_id"

    def header(self, name: str) -> str | None:
        """Return the first value of response header *name* (case-insensitive), or None."""
        wanted = name.lower()
        return next((value for key, value in self.headers if key.lower() == wanted), None)


_NO_EXCHANGE = HttpExchange()


class _ExchangeAttribute:
    """``problem.http``: a non-data descriptor, so a member named ``http`` still wins."""

    @overload
    def __get__(self, instance: None, owner: type[Any]) -> _ExchangeAttribute: ...

    @overload
    def __get__(self, instance: object, owner: type[Any]) -> HttpExchange: ...

    def __get__(self, instance: object, owner: type[Any]) -> _ExchangeAttribute | HttpExchange:
        if instance is None:
            return self
        exchange = instance.__dict__.get(_EXCHANGE_KEY)
        return exchange if isinstance(exchange, HttpExchange) else _NO_EXCHANGE


def exchange_of(problem: Problem) -> HttpExchange | None:
    """Return the `HttpExchange` of a received problem, or None for any other."""
    exchange = problem.__dict__.get(_EXCHANGE_KEY)
    return exchange if isinstance(exchange, HttpExchange) else None


def attach(problem: Problem, exchange: HttpExchange | None) -> None:
    """Give *problem* its exchange (problems are frozen; this is not a member)."""
    if exchange is not None:
        problem.__dict__[_EXCHANGE_KEY] = exchange


def record_attempt(problem: Problem, attempts: int, elapsed: float | None = None) -> None:
    """Record on a received problem how many tries led to it (done by retry integrations)."""
    exchange = exchange_of(problem) or HttpExchange(status=problem.status)
    changes: dict[str, Any] = {"attempts": attempts}
    if elapsed is not None:
        changes["elapsed"] = elapsed
    attach(problem, attrs.evolve(exchange, **changes))


def printable(text: str, limit: int = _MAX_MESSAGE_TEXT) -> str:
    """Return *text* fit for one log line: unprintable characters escaped, length capped."""
    return capped_printable(text, limit)


def _message_url(url: str) -> str:
    # Query strings often carry tokens: the message keeps the path only.
    base, query, _ = url.partition("?")
    return printable(base.partition("#")[0] + ("?..." if query else ""), _MAX_URL_TEXT)


# derived class -> (registered class, group); and the reverse, for reuse.
_DERIVED: dict[type[Problem], tuple[type[Problem], type[ReceivedProblem]]] = {}
_BY_PAIR: dict[tuple[type[Problem], type[ReceivedProblem]], type[ReceivedProblem]] = {}
_LOCK = threading.Lock()


def _origin(cls: type[Problem]) -> type[Problem]:
    derived = _DERIVED.get(cls)
    if derived is not None:
        return derived[0]
    return Problem if cls in _GENERIC else cls


def _equal_as_origin(self: Problem, other: object) -> Any:
    if not isinstance(other, Problem):
        return NotImplemented
    origin = _origin(type(self))
    if origin is not _origin(type(other)):
        return NotImplemented
    return all(
        getattr(self, field.name) == getattr(other, field.name)
        for field in attrs.fields(origin)
        if field.eq
    )


def _hash_as_origin(self: Problem) -> int:
    return hash((_origin(type(self)), self.type, self.status))


def _compare_as_origin(cls: type[Problem]) -> None:
    # attrs writes a class-strict __eq__ into every subclass; a derived class
    # must equal the registered class it stands for, so it is replaced here.
    cls.__eq__ = _equal_as_origin  # type: ignore[assignment, method-assign]
    cls.__hash__ = _hash_as_origin  # type: ignore[method-assign]
    # Retry libraries log repr(problem) on every try (stamina does): a document
    # of a megabyte must not make a log line of one.
    generated = cast("Callable[[object], str]", cls.__repr__)

    def __repr__(self: object) -> str:  # noqa: N807 - it is the class's __repr__
        text = generated(self)
        return text if len(text) <= _MAX_REPR else f"{text[:_MAX_REPR]}...)"

    cls.__repr__ = __repr__  # type: ignore[method-assign]


class ReceivedProblem(Problem):
    """Base of every problem the client side raises from a response.

    Catch the registered class (``except OutOfCredit``) or a class of
    failure: `ClientError` (4xx), `ServerError` (5xx), `Retryable` (worth
    trying again under the reader's `RetryPolicy`). Problems of unknown types,
    and error responses that carry no problem at all, are raised as the group
    classes themselves, with every member kept.

    ``str()`` of one has what a log line needs: status, title, detail,
    request method and URL (path only), the flow id and the attempts.

    Attributes:
        http: the `HttpExchange` the problem came from (method, URL, status,
            headers, body excerpt, attempts, ``Retry-After``).
    """

    #: Marks problems received from another service (read by the server pipeline).
    __problem_received__: ClassVar[bool] = True

    http = _ExchangeAttribute()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        _compare_as_origin(cls)

    def __str__(self) -> str:
        text = printable(Problem.__str__(self))
        http = exchange_of(self) or _NO_EXCHANGE
        facts: list[str] = []
        request = " ".join(
            part
            for part in (
                printable(http.method, 16) if http.method else None,
                _message_url(http.url) if http.url else None,
            )
            if part
        )
        if request:
            facts.append(request)
        if self.flow_id:
            facts.append(f"{http.flow_id_member}={printable(self.flow_id, 128)}")
        if http.status is not None and http.status != self.status:
            facts.append(f"HTTP status {http.status}")
        if http.attempts > 1:
            facts.append(f"after {http.attempts} attempts")
        return f"{text} [{'; '.join(facts)}]" if facts else text

    def __reduce__(self) -> tuple[Any, ...]:
        cls = type(self)
        members = {
            field.name: getattr(self, field.name) for field in attrs.fields(cls) if field.init
        }
        notes: object = getattr(self, "__notes__", None)
        state: dict[str, Any] | None = {"__notes__": notes} if notes is not None else None
        origin, group = _DERIVED.get(cls, (cls, None))
        return (_rebuild, (origin, group, members, exchange_of(self)), state)


_compare_as_origin(ReceivedProblem)


class ClientError(ReceivedProblem, status=400):
    """A received problem with a 4xx status: the request needs changing."""


class ServerError(ReceivedProblem, status=500):
    """A received problem with a 5xx status (or an invalid status from a broken server)."""


class Retryable(ReceivedProblem):
    """A received problem that trying the same request again may cure.

    Which ones are is the reader's `RetryPolicy`'s call: 408, 429, 500, 502,
    503 and 504 by default, for idempotent methods (or any method the
    response does not tell).
    """


class RetryableClientError(ClientError, Retryable, status=429):
    """A retryable 4xx: 408 Request Timeout, 429 Too Many Requests."""


class RetryableServerError(ServerError, Retryable, status=503):
    """A retryable 5xx: 500 (once), 502, 503, 504 by default."""


#: The group classes a received problem's class derives from, by (server side, retryable).
GROUPS: Mapping[tuple[bool, bool], type[ReceivedProblem]] = {
    (False, False): ClientError,
    (False, True): RetryableClientError,
    (True, False): ServerError,
    (True, True): RetryableServerError,
}
_GENERIC = frozenset((ReceivedProblem, ClientError, ServerError, Retryable, *GROUPS.values()))


def derive(origin: type[Problem], group: type[ReceivedProblem]) -> type[ReceivedProblem]:
    """Return the class that is both *origin* (a registered class) and *group*.

    Made once per pair and cached. Raises whatever class creation raises
    (a metaclass conflict in a user's class); callers fall back to *group*.
    """
    if issubclass(origin, group):
        return origin
    if origin is Problem or origin in _GENERIC:
        return group
    cls = _BY_PAIR.get((origin, group))
    if cls is None:
        with _LOCK:
            cls = _BY_PAIR.get((origin, group))
            if cls is None:
                cls = _make(origin, group)
                _BY_PAIR[(origin, group)] = cls
    return cls


def _make(origin: type[Problem], group: type[ReceivedProblem]) -> type[ReceivedProblem]:
    def body(namespace: dict[str, Any]) -> None:
        # Tracebacks and reprs name the registered class, as the server's do.
        namespace["__module__"] = origin.__module__
        namespace["__qualname__"] = origin.__qualname__
        namespace["__doc__"] = origin.__doc__

    # No type= keyword: a derived class never enters a registry.
    cls: type[ReceivedProblem] = types.new_class(origin.__name__, (origin, group), {}, body)
    _DERIVED[cls] = (origin, group)
    return cls


def _rebuild(
    origin: type[Problem],
    group: type[ReceivedProblem] | None,
    members: dict[str, Any],
    exchange: HttpExchange | None,
) -> Problem:
    cls = origin if group is None else derive(origin, group)
    with lenient_construction():
        problem = cls(**members)
    attach(problem, exchange)
    return problem


def regroup(
    problem: Problem, group: type[ReceivedProblem], exchange: HttpExchange | None = None
) -> ReceivedProblem:
    """Return *problem* as an instance of its class derived with *group*.

    Never raises: a class that cannot be derived (or built again) falls back
    to *group* itself with every member kept.
    """
    members = {
        field.name: getattr(problem, field.name)
        for field in attrs.fields(type(problem))
        if field.init
    }
    try:
        cls = derive(type(problem), group)
        with lenient_construction():
            received = cls(**members)
    except Exception:  # noqa: BLE001 - the error path cannot fail
        received = _generic(problem, group)
    attach(received, exchange)
    return received


def _generic(problem: Problem, group: type[ReceivedProblem]) -> ReceivedProblem:
    extensions = dict(problem.extensions)
    for name in type(problem).__problem_fields__:
        extensions[name] = getattr(problem, name, None)
    with lenient_construction():
        return group(
            type=problem.type,
            title=problem.title,
            status=problem.status,
            detail=problem.detail,
            instance=problem.instance,
            flow_id=problem.flow_id,
            extensions={name: value for name, value in extensions.items() if value is not None},
        )
