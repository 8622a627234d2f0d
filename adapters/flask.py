"""Flask: every error a Flask app produces comes out as a problem response.

Set it up once::

    from flask import Flask
    from problemdetails.adapters.flask import ProblemDetails

    app = Flask(__name__)
    ProblemDetails(app)  # or: ext = ProblemDetails(); ext.init_app(app)

It registers error handlers for ``Exception`` and werkzeug's
``HTTPException``:

- A raised `Problem` renders as itself; so does an exception the
  ``mappings`` setting maps to a problem.
- werkzeug's HTTP errors (unknown URL, 405 with its ``Allow`` header, 413,
  400 from a bad JSON body, ``flask.abort(...)``) become ``about:blank``
  problems with the status phrase as title and every header the exception
  carries. A description the application wrote becomes the ``detail``;
  werkzeug's default prose does not. Routing redirects (3xx) are left alone.
- Any other exception is unexpected. The extension does what Flask's
  ``handle_exception`` does that matters: it sends ``got_request_exception``
  (which error trackers such as Sentry listen to), and re-raises the
  exception when exceptions propagate, so that tests and the debugger see
  it. They propagate only when asked for: ``PROPAGATE_EXCEPTIONS = True``,
  or ``TESTING`` with ``PROPAGATE_EXCEPTIONS`` unset. Flask's debug mode
  alone (``flask run --debug``) does not make them propagate: an API answers
  the same in development, and the ``debug`` setting is what puts the
  exception into the response. Otherwise the client gets the generic 500,
  which never shows the exception, and one ERROR record on the
  ``problemdetails`` logger carries the exception, the flow id, the method,
  the path and the status (Flask's own "Exception on ..." record is not
  written). An error handler the application registers for 500 (or
  ``InternalServerError``) answers instead, as in Flask; Flask logs the
  exception then. Raised problems and mapped exceptions are handled errors,
  as with any Flask error handler: they do not send the signal and are
  answered even when exceptions propagate.
- What fails outside a view is answered the same way (a problem as itself,
  a mapped exception as its problem, anything else as unexpected): an
  ``after_request`` function, an error handler or a
  ``got_request_exception`` receiver that raises; a ``teardown_request``
  function that raises (the status and headers are held until the request
  is torn down, so a problem replaces them cleanly on every server; when
  they answer an unexpected error already, that answer stands, and the
  teardown failure is a warning with its flow id); and a
  streamed response (a generator, with or without ``stream_with_context``)
  that fails before its first chunk, which is taken while the request is
  still active (never for ``HEAD`` requests, whose body is not read). Once
  the first chunk has gone, a failure is logged and the server cuts the
  response short. In debug mode (unless exceptions propagate) the body
  ends where it failed instead: werkzeug's debugger would catch the
  exception and render its page, with the exception's text, into the
  body; behind it no server sees the failure anyway.

Responses are made with ``app.response_class`` and go through Flask's usual
finalisation, so ``after_request`` hooks (CORS headers, for example) apply to
them; only the 500 that answers a failing teardown function gets none, the
request being over. Error handlers the application registers for a more
specific exception class, or for a status code, take precedence, as Flask
always does (one registered for ``Exception`` itself replaces the
extension's).

To do so the extension takes over the app's ``handle_exception``, and wraps
its ``process_response`` and ``wsgi_app``; set up extensions that replace
``handle_exception`` too (flask-restx's ``Api``) after this one.

In views, raise a problem, or use `abort` (``abort(404, detail=...)``,
``abort(OutOfCredit, balance=30)``); `problem_response` renders one for the
current request without raising; `get_handler` returns the app's
`ProblemHandler`.

Settings come from the keyword arguments, a `Config` object, and
``app.config`` keys ``PROBLEMDETAILS_<SETTING>`` (e.g.
``PROBLEMDETAILS_FLOW_ID_HEADER``); keyword arguments override ``app.config``,
which overrides the `Config`. They are validated in ``init_app``. The debug
setting (``PROBLEMDETAILS_DEBUG``) is independent of Flask's debug mode.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, NoReturn, cast

import attrs
from flask import (
    current_app,
    got_request_exception,
    has_request_context,
    request,
    request_finished,
)
from werkzeug.exceptions import HTTPException, InternalServerError

from problemdetails import Config, Problem, ProblemHandler, ProblemResponse

from ._werkzeug import (
    DEFAULTS,
    HeldStart,
    close,
    is_problem,
    log_failure,
    request_info,
    response_headers,
    send_problem,
)

if TYPE_CHECKING:
    from types import TracebackType

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask, Request, Response

    _ExcInfo = tuple[type[BaseException], BaseException, TracebackType]

__all__ = ["ProblemDetails", "abort", "get_handler", "problem_response"]

#: The key of the extension's state in ``app.extensions``.
EXTENSION_KEY = "problemdetails"
#: The prefix of the extension's keys in ``app.config``.
CONFIG_PREFIX = "PROBLEMDETAILS_"

_PROBLEM_MEMBERS = frozenset(field.name for field in attrs.fields(Problem))
_END: Any = object()

# flask.request is a proxy: each attribute read through it costs a lookup of
# the request context; the error path reads the request through this instead.
_current_request = cast(
    "Callable[[], Request]",
    request._get_current_object,  # type: ignore[attr-defined]  # noqa: SLF001  # pyright: ignore[reportAttributeAccessIssue, reportUnknownMemberType]
)
# Responses werkzeug sends without iterating their body (get_app_iter).
_BODILESS = frozenset((204, 304))
_CUT_SHORT = "exception after the streamed response started; it is cut short"
_ENDED_IN_DEBUG = (
    "exception after the streamed response started; it ends there, as the app is in debug mode"
)
_CLOSE_FAILED = "closing the failed streamed response failed"
_CLOSE_REFUSED_FAILED = "closing the response the server refused failed"
_FINISH_FAILED = "after_request functions failed on the error response; it is sent without them"
_FAILED_AFTER_ANSWER = (
    "exception in a teardown function after an unexpected error was answered; that answer is sent"
)

# The environ key that says an unexpected exception of the request propagates.
_PROPAGATING = "problemdetails.propagating"
# The environ key of the problem response that answered the request's unexpected error.
_ANSWERED = "problemdetails.answered"


class _Primed:
    """A streamed response body whose first chunk has been taken already.

    It yields that chunk, then the rest; a failure after it is logged once
    and re-raised, so that the server cuts the response short (in debug
    mode the body ends there instead).
    """

    __slots__ = ("_body", "_environ", "_first", "_iterator", "_state", "_status")

    def __init__(
        self,
        state: _AppState,
        body: Iterable[Any],
        *,
        iterator: Iterator[Any],
        first: object,
        environ: WSGIEnvironment,
        status: int,
    ) -> None:
        self._state = state
        self._body = body
        self._iterator = iterator
        self._first = first
        self._environ = environ
        self._status = status

    def __iter__(self) -> Iterator[Any]:
        first, self._first = self._first, _END
        if first is not _END:
            yield first
        try:
            yield from self._iterator
        except Exception as error:
            state = self._state
            # werkzeug's debugger (flask run --debug) catches what a body
            # raises and renders its page (the exception's text, traceback
            # and source) into the response: a lenient start_response (the
            # test client's) appends it to the body sent; a strict server
            # refuses it, and the debugger then ends the response as if it
            # were whole, so the server never sees the failure either way.
            # Nothing tells this body whether the debugger is around it: in
            # debug mode the body ends here, and there is nothing to render.
            # The cost: a server running the app in debug mode without the
            # debugger sends the body as if whole; debug mode is for development.
            ends = state.app.debug and not state.propagates()
            what = _ENDED_IN_DEBUG if ends else _CUT_SHORT
            log_failure(
                state.handler, logging.ERROR, what, self._environ, error, status=self._status
            )
            if ends:
                return
            raise

    def close(self) -> None:
        """Close the response's own body (werkzeug's ``Response.close`` calls this)."""
        closer = getattr(self._body, "close", None)
        if closer is not None:
            closer()


class _AppState:
    """One app's handlers and the extension's part of its request handling."""

    __slots__ = (
        "_on_exception",
        "_on_http_exception",
        "_own_server_error_handler",
        "_process_response",
        "app",
        "handler",
    )

    def __init__(self, app: Flask, handler: ProblemHandler) -> None:
        self.app = app
        self.handler = handler
        # The very objects registered, so that lookups can tell them by identity.
        # dispatch itself is the error handler for Exception (and problems).
        self._on_exception = self.dispatch
        self._on_http_exception = self.on_http_exception
        self._process_response = app.process_response
        # Whether the app registered no handler of its own for 500 errors
        # anywhere: worked out at the first unexpected error (the app is set
        # up by then; Flask refuses new handlers after the first request).
        self._own_server_error_handler: bool | None = None

    def install(self) -> None:
        """Register the error handlers and take over the app's parts that need it."""
        app = self.app
        app.register_error_handler(Exception, self._on_exception)
        # Also directly for problems: Flask walks the MRO to find a handler.
        app.register_error_handler(Problem, self._on_exception)
        app.register_error_handler(HTTPException, self._on_http_exception)
        # Instance attributes shadow the methods for this app alone.
        setattr(app, "handle_exception", self.handle_exception)  # noqa: B010
        setattr(app, "process_response", self.process_response)  # noqa: B010
        setattr(app, "wsgi_app", self.guard(app.wsgi_app))  # noqa: B010

    def respond(self, response: ProblemResponse) -> Response:
        """Return *response* as the app's response class."""
        return self.app.response_class(
            response.body, status=response.status, headers=response_headers(response.headers)
        )

    def propagates(self) -> bool:
        """Whether unexpected exceptions propagate: asked for, never by debug mode alone."""
        config = cast("dict[str, object]", self.app.config)
        propagate = config["PROPAGATE_EXCEPTIONS"]
        return bool(config["TESTING"] if propagate is None else propagate)

    def on_http_exception(self, error: HTTPException) -> Response | HTTPException:
        """The error handler for werkzeug's ``HTTPException``."""
        answered: BaseException = error
        if isinstance(error, InternalServerError) and error.original_exception is not None:
            answered = error.original_exception
        elif not is_problem(error):
            return error
        info = request_info(_current_request().environ)
        return self.respond(self.handler.handle(answered, info))

    def handle_exception(self, error: Exception) -> Response:
        """The app's ``handle_exception``: for what no error handler answered.

        It runs when an ``after_request`` function, an error handler, a
        ``got_request_exception`` receiver or a streamed body's first chunk
        raised, and when `dispatch` re-raises an exception that propagates.
        It answers as the error handler does, and applies the
        ``after_request`` functions to the answer, as Flask does.
        """
        if not has_request_context() or _PROPAGATING in _current_request().environ:
            # Signalled already, or no request to answer for: the guard
            # around wsgi_app re-raises or answers.
            raise error
        return self.finish(self.dispatch(error))

    def dispatch(self, error: Exception) -> Response:
        """Answer *error*: a problem, a mapped exception, or an unexpected one.

        For an unexpected exception, what Flask's ``handle_exception`` does
        that matters: ``got_request_exception`` is sent, then the exception
        propagates if that was asked for, else the generic 500 answers it.

        Raises:
            Exception: *error*, or what a signal receiver raised, when
                exceptions propagate.
        """
        failure: Exception | None = None
        try:
            problem = self.handler.find_problem(error)
        except Exception as caught:  # noqa: BLE001 - a failing mapping makes the error unexpected
            problem, failure = None, caught
        if problem is not None:
            info = request_info(_current_request().environ)
            return self.respond(self.handler.render(problem, info, exception=error))
        app = self.app
        if self.propagates():
            # handle_exception runs next: it neither maps nor signals again.
            _current_request().environ[_PROPAGATING] = True
            got_request_exception.send(app, _async_wrapper=app.ensure_sync, exception=error)
            raise error
        try:
            # Flask sends it unconditionally; without receivers there is no one to tell.
            if got_request_exception.receivers:
                got_request_exception.send(app, _async_wrapper=app.ensure_sync, exception=error)
        except Exception as broken:  # noqa: BLE001 - answered; its context is the error
            return self.answer(broken)
        return self.answer(error, failure)

    def answer(self, error: Exception, failure: Exception | None = None) -> Response:
        """Answer the unexpected *error*; *failure* is what a mapping factory raised for it."""
        own = self.server_error_handler()
        if own is not None:
            app = self.app
            try:
                app.log_exception(cast("_ExcInfo", (type(error), error, error.__traceback__)))
                server_error = InternalServerError(original_exception=error)
                return app.make_response(app.ensure_sync(own)(server_error))
            except Exception as broken:  # noqa: BLE001 - answered below; its context is the error
                error, failure = broken, None
        environ = _current_request().environ
        answered = self.handler.handle_unexpected(
            error, request_info(environ), mapping_failure=failure
        )
        environ[_ANSWERED] = answered
        return self.respond(answered)

    def server_error_handler(self) -> Callable[[InternalServerError], Any] | None:
        """Return the error handler the app registered for 500 errors, or None.

        Flask's own lookup for an ``InternalServerError`` (the request's
        blueprints first, handlers for the code before handlers for a class);
        None when it finds the extension's own handler.
        """
        spec = self.app.error_handler_spec
        if self._own_server_error_handler is None:
            self._own_server_error_handler = any(
                self._is_foreign(handlers.get(cls))
                for scoped in spec.values()
                for code in (500, None)
                if (handlers := scoped.get(code))
                for cls in InternalServerError.__mro__
            )
        if not self._own_server_error_handler:
            return None
        scopes = (*_current_request().blueprints, None)
        for code in (500, None):
            for scope in scopes:
                # .get: the spec's defaultdicts would grow on lookups.
                handlers = spec.get(scope, {}).get(code)
                if not handlers:
                    continue
                for cls in InternalServerError.__mro__:
                    found = handlers.get(cls)
                    if found is not None:
                        if not self._is_foreign(found):
                            return None
                        return cast("Callable[[InternalServerError], Any]", found)
        return None

    def _is_foreign(self, handler: object) -> bool:
        """Whether *handler* is an error handler and not one of the extension's own."""
        return (
            handler is not None
            and handler is not self._on_http_exception
            and handler is not self._on_exception
        )

    def finish(self, response: Response) -> Response:
        """Apply the ``after_request`` functions to an error response, as Flask does."""
        app = self.app
        try:
            response = self._process_response(response)
            request_finished.send(app, _async_wrapper=app.ensure_sync, response=response)
        except Exception as error:  # noqa: BLE001 - the error response is sent regardless
            log_failure(
                self.handler,
                logging.WARNING,
                _FINISH_FAILED,
                _current_request().environ,
                error,
                status=response.status_code,
            )
        return response

    def process_response(self, response: Response) -> Response:
        """The app's ``process_response``: takes a streamed body's first chunk first."""
        body = response.response
        # werkzeug's is_streamed (no len()) without raising a TypeError to find out.
        if type(body) is not list and not hasattr(type(body), "__len__"):
            self.prime(response)
        return self._process_response(response)

    def prime(self, response: Response) -> None:
        """Take the first chunk of *response*'s body while the request is active.

        A failure raises here, where Flask answers it as an unexpected error.
        """
        if response.direct_passthrough:
            return  # a file wrapper (send_file), for the server to send as it is
        environ = _current_request().environ
        status = response.status_code
        if environ.get("REQUEST_METHOD") == "HEAD" or status < 200 or status in _BODILESS:  # noqa: PLR2004 - 1xx
            return  # werkzeug never iterates the body of these
        body = response.response
        try:
            iterator = iter(body)
            first = next(iterator, _END)
        except Exception:
            close(self.handler, response, environ, _CLOSE_FAILED)
            raise
        response.response = _Primed(
            self, body, iterator=iterator, first=first, environ=environ, status=status
        )

    def guard(self, wsgi_app: WSGIApplication) -> WSGIApplication:
        """Wrap the app's ``wsgi_app``: hold the response until the request is torn down."""

        def guarded(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
            start = HeldStart(start_response)
            try:
                iterable = wsgi_app(environ, start)
            except Exception as error:  # noqa: BLE001 - answered, or re-raised when propagating
                return self.escaped(error, environ, start)
            if start.status is None:
                start.release()  # started lazily, by a middleware the app wraps
                return iterable
            try:
                start.flush()
            except Exception as error:  # noqa: BLE001 - the server refused the app's response
                close(self.handler, iterable, environ, _CLOSE_REFUSED_FAILED)
                return self.escaped(error, environ, start)
            return iterable

        return guarded

    def escaped(
        self, error: Exception, environ: WSGIEnvironment, start: HeldStart
    ) -> Iterable[bytes]:
        """Answer *error*, which escaped Flask's own handling, as the error handler would.

        Called while it is being handled, after the request context is gone
        (a ``teardown_request`` function that raised, mostly): the problem
        gets no ``after_request`` functions, and no signal is sent. If the
        response held is the answer to the request's unexpected error, that
        answer is sent again and *error* is a warning with its flow id: the
        error has its one ERROR record already, with the flow id the client
        gets.
        """
        if self.propagates() or not start.may_replace():
            raise error
        exc_info = sys.exc_info()
        answered = environ.get(_ANSWERED)
        held = start.status
        if (
            isinstance(answered, ProblemResponse)
            and not start.refused
            and isinstance(held, str)
            and held[:3] == str(answered.status)
        ):
            log_failure(
                self.handler,
                logging.WARNING,
                _FAILED_AFTER_ANSWER,
                environ,
                error,
                status=answered.status,
                flow_id=self.flow_id_of(answered),
            )
            kept = answered.kept_headers(start.headers)
            return send_problem(answered, environ, start, exc_info, kept=kept)
        response = self.handler.handle(error, request_info(environ))
        return send_problem(response, environ, start, exc_info)

    def flow_id_of(self, response: ProblemResponse) -> str | None:
        """Return the flow id *response* carries in its header, or None."""
        header = self.handler.config.flow_id_header
        if header is not None:
            lowered = header.lower()
            for name, value in response.headers:
                if name.lower() == lowered:
                    return value
        return None


class ProblemDetails:
    """The Flask extension: answers every error of an app with a problem response.

    Args:
        app: the app to set up now; or call `init_app` later (app factories).
        config: a `Config` to start from.
        **settings: settings by `Config` field name (``debug``, ``mappings``,
            ``flow_id_header``, ...); they override ``app.config``.

    Raises:
        ConfigurationError: a setting is wrong (here or in `init_app`).

    Example::

        ext = ProblemDetails(mappings={LookupError: NotFound})

        def create_app():
            app = Flask(__name__)
            app.config["PROBLEMDETAILS_FLOW_ID_HEADER"] = "X-Request-ID"
            ext.init_app(app)
            return app
    """

    def __init__(
        self, app: Flask | None = None, *, config: Config | None = None, **settings: Any
    ) -> None:
        self._config = config
        self._settings = settings
        # Fail where the extension is made, not only where an app is set up.
        Config.from_mapping(settings, source="ProblemDetails()", base=config)
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Validate the settings for *app* and register the error handlers.

        Each app gets its own `ProblemHandler`, stored in
        ``app.extensions["problemdetails"]``, so apps stay independent.

        Raises:
            ConfigurationError: a setting (in ``app.config`` or given here) is wrong.
            RuntimeError: the extension is set up on *app* already.
        """
        if EXTENSION_KEY in app.extensions:
            raise RuntimeError(
                f"problemdetails is set up on app {app.name!r} already; call init_app once per app"
            )
        app_config = cast("dict[str, Any]", app.config)
        from_app = {
            key[len(CONFIG_PREFIX) :]: value
            for key, value in app_config.items()
            if key.startswith(CONFIG_PREFIX)
        }
        config = Config.from_mapping(
            from_app, source=f"app.config {CONFIG_PREFIX}* keys", base=self._config
        )
        config = Config.from_mapping(self._settings, source="ProblemDetails()", base=config)
        state = _AppState(app, ProblemHandler(config, defaults=DEFAULTS))
        app.extensions[EXTENSION_KEY] = state
        state.install()


def _state(app: Flask) -> _AppState:
    try:
        state: _AppState = app.extensions[EXTENSION_KEY]
    except KeyError:
        raise RuntimeError(
            f"problemdetails is not set up on app {app.name!r}; call ProblemDetails(app) first"
        ) from None
    return state


def get_handler(app: Flask | None = None) -> ProblemHandler:
    """Return the `ProblemHandler` of *app* (the current app by default).

    Raises:
        RuntimeError: the extension is not set up on the app, or there is no
            app context.
    """
    return _state(app if app is not None else current_app).handler


def problem_response(problem: Problem) -> Response:
    """Render *problem* for the current request with the current app's settings.

    Unlike ``problem.to_response()`` (the default settings, no request), this
    negotiates the media type with the request's ``Accept`` header and echoes
    its flow id. Return it from a view, or raise the problem instead.

    Raises:
        RuntimeError: outside a request, or the extension is not set up.
    """
    state = _state(current_app)
    return state.respond(state.handler.render(problem, request_info(_current_request().environ)))


def abort(problem: Problem | type[Problem] | int, /, **members: Any) -> NoReturn:
    """Raise a problem, like ``flask.abort`` raises an HTTP error.

    Args:
        problem: a problem to raise (*members* replace some of its members), a
            problem class to make one of from *members*, or a status code for
            an ``about:blank`` problem.
        **members: problem members; with a status code, names that are not
            standard members become extension members.

    Raises:
        Problem: always.
        InvalidProblemError: the members break an RFC 9457 rule.

    Example::

        abort(404, detail="No book 42.", book_id=42)
        abort(OutOfCredit, balance=30, accounts=["/account/12345"])
    """
    if isinstance(problem, Problem):
        # attrs.evolve: Problem subclasses are attrs classes made at class creation.
        raise cast("Problem", attrs.evolve(cast("Any", problem), **members)) if members else problem
    if isinstance(problem, int):
        standard = {name: value for name, value in members.items() if name in _PROBLEM_MEMBERS}
        extensions = {
            **standard.pop("extensions", {}),
            **{name: value for name, value in members.items() if name not in _PROBLEM_MEMBERS},
        }
        raise Problem(status=problem, extensions=extensions, **standard)
    raise problem(**members)
