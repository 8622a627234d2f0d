"""Many mapped exceptions, deep hierarchies and many declared types give the same answers."""

from __future__ import annotations

import itertools

import pytest

from problemdetails import Config, Problem, ProblemHandler, ProblemRegistry
from problemdetails._uri import resolve


class Mapped(Problem, type="urn:problemdetails:test-scale:mapped", title="Mapped.", status=404):
    """What the mapped exceptions become."""


class Specific(
    Problem, type="urn:problemdetails:test-scale:specific", title="Specific.", status=409
):
    """What a more specific mapping gives."""


def _chain(depth: int) -> list[type[Exception]]:
    classes: list[type[Exception]] = [type("Level0", (Exception,), {})]
    for level in range(1, depth + 1):
        classes.append(type(f"Level{level}", (classes[-1],), {}))
    return classes


class TestManyMappings:
    """More mapped classes than the mapper would otherwise cache all map right, every time."""

    def test_each_of_many_classes_maps_to_its_own_problem(self):
        """1,000 mapped classes raised in turn, twice over, each give their factory's problem."""
        classes = [type(f"Many{index}", (Exception,), {}) for index in range(1_000)]
        mappings = {cls: (lambda error: Mapped(detail=type(error).__name__)) for cls in classes}
        handler = ProblemHandler(Config(mappings=mappings))
        for _ in range(2):
            for cls in classes:
                problem = handler.find_problem(cls())
                assert isinstance(problem, Mapped)
                assert problem.detail == cls.__name__

    def test_unmapped_classes_beyond_the_cache_stay_unmapped(self):
        """Thousands of classes made at run time neither map nor disturb a mapped one."""
        handler = ProblemHandler(Config(mappings={KeyError: Mapped}))
        for index in range(2_000):
            assert handler.find_problem(type(f"Made{index}", (Exception,), {})()) is None
            if index % 500 == 0:
                assert isinstance(handler.find_problem(KeyError("x")), Mapped)


class TestDeepHierarchy:
    """The most specific mapping in the MRO wins however deep the class is."""

    def test_base_mapped_fifty_levels_up(self):
        """An exception 50 levels below the only mapped class maps through it."""
        classes = _chain(50)
        handler = ProblemHandler(Config(mappings={classes[0]: Mapped}))
        assert isinstance(handler.find_problem(classes[-1]()), Mapped)

    def test_most_specific_wins(self):
        """Below a mapping at level 25 that mapping wins; above it the base's does."""
        classes = _chain(50)
        handler = ProblemHandler(Config(mappings={classes[0]: Mapped, classes[25]: Specific}))
        assert isinstance(handler.find_problem(classes[50]()), Specific)
        assert isinstance(handler.find_problem(classes[25]()), Specific)
        assert isinstance(handler.find_problem(classes[24]()), Mapped)

    def test_specific_default_beats_general_user_mapping(self):
        """An adapter's mapping of a deeper class wins over the user's mapping of its base."""
        classes = _chain(50)
        handler = ProblemHandler(
            Config(mappings={classes[0]: Mapped}), defaults={classes[40]: Specific}
        )
        assert isinstance(handler.find_problem(classes[50]()), Specific)
        assert isinstance(handler.find_problem(classes[39]()), Mapped)

    def test_user_mapping_beats_default_at_the_same_class(self):
        """At the same class in the MRO, the user's table is asked before the adapter's."""
        classes = _chain(50)
        handler = ProblemHandler(
            Config(mappings={classes[30]: Mapped}), defaults={classes[30]: Specific}
        )
        assert isinstance(handler.find_problem(classes[50]()), Mapped)


DECLARED = [
    "https://a.example/probs/x",
    "/probs/x",
    "//a.example/probs/y",
    "/probs/../probs/z",
    "probs/x",
    "../probs/w",
    "?page=2",
    "#part",
    "urn:example:probs:x",
]

BASES = [
    "https://a.example/orders/1",
    "https://a.example/orders/2?x=1",
    "HTTPS://a.example/",
    "https://b.example/probs/",
    "http://a.example/orders/",
    "",
    "relative/base",
    "/absolute/path",
    "urn:example:base",
    "mailto:someone@example.com",
    "https://[::1]/p",
    "//[",
    "https://[bad/",
    "file:///tmp/x",
    "https://user@a.example:8443/orders/3;p?q#f",
]

GIVEN = [
    *DECLARED,
    "https://a.example/probs/z",
    "https://a.example/probs/y",
    "http://a.example/probs/x",
    "https://b.example/probs/x",
    "https://other.example/probs/x",
    "/probs/./x",
    "//[",
    "about:blank",
]


def _declare(registry: ProblemRegistry, uris: list[str]) -> list[type[Problem]]:
    declared: list[type[Problem]] = []
    for index, uri in enumerate(uris):
        name = f"Declared{index}"
        cls = type(Problem)(
            name,
            (Problem,),
            {"__module__": __name__, "__qualname__": name},
            type=uri,
            title="Declared.",
            status=400,
            registry=registry,
        )
        declared.append(cls)
    return declared


def _expected(declared: list[type[Problem]], type_uri: str, base_uri: str) -> type[Problem] | None:
    """What a look-up gives by resolving every declaration, the last registered winning."""
    by_uri = {cls.__problem_type__: cls for cls in declared}
    if type_uri in by_uri:
        return by_uri[type_uri]
    table: dict[str | None, type[Problem]] = {}
    for uri, cls in by_uri.items():
        table[_resolved(uri, base_uri)] = cls
    table.pop(None, None)
    return table.get(_resolved(type_uri, base_uri))


def _resolved(reference: str, base: str) -> str | None:
    try:
        return resolve(reference, base)
    except ValueError:
        return None


class TestManyBases:
    """Relative declarations resolve against any base as resolving each of them would."""

    @pytest.mark.parametrize("order", [DECLARED, DECLARED[::-1]], ids=["forward", "backward"])
    def test_every_base_and_reference(self, order: list[str]):
        """Each type against each base, fresh and cached, is what resolving them all gives."""
        registry = ProblemRegistry()
        declared = _declare(registry, order)
        for _ in range(2):
            for base, given in itertools.product(BASES, GIVEN):
                expected = _expected(declared, given, base)
                assert registry.get(given, base_uri=base) is expected, (given, base)

    def test_registered_again_wins_a_shared_uri(self):
        """A class unregistered and registered again is the last one: it wins a shared URI."""
        registry = ProblemRegistry()
        absolute, relative = _declare(registry, ["https://a.example/probs/x", "/probs/x"])
        base = "https://a.example/orders/1"
        assert registry.get("https://a.example/probs/x", base_uri=base) is absolute
        assert registry.get("/probs/x", base_uri=base) is relative
        assert registry.get("/orders/../probs/x", base_uri=base) is relative
        registry.unregister(absolute)
        assert registry.get("/orders/../probs/x", base_uri=base) is relative
        registry.register(absolute)
        assert registry.get("/orders/../probs/x", base_uri=base) is absolute
        registry.unregister(relative)
        registry.register(relative)
        assert registry.get("/orders/../probs/x", base_uri=base) is relative

    def test_many_hosts_and_paths(self):
        """Past the cached bases, 100 hosts and 100 paths still find the relative types."""
        registry = ProblemRegistry()
        rooted, path_relative = _declare(registry, ["/probs/x", "probs/y"])
        for index in range(100):
            base = f"https://host{index}.example/orders/{index}/items"
            assert registry.get(f"https://host{index}.example/probs/x", base_uri=base) is rooted
            assert (
                registry.get(f"https://host{index}.example/orders/{index}/probs/y", base_uri=base)
                is path_relative
            )
            assert registry.get("https://elsewhere.example/probs/x", base_uri=base) is None

    def test_many_types_against_new_urls(self):
        """With 2,000 types, half relative, each is found against URLs never seen before."""
        registry = ProblemRegistry()
        uris = [
            f"/probs/{index}" if index % 2 else f"https://a.example/probs/{index}"
            for index in range(2_000)
        ]
        declared = _declare(registry, uris)
        for index in range(0, 2_000, 37):
            base = f"https://a.example/orders/{index}"
            assert (
                registry.get(f"https://a.example/probs/{index}", base_uri=base) is declared[index]
            )
            assert registry.get(f"/probs/{index}", base_uri=base) is declared[index]
            assert registry.get("https://other.example/probs/1", base_uri=base) is None
