"""The registry of declared problem types."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from problemdetails import (
    DuplicateProblemTypeError,
    Problem,
    ProblemDefinitionError,
    ProblemRegistry,
    parse_problem,
    registry,
)

BASE = "https://example.com/probs/test-registry"


class TestRegistering:
    """Declaring a type URI registers the class under it."""

    def test_registered_by_type_uri(self, throwaway_types: list[type[Problem]]):
        """The class is found by its type URI, is in the registry and is iterated."""

        class Gone(Problem, type=f"{BASE}/gone", title="Gone.", status=410):
            pass

        throwaway_types.append(Gone)
        assert registry.get(f"{BASE}/gone") is Gone
        assert f"{BASE}/gone" in registry
        assert Gone in list(registry)

    def test_unknown_uri(self):
        """An unknown type URI gives None."""
        assert registry.get(f"{BASE}/never-declared") is None
        assert f"{BASE}/never-declared" not in registry

    def test_duplicate_from_another_class(self, throwaway_types: list[type[Problem]]):
        """A second class claiming the URI fails its class statement and names both classes."""

        class First(Problem, type=f"{BASE}/dup", title="First.", status=400):
            pass

        throwaway_types.append(First)
        with pytest.raises(DuplicateProblemTypeError, match=r"already declared by .*First") as info:

            class Second(Problem, type=f"{BASE}/dup", title="Second.", status=400):
                pass

        assert isinstance(info.value, ProblemDefinitionError)
        assert isinstance(info.value, TypeError)
        assert "Second" in str(info.value)
        assert registry.get(f"{BASE}/dup") is First

    def test_unregister(self):
        """Unregistering removes the class."""

        class Temporary(Problem, type=f"{BASE}/temporary", title="Temporary.", status=400):
            pass

        registry.unregister(Temporary)
        assert registry.get(f"{BASE}/temporary") is None

    def test_unregister_leaves_other_class(self, throwaway_types: list[type[Problem]]):
        """Unregistering a class that does not own the URI leaves the owner alone."""

        class Owner(Problem, type=f"{BASE}/owner", title="Owner.", status=400):
            pass

        throwaway_types.append(Owner)
        other = ProblemRegistry()

        class Stranger(Problem, type=f"{BASE}/owner", title="Stranger.", registry=other):
            pass

        registry.unregister(Stranger)
        assert registry.get(f"{BASE}/owner") is Owner

    def test_repr_and_len(self):
        """A registry says how many types it holds."""
        custom = ProblemRegistry()

        class Counted(Problem, type=f"{BASE}/counted", title="Counted.", registry=custom):
            pass

        assert len(custom) == 1
        assert repr(custom) == "<ProblemRegistry of 1 types>"


@pytest.fixture(name="module_dir")
def _module_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    module = sys.modules.pop("reloaded_problems", None)
    if module is not None:
        registry.unregister(module.Reloaded)


class TestReload:
    """Reloading a module re-declares its classes."""

    def test_reload_replaces(self, module_dir: Path):
        """The re-declared class (same module and qualname) replaces the old one."""
        (module_dir / "reloaded_problems.py").write_text(
            "from problemdetails import Problem\n"
            "class Reloaded(Problem, type='https://example.com/probs/test-registry/reloaded',\n"
            "               title='Reloaded.', status=409):\n"
            "    pass\n"
        )
        module = importlib.import_module("reloaded_problems")
        old = module.Reloaded
        module = importlib.reload(module)
        assert module.Reloaded is not old
        assert registry.get(f"{BASE}/reloaded") is module.Reloaded


class TestBaseUri:
    """Relative type URIs are resolved against a base at look-up time."""

    @pytest.fixture(name="relative")
    def _relative(self, throwaway_types: list[type[Problem]]) -> type[Problem]:
        class Relative(Problem, type="/problems/test-registry/relative", title="Rel.", status=400):
            pass

        throwaway_types.append(Relative)
        return Relative

    @pytest.fixture(name="absolute")
    def _absolute(self, throwaway_types: list[type[Problem]]) -> type[Problem]:
        class Absolute(Problem, type=f"{BASE}/absolute", title="Abs.", status=400):
            pass

        throwaway_types.append(Absolute)
        return Absolute

    def test_relative_declared_absolute_given(self, relative: type[Problem]):
        """A relative declaration matches the absolute URI it resolves to."""
        found = registry.get(
            "https://api.example.com/problems/test-registry/relative",
            base_uri="https://api.example.com/v1/orders",
        )
        assert found is relative

    def test_absolute_declared_relative_given(self, absolute: type[Problem]):
        """A relative URI received matches the absolute declaration it resolves to."""
        found = registry.get("../test-registry/absolute", base_uri=f"{BASE}/x")
        assert found is absolute

    @pytest.mark.usefixtures("absolute")
    def test_relative_given_without_base(self):
        """Without a base, a relative URI matches only a declaration spelled the same."""
        assert registry.get("../test-registry/absolute") is None

    @pytest.mark.usefixtures("relative")
    def test_other_host_does_not_match(self):
        """A URI on another host does not match the relative declaration."""
        found = registry.get(
            "https://evil.example.net/problems/test-registry/relative",
            base_uri="https://api.example.com/",
        )
        assert found is None

    def test_new_declaration_after_lookup(self, throwaway_types: list[type[Problem]]):
        """A class declared after a look-up with a base is found with that base."""
        base = "https://api.example.com/"
        assert registry.get(f"{base}problems/test-registry/late", base_uri=base) is None

        class Late(Problem, type="/problems/test-registry/late", title="Late.", status=400):
            pass

        throwaway_types.append(Late)
        assert registry.get(f"{base}problems/test-registry/late", base_uri=base) is Late

    @pytest.mark.parametrize("type_uri", ["//[", "//]", "//[::1", "//[xyz]/p", "//a\u2100b/x"])
    @pytest.mark.usefixtures("relative", "absolute")
    def test_reference_the_url_parser_refuses(self, type_uri: str):
        """A relative URI that cannot be resolved names no type: None, never ValueError."""
        assert registry.get(type_uri, base_uri="https://api.example.com/v1/") is None

    def test_base_the_url_parser_refuses(self, relative: type[Problem], absolute: type[Problem]):
        """A base that does not parse resolves nothing; URIs spelled as declared still match."""
        base = "http://[::1/v1/"
        assert registry.get("../test-registry/absolute", base_uri=base) is None
        assert registry.get("/problems/test-registry/relative", base_uri=base) is relative
        assert registry.get(f"{BASE}/absolute", base_uri=base) is absolute

    def test_many_bases(self, relative: type[Problem]):
        """Looking up against many bases (one per response URL) keeps answering correctly."""
        for number in range(100):
            base = f"https://host{number}.example.com/"
            found = registry.get(f"{base}problems/test-registry/relative", base_uri=base)
            assert found is relative


class TestCustomRegistry:
    """Classes may join a registry other than the default one."""

    def test_registry_keyword(self):
        """A class declared with registry= lands there and not in the default registry."""
        custom = ProblemRegistry()

        class Private(Problem, type=f"{BASE}/private", title="Private.", registry=custom):
            pass

        assert custom.get(f"{BASE}/private") is Private
        assert registry.get(f"{BASE}/private") is None

    def test_same_uri_in_two_registries(self, throwaway_types: list[type[Problem]]):
        """Separate registries may each hold a class for the same URI."""
        custom = ProblemRegistry()

        class Public(Problem, type=f"{BASE}/shared", title="Public.", status=400):
            pass

        throwaway_types.append(Public)

        class Internal(Problem, type=f"{BASE}/shared", title="Internal.", registry=custom):
            pass

        assert registry.get(f"{BASE}/shared") is Public
        assert custom.get(f"{BASE}/shared") is Internal

    def test_parse_with_custom_registry(self):
        """parse_problem looks classes up in the registry it is given."""
        custom = ProblemRegistry()

        class Private(Problem, type=f"{BASE}/parsed", title="Private.", registry=custom):
            pass

        document = {"type": f"{BASE}/parsed", "status": 400}
        assert type(parse_problem(document, registry=custom)) is Private
        assert type(parse_problem(document)) is Problem
