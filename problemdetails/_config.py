"""Configuration: one immutable object, built and validated once at set-up."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Literal, cast

import attrs

from ._errors import ConfigurationError
from ._fields import HEADER_NAME
from ._flow_id import DEFAULT_MAX_LENGTH, new_flow_id
from ._mapping import ProblemFactory
from ._media_types import JSON_MEDIA_TYPE, XML_MEDIA_TYPE
from ._problem import DEFAULT_TEXT_MAX_LENGTH, LOG_LEVELS, RECOMMENDED_NAME, RESERVED_NAMES, Problem
from ._report import ReportHook
from ._uri import is_absolute, is_uri_reference

if TYPE_CHECKING:
    from ._request import RequestInfo

InstanceSource = Literal["path", "url"] | Callable[["RequestInfo"], str | None] | None

_MEDIA_TYPES = (JSON_MEDIA_TYPE, XML_MEDIA_TYPE)


def _import(value: object, setting: str) -> Any:
    """Import a dotted path (settings files name callables as strings)."""
    if not isinstance(value, str):
        return value
    module, _, name = value.rpartition(".")
    try:
        return getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError, ValueError) as error:
        raise ConfigurationError(
            f"{setting}: cannot import {value!r} ({error}); give a dotted path such as "
            "'myapp.errors.report' or the object itself"
        ) from None


def _check_header(_: Config, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (not isinstance(value, str) or not HEADER_NAME.fullmatch(value)):
        raise ConfigurationError(
            f"{attribute.name} must be an HTTP header name such as 'X-Request-ID' "
            f"(or None to turn it off), got {value!r}"
        )


def _check_member(_: Config, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not RECOMMENDED_NAME.fullmatch(value):
        raise ConfigurationError(
            f"{attribute.name} must be a member name of 3+ letters, digits or '_' starting "
            f"with a letter (RFC 9457 section 3.2), got {value!r}"
        )
    if value in RESERVED_NAMES and value != "flow_id":
        raise ConfigurationError(
            f"{attribute.name} {value!r} would overwrite a standard member; pick another name"
        )


def _check_max_length(_: Config, attribute: attrs.Attribute[Any], value: object) -> None:
    if type(value) is not int or not 8 <= value <= 1024:  # noqa: PLR2004
        raise ConfigurationError(f"{attribute.name} must be an int from 8 to 1024, got {value!r}")


_TEXT_LIMITS = (64, 1024 * 1024)


def _check_text_max_length(_: Config, attribute: attrs.Attribute[Any], value: object) -> None:
    low, high = _TEXT_LIMITS
    if value is not None and (type(value) is not int or not low <= value <= high):
        raise ConfigurationError(
            f"{attribute.name} must be None or an int from {low} to {high}, got {value!r}"
        )


def _check_bool(_: Config, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(f"{attribute.name} must be True or False, got {value!r}")


def _check_callable(_: Config, attribute: attrs.Attribute[Any], value: object) -> None:
    if not callable(value):
        raise ConfigurationError(f"{attribute.name} must be callable, got {value!r}")


def _check_instance(_: Config, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and value not in ("path", "url") and not callable(value):
        raise ConfigurationError(
            f"instance must be None (the default: RFC 9457's instance identifies the "
            f"occurrence, not the URL), 'path', 'url' or a callable, got {value!r}"
        )


def _check_base_uri(_: Config, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (
        not isinstance(value, str) or not is_uri_reference(value) or not is_absolute(value)
    ):
        raise ConfigurationError(
            f"type_base_uri must be an absolute URI such as 'https://api.example.com/problems/', "
            f"got {value!r}"
        )


def _to_media_types(value: object) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    if not isinstance(value, Iterable):
        raise ConfigurationError(f"media_types must be a sequence, got {value!r}")
    items = cast("Iterable[object]", value)
    try:
        return tuple(str(item) for item in items)
    except TypeError:
        raise ConfigurationError(f"media_types must be a sequence, got {value!r}") from None


def _check_media_types(_: Config, attribute: attrs.Attribute[Any], value: tuple[str, ...]) -> None:
    unknown = [media_type for media_type in value if media_type not in _MEDIA_TYPES]
    if not value or unknown or len(set(value)) != len(value):
        raise ConfigurationError(
            f"media_types must name each of {', '.join(_MEDIA_TYPES)} at most once, most "
            f"preferred first; got {value!r}"
        )


def _to_mappings(value: object) -> dict[type[BaseException], ProblemFactory]:
    if not isinstance(value, Mapping):
        raise ConfigurationError(
            f"mappings must map exception classes to problem classes or factories, got {value!r}"
        )
    mappings: dict[type[BaseException], ProblemFactory] = {}
    table = cast("Mapping[object, object]", value)
    for key, target in table.items():
        exception = _import(key, "mappings")
        factory: object = _import(target, f"mappings[{key!r}]")
        if not isinstance(exception, type) or not issubclass(exception, BaseException):
            raise ConfigurationError(f"mappings: {key!r} is not an exception class")
        if not callable(factory):
            raise ConfigurationError(
                f"mappings[{exception.__name__}] must be a problem class or a callable taking "
                f"the exception, got {factory!r}"
            )
        if isinstance(factory, type) and issubclass(factory, Problem):
            required = [f.name for f in attrs.fields(factory) if f.default is attrs.NOTHING]
            if required:
                raise ConfigurationError(
                    f"mappings[{exception.__name__}]: {factory.__name__} needs members "
                    f"{', '.join(required)}; map to a callable that builds it from the exception"
                )
        mappings[exception] = cast("ProblemFactory", factory)
    return mappings


def _to_hooks(value: object) -> tuple[ReportHook, ...]:
    hooks = (value,) if callable(value) or isinstance(value, str) else value
    try:
        hooks = tuple(_import(hook, "report_hooks") for hook in hooks)  # type: ignore[attr-defined]
    except TypeError:
        raise ConfigurationError(
            f"report_hooks must be a sequence of callables, got {value!r}"
        ) from None
    for hook in hooks:
        if not callable(hook):
            raise ConfigurationError(f"report_hooks: {hook!r} is not callable")
    return hooks


def _check_timeout(_: Config, attribute: attrs.Attribute[Any], value: object) -> None:
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value <= 60  # noqa: PLR2004
    ):
        raise ConfigurationError(
            f"report_timeout must be None or seconds in (0, 60], got {value!r}"
        )


def _to_upstream_status(value: object) -> int:
    # HTTPStatus.BAD_GATEWAY and other int subclasses count by their value.
    if isinstance(value, int) and not isinstance(value, bool) and 500 <= value <= 599:  # noqa: PLR2004
        return int(value)
    raise ConfigurationError(
        f"upstream_status must be a 5xx status such as 502 (Bad Gateway), 503 or 504, got {value!r}"
    )


def _to_log_level(value: object) -> int:
    if isinstance(value, str) and value.upper() in LOG_LEVELS:
        return LOG_LEVELS[value.upper()]
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return int(value)
    raise ConfigurationError(
        f"problem_log_level must be a logging level such as logging.WARNING or 'WARNING', "
        f"got {value!r}"
    )


def _check_logger_name(_: Config, attribute: attrs.Attribute[Any], value: object) -> None:
    if not isinstance(value, str) or not value:
        raise ConfigurationError(f"logger_name must be a non-empty string, got {value!r}")


# Settings whose string values name an object to import.
_IMPORTABLE = frozenset(("flow_id_factory", "instance"))


@attrs.frozen(kw_only=True)
class Config:
    """The settings of a `ProblemHandler`, validated when built.

    Every adapter builds one at set-up, from keyword arguments, Flask's
    ``app.config`` (``PROBLEMDETAILS_*`` keys) or Django's ``PROBLEMDETAILS``
    dict, through `Config.from_mapping`.

    Attributes:
        debug: add the exception's type, message and traceback to the generic
            500. For development only; off by default, whatever the framework's
            own debug flag says.
        flow_id_header: request header read for an incoming flow id, and
            response header the flow id is sent in; None turns both off.
        flow_id_member: member name of the flow id in the body.
        flow_id_max_length: longest incoming flow id echoed; longer ones, or
            ones with characters outside ``A-Za-z0-9._~+/=:-``, are replaced by
            a generated id.
        flow_id_factory: makes a new flow id.
        instance: fills ``instance`` when a problem has none: ``"path"`` or
            ``"url"`` of the request, or a callable taking the `RequestInfo`.
            None (the default) leaves it out. It is always a URI reference: a
            path or URL that is none is left out, and a callable returning
            one that is none fails the response (the minimal 500).
        type_base_uri: absolute URI that relative type URIs are resolved
            against when rendering and parsing.
        media_types: representations offered to ``Accept`` negotiation, the
            fallback first.
        text_max_length: longest ``title`` or ``detail`` sent, in characters;
            longer ones are cut and end in an ellipsis (an upstream error
            message of megabytes must not become the response). None sends
            them whole.
        mappings: exception class -> problem class or factory; the most
            specific class in an exception's MRO wins.
        report_hooks: callables given an `ErrorReport` for every 5xx.
        report_timeout: seconds a request waits for the hooks; None runs them
            inline and waits.
        logger_name: logger that server errors are logged on.
        problem_log_level: level of the record of a declared 5xx problem
            (raised or returned on purpose, such as a 503 with
            ``Retry-After``): WARNING by default. A problem type's own
            ``log_level`` wins; unexpected exceptions are always logged at
            ERROR, 4xx problems at DEBUG. A level number or name.
        upstream_status: status of the problem that a problem received from
            another service becomes when it escapes a view unmapped (502 Bad
            Gateway by default; 503 or 504 are common too).

    Raises:
        ConfigurationError: a setting is wrong; the message says how to fix it.
    """

    debug: bool = attrs.field(default=False, validator=_check_bool)
    flow_id_header: str | None = attrs.field(default="X-Flow-ID", validator=_check_header)
    flow_id_member: str = attrs.field(default="flow_id", validator=_check_member)
    flow_id_max_length: int = attrs.field(default=DEFAULT_MAX_LENGTH, validator=_check_max_length)
    flow_id_factory: Callable[[], str] = attrs.field(default=new_flow_id, validator=_check_callable)
    instance: InstanceSource = attrs.field(default=None, validator=_check_instance)
    type_base_uri: str | None = attrs.field(default=None, validator=_check_base_uri)
    media_types: tuple[str, ...] = attrs.field(
        default=_MEDIA_TYPES, converter=_to_media_types, validator=_check_media_types
    )
    text_max_length: int | None = attrs.field(
        default=DEFAULT_TEXT_MAX_LENGTH, validator=_check_text_max_length
    )
    mappings: Mapping[type[BaseException], ProblemFactory] = attrs.field(
        factory=dict[type[BaseException], ProblemFactory], converter=_to_mappings
    )
    report_hooks: tuple[ReportHook, ...] = attrs.field(default=(), converter=_to_hooks)
    report_timeout: float | None = attrs.field(default=None, validator=_check_timeout)
    logger_name: str = attrs.field(default="problemdetails", validator=_check_logger_name)
    problem_log_level: int = attrs.field(default=LOG_LEVELS["WARNING"], converter=_to_log_level)
    upstream_status: int = attrs.field(default=502, converter=_to_upstream_status)

    @classmethod
    def from_mapping(
        cls, settings: Mapping[str, Any], *, source: str = "settings", base: Config | None = None
    ) -> Config:
        """Build a config from a settings mapping; keys match field names in any case.

        Callables and exception classes may be given as dotted import paths.

        Args:
            settings: e.g. ``{"DEBUG": False, "FLOW_ID_HEADER": "X-Request-ID"}``.
            source: where the settings came from, for error messages.
            base: the config whose fields the settings override (layered
                set-up, e.g. a `Config` object, then Flask's ``app.config``,
                then keyword arguments); the defaults when omitted.

        Raises:
            ConfigurationError: an unknown key or a wrong value.
        """
        names = {field.name for field in attrs.fields(cls)}
        kwargs: dict[str, Any] = {}
        given: dict[str, object] = {}
        for key, value in settings.items():
            if not isinstance(key, str):  # pyright: ignore[reportUnnecessaryIsInstance]
                raise ConfigurationError(f"{source}: setting names are strings, got {key!r}")
            name = key.lower()
            if name not in names:
                raise ConfigurationError(
                    f"{source}: unknown setting {key!r}; known settings are "
                    f"{', '.join(sorted(n.upper() for n in names))}"
                )
            if name in given:
                raise ConfigurationError(
                    f"{source}: {given[name]!r} and {key!r} are the same setting; give it once"
                )
            given[name] = key
            if name in _IMPORTABLE and value not in ("path", "url"):
                value = _import(value, f"{source}[{key!r}]")  # noqa: PLW2901
            kwargs[name] = value
        try:
            return cls(**kwargs) if base is None else attrs.evolve(base, **kwargs)
        except ConfigurationError as error:
            raise ConfigurationError(f"{source}: {error}") from None

    def evolve(self, **changes: Any) -> Config:
        """Return a copy with *changes* applied (and validated).

        Raises:
            ConfigurationError: a name that is no setting, or a wrong value.
        """
        names = {field.name for field in attrs.fields(Config)}
        unknown = sorted(set(changes) - names)
        if unknown:
            raise ConfigurationError(
                f"unknown setting {', '.join(unknown)}; known settings are "
                f"{', '.join(sorted(names))}"
            )
        return attrs.evolve(self, **changes)
