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
  ``Retry-After`` and ``Set-Cookie`` (those whose name or value this library
  would not send, such as a value with CR, LF or non-ASCII characters, are
  dropped); their bodies are never sent, so an HTML debug page cannot leak
  either. Responses that already are problem documents, ``HEAD`` requests
  and all other statuses pass through untouched. A status or headers that
  are no WSGI response at all (a status without a three-digit code, headers
  in a dict) become the generic 500, logged.
- If the server refuses the application's status or headers, a problem
  takes their place; but if the headers break the rules every server checks
  (a value with CR or LF, a name that is no token), the server may hold part
  of them, and it is left to answer with its own error page rather than mix
  them into a problem response.

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

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, cast

from werkzeug.exceptions import HTTPException

from problemdetails import Config, Problem, ProblemHandler
from problemdetails._response import HEADER_NAME, HEADER_VALUE

from ._werkzeug import (
    DEFAULTS,
    HeldStart,
    close,
    has_code,
    is_problem,
    log_failure,
    malformed,
    request_info,
    send_problem,
)

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment

__all__ = ["ProblemDetailsMiddleware"]

_PROBLEM_MEDIA_TYPES = frozenset(("application/problem+json", "application/problem+xml"))
_END: Any = object()
_CUT_SHORT = "exception after the response started; it is cut short"
_CLOSE_FAILED = "closing the replaced error response failed"


class MalformedResponseError(Exception):
    """The application gave ``start_response`` something that is no WSGI response.

    It is never raised: the middleware answers with the generic 500 and the
    pipeline logs this exception, whose message says what was wrong.
    """


def _convertible(status: object, headers: object) -> bool:
    # Called for statuses that are not strings, start with 4 or 5, or have no code.
    if malformed(status, headers) is not None:
        return True  # replaced by the generic 500
    for name, value in cast("list[tuple[str, str]]", headers):
        if name.lower() == "content-type":
            return value.partition(";")[0].strip().lower() not in _PROBLEM_MEDIA_TYPES
    return True


class _Start(HeldStart):
    """The held ``start_response``, and whether the held response is to be converted."""

    __slots__ = ("convert",)

    def __init__(self, server: StartResponse, convert: bool) -> None:
        super().__init__(server)
        self.convert = convert

    @property
    def replacing(self) -> bool:
        """Whether the held response is an error response (or no response) to convert."""
        status = self.status
        return (
            self.convert
            and status is not None
            and (type(status) is not str or status[:1] in ("4", "5") or not has_code(status))
            and _convertible(status, self.headers)
        )

    def write(self, data: bytes) -> object:
        """The ``write`` callable: discards what a replaced response writes."""
        if self.replacing:
            return None
        return super().write(data)


def _served_as_is(error: Exception) -> HTTPException | None:
    """Return *error* if it is a werkzeug exception served as it is, else None.

    Redirects, and exceptions that carry a response, are. An exception
    whose ``__class__`` or ``code`` raises is not: the pipeline answers it.
    """
    try:
        if isinstance(error, HTTPException) and not is_problem(error):
            return error
    except Exception:  # noqa: BLE001 - a hostile exception: answered as unexpected
        return None
    return None


def _answer(
    handler: ProblemHandler, error: Exception, environ: WSGIEnvironment, start: _Start
) -> Iterable[bytes]:
    """Answer *error*, raised before the response started, with a problem.

    Called while *error* is being handled. If the server has the
    application's headers already, it gets ``exc_info`` and re-raises
    *error* if they are on the wire (PEP 3333); if it refused headers that it
    may hold part of, *error* is re-raised for the server to answer.
    """
    if not start.may_replace():
        raise error
    exc_info = sys.exc_info()
    page = _served_as_is(error)
    if page is not None:

        def restart(
            status: str, headers: list[tuple[str, str]], _: OptExcInfo | None = None, /
        ) -> Callable[[bytes], object]:
            return start.send(status, headers, exc_info)

        return page(environ, restart)
    response = handler.handle(error, request_info(environ))
    return send_problem(response, environ, start, exc_info)


def _convert(handler: ProblemHandler, start: _Start, environ: WSGIEnvironment) -> list[bytes]:
    """Replace the error response *start* holds with a problem of its status."""
    status, headers = start.status, start.headers
    wrong = malformed(status, headers)
    if wrong is not None:
        error = MalformedResponseError(f"the application's response is malformed: {wrong}")
        return send_problem(handler.handle(error, request_info(environ)), environ, start, None)
    response = handler.render(Problem(status=int(status[:3])), request_info(environ))
    kept = [
        (name, value)
        for name, value in response.kept_headers(headers)
        if HEADER_NAME.fullmatch(name) and HEADER_VALUE.fullmatch(value)
    ]
    # The application's own status line (same code, its reason phrase) if
    # this library would send it as it is.
    line = status if status[3:4] == " " and HEADER_VALUE.fullmatch(status) else None
    return send_problem(response, environ, start, None, kept=kept, status_line=line)


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
                    log_failure(handler, logging.ERROR, _CUT_SHORT, environ, error)
                    raise
                return
        yield from self._replacement

    def close(self) -> None:
        """Close the app's iterable (the server calls this, PEP 3333)."""
        try:
            close_app = getattr(self._iterable, "close", None)
            if close_app is not None:
                close_app()
        finally:
            close_replacement = getattr(self._replacement, "close", None)
            if close_replacement is not None:
                close_replacement()


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
            close(self.handler, iterable, environ, _CLOSE_FAILED)
            return _convert(self.handler, start, environ)
        wrapper = environ.get("wsgi.file_wrapper")
        if isinstance(iterable, (list, tuple)) or (
            isinstance(wrapper, type) and isinstance(iterable, wrapper)
        ):
            try:
                start.flush()
            except Exception as error:  # noqa: BLE001 - the server refused the app's headers
                close(self.handler, iterable, environ, _CLOSE_FAILED)
                return _answer(self.handler, error, environ, start)
            return iterable
        return _Guarded(self.handler, iterable, environ, start)
