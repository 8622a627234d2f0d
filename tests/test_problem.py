"""Declaring, constructing and raising problems, and the built-in problem types."""

from __future__ import annotations

import copy
import json
import pickle
import sys
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import attrs
import pytest

from problemdetails import (
    ABOUT_BLANK,
    FieldError,
    InternalError,
    InvalidProblemError,
    Problem,
    ProblemDefinitionError,
    ProblemHandler,
    RetryAfterProblem,
    ValidationProblem,
    json_pointer,
    parse_problem,
    registry,
)


class OutOfCredit(
    Problem,
    type="https://example.com/probs/test-problem/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    balance: int
    accounts: list[str] = attrs.field(factory=list[str])


class Holder(
    Problem, type="https://example.com/probs/test-problem/holder", title="Holder.", status=409
):
    # Annotated with a class defined further down the module.
    item: LaterItem
    items: list[LaterItem] = attrs.field(factory=list["LaterItem"])


@attrs.frozen
class LaterItem:
    name: str
    size: int = 0


def _raise(problem: Problem) -> Problem:
    try:
        raise problem
    except Problem as caught:
        return caught


class TestRaising:
    """A problem is an exception: raised, chained, annotated."""

    def test_raise_and_catch(self):
        """A raised problem is caught as its class, as Problem and as Exception, members intact."""
        with pytest.raises(OutOfCredit) as info:
            raise OutOfCredit(balance=30, detail="Your balance is 30.")
        assert isinstance(info.value, Problem)
        assert isinstance(info.value, Exception)
        assert (info.value.balance, info.value.detail) == (30, "Your balance is 30.")

    def test_raise_from(self):
        """``raise ... from`` keeps the cause and the members."""
        cause = KeyError("account")

        def charge() -> None:
            try:
                raise cause
            except KeyError as error:
                raise OutOfCredit(balance=1) from error

        with pytest.raises(OutOfCredit) as info:
            charge()
        assert info.value.__cause__ is cause
        assert info.value.balance == 1

    @pytest.mark.skipif(sys.version_info < (3, 11), reason="add_note is Python 3.11+")
    def test_add_note(self):
        """``add_note`` works on a frozen problem and leaves the members alone."""
        problem = _raise(OutOfCredit(balance=5))
        problem.add_note("while charging order 17")
        assert problem.__notes__ == ["while charging order 17"]
        assert problem == OutOfCredit(balance=5)

    def test_str_with_title_and_detail(self):
        """``str()`` gives status, title and detail."""
        problem = OutOfCredit(balance=30, detail="Your balance is 30.")
        assert str(problem) == "403 You do not have enough credit.: Your balance is 30."

    def test_str_without_detail(self):
        """``str()`` of a problem without detail gives status and title."""
        assert str(Problem(status=404)) == "404 Not Found"

    def test_str_without_title(self):
        """``str()`` of a problem with neither title nor detail is the status."""
        assert str(Problem(status=599)) == "599"

    def test_repr(self):
        """``repr()`` names the class and the members, not the extra headers."""
        problem = OutOfCredit(balance=30, headers={"X-Secret-Header": "v"})
        text = repr(problem)
        assert text.startswith("OutOfCredit(type='https://example.com/probs/test-problem/out-of")
        assert "balance=30" in text
        assert "status=403" in text
        assert "X-Secret-Header" not in text


class TestCopying:
    """Pickling and copying keep members and notes."""

    @pytest.fixture(name="problem")
    def _problem(self) -> Problem:
        problem = _raise(
            OutOfCredit(
                balance=30,
                accounts=["/account/1"],
                detail="low",
                instance="/orders/7",
                flow_id="abc123",
                extensions={"currency": "EUR"},
                headers={"X-Extra": "1"},
            )
        )
        problem.__notes__ = ["first note", "second note"]  # what add_note does
        return problem

    def test_pickle(self, problem: Problem):
        """A pickled problem comes back equal, with its flow id, headers and notes."""
        restored = pickle.loads(pickle.dumps(problem))  # noqa: S301 - our own bytes
        assert restored == problem
        assert type(restored) is OutOfCredit
        assert restored.flow_id == "abc123"
        assert restored.headers == {"X-Extra": "1"}
        assert restored.__notes__ == ["first note", "second note"]

    def test_pickle_without_notes(self):
        """A problem that never had notes gets none from unpickling."""
        restored = pickle.loads(pickle.dumps(OutOfCredit(balance=1)))  # noqa: S301
        assert not hasattr(restored, "__notes__")

    def test_pickle_keeps_custom_title_of_about_blank(self):
        """Unpickling keeps a custom title instead of recomputing the status phrase."""
        problem = Problem(status=404, title="Nicht gefunden")
        assert pickle.loads(pickle.dumps(problem)).title == "Nicht gefunden"  # noqa: S301

    @pytest.mark.parametrize("copier", [copy.copy, copy.deepcopy], ids=["copy", "deepcopy"])
    def test_copy(self, problem: Problem, copier: Any):
        """``copy`` and ``deepcopy`` keep the members and the notes."""
        copied = copier(problem)
        assert copied == problem
        assert copied.flow_id == "abc123"
        assert copied.__notes__ == ["first note", "second note"]

    def test_deepcopy_is_deep(self, problem: Problem):
        """``deepcopy`` copies mutable members instead of sharing them."""
        copied = copy.deepcopy(problem)
        assert isinstance(copied, OutOfCredit)
        assert isinstance(problem, OutOfCredit)
        assert copied.accounts is not problem.accounts
        assert copied.extensions is not problem.extensions


class TestValueSemantics:
    """Problems are immutable, keyword-only, comparable and hashable values."""

    def test_keyword_only(self):
        """Positional arguments are refused."""
        with pytest.raises(TypeError):
            OutOfCredit(30)  # type: ignore[misc] # pyright: ignore[reportCallIssue]

    def test_frozen(self):
        """Setting a member raises FrozenInstanceError."""
        problem = OutOfCredit(balance=30)
        with pytest.raises(attrs.exceptions.FrozenInstanceError):
            problem.balance = 0  # type: ignore[misc]

    def test_evolve(self):
        """``attrs.evolve`` derives a changed copy."""
        problem = OutOfCredit(balance=30)
        assert attrs.evolve(problem, balance=10) == OutOfCredit(balance=10)
        assert problem.balance == 30

    def test_hashable(self):
        """Problems are hashable, equal ones alike, so they fit in sets."""
        first = OutOfCredit(balance=30, flow_id="a")
        second = OutOfCredit(balance=30, flow_id="b")
        assert hash(first) == hash(second)
        assert len({first, second, OutOfCredit(balance=1)}) == 2

    def test_equality_ignores_flow_id_and_headers(self):
        """Equality looks at members, not at the flow id or the response headers."""
        first = OutOfCredit(balance=30, flow_id="one", headers={"X-A": "1"})
        second = OutOfCredit(balance=30, flow_id="two", headers={"X-B": "2"})
        assert first == second

    @pytest.mark.parametrize(
        "changes",
        [{"balance": 31}, {"detail": "x"}, {"instance": "/x"}, {"extensions": {"more": 1}}],
    )
    def test_inequality(self, changes: dict[str, Any]):
        """Problems that differ in a member are not equal."""
        assert OutOfCredit(balance=30) != OutOfCredit(**{"balance": 30, **changes})

    def test_different_classes_are_not_equal(self):
        """A subclass instance with the same members is a different problem."""

        class Special(OutOfCredit):
            pass

        assert Special(balance=1) != OutOfCredit(balance=1)


class TestDeclaring:
    """Class keywords declare the type URI, default title and status."""

    def test_class_keywords_are_defaults(self):
        """type, title and status come from the class keywords."""
        problem = OutOfCredit(balance=30)
        assert problem.type == "https://example.com/probs/test-problem/out-of-credit"
        assert problem.title == "You do not have enough credit."
        assert problem.status == 403
        assert problem.detail is None
        assert problem.instance is None

    def test_members_override_defaults(self):
        """An occurrence may carry its own title and status."""
        problem = OutOfCredit(balance=0, title="Kein Guthaben.", status=402)
        assert (problem.title, problem.status) == ("Kein Guthaben.", 402)

    def test_relative_type_uri(self, throwaway_types: list[type[Problem]]):
        """A relative type URI is a valid declaration and is kept as declared."""

        class Relative(Problem, type="/problems/relative", title="Relative.", status=400):
            pass

        throwaway_types.append(Relative)
        assert Relative().type == "/problems/relative"
        assert registry.get("/problems/relative") is Relative

    def test_type_without_title(self):
        """RFC 9457 section 4: a problem type MUST have a title; without one it is refused."""
        with pytest.raises(ProblemDefinitionError, match=r"needs a title.*title='\.\.\.'"):

            class Untitled(Problem, type="https://example.com/probs/test-problem/untitled"):
                pass

        assert "https://example.com/probs/test-problem/untitled" not in registry

    def test_new_type_on_subclass_needs_its_own_title(self):
        """A subclass that declares a new type URI needs its own title too."""
        with pytest.raises(ProblemDefinitionError, match="needs a title"):

            class Child(OutOfCredit, type="https://example.com/probs/test-problem/child"):
                pass

    @pytest.mark.parametrize("status", [399, 600, 200, -1, True, "404", 404.0])
    def test_status_out_of_range_at_declaration(self, status: Any):
        """A status outside 400-599 (or not an int) fails the class statement."""
        with pytest.raises(ProblemDefinitionError, match="must be an int from 400 to 599"):

            class Wrong(Problem, status=status):
                pass

    @pytest.mark.parametrize("status", [399, 600, 200, True, False, "404", 404.0, None])
    def test_status_out_of_range_at_construction(self, status: Any):
        """A status outside 400-599 (or not an int) fails construction and says what is allowed."""
        with pytest.raises(InvalidProblemError, match=r"status must be an int from 400 to 599"):
            Problem(status=status)

    @pytest.mark.parametrize("title", ["", 5])
    def test_bad_title_at_declaration(self, title: Any):
        """A declared title must be a non-empty string."""
        with pytest.raises(ProblemDefinitionError, match="title must be a non-empty string"):

            class Wrong(Problem, status=400, title=title):
                pass

    @pytest.mark.parametrize("member", ["title", "detail"])
    @pytest.mark.parametrize("value", [5, b"bytes", ["a"], {"a": 1}])
    def test_text_members_reject_non_text(self, member: str, value: object):
        """title and detail take text (or objects that render as text), not numbers or bytes."""
        with pytest.raises(InvalidProblemError, match=f"{member} must be a string"):
            Problem(status=400, **{member: value})

    def test_bad_member_names_keyword(self):
        """member_names takes only 'reject' or 'warn'."""
        with pytest.raises(ProblemDefinitionError, match="member_names must be 'reject' or 'warn'"):

            class Wrong(Problem, member_names="ignore"):  # type: ignore[arg-type] # pyright: ignore[reportArgumentType]
                pass

    def test_registry_without_type(self):
        """registry= without a type URI is refused: there is nothing to register."""
        with pytest.raises(ProblemDefinitionError, match="no type URI"):

            class Wrong(Problem, status=400, registry=registry):
                pass

    def test_about_blank_type_is_not_registered(self):
        """Declaring type='about:blank' keeps the class out of the registry."""
        before = len(registry)

        class Plain(Problem, type=ABOUT_BLANK, status=404):
            pass

        assert Plain().title == "Not Found"
        assert len(registry) == before

    def test_subclass_of_subclass_inherits_defaults(self):
        """A subclass without keywords inherits type, title, status and members."""

        class Bigger(OutOfCredit):
            limit: int = 100

        problem = Bigger(balance=3)
        assert problem.type == OutOfCredit.__problem_type__
        assert (problem.title, problem.status, problem.limit) == (
            "You do not have enough credit.",
            403,
            100,
        )
        assert registry.get(OutOfCredit.__problem_type__) is OutOfCredit

    def test_subclass_overrides_one_default(self):
        """A subclass may change one default and keep the others."""

        class Payment(OutOfCredit, status=402):
            pass

        problem = Payment(balance=3)
        assert (problem.status, problem.title) == (402, "You do not have enough credit.")

    @pytest.mark.parametrize(
        "type_uri",
        ["has space", "<https://x>", "https://x/\n", "https://ex.com/é", "1abc:x", 'a"b'],
    )
    def test_invalid_type_uri_at_declaration(self, type_uri: str):
        """A type that is not a URI reference fails the class statement."""
        with pytest.raises(ProblemDefinitionError, match=r"URI reference \(RFC 3986\)"):

            class Wrong(Problem, type=type_uri, title="Wrong."):
                pass

    @pytest.mark.parametrize("member", ["type", "instance"])
    @pytest.mark.parametrize("value", ["has space", "<x>", "line\r\nbreak", "caf\u00e9", "1abc:x"])
    def test_invalid_uri_reference_at_construction(self, member: str, value: str):
        """type and instance must be URI references (RFC 9457 sections 3.1.1 and 3.1.5)."""
        with pytest.raises(InvalidProblemError, match=f"{member} must be a URI reference"):
            Problem(status=400, **{member: value})

    @pytest.mark.parametrize("member", ["type", "instance"])
    def test_uri_members_must_be_strings(self, member: str):
        """type and instance given as non-strings are refused."""
        with pytest.raises(InvalidProblemError, match=f"{member} must be a string"):
            Problem(status=400, **{member: 5})

    @pytest.mark.parametrize(
        "value", ["/orders/7", "https://example.com/a?b=c#d", "urn:uuid:1", "a%20b", "", "../x"]
    )
    def test_valid_uri_references(self, value: str):
        """Relative and absolute URI references are accepted as instance."""
        assert Problem(status=400, instance=value).instance == value

    def test_headers_must_be_text(self):
        """Extra headers map str to str."""
        with pytest.raises(InvalidProblemError, match="headers must map str to str"):
            Problem(status=400, headers={"Retry-After": 5})  # type: ignore[dict-item]


class TestAboutBlank:
    """``about:blank`` problems take their title from the status (RFC 9457 section 4.2.1)."""

    @pytest.mark.parametrize(
        ("status", "title"),
        [
            (400, "Bad Request"),
            (404, "Not Found"),
            (429, "Too Many Requests"),
            (500, "Internal Server Error"),
            (503, "Service Unavailable"),
        ],
    )
    def test_title_is_status_phrase(self, status: int, title: str):
        """RFC 9457 section 4.2.1: with about:blank, the title SHOULD be the status phrase."""
        problem = Problem(status=status)
        assert (problem.type, problem.title) == (ABOUT_BLANK, title)

    def test_custom_title_is_kept(self):
        """A localized title replaces the phrase (RFC 9457 section 4.2.1 allows it)."""
        assert Problem(status=404, title="Nicht gefunden").title == "Nicht gefunden"

    def test_status_without_phrase(self):
        """A status with no registered phrase leaves the title out."""
        assert Problem(status=599).title is None

    def test_default_status_is_500(self):
        """A bare Problem is a 500 Internal Server Error."""
        assert (Problem().status, Problem().title) == (500, "Internal Server Error")

    def test_typed_problem_has_no_phrase_title(self):
        """A problem with its own type takes its declared title, never the phrase."""
        assert Problem(type="https://example.com/unregistered", status=404).title is None


class TestExtensionMembers:
    """Declared and free-form extension members (RFC 9457 section 3.2)."""

    @pytest.mark.parametrize(
        "name",
        ["type", "title", "status", "detail", "instance", "flow_id", "extensions", "headers"],
    )
    def test_declared_member_colliding_with_standard_member(self, name: str):
        """A declared member may not take a standard member's name."""
        namespace = {"__annotations__": {name: "str"}}
        with pytest.raises(ProblemDefinitionError, match="standard member of every problem"):
            type("Wrong", (Problem,), namespace, status=400)

    def test_private_member(self):
        """A member whose name starts with '_' is refused with a hint to use ClassVar."""
        with pytest.raises(ProblemDefinitionError, match="ClassVar"):

            class Wrong(Problem, status=400):
                _hidden: str = "x"

    @pytest.mark.parametrize("name", ["ab", "x", "gr\u00f6\u00dfe", "Ab"])
    def test_declared_name_outside_recommendation_is_rejected(self, name: str):
        """RFC 9457 section 3.2: names outside the recommendation are refused by default."""
        namespace = {"__annotations__": {name: "int"}}
        with pytest.raises(ProblemDefinitionError, match=r"section 3\.2.*member_names='warn'"):
            type("Wrong", (Problem,), namespace, status=400)

    def test_declared_name_outside_recommendation_warns(self):
        """With member_names='warn', such a name is allowed with a UserWarning."""
        with pytest.warns(UserWarning, match=r"'ab' of problem class .*Short") as caught:

            class Short(Problem, status=400, member_names="warn"):
                ab: int = 1

        assert Short().ab == 1
        assert "member_names='warn'" not in str(caught[0].message)

    @pytest.mark.parametrize("name", ["ab", "a-b", "1abc", "with space", "x.y", ""])
    def test_free_form_name_outside_recommendation_is_rejected(self, name: str):
        """Free-form extension names follow the same rule as declared ones."""
        with pytest.raises(InvalidProblemError, match=r"RFC 9457 section 3\.2"):
            Problem(status=400, extensions={name: 1})

    def test_free_form_name_outside_recommendation_warns(self):
        """A class declared with member_names='warn' warns about free-form names too."""

        class Lenient(Problem, status=400, member_names="warn"):
            pass

        with pytest.warns(UserWarning, match="'a-b' of Lenient"):
            problem = Lenient(extensions={"a-b": 1})
        assert problem.extensions == {"a-b": 1}

    @pytest.mark.parametrize("name", ["title", "status", "flow_id", "extensions", "balance"])
    def test_free_form_name_colliding(self, name: str):
        """A free-form member may not shadow a standard or declared member."""
        with pytest.raises(InvalidProblemError, match="collides with a member of OutOfCredit"):
            OutOfCredit(balance=1, extensions={name: 1})

    def test_free_form_name_must_be_text(self):
        """Free-form member names are strings."""
        with pytest.raises(InvalidProblemError, match="names must be strings"):
            Problem(status=400, extensions={1: "x"})  # type: ignore[dict-item]

    def test_extensions_are_copied(self):
        """The extensions mapping is copied, so later changes to the argument do not leak in."""
        given = {"currency": "EUR"}
        problem = Problem(status=400, extensions=given)
        given["more"] = "x"
        assert problem.extensions == {"currency": "EUR"}


class TestForwardReferences:
    """Members annotated with classes defined later in the module still work."""

    def test_render(self):
        """A member typed with a later class renders as nested members."""
        problem = Holder(item=LaterItem(name="disk"), items=[LaterItem(name="a", size=2)])
        body = json.loads(ProblemHandler().render(problem).body)
        assert body["item"] == {"name": "disk", "size": 0}
        assert body["items"] == [{"name": "a", "size": 2}]

    def test_parse(self):
        """A member typed with a later class parses back into that class."""
        problem = Holder(item=LaterItem(name="disk", size=3))
        parsed = parse_problem(ProblemHandler().render(problem).body)
        assert parsed == problem
        assert isinstance(parsed, Holder)
        assert parsed.item == LaterItem(name="disk", size=3)


class TestHeadersAndResponse:
    """A problem's own response headers and its shortcut to a response."""

    def test_http_headers(self):
        """``http_headers()`` yields the extra headers."""
        problem = Problem(status=401, headers={"WWW-Authenticate": 'Bearer realm="api"'})
        assert list(problem.http_headers()) == [("WWW-Authenticate", 'Bearer realm="api"')]

    def test_to_response_uses_default_handler(self):
        """``to_response()`` renders with the default settings."""
        response = OutOfCredit(balance=30).to_response()
        assert response.status == 403
        assert response.content_type == "application/problem+json"
        assert json.loads(response.body)["balance"] == 30

    def test_to_response_with_handler(self):
        """``to_response(handler=...)`` uses that handler's settings."""
        from problemdetails import Config  # noqa: PLC0415

        handler = ProblemHandler(Config(flow_id_member="trace_id", flow_id_header=None))
        response = OutOfCredit(balance=30).to_response(handler=handler)
        assert "trace_id" in json.loads(response.body)
        assert [name for name, _ in response.headers] == ["Content-Type", "Vary"]


class TestInternalError:
    """The generic 500."""

    def test_fixed_detail(self):
        """Its detail is fixed text that says nothing about the failure."""
        problem = InternalError()
        assert problem.status == 500
        assert problem.type == ABOUT_BLANK
        assert problem.title == "Internal Server Error"
        assert problem.detail == (
            "The server encountered an unexpected condition that prevented it from "
            "fulfilling the request."
        )

    def test_is_not_registered(self):
        """The generic 500 is about:blank, so no registry entry."""
        assert InternalError not in list(registry)


class TestValidationProblem:
    """422 with field errors that point into the request."""

    def test_defaults(self):
        """Declared type, title and status 422."""
        problem = ValidationProblem()
        assert problem.type == "urn:problemdetails:validation-error"
        assert (problem.title, problem.status, problem.errors) == (
            "Your request is not valid.",
            422,
            [],
        )

    def test_errors_render(self):
        """Field errors render as objects with detail and pointer; a missing pointer is left out."""
        problem = ValidationProblem(
            errors=(
                FieldError(detail="must be a positive integer", pointer=json_pointer("age")),
                FieldError(detail="body is not an object"),
            )
        )
        body = json.loads(ProblemHandler().render(problem).body)
        assert body["errors"] == [
            {"detail": "must be a positive integer", "pointer": "#/age"},
            {"detail": "body is not an object"},
        ]

    def test_errors_accept_any_iterable(self):
        """Errors given as a generator are stored as a list."""
        problem = ValidationProblem(errors=(FieldError(detail=str(i)) for i in range(2)))
        assert problem.errors == [FieldError(detail="0"), FieldError(detail="1")]

    @pytest.mark.parametrize(
        ("path", "pointer"),
        [
            ((), "#"),
            (("age",), "#/age"),
            (("items", 0, "name"), "#/items/0/name"),
            (("a/b",), "#/a~1b"),
            (("m~n",), "#/m~0n"),
            (("~/",), "#/~0~1"),
            (("",), "#/"),
        ],
    )
    def test_json_pointer(self, path: tuple[str | int, ...], pointer: str):
        """json_pointer escapes '~' as ~0 and '/' as ~1 (RFC 6901 section 3)."""
        assert json_pointer(*path) == pointer
        assert FieldError(detail="x", pointer=pointer).pointer == pointer

    @pytest.mark.parametrize("pointer", ["", "/a", "/a~0b~1c", "#/a/0", "/"])
    def test_valid_pointers(self, pointer: str):
        """Plain and URI-fragment pointers are accepted."""
        assert FieldError(detail="x", pointer=pointer).pointer == pointer

    @pytest.mark.parametrize("pointer", ["age", "#age", "/a~2", "/~", "#/a~", "##/a", 5])
    def test_invalid_pointers(self, pointer: Any):
        """Pointers that break RFC 6901 are refused with an example of a good one."""
        with pytest.raises(InvalidProblemError, match=r"JSON Pointer \(RFC 6901\)"):
            FieldError(detail="x", pointer=pointer)


class TestRetryAfterProblem:
    """Retry-After as seconds or as an HTTP-date."""

    def test_seconds(self):
        """Seconds are sent as a decimal Retry-After and as the member."""
        problem = RetryAfterProblem(retry_after=120)
        response = ProblemHandler().render(problem)
        assert response.status == 503
        assert ("Retry-After", "120") in response.headers
        assert json.loads(response.body)["retry_after"] == 120

    def test_http_date_in_gmt(self):
        """An aware datetime is sent as an IMF-fixdate in GMT (RFC 9110 section 5.6.7)."""
        when = datetime(2015, 10, 21, 9, 28, tzinfo=timezone(timedelta(hours=2)))
        problem = RetryAfterProblem(retry_after=when)
        assert list(problem.http_headers()) == [("Retry-After", "Wed, 21 Oct 2015 07:28:00 GMT")]

    def test_date_member(self):
        """The member carries the date in ISO 8601."""
        when = datetime(2015, 10, 21, 7, 28, tzinfo=timezone.utc)
        body = json.loads(ProblemHandler().render(RetryAfterProblem(retry_after=when)).body)
        assert body["retry_after"] == "2015-10-21T07:28:00+00:00"

    def test_naive_datetime_rejected(self):
        """A naive datetime is refused: it would be sent in local time."""
        with pytest.raises(InvalidProblemError, match="aware datetime"):
            RetryAfterProblem(retry_after=datetime(2015, 10, 21, 7, 28))  # noqa: DTZ001

    @pytest.mark.parametrize("value", [-1, 1.5, True, "120"])
    def test_bad_seconds_rejected(self, value: Any):
        """Seconds are a non-negative int."""
        with pytest.raises(InvalidProblemError, match="whole seconds"):
            RetryAfterProblem(retry_after=value)

    def test_none_sends_no_header(self):
        """Without retry_after there is no Retry-After header and no member."""
        problem = RetryAfterProblem(headers={"X-Extra": "1"})
        assert list(problem.http_headers()) == [("X-Extra", "1")]
        assert "retry_after" not in json.loads(ProblemHandler().render(problem).body)


class _HostileMapping(dict[str, str]):
    def __getitem__(self, key: str) -> str:
        raise RuntimeError("hostile")


def _failing_errors() -> Iterator[FieldError]:
    yield FieldError(detail="x")
    raise RuntimeError("hostile")


class TestHostileConstruction:
    """Whatever the input, construction fails only with InvalidProblemError."""

    @pytest.mark.parametrize(
        "errors",
        [
            [_HostileMapping(detail="x")],
            _failing_errors(),
        ],
        ids=["mapping-raises", "generator-raises"],
    )
    def test_validation_errors(self, errors: Any):
        """Field errors whose own methods raise are refused as invalid."""
        with pytest.raises(InvalidProblemError, match="errors"):
            ValidationProblem(errors=errors)

    @pytest.mark.parametrize("value", [10**5000, 10**9 + 1, -1], ids=["huge", "past", "negative"])
    def test_retry_after_out_of_range(self, value: int):
        """retry_after beyond about 31 years (or negative) is refused, described not printed."""
        with pytest.raises(InvalidProblemError, match=r"an int from 0 to 1000000000"):
            RetryAfterProblem(retry_after=value)
