"""Problem types that add no members share their base's attrs machinery, and behave alike."""

from __future__ import annotations

import pickle
from typing import ClassVar

import attrs
import pytest

from problemdetails import (
    InvalidProblemError,
    Problem,
    ProblemHandler,
    ProblemRegistry,
    parse_problem,
)

REGISTRY = ProblemRegistry()


class Base(
    Problem, type="https://example.com/probs/base", title="Base", status=400, registry=REGISTRY
):
    code: int = 0


class Plain(
    Base, type="https://example.com/probs/plain", title="Plain", status=409, registry=REGISTRY
):
    """No members of its own."""


class PlainAgain(Plain, type="https://example.com/probs/again", title="Again", registry=REGISTRY):
    """No members of its own either, one level further down."""


class Counted(Base, type="https://example.com/probs/counted", title="Counted", registry=REGISTRY):
    limit: ClassVar[int] = 3


class OwnEquality(Base, type="https://example.com/probs/own-eq", title="Own", registry=REGISTRY):
    def __eq__(self, other: object) -> bool:
        return isinstance(other, OwnEquality)

    __hash__ = Problem.__hash__


@pytest.mark.parametrize("cls", [Plain, PlainAgain])
def test_members_defaults_and_checks_are_the_bases(cls: type[Base]):
    problem = cls(code=7, detail="d")
    assert (problem.type, problem.title, problem.status, problem.code) == (
        cls.__problem_type__,
        cls.__problem_title__,
        cls.__problem_status__,
        7,
    )
    assert [f.name for f in attrs.fields(cls)] == [f.name for f in attrs.fields(Base)]
    assert cls.__problem_fields__ == ("code",)
    with pytest.raises(InvalidProblemError, match=r"\.code must be int"):
        cls(code="7")  # type: ignore[arg-type]


def test_repr_names_the_class():
    assert repr(Plain(code=1)).startswith("Plain(type='https://example.com/probs/plain'")


def test_equality_tells_the_classes_apart():
    assert Plain(code=1) == Plain(code=1)
    assert Plain(code=1) != PlainAgain(code=1)
    assert Plain(code=1) != Base(code=1, type="https://example.com/probs/plain", status=409)


def test_frozen_evolve_and_pickle():
    problem = PlainAgain(code=2)
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        problem.code = 3  # type: ignore[misc]
    changed = attrs.evolve(problem, code=3)
    assert type(changed) is PlainAgain
    assert changed.code == 3
    assert pickle.loads(pickle.dumps(problem)) == problem  # noqa: S301 - our own bytes


def test_rendered_and_parsed_back():
    response = ProblemHandler().render(PlainAgain(code=4))
    parsed = parse_problem(response.body, registry=REGISTRY)
    assert type(parsed) is PlainAgain
    assert parsed.code == 4


def test_a_class_with_annotations_or_methods_of_its_own_goes_through_attrs():
    assert "__attrs_attrs__" in Counted.__dict__
    assert Counted(code=1).limit == 3
    assert "__attrs_attrs__" in OwnEquality.__dict__
    # attrs' own __eq__, as for every problem class: compared member by member.
    assert OwnEquality(code=1) != OwnEquality(code=2)
