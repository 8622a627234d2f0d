"""Problem types every API needs: the generic 500, validation errors, Retry-After."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Any, ClassVar

import attrs

from ._errors import InvalidProblemError
from ._problem import Problem

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


# RFC 6901 JSON Pointer, in its plain or URI-fragment form ("/a/0", "#/a/0").
_POINTER = re.compile(r"#?(?:/(?:[^~/]|~[01])*)*")


def _validate_pointer(
    instance: object, attribute: attrs.Attribute[str | None], value: object
) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _POINTER.fullmatch(value):
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

    detail: str
    pointer: str | None = attrs.field(default=None, validator=_validate_pointer)


def _to_list(errors: Iterable[FieldError]) -> list[FieldError]:
    return list(errors)


class ValidationProblem(
    Problem,
    type="urn:problemdetails:validation-error",
    title="Your request is not valid.",
    status=422,
):
    """The request content failed validation; ``errors`` says where and why.

    Example:
        >>> ValidationProblem(errors=[FieldError(detail="must be positive", pointer="#/age")])
        ... # doctest: +SKIP
    """

    errors: Sequence[FieldError] = attrs.field(factory=list[FieldError], converter=_to_list)


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
    if type(value) is not int or value < 0:
        raise InvalidProblemError(
            f"retry_after must be whole seconds (an int >= 0) or an aware datetime, got {value!r}"
        )


def retry_after_header(value: int | datetime) -> str:
    """Format *value* as a ``Retry-After`` header value (seconds or HTTP-date)."""
    if isinstance(value, datetime):
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
