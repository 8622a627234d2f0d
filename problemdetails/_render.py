"""Render: a problem to its member dict, then to JSON or XML bytes."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, cast

from ._convert import get_converter, unstructure_plan
from ._media_types import JSON_MEDIA_TYPE, XML_MEDIA_TYPE, XML_NAMESPACE
from ._problem import EMPTY, Problem, truncate_text
from ._uri import resolve

if TYPE_CHECKING:
    import json

__all__ = [
    "JSON_MEDIA_TYPE",
    "XML_MEDIA_TYPE",
    "XML_NAMESPACE",
    "problem_to_dict",
    "to_json",
    "to_xml",
]


def _stdlib_json(members: dict[str, Any]) -> bytes:
    return _standard_encoder().encode(members).encode("ascii")


@functools.cache
def _standard_encoder() -> json.JSONEncoder:
    # Compact, ASCII-only output: escaping non-ASCII (and lone surrogates)
    # means encoding can never fail; NaN and Infinity are not JSON, so they
    # raise here and the pipeline falls back to the minimal 500 instead of
    # sending bad JSON. Made on first use: importing json is not free.
    import json  # noqa: PLC0415

    return json.JSONEncoder(separators=(",", ":"), allow_nan=False)


def _orjson_backend() -> Callable[[dict[str, Any]], bytes] | None:
    """Return the orjson encoder when orjson is installed (the ``orjson`` extra), else None."""
    try:
        import orjson  # noqa: PLC0415 - optional: used when installed
    except ImportError:
        return None
    dumps = orjson.dumps
    # A Fragment is JSON text orjson would send as it is, unchecked: refused,
    # as the standard encoder refuses it.
    get_converter().register_unstructure_hook(orjson.Fragment, _refuse_fragment)
    # What the standard encoder refuses, orjson must refuse too (subclasses,
    # dataclasses and datetimes it would encode by itself); the standard one
    # then decides, so that both send the same document or both fail.
    options = (
        orjson.OPT_PASSTHROUGH_SUBCLASS
        | orjson.OPT_PASSTHROUGH_DATACLASS
        | orjson.OPT_PASSTHROUGH_DATETIME
    )

    def orjson_json(members: dict[str, Any]) -> bytes:
        try:
            body: bytes = dumps(members, option=options)
        except Exception:  # noqa: BLE001 - integers past 64 bits, lone surrogates, other keys
            return _stdlib_json(members)
        # orjson writes NaN and Infinity as null, where the standard encoder
        # refuses them: a body with a null in it is encoded again the
        # standard way (rare: None members are left out of documents).
        return _stdlib_json(members) if b"null" in body else body

    return orjson_json


def _refuse_fragment(value: object) -> NoReturn:
    raise TypeError("an orjson.Fragment is raw JSON text; problem members are values")


def _first_encode(members: dict[str, Any]) -> bytes:
    # orjson is looked for on first use, not at import: importing it loads
    # uuid, datetime and more, which an application may never need.
    global _encode  # noqa: PLW0603 - chosen once
    _encode = _orjson_backend() or _stdlib_json
    return _encode(members)


_encode: Callable[[dict[str, Any]], bytes] = _first_encode


def _text(value: object, limit: int | None) -> str:
    text = value if type(value) is str else str(value)
    return text if limit is None or len(text) <= limit else truncate_text(text, limit)


def problem_to_dict(
    problem: Problem,
    *,
    flow_id_member: str = "flow_id",
    flow_id: str | None = None,
    instance: str | None = None,
    base_uri: str | None = None,
    text_max_length: int | None = None,
) -> dict[str, Any]:
    """Return the members of *problem* as a JSON-ready dict.

    Standard members come first in RFC order, then the flow id, the declared
    extension members and the free-form ones. Members that are None are left
    out. *instance* fills that member when the problem has none; *flow_id* is
    the flow id to send (the pipeline has validated it, or the problem's own),
    and the problem's own ``flow_id`` is used only when it is None. ``title``
    and ``detail`` longer than *text_max_length* are cut, ending in an ellipsis.
    """
    members: dict[str, Any] = {
        "type": problem.type if base_uri is None else resolve(problem.type, base_uri)
    }
    # Lazy translation strings become text here, in the active language.
    title = problem.title
    if title is not None:
        members["title"] = _text(title, text_max_length)
    members["status"] = problem.status
    detail = problem.detail
    if detail is not None:
        members["detail"] = _text(detail, text_max_length)
    instance = problem.instance or instance
    if instance is not None:
        members["instance"] = instance
    flow_id = flow_id or problem.flow_id
    if flow_id is not None:
        members[flow_id_member] = flow_id
    for name, hook in unstructure_plan(type(problem)):
        value = getattr(problem, name)
        if value is not None:
            members[name] = value if hook is None else hook(value)
    extensions = problem.extensions
    if extensions is not EMPTY:
        for name, value in extensions.items():
            if value is not None and name not in members:
                members[name] = get_converter().unstructure(value)
    return members


def to_json(members: dict[str, Any]) -> bytes:
    """Encode a member dict as an ``application/problem+json`` body (UTF-8).

    With orjson installed (the ``orjson`` extra) it encodes the body; what
    orjson cannot encode as the standard library would (integers past 64
    bits, lone surrogates, keys that are not strings, NaN) is encoded by the
    standard library, so the document is the same either way. Raises
    ValueError or TypeError for values JSON cannot carry (NaN, Infinity,
    other types), with either encoder.
    """
    return _encode(members)


# XML 1.0 forbids most control characters even as references; they become
# U+FFFD so that no member value can make the document ill-formed.
_XML_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_XML_NAME = re.compile(r"(?![Xx][Mm][Ll])[A-Za-z_][A-Za-z0-9._-]*")
_XML_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _xml_text(value: str) -> str:
    return _XML_FORBIDDEN.sub("\ufffd", value).translate(_XML_ESCAPES)


def _xml_value(value: Any, out: list[str]) -> None:
    if isinstance(value, dict):
        for key, item in cast("dict[object, object]", value).items():
            _xml_element(key, item, out)
    elif isinstance(value, (list, tuple)):
        for item in cast("list[object]", value):
            _xml_element("i", item, out)
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, str):
        out.append(_xml_text(value))
    elif value is not None:
        out.append(_xml_text(str(value)))


def _xml_element(name: object, value: Any, out: list[str]) -> None:
    # Member names that are not XML names have no element to live in
    # (RFC 9457 appendix B maps members to elements by name).
    if not isinstance(name, str) or not _XML_NAME.fullmatch(name):
        return
    out.append(f"<{name}>")
    _xml_value(value, out)
    out.append(f"</{name}>")


def to_xml(members: dict[str, Any]) -> bytes:
    """Encode a member dict as ``application/problem+xml`` (RFC 9457 appendix B)."""
    out = [f'<?xml version="1.0" encoding="UTF-8"?><problem xmlns="{XML_NAMESPACE}">']
    _xml_value(members, out)
    out.append("</problem>")
    return "".join(out).encode("utf-8", "replace")
