"""Report: one log record per failing response, and the reporting hooks."""

from __future__ import annotations

import contextlib
import sys
import threading
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import attrs

from ._problem import ABOUT_BLANK, EXCHANGE_KEY, LOG_LEVELS, is_received
from ._text import printable as escape_to_line

if TYPE_CHECKING:
    import logging
    from concurrent.futures import Future, ThreadPoolExecutor

    from ._problem import Problem
    from ._request import RequestInfo

_SERVER_ERROR = 500
_HOOK_THREADS = 2
# Hook calls running or queued at most; beyond it, reports skip the hooks.
_MAX_PENDING = 64
# Links of a __cause__/__context__ chain checked before logging; the
# traceback module itself stops at cycles, and so does this check.
_MAX_CHAIN = 32
_MAX_LOGGED_TEXT = 200
_MAX_WHERE = 2048
_MAX_METHOD = 32

_ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

_DEBUG = LOG_LEVELS["DEBUG"]
_WARNING = LOG_LEVELS["WARNING"]
_ERROR = LOG_LEVELS["ERROR"]


@attrs.frozen(kw_only=True)
class ErrorReport:
    """What a reporting hook receives about one failing response.

    Attributes:
        problem: the problem the client was answered with.
        exception: the exception that caused it (None for a problem rendered
            without being raised).
        request: facts about the request, when an adapter supplied them.
        flow_id: the flow id sent to the client.
        unexpected: True when *exception* was not a declared problem nor
            mapped to one (the generic 500, or an upstream's problem answered
            as a failed dependency); such errors are logged at ERROR.
    """

    problem: Problem
    exception: BaseException | None
    request: RequestInfo | None
    flow_id: str
    unexpected: bool = False


#: A reporting hook: a callable given an `ErrorReport` for every 5xx response.
ReportHook = Callable[[ErrorReport], object]


def printable(text: str, limit: int = _MAX_LOGGED_TEXT) -> str:
    """Return text from elsewhere fit for one log line: escaped, capped (see `_text`)."""
    return escape_to_line(text, limit)


def _facts(
    flow_id: str | None, status: int | None, problem_type: str | None, request: RequestInfo | None
) -> tuple[str, dict[str, Any]]:
    """Return the request's "METHOD /path" and the attributes every record carries.

    Every record the library writes has the same attributes, so that a
    format string naming one of them never fails on another record.
    """
    method = path = native = None
    if request is not None:
        method, path, native = request.method, request.path, request.native
    where = " ".join(part for part in (method, path) if isinstance(part, str) and part)
    return printable(where, _MAX_WHERE), {
        "flow_id": flow_id,
        "status": status,
        "status_code": status,
        "problem_type": problem_type,
        "method": method,
        "path": path,
        "request": native,
    }


class _UnformattableError(Exception):
    """Stands in for an exception that the traceback module cannot format."""


def _formats(exception: BaseException) -> bool:
    # Walks what log handlers walk (the exception and its chain), calling the
    # parts user code can break: the traceback module's needs, and what error
    # reporters such as Django's AdminEmailHandler use (str, repr, notes as
    # strings, equality and hashing, a class that tells the truth).
    # Imported here: only an unexpected error's record needs it.
    import traceback  # noqa: PLC0415

    seen: set[int] = set()
    pending: list[BaseException] = [exception]
    try:
        while pending and len(seen) < _MAX_CHAIN:
            current = pending.pop()
            if id(current) in seen:
                continue
            seen.add(id(current))
            if not _behaves(current):
                return False
            traceback.format_exception_only(type(current), current)
            pending.extend(
                linked
                for linked in (current.__cause__, current.__context__)
                if isinstance(linked, BaseException)
            )
    except Exception:  # noqa: BLE001 - exactly what is being tested for
        return False
    return True


def _behaves(exception: BaseException) -> bool:
    """Return whether *exception* answers what log handlers ask as they expect; may raise."""
    str(exception)  # str() and repr() raise themselves for a non-str result
    repr(exception)
    hash(exception)
    notes: object = getattr(exception, "__notes__", None)
    if notes is not None:
        if not isinstance(notes, list):
            return False
        items: list[object] = notes  # pyright: ignore[reportUnknownVariableType]
        if not all(isinstance(note, str) for note in items):
            return False
    return exception.__class__ is type(exception) and bool(exception == exception)  # noqa: PLR0124


def loggable(exception: BaseException) -> _ExcInfo:
    """Return ``exc_info`` for *exception* that every standard log handler can format.

    An exception whose notes, attributes or chain make the traceback module
    raise is replaced by a stand-in naming its class, with its traceback: the
    record still says where it happened.
    """
    kind = type(exception)
    try:
        # Read through BaseException itself: a class may hide it behind
        # __getattribute__, and then only the slot tells the truth.
        trace: object = vars(BaseException)["__traceback__"].__get__(exception)
    except Exception:  # noqa: BLE001 - the record goes out without a traceback then
        trace = None
    if trace is not None and not isinstance(trace, TracebackType):
        trace = None
    try:
        # Handlers read the attribute, not the slot: both must agree.
        plain = _formats(exception) and exception.__traceback__ is trace
    except Exception:  # noqa: BLE001 - exactly what is being tested for
        plain = False
    if plain:
        return (kind, exception, trace)
    stand_in = _UnformattableError(
        f"{class_name(kind)} (its message, notes or chain could not be formatted)"
    )
    return (_UnformattableError, stand_in, trace)


def class_name(kind: type) -> str:
    """Return *kind*'s name as a log line shows it: ``module.Qualname``, builtins bare."""
    # A class may set __module__ to anything; only a string names a module.
    module: object = getattr(kind, "__module__", None)
    name = kind.__qualname__
    return f"{module}.{name}" if isinstance(module, str) and module != "builtins" else name


def _upstream(exception: BaseException | None) -> Problem | None:
    if exception is None or not is_received(exception):
        return None
    return exception  # type: ignore[return-value]  # marked classes are problems


class Reporter:
    """Logs failing responses on one logger and calls the reporting hooks.

    Each response is logged once, by one record that carries the flow id, the
    request's method and path, the status, the problem type and (as
    ``request``) the framework's request object as attributes. Unexpected
    exceptions are logged at ERROR with their traceback; declared problems at
    their type's ``log_level``, else at *server_level* for a 5xx and DEBUG
    for a 4xx.

    Neither a failing log handler nor a failing or slow hook can change the
    response: failures are logged (once) and swallowed; with a timeout, the
    request waits at most that long for the hooks, and hooks that hang hold
    at most a bounded number of reports: once that many calls are pending,
    further reports skip the hooks (with a warning) until some finish.
    """

    def __init__(
        self,
        logger: logging.Logger,
        hooks: tuple[ReportHook, ...],
        timeout: float | None,
        server_level: int = _WARNING,
    ) -> None:
        self._logger = logger
        self._hooks = hooks
        self._timeout = timeout
        self._server_level = server_level
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending = 0

    def level(self, problem: Problem, *, unexpected: bool = False) -> int:
        """Return the level an occurrence of *problem* is logged at."""
        if unexpected:
            return _ERROR
        declared = type(problem).__problem_log_level__
        if declared is not None:
            return declared
        return self._server_level if problem.status >= _SERVER_ERROR else _DEBUG

    def wants(self, problem: Problem, *, unexpected: bool = False) -> bool:
        """Return whether a report of *problem* would be logged or given to hooks.

        When neither would happen, the pipeline need not build a report at all.
        """
        return (problem.status >= _SERVER_ERROR and bool(self._hooks)) or self._logger.isEnabledFor(
            self.level(problem, unexpected=unexpected)
        )

    def report(self, report: ErrorReport, *, log: bool = True) -> None:
        """Log *report* and run the hooks if it is a server error; never raises.

        Args:
            report: what happened.
            log: False when the caller has logged the failure already.
        """
        if log:
            level = self.level(report.problem, unexpected=report.unexpected)
            try:
                if self._logger.isEnabledFor(level):
                    self._log(level, report)
            except Exception:  # noqa: BLE001 - a log handler must not break the response
                self.failed("logging", report.flow_id, request=report.request)
        if report.problem.status >= _SERVER_ERROR and self._hooks:
            self._run_hooks(report)

    def _log(self, level: int, report: ErrorReport) -> None:
        problem = report.problem
        status = problem.status
        where, extra = _facts(report.flow_id, status, problem.type, report.request)
        exception = report.exception
        upstream = _upstream(exception) if report.unexpected else None
        exc_info: _ExcInfo | None = None
        args: tuple[object, ...]
        if upstream is not None:
            message, args = self._upstream_message(upstream, extra)
        elif report.unexpected and exception is not None:
            exc_info = loggable(exception)
            message = "failed with %s: answered with a %d problem (flow id %s)"
            args = (class_name(type(exception)), status, report.flow_id)
        else:
            message = "answered with a %d problem %s (flow id %s)"
            args = (status, printable(problem.type), report.flow_id)
        # One template per kind of record, so that log tools can group them.
        if where:
            message, args = "%s " + message, (where, *args)
        else:
            message = "Request " + message
        self._logger.log(level, message, *args, exc_info=exc_info, extra=extra)

    @staticmethod
    def _upstream_message(
        upstream: Problem, extra: dict[str, Any]
    ) -> tuple[str, tuple[object, ...]]:
        # Read where the client side keeps it: a member named "http" may hide it.
        exchange = upstream.__dict__.get(EXCHANGE_KEY)
        url = getattr(exchange, "url", None)
        method = getattr(exchange, "method", None)
        method = printable(method, _MAX_METHOD) if isinstance(method, str) else None
        # Query strings often carry tokens; the path finds the call.
        url = printable(url.partition("?")[0].partition("#")[0]) if isinstance(url, str) else None
        received_status = getattr(exchange, "status", None)
        status = received_status if isinstance(received_status, int) else upstream.status
        upstream_type = printable(upstream.type)
        flow_id = printable(upstream.flow_id) if upstream.flow_id else None
        extra.update(
            upstream_status=status,
            upstream_type=upstream_type,
            upstream_flow_id=flow_id,
            upstream_url=url,
        )
        call = " ".join(part for part in (method, url) if part)
        return (
            (
                "failed: upstream %s answered %d %s (upstream flow id %s); answered with a %d "
                "problem (flow id %s)"
            ),
            (
                call or "service",
                status,
                upstream_type,
                flow_id,
                extra["status"],
                extra["flow_id"],
            ),
        )

    def _run_hooks(self, report: ErrorReport) -> None:
        if self._timeout is None:
            for hook in self._hooks:
                try:
                    hook(report)
                except Exception:  # noqa: BLE001, PERF203 - a hook must not break the response
                    self.failed(
                        f"reporting hook {_name(hook)}", report.flow_id, request=report.request
                    )
            return
        # Imported here: only hooks run with a timeout need threads.
        from concurrent.futures import TimeoutError as FutureTimeout  # noqa: PLC0415

        for hook in self._hooks:
            try:
                future = self._submit(hook, report)
                if future is None:
                    self.failed(
                        f"reporting hook {_name(hook)} (skipped: {_MAX_PENDING} calls pending)",
                        report.flow_id,
                        exc_info=False,
                        request=report.request,
                    )
                    continue
                future.result(timeout=self._timeout)
            except FutureTimeout:
                self.failed(
                    f"reporting hook {_name(hook)} (still running after {self._timeout}s)",
                    report.flow_id,
                    exc_info=False,
                    request=report.request,
                )
            except Exception:  # noqa: BLE001
                self.failed(f"reporting hook {_name(hook)}", report.flow_id, request=report.request)

    def _submit(self, hook: ReportHook, report: ErrorReport) -> Future[object] | None:
        # Hooks that hang must not make reports (and the tracebacks they hold)
        # pile up in the queue: past the bound, the call is not made at all.
        with self._lock:
            if self._pending >= _MAX_PENDING:
                return None
            if self._executor is None:
                from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

                self._executor = ThreadPoolExecutor(
                    max_workers=_HOOK_THREADS, thread_name_prefix="problemdetails"
                )
            self._pending += 1
            executor = self._executor
        try:
            future = executor.submit(hook, report)
        except BaseException:  # e.g. at interpreter shutdown; the caller logs it
            self._done(None)
            raise
        future.add_done_callback(self._done)
        return future

    def _done(self, _: Future[object] | None) -> None:
        with self._lock:
            self._pending -= 1

    def failed(
        self,
        what: str,
        flow_id: str | None,
        *,
        status: int | None = None,
        exc_info: bool = True,
        request: RequestInfo | None = None,
    ) -> None:
        """Log that *what* failed (with the current exception); never raises.

        A failure that changed the response (*status* given: the client got
        the generic 500) is the response's one ERROR record, with the same
        attributes as every other; one the client never noticed is a warning.
        """
        level = _ERROR if status is not None else _WARNING
        current = sys.exc_info()[1] if exc_info else None
        # A failure that changed the response left the client the generic 500.
        problem_type = ABOUT_BLANK if status is not None else None
        self.log_failure(
            level,
            f"{what} failed",
            flow_id,
            current,
            request=request,
            status=status,
            problem_type=problem_type,
        )

    def log_failure(
        self,
        level: int,
        what: str,
        flow_id: str | None,
        exception: BaseException | None,
        *,
        request: RequestInfo | None = None,
        status: int | None = None,
        problem_type: str | None = None,
    ) -> None:
        """Log *what* happened (with *exception*), with the record's usual attributes.

        Never raises: nowhere is left to report a failure of logging itself.
        """
        current = exception
        with contextlib.suppress(Exception):
            where, extra = _facts(flow_id, status, problem_type, request)
            message = "%s (flow id %s)"
            args: tuple[object, ...] = (what, flow_id)
            if where:
                message, args = "%s: " + message, (where, *args)
            self._logger.log(
                level,
                message,
                *args,
                exc_info=None if current is None else loggable(current),
                extra=extra,
            )


def _name(hook: object) -> str:
    return getattr(hook, "__qualname__", None) or repr(type(hook))
