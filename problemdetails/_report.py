"""Report: log server errors and hand them to reporting hooks."""

from __future__ import annotations

import contextlib
import logging
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from ._config import ReportHook
    from ._pipeline import RequestInfo
    from ._problem import Problem

_SERVER_ERROR = 500
_HOOK_THREADS = 2
# Hook calls running or queued at most; beyond it, reports skip the hooks.
_MAX_PENDING = 64


@attrs.frozen(kw_only=True)
class ErrorReport:
    """What a reporting hook receives about one server error.

    Attributes:
        problem: the problem the client was answered with.
        exception: the exception that caused it (None for a problem rendered
            without being raised).
        request: facts about the request, when an adapter supplied them.
        flow_id: the flow id sent to the client.
    """

    problem: Problem
    exception: BaseException | None
    request: RequestInfo | None
    flow_id: str


class Reporter:
    """Logs server errors on one logger and calls the reporting hooks.

    Neither a failing log handler nor a failing or slow hook can change the
    response: failures are logged (once) and swallowed; with a timeout, the
    request waits at most that long for the hooks, and hooks that hang hold
    at most a bounded number of reports: once that many calls are pending,
    further reports skip the hooks (with a warning) until some finish.
    """

    def __init__(
        self, logger: logging.Logger, hooks: tuple[ReportHook, ...], timeout: float | None
    ) -> None:
        self._logger = logger
        self._hooks = hooks
        self._timeout = timeout
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self._pending = 0

    def wants(self, status: int) -> bool:
        """Return whether a report of *status* would be logged or given to hooks.

        Client errors are logged at DEBUG only: when that level is off, the
        pipeline need not build a report at all.
        """
        return status >= _SERVER_ERROR or self._logger.isEnabledFor(logging.DEBUG)

    def report(self, report: ErrorReport, *, log: bool = True) -> None:
        """Log *report* and run the hooks if it is a server error; never raises.

        Args:
            report: what happened.
            log: False when the caller has logged the failure already.
        """
        status = report.problem.status
        extra = {"flow_id": report.flow_id, "status": status}
        try:
            if not log:
                pass
            elif status >= _SERVER_ERROR:
                self._logger.error(
                    "%s answered with a %d problem (flow id %s)",
                    type(report.exception or report.problem).__name__,
                    status,
                    report.flow_id,
                    exc_info=report.exception,
                    extra=extra,
                )
            else:
                self._logger.debug(
                    "answered with a %d problem (flow id %s)", status, report.flow_id, extra=extra
                )
        except Exception:  # noqa: BLE001 - a log handler must not break the response
            self.failed("logging", report.flow_id)
        if status >= _SERVER_ERROR and self._hooks:
            self._run_hooks(report)

    def _run_hooks(self, report: ErrorReport) -> None:
        if self._timeout is None:
            for hook in self._hooks:
                try:
                    hook(report)
                except Exception:  # noqa: BLE001, PERF203 - a hook must not break the response
                    self.failed(f"reporting hook {_name(hook)}", report.flow_id)
            return
        for hook in self._hooks:
            try:
                future = self._submit(hook, report)
                if future is None:
                    self.failed(
                        f"reporting hook {_name(hook)} (skipped: {_MAX_PENDING} calls pending)",
                        report.flow_id,
                        exc_info=False,
                    )
                    continue
                future.result(timeout=self._timeout)
            except FutureTimeout:
                self.failed(
                    f"reporting hook {_name(hook)} (still running after {self._timeout}s)",
                    report.flow_id,
                    exc_info=False,
                )
            except Exception:  # noqa: BLE001
                self.failed(f"reporting hook {_name(hook)}", report.flow_id)

    def _submit(self, hook: ReportHook, report: ErrorReport) -> Future[object] | None:
        # Hooks that hang must not make reports (and the tracebacks they hold)
        # pile up in the queue: past the bound, the call is not made at all.
        with self._lock:
            if self._pending >= _MAX_PENDING:
                return None
            if self._executor is None:
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
        self, what: str, flow_id: str | None, *, status: int | None = None, exc_info: bool = True
    ) -> None:
        """Log that *what* failed (with the current exception); never raises.

        A failure that changed the response (*status* given) is an error; one
        the client never noticed is a warning.
        """
        level = logging.ERROR if status is not None else logging.WARNING
        # Nowhere is left to report a failure of logging itself.
        with contextlib.suppress(Exception):
            self._logger.log(
                level,
                "%s failed (flow id %s)",
                what,
                flow_id,
                exc_info=exc_info,
                extra={"flow_id": flow_id, "status": status},
            )


def _name(hook: object) -> str:
    return getattr(hook, "__qualname__", None) or repr(type(hook))
