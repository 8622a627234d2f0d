"""Scale: what an error costs when the API declares, maps or carries a lot.

Run from the repository root with the project's environment::

    .venv/bin/python bench/bench_scale.py

Each row times the same call at a small and at a large size, in alternating
rounds (CPU time, best of ``--repeat`` rounds of ``--number`` calls), and
checks first that both paths give the expected document, so that a broken
path cannot be timed. ``ours`` is the large size, ``baseline`` the small one
(or, where it says so, the hand-written equivalent):

- ``handle: 10,000 types``: ``ProblemHandler.handle(problem)`` for problems
  of 10 declared types, in turn, while the default registry holds those 10
  types against 10,010 (10,000 more declared in a loop, each with its own
  type URI, half of them relative; the registry is switched between
  rounds). Aim: flat (1.05x).
- ``handle: each of 10,000 types``: the same, but each call raises a problem
  of another type, in turn through all of them, against in turn through 10.
  It shows what a large API pays when its errors are spread over every type
  (mostly the processor's caches). Informs: no aim.
- ``parse, new URLs: 10,000 types``: ``parse_problem(body, base_uri=url)``
  as a client calls it, for a problem of another API's type and one of a
  type declared relative, each against 100 request URLs in turn, with the
  registry of 10 types against 10,010. The registry works its table of
  relative types out once per host (after any new declaration): that is
  done before each round. Aim: flat (1.05x).
- ``map: 1,000 mapped classes``: ``ProblemHandler.find_problem(exception)``
  with ``Config(mappings=...)`` of 1,000 exception classes, raising each in
  turn, against 10 classes. Aim: flat (1.05x).
- ``map: 50-level subclass``: an exception 50 subclasses below a mapped
  class, against the mapped class itself. Aim: flat (1.05x).
- ``validation/encode per error``: ``ProblemHandler.render`` of a
  ``ValidationProblem`` with 10,000 field errors against 1, so the cost per
  error is ``(t(10,000) - t(1)) / 9,999``; the baseline is the same per-error
  cost of ``json.dumps`` of the same document built by hand as dicts (the
  list of error dicts ready-made: the hand-written code's whole work). The
  library turns each ``FieldError`` into a dict first: informs, no aim.
- ``validation/build+encode per error``: the same, with the baseline
  building its error dicts from the same ``FieldError`` objects (a list
  comprehension leaving out a missing pointer, as the library does) before
  ``json.dumps``: what a user writes who keeps errors as objects. Aim 1.0x.
- ``validation: linear``: the library's cost per error at 10,000 errors
  against at 1,000. Aim: flat (1.05x).
- ``parse at limit: <kind>``: ``parse_problem`` of a document just under the
  size limit (1 MiB) against ``json.loads`` of the same bytes. Two kinds: an
  unregistered type carrying one large extension member (decoding, the depth
  check and the bookkeeping) and a ``ValidationProblem`` with as many field
  errors as fit (which also builds a ``FieldError`` per entry). Aim 2.0x.

The rows go through ``_common.report`` (``bench="scale"``), so
``bench/run_all.py`` gathers them with the others. Declaring the 10,000
problem types takes about ten seconds before any timing starts.
"""

from __future__ import annotations

import argparse
import json
import logging
import statistics
import sys
import time
import timeit
from collections.abc import Callable, Sequence
from typing import Any

from _common import Row, report

from problemdetails import (
    Config,
    FieldError,
    Problem,
    ProblemHandler,
    ValidationProblem,
    parse_problem,
    registry,
)
from problemdetails._parse import DEFAULT_MAX_BYTES
from problemdetails._render import problem_to_dict

REPEAT = 15
NUMBER = 2_000
FEW_TYPES = 10
MANY_TYPES = 10_000
LOOKUP_URLS = 100
FEW_MAPPED = 10
MANY_MAPPED = 1_000
DEPTH = 50
FEW_ERRORS = 1
SOME_ERRORS = 1_000
MANY_ERRORS = 10_000
FLOW_ID = "4b0f6dbb2f2a4cf0a62a0b7f3c0e1e7d"
FLAT = 1.05


class Side:
    """One timed call: *call* run *number* times per round, after *setup*."""

    def __init__(
        self, call: Callable[[], object], number: int, setup: Callable[[], None] | None = None
    ) -> None:
        self.call = call
        self.number = max(1, number)
        self.setup = setup
        self.runs: list[float] = []

    @property
    def best(self) -> float:
        """The best round, in seconds per call."""
        return min(self.runs)

    @property
    def median(self) -> float:
        """The median round, in seconds per call."""
        return statistics.median(self.runs)


def interleave(sides: Sequence[Side], repeat: int) -> None:
    """Time every side once per round, for *repeat* rounds, in CPU time.

    Alternating rounds make a busy machine slow every side alike; CPU time
    leaves out what other processes take.
    """
    for _ in range(repeat):
        for side in sides:
            if side.setup is not None:
                side.setup()
            timer = timeit.Timer(side.call, timer=time.process_time)
            side.runs.append(timer.timeit(side.number) / side.number)


def flat_row(case: str, large: Side, small: Side, aim: float | None = FLAT) -> Row:
    """The row comparing one call at a large size against a small one (microseconds)."""
    return Row(
        bench="scale",
        case=case,
        ours=large.best * 1e6,
        base=small.best * 1e6,
        ratio=large.best / small.best,
        aim=aim,
        median_ratio=large.median / small.median,
    )


def fail(message: str) -> None:
    """Stop the benchmark: a path that gives the wrong answer is not timed."""
    raise SystemExit(f"bench_scale: {message}")


# -- declared types ---------------------------------------------------------


def declare(count: int, prefix: str) -> list[type[Problem]]:
    """Declare *count* problem types with distinct type URIs in the default registry.

    Every other one is relative (``/probs/...``), as an API declares its types
    to serve every deployment; the others are absolute.
    """
    meta = type(Problem)
    return [
        meta(
            f"Scale{prefix}{index}",
            (Problem,),
            {"__module__": __name__, "__qualname__": f"Scale{prefix}{index}"},
            type=f"/probs/scale/{prefix}/{index}"
            if index % 2
            else f"https://example.com/probs/scale/{prefix}/{index}",
            title=f"Scale problem {index}.",
            status=409,
        )
        for index in range(count)
    ]


def cycling(items: Sequence[Any], call: Callable[[Any], object]) -> Callable[[], object]:
    """A call that passes *items* to *call* in turn, one per call."""
    count = len(items)
    position = 0

    def next_call() -> object:
        nonlocal position
        position = (position + 1) % count
        return call(items[position])

    return next_call


def check_handled(handler: ProblemHandler, problems: list[Problem]) -> None:
    """Handle each problem once: its document must be right (and its plans are then built)."""
    for problem in problems:
        body = json.loads(handler.handle(problem).body)
        if body["type"] != type(problem).__problem_type__ or body["status"] != 409:
            fail(f"handle gave {body!r} for {type(problem).__name__}")


def registry_rows(repeat: int, number: int) -> list[Row]:
    """Handling a raised problem, and parsing one, with 10 declared types against 10,010."""
    logging.getLogger("problemdetails").setLevel(logging.WARNING)
    handler = ProblemHandler()
    few = declare(FEW_TYPES, "few")
    extra = declare(MANY_TYPES, "many")
    few_problems = [cls(detail="a scale problem") for cls in few]
    all_problems = few_problems + [cls(detail="a scale problem") for cls in extra]
    check_handled(handler, all_problems)
    if len(registry) < FEW_TYPES + MANY_TYPES:
        fail(f"the registry holds {len(registry)} types")

    # A client reads problems from many URLs: one of another API's types,
    # one of ours declared relative, each against a URL it has not seen.
    documents = [
        json.dumps({"type": uri, "title": "Declined.", "status": 402}).encode()
        for uri in ("https://other.example.net/probs/declined", few[1].__problem_type__)
    ]
    urls = [f"https://example.com/orders/{index}" for index in range(LOOKUP_URLS)]
    lookups = [(document, url) for url in urls for document in documents]

    def look_up(lookup: tuple[bytes, str]) -> Problem:
        return parse_problem(lookup[0], base_uri=lookup[1])

    def shrink() -> None:
        for cls in extra:
            registry.unregister(cls)
        look_up(lookups[0])  # what the registry works out once per host, as in grow

    def grow() -> None:
        for cls in extra:
            registry.register(cls)
        # A new declaration makes the registry work its look-up table for a
        # host out again, once: a cost of declaring, not of each look-up.
        look_up(lookups[0])

    for sizing in (shrink, grow):
        sizing()
        for lookup in lookups:
            kind = type(look_up(lookup))
            if kind is not (Problem if lookup[0] is documents[0] else few[1]):
                fail(f"parse_problem against {lookup[1]} gave {kind.__name__}")

    small = Side(cycling(few_problems, handler.handle), number, shrink)
    large = Side(cycling(few_problems, handler.handle), number, grow)
    spread_small = Side(cycling(few_problems, handler.handle), number, grow)
    spread_large = Side(cycling(all_problems, handler.handle), number, grow)
    lookup_small = Side(cycling(lookups, look_up), number, shrink)
    lookup_large = Side(cycling(lookups, look_up), number, grow)
    interleave([small, large, spread_small, spread_large, lookup_small, lookup_large], repeat)
    grow()
    return [
        flat_row(f"handle: {MANY_TYPES:,} types", large, small),
        flat_row(f"handle: each of {MANY_TYPES:,} types", spread_large, spread_small, aim=None),
        flat_row(f"parse, new URLs: {MANY_TYPES:,} types", lookup_large, lookup_small),
    ]


# -- mappings ---------------------------------------------------------------


class ScaleNotFound(
    Problem, type="https://example.com/probs/scale/not-found", title="Not found.", status=404
):
    """What the mapped exceptions become."""


def exception_classes(count: int, prefix: str) -> list[type[Exception]]:
    """*count* distinct exception classes, each directly below Exception."""
    return [type(f"{prefix}Error{index}", (Exception,), {}) for index in range(count)]


def mapping_rows(repeat: int, number: int) -> list[Row]:
    """Mapping with 10 classes against 1,000; a 50-level subclass against its mapped base."""
    few = exception_classes(FEW_MAPPED, "Few")
    many = exception_classes(MANY_MAPPED, "Many")
    few_handler = ProblemHandler(Config(mappings=dict.fromkeys(few, ScaleNotFound)))
    many_handler = ProblemHandler(Config(mappings=dict.fromkeys(many, ScaleNotFound)))
    base = type("DeepBase", (Exception,), {})
    deep: type[Exception] = base
    for level in range(DEPTH):
        deep = type(f"Deep{level}", (deep,), {})
    if len(deep.__mro__) != DEPTH + 4:
        fail(f"the deep class has {len(deep.__mro__)} classes in its MRO")
    deep_handler = ProblemHandler(Config(mappings={base: ScaleNotFound}))
    few_errors = [cls() for cls in few]
    many_errors = [cls() for cls in many]
    for handler, errors in ((few_handler, few_errors), (many_handler, many_errors)):
        for error in errors:
            if type(handler.find_problem(error)) is not ScaleNotFound:
                fail(f"{type(error).__name__} did not map")
    for error in (base(), deep()):
        if type(deep_handler.find_problem(error)) is not ScaleNotFound:
            fail(f"{type(error).__name__} did not map")

    small = Side(cycling(few_errors, few_handler.find_problem), number)
    large = Side(cycling(many_errors, many_handler.find_problem), number)
    shallow_error, deep_error = base(), deep()
    shallow = Side(lambda: deep_handler.find_problem(shallow_error), number)
    deepest = Side(lambda: deep_handler.find_problem(deep_error), number)
    interleave([small, large, shallow, deepest], repeat)
    return [
        flat_row(f"map: {MANY_MAPPED:,} mapped classes", large, small),
        flat_row(f"map: {DEPTH}-level subclass", deepest, shallow),
    ]


# -- validation errors ------------------------------------------------------


def field_errors(count: int) -> list[FieldError]:
    """*count* field errors, every tenth without a pointer."""
    return [
        FieldError(detail=f"must be positive (entry {index})", pointer=f"#/items/{index}/quantity")
        if index % 10
        else FieldError(detail=f"is required (entry {index})")
        for index in range(count)
    ]


def hand_errors(errors: list[FieldError]) -> list[dict[str, str]]:
    """The error dicts a user builds from error objects: no pointer member when there is none."""
    return [
        {"detail": error.detail}
        if error.pointer is None
        else {"detail": error.detail, "pointer": error.pointer}
        for error in errors
    ]


def hand_document(errors: list[dict[str, str]]) -> dict[str, Any]:
    """The whole document, written by hand, as the library renders it."""
    return {
        "type": ValidationProblem.__problem_type__,
        "title": ValidationProblem.__problem_title__,
        "status": ValidationProblem.__problem_status__,
        "flow_id": FLOW_ID,
        "errors": errors,
    }


def validation_rows(repeat: int, number: int) -> list[Row]:
    """Rendering 10,000 field errors against 1: per error, against json.dumps per error."""
    handler = ProblemHandler(Config(flow_id_factory=lambda: FLOW_ID))
    sizes = (FEW_ERRORS, SOME_ERRORS, MANY_ERRORS)
    errors = {size: field_errors(size) for size in sizes}
    problems = {size: ValidationProblem(errors=errors[size]) for size in sizes}
    dicts = {size: hand_errors(errors[size]) for size in sizes}
    for size in sizes:
        ours = handler.render(problems[size]).body
        if json.loads(ours) != hand_document(dicts[size]):
            fail(f"the rendered document of {size} errors is not the hand-written one")

    def sides(make: Callable[[int], Callable[[], object]]) -> dict[int, Side]:
        # A round of any size takes about as long as NUMBER calls of one error.
        return {size: Side(make(size), number * 4 // (size + 3)) for size in sizes}

    ours = sides(lambda size: lambda: handler.render(problems[size]))
    encode = sides(lambda size: lambda: json.dumps(hand_document(dicts[size])).encode())
    build = sides(
        lambda size: lambda: json.dumps(hand_document(hand_errors(errors[size]))).encode()
    )
    interleave([side for group in (ours, encode, build) for side in group.values()], repeat)

    def per_error(group: dict[int, Side], size: int, pick: Callable[[Side], float]) -> float:
        return (pick(group[size]) - pick(group[FEW_ERRORS])) / (size - FEW_ERRORS)

    def row(case: str, theirs: dict[int, Side], aim: float | None) -> Row:
        best = per_error(ours, MANY_ERRORS, lambda side: side.best)
        their_best = per_error(theirs, MANY_ERRORS, lambda side: side.best)
        median = per_error(ours, MANY_ERRORS, lambda side: side.median)
        their_median = per_error(theirs, MANY_ERRORS, lambda side: side.median)
        return Row(
            bench="scale",
            case=case,
            ours=best * 1e9,
            base=their_best * 1e9,
            ratio=best / their_best,
            aim=aim,
            unit="ns",
            median_ratio=median / their_median,
        )

    at_many = per_error(ours, MANY_ERRORS, lambda side: side.best)
    at_some = per_error(ours, SOME_ERRORS, lambda side: side.best)
    median_many = per_error(ours, MANY_ERRORS, lambda side: side.median)
    median_some = per_error(ours, SOME_ERRORS, lambda side: side.median)
    return [
        row("validation/encode per error", encode, None),
        row("validation/build+encode per error", build, 1.0),
        Row(
            bench="scale",
            case=f"validation: linear ({MANY_ERRORS:,} vs {SOME_ERRORS:,})",
            ours=at_many * 1e9,
            base=at_some * 1e9,
            ratio=at_many / at_some,
            aim=FLAT,
            unit="ns",
            median_ratio=median_many / median_some,
        ),
    ]


# -- parsing at the size limit ----------------------------------------------


def at_limit(fill: Callable[[int], dict[str, Any]]) -> bytes:
    """The largest document *fill* makes that stays within the parser's size limit."""
    low, high = 1, DEFAULT_MAX_BYTES
    while low < high:
        middle = (low + high + 1) // 2
        if len(json.dumps(fill(middle)).encode()) <= DEFAULT_MAX_BYTES:
            low = middle
        else:
            high = middle - 1
    return json.dumps(fill(low)).encode()


def unknown_document(count: int) -> dict[str, Any]:
    """An unregistered type with one large extension member: a list of records."""
    return {
        "type": "https://example.com/probs/scale/unregistered",
        "title": "Some records could not be imported.",
        "status": 422,
        "flow_id": FLOW_ID,
        "rejected": [
            {"line": index, "reason": "duplicate key", "score": index / 7} for index in range(count)
        ],
    }


def validation_document(count: int) -> dict[str, Any]:
    """A ValidationProblem document with *count* field errors."""
    return hand_document(hand_errors(field_errors(count)))


def parse_rows(repeat: int, number: int) -> list[Row]:
    """parse_problem of a document at the size limit against json.loads of the same bytes."""
    rows = []
    sides: list[tuple[str, Side, Side]] = []
    for kind, fill, cls in (
        ("unregistered type", unknown_document, Problem),
        ("validation errors", validation_document, ValidationProblem),
    ):
        document = at_limit(fill)
        if len(document) > DEFAULT_MAX_BYTES or len(document) < DEFAULT_MAX_BYTES * 0.99:
            fail(f"the {kind} document has {len(document)} bytes")
        problem = parse_problem(document)
        if type(problem) is not cls:
            fail(f"the {kind} document parsed as {type(problem).__name__}")
        if problem_to_dict(problem) != json.loads(document):
            fail(f"the {kind} document does not come back the same")
        loops = max(1, number // 200)
        sides.append(
            (
                kind,
                Side(lambda document=document: parse_problem(document), loops),
                Side(lambda document=document: json.loads(document), loops),
            )
        )
    interleave([side for _, ours, theirs in sides for side in (ours, theirs)], repeat)
    for kind, ours, theirs in sides:
        rows.append(
            Row(
                bench="scale",
                case=f"parse at limit: {kind}",
                ours=ours.best * 1e3,
                base=theirs.best * 1e3,
                ratio=ours.best / theirs.best,
                aim=2.0,
                unit="ms",
                median_ratio=ours.median / theirs.median,
            )
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Check every path, time it, and report the rows."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT, help="rounds (best is kept)")
    parser.add_argument("--number", type=int, default=NUMBER, help="calls per round (small size)")
    args = parser.parse_args(argv)
    repeat, number = max(1, args.repeat), max(1, args.number)
    rows = [
        *registry_rows(repeat, number),
        *mapping_rows(repeat, number),
        *validation_rows(repeat, number),
        *parse_rows(repeat, number),
    ]
    report(
        rows,
        f"Python {sys.version.split()[0]}, best of {repeat} rounds, CPU time "
        "(ours: the large size; baseline: the small size or the hand-written code)",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
