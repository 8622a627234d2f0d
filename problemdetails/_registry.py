"""The registry of declared problem types: type URI -> problem class."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from ._errors import DuplicateProblemTypeError
from ._problem import install_default_registry
from ._uri import resolve

if TYPE_CHECKING:
    from ._problem import Problem

_MAX_CACHED_BASES = 32


class ProblemRegistry:
    """Maps problem type URIs to the classes that declare them.

    Declaring a problem class with a ``type`` registers it in the default
    registry (`problemdetails.registry`) or the one given with the class keyword
    ``registry=``. The parser, the client and documentation tools read it.

    Relative type URIs are kept as declared and resolved against a base URI at
    look-up time, so one declaration serves every deployment.

    Example:
        >>> registry.get("https://example.com/probs/out-of-credit")  # doctest: +SKIP
        <class 'OutOfCredit'>
    """

    def __init__(self) -> None:
        self._by_uri: dict[str, type[Problem]] = {}
        self._resolved: dict[str, dict[str, type[Problem]]] = {}

    def register(self, cls: type[Problem]) -> None:
        """Register *cls* under its declared type URI.

        Raises:
            DuplicateProblemTypeError: another class already claims that URI. A
                class re-declared by reloading its module replaces its old self.
        """
        uri = cls.__problem_type__
        existing = self._by_uri.get(uri)
        if existing is not None and (existing.__module__, existing.__qualname__) != (
            cls.__module__,
            cls.__qualname__,
        ):
            raise DuplicateProblemTypeError(
                f"type URI {uri!r} of {cls.__module__}.{cls.__qualname__} is already "
                f"declared by {existing.__module__}.{existing.__qualname__}; a type URI "
                "identifies one problem type, so give one of them another URI"
            )
        self._by_uri[uri] = cls
        self._resolved.clear()

    def get(self, type_uri: str, *, base_uri: str | None = None) -> type[Problem] | None:
        """Return the class registered for *type_uri*, or None.

        Never raises for a *type_uri* or *base_uri* that is no valid URI: a
        reference that cannot be resolved names no registered type.

        Args:
            type_uri: the ``type`` member as received or rendered.
            base_uri: the base against which relative URIs (declared or given)
                are resolved before comparing.
        """
        cls = self._by_uri.get(type_uri)
        if cls is not None or base_uri is None:
            return cls
        table = self._resolved.get(base_uri)
        if table is None:
            table = {}
            for uri, known in self._by_uri.items():
                resolved = _resolved(uri, base_uri)
                if resolved is not None:
                    table[resolved] = known
            # Clients resolve against response URLs, which are unbounded in number.
            if len(self._resolved) >= _MAX_CACHED_BASES:
                self._resolved.clear()
            self._resolved[base_uri] = table
        resolved = _resolved(type_uri, base_uri)
        return None if resolved is None else table.get(resolved)

    def unregister(self, cls: type[Problem]) -> None:
        """Remove *cls* (for tests that declare throw-away problem types)."""
        if self._by_uri.get(cls.__problem_type__) is cls:
            del self._by_uri[cls.__problem_type__]
            self._resolved.clear()

    def __contains__(self, type_uri: object) -> bool:
        return type_uri in self._by_uri

    def __iter__(self) -> Iterator[type[Problem]]:
        return iter(list(self._by_uri.values()))

    def __len__(self) -> int:
        return len(self._by_uri)

    def __repr__(self) -> str:
        return f"<ProblemRegistry of {len(self._by_uri)} types>"


def _resolved(reference: str, base: str) -> str | None:
    try:
        return resolve(reference, base)
    except ValueError:  # "//[" and other references the URL parser refuses: no type we know
        return None


#: The registry problem classes join unless they name another one.
registry = ProblemRegistry()
install_default_registry(registry)
