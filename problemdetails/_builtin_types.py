"""Problem types every API needs: the generic 500, failed upstreams, validation, Retry-After."""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timezone
from typing import Any, ClassVar, cast

import attrs

from ._errors import InvalidProblemError
from ._problem import Problem, constructing_leniently
from ._registry import registry

#: The fixed detail of the generic 500: nothing about the failure itself.
INTERNAL_ERROR_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)


class InternalError(Problem, status=500):
    """The generic 500 that any unexpected exception becomes.

    Its body is fixed text plus the flow id: the exception's message, repr and
    traceback never reach the client (unless the debug option is on).
    """

    __problem_detail__: ClassVar[str | None] = INTERNAL_ERROR_DETAIL


#: The fixed detail of the problem an escaped upstream problem becomes.
UPSTREAM_ERROR_DETAIL = (
    "A service this server depends on failed, so the request could not be completed."
)


class UpstreamError(Problem, status=502):
    """What a problem received from another service becomes when it escapes a view.

    A received problem (raised by ``problemdetails.client``) that nothing
    catches or maps is a failed dependency, not a problem this API declared:
    the client gets this fixed problem, with the ``upstream_status`` setting's
    status (502 Bad Gateway by default), and nothing of the upstream's
    document; the log record carries the upstream's status, type, flow id and
    URL. To pass a specific upstream problem on, map its class with
    ``mappings``.
    """

    __problem_detail__: ClassVar[str | None] = UPSTREAM_ERROR_DETAIL


@functools.cache
def _pointer() -> re.Pattern[str]:
    # RFC 6901 JSON Pointer, in its plain or URI-fragment form ("/a/0",
    # "#/a/0"); compiled when first needed, as few problems carry one.
    return re.compile(r"#?(?:/(?:[^~/]|~[01])*)*")


def _validate_pointer(
    instance: object, attribute: attrs.Attribute[str | None], value: object
) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _pointer().fullmatch(value):
        raise InvalidProblemError(
            f"pointer must be a JSON Pointer (RFC 6901) such as '#/items/0/name', got {value!r}"
        )


def json_pointer(*path: str | int) -> str:
    """Build the URI-fragment JSON Pointer that RFC 9457's ``errors`` use.

    Example:
        >>> json_pointer("items", 0, "name")
        '#/items/0/name'
    """
    escaped = (str(part).replace("~", "~0").replace("/", "~1") for part in path)
    return "#" + "".join("/" + part for part in escaped)


@attrs.frozen(kw_only=True)
class FieldError:
    """One entry of a `ValidationProblem`'s ``errors`` (RFC 9457 section 3).

    Attributes:
        detail: what is wrong with the value, for the client.
        pointer: JSON Pointer to the value in the request body, e.g.
            ``"#/age"``; build one with `json_pointer`.
    """

    detail: str = attrs.field(validator=attrs.validators.instance_of(str))
    pointer: str | None = attrs.field(default=None, validator=_validate_pointer)


_FIELD_ERROR_KEYS = frozenset(("detail", "pointer"))


def _field_error(error: object, index: int) -> object:
    if not isinstance(error, Mapping):
        return error  # checked against the declared type afterwards
    entry = cast("Mapping[object, object]", error)
    unknown = sorted(repr(key) for key in entry if key not in _FIELD_ERROR_KEYS)
    if unknown or "detail" not in entry:
        raise InvalidProblemError(
            f"errors[{index}] must be a FieldError, or a mapping with 'detail' (a string) and "
            f"optionally 'pointer' (a JSON Pointer); got keys {sorted(map(repr, entry))}"
        )
    detail, pointer = entry["detail"], entry.get("pointer")
    if not isinstance(detail, str):
        raise InvalidProblemError(
            f"errors[{index}]['detail'] must be a string, got {type(detail).__qualname__}"
        )
    return FieldError(detail=detail, pointer=pointer)  # type: ignore[arg-type]  # validated there


def _to_list(errors: Iterable[FieldError | Mapping[str, str]]) -> list[FieldError]:
    given = cast("object", errors)
    if isinstance(given, (str, bytes, Mapping)) or not isinstance(given, Iterable):
        kind = type(errors).__qualname__
        raise InvalidProblemError(f"errors must be a list of FieldError, got {kind}")
    try:
        return [_field_error(error, index) for index, error in enumerate(errors)]  # type: ignore[misc]
    except InvalidProblemError:
        raise
    except Exception as error:  # a mapping or iterable whose own methods fail
        raise InvalidProblemError(
            f"errors could not be read as FieldError entries ({type(error).__qualname__})"
        ) from error


class ValidationProblem(
    Problem,
    type="urn:problemdetails:validation-error",
    title="Your request is not valid.",
    status=422,
    registry=registry,
):
    """The request content failed validation; ``errors`` says where and why.

    Each entry is a `FieldError`, or a mapping with the same keys, turned
    into one: ``{"detail": "must be positive", "pointer": "#/age"}``.

    Example:
        >>> ValidationProblem(errors=[FieldError(detail="must be positive", pointer="#/age")])
        ... # doctest: +SKIP
    """

    errors: Sequence[FieldError] = attrs.field(factory=list[FieldError], converter=_to_list)


# About 31 years: no client waits longer, and the value must stay a number
# every JSON reader and HTTP client can hold.
_MAX_RETRY_AFTER = 10**9


def _validate_retry_after(instance: object, attribute: Any, value: object) -> None:
    if value is None:
        return
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise InvalidProblemError(
                "retry_after must be an aware datetime (e.g. datetime.now(timezone.utc)); "
                "a naive one would be sent in the server's local time"
            )
        return
    # A received document keeps what it says (the client decides what a wait
    # beyond reason means); only a producer is held to the bound.
    limit = None if constructing_leniently() else _MAX_RETRY_AFTER
    if type(value) is not int or value < 0 or (limit is not None and value > limit):
        bits = value.bit_length() if isinstance(value, int) else 0
        # A number too long for str() is described, not shown.
        shown = f"an int of {bits} bits" if bits > 64 else repr(value)  # noqa: PLR2004
        raise InvalidProblemError(
            f"retry_after must be whole seconds (an int from 0 to {_MAX_RETRY_AFTER}) or an "
            f"aware datetime, got {shown}"
        )


def retry_after_header(value: int | datetime) -> str:
    """Format *value* as a ``Retry-After`` header value (seconds or HTTP-date)."""
    if isinstance(value, datetime):
        # Imported here: email is a heavy import that only dates need.
        from email.utils import format_datetime  # noqa: PLC0415

        return format_datetime(value.astimezone(timezone.utc), usegmt=True)
    return str(value)


class RetryAfterProblem(Problem, status=503):
    """Base for problems that tell the client when to try again.

    ``retry_after`` (seconds, or an aware datetime) is sent as the
    ``Retry-After`` header and as the ``retry_after`` member.
    """

    retry_after: int | datetime | None = attrs.field(default=None, validator=_validate_retry_after)

    def http_headers(self) -> Iterable[tuple[str, str]]:
        """Add ``Retry-After`` to the headers of the base class."""
        yield from super().http_headers()
        if self.retry_after is not None:
            yield ("Retry-After", retry_after_header(self.retry_after))
