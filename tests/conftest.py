"""Shared fixtures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, settings

from problemdetails import Problem, registry

settings.register_profile("default", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.register_profile(
    "leaks", deadline=None, max_examples=10_000, suppress_health_check=list(HealthCheck)
)
settings.load_profile("default")


@pytest.fixture(name="throwaway_types")
def _throwaway_types() -> Iterator[list[type[Problem]]]:
    """Collect problem classes a test declares and unregister them afterwards."""
    declared: list[type[Problem]] = []
    yield declared
    for cls in declared:
        registry.unregister(cls)
