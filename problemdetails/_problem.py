"""Declare: the ``Problem`` base class and how problem types are declared."""

from __future__ import annotations

import builtins
import contextlib
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, cast

import attrs

from ._errors import InvalidProblemError, ProblemDefinitionError
from ._fields import HEADER_NAME, HEADER_VALUE
from ._member_types import AnnotationError, MemberCheck, field_checks
from ._response import status_phrase
from ._uri import is_uri_reference

if sys.version_info >= (3, 11):
    from typing import dataclass_transform
else:  # pragma: no cover - cattrs already depends on typing_extensions
    from typing_extensions import dataclass_transform

if TYPE_CHECKING:
    from ._response import ProblemResponse

ABOUT_BLANK = "about:blank"

#: The members RFC 9457 section 3.1 defines, in the order they are rendered.
STANDARD_MEMBERS = ("type", "title", "status", "detail", "instance")

#: Attribute names a declared extension member may not take.
RESERVED_NAMES = frozenset((*STANDARD_MEMBERS, "flow_id", "extensions", "headers"))

_STANDARD_SET = frozenset(STANDARD_MEMBERS)

#: Where the client side keeps a received problem's HTTP exchange (a name no
#: member can take); the server pipeline reads it to log the upstream's facts.
EXCHANGE_KEY = "_problemdetails_http"

#: Longest ``title`` or ``detail`` sent (and shown by ``str()``), in characters.
DEFAULT_TEXT_MAX_LENGTH = 4096
_ELLIPSIS = "\u2026"

MemberNamePolicy = Literal["reject", "warn"]

# RFC 9457 section 3.2: extension member names SHOULD start with a letter,
# consist of letters, digits and underscores, and be three or more characters.
RECOMMENDED_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]{2,}")

# Parsing a document received from elsewhere must keep whatever members it
# carries: the naming recommendation binds producers, not consumers.
_lenient: ContextVar[bool] = ContextVar("problemdetails_lenient", default=False)


class _Lenient:
    """The context of `lenient_construction`: a class, cheaper than a generator per parse."""

    __slots__ = ("_token",)

    def __enter__(self) -> None:
        self._token = _lenient.set(True)

    def __exit__(self, *exc_info: object) -> None:
        _lenient.reset(self._token)


def lenient_construction() -> contextlib.AbstractContextManager[None]:
    """Within the block, construct problems without producer-side checks (for parsing)."""
    return _Lenient()


def is_received(exception: BaseException) -> bool:
    """Return whether *exception* is a problem received from another service.

    The client side marks the classes it raises; a received problem that
    escapes a view is a failed dependency, not a problem this API declared.
    """
    return getattr(type(exception), "__problem_received__", False) is True


def constructing_leniently() -> bool:
    """Return whether problems are being made from a received document (parsing)."""
    return _lenient.get()


def truncate_text(text: str, limit: int) -> str:
    """Return *text* cut to *limit* characters, ending in an ellipsis if it was longer."""
    return text if len(text) <= limit else text[: limit - 1] + _ELLIPSIS


def check_status(status: object, *, what: str = "status") -> int:
    """Return *status* as an int if it is one in 400-599, else raise `InvalidProblemError`.

    ``HTTPStatus`` members and other ``int`` subclasses count by their value;
    ``bool`` does not.
    """
    if builtins.type(status) is not int:
        if not isinstance(status, int) or isinstance(status, bool):
            raise InvalidProblemError(
                f"{what} must be an int from 400 to 599 (a client or server error), "
                f"got {_shown(status)}"
            )
        status = int(status)
    if not 400 <= status <= 599:  # noqa: PLR2004
        raise InvalidProblemError(
            f"{what} must be an int from 400 to 599 (a client or server error), got {status!r}"
        )
    return status


_MAX_SHOWN = 80


def _shown(value: object) -> str:
    """Return a short repr of *value* for an error message; never raises."""
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a message must not fail on a hostile value
        return f"a {builtins.type(value).__qualname__}"
    return text if len(text) <= _MAX_SHOWN else text[: _MAX_SHOWN - 3] + "..."


def check_member_name(name: str, policy: MemberNamePolicy, owner: str) -> None:
    """Apply the RFC 9457 naming recommendation for extension members to *name*."""
    if RECOMMENDED_NAME.fullmatch(name):
        return
    message = (
        f"extension member name {name!r} of {owner} breaks RFC 9457 section 3.2's "
        "recommendation (start with a letter; letters, digits and '_' only; 3 or more "
        "characters)"
    )
    if policy == "reject":
        raise InvalidProblemError(
            f"{message}; rename it, or declare the problem class with member_names='warn'"
        )
    warnings.warn(message, UserWarning, stacklevel=4)


class Registrar(Protocol):
    """What declaring a problem type needs of a registry; `ProblemRegistry` is one."""

    def register(self, cls: builtins.type[Problem], /) -> None:
        """Register *cls* under its type URI."""
        ...


class Renderer(Protocol):
    """What `Problem.to_response` needs of a handler; `ProblemHandler` is one."""

    def render(self, problem: Problem, /) -> ProblemResponse:
        """Render *problem* as a response."""
        ...


# What later stages provide to a declaration: the registry that types declared
# without ``registry=`` join, and the handler to_response() uses by default.
# Each stage installs its own when imported (the package imports them all), so
# that this module needs nothing from the stages above it.
_defaults: dict[str, Any] = {}


def install_default_registry(registry: Registrar) -> None:
    """Make *registry* the one problem types join unless they name another."""
    _defaults["registry"] = registry


def install_default_renderer(factory: Callable[[], Renderer]) -> None:
    """Make *factory* give the handler that `Problem.to_response` uses by default."""
    _defaults["renderer"] = factory


# Text members are str, or objects that render as one when the response is
# made: Django's lazy translation strings must stay lazy until the active
# language is known.
_NOT_TEXT = (bytes, bytearray, int, float, complex, list, tuple, dict, set, frozenset)


class _FromClass:
    """The default of members whose value the problem class declares."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "<the class's default>"


#: Marks a member left to the class's declared default (type, status, detail).
_FROM_CLASS: Any = _FromClass()


class _Empty(Mapping[str, Any]):
    """The shared empty default of ``extensions`` and ``headers``: read-only, picklable."""

    __slots__ = ()

    def __getitem__(self, key: str) -> Any:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return "{}"

    def __reduce__(self) -> str:
        return "_EMPTY"  # pickled by reference: the one instance


_EMPTY: Mapping[str, Any] = _Empty()
#: The shared empty ``extensions`` and ``headers``: renderers skip it by identity.
EMPTY = _EMPTY


def _check_uri(name: str, value: object) -> None:
    if not isinstance(value, str):
        raise InvalidProblemError(f"{name} must be a string, got {_shown(value)}")
    if not _lenient.get() and not is_uri_reference(value):
        raise InvalidProblemError(
            f"{name} must be a URI reference (RFC 3986), got {_shown(value)}; "
            "percent-encode spaces and other characters outside the URI alphabet"
        )


def _check_text(name: str, value: object) -> None:
    if isinstance(value, _NOT_TEXT):
        raise InvalidProblemError(f"{name} must be a string, got {_shown(cast('object', value))}")


def _checked_extensions(cls: builtins.type[Problem], value: object) -> dict[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidProblemError(f"extensions must be a mapping, got {_shown(value)}")
    extensions = dict(cast("Mapping[object, Any]", value))
    declared = cls.__problem_fields__
    lenient = _lenient.get()
    # A received document may carry any member; only the ones that would be
    # ambiguous (standard or declared members) are refused even then.
    reserved = _STANDARD_SET if lenient else RESERVED_NAMES
    for name in extensions:
        if not isinstance(name, str):
            raise InvalidProblemError(f"extension member names must be strings, got {_shown(name)}")
        if name in reserved or name in declared:
            raise InvalidProblemError(
                f"extension member {name!r} collides with a member of {cls.__name__}; "
                "set that member directly instead of through extensions"
            )
        if not lenient:
            check_member_name(name, cls.__problem_member_names__, cls.__name__)
    return cast("dict[str, Any]", extensions)


def _checked_headers(value: object) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise InvalidProblemError(f"headers must be a mapping, got {_shown(value)}")
    headers = dict(cast("Mapping[object, object]", value))
    for name, header in headers.items():
        if not isinstance(name, str) or not isinstance(header, str):
            raise InvalidProblemError(
                f"headers must map str to str, got {_shown(name)}: {_shown(header)}"
            )
        # Caught here, where the problem is made, rather than as a failed
        # response: a value with CR or LF could split the response.
        if not HEADER_NAME.fullmatch(name) or not HEADER_VALUE.fullmatch(header):
            raise InvalidProblemError(
                f"header {_shown(name)}: {_shown(header)} is not a valid HTTP field (names are "
                "tokens; values are visible ASCII, spaces and tabs, without CR or LF)"
            )
    return cast("dict[str, str]", headers)


_MemberChecks = tuple[MemberCheck, ...]


def _member_checks(cls: builtins.type[Problem], *, final: bool = True) -> _MemberChecks:
    """Compile the checks of *cls*'s declared members, once, and keep them on the class.

    Annotations are resolved member by member. When the class is created
    (``final=False``), one that names something not defined yet raises
    NameError and nothing is kept: it may be defined later in the module. On
    first use, such a member is left unchecked (and rendered as it is).

    Raises:
        ProblemDefinitionError: an annotation is not a type expression, or
            names a type JSON cannot carry.
    """
    try:
        checks = field_checks(cls, RESERVED_NAMES, final=final)
    except AnnotationError as error:
        raise ProblemDefinitionError(f"problem class {cls.__qualname__}: {error}") from None
    cls.__problem_checks__ = checks
    return checks


def _check_members(problem: Problem) -> None:
    """Fill in the class defaults and check every member; the body of ``__attrs_post_init__``.

    One pass, compiled per class, instead of a validator and a factory per
    member: constructing a problem is on the error path of every request.
    """
    cls = builtins.type(problem)
    members = problem.__dict__
    _check_standard(cls, members)
    extensions = members["extensions"]
    if extensions is not _EMPTY:
        object.__setattr__(problem, "extensions", _checked_extensions(cls, extensions))
    headers = members["headers"]
    if headers is not _EMPTY:
        object.__setattr__(problem, "headers", _checked_headers(headers))
    checks = cls.__dict__.get("__problem_checks__")
    if checks is None:
        checks = _member_checks(cls)
    for name, check, default, mismatch in checks:
        value = members[name]
        # A declared default is the declaration's own word: trusted as it is.
        if value is default:
            continue
        try:
            valid = check(value)
        except Exception as error:  # noqa: BLE001 - a value whose own methods fail, or too deep
            raise InvalidProblemError(
                f"{cls.__name__}.{name} could not be checked against its declared type "
                f"({builtins.type(error).__name__})"
            ) from None
        if not valid:
            raise InvalidProblemError(f"{cls.__name__}.{name} {mismatch(value)}")


def _check_standard(  # noqa: C901 - one flat pass over the standard members
    cls: builtins.type[Problem], members: dict[str, Any]
) -> None:
    # Problem classes are attrs classes with a __dict__ (slots=False): the
    # class defaults are written to it directly, as attrs' __init__ does.
    value = members["type"]
    if value is _FROM_CLASS:
        members["type"] = cls.__problem_type__
    elif value is not cls.__problem_type__:
        _check_uri("type", value)
    status = members["status"]
    if status is _FROM_CLASS:
        members["status"] = cls.__problem_status__
    elif builtins.type(status) is not int or not 400 <= status <= 599:  # noqa: PLR2004
        members["status"] = check_status(status)
    detail = members["detail"]
    if detail is _FROM_CLASS:
        members["detail"] = cls.__problem_detail__
    elif detail is not None and builtins.type(detail) is not str:
        _check_text("detail", detail)
    title = members["title"]
    if title is None:
        title = cls.__problem_title__
        if title is None and members["type"] == ABOUT_BLANK:
            title = status_phrase(members["status"]) or None
        if title is not None:
            members["title"] = title
    elif builtins.type(title) is not str:
        _check_text("title", title)
    instance = members["instance"]
    if instance is not None:
        _check_uri("instance", instance)


def _restore(cls: builtins.type[Problem], members: dict[str, Any]) -> Problem:
    with lenient_construction():
        return cls(**members)


@dataclass_transform(
    kw_only_default=True, frozen_default=True, eq_default=True, field_specifiers=(attrs.field,)
)
class _ProblemBase(Exception):  # noqa: N818 - a problem is the error, not about one
    """Turns every subclass into a frozen, keyword-only attrs class and registers it."""

    __problem_type__: ClassVar[str] = ABOUT_BLANK
    __problem_title__: ClassVar[str | None] = None
    __problem_status__: ClassVar[int] = 500
    #: Default ``detail``; only the generic 500 sets one (occurrences explain themselves).
    __problem_detail__: ClassVar[str | None] = None
    __problem_member_names__: ClassVar[MemberNamePolicy] = "reject"
    #: Names of the extension members declared as attrs fields, in declaration order.
    __problem_fields__: ClassVar[tuple[str, ...]] = ()
    #: The compiled checks of the declared members (None until compiled).
    __problem_checks__: ClassVar[_MemberChecks | None] = None
    #: Level occurrences are logged at; None leaves it to the handler's settings.
    __problem_log_level__: ClassVar[int | None] = None
    #: True for problems received from another service (set by the client side).
    __problem_received__: ClassVar[bool] = False
    if TYPE_CHECKING:
        # Set by attrs on every subclass; declared so type checkers see attrs classes.
        __attrs_attrs__: ClassVar[tuple[attrs.Attribute[Any], ...]]

    def __init_subclass__(
        cls,
        *,
        type: str | None = None,  # noqa: A002 - it is RFC 9457's name for it
        title: str | None = None,
        status: int | None = None,
        registry: Registrar | None = None,
        member_names: MemberNamePolicy | None = None,
        log_level: int | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        where = f"problem class {cls.__qualname__}"
        _declare_defaults(cls, where, type, title, status, member_names)
        if log_level is not None:
            cls.__problem_log_level__ = _log_level(log_level, where)
        if _same_members(cls):
            # Nothing of attrs' to make: the base's generated methods serve
            # (they name no class), and so do its compiled member checks.
            # Declaring such a type costs a tenth of what it would.
            cls.__problem_checks__ = cls.__bases__[0].__dict__.get("__problem_checks__")
        else:
            attrs.define(
                cls,
                slots=False,
                frozen=True,
                kw_only=True,
                eq=True,
                order=False,
                hash=False,
                str=False,
                auto_exc=False,
                auto_attribs=True,
            )
            if cls.__module__ != __name__ or cls.__qualname__ != "Problem":
                _check_declared_members(cls, where)
            # Compiled now when the annotations resolve; a name defined later
            # in the module is resolved on the first construction instead.
            cls.__problem_checks__ = None
            with contextlib.suppress(NameError):
                _member_checks(cls, final=False)  # type: ignore[arg-type]
        cls.__problem_fields__ = tuple(
            field.name for field in attrs.fields(cls) if field.name not in RESERVED_NAMES
        )
        if type is not None and type != ABOUT_BLANK:
            if registry is None:  # not `or`: an empty registry is falsy
                registry = _defaults.get("registry")
            if registry is None:
                raise ProblemDefinitionError(
                    f"{where}: no registry to register it in; import problemdetails first"
                )
            registry.register(cls)  # type: ignore[arg-type]
        elif registry is not None:
            raise ProblemDefinitionError(
                f"{where}: registry= is given but no type URI to register it under"
            )


# What attrs generates or reads in a class body: a class defining any of
# them goes through attrs itself.
_ATTRS_NAMES = frozenset(
    (
        "__init__",
        "__repr__",
        "__eq__",
        "__ne__",
        "__setattr__",
        "__delattr__",
        "__slots__",
        "__getstate__",
        "__setstate__",
        "__attrs_attrs__",
        "__attrs_init__",
        "__attrs_pre_init__",
    )
)
_FIELD_TYPE: builtins.type[object] = builtins.type(cast("object", attrs.field()))


def _same_members(cls: builtins.type[Any]) -> bool:
    """Whether *cls* has exactly its one base's members and methods (no annotations of its own)."""
    bases = cls.__bases__
    own = cls.__dict__
    return (
        len(bases) == 1
        and getattr(bases[0], "__attrs_attrs__", None) is not None
        and not own.get("__annotations__")
        and own.keys().isdisjoint(_ATTRS_NAMES)
        and not any(isinstance(value, _FIELD_TYPE) for value in own.values())
    )


def _declare_defaults(  # noqa: PLR0917 - a private step of __init_subclass__
    cls: builtins.type[_ProblemBase],
    where: str,
    type_uri: object,
    title: object,
    status: object,
    member_names: object,
) -> None:
    """Check the class keywords and store them as the class's defaults."""
    if member_names is not None:
        if member_names not in ("reject", "warn"):
            raise ProblemDefinitionError(
                f"{where}: member_names must be 'reject' or 'warn', got {member_names!r}"
            )
        cls.__problem_member_names__ = member_names
    if status is not None:
        try:
            cls.__problem_status__ = check_status(status, what=f"{where}: status")
        except InvalidProblemError as error:
            raise ProblemDefinitionError(str(error)) from None
    if title is not None:
        if not isinstance(title, str) or not title:
            raise ProblemDefinitionError(f"{where}: title must be a non-empty string")
        cls.__problem_title__ = title
    if type_uri is not None:
        if not isinstance(type_uri, str) or not is_uri_reference(type_uri):
            raise ProblemDefinitionError(
                f"{where}: type must be a URI reference (RFC 3986), got {type_uri!r}"
            )
        if type_uri != ABOUT_BLANK and title is None:
            raise ProblemDefinitionError(
                f"{where}: a problem type needs a title, the short summary RFC 9457 "
                f"section 3.1.3 asks for; declare it as class {cls.__name__}(..., "
                f"type={type_uri!r}, title='...')"
            )
        cls.__problem_type__ = type_uri


#: logging's level numbers by name (fixed by its documentation), known here
#: without importing logging: the loggers the pipeline is given bring it.
LOG_LEVELS = {"NOTSET": 0, "DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


def _log_level(value: object, where: str) -> int:
    """Return *value* (a level number or one of logging's level names) as a level number."""
    if isinstance(value, str) and value.upper() in LOG_LEVELS:
        return LOG_LEVELS[value.upper()]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return int(value)
    raise ProblemDefinitionError(
        f"{where}: log_level must be a logging level such as logging.WARNING or 'WARNING', "
        f"got {_shown(value)}"
    )


def _check_declared_members(cls: builtins.type[Any], where: str) -> None:
    for field in attrs.fields(cls):
        if field.inherited:
            continue
        name = field.name
        if name.startswith("_"):
            raise ProblemDefinitionError(
                f"{where}: member {name!r} starts with '_', which no RFC 9457 member "
                "name may; annotate it as ClassVar if it is not a member"
            )
        if name in RESERVED_NAMES:
            raise ProblemDefinitionError(
                f"{where}: {name!r} is a standard member of every problem; set its default "
                f"with the class keywords instead: class {cls.__name__}(..., {name}=...)"
            )
        try:
            check_member_name(name, cls.__problem_member_names__, where)
        except InvalidProblemError as error:
            raise ProblemDefinitionError(str(error)) from None


class Problem(_ProblemBase):
    """A problem detail (RFC 9457): an attrs class that is also an exception.

    Raise it anywhere; the adapters turn it into an ``application/problem+json``
    response. Declare problem types by subclassing with class keywords for the
    type URI, default title and default status, and add typed extension members
    as ordinary attributes::

        class OutOfCredit(
            Problem,
            type="https://example.com/probs/out-of-credit",
            title="You do not have enough credit.",
            status=403,
        ):
            balance: int
            accounts: list[str]

        raise OutOfCredit(balance=30, accounts=["/account/12345"], detail="...")

    Every member is keyword-only. Instances are immutable; use `attrs.evolve` to
    derive a changed copy.

    Class keywords: ``type`` (the type URI; declaring one registers the class),
    ``title``, ``status`` (400-599), ``registry`` (a `ProblemRegistry` other than
    the default) and ``member_names`` (``"reject"`` or ``"warn"``: what to do with
    extension member names outside RFC 9457's recommendation).

    Attributes:
        type: the problem type URI; ``"about:blank"`` when the status says it all.
        title: short summary of the problem type; for ``about:blank`` it
            defaults to the HTTP status phrase (RFC 9457 section 4.2.1).
        status: the HTTP status code, 400-599.
        detail: explanation specific to this occurrence, meant for the client.
        instance: URI reference that identifies this occurrence.
        flow_id: correlation id; filled in from the request when rendered.
            Not part of equality: it names a response, not the problem.
        extensions: free-form extension members for one-off use; declared
            attributes are the typed way.
        headers: extra HTTP response headers (not a member of the document).

    Raises:
        InvalidProblemError: a member breaks an RFC 9457 rule.
    """

    type: str = attrs.field(default=_FROM_CLASS)
    title: str | None = None
    status: int = attrs.field(default=_FROM_CLASS)
    detail: str | None = attrs.field(default=_FROM_CLASS)
    instance: str | None = None
    flow_id: str | None = attrs.field(default=None, eq=False)
    extensions: Mapping[str, Any] = attrs.field(default=_EMPTY)
    headers: Mapping[str, str] = attrs.field(default=_EMPTY, eq=False, repr=False)

    # The function itself, not a method calling it: one call less per problem.
    __attrs_post_init__ = _check_members

    def __str__(self) -> str:
        text = f"{self.status} {self.title}" if self.title else str(self.status)
        if not self.detail:
            return text
        # Log lines and tracebacks show this: a detail of megabytes must not flood them.
        return truncate_text(f"{text}: {self.detail}", DEFAULT_TEXT_MAX_LENGTH)

    def __hash__(self) -> int:
        # Consistent with the generated __eq__ (equal problems share class, type and
        # status) while staying hashable, as exceptions are expected to be.
        return hash((builtins.type(self), self.type, self.status))

    def __reduce__(self) -> tuple[Any, ...]:
        members = {
            field.name: getattr(self, field.name)
            for field in attrs.fields(builtins.type(self))
            if field.init
        }
        notes: list[str] | None = getattr(self, "__notes__", None)
        state = None if notes is None else {"__notes__": notes}
        return (_restore, (builtins.type(self), members), state)

    def http_headers(self) -> Iterable[tuple[str, str]]:
        """Return the extra response headers this problem asks for.

        Subclasses override this to derive headers from members (as
        `RetryAfterProblem` does for ``Retry-After``); call ``super()``.
        """
        return self.headers.items()

    def to_response(self, *, handler: Renderer | None = None) -> ProblemResponse:
        """Render this problem as a neutral response, ready to return from a view.

        The result is a WSGI application, so a Flask view can return it as is and
        any WSGI server can serve it; the Django adapter's ``problem_response``
        turns it into an ``HttpResponse``.

        Args:
            handler: the `ProblemHandler` whose settings apply; the default
                settings when omitted.
        """
        renderer: Renderer = handler if handler is not None else _defaults["renderer"]()
        return renderer.render(self)
