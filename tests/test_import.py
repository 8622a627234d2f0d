"""Importing the package is cheap and imports no web framework."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import problemdetails

#: Modules an import of the core must not pull in: frameworks, and the heavy
#: standard modules only some problems need.
HEAVY = ("flask", "werkzeug", "django", "email", "importlib.metadata", "httpx", "requests")
#: Standard modules the core loads only when a problem needs them: a hook run
#: with a timeout (a thread pool), a member or value of their types.
LAZY = ("concurrent.futures", "queue", "decimal", "uuid", "logging", "traceback", "http", "orjson")


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

    def test_no_lazy_modules(self):
        """The core's import leaves thread pools, logging, decimal, uuid and the rest unloaded.

        Beyond what its dependencies load: on Python 3.10 cattrs' exceptiongroup
        backport imports traceback itself.
        """
        modules = _imported_after("import problemdetails") - _imported_after("import attrs, cattrs")
        assert not {name for name in modules if name in LAZY or name.startswith(LAZY)}

    def test_lazy_types_work_unloaded(self):
        """Members of types whose modules load after the package are checked and converted."""
        script = textwrap.dedent(
            """
            import sys
            import problemdetails
            assert "decimal" not in sys.modules and "uuid" not in sys.modules
            from datetime import date
            from decimal import Decimal
            from uuid import UUID
            from problemdetails import InvalidProblemError, Problem, ProblemHandler, parse_problem

            class Priced(Problem, type="urn:test:priced", title="Priced.", status=409):
                price: Decimal
                order: UUID
                due: date

            for wrong in ({"price": Decimal("NaN")}, {"order": "x"}, {"due": "2024-01-01"}):
                members = {"price": Decimal("1.5"), "order": UUID(int=1), "due": date(2024, 1, 1)}
                try:
                    Priced(**{**members, **wrong})
                except InvalidProblemError:
                    pass
                else:
                    raise AssertionError(wrong)
            problem = Priced(price=Decimal("1.5"), order=UUID(int=1), due=date(2024, 1, 2))
            body = ProblemHandler().render(problem).body
            assert b'"price":"1.5"' in body and b'"due":"2024-01-02"' in body, body
            assert parse_problem(body) == problem
            print("ok")
            """
        )
        result = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
        )
        assert result.stdout.strip() == "ok", result.stderr

    def test_log_levels(self):
        """The level numbers known without importing logging are logging's own."""
        import logging  # noqa: PLC0415

        from problemdetails._report import LOG_LEVELS  # noqa: PLC0415

        assert {name: logging.getLevelName(name) for name in LOG_LEVELS} == LOG_LEVELS

    def test_version(self):
        """__version__ is the installed distribution's version, looked up when asked for."""
        from importlib.metadata import version  # noqa: PLC0415

        assert problemdetails.__version__ == version("problemdetails")

    @pytest.mark.parametrize("name", ["version", "PackageNotFoundError", "nothing"])
    def test_no_accidental_names(self, name: str):
        """Only the documented names are importable from the package."""
        with pytest.raises(AttributeError):
            getattr(problemdetails, name)
