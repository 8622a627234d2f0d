"""Map: any exception to a problem."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from ._problem import Problem, is_received

#: A mapping target: a problem class (instantiated with no arguments) or a
#: callable that builds the problem from the exception, or returns None to let
#: a less specific mapping decide.
ProblemFactory = type[Problem] | Callable[[Any], Problem | None]

_MAX_CACHED = 512


class ExceptionMapper:
    """Turns exceptions into problems through layered mapping tables.

    A problem maps to itself, except one received from another service: it
    maps only through the user's table, and only by a problem class it is
    (relaying an upstream's problem is an explicit choice). The exception's MRO is walked
    from the most specific class; at each class the tables are asked in order
    (the user's before an adapter's defaults) and the first factory that
    returns a problem wins. Unmapped exceptions give None: the caller decides (the
    pipeline answers with the generic 500).
    """

    def __init__(self, tables: Sequence[Mapping[type[BaseException], ProblemFactory]]) -> None:
        self._tables = tuple(tables)
        self._chains: dict[type[BaseException], tuple[ProblemFactory, ...]] = {}
        # Room for every mapped class and _MAX_CACHED others: an application
        # raising each of its 1,000 mapped exceptions in turn must not clear
        # the cache at every 512th class and walk MROs again on most errors.
        self._max_cached = _MAX_CACHED + sum(len(table) for table in self._tables)

    def _chain(self, kind: type[BaseException]) -> tuple[ProblemFactory, ...]:
        chain = self._chains.get(kind)
        if chain is None:
            if getattr(kind, "__problem_received__", False) is True:
                # A received problem is relayed only on purpose: through the
                # user's own table, for a problem class it is (its registered
                # class, or a group such as ClientError), never through a
                # base like LookupError or an adapter's PermissionDenied.
                chain = tuple(
                    self._tables[0][base]
                    for base in kind.__mro__
                    if issubclass(base, Problem) and base in self._tables[0]
                )
            else:
                chain = tuple(
                    table[base] for base in kind.__mro__ for table in self._tables if base in table
                )
            # Exception classes made at run time must not grow the cache forever.
            if len(self._chains) >= self._max_cached:
                self._chains.clear()
            self._chains[kind] = chain
        return chain

    def to_problem(self, exception: BaseException) -> Problem | None:
        """Return the problem *exception* maps to, or None when nothing maps it.

        Raises:
            Exception: whatever a factory raises; the pipeline guards the call.
        """
        if isinstance(exception, Problem) and not is_received(exception):
            return exception
        for factory in self._chain(type(exception)):
            problem = factory() if isinstance(factory, type) else factory(exception)
            if problem is not None:
                return problem
        return None
