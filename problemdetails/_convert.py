"""The one cattrs converter, configured for problem documents.

Structuring is strict: RFC 9457 section 3.1 says a member whose JSON type is
wrong MUST be ignored, so ``"30"`` never becomes the int 30 here.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from email.utils import parsedate_to_datetime
from typing import Any

import attrs
import cattrs
from cattrs.gen import make_dict_unstructure_fn

from ._problem import RESERVED_NAMES, Problem

converter = cattrs.Converter()

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
    try:
        return datetime.fromisoformat(value)
    except ValueError:
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
    moment = _structure_datetime(value, datetime)
    if moment.tzinfo is None:
        raise ValueError(f"expected a date with a time zone, got {value!r}")
    return moment


converter.register_structure_hook(str, _strict(str))
converter.register_structure_hook(int, _strict(int))
converter.register_structure_hook(bool, _strict(bool))
converter.register_structure_hook(float, _structure_float)
converter.register_structure_hook(datetime, _structure_datetime)
converter.register_unstructure_hook(datetime, datetime.isoformat)
converter.register_structure_hook_func(
    lambda kind: kind in (int | datetime, int | datetime | None), _structure_seconds_or_date
)


def _is_plain_attrs(kind: Any) -> bool:
    return isinstance(kind, type) and attrs.has(kind) and not issubclass(kind, Problem)


def _unstructure_factory(kind: type) -> UnstructureHook:
    generated: UnstructureHook = make_dict_unstructure_fn(kind, converter)

    # Nested objects follow the document's rule: a None member is left out.
    def unstructure(value: Any) -> dict[str, Any]:
        return {key: item for key, item in generated(value).items() if item is not None}

    return unstructure


converter.register_unstructure_hook_factory(_is_plain_attrs, _unstructure_factory)


def _identity_hook(kind: Any) -> UnstructureHook | None:
    hook = converter.get_unstructure_hook(kind)
    # Strings, numbers and lists of them need no work at all: skip the call.
    return None if getattr(hook, "__name__", "") == "identity" else hook


UnstructurePlan = tuple[tuple[str, UnstructureHook | None], ...]
StructurePlan = tuple[tuple[str, StructureHook, Any], ...]
_unstructure_plans: dict[type[Problem], UnstructurePlan] = {}
_structure_plans: dict[type[Problem], StructurePlan] = {}


def _declared_fields(cls: type[Problem]) -> list[attrs.Attribute[Any]]:
    # Annotations are strings until resolved; by the first render every name
    # a user's module refers to exists.
    attrs.resolve_types(cls)
    return [field for field in attrs.fields(cls) if field.name not in RESERVED_NAMES]


def unstructure_plan(cls: type[Problem]) -> UnstructurePlan:
    """Return ``(name, hook)`` for each declared extension member of *cls*.

    ``hook`` is None where the value is JSON-ready as it is. Built once per class.
    """
    plan = _unstructure_plans.get(cls)
    if plan is None:
        plan = tuple((f.name, _identity_hook(f.type)) for f in _declared_fields(cls))
        _unstructure_plans[cls] = plan
    return plan


def structure_plan(cls: type[Problem]) -> StructurePlan:
    """Return ``(name, hook, type)`` for each declared extension member of *cls*."""
    plan = _structure_plans.get(cls)
    if plan is None:
        plan = tuple(
            (f.name, converter.get_structure_hook(f.type), f.type) for f in _declared_fields(cls)
        )
        _structure_plans[cls] = plan
    return plan
