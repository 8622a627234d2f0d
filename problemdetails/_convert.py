"""The one cattrs converter, configured for problem documents.

Structuring is strict: RFC 9457 section 3.1 says a member whose JSON type is
wrong MUST be ignored, so ``"30"`` never becomes the int 30 here, and the
string ``"admin"`` never becomes the list ``['a', 'd', 'm', 'i', 'n']``: a
list, tuple or set member takes a JSON array only, a dict member a JSON
object only, and their items are as strict as members are. A literal or an
enum takes its own values only, of their own JSON type; a union takes the
first of its types that the value has. A UUID, date, time or Decimal member
takes a string in the form rendered (never a number); one that does not
parse is ignored.

Unstructuring follows the declared types: nested attrs classes and
dataclasses become objects (their None members left out), named tuples
arrays, sets sorted arrays, and UUIDs, dates, times and Decimals strings. A
member whose annotation names something undefined is unstructured by its
value's own type.
"""

from __future__ import annotations

import collections
import contextlib
import enum
import re
import sys
import threading
import types
import typing
from collections.abc import (
    Callable,
    Collection,
    Iterable,
    Mapping,
    MutableMapping,
    MutableSequence,
    MutableSet,
    Sequence,
)
from collections.abc import Set as AbstractSet
from typing import TYPE_CHECKING, Any

import attrs
import cattrs

from ._member_types import UNRESOLVED, is_record, record_fields
from ._problem import RESERVED_NAMES, Problem

if TYPE_CHECKING:
    from datetime import date, datetime, time
    from decimal import Decimal
    from uuid import UUID

    #: The converter (made and configured on first use: see `get_converter`).
    converter: cattrs.Converter


def _set_as_array(items: typing.Iterable[Any]) -> list[Any]:
    # JSON has no sets: a set member is sent as an array, sorted when its
    # items can be, so that the same problem always renders the same bytes.
    values = list(items)
    with contextlib.suppress(TypeError):
        values.sort()
    return values


UnstructureHook = Callable[[Any], Any]
StructureHook = Callable[[Any, Any], Any]


def _strict(kind: type) -> StructureHook:
    def structure(value: Any, _: Any) -> Any:
        if type(value) is not kind:
            raise TypeError(f"expected a JSON {kind.__name__}, got {type(value).__name__}")
        return value

    return structure


def _structure_float(value: Any, _: Any) -> float:
    if type(value) not in (int, float):
        raise TypeError(f"expected a JSON number, got {type(value).__name__}")
    return float(value)


def _structure_datetime(value: Any, _: Any) -> datetime:
    if not isinstance(value, str):
        raise TypeError(f"expected a date string, got {type(value).__name__}")
    from datetime import datetime  # noqa: PLC0415 - loaded already: a member is declared with it

    try:
        return datetime.fromisoformat(value)
    except ValueError:
        # Imported here: email is a heavy import that only HTTP-dates need.
        from email.utils import parsedate_to_datetime  # noqa: PLC0415

        return parsedate_to_datetime(value)


def _structure_seconds_or_date(value: Any, _: Any) -> int | datetime | None:
    # Retry-After values: whole seconds or an absolute time. Anything else
    # (negative seconds, a date without an offset) is a member of the wrong
    # type, to be ignored rather than to cost the problem its class.
    if value is None:
        return None
    if type(value) is int:
        if value < 0:
            raise ValueError(f"expected seconds >= 0, got {value}")
        return value
    moment = _structure_datetime(value, None)
    if moment.tzinfo is None:
        raise ValueError(f"expected a date with a time zone, got {value!r}")
    return moment


def _json_string(value: object, what: str) -> str:
    if type(value) is not str:
        raise TypeError(f"expected a {what} string, got {type(value).__name__}")
    return value


_UUID_TEXT = r"[0-9a-fA-F]{8}-(?:[0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}"
# What str() gives for a finite Decimal, and what JSON writes for a number.
_DECIMAL_TEXT = r"-?[0-9]+(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?"

#: ``(structure, unstructure)`` hooks of one type.
_Hooks = tuple["StructureHook", "UnstructureHook"]


# The hooks of the standard library's value types are made when a member or
# value of one is first converted: importing datetime, decimal and uuid would
# cost every import of the package, and a class of theirs means the module is
# loaded already.
def _datetime_hooks() -> dict[type, _Hooks]:
    from datetime import date, datetime, time  # noqa: PLC0415

    def structure_date(value: Any, _: Any) -> date:
        return date.fromisoformat(_json_string(value, "date"))

    def structure_time(value: Any, _: Any) -> time:
        return time.fromisoformat(_json_string(value, "time"))

    return {
        datetime: (_structure_datetime, datetime.isoformat),
        date: (structure_date, date.isoformat),
        time: (structure_time, time.isoformat),
    }


def _uuid_hooks() -> dict[type, _Hooks]:
    from uuid import UUID  # noqa: PLC0415

    pattern = re.compile(_UUID_TEXT)

    def structure(value: Any, _: Any) -> UUID:
        text = _json_string(value, "UUID")
        if not pattern.fullmatch(text):
            raise ValueError(
                f"expected a UUID such as 12345678-1234-1234-1234-123456789abc, got {text[:60]!r}"
            )
        return UUID(text)

    return {UUID: (structure, str)}


def _decimal_hooks() -> dict[type, _Hooks]:
    from decimal import Decimal  # noqa: PLC0415

    pattern = re.compile(_DECIMAL_TEXT)

    def structure(value: Any, _: Any) -> Decimal:
        text = _json_string(value, "decimal")
        if not pattern.fullmatch(text):
            raise ValueError(f"expected a decimal number as a string, got {text[:60]!r}")
        return Decimal(text)

    return {Decimal: (structure, str)}


_STDLIB_HOOKS: dict[str, Callable[[], dict[type, _Hooks]]] = {
    "datetime": _datetime_hooks,
    "uuid": _uuid_hooks,
    "decimal": _decimal_hooks,
}
_stdlib_hooks: dict[type, _Hooks] = {}


def _stdlib_hooks_of(kind: Any) -> _Hooks | None:
    """Return the hooks of *kind* if it is a datetime, date, time, UUID or Decimal (or a subclass).

    The closest of them in *kind*'s MRO wins, as it would for hooks registered by class.
    """
    if not isinstance(kind, type):
        return None
    for base in kind.__mro__:
        module: object = getattr(base, "__module__", None)
        if not isinstance(module, str):
            continue
        load = _STDLIB_HOOKS.get(module)
        if load is not None:
            # Loaded before it is crossed off: another thread converting the
            # same type meanwhile loads it again rather than miss it.
            _stdlib_hooks.update(load())
            _STDLIB_HOOKS.pop(module, None)
        hooks = _stdlib_hooks.get(base)
        if hooks is not None:
            return hooks
    return None


def _is_stdlib_value(kind: Any) -> bool:
    return _stdlib_hooks_of(kind) is not None


def _stdlib_structure(kind: Any) -> StructureHook:
    return _stdlib_hooks_of(kind)[0]  # type: ignore[index]  # the predicate said it has them


def _stdlib_unstructure(kind: Any) -> UnstructureHook:
    return _stdlib_hooks_of(kind)[1]  # type: ignore[index]  # the predicate said it has them


def _refuse(kind: Any, reason: str) -> StructureHook:
    def structure(value: Any, _: Any) -> Any:
        raise TypeError(f"no {kind!r} is read from a document: {reason}")

    return structure


def _hook(kind: Any) -> StructureHook:
    """Return the structure hook of *kind*; one that refuses every value if there is none."""
    try:
        return get_converter().get_structure_hook(kind)
    except Exception as error:  # noqa: BLE001 - an annotation cattrs cannot read
        return _refuse(kind, str(error))


def _origin(kind: Any) -> Any:
    origin = typing.get_origin(kind)
    return kind if origin is None else origin


# What a JSON array or object becomes, by the declared container: the
# abstract types take their immutable forms, as cattrs makes them.
_ARRAYS: dict[Any, Callable[[Any], Any]] = {
    list: list,
    MutableSequence: list,
    Sequence: tuple,
    tuple: tuple,
    set: set,
    MutableSet: set,
    frozenset: frozenset,
    AbstractSet: frozenset,
    collections.deque: collections.deque,
    Collection: tuple,
    Iterable: tuple,
}
_OBJECTS: dict[Any, Callable[[Any], Any]] = {
    dict: dict,
    Mapping: dict,
    MutableMapping: dict,
    collections.OrderedDict: collections.OrderedDict,
    collections.Counter: collections.Counter,
}


def _is_array(kind: Any) -> bool:
    try:
        return _origin(kind) in _ARRAYS
    except TypeError:  # an unhashable annotation
        return False


def _is_object(kind: Any) -> bool:
    try:
        return _origin(kind) in _OBJECTS
    except TypeError:  # an unhashable annotation
        return False


def _json_array(value: object) -> list[Any]:
    # A list exactly: a string, a tuple or a dict is no JSON array.
    if type(value) is not list:
        raise TypeError(f"expected a JSON array, got {type(value).__name__}")
    items: list[Any] = value  # pyright: ignore[reportUnknownVariableType]
    return items


def _json_object(value: object) -> dict[Any, Any]:
    if type(value) is not dict:
        raise TypeError(f"expected a JSON object, got {type(value).__name__}")
    members: dict[Any, Any] = value  # pyright: ignore[reportUnknownVariableType]
    return members


def _array_hook(kind: Any) -> StructureHook:
    args = typing.get_args(kind)
    origin = _origin(kind)
    build = _ARRAYS[origin]
    if origin is tuple and args and not (len(args) == 2 and args[1] is Ellipsis):  # noqa: PLR2004
        return _fixed_tuple_hook(args)
    item = args[0] if args else Any
    hook = _hook(item)
    if item in (str, int, bool):
        # Their hooks take exactly their type as it is: a list of nothing
        # else needs no call per element (the slow path says what is wrong).

        def structure_plain(value: Any, _: Any) -> Any:
            elements = _json_array(value)
            if all(type(element) is item for element in elements):
                return build(elements)
            return build([hook(element, item) for element in elements])

        return structure_plain

    def structure(value: Any, _: Any) -> Any:
        return build([hook(element, item) for element in _json_array(value)])

    return structure


def _fixed_tuple_hook(args: tuple[Any, ...]) -> StructureHook:
    hooks = tuple((arg, _hook(arg)) for arg in args)

    def structure(value: Any, _: Any) -> tuple[Any, ...]:
        items = _json_array(value)
        if len(items) != len(hooks):
            raise ValueError(f"expected an array of {len(hooks)} items, got {len(items)}")
        return tuple(hook(element, arg) for (arg, hook), element in zip(hooks, items, strict=True))

    return structure


def _object_hook(kind: Any) -> StructureHook:
    args = typing.get_args(kind)
    build = _OBJECTS[_origin(kind)]
    if len(args) == 2:  # noqa: PLR2004
        key_type, value_type = args
    else:  # Counter[str] counts with ints; a bare dict holds anything
        key_type, value_type = (args[0], int) if args else (Any, Any)
    key_hook, value_hook = _hook(key_type), _hook(value_type)

    def structure(value: Any, _: Any) -> Any:
        return build(
            {
                key_hook(key, key_type): value_hook(item, value_type)
                for key, item in _json_object(value).items()
            }
        )

    return structure


def _is_union(kind: Any) -> bool:
    return typing.get_origin(kind) in (typing.Union, types.UnionType)


def _union_hook(kind: Any) -> StructureHook:
    options = typing.get_args(kind)
    nullable = type(None) in options
    hooks = tuple((option, _hook(option)) for option in options if option is not type(None))

    def structure(value: Any, _: Any) -> Any:
        if value is None and nullable:
            return None
        for option, hook in hooks:
            try:
                return hook(value, option)
            except Exception:  # noqa: BLE001, PERF203, S112 - not this option: try the next
                continue
        raise TypeError(f"expected a value of {kind!r}, got a JSON {type(value).__name__}")

    return structure


def _json_value(choice: object) -> object:
    return choice.value if isinstance(choice, enum.Enum) else choice


def _choice_hook(kind: Any, choices: tuple[Any, ...]) -> StructureHook:
    # Compared with their JSON types: true is not 1, and 1.0 is not 1.
    def structure(value: Any, _: Any) -> Any:
        for choice in choices:
            wanted = _json_value(choice)
            if type(wanted) is type(value) and wanted == value:
                return choice
        raise ValueError(f"expected one of {kind!r}, got {value!r}"[:200])

    return structure


def _is_literal(kind: Any) -> bool:
    return typing.get_origin(kind) is typing.Literal


def _literal_hook(kind: Any) -> StructureHook:
    return _choice_hook(kind, typing.get_args(kind))


def _is_enum(kind: Any) -> bool:
    return isinstance(kind, type) and issubclass(kind, enum.Enum)


def _enum_hook(kind: Any) -> StructureHook:
    return _choice_hook(kind, tuple(kind))


def _is_seconds_or_date(kind: Any) -> bool:
    # Without the datetime module loaded, no annotation names its class.
    module = sys.modules.get("datetime")
    if module is None:
        return False
    moment: Any = module.datetime
    return kind in (int | moment, int | moment | None)


def _member_hook(kind: Any) -> UnstructureHook | None:
    """Return the unstructure hook of a member of type *kind*; None where none is needed."""
    if kind is UNRESOLVED or kind is None or kind is object or kind is Any:
        # By the value's own type: a member that takes anything may hold an
        # enum or a UUID, which need converting like any extension member.
        return get_converter().unstructure
    try:
        return _identity_hook(kind)
    except Exception:  # noqa: BLE001 - an annotation cattrs cannot read: by the value's type
        return get_converter().unstructure


def _record_hooks(kind: type) -> tuple[tuple[str, UnstructureHook | None], ...]:
    return tuple((name, _member_hook(annotation)) for name, annotation, _ in record_fields(kind))


def _record_unstructure(kind: type) -> UnstructureHook:
    # The fields' hooks are made on first use: a class whose fields name
    # itself (a tree) needs its own hook made first.
    fields: list[tuple[tuple[str, UnstructureHook | None], ...]] = []

    def hooks() -> tuple[tuple[str, UnstructureHook | None], ...]:
        if not fields:
            fields.append(_record_hooks(kind))
        return fields[0]

    if _is_namedtuple(kind):  # sent as the array it is

        def unstructure_tuple(value: Any) -> list[Any]:
            items = ((hook, getattr(value, name)) for name, hook in hooks())
            return [item if hook is None else hook(item) for hook, item in items]

        return unstructure_tuple
    if issubclass(kind, dict):  # a typed dict: its keys as given, other keys by their values

        def unstructure_dict(value: Any) -> dict[str, Any]:
            known = dict(hooks())
            fallback = get_converter().unstructure
            return {
                key: _unstructured(known.get(key, fallback), item) for key, item in value.items()
            }

        return unstructure_dict

    # Nested objects follow the document's rule: a None member is left out.
    def unstructure(value: Any) -> dict[str, Any]:
        members: dict[str, Any] = {}
        for name, hook in hooks():
            item = getattr(value, name)
            if item is not None:
                members[name] = item if hook is None else hook(item)
        return members

    return unstructure


def _unstructured(hook: UnstructureHook | None, value: Any) -> Any:
    return value if hook is None else hook(value)


def _is_namedtuple(kind: type) -> bool:
    return issubclass(kind, tuple)


def _is_loose_array(kind: Any) -> bool:
    try:
        return _origin(kind) in (Collection, Iterable)
    except TypeError:  # an unhashable annotation
        return False


def _loose_array_unstructure(kind: Any) -> UnstructureHook:
    # A Collection or Iterable member holds a list, a tuple or a set: an array either way.
    args = typing.get_args(kind)
    hook = _member_hook(args[0]) if args else get_converter().unstructure

    def unstructure(value: Any) -> list[Any]:
        items = list(value) if hook is None else [hook(item) for item in value]
        return _set_as_array(items) if isinstance(value, (set, frozenset)) else items

    return unstructure


def _identity_hook(kind: Any) -> UnstructureHook | None:
    hook = get_converter().get_unstructure_hook(kind)
    # Strings, numbers and lists of them need no work at all: skip the call.
    return None if getattr(hook, "__name__", "") == "identity" else hook


def _configure(converter: cattrs.Converter) -> None:
    # Hook factories registered later are asked first.
    converter.register_structure_hook(str, _strict(str))
    converter.register_structure_hook(int, _strict(int))
    converter.register_structure_hook(bool, _strict(bool))
    converter.register_structure_hook(bytes, _refuse(bytes, "JSON has no bytes"))
    converter.register_structure_hook(float, _structure_float)
    converter.register_structure_hook_factory(_is_array, _array_hook)
    converter.register_structure_hook_factory(_is_object, _object_hook)
    converter.register_structure_hook_factory(_is_literal, _literal_hook)
    converter.register_structure_hook_factory(_is_enum, _enum_hook)
    converter.register_structure_hook_factory(_is_union, _union_hook)
    # After the union hook, so that it wins over it for these two.
    converter.register_structure_hook_func(_is_seconds_or_date, _structure_seconds_or_date)
    converter.register_unstructure_hook_factory(is_record, _record_unstructure)
    converter.register_unstructure_hook_factory(_is_loose_array, _loose_array_unstructure)
    # Last, so asked first: as hooks registered by class would, they win over
    # every factory for their types and subclasses.
    converter.register_structure_hook_factory(_is_stdlib_value, _stdlib_structure)
    converter.register_unstructure_hook_factory(_is_stdlib_value, _stdlib_unstructure)


_converter: cattrs.Converter | None = None
_converter_lock = threading.Lock()


def get_converter() -> cattrs.Converter:
    """Return the converter, made and configured on first use.

    Making it costs about as much as importing the rest of this module, and
    an import of the package that renders nothing need not pay for it.
    """
    converter = _converter
    if converter is None:
        converter = _make_converter()
    return converter


def _make_converter() -> cattrs.Converter:
    global _converter  # noqa: PLW0603 - the one converter, made once
    with _converter_lock:
        if _converter is None:
            converter = cattrs.Converter(unstruct_collection_overrides={AbstractSet: _set_as_array})
            _configure(converter)
            _converter = converter
        return _converter


def __getattr__(name: str) -> Any:
    if name == "converter":
        return get_converter()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


UnstructurePlan = tuple[tuple[str, UnstructureHook | None], ...]
StructurePlan = tuple[tuple[str, StructureHook, Any], ...]
_unstructure_plans: dict[type[Problem], UnstructurePlan] = {}
_structure_plans: dict[type[Problem], StructurePlan] = {}


def _declared_fields(cls: type[Problem]) -> list[tuple[str, Any]]:
    # Annotations are resolved one by one: one that names something undefined
    # (a class local to a function) is UNRESOLVED, and leaves the others be.
    return [(name, annotation) for name, annotation, _ in record_fields(cls, skip=RESERVED_NAMES)]


def unstructure_plan(cls: type[Problem]) -> UnstructurePlan:
    """Return ``(name, hook)`` for each declared extension member of *cls*.

    ``hook`` is None where the value is JSON-ready as it is. Built once per class.
    """
    plan = _unstructure_plans.get(cls)
    if plan is None:
        plan = tuple((name, _member_hook(kind)) for name, kind in _declared_fields(cls))
        _unstructure_plans[cls] = plan
    return plan


def structure_plan(cls: type[Problem]) -> StructurePlan:
    """Return ``(name, hook, type)`` for each declared extension member of *cls*.

    Never raises: a member whose annotation cannot be read from a document
    (it does not resolve, or cattrs has no hook for it) gets a hook that
    refuses every value, so that member is ignored when parsing.
    """
    plan = _structure_plans.get(cls)
    if plan is None:
        try:
            declared = _declared_fields(cls)
        except Exception:  # noqa: BLE001 - annotations that are not types: every member refused
            declared = [(name, UNRESOLVED) for name in cls.__problem_fields__]
        raw = {field.name: field.type for field in attrs.fields(cls)}
        plan = tuple(
            (name, _refuse(raw[name], "its annotation does not resolve"), raw[name])
            if kind is UNRESOLVED
            else (name, _hook(kind), kind)
            for name, kind in declared
        )
        _structure_plans[cls] = plan
    return plan
