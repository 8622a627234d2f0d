"""Importing the package is cheap and imports no web framework."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

import problemdetails

#: Modules an import of the core must not pull in: frameworks, and the heavy
#: standard modules only some problems need.
HEAVY = ("flask", "werkzeug", "django", "email", "importlib.metadata", "httpx", "requests")


def _imported_after(statement: str) -> set[str]:
    script = f"import sys; {statement}; import json; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return set(json.loads(result.stdout.splitlines()[-1]))


class TestImport:
    """What an import costs and exposes."""

    @pytest.mark.parametrize("statement", ["import problemdetails", "import problemdetails.client"])
    def test_no_heavy_modules(self, statement: str):
        """Neither the core nor the client side imports a framework, email or importlib.metadata."""
        modules = _imported_after(statement)
        assert not {name for name in modules if name.split(".")[0] in HEAVY or name in HEAVY}

    def test_version(self):
        """__version__ is the installed distribution's version, looked up when asked for."""
        from importlib.metadata import version  # noqa: PLC0415

        assert problemdetails.__version__ == version("problemdetails")

    @pytest.mark.parametrize("name", ["version", "PackageNotFoundError", "nothing"])
    def test_no_accidental_names(self, name: str):
        """Only the documented names are importable from the package."""
        with pytest.raises(AttributeError):
            getattr(problemdetails, name)
