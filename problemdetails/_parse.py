"""Parse: a problem document back into a problem, as RFC 9457 asks consumers to."""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, NoReturn, cast

from ._convert import structure_plan
from ._errors import ProblemParseError
from ._problem import ABOUT_BLANK, Problem, lenient_construction
from ._registry import ProblemRegistry
from ._registry import registry as default_registry

if TYPE_CHECKING:
    import json

DEFAULT_MAX_BYTES = 1024 * 1024
DEFAULT_MAX_DEPTH = 32


def _too_deep(value: object, max_depth: int) -> bool:
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children: Iterable[object]
        if isinstance(item, dict):
            children = cast("dict[str, object]", item).values()
        elif isinstance(item, list):
            children = cast("list[object]", item)
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if type(child) in (dict, list))
    return False


def _no_constant(name: str) -> NoReturn:
    # Python's decoder accepts NaN, Infinity and -Infinity; JSON has none of them.
    raise ValueError(f"{name} is not a JSON value (RFC 8259 section 6)")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"the number {text[:40]} is beyond what a float holds")
    return number


@functools.cache
def _decoder() -> json.JSONDecoder:
    # Built once (json.loads with hooks would build a decoder on every call),
    # on first use: importing json is not free.
    import json  # noqa: PLC0415

    return json.JSONDecoder(parse_constant=_no_constant, parse_float=_finite_float)


def _text(document: bytes | str) -> str:
    # What json.loads does with bytes: UTF-8, -16 or -32, told apart by their first bytes.
    if isinstance(document, str):
        return document
    from json import detect_encoding  # noqa: PLC0415 - see _decoder

    return document.decode(detect_encoding(document), "surrogatepass")


def load_document(
    document: bytes | str | Mapping[str, Any],
    *,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> dict[str, Any]:
    """Decode *document* into a JSON object, within the size and depth limits.

    ``NaN``, ``Infinity`` and numbers beyond a float's range are not JSON a
    problem can carry (RFC 8259 section 6): such a document is refused.

    Raises:
        ProblemParseError: too large, not JSON, too deep, or not an object.
    """
    members: object
    if isinstance(document, Mapping):
        members = dict(document)
        opened = max_depth + 1  # no text to count: walk it
    else:
        if len(document) > max_bytes:
            raise ProblemParseError(
                f"problem document of {len(document)} bytes exceeds the limit of {max_bytes}; "
                "raise max_bytes if such documents are expected",
                reason="size",
            )
        try:
            text = _text(document)
            members = _decoder().decode(text)
        except RecursionError:
            raise ProblemParseError(
                f"problem document nests deeper than {max_depth} levels", reason="depth"
            ) from None
        except UnicodeDecodeError as error:
            raise ProblemParseError(
                f"problem document is not UTF-8, UTF-16 or UTF-32 text: {error}", reason="encoding"
            ) from None
        except (ValueError, TypeError) as error:
            raise ProblemParseError(
                f"problem document is not valid JSON: {error}", reason="json"
            ) from None
        # Each level of nesting opens with a bracket of its own: a text with
        # no more brackets than max_depth cannot nest deeper, and is not walked.
        opened = text.count("{") + text.count("[")
    # Depth first, for any JSON value: whether the decoder itself gave up on
    # it depends on the Python version, and the answer must not.
    if opened > max_depth and _too_deep(members, max_depth):
        raise ProblemParseError(
            f"problem document nests deeper than {max_depth} levels", reason="depth"
        )
    if not isinstance(members, dict):
        raise ProblemParseError(
            f"a problem document is a JSON object, got {type(members).__name__}",
            reason="not-object",
        )
    return cast("dict[str, Any]", members)


def _status(value: object) -> int | None:
    return value if type(value) is int and 400 <= value <= 599 else None  # noqa: PLR2004


def parse_problem(
    document: bytes | str | Mapping[str, Any],
    *,
    status: int | None = None,
    registry: ProblemRegistry | None = None,
    base_uri: str | None = None,
    flow_id_member: str = "flow_id",
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_depth: int = DEFAULT_MAX_DEPTH,
) -> Problem:
    """Turn a problem document into an instance of its registered class.

    The class is looked up by ``type`` (relative URIs resolved against
    *base_uri*); unknown types, and types no URI parser can resolve, give a
    plain `Problem`. Members of the wrong JSON type are ignored (RFC 9457
    section 3.1), never coerced: a string is no ``list[str]``, ``true`` is
    no ``int``; members the class does not declare are kept in
    ``extensions``. If the document lacks a member the class requires (or
    has it only with the wrong type), a plain `Problem` keeps everything
    instead.

    Args:
        document: JSON bytes or text, or an already decoded object.
        status: the HTTP status of the response, which wins over the
            advisory ``status`` member.
        registry: where to look classes up; the default registry if omitted.
        base_uri: base for relative type URIs (for a client: the request URL).
        flow_id_member: the member that carries the correlation id.
        max_bytes: largest document accepted.
        max_depth: deepest nesting of objects and arrays accepted.

    Raises:
        ProblemParseError: the document is not JSON (``NaN``, ``Infinity`` and
            numbers past a float's range included), not an object, too large
            or too deep.
    """
    members = load_document(document, max_bytes=max_bytes, max_depth=max_depth)
    cls, type_uri, standard = split_members(
        members, status=status, registry=registry, base_uri=base_uri, flow_id_member=flow_id_member
    )
    with lenient_construction():
        if cls is not None:
            try:
                return cls(**standard, **declared_arguments(cls, members))
            except Exception:  # noqa: BLE001, S110 - a required member is missing or invalid
                pass
        return Problem(type=type_uri, extensions=members, **standard)


def split_members(
    members: dict[str, Any],
    *,
    status: int | None = None,
    registry: ProblemRegistry | None = None,
    base_uri: str | None = None,
    flow_id_member: str = "flow_id",
) -> tuple[type[Problem] | None, str, dict[str, Any]]:
    """Take the standard members out of a decoded document, and find its class.

    The first step of `parse_problem`, for callers that build the problem
    themselves: *members* keeps only the extension members afterwards.

    Returns:
        The registered class of the document's ``type`` (None for unknown
        types and ``about:blank``), the type URI (``about:blank`` when the
        document has none of type string), and the standard members of the
        right types, as keyword arguments of a problem class.
    """
    pop = members.pop
    type_uri = pop("type", None)
    cls = None
    if not isinstance(type_uri, str):
        type_uri = ABOUT_BLANK
    elif type_uri != ABOUT_BLANK:
        lookup = registry if registry is not None else default_registry
        cls = lookup.get(type_uri, base_uri=base_uri)

    body_status = _status(pop("status", None))
    chosen_status = _status(status) or body_status
    standard: dict[str, Any] = {} if chosen_status is None else {"status": chosen_status}
    # Unrolled: this runs for every problem a client receives.
    title = pop("title", None)
    if isinstance(title, str):
        standard["title"] = title
    detail = pop("detail", None)
    if isinstance(detail, str):
        standard["detail"] = detail
    instance = pop("instance", None)
    if isinstance(instance, str):
        standard["instance"] = instance
    flow_id = members.get(flow_id_member)
    if isinstance(flow_id, str):
        standard["flow_id"] = flow_id
        del members[flow_id_member]
    return cls, type_uri, standard


def declared_arguments(cls: type[Problem], members: Mapping[str, Any]) -> dict[str, Any]:
    """Return the keyword arguments of *cls* for the extension *members* of a document.

    Declared members are structured to their declared types; one of the wrong
    type is left out (RFC 9457 section 3.1), not kept as an extension. The
    members *cls* does not declare go to ``extensions``.
    """
    arguments: dict[str, Any] = {}
    for name, hook, kind in structure_plan(cls):
        if name in members:
            try:
                arguments[name] = hook(members[name], kind)
            except Exception:  # noqa: BLE001, S112 - a wrong-typed member is ignored
                continue
    fields = cls.__problem_fields__
    arguments["extensions"] = {name: value for name, value in members.items() if name not in fields}
    return arguments
