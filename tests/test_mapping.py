"""Mapping: any exception to the problem the client sees."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from problemdetails import (
    Config,
    ConfigurationError,
    InternalError,
    Problem,
    ProblemFactory,
    ProblemHandler,
    RequestInfo,
)


class NotFound(Problem, status=404):
    pass


class Gone(Problem, status=410):
    pass


class Conflict(Problem, status=409):
    pass


class FromAdapter(Problem, status=400):
    pass


class NeedsId(Problem, status=404):
    resource_id: str


class AppError(Exception):
    pass


class OrderMissing(AppError, KeyError):
    pass


class Both(ValueError, KeyError):
    pass


def none_factory(exception: BaseException) -> Problem | None:
    return None


def detail_factory(exception: BaseException) -> Problem:
    return NotFound(detail=f"no such key: {exception.args[0]}")


def raised(exception: BaseException) -> BaseException:
    try:
        raise exception
    except BaseException as caught:
        return caught


def handler_with(
    mappings: dict[type[BaseException], ProblemFactory],
    defaults: dict[type[BaseException], ProblemFactory] | None = None,
) -> ProblemHandler:
    return ProblemHandler(Config(mappings=mappings), defaults=defaults)


class TestToProblem:
    """How ``to_problem`` chooses."""

    def test_problem_maps_to_itself(self):
        """A problem is its own mapping, whatever the tables say."""
        problem = NotFound(detail="x")
        handler = handler_with({Exception: Conflict})
        assert handler.to_problem(problem) is problem

    def test_class_target_is_instantiated(self):
        """A problem class target is built with its defaults."""
        assert handler_with({KeyError: Gone}).to_problem(KeyError("k")) == Gone()

    def test_factory_gets_the_exception(self):
        """A callable target builds the problem from the exception."""
        problem = handler_with({KeyError: detail_factory}).to_problem(KeyError("order-7"))
        assert problem == NotFound(detail="no such key: order-7")

    @pytest.mark.parametrize(
        ("exception", "expected"),
        [
            (KeyError("k"), Gone()),
            (IndexError(0), NotFound()),
            (LookupError("x"), NotFound()),
            (OrderMissing("k"), Conflict()),
            (AppError("x"), Conflict()),
            (Both("x"), Gone()),
            (ValueError("x"), InternalError()),
        ],
        ids=lambda value: type(value).__name__,
    )
    def test_most_specific_class_wins(self, exception: BaseException, expected: Problem):
        """The first class of the exception's MRO that has a mapping decides."""
        handler = handler_with({LookupError: NotFound, KeyError: Gone, AppError: Conflict})
        assert handler.to_problem(exception) == expected

    def test_mro_order_for_multiple_inheritance(self):
        """With two mapped bases, the one earlier in the MRO wins."""
        handler = handler_with({ValueError: Conflict, KeyError: Gone})
        assert handler.to_problem(Both("x")) == Conflict()

    def test_user_beats_adapter_at_same_class(self):
        """The user's mapping wins over the adapter's default for the same class."""
        handler = handler_with({KeyError: Gone}, defaults={KeyError: FromAdapter})
        assert handler.to_problem(KeyError("k")) == Gone()

    def test_specific_adapter_default_beats_general_user_mapping(self):
        """An adapter default for a more specific class wins over a general user mapping."""
        handler = handler_with({LookupError: Gone}, defaults={KeyError: FromAdapter})
        assert handler.to_problem(KeyError("k")) == FromAdapter()

    def test_adapter_default_applies(self):
        """Adapter defaults map what the user did not."""
        handler = handler_with({}, defaults={KeyError: FromAdapter})
        assert handler.to_problem(KeyError("k")) == FromAdapter()

    def test_none_falls_through_to_adapter(self):
        """A user factory returning None lets the adapter's default at the same class decide."""
        handler = handler_with({KeyError: none_factory}, defaults={KeyError: FromAdapter})
        assert handler.to_problem(KeyError("k")) == FromAdapter()

    def test_none_falls_through_to_less_specific(self):
        """A factory returning None lets a less specific mapping decide."""
        handler = handler_with({KeyError: none_factory, LookupError: NotFound})
        assert handler.to_problem(KeyError("k")) == NotFound()

    def test_none_everywhere_gives_generic_500(self):
        """If every factory returns None, the exception is unmapped."""
        handler = handler_with({KeyError: none_factory}, defaults={LookupError: none_factory})
        assert handler.to_problem(KeyError("k")) == InternalError()

    def test_unmapped_gives_generic_500(self):
        """An exception nothing maps becomes the generic 500."""
        assert ProblemHandler().to_problem(RuntimeError("x")) == InternalError()

    def test_base_exceptions_can_be_mapped(self):
        """BaseException subclasses are mapped like any other."""
        handler = handler_with({KeyboardInterrupt: Conflict})
        assert handler.to_problem(KeyboardInterrupt()) == Conflict()

    def test_factory_exception_propagates_from_to_problem(self):
        """``to_problem`` lets a factory's exception through; ``handle`` guards it."""

        def broken(exception: BaseException) -> Problem:
            raise RuntimeError("bug")

        with pytest.raises(RuntimeError, match="bug"):
            handler_with({KeyError: broken}).to_problem(KeyError("k"))

    def test_find_problem(self):
        """``find_problem`` gives the mapped problem, or None for an unexpected exception."""
        handler = handler_with({KeyError: Gone})
        assert handler.find_problem(KeyError("k")) == Gone()
        assert handler.find_problem(NotFound()) == NotFound()
        assert handler.find_problem(ValueError("x")) is None

    def test_classes_made_at_run_time(self):
        """Many exception classes made at run time keep mapping correctly."""
        handler = handler_with({KeyError: Gone})
        for number in range(600):
            kind = type(f"Dynamic{number}", (KeyError,), {})
            assert handler.to_problem(kind("k")) == Gone()
        assert handler.to_problem(KeyError("k")) == Gone()


STATUS_TABLE: list[tuple[BaseException, int, str]] = [
    (KeyError("k"), 410, "Gone"),
    (LookupError("x"), 404, "Not Found"),
    (OrderMissing("k"), 409, "Conflict"),
    (PermissionError("x"), 400, "Bad Request"),
    (RuntimeError("x"), 500, "Internal Server Error"),
    (NotFound(), 404, "Not Found"),
]


class TestHandle:
    """Mapping through the whole pipeline."""

    @pytest.fixture(name="handler")
    def _handler(self) -> ProblemHandler:
        return handler_with(
            {LookupError: NotFound, KeyError: Gone, AppError: Conflict},
            defaults={PermissionError: FromAdapter},
        )

    @pytest.mark.parametrize(
        ("exception", "status", "title"),
        STATUS_TABLE,
        ids=[type(e).__name__ for e, _, _ in STATUS_TABLE],
    )
    def test_status_table(
        self, handler: ProblemHandler, exception: BaseException, status: int, title: str
    ):
        """Each exception gets the status and title of the problem it maps to."""
        request = RequestInfo(headers={"X-Flow-ID": "req-1"})
        response = handler.handle(raised(exception), request)
        assert response.status == status
        assert response.content_type == "application/problem+json"
        assert json.loads(response.body) == {
            "type": "about:blank",
            "title": title,
            "status": status,
            **({"detail": InternalError().detail} if status == 500 else {}),
            "flow_id": "req-1",
        }

    def test_factory_that_raises(self, caplog: pytest.LogCaptureFixture):
        """A factory that raises gives the generic 500 and one ERROR record."""
        caplog.set_level(logging.DEBUG, logger="problemdetails")

        def broken(exception: BaseException) -> Problem:
            raise RuntimeError("bug in the factory")

        response = handler_with({KeyError: broken}).handle(raised(KeyError("k")))
        assert response.status == 500
        assert json.loads(response.body)["detail"] == InternalError().detail
        assert b"bug in the factory" not in response.body
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1

    def test_factory_returning_a_non_problem(self, caplog: pytest.LogCaptureFixture):
        """A factory returning something other than a problem gives the minimal 500."""
        caplog.set_level(logging.DEBUG, logger="problemdetails")

        def wrong(exception: BaseException) -> Any:
            return "not a problem"

        response = handler_with({KeyError: wrong}).handle(raised(KeyError("k")))
        assert response.status == 500
        assert json.loads(response.body)["detail"] == InternalError().detail
        assert len([r for r in caplog.records if r.levelno >= logging.ERROR]) == 1

    def test_factory_that_raises_in_debug(self):
        """In debug, a failing factory gives the generic 500 with the original exception."""
        handler = ProblemHandler(Config(debug=True, mappings={KeyError: _broken}))
        body = json.loads(handler.handle(raised(KeyError("order-7"))).body)
        assert body["status"] == 500
        assert body["detail"] == "KeyError: 'order-7'"


def _broken(exception: BaseException) -> Problem:
    raise RuntimeError("bug")


class TestMappingTargets:
    """Mapping targets are checked when the config is built."""

    def test_class_with_required_members_rejected(self):
        """A problem class with required members cannot be built from nothing: refused."""
        with pytest.raises(
            ConfigurationError, match=r"mappings\[KeyError\]: NeedsId needs members resource_id"
        ):
            Config(mappings={KeyError: NeedsId})

    def test_factory_for_class_with_required_members(self):
        """Such a class is mapped through a factory instead."""
        handler = handler_with({KeyError: lambda e: NeedsId(resource_id=str(e.args[0]))})
        assert handler.to_problem(KeyError("7")) == NeedsId(resource_id="7")
