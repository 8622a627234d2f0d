"""Declared member types as checks, compiled once per class.

A problem's extension members are checked against their annotations when
the problem is constructed: ``balance: int`` refuses ``"thirty"``, and
``accounts: list[str]`` refuses the string ``"notalist"`` (which JSON would
otherwise send as a list of letters). The checks follow JSON's types, as the
document will: ``int`` takes no ``bool``, ``float`` takes an ``int``, a
number is one JSON can carry (no NaN, no infinity, no int of more digits
than Python turns into text), an array is a list, tuple or set (never a
string, never a generator), and an object a mapping. ``UUID``, ``date``,
``time`` and ``Decimal`` members take their own types (sent as strings; a
``date`` is no ``datetime``). Nested attrs classes, dataclasses, named tuples
and typed dicts are checked field by field, once compiled per class.

Annotations are resolved one member at a time: a member whose annotation
names something that does not exist (a class local to a function, under
``from __future__ import annotations``) is left unchecked. An annotation
that is not a type expression, or a type JSON can never carry (``bytes``,
``complex``, ``timedelta``, a callable, ``type[...]``, an enum whose values
are not JSON), is a mistake in the declaration: `AnnotationError`, raised
when the class is created.

A type the checks do not understand (a type variable, a protocol) is
accepted as it is: the checks refuse only what is certainly wrong.
"""

from __future__ import annotations

import collections
import dataclasses
import enum
import inspect
import sys
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
from typing import Any, Literal, NamedTuple, Union, get_args, get_origin

import attrs

if typing.TYPE_CHECKING:
    from decimal import Decimal

#: A compiled check: True when the value has the declared type.
Check = Callable[[object], bool]
#: Where a refused value goes wrong: the path to the first offence (None for
#: the value itself, "" for somewhere in a set) and what is found there.
Find = Callable[[object], "tuple[str | None, str]"]
#: ``(name, check, default, mismatch)`` of one declared member; ``mismatch``
#: gives the end of the error message for a value the check refused.
MemberCheck = tuple[str, Check, object, Callable[[object], str]]


class AnnotationError(Exception):
    """An annotation is not a type expression, or names a type JSON cannot carry.

    Attributes:
        field: the name of the field so annotated, when the error is about one.
    """

    field: str | None = None


class _Unresolved:
    __slots__ = ()

    def __repr__(self) -> str:
        return "<unresolved>"


#: Stands for an annotation that names something that does not exist.
UNRESOLVED: Any = _Unresolved()

#: ``(name, annotation or UNRESOLVED, default)`` of one field of a class.
Field = tuple[str, object, object]

# Python refuses to turn an int of more digits than this into text (its
# default int-to-str limit), so the encoder would fail on one. The bound is
# fixed: raising the limit here would not let the clients' Python read it.
MAX_INT_DIGITS = 4300
_INT_LIMIT: int = 10**MAX_INT_DIGITS
_INFINITY = float("inf")


class _Compiled(NamedTuple):
    check: Check
    find: Find


def _is_int(value: object) -> bool:
    if type(value) is int:
        return -_INT_LIMIT < value < _INT_LIMIT
    return (
        isinstance(value, int) and not isinstance(value, bool) and -_INT_LIMIT < value < _INT_LIMIT
    )


def _is_number(value: object) -> bool:
    if isinstance(value, float):
        return -_INFINITY < value < _INFINITY  # NaN compares false
    return _is_int(value)


def _instance_of(kind: type[object]) -> Check:
    def check(value: object) -> bool:
        return isinstance(value, kind)

    return check


def _itself(value: object) -> tuple[str | None, str]:
    return None, describe_value(value)


def _scalar(check: Check) -> _Compiled:
    return _Compiled(check, _itself)


_SCALARS: dict[object, _Compiled | None] = {
    Any: None,
    object: None,
    int: _scalar(_is_int),
    float: _scalar(_is_number),
    bool: _scalar(_instance_of(bool)),
    str: _scalar(_instance_of(str)),
    type(None): _scalar(_instance_of(type(None))),
}

_AS_TEXT = "declare str (base64-encoded, for instance) instead"
#: Types the JSON encoder can never send, and what to declare instead.
_NEVER: dict[object, str] = {
    bytes: _AS_TEXT,
    bytearray: _AS_TEXT,
    memoryview: _AS_TEXT,
    complex: "declare two floats (tuple[float, float]) instead",
    type: "declare str, the name the client should see, instead",
    Callable: "declare the value the client needs instead",
}


# The checks of the standard library's other JSON-ready types join the
# tables above when an annotation first names one of their modules' classes:
# importing datetime, decimal and uuid would cost every import of the
# package, and a class of theirs in an annotation means the module is loaded.
def _datetime_types() -> None:
    from datetime import date, datetime, time, timedelta  # noqa: PLC0415

    def is_date(value: object) -> bool:
        # A datetime is a date to Python, but would be sent with its time.
        return isinstance(value, date) and not isinstance(value, datetime)

    _SCALARS.update(
        {
            datetime: _scalar(_instance_of(datetime)),
            date: _scalar(is_date),
            time: _scalar(_instance_of(time)),
        }
    )
    _NEVER[timedelta] = "declare a number of seconds (int or float) instead"


def _decimal_types() -> None:
    from decimal import Decimal  # noqa: PLC0415

    def is_decimal(value: object) -> bool:
        return isinstance(value, Decimal) and value.is_finite()

    _SCALARS[Decimal] = _scalar(is_decimal)


def _uuid_types() -> None:
    from uuid import UUID  # noqa: PLC0415

    _SCALARS[UUID] = _scalar(_instance_of(UUID))


_STDLIB_TYPES: dict[str, Callable[[], None]] = {
    "datetime": _datetime_types,
    "decimal": _decimal_types,
    "uuid": _uuid_types,
}


def _load_stdlib_types(kind: object) -> None:
    """Add the checks of *kind*'s module to the tables, if it is one of `_STDLIB_TYPES`."""
    if not _STDLIB_TYPES or not isinstance(kind, type):
        return
    module: object = getattr(kind, "__module__", None)
    if not isinstance(module, str):
        return
    load = _STDLIB_TYPES.get(module)
    if load is not None:
        # Loaded before it is crossed off: another thread compiling the same
        # type meanwhile loads it again rather than miss it.
        load()
        _STDLIB_TYPES.pop(module, None)


# The values a JSON array member takes, by the declared container. A
# string is a sequence to Python and a generator an iterable, but neither
# is an array: nothing here takes them.
_LIST_LIKE = (list, tuple, set, frozenset)
_ARRAYS: Mapping[object, tuple[type, ...]] = {
    list: (list,),
    MutableSequence: (list, collections.deque),
    collections.deque: (collections.deque, list),
    Sequence: (list, tuple),
    Collection: _LIST_LIKE,
    Iterable: _LIST_LIKE,
    set: (set, frozenset),
    MutableSet: (set,),
    frozenset: (frozenset, set),
    AbstractSet: (set, frozenset),
}
#: The declared containers that take a JSON object: any mapping.
_OBJECTS: Mapping[object, bool] = dict.fromkeys(
    (
        dict,
        Mapping,
        MutableMapping,
        collections.defaultdict,
        collections.OrderedDict,
        collections.Counter,
    ),
    True,
)


_MISSING: Any = object()
#: The "default" of a key a typed dict requires.
_REQUIRED_KEY: Any = object()
_BARE_TUPLE: object = typing.Tuple  # noqa: UP006 - the old spelling, still written


def _lookup(table: Mapping[object, Any], kind: object) -> Any:
    try:
        return table.get(kind, _MISSING)
    except TypeError:  # an unhashable annotation (Annotated with a dict, say)
        return _MISSING


def describe_value(value: object) -> str:
    """Return the type of *value* for an error message, naming NaN and oversized ints."""
    if isinstance(value, float) and not -_INFINITY < value < _INFINITY:
        return f"{_name(type(value))} {value!r}"
    if isinstance(value, int) and not isinstance(value, bool) and not _is_int(value):
        return f"int of more than {MAX_INT_DIGITS} digits"
    # No Decimal exists unless its module is loaded: nothing to import here.
    module = sys.modules.get("decimal")
    if module is not None:
        decimal: type[Decimal] = module.Decimal
        if isinstance(value, decimal) and not value.is_finite():
            return f"Decimal {value}"
    return _name(type(value))


def _name(kind: type[object]) -> str:
    if kind is type(None):
        return "None"
    # A class made in a function is "factory.<locals>.Item": the reader wants "Item".
    return kind.__qualname__.rpartition("<locals>.")[2]


def describe(kind: object) -> str:  # noqa: PLR0911 - one return per kind of annotation
    """Return *kind* as it would be written in an annotation (for error messages)."""
    if kind is None or kind is type(None):
        return "None"
    if kind is Ellipsis:
        return "..."
    if isinstance(kind, str):
        return kind
    if isinstance(kind, typing.ForwardRef):
        return kind.__forward_arg__
    if isinstance(kind, list):  # the parameters of a Callable
        return f"[{_describe_all(typing.cast('list[object]', kind))}]"
    origin = get_origin(kind)
    if origin is not None:
        return _describe_generic(kind, origin, get_args(kind))
    if isinstance(kind, type):
        return _name(kind)
    name = getattr(kind, "__name__", None)  # NewType, TypeVar
    return name if isinstance(name, str) else repr(kind).replace("typing.", "")


def _describe_all(kinds: Iterable[object]) -> str:
    return ", ".join(describe(kind) for kind in kinds)


def _describe_generic(kind: object, origin: object, args: tuple[object, ...]) -> str:
    if origin is typing.Annotated:
        return describe(args[0])
    if origin is Union or origin is types.UnionType:
        return " | ".join(describe(arg) for arg in args)
    if origin is Literal:
        return f"Literal[{', '.join(_literal_text(arg) for arg in args)}]"
    name = _name(origin) if isinstance(origin, type) else describe(origin)
    if args:
        return f"{name}[{_describe_all(args)}]"
    if origin is tuple and kind is not _BARE_TUPLE:
        return "tuple[()]"
    return name


def _literal_text(value: object) -> str:
    if isinstance(value, enum.Enum):
        return f"{_name(type(value))}.{value.name}"
    return repr(value)


def _shown(value: object) -> str:
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001 - a message must not fail on a hostile value
        return f"a {_name(type(value))}"
    return text if len(text) <= 40 else text[:37] + "..."  # noqa: PLR2004


def _json_ready(value: object) -> bool:
    """Return whether the JSON encoder sends *value* as it is (an enum's or a literal's value)."""
    if value is None or isinstance(value, (str, bool)):
        return True
    if isinstance(value, (int, float)):
        return _is_number(value)
    if isinstance(value, (list, tuple)):
        return all(_json_ready(item) for item in typing.cast("Sequence[object]", value))
    if isinstance(value, dict):
        members = typing.cast("dict[object, object]", value)
        return all(isinstance(key, str) and _json_ready(item) for key, item in members.items())
    return False


# -- resolving annotations, one field at a time ------------------------------

_fields: dict[tuple[type[object], frozenset[str]], tuple[Field, ...]] = {}


def _own_annotations(owner: type[object]) -> Mapping[str, object]:
    try:
        return inspect.get_annotations(owner)
    except Exception:  # noqa: BLE001 - annotations that cannot even be listed
        return {}


def _owner(cls: type[object], name: str) -> type[object]:
    # An inherited member's annotation names things of its own class's module.
    for base in cls.__mro__:
        if name in _own_annotations(base):
            return base
    return cls


def _resolve(annotation: object, owner: type[object]) -> object:
    """Return *annotation* evaluated where *owner* was declared.

    Raises:
        NameError: it names something that does not exist (yet).
        AnnotationError: it is not a type expression.
    """
    module = sys.modules.get(owner.__module__)
    namespace = vars(module) if module is not None else {}
    holder = type("_Holder", (), {"__annotations__": {"value": annotation}})
    try:
        return typing.get_type_hints(holder, namespace, dict(vars(owner)), include_extras=True)[
            "value"
        ]
    except NameError:
        raise
    except Exception as error:  # noqa: BLE001 - whatever evaluating it raised
        raise AnnotationError(
            f"{describe(annotation)} is not a type expression ({error})"
        ) from None


def _declared(
    kind: type[object], skip: frozenset[str] = frozenset()
) -> list[tuple[str, object, object, type[object]]]:
    """Return ``(name, annotation, default, owner)`` of each field of the record class *kind*.

    Fields of attrs classes and dataclasses named in *skip* are left out
    (finding a field's owner walks the MRO: every problem class would walk
    it for each standard member).
    """
    if _is_attrs(kind):
        fields: Iterable[Any] = attrs.fields(typing.cast("type[attrs.AttrsInstance]", kind))
        return [
            (f.name, f.type, f.default, _owner(kind, f.name)) for f in fields if f.name not in skip
        ]
    if _is_dataclass(kind):
        return [
            (f.name, f.type, f.default, _owner(kind, f.name))
            for f in dataclasses.fields(typing.cast("Any", kind))
            if f.name not in skip
        ]
    annotations = _own_annotations(kind)
    if _is_typeddict(kind):
        # Typed dicts keep the annotations of their bases, as forward references
        # that know their module; Required[...] and the like are stripped.
        required: frozenset[str] = getattr(kind, "__required_keys__", frozenset())
        return [
            (name, annotations[name], _REQUIRED_KEY if name in required else _MISSING, kind)
            for name in annotations
        ]
    defaults: Mapping[str, object] = getattr(kind, "_field_defaults", {})
    return [
        (name, annotations.get(name), defaults.get(name, _MISSING), kind)
        for name in getattr(kind, "_fields", ())
    ]


def record_fields(
    kind: type[object], *, final: bool = True, skip: frozenset[str] = frozenset()
) -> tuple[Field, ...]:
    """Return ``(name, annotation, default)`` of each field of the record class *kind*.

    Fields named in *skip* are left out. An annotation that names something
    that does not exist is `UNRESOLVED`. The outcome is kept, once final (or
    when every name resolved): with ``final=False`` a name not yet defined is
    tried again on the next call, so that a class defined later in the
    module is found on first use.

    Raises:
        AnnotationError: an annotation is not a type expression (its
            ``field`` names the field).
    """
    known = _fields.get((kind, skip))
    if known is not None:
        return known
    resolved: list[Field] = []
    for name, annotation, declared_default, owner in _declared(kind, skip):
        if name in skip:
            continue
        value: object = None
        default = declared_default
        if annotation is not None:
            try:
                value = _resolve(annotation, owner)
            except NameError:
                value = UNRESOLVED
            except AnnotationError as error:
                error.field = name
                raise
            if _is_typeddict(kind):
                value, default = _key_qualifiers(value, default)
        resolved.append((name, value, default))
    fields = tuple(resolved)
    if final or all(value is not UNRESOLVED for _, value, _ in fields):
        _fields[kind, skip] = fields
    return fields


def _key_qualifiers(kind: object, default: object) -> tuple[object, object]:
    # Required[X], NotRequired[X] and ReadOnly[X] say whether a key is there,
    # not its type. In an annotation that is a string (from __future__ import
    # annotations), the typed dict cannot see them: they are read here.
    while True:
        qualifier = getattr(get_origin(kind), "_name", None)
        if qualifier not in ("Required", "NotRequired", "ReadOnly"):
            return kind, default
        if qualifier != "ReadOnly":
            default = _REQUIRED_KEY if qualifier == "Required" else _MISSING
        kind = get_args(kind)[0]


def _class(kind: object) -> type[object] | None:
    return typing.cast("type[object]", kind) if isinstance(kind, type) else None


def _is_attrs(kind: type[object]) -> bool:
    return attrs.has(kind)


def _is_dataclass(kind: type[object]) -> bool:
    return dataclasses.is_dataclass(kind)


def _is_typeddict(kind: object) -> bool:
    cls = _class(kind)
    return (
        cls is not None
        and issubclass(cls, dict)
        and isinstance(getattr(kind, "__required_keys__", None), frozenset)
    )


def _is_namedtuple(kind: object) -> bool:
    cls = _class(kind)
    return cls is not None and issubclass(cls, tuple) and hasattr(kind, "_fields")


def is_record(kind: object) -> bool:
    """Return whether *kind* is a class whose fields are checked one by one.

    That is an attrs class, a dataclass, a named tuple or a typed dict.
    """
    cls = _class(kind)
    # A nested exception (a problem, say) is not an object of the document.
    return (
        cls is not None
        and not issubclass(cls, BaseException)
        and (_is_attrs(cls) or _is_dataclass(cls) or _is_namedtuple(cls) or _is_typeddict(cls))
    )


# -- compiling ----------------------------------------------------------------

_records: dict[type[object], _Compiled] = {}


class _Compiler:
    """Compiles annotations to checks; records compiled here are kept once all succeed.

    With ``final=False``, an annotation naming something that does not exist
    raises NameError (after the other members are compiled, so that a wrong
    annotation is still reported); otherwise that member is left unchecked.
    """

    def __init__(self, *, final: bool) -> None:
        self.final = final
        self.pending: dict[type, _Compiled] = {}

    def commit(self) -> None:
        _records.update(self.pending)

    def compile(self, kind: object) -> _Compiled | None:  # noqa: C901, PLR0911, PLR0912 - one branch per kind
        _load_stdlib_types(kind)
        scalar = _lookup(_SCALARS, kind)
        if scalar is not _MISSING:
            return typing.cast("_Compiled | None", scalar)
        origin, args = get_origin(kind), get_args(kind)
        container = origin if origin is not None else kind
        advice = _lookup(_NEVER, container)
        if advice is not _MISSING:
            raise AnnotationError(f"{describe(kind)} cannot be sent as JSON; {advice}")
        if origin is typing.Annotated:
            return self.compile(args[0])
        if origin is Union or origin is types.UnionType:
            return self._any_of(args)
        if origin is Literal:
            return _literal(args)
        if container is tuple:
            return self._tuple(kind, args)
        accepted = _lookup(_ARRAYS, container)
        if accepted is not _MISSING:
            return _array(accepted, self.compile(args[0]) if args else None)
        if _lookup(_OBJECTS, container) is not _MISSING:
            return self._object(container, args)
        supertype = getattr(kind, "__supertype__", None)
        if supertype is not None:  # typing.NewType
            return self.compile(supertype)
        cls = _class(container)
        if cls is not None:
            if issubclass(cls, enum.Enum):
                return _enum(cls)
            if is_record(cls):
                return self._record(cls)
            if not getattr(cls, "_is_protocol", False):
                return _scalar(_instance_of(cls))
        return None

    def _any_of(self, args: tuple[object, ...]) -> _Compiled | None:
        nullable = type(None) in args
        options = tuple(self.compile(arg) for arg in args if arg is not type(None))
        if any(option is None for option in options):
            return None
        compiled = typing.cast("tuple[_Compiled, ...]", options)
        return _union(compiled, nullable=nullable)

    def _tuple(self, kind: object, args: tuple[object, ...]) -> _Compiled:
        if len(args) == 2 and args[1] is Ellipsis:  # noqa: PLR2004 - tuple[X, ...]
            return _array((tuple, list), self.compile(args[0]))
        if kind is tuple or kind is _BARE_TUPLE:
            return _array((tuple, list), None)
        if args == ((),):  # tuple[()] on Python 3.10
            args = ()
        return _fixed_tuple(tuple(self.compile(arg) for arg in args))

    def _object(self, container: object, args: tuple[object, ...]) -> _Compiled:
        if len(args) == 2:  # noqa: PLR2004
            _check_key_type(args[0])
            key, item = self.compile(args[0]), self.compile(args[1])
        elif container is collections.Counter:  # Counter[str] counts with ints
            key, item = (self.compile(args[0]) if args else None), _SCALARS[int]
        else:
            key, item = None, None
        return _object(key, item)

    def _record(self, kind: type[object]) -> _Compiled:
        known = _records.get(kind) or self.pending.get(kind)
        if known is not None:
            return known
        # A class whose fields name itself (a tree) reaches here again while
        # its fields are compiled: it finds this stand-in, filled in below.
        slot: list[_Compiled] = []
        self.pending[kind] = _late(slot)
        try:
            fields = record_fields(kind, final=self.final)
        except AnnotationError as error:
            raise AnnotationError(f"{_name(kind)}.{error.field}: {error}") from None
        checked: list[tuple[str, _Compiled, object]] = []
        for name, annotation, default in fields:
            if annotation is None or annotation is UNRESOLVED:
                continue
            try:
                compiled = self.compile(annotation)
            except AnnotationError as error:
                raise AnnotationError(f"{_name(kind)}.{name}: {error}") from None
            if compiled is not None:
                checked.append((name, compiled, default))
        if not self.final:
            _raise_unresolved(kind, fields)
        if _is_typeddict(kind):
            required = frozenset(name for name, _, default in fields if default is _REQUIRED_KEY)
            record = _typeddict(required, {name: item for name, item, _ in checked})
        else:
            record = _attributes(kind, tuple(checked))
        slot.append(record)
        self.pending[kind] = record
        return record


def _late(slot: list[_Compiled]) -> _Compiled:
    # Stands in for a class's check while its fields are compiled; slot[0]
    # is the check once made.
    def check(value: object) -> bool:
        return slot[0].check(value)

    def find(value: object) -> tuple[str | None, str]:
        return slot[0].find(value)

    return _Compiled(check, find)


def _raise_unresolved(owner: type[object], fields: tuple[Field, ...]) -> None:
    for name, annotation, _ in fields:
        if annotation is UNRESOLVED:
            raise NameError(f"the annotation of {_name(owner)}.{name} names something undefined")


def _union(options: tuple[_Compiled, ...], *, nullable: bool) -> _Compiled:
    checks = tuple(option.check for option in options)
    if nullable and len(checks) == 1:
        only = checks[0]

        def check(value: object) -> bool:
            return value is None or only(value)

    else:

        def check(value: object) -> bool:
            if value is None and nullable:
                return True
            for option in checks:  # noqa: SIM110 - a loop allocates nothing
                if option(value):
                    return True
            return False

    def find(value: object) -> tuple[str | None, str]:
        # The option whose shape the value has tells where it goes wrong.
        for option in options:
            path, what = option.find(value)
            if path is not None:
                return path, what
        return None, describe_value(value)

    return _Compiled(check, find)


def _literal(values: tuple[object, ...]) -> _Compiled:
    for value in values:
        if not _json_ready(value.value if isinstance(value, enum.Enum) else value):
            raise AnnotationError(
                f"the literal {_shown(value)} cannot be sent as JSON; use str or int literals"
            )
    # True == 1 in Python; a Literal[1] member must not take True.
    allowed = frozenset((type(value), value) for value in values)

    def check(value: object) -> bool:
        try:
            return (type(value), value) in allowed
        except Exception:  # noqa: BLE001 - an unhashable value is none of the literals
            return False

    return _scalar(check)


def _enum(kind: type[enum.Enum]) -> _Compiled:
    for member in kind:
        if not _json_ready(member.value):
            raise AnnotationError(
                f"enum {_name(kind)} cannot be sent as JSON: the value of {member.name} is "
                f"{_shown(member.value)}; give its members str or int values"
            )
    return _scalar(_instance_of(kind))


def _array(accepted: tuple[type, ...], item: _Compiled | None) -> _Compiled:
    if item is None:
        return _scalar(_instance_of_any(accepted))
    return _Compiled(_array_check(accepted, item.check), _array_find(accepted, item))


def _instance_of_any(kinds: tuple[type, ...]) -> Check:
    def check(value: object) -> bool:
        return isinstance(value, kinds)

    return check


def _array_check(accepted: tuple[type, ...], item_check: Check) -> Check:
    def check(value: object) -> bool:
        if not isinstance(value, accepted):
            return False
        for element in typing.cast("Iterable[object]", value):  # noqa: SIM110 - a loop allocates nothing
            if not item_check(element):
                return False
        return True

    return check


def _array_find(accepted: tuple[type, ...], item: _Compiled) -> Find:
    def find(value: object) -> tuple[str | None, str]:
        if isinstance(value, accepted):
            ordered = not isinstance(value, (set, frozenset))
            for index, element in enumerate(typing.cast("Iterable[object]", value)):
                if not item.check(element):
                    path, what = item.find(element)
                    return (f"[{index}]" if ordered else "") + (path or ""), what
        return None, describe_value(value)

    return find


def _fixed_tuple(items: tuple[_Compiled | None, ...]) -> _Compiled:
    return _Compiled(_fixed_tuple_check(items), _fixed_tuple_find(items))


def _fixed_tuple_check(items: tuple[_Compiled | None, ...]) -> Check:
    size = len(items)
    checked = tuple((index, item.check) for index, item in enumerate(items) if item is not None)

    def check(value: object) -> bool:
        if not isinstance(value, (tuple, list)):
            return False
        elements = typing.cast("Sequence[object]", value)
        if len(elements) != size:
            return False
        for index, item_check in checked:  # noqa: SIM110 - a loop allocates nothing
            if not item_check(elements[index]):
                return False
        return True

    return check


def _fixed_tuple_find(items: tuple[_Compiled | None, ...]) -> Find:
    def find(value: object) -> tuple[str | None, str]:
        if not isinstance(value, (tuple, list)):
            return None, describe_value(value)
        elements = typing.cast("Sequence[object]", value)
        count = len(elements)
        if count != len(items):
            return None, f"{_name(type(elements))} of {count} item{'' if count == 1 else 's'}"
        for index, item in enumerate(items):
            if item is not None and not item.check(elements[index]):
                path, what = item.find(elements[index])
                return f"[{index}]{path or ''}", what
        return None, describe_value(elements)

    return find


# Keys of JSON objects are strings: what renders as one (str, numbers, enums,
# UUIDs, dates) may be a key; a tuple, a set or a record never can.
_NO_KEY_ORIGINS: tuple[object, ...] = (tuple, list, set, frozenset, dict)


def _check_key_type(key: object) -> None:
    origin = get_origin(key)
    if (
        key in _NO_KEY_ORIGINS
        or origin in _NO_KEY_ORIGINS
        or (isinstance(key, type) and is_record(key))
    ):
        raise AnnotationError(
            f"{describe(key)} cannot be the key of a JSON object; key the mapping by str "
            "(or int, an enum, a UUID)"
        )


def _object(key: _Compiled | None, item: _Compiled | None) -> _Compiled:
    if key is None and item is None:
        return _scalar(_is_mapping)
    return _Compiled(_object_check(key, item), _object_find(key, item))


def _is_mapping(value: object) -> bool:
    return type(value) is dict or isinstance(value, Mapping)


def _object_check(key: _Compiled | None, item: _Compiled | None) -> Check:
    key_check = key.check if key is not None else _anything
    item_check = item.check if item is not None else _anything

    def check(value: object) -> bool:
        if type(value) is not dict and not isinstance(value, Mapping):
            return False
        for name, element in typing.cast("Mapping[object, object]", value).items():
            if not key_check(name) or not item_check(element):
                return False
        return True

    return check


def _anything(value: object) -> bool:  # a check that takes every value
    return True


def _object_find(key: _Compiled | None, item: _Compiled | None) -> Find:
    def find(value: object) -> tuple[str | None, str]:
        if not isinstance(value, Mapping):
            return None, describe_value(value)
        entries = typing.cast("Mapping[object, object]", value)
        for name, element in entries.items():
            if key is not None and not key.check(name):
                return f"[{_shown(name)}]", f"{_name(type(name))} key"
            if item is not None and not item.check(element):
                path, what = item.find(element)
                return f"[{_shown(name)}]{path or ''}", what
        return None, describe_value(entries)

    return find


_NESTED_TOO_DEEP = "a value nested too deep (or containing itself)"
_RecordFields = tuple[tuple[str, _Compiled, object], ...]


def _attributes(kind: type[object], fields: _RecordFields) -> _Compiled:
    return _Compiled(_attributes_check(kind, fields), _attributes_find(kind, fields))


def _attributes_check(kind: type[object], fields: _RecordFields) -> Check:
    checks = tuple((name, item.check, default) for name, item, default in fields)

    def check(value: object) -> bool:
        if not isinstance(value, kind):
            return False
        try:
            for name, field_check, default in checks:
                member = getattr(value, name, _MISSING)
                # A declared default is the declaration's own word: trusted as it is.
                if member is not default and not field_check(member):
                    return False
        except RecursionError:  # a tree that contains itself
            return False
        return True

    return check


def _attributes_find(kind: type[object], fields: _RecordFields) -> Find:
    def find(value: object) -> tuple[str | None, str]:
        if not isinstance(value, kind):
            return None, describe_value(value)
        try:
            for name, item, default in fields:
                member = getattr(value, name, _MISSING)
                if member is _MISSING:
                    return f".{name}", "nothing"
                if member is not default and not item.check(member):
                    path, what = item.find(member)
                    return f".{name}{path or ''}", what
        except RecursionError:
            return "", _NESTED_TOO_DEEP
        return None, describe_value(value)

    return find


def _typeddict(required: frozenset[str], fields: dict[str, _Compiled]) -> _Compiled:
    return _Compiled(_typeddict_check(required, fields), _typeddict_find(required, fields))


def _typeddict_check(required: frozenset[str], fields: dict[str, _Compiled]) -> Check:
    checks = {name: item.check for name, item in fields.items()}

    def check(value: object) -> bool:
        if not isinstance(value, Mapping):
            return False
        entries = typing.cast("Mapping[object, object]", value)
        if not required.issubset(entries):
            return False
        for name, element in entries.items():
            if not isinstance(name, str) or not checks.get(name, _anything)(element):
                return False
        return True

    return check


def _typeddict_find(required: frozenset[str], fields: dict[str, _Compiled]) -> Find:
    def find(value: object) -> tuple[str | None, str]:
        if not isinstance(value, Mapping):
            return None, describe_value(value)
        entries = typing.cast("Mapping[object, object]", value)
        missing = sorted(required.difference(entries))
        if missing:
            return f"[{missing[0]!r}]", "nothing"
        for name, element in entries.items():
            if not isinstance(name, str):
                return f"[{_shown(name)}]", f"{_name(type(name))} key"
            item = fields.get(name)
            if item is not None and not item.check(element):
                path, what = item.find(element)
                return f"[{name!r}]{path or ''}", what
        return None, describe_value(entries)

    return find


def compile_check(kind: object) -> Check | None:
    """Return the check for values of the annotation *kind*; None accepts anything.

    Raises:
        AnnotationError: *kind* is a type JSON cannot carry.
    """
    compiler = _Compiler(final=True)
    compiled = compiler.compile(kind)
    compiler.commit()
    return None if compiled is None else compiled.check


_MAX_FOUND = 200


def _mismatch(expected: str, find: Find) -> Callable[[object], str]:
    def mismatch(value: object) -> str:
        path, what = find(value)
        if path is None:
            found = what
        else:
            found = f"{describe_value(value)} with {what}" + (f" at {path}" if path else "")
        if len(found) > _MAX_FOUND:
            found = found[: _MAX_FOUND - 3] + "..."
        return f"must be {expected}, got {found}"

    return mismatch


def field_checks(
    cls: type[object], reserved: frozenset[str], *, final: bool = True
) -> tuple[MemberCheck, ...]:
    """Return ``(name, check, default, mismatch)`` for each member of *cls* to check.

    *cls* is an attrs class; members named in *reserved* are left out, and
    so are members whose type the checks accept anything of. With
    ``final=False`` (when the class is created), an annotation naming
    something not yet defined raises NameError; afterwards, such a member is
    left unchecked.

    Raises:
        AnnotationError: an annotation is not a type expression, or names a
            type JSON cannot carry; the message names the member.
        NameError: with ``final=False``, an annotation names something undefined.
    """
    compiler = _Compiler(final=final)
    try:
        fields = record_fields(cls, final=final, skip=reserved)
    except AnnotationError as error:
        raise AnnotationError(f"member {error.field!r}: {error}") from None
    checks: list[MemberCheck] = []
    unresolved: NameError | None = None
    for name, annotation, default in fields:
        if annotation is None or annotation is UNRESOLVED:
            continue
        try:
            compiled = compiler.compile(annotation)
        except AnnotationError as error:
            raise AnnotationError(f"member {name!r}: {error}") from None
        except NameError as error:  # in a nested class; compile the others first
            unresolved = error
            continue
        if compiled is not None:
            expected = describe(annotation)
            checks.append((name, compiled.check, default, _mismatch(expected, compiled.find)))
    if not final:
        if unresolved is not None:
            raise unresolved
        _raise_unresolved(cls, fields)
    compiler.commit()
    return tuple(checks)
