"""The registry of declared problem types: type URI -> problem class."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import urlparse

from ._errors import DuplicateProblemTypeError
from ._problem import install_default_registry
from ._uri import is_absolute, resolve

if TYPE_CHECKING:
    from ._problem import Problem

_MAX_CACHED_BASES = 32

# A declared type with its registration order: when several declarations
# resolve to the same URI, the one registered last wins.
_Entry = tuple[int, "type[Problem]"]
# What resolving a network-path or absolute-path reference ("//host/p",
# "/p") against a base depends on: whether there is a base, its scheme and
# its authority. None when no reference resolves against the base.
_Origin = tuple[bool, str, str] | None
_K = TypeVar("_K")


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
        self._order: dict[str, int] = {}
        self._registered = 0
        # Relative type URIs, split by what their resolution depends on, so
        # that a look-up against a new base (clients resolve against every
        # response URL) resolves only the few that can match, not every type.
        self._rooted: dict[str, type[Problem]] = {}
        self._path_relative: dict[str, type[Problem]] = {}
        self._by_origin: dict[_Origin, dict[str, _Entry]] = {}
        self._resolved: dict[str, dict[str, _Entry]] = {}

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
        if existing is None:
            self._order[uri] = self._registered
            self._registered += 1
        self._by_uri[uri] = cls
        if not is_absolute(uri):
            (self._rooted if _is_rooted(uri) else self._path_relative)[uri] = cls
        self._forget()

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
        resolved = _resolved(type_uri, base_uri)
        if resolved is None:
            return None
        found: list[_Entry] = []
        # An absolute type URI resolves to itself, whatever the base.
        if is_absolute(resolved) and resolved in self._by_uri:
            found.append((self._order[resolved], self._by_uri[resolved]))
        if self._rooted:
            origin = _origin(base_uri)
            table = self._by_origin.get(origin)
            if table is None:
                table = self._table(self._rooted, base_uri) if origin is not None else {}
                _keep(self._by_origin, origin, table)
            if resolved in table:
                found.append(table[resolved])
        if self._path_relative:
            table = self._resolved.get(base_uri)
            if table is None:
                table = self._table(self._path_relative, base_uri)
                _keep(self._resolved, base_uri, table)
            if resolved in table:
                found.append(table[resolved])
        return max(found, key=lambda entry: entry[0])[1] if found else None

    def _table(self, declared: dict[str, type[Problem]], base_uri: str) -> dict[str, _Entry]:
        # In registration order: the last one registered wins a shared URI.
        table: dict[str, _Entry] = {}
        for uri, known in declared.items():
            resolved = _resolved(uri, base_uri)
            if resolved is not None:
                table[resolved] = (self._order[uri], known)
        return table

    def _forget(self) -> None:
        self._by_origin.clear()
        self._resolved.clear()

    def unregister(self, cls: type[Problem]) -> None:
        """Remove *cls* (for tests that declare throw-away problem types)."""
        uri = cls.__problem_type__
        if self._by_uri.get(uri) is cls:
            del self._by_uri[uri]
            del self._order[uri]
            self._rooted.pop(uri, None)
            self._path_relative.pop(uri, None)
            self._forget()

    def __contains__(self, type_uri: object) -> bool:
        return type_uri in self._by_uri

    def __iter__(self) -> Iterator[type[Problem]]:
        return iter(list(self._by_uri.values()))

    def __len__(self) -> int:
        return len(self._by_uri)

    def __repr__(self) -> str:
        return f"<ProblemRegistry of {len(self._by_uri)} types>"


def _keep(cache: dict[_K, dict[str, _Entry]], key: _K, table: dict[str, _Entry]) -> None:
    # Clients resolve against response URLs, which are unbounded in number.
    if len(cache) >= _MAX_CACHED_BASES:
        cache.clear()
    cache[key] = table


def _is_rooted(reference: str) -> bool:
    # A network-path or absolute-path reference: urljoin takes only the
    # base's scheme and authority (RFC 3986 section 5.2.2).
    try:
        parts = urlparse(reference)
    except ValueError:  # resolved against the whole base, where it fails alike
        return False
    return bool(parts.netloc) or parts.path.startswith("/")


def _origin(base: str) -> _Origin:
    try:
        resolve("/", base)  # the checks every resolution against *base* makes
        parts = urlparse(base)
    except ValueError:
        return None
    return bool(base), parts.scheme, parts.netloc


def _resolved(reference: str, base: str) -> str | None:
    try:
        return resolve(reference, base)
    except ValueError:  # "//[" and other references the URL parser refuses: no type we know
        return None


#: The registry problem classes join unless they name another one.
registry = ProblemRegistry()
install_default_registry(registry)
