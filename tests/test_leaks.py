"""No byte of a secret an exception carries reaches any response, through any adapter.

Hypothesis builds exceptions that carry secrets in their message, args,
notes, cause and context (``strategies.secret_exceptions``), some with a
``str()`` or ``repr()`` that gives them away or fails. Each is raised through
Flask's test client, Django's test client and a direct WSGI call, from
several places (a view, a ``before_request`` hook, a ``teardown_request``
function, a streamed body, an async view, another middleware, a generator
body, after ``start_response``, an error page the app renders itself), with
a mapping that fails on some exceptions and one that declines others, and
with the debug option off. Every response must be the generic 500 without
any secret in its body or headers.

``test_no_secret_reaches_a_response`` runs in the default suite (100
examples). ``test_no_secret_reaches_a_response_long`` is marked ``slow`` and
runs under the ``leaks`` hypothesis profile only (10,000 examples): ``nox -s
leaks`` runs it; elsewhere it is skipped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import pytest
from apps.faults_clients import DjangoStack, FlaskStack, Reply, WSGIStack
from apps.faults_common import GIVEN
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import leaks, secret_exceptions

from problemdetails import Problem

JSON = "application/problem+json"
XML = "application/problem+xml"
GENERIC_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)
LONG_RUN = 10_000
# Where each stack raises the exception.
FLASK_PATHS = ["/raise", "/raise-before", "/raise-teardown", "/raise-stream"]
DJANGO_PATHS = ["/raise", "/async/raise", "/raise-in-middleware"]
WSGI_PATHS = ["/raise", "/raise-lazy", "/raise-started", "/error-page"]
ACCEPTS: list[str | None] = [None, JSON, XML, "*/*", "application/xml;q=0.5, */*;q=0.1"]


def failing_mapping(exception: BaseException) -> Problem:
    """A mapping factory that fails, with the exception's repr in its own message."""
    raise RuntimeError(f"cannot map {exception!r}")


def declining_mapping(exception: BaseException) -> Problem | None:
    """A mapping factory that leaves the exception to the generic 500."""
    return None


#: Settings of every stack: debug off, and mappings that fail or decline.
SETTINGS: dict[str, Any] = {
    "debug": False,
    "mappings": {LookupError: failing_mapping, ValueError: declining_mapping},
}


@contextmanager
def logs_off(*names: str) -> Generator[None, None, None]:
    """Within the block, loggers *names* make no records.

    Thousands of tracebacks would pile up in pytest's log capture (it reads
    loggers that do not propagate too); how failures are logged is what
    ``test_faults.py`` checks.
    """
    loggers = [logging.getLogger(name) for name in names]
    saved = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


class Stacks:
    """The three stacks, set up with `SETTINGS`."""

    def __init__(self, flask: FlaskStack, django: DjangoStack, wsgi: WSGIStack) -> None:
        self.flask = flask
        self.django = django
        self.wsgi = wsgi


@pytest.fixture(name="stacks", scope="module")
def _stacks() -> Iterator[Stacks]:
    """Flask's and Django's test clients and the WSGI app, for the whole module."""
    flask = FlaskStack(**SETTINGS)
    problemdetails = {key.upper(): value for key, value in SETTINGS.items()}
    with ExitStack() as stack:
        django = stack.enter_context(DjangoStack(problemdetails))
        stack.enter_context(logs_off(flask.app.logger.name, "problemdetails", "django.request"))
        yield Stacks(flask, django, WSGIStack(**SETTINGS))


@pytest.fixture(name="leaks_profile")
def _leaks_profile() -> None:
    """Skip unless the hypothesis profile asks for the long run (``--hypothesis-profile=leaks``)."""
    if settings.default.max_examples < LONG_RUN:
        pytest.skip(
            f"runs under the 'leaks' hypothesis profile ({LONG_RUN:,} examples): nox -s leaks"
        )


def assert_generic_500(reply: Reply, accept: str | None, *, converted: bool = False) -> None:
    """*reply* is the generic 500, and no secret is in its body or headers.

    A *converted* error page is the ``about:blank`` 500 without a detail.
    """
    assert not leaks(reply.body), reply.body[:500]
    for name, value in reply.headers:
        assert not leaks(name)
        assert not leaks(value), (name, value)
    assert reply.status == 500
    flow_id = reply.header("X-Flow-ID")
    if reply.header("Content-Type") == XML:
        assert accept is not None
        assert f"<flow_id>{flow_id}</flow_id>".encode() in reply.body
        assert (f"<detail>{GENERIC_DETAIL}</detail>".encode() in reply.body) is not converted
        return
    assert reply.header("Content-Type") == JSON
    expected = {"type": "about:blank", "title": "Internal Server Error", "status": 500}
    if not converted:
        expected["detail"] = GENERIC_DETAIL
    assert json.loads(reply.body) == {**expected, "flow_id": flow_id}


def assert_no_leak(
    stacks: Stacks, exception: BaseException, where: Any, accept: str | None
) -> None:
    """Raise *exception* through every stack at *where*; no response leaks a secret."""
    flask_path, django_path, wsgi_path = where
    headers = {} if accept is None else {"Accept": accept}
    GIVEN.append(exception)
    try:
        assert_generic_500(stacks.flask.get(flask_path, headers), accept)
        assert_generic_500(stacks.django.get(django_path, headers), accept)
        converted = wsgi_path == "/error-page"
        assert_generic_500(stacks.wsgi.get(wsgi_path, headers), accept, converted=converted)
    finally:
        GIVEN.pop()


_wheres = st.tuples(
    st.sampled_from(FLASK_PATHS), st.sampled_from(DJANGO_PATHS), st.sampled_from(WSGI_PATHS)
)
_accepts = st.sampled_from(ACCEPTS)


class TestNoSecretLeaks:
    """With the debug option off, a 500 carries nothing of the exception."""

    @settings(max_examples=100)
    @given(exception=secret_exceptions(), where=_wheres, accept=_accepts)
    def test_no_secret_reaches_a_response(self, stacks, exception, where, accept):
        """No secret in message, args, notes, cause or context reaches any adapter's response."""
        assert_no_leak(stacks, exception, where, accept)

    @pytest.mark.slow
    @pytest.mark.usefixtures("leaks_profile")
    @given(exception=secret_exceptions(), where=_wheres, accept=_accepts)
    def test_no_secret_reaches_a_response_long(self, stacks, exception, where, accept):
        """The same for 10,000 exceptions, each through all three adapters."""
        assert_no_leak(stacks, exception, where, accept)
