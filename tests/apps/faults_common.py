"""Faults to inject through every adapter, shared by the Flask, WSGI and Django fault apps.

Each app serves ``/fault/<name>``, raising what `FAULTS` makes for that name.
The rest is injected through the settings in `FAULT_SETTINGS` (an
``instance`` callable and a reporting hook that fail for their own fault's
path) and through `BreakingHandler`, a logging handler that raises for every
record about a request whose flow id carries `BREAK_LOGGING`.

Imported as ``apps.faults_common``: servers run with the ``tests`` folder as
working directory, and pytest has that folder on ``sys.path``.
"""

from __future__ import annotations

import logging
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any, cast

from problemdetails import ErrorReport, Problem, RequestInfo

#: Text carried by every injected fault; no response may contain it.
SECRET = "s3cr3t-fault-canary"  # noqa: S105 - not a secret: the canary
#: Flow id prefix of requests whose log records `BreakingHandler` fails on.
BREAK_LOGGING = "log-handler-raises"
#: Seconds the server waits for the reporting hooks.
REPORT_TIMEOUT = 0.2
#: Seconds the hanging hook hangs unless released: far past `REPORT_TIMEOUT`.
HANG_SECONDS = 10.0
_RELEASE = threading.Event()
#: Characters of the huge ``detail``: many megabytes.
HUGE_DETAIL_LENGTH = 8 * 1024 * 1024
#: Levels of the deeply nested extension member.
NESTING_DEPTH = 10_000


class BrokenText:
    """A title whose rendering fails, as a lazy translation with a broken catalogue would."""

    def __str__(self) -> str:
        raise RuntimeError(SECRET)


class Opaque:
    """A value JSON cannot encode; its repr carries the secret."""

    def __repr__(self) -> str:
        return f"Opaque({SECRET!r})"


class HeaderFailure(
    Problem, type="urn:faults:header-failure", title="Headers cannot be made.", status=409
):
    """A problem whose extra headers fail to be worked out."""

    def http_headers(self) -> Iterable[tuple[str, str]]:
        """Fail, with the secret in the message."""
        raise RuntimeError(SECRET)


class UnprintableError(Exception):
    """An exception whose str() and repr() raise."""

    def __str__(self) -> str:
        raise RuntimeError(SECRET)

    def __repr__(self) -> str:
        raise RuntimeError(SECRET)


class RecursiveError(Exception):
    """An exception whose str() and repr() recurse until the interpreter stops them."""

    def __str__(self) -> str:
        return str(self)

    def __repr__(self) -> str:
        return repr(self)


def nested(depth: int) -> list[Any]:
    """Return a list nested *depth* levels deep, with the secret at the bottom."""
    value: list[Any] = [SECRET]
    for _ in range(depth):
        value = [value]
    return value


def _nan_extension() -> Problem:
    return Problem(status=409, extensions={"ratio": float("nan"), "note": SECRET})


FAULTS: dict[str, Callable[[], BaseException]] = {
    "renderer-raises": lambda: Problem(status=409, title=cast("str", BrokenText())),
    "headers-raise": HeaderFailure,
    "instance-raises": lambda: Problem(status=404),
    "unserializable-extension": lambda: Problem(status=409, extensions={"handle": Opaque()}),
    "nan-extension": _nan_extension,
    "broken-str": lambda: UnprintableError(SECRET),
    "recursive-str": lambda: RecursiveError(SECRET),
    "log-handler-raises": lambda: RuntimeError(SECRET),
    "hook-raises": lambda: RuntimeError(SECRET),
    "hook-hangs": lambda: RuntimeError(SECRET),
    "crlf-header": lambda: Problem(
        status=409, headers={"X-Note": f"fine\r\nSet-Cookie: session={SECRET}"}
    ),
    "huge-detail": lambda: Problem(status=502, detail="x" * HUGE_DETAIL_LENGTH + SECRET),
    "deep-extension": lambda: Problem(status=409, extensions={"nested": nested(NESTING_DEPTH)}),
}


def _fault_of(request: RequestInfo | None) -> str | None:
    path = None if request is None else request.path
    return None if path is None else path.rpartition("/")[2]


def instance_for(request: RequestInfo) -> str | None:
    """The ``instance`` setting: fails on the ``instance-raises`` fault, else leaves it out."""
    if _fault_of(request) == "instance-raises":
        raise RuntimeError(SECRET)
    return None


def report_hook(report: ErrorReport) -> None:
    """The reporting hook: raises or hangs on its own faults, else does nothing."""
    fault = _fault_of(report.request)
    if fault == "hook-raises":
        raise RuntimeError(SECRET)
    if fault == "hook-hangs":
        _RELEASE.wait(HANG_SECONDS)


def release_hanging_hooks() -> None:
    """End every hang in progress now (the apps' ``/release`` route calls it)."""
    _RELEASE.set()
    # Waiting threads have been woken; later hangs hang again.
    _RELEASE.clear()


#: The settings of every fault app (as `Config` keyword arguments).
FAULT_SETTINGS: dict[str, Any] = {
    "instance": instance_for,
    "report_hooks": [report_hook],
    "report_timeout": REPORT_TIMEOUT,
}


class BreakingHandler(logging.Handler):
    """A logging handler that raises for records about `BREAK_LOGGING` requests.

    Such records name the request: Flask's by its path, the pipeline's by its
    flow id. The others it writes to *stream* (if any).
    """

    def __init__(self, stream: Any = None) -> None:
        super().__init__()
        self.stream = stream
        #: The records it raised for.
        self.broken: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Raise for the marked records; write the others."""
        if BREAK_LOGGING in record.getMessage():
            self.broken.append(record)
            raise RuntimeError(f"log handler down ({SECRET})")
        if self.stream is not None:
            self.stream.write(self.format(record) + "\n")


def install_breaking_handler() -> None:
    """Give the root logger a `BreakingHandler` that writes the other records to stderr."""
    root = logging.getLogger()
    if not any(isinstance(handler, BreakingHandler) for handler in root.handlers):
        handler = BreakingHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        root.addHandler(handler)
    root.setLevel(logging.WARNING)


#: What ``/raise`` raises next (the leak test puts its exceptions here).
GIVEN: list[BaseException] = [RuntimeError(SECRET)]


def raise_given() -> None:
    """Raise the exception last put in `GIVEN`."""
    raise GIVEN[-1]
