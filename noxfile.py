"""Sessions: the test matrix, lint, type checks, the wheel test and the long leak run.

``nox`` runs the default set (what CI runs); ``nox -s tests-3.12`` one of them.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
# A Python that is not installed is skipped, so the README's command works on
# any machine; CI passes --error-on-missing-interpreters to run them all.
nox.options.error_on_missing_interpreters = False
nox.options.reuse_existing_virtualenvs = True

PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
ROOT = Path(__file__).parent
EXTRAS = ".[flask,django,wsgi]"


def _expose_pyenv_versions() -> None:
    # pyenv's shims answer `python3.12` only for the selected versions; select
    # every installed 3.10-3.13 (the current one first) so nox finds them all.
    root = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    installed = sorted(path.name for path in (root / "versions").glob("3.1[0-3].*"))
    if installed and "PYENV_VERSION" not in os.environ:
        current = (root / "version").read_text().split() if (root / "version").exists() else []
        first = [version for version in current if version in installed]
        rest = [version for version in installed if version not in first]
        os.environ["PYENV_VERSION"] = ":".join(first + rest)


_expose_pyenv_versions()


def _tests(session: nox.Session, *paths: str) -> None:
    # By entry point, not `python -m pytest`: the repository root must not be
    # on sys.path, or the source folder would shadow the installed package.
    session.run("pytest", *(session.posargs or paths))


def _files(*patterns: str) -> list[str]:
    paths = (path for pattern in patterns for path in ROOT.glob(pattern))
    return sorted(str(path.relative_to(ROOT)) for path in paths)


@nox.session(python=PYTHONS)
def tests(session: nox.Session) -> None:
    """The whole suite against the newest Flask and Django this Python takes.

    With the orjson extra: the bodies are encoded by orjson here, and by the
    standard library in the other sessions (the wheel's runs the whole suite).
    """
    session.install("-e", ".[flask,django,wsgi,orjson]", "--group", "tests")
    if session.python == "3.12":
        session.run("pytest", "--cov", "--cov-report=term", "--cov-fail-under=95", *session.posargs)
    else:
        _tests(session)


@nox.session
@nox.parametrize(("python", "django"), [("3.10", "4.2"), ("3.13", "4.2"), ("3.12", "5.2")])
def tests_django(session: nox.Session, django: str) -> None:
    """The Django tests on each supported LTS (6.x runs in `tests` on 3.12+)."""
    session.install("-e", EXTRAS, "--group", "tests", f"django~={django}.0")
    _tests(session, *_files("tests/test_django*.py"))


@nox.session(python="3.10")
def tests_flask_oldest(session: nox.Session) -> None:
    """The Flask and WSGI tests on the oldest supported Flask and Werkzeug."""
    session.install("-e", EXTRAS, "--group", "tests", "flask~=2.3.0", "werkzeug~=2.3.0")
    _tests(session, *_files("tests/test_flask*.py", "tests/test_wsgi*.py"))


@nox.session(python="3.12")
def wheel(session: nox.Session) -> None:
    """Build the wheel, check its contents, and run the suite with the sources out of the way."""
    session.install("build", "check-wheel-contents")
    dist = Path(session.create_tmp()) / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    session.run("python", "-m", "build", "--wheel", "--outdir", str(dist), str(ROOT))
    (built,) = dist.glob("*.whl")
    session.run("check-wheel-contents", "--toplevel", "problemdetails", str(built))
    session.install(f"{built}[flask,django,wsgi]", "--group", "tests")
    with tempfile.TemporaryDirectory() as scratch:
        for name in ("tests", "examples", "bench", "pyproject.toml", "README.md"):
            source = ROOT / name
            if source.is_dir():
                shutil.copytree(source, Path(scratch) / name)
            elif source.exists():
                shutil.copy(source, scratch)
        with session.chdir(scratch):
            session.run(
                "python",
                "-c",
                "import problemdetails.adapters, sys; "
                "assert 'site-packages' in problemdetails.adapters.__file__, "
                "problemdetails.adapters.__file__; print(problemdetails.adapters.__file__)",
            )
            session.run("pytest", "-p", "no:cacheprovider", *session.posargs)


@nox.session(python="3.12")
def lint(session: nox.Session) -> None:
    """Ruff's checks and its formatter, and the architecture's import contracts."""
    session.install("ruff", "import-linter")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    # A regular install: problemdetails.adapters exists only there (the source
    # folder is adapters/), and from outside the checkout nothing shadows it.
    session.install("--no-deps", "--force-reinstall", str(ROOT))
    with session.chdir(session.create_tmp()):
        session.run("lint-imports", "--config", str(ROOT / "pyproject.toml"))


@nox.session(python="3.12")
def typecheck(session: nox.Session) -> None:
    """mypy (strict) and pyright (strict) on the package, the adapters and the typing test."""
    # A regular install: type checkers cannot follow setuptools' editable hook.
    session.install(EXTRAS, "--group", "typecheck")
    session.run("mypy")
    session.run("pyright")


@nox.session(python="3.12")
def leaks(session: nox.Session) -> None:
    """The long property run: 10,000 secret-carrying exceptions through every adapter."""
    session.install("-e", EXTRAS, "--group", "tests")
    session.run("pytest", "-m", "slow", "--hypothesis-profile=leaks", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Every benchmark, as one table: `nox -s bench`, or `nox -s bench -- --quick`.

    Not in the default set: its figures are a report, not a check, and need an
    idle machine. flask-problem-details, the peer the Flask benchmark compares
    with, is installed when the package index has it and left out otherwise.
    """
    session.install("-e", EXTRAS, "httpx")
    try:
        session.install("flask-problem-details", silent=True)
    except nox.command.CommandFailed:
        session.warn("flask-problem-details could not be installed: the peer rows are left out")
    session.run("python", "bench/run_all.py", *session.posargs)
