"""Read ``application/problem+xml`` (RFC 9457 appendix B), defensively.

The parser is expat with every DTD refused: no document type declaration,
hence no entity of any kind, internal or external, so neither entity
expansion ("billion laughs") nor external fetches can happen, whatever the
expat version. Size and depth are limited as for JSON.

RFC 9457's XML carries no types: members arrive as text, arrays as ``<i>``
children, objects as child elements. ``status`` becomes an int when it is
ASCII digits; members the registered class declares as int, float or bool
(in lists, tuples, sets, dict values and nested attrs classes too) are
converted when their text spells such a value in JSON's grammar, and an
empty element declared as an array or object is an empty one. Other text
stays text: a member of the wrong type, which the parser ignores.
"""

from __future__ import annotations

import collections
import enum
import math
import re
import types
import typing
from collections.abc import (
    Collection,
    Iterable,
    Mapping,
    MutableMapping,
    MutableSequence,
    MutableSet,
    Sequence,
)
from collections.abc import Set as AbstractSet
from typing import Any, NoReturn

import attrs

from problemdetails._errors import ProblemParseError
from problemdetails._media_types import XML_NAMESPACE

_ROOT = f"{XML_NAMESPACE} problem"
_STATUS = re.compile(r"[ \t\r\n]*([0-9]{1,3})[ \t\r\n]*")
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
    # Imported here: most problems are JSON, and pyexpat is needed only for XML.
    from xml.parsers import expat  # noqa: PLC0415

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
    # Only ASCII digits make a status: "²" or "٤٠٣" are text, a member of the
    # wrong type that the parser ignores.
    digits = _STATUS.fullmatch(status) if isinstance(status, str) else None
    if digits is not None:
        members["status"] = int(digits.group(1))
    return members


# XML white space (production S of XML 1.0) around a value is no part of it.
_SPACE = " \t\r\n"
_INT = re.compile(r"-?[0-9]+")
# JSON's number grammar (which the server's str() of an int or float keeps
# to), not Python's: no "nan", "inf", "1_000" or digits of other scripts.
_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")
_BOOLEANS = {"true": True, "false": False}

_ARRAYS: frozenset[Any] = frozenset(
    (
        list,
        tuple,
        set,
        frozenset,
        collections.deque,
        Collection,
        Iterable,
        Sequence,
        MutableSequence,
        AbstractSet,
        MutableSet,
    )
)
_OBJECTS: frozenset[Any] = frozenset(
    (dict, Mapping, MutableMapping, collections.OrderedDict, collections.Counter)
)
_NO_VALUE = object()


def _scalar(kind: Any, text: str) -> Any:
    """Return *text* as a *kind* (int, float or bool) if it spells one; else _NO_VALUE."""
    text = text.strip(_SPACE)
    if kind is bool:
        return _BOOLEANS.get(text, _NO_VALUE)
    if kind is int:
        if not _INT.fullmatch(text):
            return _NO_VALUE
        try:
            return int(text)
        except ValueError:  # more digits than int() converts
            return _NO_VALUE
    if not _NUMBER.fullmatch(text):
        return _NO_VALUE
    number = float(text)
    return number if math.isfinite(number) else _NO_VALUE


def _union(options: Sequence[Any], value: Any) -> Any:
    # Text is converted by the first option whose form it has ("120" is the
    # int of int | datetime); text no option converts stays text.
    for option in options:
        if option is str and isinstance(value, str):
            return value
        converted = _convert(option, value)
        if converted is not value:
            return converted
    return value


def _as_text(value: object) -> str:
    """Return *value* as the server's XML renders it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _choice(choices: Iterable[object], value: Any) -> Any:
    # Literal and Enum values: the one whose rendering the text is.
    if not isinstance(value, str):
        return value
    text = value.strip(_SPACE)
    return next((choice for choice in choices if _as_text(choice) == text), value)


def _convert(kind: Any, value: Any) -> Any:  # noqa: PLR0911 - one return per kind of annotation
    """Return *value* (as the XML loader built it) converted toward *kind*."""
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin is typing.Annotated:
        return _convert(args[0], value)
    if origin in (typing.Union, types.UnionType):
        return _union([arg for arg in args if arg is not type(None)], value)
    if origin is typing.Literal:
        return _choice(args, value)
    if kind in (int, float, bool):
        converted = _scalar(kind, value) if isinstance(value, str) else _NO_VALUE
        return value if converted is _NO_VALUE else converted
    container = origin if origin is not None else kind
    if container in _ARRAYS:
        return _array(container, args, value)
    if container in _OBJECTS:
        return _object(container, args, value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return _choice((member.value for member in kind), value)
    if isinstance(kind, type) and attrs.has(kind):
        return _attrs_object(kind, value)
    return value


def _blank(value: Any) -> bool:
    return isinstance(value, str) and not value.strip(_SPACE)


def _list(value: object) -> list[Any] | None:
    if type(value) is not list:
        return None
    items: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
    return items


def _dict(value: object) -> dict[str, Any] | None:
    if type(value) is not dict:
        return None
    members: dict[str, Any] = value  # pyright: ignore[reportUnknownVariableType]
    return members


def _array(container: Any, args: tuple[Any, ...], value: Any) -> Any:
    if _blank(value):  # an empty array is an empty element
        return []
    items = _list(value)
    if items is None or not args:
        return value
    if container is not tuple or (len(args) == 2 and args[1] is Ellipsis):  # noqa: PLR2004
        return [_convert(args[0], item) for item in items]
    if len(args) != len(items):
        return value
    return [_convert(arg, item) for arg, item in zip(args, items, strict=True)]


def _object(container: Any, args: tuple[Any, ...], value: Any) -> Any:
    if _blank(value):  # an empty object is an empty element
        return {}
    members = _dict(value)
    counter = container is collections.Counter and len(args) == 1  # it counts with ints
    item_type = args[1] if len(args) == 2 else int if counter else None  # noqa: PLR2004
    if members is None or item_type is None:
        return value
    return {key: _convert(item_type, item) for key, item in members.items()}


def _attrs_object(kind: type, value: Any) -> Any:
    if _blank(value):
        return {}  # an object whose members were all left out
    members = _dict(value)
    if members is None:
        return value
    try:
        fields = attrs.fields(attrs.resolve_types(kind))
    except Exception:  # noqa: BLE001 - annotations that do not resolve: leave the text
        return value
    return {
        name: _convert(next((f.type for f in fields if f.name == name), None), item)
        for name, item in members.items()
    }


def typed_members(members: dict[str, Any], plan: Sequence[tuple[str, Any, Any]]) -> dict[str, Any]:
    """Convert declared members from XML text to their JSON types (see the module doc).

    Only text that spells a value of the declared type is converted; other
    text stays text, a member of the wrong type that the parser ignores.
    """
    for name, _, kind in plan:
        if name in members:
            try:
                members[name] = _convert(kind, members[name])
            except Exception:  # noqa: BLE001, S112 - an annotation of a shape unforeseen: text stays
                continue
    return members
