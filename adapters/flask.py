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
- Any other exception is unexpected. Flask's own path for unhandled
  exceptions runs first: it sends ``got_request_exception`` (which error
  trackers such as Sentry listen to), logs the exception on ``app.logger``,
  and re-raises it when ``PROPAGATE_EXCEPTIONS`` is on (by default when
  ``TESTING`` or debug mode is on, so tests and the debugger see the real
  exception). Otherwise the client gets the generic 500, which never shows
  the exception; the ``problemdetails`` logger logs it again with the flow id.
  Raised problems and mapped exceptions are handled errors, as with any
  Flask error handler: they do not send the signal and are answered even
  when exceptions propagate; 5xx ones are logged and reach ``report_hooks``.

Flask's own path for unexpected exceptions can fail as well: a logging
handler that raises, or a ``got_request_exception`` receiver that does. The
extension wraps the app's ``handle_exception`` (it runs only when a request
has failed already), so that what escapes it is answered with the generic 500
too, and logged once on the ``problemdetails`` logger, unless exceptions
propagate.

Responses are made with ``app.response_class`` and go through Flask's usual
finalisation, so ``after_request`` hooks (CORS headers, for example) apply to
them. Error handlers the application registers for a more specific exception
class, or for a status code, take precedence, as Flask always does (one
registered for ``Exception`` itself replaces the extension's).

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

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn, cast

import attrs
from flask import current_app, request
from werkzeug.exceptions import HTTPException, InternalServerError

from problemdetails import Config, Problem, ProblemHandler

from ._werkzeug import DEFAULTS, is_problem, request_info

if TYPE_CHECKING:
    from flask import Flask, Response

    from problemdetails import ProblemResponse

__all__ = ["ProblemDetails", "abort", "get_handler", "problem_response"]

#: The key of the extension's state in ``app.extensions``.
EXTENSION_KEY = "problemdetails"
#: The prefix of the extension's keys in ``app.config``.
CONFIG_PREFIX = "PROBLEMDETAILS_"

_PROBLEM_MEMBERS = frozenset(field.name for field in attrs.fields(Problem))


class _AppState:
    """One app's handler and its error handlers, kept in ``app.extensions``."""

    __slots__ = ("app", "handler")

    def __init__(self, app: Flask, handler: ProblemHandler) -> None:
        self.app = app
        self.handler = handler

    def respond(self, response: ProblemResponse) -> Response:
        return self.app.response_class(
            response.body, status=response.status, headers=response.headers
        )

    def on_exception(self, error: Exception) -> Response:
        try:
            problem = self.handler.find_problem(error)
        except Exception:  # noqa: BLE001 - a failing mapping is unexpected; handled below
            problem = None
        if problem is None:
            # Unexpected: Flask's handle_exception sends got_request_exception,
            # honours PROPAGATE_EXCEPTIONS, then calls on_http_exception with
            # an InternalServerError wrapping this exception.
            raise error
        return self.respond(
            self.handler.render(problem, request_info(request.environ), exception=error)
        )

    def guard(
        self, handle_exception: Callable[[Exception], Response]
    ) -> Callable[[Exception], Response]:
        """Wrap Flask's ``handle_exception``: if it fails in turn, answer with a problem."""
        app = self.app

        def guarded(error: Exception) -> Response:
            try:
                return handle_exception(error)
            except Exception as failure:
                propagate = cast("bool | None", app.config["PROPAGATE_EXCEPTIONS"])
                if propagate is None:
                    propagate = app.testing or app.debug
                if failure is error or propagate:
                    raise
                # Its traceback shows the request's exception as the context.
                return self.respond(self.handler.handle(failure, request_info(request.environ)))

        return guarded

    def on_http_exception(self, error: HTTPException) -> Response | HTTPException:
        if isinstance(error, InternalServerError) and error.original_exception is not None:
            unexpected = error.original_exception
            return self.respond(self.handler.handle(unexpected, request_info(request.environ)))
        if not is_problem(error):
            return error
        return self.respond(self.handler.handle(error, request_info(request.environ)))


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
        app.register_error_handler(Exception, state.on_exception)
        # Also directly for problems: Flask walks the MRO to find a handler.
        app.register_error_handler(Problem, state.on_exception)
        app.register_error_handler(HTTPException, state.on_http_exception)
        # Flask calls it only for a request that failed: the success path pays nothing.
        # An instance attribute shadows the method for this app alone.
        setattr(app, "handle_exception", state.guard(app.handle_exception))  # noqa: B010


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
    return state.respond(state.handler.render(problem, request_info(request.environ)))


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
