"""The README's promises under attack, through the real Flask, Django and WSGI stacks.

Each test drives an app of ``apps.promises`` through its framework's whole
request handling (a Flask app, Django's ``WSGIHandler`` with the middleware,
a WSGI app behind the middleware), called as a WSGI server calls it.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from http import HTTPStatus
from typing import Any

import pytest
from apps import promises
from apps.faults_clients import Reply, call_wsgi
from apps.promises import SECRET, UPSTREAM_FLOW_ID, UPSTREAM_URL
from django.core.handlers.wsgi import WSGIHandler
from django.test import override_settings

from problemdetails import InvalidProblemError, Problem
from problemdetails.client import ClientError

JSON = "application/problem+json"
GENERATED = re.compile(r"[0-9a-f]{32}")
INTERNAL_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)
UPSTREAM_DETAIL = "A service this server depends on failed, so the request could not be completed."
STACKS = ("flask", "django", "wsgi")
FLOW = "promise-flow-1"

Get = Callable[..., Reply]


class Stack:
    """One adapter's app, called as a WSGI server calls it."""

    def __init__(self, name: str, app: Any, logger: str) -> None:
        self.name = name
        self.app = app
        #: The logger the pipeline logs on for this stack.
        self.logger = logger

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        """GET *path*, sending the test flow id unless *headers* say otherwise."""
        return call_wsgi(self.app, path, {"X-Flow-ID": FLOW, **(headers or {})})


@pytest.fixture(name="make_stack")
def _make_stack() -> Iterator[Callable[..., Stack]]:
    """Build the stack called *name* with problemdetails *settings*."""
    overrides: list[override_settings] = []

    def make(name: str, **settings: Any) -> Stack:
        if name == "flask":
            return Stack(name, promises.create_flask_app(**settings), "problemdetails")
        if name == "wsgi":
            return Stack(name, promises.create_wsgi_app(**settings), "problemdetails")
        override = override_settings(
            DEBUG=False,
            ALLOWED_HOSTS=["localhost"],
            ROOT_URLCONF="apps.promises",
            MIDDLEWARE=["problemdetails.adapters.django.ProblemDetailsMiddleware"],
            PROBLEMDETAILS={key.upper(): value for key, value in settings.items()},
        )
        override.enable()
        overrides.append(override)
        return Stack(name, WSGIHandler(), "django.request")

    yield make
    for override in reversed(overrides):
        override.disable()


@pytest.fixture(name="records")
def _records(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def body_of(reply: Reply) -> dict[str, Any]:
    assert reply.header("Content-Type") == JSON
    document: dict[str, Any] = json.loads(reply.body)
    return document


def at_least(records: pytest.LogCaptureFixture, level: int) -> list[logging.LogRecord]:
    return [record for record in records.records if record.levelno >= level]


def assert_formattable(record: logging.LogRecord) -> str:
    """Format *record* as the standard handlers do; fail if that raises."""
    text = logging.Formatter().format(record)
    assert SECRET not in record.getMessage()
    return text


def assert_nothing_leaked(reply: Reply) -> None:
    assert SECRET not in reply.body.decode("latin-1")
    for name, value in reply.headers:
        assert SECRET not in value, name


@pytest.mark.parametrize("name", STACKS)
class TestUpstreamProblems:
    """A problem received from another service that escapes a view is a failed dependency."""

    @pytest.mark.parametrize("route", ["upstream-403", "upstream-401", "upstream-500"])
    def test_answered_as_bad_gateway(self, make_stack, name: str, route: str):
        """The client gets a fixed 502 problem: nothing of the upstream's status or document."""
        reply = make_stack(name).get(f"/attack/{route}")
        assert reply.status == 502
        assert body_of(reply) == {
            "type": "about:blank",
            "title": "Bad Gateway",
            "status": 502,
            "detail": UPSTREAM_DETAIL,
            "flow_id": FLOW,
        }
        assert reply.header("WWW-Authenticate") is None
        assert_nothing_leaked(reply)

    def test_logged_once_with_the_upstreams_facts(self, make_stack, records, name: str):
        """One ERROR record carries the upstream's status, type, flow id and URL (no query)."""
        stack = make_stack(name)
        stack.get("/attack/upstream-403")
        (record,) = at_least(records, logging.WARNING)
        assert record.name == stack.logger
        assert record.levelno == logging.ERROR
        assert (record.status_code, record.flow_id) == (502, FLOW)  # type: ignore[attr-defined]
        assert record.upstream_status == 403  # type: ignore[attr-defined]
        assert record.upstream_type == "https://example.com/probs/promises/out-of-credit"  # type: ignore[attr-defined]
        assert record.upstream_flow_id == UPSTREAM_FLOW_ID  # type: ignore[attr-defined]
        assert record.upstream_url == UPSTREAM_URL  # type: ignore[attr-defined]
        message = assert_formattable(record)
        assert UPSTREAM_FLOW_ID in message
        assert FLOW in message

    def test_hostile_upstream_text_cannot_break_the_log(self, make_stack, records, name: str):
        """Surrogates, tag and bidi characters from upstream are escaped in the record."""
        make_stack(name).get("/attack/upstream-hostile-type")
        (record,) = at_least(records, logging.WARNING)
        text = assert_formattable(record)
        text.encode("utf-8")  # what every file and stream handler does with it
        assert record.upstream_type == (  # type: ignore[attr-defined]
            "https://example.com/probs/\\ud800\\U000e0041\\u202e"
        )

    def test_upstream_page_that_is_no_problem(self, make_stack, name: str):
        """An upstream's HTML error page raised by the client is a 502 as well."""
        reply = make_stack(name).get("/attack/upstream-html")
        assert (reply.status, body_of(reply)["title"]) == (502, "Bad Gateway")
        assert_nothing_leaked(reply)

    @pytest.mark.parametrize("status", [503, HTTPStatus.SERVICE_UNAVAILABLE])
    def test_status_is_a_setting(self, make_stack, name: str, status: int):
        """upstream_status picks the status of the answer (an int or an HTTPStatus)."""
        reply = make_stack(name, upstream_status=status).get("/attack/upstream-403")
        assert (reply.status, body_of(reply)["title"]) == (503, "Service Unavailable")

    def test_mapping_of_a_base_does_not_relay(self, make_stack, records, name: str):
        """A mapping of LookupError does not catch a received type that is also one."""
        stack = make_stack(name, mappings={LookupError: lambda _: Problem(status=404)})
        reply = stack.get("/attack/upstream-no-access")
        assert (reply.status, body_of(reply)["title"]) == (502, "Bad Gateway")
        (record,) = at_least(records, logging.WARNING)
        assert record.upstream_status == 403  # type: ignore[attr-defined]

    def test_mapping_of_a_group_translates(self, make_stack, name: str):
        """A mapping of the ClientError group translates every received 4xx, on purpose."""
        stack = make_stack(name, mappings={ClientError: lambda _: Problem(status=424)})
        reply = stack.get("/attack/upstream-no-access")
        assert (reply.status, body_of(reply)["title"]) == (424, "Failed Dependency")

    def test_relaying_is_an_explicit_mapping(self, make_stack, name: str):
        """A mapping of the upstream's class translates it; nothing else of it is relayed."""

        def translate(received: promises.OutOfCredit) -> Problem:
            return promises.OutOfCredit(balance=received.balance, accounts=[], detail="Top up.")

        reply = make_stack(name, mappings={promises.OutOfCredit: translate}).get(
            "/attack/upstream-403"
        )
        assert reply.status == 403
        assert body_of(reply) == {
            "type": "https://example.com/probs/promises/out-of-credit",
            "title": "You do not have enough credit.",
            "status": 403,
            "detail": "Top up.",
            "flow_id": FLOW,
            "balance": 30,
            "accounts": [],
        }


@pytest.mark.parametrize("name", STACKS)
class TestDeclaredTypes:
    """Members have the types their class declares; statuses may be HTTPStatus members."""

    def test_httpstatus(self, make_stack, name: str):
        """Problem(status=HTTPStatus.CONFLICT) answers 409 with its detail."""
        reply = make_stack(name).get("/attack/httpstatus")
        assert reply.status == 409
        assert body_of(reply) == {
            "type": "about:blank",
            "title": "Conflict",
            "status": 409,
            "detail": "Version 3 exists.",
            "flow_id": FLOW,
        }

    def test_wrong_member_type_is_a_bug_not_a_document(self, make_stack, records, name: str):
        """A member of the wrong type fails construction: the generic 500, never letters."""
        reply = make_stack(name).get("/attack/wrong-member-type")
        assert reply.status == 500
        assert body_of(reply)["detail"] == INTERNAL_DETAIL
        (record,) = at_least(records, logging.ERROR)
        assert isinstance(record.exc_info[1], InvalidProblemError)  # type: ignore[index]
        assert "OutOfCredit.balance must be int, got str" in str(record.exc_info[1])  # type: ignore[index]

    def test_validation_errors_as_mappings(self, make_stack, name: str):
        """ValidationProblem takes field errors as plain mappings."""
        reply = make_stack(name).get("/attack/validation-mappings")
        assert reply.status == 422
        assert body_of(reply)["errors"] == [{"detail": "must be positive", "pointer": "#/age"}]


def test_rendering_a_received_problem_does_not_relay_it(make_stack, records):
    """problem_response(received) answers 502 with the client's own flow id, not upstream's."""
    reply = make_stack("flask").get("/render-upstream")
    assert reply.status == 502
    assert body_of(reply)["flow_id"] == FLOW
    assert reply.header("X-Flow-ID") == FLOW
    assert_nothing_leaked(reply)
    (record,) = at_least(records, logging.WARNING)
    assert (record.levelno, record.upstream_status) == (logging.ERROR, 403)  # type: ignore[attr-defined]


def test_flask_abort_httpstatus(make_stack):
    """abort(HTTPStatus.NOT_FOUND, detail=...) answers 404 with the detail."""
    reply = make_stack("flask").get("/abort-httpstatus")
    assert reply.status == 404
    assert body_of(reply)["detail"] == "No book 42."


@pytest.mark.parametrize("name", STACKS)
class TestHostileExceptions:
    """Whatever an exception does, one ERROR record is written that every handler can format."""

    @pytest.mark.parametrize(
        "route",
        [
            "bool-raises",
            "notes-raise",
            "notes-not-text",
            "getattr-raises",
            "str-raises",
            "eq-raises",
            "class-lies",
            "traceback-hidden",
            "chained-hostile",
        ],
    )
    def test_one_formattable_error_record(self, make_stack, records, name: str, route: str):
        """The generic 500 for the client; one ERROR record with the flow id for the operator."""
        stack = make_stack(name)
        reply = stack.get(f"/attack/{route}")
        assert reply.status == 500
        assert body_of(reply) == {
            "type": "about:blank",
            "title": "Internal Server Error",
            "status": 500,
            "detail": INTERNAL_DETAIL,
            "flow_id": FLOW,
        }
        (record,) = at_least(records, logging.WARNING)
        assert (record.name, record.levelno) == (stack.logger, logging.ERROR)
        assert record.flow_id == FLOW  # type: ignore[attr-defined]
        text = assert_formattable(record)
        assert "Traceback (most recent call last)" in text
        assert "promises.py" in text, "the record keeps where it happened"


class TestErrorReportersStillHearOfIt:
    """Django's AdminEmailHandler mails every unexpected 500, however hostile the exception."""

    @pytest.mark.parametrize("route", ["str-raises", "notes-not-text", "eq-raises", "class-lies"])
    def test_one_mail(self, make_stack, records, admin_mail, route: str):
        """One ERROR record, and a mail to the admins with the request in it."""
        reply = make_stack("django").get(f"/attack/{route}")
        assert reply.status == 500
        (record,) = at_least(records, logging.WARNING)
        assert record.levelno == logging.ERROR
        assert_formattable(record)
        # One per AdminEmailHandler: Django's default logging may add its own.
        assert admin_mail
        assert all("/attack/" in message.body for message in admin_mail)
        assert SECRET not in reply.body.decode()


@pytest.mark.parametrize("name", STACKS)
class TestOneRecordPerError:
    """Each failing response is one record carrying flow id, method, path, status and type."""

    def test_unexpected_error(self, make_stack, records, name: str):
        """An unexpected exception: one ERROR record with the request's facts as attributes."""
        stack = make_stack(name)
        stack.get("/attack/str-raises")
        (record,) = at_least(records, logging.WARNING)
        facts = {
            key: getattr(record, key, None)
            for key in ("flow_id", "method", "path", "status_code", "problem_type")
        }
        assert facts == {
            "flow_id": FLOW,
            "method": "GET",
            "path": "/attack/str-raises",
            "status_code": 500,
            "problem_type": "about:blank",
        }
        assert record.getMessage() == (
            f"GET /attack/str-raises failed with apps.promises.StrRaises: answered with a 500 "
            f"problem (flow id {FLOW})"
        )

    def test_declared_5xx_is_a_warning(self, make_stack, records, name: str):
        """A 503 raised on purpose is one WARNING record that reads well, without a traceback."""
        stack = make_stack(name)
        reply = stack.get("/attack/busy")
        assert (reply.status, reply.header("Retry-After")) == (503, "30")
        (record,) = at_least(records, logging.INFO)
        assert (record.name, record.levelno, record.exc_info) == (
            stack.logger,
            logging.WARNING,
            None,
        )
        assert record.getMessage() == (
            f"GET /attack/busy answered with a 503 problem urn:promises:busy (flow id {FLOW})"
        )
        assert (record.status_code, record.problem_type) == (503, "urn:promises:busy")  # type: ignore[attr-defined]

    def test_level_setting(self, make_stack, records, name: str):
        """problem_log_level chooses the level of declared 5xx problems."""
        make_stack(name, problem_log_level="ERROR").get("/attack/busy-at")
        (record,) = at_least(records, logging.INFO)
        assert record.levelno == logging.ERROR
        assert record.exc_info is None

    def test_type_chooses_its_level(self, make_stack, records, name: str):
        """A type's log_level keyword wins, for a 4xx as well."""
        make_stack(name).get("/attack/throttled")
        # Django also logs every 4xx response as a WARNING of its own, as always.
        (record,) = [r for r in at_least(records, logging.INFO) if hasattr(r, "problem_type")]
        assert (record.levelno, record.status_code) == (logging.INFO, 429)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", STACKS)
class TestFailuresOfTheErrorPath:
    """When rendering or mapping fails, the one ERROR record still names the request."""

    FACTS = ("flow_id", "method", "path", "status_code", "problem_type", "request")

    def test_rendering_fails(self, make_stack, records, name: str):
        """A member JSON cannot encode: the minimal 500, and one record with every fact."""
        reply = make_stack(name).get("/attack/render-fails")
        assert reply.status == 500
        (record,) = at_least(records, logging.WARNING)
        assert record.levelno == logging.ERROR
        assert {key: getattr(record, key) for key in self.FACTS[:-1]} == {
            "flow_id": FLOW,
            "method": "GET",
            "path": "/attack/render-fails",
            "status_code": 500,
            "problem_type": "about:blank",
        }
        assert hasattr(record, "request")
        logging.Formatter("%(method)s %(path)s %(status_code)s %(problem_type)s").format(record)

    def test_mapping_fails(self, make_stack, records, name: str):
        """A mapping factory that raises: the generic 500, one record with every fact."""

        def broken(error: LookupError) -> Problem:
            raise RuntimeError(SECRET)

        reply = make_stack(name, mappings={LookupError: broken}).get("/attack/mapping-fails")
        assert (reply.status, body_of(reply)["detail"]) == (500, INTERNAL_DETAIL)
        (record,) = at_least(records, logging.WARNING)
        assert (record.levelno, record.method, record.path) == (  # type: ignore[attr-defined]
            logging.ERROR,
            "GET",
            "/attack/mapping-fails",
        )
        assert record.getMessage() == (
            f"GET /attack/mapping-fails: mapping LookupError to a problem failed (flow id {FLOW})"
        )


class TestOutsideARequest:
    """A problem rendered without a request is logged by what it is, not as a failure."""

    def test_to_response_of_a_declared_5xx(self, records):
        """Problem(...).to_response() of a 503 is a WARNING saying so."""
        response = promises.Busy(retry_after=5).to_response()
        assert response.status == 503
        (record,) = at_least(records, logging.INFO)
        assert record.levelno == logging.WARNING
        assert re.fullmatch(
            r"Request answered with a 503 problem urn:promises:busy \(flow id [0-9a-f]{32}\)",
            record.getMessage(),
        )
