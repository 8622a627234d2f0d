"""Regression tests of the error path's fast paths: the pipeline's shortcuts and lazy imports.

`ProblemHandler` caches its settings, skips the header loop for problems
without headers, and answers unexpected errors through `handle_unexpected`;
modules load their heavy parts on first use. None of it may let a hostile
problem or exception break the error path or leak.
"""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from collections.abc import Iterable, Iterator

import pytest

from problemdetails import Config, Problem, ProblemHandler

JSON = "application/problem+json"
SECRET = "s3cr3t-in-the-message"  # noqa: S105 - the leak canary
GENERIC = {
    "type": "about:blank",
    "title": "Internal Server Error",
    "status": 500,
    "detail": (
        "The server encountered an unexpected condition that prevented it from fulfilling the "
        "request."
    ),
}


@pytest.fixture(name="quiet", autouse=True)
def _quiet() -> Iterator[None]:
    logger = logging.getLogger("problemdetails")
    logger.disabled = True
    try:
        yield
    finally:
        logger.disabled = False


def document(body: bytes) -> dict[str, object]:
    parsed = json.loads(body)
    assert isinstance(parsed["flow_id"], str)
    del parsed["flow_id"]
    return parsed


class TestHeaders:
    """The header loop runs whenever a problem has headers to send."""

    def test_headers_added_after_construction_are_sent(self):
        """A valid header put into the problem's headers dict later is sent."""
        problem = Problem(status=429, headers={"Retry-After": "5"})
        problem.headers["X-Later"] = "1"  # type: ignore[index]
        response = ProblemHandler().render(problem)
        assert response.status == 429
        assert ("Retry-After", "5") in response.headers
        assert ("X-Later", "1") in response.headers

    def test_header_with_crlf_added_later_gives_the_fallback(self):
        """A CR/LF value put in later gives the minimal 500; the header is never sent."""
        problem = Problem(status=429, headers={"Retry-After": "5"})
        problem.headers["X-Bad"] = "a\r\nSet-Cookie: x=1"  # type: ignore[index]
        response = ProblemHandler().render(problem)
        assert response.status == 500
        assert response.headers == (("Content-Type", JSON), ("X-Flow-ID", response.headers[1][1]))
        assert document(response.body) == GENERIC

    def test_subclass_http_headers_without_headers_dict(self):
        """A subclass deriving headers from members is asked even when headers is empty."""

        class Busy(Problem, status=503):
            def http_headers(self) -> Iterable[tuple[str, str]]:
                return [*super().http_headers(), ("Retry-After", "7")]

        response = ProblemHandler().render(Busy())
        assert response.status == 503
        assert response.headers[0] == ("Content-Type", JSON)
        assert ("Retry-After", "7") in response.headers

    def test_subclass_http_headers_with_bad_value(self):
        """A subclass's header with LF gives the minimal 500, with nothing of it sent."""

        class Broken(Problem, status=503):
            def http_headers(self) -> Iterable[tuple[str, str]]:
                return [("X-Split", "a\nb")]

        response = ProblemHandler().render(Broken())
        assert response.status == 500
        assert all(name != "X-Split" for name, _ in response.headers)
        assert document(response.body) == GENERIC

    def test_mixin_http_headers(self):
        """http_headers from a mixin earlier in the MRO is honoured."""

        class Mixin:
            def http_headers(self) -> Iterable[tuple[str, str]]:
                return [("X-Mixin", "yes")]

        class Mixed(Mixin, Problem, status=409):  # type: ignore[misc]
            pass

        response = ProblemHandler().render(Mixed())
        assert ("X-Mixin", "yes") in response.headers

    def test_own_headers_are_not_replaced(self):
        """A problem cannot replace Content-Type or the flow id header."""
        problem = Problem(status=400, headers={"content-type": "text/html", "x-flow-id": "mine"})
        response = ProblemHandler().render(problem)
        assert response.headers[0] == ("Content-Type", JSON)
        assert [name.lower() for name, _ in response.headers].count("content-type") == 1
        assert [name.lower() for name, _ in response.headers].count("x-flow-id") == 1


class HostileStr(Exception):
    def __str__(self) -> str:
        raise RuntimeError(SECRET)

    def __repr__(self) -> str:
        raise RuntimeError(SECRET)


class LyingClass(Exception):
    @property  # type: ignore[misc]
    def __class__(self) -> type:  # type: ignore[override]
        return Problem


class _RaisingMeta(type):
    def __getattr__(cls, name: str) -> object:
        raise RuntimeError(SECRET)


class MetaHostile(Exception, metaclass=_RaisingMeta):
    """An exception whose class raises on any missing attribute lookup."""


class TestHandleUnexpected:
    """handle_unexpected answers the generic 500 for anything, and never raises."""

    @pytest.mark.parametrize(
        "exception",
        [
            pytest.param(HostileStr(), id="str-and-repr-raise"),
            pytest.param(LyingClass(SECRET), id="lying-class"),
            pytest.param(ValueError(SECRET * 100_000), id="huge"),
            pytest.param(KeyboardInterrupt(SECRET), id="base-exception"),
        ],
    )
    @pytest.mark.parametrize("debug", [False, True])
    def test_generic_500(self, exception: BaseException, debug: bool):
        """The generic 500; the secret is never in it outside debug, bounded inside it."""
        response = ProblemHandler(Config(debug=debug)).handle_unexpected(exception)
        assert response.status == 500
        assert response.headers[0] == ("Content-Type", JSON)
        parsed = document(response.body)
        if not debug:
            assert parsed == GENERIC
            assert SECRET.encode() not in response.body
        else:
            assert len(response.body) < 300_000

    @pytest.mark.parametrize(
        "failure",
        [
            pytest.param(HostileStr(), id="str-raises"),
            pytest.param(LyingClass(SECRET), id="lying-class"),
        ],
    )
    def test_hostile_mapping_failure(self, failure: Exception):
        """A mapping failure that cannot be printed still gives the generic 500."""
        response = ProblemHandler().handle_unexpected(ValueError(SECRET), mapping_failure=failure)
        assert response.status == 500
        assert document(response.body) == GENERIC

    def test_mapping_factory_raising_via_handle(self):
        """handle with a factory that raises a hostile exception answers the generic 500."""

        def factory(_: BaseException) -> Problem:
            raise HostileStr

        handler = ProblemHandler(Config(mappings={KeyError: factory}))
        response = handler.handle(KeyError(SECRET))
        assert response.status == 500
        assert document(response.body) == GENERIC

    def test_handle_with_metaclass_hostile_exception(self):
        """handle answers an exception whose class raises on lookups (the mapping fails)."""
        response = ProblemHandler().handle(MetaHostile(SECRET))
        assert response.status == 500
        assert document(response.body) == GENERIC

    def test_handle_unexpected_with_metaclass_hostile_exception(self):
        """handle_unexpected never raises, even for a class that raises on lookups."""
        response = ProblemHandler().handle_unexpected(MetaHostile(SECRET))
        assert response.status == 500
        assert document(response.body) == GENERIC


FIRST_USE = r"""
import json, logging, sys, threading
logging.disable(logging.CRITICAL)
from problemdetails import Problem, ProblemHandler

class Declared(Problem, type="urn:first-use", title="First use.", status=409):
    stamp: "datetime.datetime | None" = None
    amount: "decimal.Decimal | None" = None

import datetime, decimal
results, errors = [], []
barrier = threading.Barrier(8)

def work(index):
    try:
        barrier.wait()
        handler = ProblemHandler()
        if index % 2:
            response = handler.render(Problem(status=500, extensions={"bad": float("nan")}))
        else:
            response = handler.render(Declared(amount=decimal.Decimal("1.5")))
        results.append((response.status, json.loads(response.body)["status"]))
    except BaseException as error:
        errors.append(repr(error))

threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
print(json.dumps({"results": sorted(results), "errors": errors}))
"""


def test_first_use_in_threads_and_in_the_fallback():
    """Eight threads make the process's first problems, half of them fallback 500s."""
    completed = subprocess.run(
        [sys.executable, "-c", FIRST_USE], capture_output=True, text=True, check=True, timeout=60
    )
    outcome = json.loads(completed.stdout)
    assert outcome["errors"] == []
    assert outcome["results"] == [[409, 409]] * 4 + [[500, 500]] * 4
