"""Fault injection through the real Flask, Django and WSGI request stacks, and real servers.

Every fault of ``apps.faults_common`` (a renderer that raises, members JSON
cannot encode, exceptions whose ``str``/``repr`` raise or recurse, a logging
handler, an ``instance`` callable and reporting hooks that raise or hang, a
header with CR/LF, a ``detail`` of megabytes, a deeply nested member) is
injected through each adapter. For each: the client gets a valid problem
response (the minimal ``application/problem+json`` 500 where nothing better
is possible), nothing of the fault reaches it, the failure is logged once,
and a gunicorn server that meets it keeps serving from the same worker.

Which logger logs what (asserted by counting ERROR records per logger):

- Flask and WSGI: the pipeline, on ``problemdetails``; Flask's own record of
  an unexpected exception on ``app.logger`` is not written.
- Django: the pipeline, on ``django.request``; Django skips its own record
  of the 500.

A failure the client never notices (a reporting hook that raises or hangs,
a log handler that raises) is a WARNING on the pipeline's logger, never a
second ERROR.
"""

from __future__ import annotations

import json
import logging
import re
import threading
from collections import Counter
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from apps.faults_clients import STACKS, DjangoStack, FlaskStack, Reply, Stack, stack
from apps.faults_common import (
    BREAK_LOGGING,
    FAULT_SETTINGS,
    FAULTS,
    GIVEN,
    HUGE_DETAIL_LENGTH,
    REPORT_TIMEOUT,
    SECRET,
    BreakingHandler,
    UnprintableError,
    release_hanging_hooks,
)
from flask import got_request_exception
from servers import gunicorn
from strategies import leaks

from problemdetails import (
    Config,
    ConfigurationError,
    ErrorReport,
    Problem,
    ProblemHandler,
    RequestInfo,
)

TESTS = Path(__file__).parent
JSON = "application/problem+json"
XML = "application/problem+xml"
GENERATED = re.compile(r"[0-9a-f]{32}")
GENERIC_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)
MINIMAL_500 = {
    "type": "about:blank",
    "title": "Internal Server Error",
    "status": 500,
    "detail": GENERIC_DETAIL,
}
# Generous, and still half the time a hook hangs for: the hooks' limit is 0.2s.
PROMPT_SECONDS = 5.0
TRUNCATED = "x" * 4095 + "\u2026"

# Faults answered with the minimal 500: problems that fail to render, and
# unexpected exceptions.
FAILS_TO_RENDER = ["renderer-raises", "headers-raise", "instance-raises"]
UNENCODABLE = ["unserializable-extension", "nan-extension", "deep-extension", "crlf-header"]
UNEXPECTED = ["broken-str", "recursive-str", "log-handler-raises", "hook-raises", "hook-hangs"]
MINIMAL = FAILS_TO_RENDER + UNENCODABLE + UNEXPECTED
# The pipeline's warning for each failure the client never notices.
WARNINGS = {
    "hook-raises": "reporting hook report_hook failed",
    "hook-hangs": f"reporting hook report_hook (still running after {REPORT_TIMEOUT}s) failed",
    "log-handler-raises": "logging failed",
}


def flow_id_for(fault: str) -> dict[str, str]:
    """The request headers for *fault*: a marked flow id makes logging fail."""
    return {"X-Flow-ID": f"{BREAK_LOGGING}-1"} if fault == "log-handler-raises" else {}


def assert_safe(reply: Reply) -> None:
    """Nothing of a fault reaches the client: not in the body, not in a header."""
    assert not leaks(reply.body), reply.body[:500]
    for name, value in reply.headers:
        assert not leaks(name), name
        assert not leaks(value), (name, value)
    assert reply.header("Set-Cookie") is None


def assert_problem(reply: Reply, status: int, sent_flow_id: str | None = None) -> dict[str, Any]:
    """*reply* is a valid problem document of *status* that leaks nothing; return its members."""
    assert reply.status == status, reply.body[:500]
    assert reply.header("Content-Type") == JSON
    length = reply.header("Content-Length")
    assert length is None or int(length) == len(reply.body)
    body: dict[str, Any] = json.loads(reply.body)
    assert body["status"] == status
    assert isinstance(body["type"], str)
    assert isinstance(body["title"], str)
    flow_id = reply.header("X-Flow-ID")
    assert body["flow_id"] == flow_id
    if sent_flow_id:
        assert flow_id == sent_flow_id
    else:
        assert GENERATED.fullmatch(flow_id or "")
    assert_safe(reply)
    return body


def assert_minimal_500(reply: Reply, sent_flow_id: str | None = None) -> None:
    """*reply* is the minimal 500: fixed members and the flow id, nothing else."""
    body = assert_problem(reply, 500, sent_flow_id)
    assert body == {**MINIMAL_500, "flow_id": body["flow_id"]}


def assert_truncated_detail(reply: Reply) -> None:
    """*reply* is the 502 whose megabytes of detail are cut to the default 4096 characters."""
    body = assert_problem(reply, 502)
    assert body == {
        "type": "about:blank",
        "title": "Bad Gateway",
        "status": 502,
        "detail": TRUNCATED,
        "flow_id": body["flow_id"],
    }


def errors_by_logger(records: list[logging.LogRecord]) -> dict[str, int]:
    """Count the ERROR (and worse) records per logger name."""
    return dict(Counter(record.name for record in records if record.levelno >= logging.ERROR))


def pipeline_logger(chosen: Stack) -> str:
    """The logger the pipeline logs on in *chosen*'s set-up."""
    return "django.request" if chosen.name == "django" else "problemdetails"


@contextmanager
def breaking_logs() -> Generator[BreakingHandler, None, None]:
    """Within the block, a root handler raises for the records of marked requests.

    It is added in the test itself, after the handler caplog reads (pytest
    adds that one when the test's call starts), so caplog still sees each record.
    """
    handler = BreakingHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


@pytest.fixture(name="fault_stack", scope="module", params=STACKS)
def _fault_stack(request: pytest.FixtureRequest) -> Iterator[Stack]:
    """Each stack in-process, set up with the fault settings."""
    with stack(request.param, **FAULT_SETTINGS) as chosen:
        yield chosen


@pytest.fixture(autouse=True)
def _release_hooks() -> Iterator[None]:
    """Hooks a test left hanging return when it ends, so the next starts with free threads."""
    yield
    release_hanging_hooks()


@pytest.fixture(name="logs")
def _logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The test's records, WARNING and up, from every logger."""
    caplog.set_level(logging.WARNING)
    return caplog


class TestInProcess:
    """Each fault through each adapter's real request stack."""

    def test_every_fault_is_covered(self):
        """The tables of this module name every fault the apps can inject."""
        assert {*MINIMAL, "huge-detail"} == set(FAULTS)

    @pytest.mark.parametrize("fault", MINIMAL)
    def test_minimal_500(self, fault_stack, fault, logs):
        """The client gets the minimal 500, nothing leaks, the failure is logged once."""
        headers = flow_id_for(fault)

        with breaking_logs():
            reply = fault_stack.get(f"/fault/{fault}", headers)

        assert_minimal_500(reply, headers.get("X-Flow-ID"))
        assert errors_by_logger(logs.records) == {pipeline_logger(fault_stack): 1}
        warnings = [
            record.getMessage()
            for record in logs.records
            if record.levelno == logging.WARNING and record.name == pipeline_logger(fault_stack)
        ]
        flow_id = reply.header("X-Flow-ID")
        expected = f"GET /fault/{fault}: {WARNINGS.get(fault)} (flow id {flow_id})"
        assert warnings == ([expected] if fault in WARNINGS else [])
        assert fault_stack.get("/ok").status == 200

    def test_hanging_hook_does_not_hold_the_response(self, fault_stack):
        """A hook that hangs for seconds delays the response by its time limit only."""
        reply = fault_stack.get("/fault/hook-hangs")

        assert_minimal_500(reply)
        assert reply.seconds < PROMPT_SECONDS

    def test_raising_log_handler_is_asked_once_per_record(self, fault_stack):
        """The handler that raises gets the error once and the warning about it once."""
        with breaking_logs() as breaking:
            reply = fault_stack.get("/fault/log-handler-raises", flow_id_for("log-handler-raises"))

        assert reply.status == 500
        pipeline = pipeline_logger(fault_stack)
        assert [r.levelname for r in breaking.broken if r.name == pipeline] == ["ERROR", "WARNING"]
        assert [r.levelname for r in breaking.broken if r.name != pipeline] == []

    def test_huge_detail_is_truncated(self, fault_stack, logs):
        """A detail of megabytes is cut to 4096 characters, in the response and in the log."""
        reply = fault_stack.get("/fault/huge-detail")

        assert_truncated_detail(reply)
        # A declared 5xx problem, raised on purpose: one WARNING record.
        (record,) = logs.records
        assert (record.name, record.levelno) == (pipeline_logger(fault_stack), logging.WARNING)
        assert len(logging.Formatter().format(record)) < 64 * 1024


class TestFlaskErrorPath:
    """What escapes Flask's own handling of an unexpected exception still gets a problem."""

    @pytest.fixture(name="failing_signal")
    def _failing_signal(self) -> Iterator[FlaskStack]:
        """The Flask stack, with a ``got_request_exception`` receiver that raises."""
        chosen = FlaskStack()

        def receiver(sender: object, **_: object) -> None:
            raise RuntimeError(SECRET)

        got_request_exception.connect(receiver, chosen.app)
        yield chosen
        got_request_exception.disconnect(receiver, chosen.app)

    def test_signal_receiver_that_raises(self, failing_signal, logs):
        """A receiver that raises (a broken error tracker) gets the minimal 500, logged once."""
        reply = failing_signal.get("/crash")

        assert_minimal_500(reply)
        assert errors_by_logger(logs.records) == {"problemdetails": 1}

    def test_failures_propagate_when_exceptions_do(self, failing_signal):
        """With ``PROPAGATE_EXCEPTIONS`` on, the failure reaches the caller, as Flask's would."""
        failing_signal.app.config["PROPAGATE_EXCEPTIONS"] = True

        with pytest.raises(RuntimeError, match=SECRET):
            failing_signal.get("/crash")


class TestDjangoErrorPageFailing:
    """What escapes Django's own exception handling still gets a problem."""

    def test_django_debug_page_of_unprintable_exception(self):
        """With Django's DEBUG on, an unprintable exception from a middleware gets a problem."""
        GIVEN.append(UnprintableError(SECRET))
        try:
            with DjangoStack(DEBUG=True) as debug:
                reply = debug.get("/raise-in-middleware")
        finally:
            GIVEN.pop()

        assert_minimal_500(reply)


# --- The core's bounds, which these faults motivate ----------------------------


def _handler(**settings: Any) -> ProblemHandler:
    return ProblemHandler(Config(logger_name="faults.bounds", **settings))


class TestTextBounds:
    """``title`` and ``detail`` are cut at ``text_max_length`` characters (4096 by default)."""

    @pytest.mark.parametrize(
        ("limit", "length", "expected"),
        [
            (None, 5000, "x" * 5000),
            (4096, 4096, "x" * 4096),
            (4096, 4097, "x" * 4095 + "\u2026"),
            (64, 65, "x" * 63 + "\u2026"),
        ],
        ids=["off", "at-the-limit", "one-over", "smallest-limit"],
    )
    def test_detail(self, limit, length, expected):
        """A detail longer than the limit is cut and ends in an ellipsis; None sends it whole."""
        handler = _handler() if limit == 4096 else _handler(text_max_length=limit)

        body = json.loads(handler.render(Problem(status=400, detail="x" * length)).body)

        assert body["detail"] == expected

    def test_title_and_xml(self):
        """The title is cut as well, and the XML form is cut like the JSON one."""
        handler = _handler(text_max_length=64)
        problem = Problem(status=400, title="t" * 100, detail="d" * 100)
        request = RequestInfo(headers={"Accept": XML})

        response = handler.render(problem, request)

        assert response.content_type == XML
        assert f"<title>{'t' * 63}\u2026</title>".encode() in response.body
        assert f"<detail>{'d' * 63}\u2026</detail>".encode() in response.body

    def test_extension_members_are_sent_whole(self):
        """Only the two human-readable members are cut: extension data is the author's."""
        handler = _handler(text_max_length=64)

        body = json.loads(handler.render(Problem(status=400, extensions={"note": "n" * 100})).body)

        assert body["note"] == "n" * 100

    def test_str_is_bounded(self):
        """``str(problem)``, which log lines and tracebacks show, is cut at 4096 characters."""
        text = str(Problem(status=502, detail="x" * HUGE_DETAIL_LENGTH))

        assert text == ("502 Bad Gateway: " + "x" * HUGE_DETAIL_LENGTH)[:4095] + "\u2026"

    @pytest.mark.parametrize("value", [0, 63, 1024 * 1024 + 1, 4096.0, True, "4096"])
    def test_bad_setting(self, value):
        """Anything but None or an int from 64 to 1 MiB is refused, with the range."""
        with pytest.raises(ConfigurationError, match="text_max_length must be None or an int"):
            Config(text_max_length=value)

    def test_setting_by_name(self):
        """``TEXT_MAX_LENGTH`` is read from settings mappings like every other setting."""
        assert Config.from_mapping({"TEXT_MAX_LENGTH": 100}).text_max_length == 100


class TestHookBounds:
    """Hooks that hang hold a bounded number of reports; further reports skip them."""

    def test_hanging_hooks_hold_at_most_64_reports(self, logs):
        """Past 64 pending calls, reports skip the hook at once, with a warning; then resume."""
        release = threading.Event()
        calls: list[ErrorReport] = []

        def hang(report: ErrorReport) -> None:
            calls.append(report)
            release.wait(10)

        handler = _handler(report_hooks=[hang], report_timeout=0.01)
        try:
            for _ in range(70):
                assert handler.handle(RuntimeError(SECRET)).status == 500
            skipped = [r for r in logs.records if "(skipped: 64 calls pending)" in r.getMessage()]
            assert len(skipped) == 6
            assert len(calls) == 2  # the two threads; 62 calls wait in the queue
        finally:
            release.set()
        handler._reporter._executor.shutdown(wait=True)  # type: ignore[union-attr]
        assert len(calls) == 64
        assert handler._reporter._pending == 0


# --- Real servers ------------------------------------------------------------

SERVED = {
    "flask": ("apps.faults_served:flask_app", {}),
    "wsgi": ("apps.faults_served:wsgi_app", {}),
    "django": (
        "faults_django.wsgi:application",
        {"DJANGO_SETTINGS_MODULE": "faults_django.settings"},
    ),
}


def _served_reply(response: httpx.Response) -> Reply:
    return Reply(
        response.status_code,
        tuple(response.headers.multi_items()),
        response.content,
        response.elapsed.total_seconds(),
    )


@pytest.fixture(name="server", scope="module", params=STACKS)
def _server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[httpx.Client]:
    """Each fault app under gunicorn (one worker), with the fault settings."""
    app, env = SERVED[request.param]
    log = tmp_path_factory.mktemp(f"faults-{request.param}") / "gunicorn.log"
    with (
        gunicorn(app, cwd=TESTS, log=log, env=env) as url,
        httpx.Client(base_url=url, timeout=10) as client,
    ):
        yield client
        # A hook left hanging would hold the worker's shutdown.
        client.get("/release")


def _worker(server: httpx.Client) -> int:
    response = server.get("/ok")
    assert response.status_code == 200
    pid: int = response.json()["pid"]
    return pid


@pytest.mark.e2e
class TestServed:
    """Each fault in a real gunicorn server: answered, and the same worker answers next."""

    @pytest.mark.parametrize("fault", sorted(FAULTS))
    def test_fault_then_normal_request(self, server, fault):
        """The fault gets a valid problem, promptly; the worker that met it serves the next."""
        worker = _worker(server)
        headers = flow_id_for(fault)

        reply = _served_reply(server.get(f"/fault/{fault}", headers=headers))

        if fault == "huge-detail":
            assert_truncated_detail(reply)
        else:
            assert_minimal_500(reply, headers.get("X-Flow-ID"))
        assert reply.seconds < PROMPT_SECONDS
        assert _worker(server) == worker
        server.get("/release")
