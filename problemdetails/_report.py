"""Report: log server errors and hand them to reporting hooks."""

from __future__ import annotations

import contextlib
import logging
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import TYPE_CHECKING

import attrs

if TYPE_CHECKING:
    from ._config import ReportHook
    from ._pipeline import RequestInfo
    from ._problem import Problem

_SERVER_ERROR = 500


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
    request waits at most that long for the hooks.
    """

    def __init__(
        self, logger: logging.Logger, hooks: tuple[ReportHook, ...], timeout: float | None
    ) -> None:
        self._logger = logger
        self._hooks = hooks
        self._timeout = timeout
        self._executor: ThreadPoolExecutor | None = None

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
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=2, thread_name_prefix="problemdetails")
        for hook in self._hooks:
            try:
                self._executor.submit(hook, report).result(timeout=self._timeout)
            except FutureTimeout:  # noqa: PERF203 - each hook fails on its own
                self.failed(
                    f"reporting hook {_name(hook)} (still running after {self._timeout}s)",
                    report.flow_id,
                    exc_info=False,
                )
            except Exception:  # noqa: BLE001
                self.failed(f"reporting hook {_name(hook)}", report.flow_id)

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
