"""Read ``application/problem+xml`` (RFC 9457 appendix B), defensively.

The parser is expat with every DTD refused: no document type declaration,
hence no entity of any kind, internal or external, so neither entity
expansion ("billion laughs") nor external fetches can happen, whatever the
expat version. Size and depth are limited as for JSON.

RFC 9457's XML carries no types: members arrive as text, arrays as ``<i>``
children, objects as child elements. ``status`` becomes an int; members the
registered class declares as int, float or bool (or lists of them) are
converted when their text allows it, other text stays text.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterable, Sequence
from typing import Any, NoReturn, cast
from xml.parsers import expat

from ._errors import ProblemParseError
from ._render import XML_NAMESPACE

_ROOT = f"{XML_NAMESPACE} problem"
_ITEM = f"{XML_NAMESPACE} i"


class _Refused(Exception):  # noqa: N818 - internal signal, never escapes
    pass


def _refuse(*_: object) -> NoReturn:
    raise _Refused


class _Builder:
    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        # Each open element: (name, children as (name, value) pairs, text parts).
        self.stack: list[tuple[str, list[tuple[str, Any]], list[str]]] = []
        self.root: Any = None

    def start(self, name: str, _: object) -> None:
        if len(self.stack) >= self.max_depth:
            raise ProblemParseError(
                f"problem document nests deeper than {self.max_depth} levels", reason="depth"
            )
        self.stack.append((name, [], []))

    def text(self, data: str) -> None:
        if self.stack:
            self.stack[-1][2].append(data)

    def end(self, _: str) -> None:
        name, children, text = self.stack.pop()
        value: Any
        if not children:
            value = "".join(text)
        elif all(child == _ITEM for child, _ in children):
            value = [item for _, item in children]
        else:
            value = {_local(child): item for child, item in children}
        if self.stack:
            self.stack[-1][1].append((name, value))
        else:
            self.root = (name, value)


def _local(name: str) -> str:
    return name.rpartition(" ")[2]


def load_xml_document(data: bytes, *, max_bytes: int, max_depth: int) -> dict[str, Any]:
    """Decode an ``application/problem+xml`` body into a member dict.

    Raises:
        ProblemParseError: too large, too deep, not well-formed XML, has a
            DTD, or is not a ``problem`` element in RFC 9457's namespace.
    """
    if len(data) > max_bytes:
        raise ProblemParseError(
            f"problem document of {len(data)} bytes exceeds the limit of {max_bytes}; "
            "raise max_bytes if such documents are expected",
            reason="size",
        )
    builder = _Builder(max_depth)
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.text
    try:
        parser.Parse(data, True)
    except ProblemParseError:
        raise
    except _Refused:
        raise ProblemParseError(
            "problem document has a DTD, which problem+xml never needs; refused",
            reason="xml",
        ) from None
    except Exception as error:  # noqa: BLE001 - expat's errors (and unknown encodings) vary
        raise ProblemParseError(
            f"problem document is not well-formed XML: {error}", reason="xml"
        ) from None
    if builder.root is None or builder.root[0] != _ROOT or not isinstance(builder.root[1], dict):
        raise ProblemParseError(
            f"a problem+xml document is a <problem> element in namespace {XML_NAMESPACE}",
            reason="xml",
        )
    members: dict[str, Any] = builder.root[1]
    status = members.get("status")
    if isinstance(status, str) and status.strip().isdigit() and len(status.strip()) <= 3:  # noqa: PLR2004
        members["status"] = int(status.strip())
    return members


def _scalar(kind: Any, text: str) -> Any:
    text = text.strip()
    if kind is bool:
        return {"true": True, "false": False}.get(text, text)
    try:
        return kind(text)
    except ValueError:
        return text


def _convert(kind: Any, value: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = [arg for arg in typing.get_args(kind) if arg is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if kind in (int, float, bool) and isinstance(value, str):
        return _scalar(kind, value)
    args = typing.get_args(kind)
    homogeneous = len(args) == 1 or (len(args) == 2 and args[1] is Ellipsis)  # noqa: PLR2004
    if origin in (list, Sequence, tuple) and homogeneous and type(value) is list:
        return [_convert(args[0], item) for item in cast("Iterable[Any]", value)]
    return value


def typed_members(members: dict[str, Any], plan: Sequence[tuple[str, Any, Any]]) -> dict[str, Any]:
    """Convert the text of declared int, float and bool members (see the module doc)."""
    for name, _, kind in plan:
        if name in members:
            members[name] = _convert(kind, members[name])
    return members
