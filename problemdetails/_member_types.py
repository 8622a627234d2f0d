"""Declared member types as checks, compiled once per problem class.

A problem's extension members are checked against their annotations when
the problem is constructed: ``balance: int`` refuses ``"thirty"``, and
``accounts: list[str]`` refuses the string ``"notalist"`` (which JSON would
otherwise send as a list of letters). The checks follow JSON's types, as the
document will: ``int`` takes no ``bool``, ``float`` takes an ``int``, and a
sequence is never a string.

A type the checks do not understand (a type variable, a protocol, a
callable) is accepted as it is: the checks refuse only what is certainly
wrong.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any, Literal, Union, get_args, get_origin

import attrs

#: A compiled check: True when the value has the declared type.
Check = Callable[[object], bool]


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _instance_of(kind: type) -> Check:
    def check(value: object) -> bool:
        return isinstance(value, kind)

    return check


def _items(container: tuple[type, ...], refused: tuple[type, ...], item: Check | None) -> Check:
    # Strings and bytes are sequences to Python, never arrays to JSON.
    def check(value: object) -> bool:
        if not isinstance(value, container) or isinstance(value, refused):
            return False
        return item is None or all(item(element) for element in value)  # type: ignore[attr-defined]

    return check


def _fixed_tuple(items: tuple[Check | None, ...]) -> Check:
    def check(value: object) -> bool:
        if not isinstance(value, (tuple, list)):
            return False
        elements = typing.cast("tuple[object, ...] | list[object]", value)
        if len(elements) != len(items):
            return False
        return all(
            item is None or item(element) for item, element in zip(items, elements, strict=True)
        )

    return check


def _mapping(key: Check | None, item: Check | None) -> Check:
    def check(value: object) -> bool:
        if not isinstance(value, Mapping):
            return False
        entries: Mapping[object, object] = value  # pyright: ignore[reportUnknownVariableType]
        return all(
            (key is None or key(name)) and (item is None or item(element))
            for name, element in entries.items()
        )

    return check


def _any_of(checks: tuple[Check | None, ...]) -> Check | None:
    if any(check is None for check in checks):
        return None
    options = typing.cast("tuple[Check, ...]", checks)

    def check(value: object) -> bool:
        return any(option(value) for option in options)

    return check


def _literal(values: tuple[object, ...]) -> Check:
    # True == 1 in Python; a Literal[1] member must not take True.
    allowed = frozenset((type(value), value) for value in values)

    def check(value: object) -> bool:
        try:
            return (type(value), value) in allowed
        except TypeError:  # an unhashable value is none of the literals
            return False

    return check


_SCALARS: Mapping[object, Check | None] = {
    Any: None,
    object: None,
    int: _is_int,
    float: _is_number,
    bool: _instance_of(bool),
    str: _instance_of(str),
    type(None): _instance_of(type(None)),
}
_SEQUENCES: Mapping[object, tuple[type, ...]] = {
    list: (list,),
    Sequence: (list, tuple),
    typing.Sequence: (list, tuple),  # the old aliases are still seen in annotations
    set: (set, frozenset),
    frozenset: (frozenset, set),
    AbstractSet: (set, frozenset),
    typing.AbstractSet: (set, frozenset),
}
_MAPPINGS = frozenset((dict, Mapping, typing.Mapping, typing.Dict))  # noqa: UP006


def compile_check(kind: object) -> Check | None:  # noqa: PLR0911 - one return per kind
    """Return the check for values of the annotation *kind*; None accepts anything."""
    if kind in _SCALARS:
        return _SCALARS[kind]
    origin = get_origin(kind)
    args = get_args(kind)
    if origin is typing.Annotated:
        return compile_check(args[0])
    if origin is Union or origin is types.UnionType:
        return _any_of(tuple(compile_check(arg) for arg in args))
    if origin is Literal:
        return _literal(args)
    if origin is tuple:
        return _tuple(args)
    container = origin if origin is not None else kind
    if container in _SEQUENCES:
        item = compile_check(args[0]) if args else None
        return _items(_SEQUENCES[container], (str, bytes, bytearray), item)
    if container in _MAPPINGS:
        key, value = (compile_check(args[0]), compile_check(args[1])) if args else (None, None)
        return _mapping(key, value)
    return _class(kind, origin)


def _tuple(args: tuple[object, ...]) -> Check:
    if len(args) == 2 and args[1] is Ellipsis:  # noqa: PLR2004 - tuple[X, ...]
        return _items((tuple, list), (str, bytes), compile_check(args[0]))
    if args == ((),):  # tuple[()]
        return _fixed_tuple(())
    return _fixed_tuple(tuple(compile_check(arg) for arg in args)) if args else _tuple_any


def _class(kind: object, origin: object) -> Check | None:
    supertype = getattr(kind, "__supertype__", None)
    if supertype is not None:  # typing.NewType
        return compile_check(supertype)
    for candidate in (kind, origin):
        if isinstance(candidate, type) and not _is_protocol(candidate):
            return _instance_of(candidate)
    return None


def _tuple_any(value: object) -> bool:
    return isinstance(value, (tuple, list))


def _is_protocol(kind: type) -> bool:
    return bool(getattr(kind, "_is_protocol", False))


def describe(kind: object) -> str:
    """Return *kind* as it would be written in an annotation (for error messages)."""
    if isinstance(kind, type) and not get_args(kind):
        return "None" if kind is type(None) else kind.__qualname__
    text = repr(kind)
    return text.replace("typing.", "").replace("collections.abc.", "")


_MAX_DESCRIBED_ITEMS = 100


def describe_value(value: object) -> str:
    """Return the type of *value*; for a container, also the types of its items."""
    name = type(value).__qualname__
    items: list[object]
    if isinstance(value, Mapping):
        items = list(typing.cast("Mapping[object, object]", value).values())
    elif isinstance(value, (list, tuple, set, frozenset)):
        items = list(typing.cast("typing.Iterable[object]", value))
    else:
        return name
    kinds = sorted({type(item).__qualname__ for item in items[:_MAX_DESCRIBED_ITEMS]})
    return f"{name} of {', '.join(kinds)}" if kinds else f"empty {name}"


def field_checks(cls: type, reserved: frozenset[str]) -> tuple[tuple[str, Check, str, object], ...]:
    """Return ``(name, check, expected, default)`` for each member of *cls* to check.

    Members named in *reserved* are left out. *cls* is an attrs class whose
    annotations are resolved (``attrs.resolve_types``).
    """
    checks: list[tuple[str, Check, str, object]] = []
    for field in attrs.fields(cls):
        if field.name in reserved or field.type is None:
            continue
        check = compile_check(field.type)
        if check is not None:
            checks.append((field.name, check, describe(field.type), field.default))
    return tuple(checks)
