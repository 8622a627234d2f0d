"""Plain WSGI: a middleware that answers a WSGI application's errors with problems.

Wrap any WSGI application::

    from problemdetails.adapters.wsgi import ProblemDetailsMiddleware

    app = ProblemDetailsMiddleware(app)

- An exception the application raises before its response has started
  becomes a problem response: a raised `Problem` renders as itself, an
  exception the ``mappings`` setting maps renders as its problem, werkzeug's
  ``HTTPException`` becomes an ``about:blank`` problem (as in the Flask
  adapter; redirects are served as they are), and anything else becomes the
  generic 500, which never shows the exception. This holds whether the
  application raised before or after calling ``start_response``, and for
  generator applications that raise before their first chunk.
- An exception raised after the response has started (once the first body
  chunk has gone to the server) cannot change the response any more: it is
  logged on the ``problemdetails`` logger and re-raised, so that the server
  cuts the connection short, as PEP 3333 asks. The server's
  ``start_response`` is called a second time only with ``exc_info``, and the
  application's iterable is always closed.
- With ``convert_error_responses=True``, 4xx and 5xx responses the
  application makes itself (a bodiless 404, a framework's HTML 405 page, a
  JSON error body) are replaced by ``about:blank`` problems of the same
  status, keeping headers such as ``Allow``, ``WWW-Authenticate``,
  ``Retry-After`` and ``Set-Cookie``; their bodies are never sent, so an HTML
  debug page cannot leak either. Responses that already are problem
  documents, ``HEAD`` requests and all other statuses pass through untouched.

The status and headers an application gives ``start_response`` reach the
server when the first body chunk does (or the body is a list), as PEP 3333
lets a middleware do. So a problem replaces them cleanly on every server,
including those (gunicorn among them) that append rather than replace
headers when ``start_response`` is called again with ``exc_info``.

Requests that do not fail read no request data and render nothing: the
middleware's work is holding the status for one call, and a body that is a
list or tuple (or a ``wsgi.file_wrapper``) is passed on as the very same
object; any other iterable is watched by a small wrapper.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException

from problemdetails import Config, Problem, ProblemHandler

from ._werkzeug import DEFAULTS, is_problem, request_info

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

    from problemdetails import ProblemResponse

__all__ = ["ProblemDetailsMiddleware"]

_PROBLEM_MEDIA_TYPES = frozenset(("application/problem+json", "application/problem+xml"))
_END: Any = object()
_CUT_SHORT = "exception after the response started; it is cut short"
_CLOSE_FAILED = "closing the replaced error response failed"


def _convertible(status: str, headers: list[tuple[str, str]]) -> bool:
    # Called for statuses starting with 4 or 5: three digits make it 400-599.
    if not status[:3].isdigit():
        return False
    for name, value in headers:
        if name.lower() == "content-type":
            return value.partition(";")[0].strip().lower() not in _PROBLEM_MEDIA_TYPES
    return True


def _close(iterable: Iterable[bytes]) -> None:
    close = getattr(iterable, "close", None)
    if close is not None:
        close()


class _Start:
    """The ``start_response`` the application sees, one per request.

    It holds the status and headers until the first body chunk, a ``write()``
    or a list body sends them on; until then a problem can still replace
    them, and an error response can be converted.
    """

    __slots__ = ("_write", "convert", "headers", "sent", "server", "status")

    def __init__(self, server: StartResponse, convert: bool) -> None:
        self.server = server
        self.convert = convert
        self.status: str | None = None
        self.headers: list[tuple[str, str]] = []
        self.sent = False
        self._write: Callable[[bytes], object] | None = None

    def __call__(
        self,
        status: str,
        headers: list[tuple[str, str]],
        exc_info: OptExcInfo | None = None,
        /,
    ) -> Callable[[bytes], object]:
        if self.sent:
            # The server has them: it replaces them, or re-raises exc_info
            # if they are on the wire (and refuses a call without exc_info).
            return self.server(status, headers, exc_info)
        if exc_info is None and self.status is not None:
            raise AssertionError("start_response called a second time without exc_info")
        self.status = status
        self.headers = headers
        return self.write

    @property
    def replacing(self) -> bool:
        """Whether the held response is an error response to convert."""
        status = self.status
        return (
            self.convert
            and status is not None
            and status[:1] in ("4", "5")
            and _convertible(status, self.headers)
        )

    def write(self, data: bytes) -> object:
        """The ``write`` callable: sends the held headers first."""
        if self.replacing:
            return None
        self.flush()
        write = self._write
        return None if write is None else write(data)

    def flush(self) -> None:
        """Send the held status and headers to the server, if any and not sent."""
        if not self.sent and self.status is not None:
            self.sent = True
            self._write = self.server(self.status, self.headers)

    def send(
        self, status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None
    ) -> Callable[[bytes], object]:
        """Send a replacement response's status and headers."""
        if self.sent:
            return self.server(status, headers, exc_info)
        self.sent = True
        return self.server(status, headers)


def _log(
    handler: ProblemHandler, level: int, what: str, environ: WSGIEnvironment, error: Exception
) -> None:
    # A failing log handler must not change what the server sees.
    with contextlib.suppress(Exception):
        logging.getLogger(handler.config.logger_name).log(
            level,
            "%s %s: %s",
            environ.get("REQUEST_METHOD"),
            environ.get("PATH_INFO"),
            what,
            exc_info=error,
            extra={"flow_id": None, "status": None},
        )


def _send(
    response: ProblemResponse,
    environ: WSGIEnvironment,
    start: _Start,
    exc_info: OptExcInfo | None,
    *,
    kept: Iterable[tuple[str, str]] = (),
    status_line: str | None = None,
) -> list[bytes]:
    headers = [*response.headers, *kept, ("Content-Length", str(len(response.body)))]
    start.send(status_line or response.status_line, headers, exc_info)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [response.body]


def _answer(
    handler: ProblemHandler, error: Exception, environ: WSGIEnvironment, start: _Start
) -> Iterable[bytes]:
    """Answer *error*, raised before the response started, with a problem.

    Called while *error* is being handled. If the server has the
    application's headers already, it gets ``exc_info`` and re-raises
    *error* if they are on the wire (PEP 3333).
    """
    exc_info = sys.exc_info()
    if isinstance(error, HTTPException) and not is_problem(error):

        def restart(
            status: str, headers: list[tuple[str, str]], _: OptExcInfo | None = None, /
        ) -> Callable[[bytes], object]:
            return start.send(status, headers, exc_info)

        # Redirects, and exceptions that carry a response: served as they are.
        return error(environ, restart)
    response = handler.handle(error, request_info(environ))
    return _send(response, environ, start, exc_info)


def _convert(handler: ProblemHandler, start: _Start, environ: WSGIEnvironment) -> list[bytes]:
    """Replace the error response *start* holds with a problem of its status."""
    status = start.status or "500"
    response = handler.render(Problem(status=int(status[:3])), request_info(environ))
    kept = response.kept_headers(start.headers)
    # The application's own status line: same code, its reason phrase.
    return _send(response, environ, start, None, kept=kept, status_line=status)


class _Guarded:
    """The app's response body, watched until it ends and closed with it.

    The held headers are sent with the first chunk. An exception before it
    still becomes a problem response; one after it is logged and re-raised
    for the server to cut the response short.
    """

    __slots__ = ("_environ", "_handler", "_iterable", "_replacement", "_start")

    def __init__(
        self,
        handler: ProblemHandler,
        iterable: Iterable[bytes],
        environ: WSGIEnvironment,
        start: _Start,
    ) -> None:
        self._handler = handler
        self._iterable = iterable
        self._environ = environ
        self._start = start
        self._replacement: Iterable[bytes] = ()

    def __iter__(self) -> Iterator[bytes]:
        handler, environ, start = self._handler, self._environ, self._start
        try:
            iterator = iter(self._iterable)
            first = next(iterator, _END)
            if not start.replacing:
                start.flush()
        except Exception as error:  # noqa: BLE001 - nothing is sent yet: answer with a problem
            self._replacement = _answer(handler, error, environ, start)
        else:
            if start.replacing:
                self._replacement = _convert(handler, start, environ)
            elif first is not _END:
                yield first
                try:
                    yield from iterator
                except Exception as error:
                    _log(handler, logging.ERROR, _CUT_SHORT, environ, error)
                    raise
                return
        yield from self._replacement

    def close(self) -> None:
        """Close the app's iterable (the server calls this, PEP 3333)."""
        try:
            _close(self._iterable)
        finally:
            _close(self._replacement)


class ProblemDetailsMiddleware:
    """WSGI middleware that answers the wrapped application's errors with problems.

    Args:
        app: the WSGI application to wrap.
        config: a `Config` to start from.
        convert_error_responses: also replace 4xx and 5xx responses that the
            application makes itself, bodiless or not problem documents, with
            problems of the same status (as ASP.NET Core's status code pages
            do). Off by default.
        **settings: settings by `Config` field name; they override *config*.

    Raises:
        ConfigurationError: a setting is wrong.

    Example::

        app = ProblemDetailsMiddleware(app, mappings={KeyError: NotFound})
    """

    def __init__(
        self,
        app: WSGIApplication,
        *,
        config: Config | None = None,
        convert_error_responses: bool = False,
        **settings: Any,
    ) -> None:
        self.app = app
        self.convert_error_responses = convert_error_responses
        config = Config.from_mapping(settings, source="ProblemDetailsMiddleware()", base=config)
        #: The `ProblemHandler` that renders this application's problems.
        self.handler = ProblemHandler(config, defaults=DEFAULTS)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Run the application; answer its errors with problems."""
        start = _Start(
            start_response,
            self.convert_error_responses and environ.get("REQUEST_METHOD") != "HEAD",
        )
        try:
            iterable = self.app(environ, start)
        except Exception as error:  # noqa: BLE001 - the response has not started
            return _answer(self.handler, error, environ, start)
        if start.status is None:
            # Not called yet (a generator app): the first chunk tells.
            return _Guarded(self.handler, iterable, environ, start)
        if start.convert and start.replacing:
            self._discard(iterable, environ)
            return _convert(self.handler, start, environ)
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(iterable, (list, tuple)) or (
            isinstance(wrapper, type) and isinstance(iterable, wrapper)
        ):
            try:
                start.flush()
            except Exception as error:  # noqa: BLE001 - the server refused the app's headers
                self._discard(iterable, environ)
                return _answer(self.handler, error, environ, start)
            return iterable
        return _Guarded(self.handler, iterable, environ, start)

    def _discard(self, iterable: Iterable[bytes], environ: WSGIEnvironment) -> None:
        try:
            _close(iterable)
        except Exception as error:  # noqa: BLE001 - the problem is sent regardless
            _log(self.handler, logging.WARNING, _CLOSE_FAILED, environ, error)
