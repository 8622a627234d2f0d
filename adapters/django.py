"""Django: one middleware setting, and every error Django produces is a problem response.

Set it up in ``settings.py``::

    MIDDLEWARE = [
        "problemdetails.adapters.django.ProblemDetailsMiddleware",  # first
        "django.middleware.security.SecurityMiddleware",
        "django.middleware.common.CommonMiddleware",
        ...
    ]
    PROBLEMDETAILS = {"FLOW_ID_HEADER": "X-Request-ID"}  # optional
    CSRF_FAILURE_VIEW = "problemdetails.adapters.django.csrf_failure"  # optional

What the middleware answers:

- A raised `Problem` renders as itself; so does an exception the
  ``MAPPINGS`` setting maps to a problem.
- Django's exceptions become ``about:blank`` problems with Django's status:
  ``Http404`` 404, ``PermissionDenied`` 403, ``BadRequest``,
  ``SuspiciousOperation`` and its family (``DisallowedHost``,
  ``RequestDataTooBig``, ``TooManyFieldsSent``, ...) and
  ``MultiPartParserError`` 400. Their messages are not sent, as Django's own
  error pages do not show them. ``ValidationError`` becomes a
  `ValidationProblem` whose ``errors`` point at the fields (``#/email``);
  non-field errors have no pointer.
- Any other exception is unexpected: the generic 500, which never shows the
  exception, whatever ``DEBUG`` says (the library's own ``DEBUG`` setting adds
  it). ``got_request_exception`` is sent, as Django does, so error trackers
  such as Sentry still hear of it; with ``DEBUG_PROPAGATE_EXCEPTIONS`` the
  exception propagates instead.
- Error pages Django makes outside a view (the 404 of a URL that matches no
  route, 405 from ``require_POST``, CSRF failures, an exception raised in
  another middleware, in debug mode too) are rewritten in place into
  ``about:blank`` problems of the same status; headers and cookies that other
  middleware set are kept.

Logging: a 5xx is logged once, by the pipeline, with the exception and the
flow id, on the ``django.request`` logger (``LOGGER_NAME`` changes it);
Django's own record of that response is skipped. A 500 from an exception
raised in another middleware is logged by Django, as always, and not again.
``SuspiciousOperation`` is still logged on ``django.security.<name>``.

Settings come from ``settings.PROBLEMDETAILS`` (keys in upper case, as
`Config` names them) and are validated when the middleware is loaded; with
``ProblemDetailsConfig`` in ``INSTALLED_APPS``, ``manage.py check`` validates
them too.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.core.signals import got_request_exception, setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase

from problemdetails import ConfigurationError, Problem, ProblemHandler

from . import _django_checks
from ._django_http import (
    DEFAULTS,
    after_suspicious,
    is_django_error_page,
    request_info,
    rewrite,
    to_http_response,
)

__all__ = [
    "ProblemDetailsConfig",
    "ProblemDetailsMiddleware",
    "csrf_failure",
    "get_handler",
    "problem_response",
]

_GetResponse = (
    Callable[[HttpRequest], HttpResponseBase] | Callable[[HttpRequest], Awaitable[HttpResponseBase]]
)

_handler: ProblemHandler | None = None


def get_handler() -> ProblemHandler:
    """Return the `ProblemHandler` built from ``settings.PROBLEMDETAILS``.

    It is built on first use, and again after ``override_settings`` changes
    ``PROBLEMDETAILS``. Use it to render problems elsewhere in a Django
    project (an API framework's exception handler, say) with the same settings.

    Raises:
        ImproperlyConfigured: a setting is wrong; the message says how to fix it.
    """
    global _handler  # noqa: PLW0603 - built once, shared by every request
    handler = _handler
    if handler is None:
        try:
            config = _django_checks.config_from_settings()
        except ConfigurationError as error:
            raise ImproperlyConfigured(str(error)) from error
        handler = _handler = ProblemHandler(config, defaults=DEFAULTS)
    return handler


def _forget_handler(*, setting: str, **_: object) -> None:
    global _handler  # noqa: PLW0603
    if setting == _django_checks.SETTING:
        _handler = None


setting_changed.connect(_forget_handler, dispatch_uid="problemdetails.adapters.django")


class ProblemDetailsMiddleware:
    """Answers every error of a Django project with a problem response.

    Put it first in ``MIDDLEWARE``. It works in sync (WSGI) and async (ASGI)
    stacks without being adapted, so an async stack pays no thread hop for it
    on the success path (Django calls every ``process_exception`` in a worker
    thread, and turns exceptions into responses there too).

    Raises:
        ImproperlyConfigured: ``settings.PROBLEMDETAILS`` is wrong (raised when
            Django loads the middleware, at start-up).
    """

    sync_capable = True
    async_capable = True

    def __init__(self, get_response: _GetResponse) -> None:
        self.get_response = get_response
        self._async = iscoroutinefunction(get_response)
        if self._async:
            markcoroutinefunction(self)
        # Typed once, here: Django gives a sync stack a function returning
        # responses, and an async stack a coroutine function.
        self._next = cast("Callable[[HttpRequest], HttpResponseBase]", get_response)
        self._anext = cast("Callable[[HttpRequest], Awaitable[HttpResponseBase]]", get_response)
        get_handler()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        """Pass the request on; rewrite the error page Django made, if it made one."""
        if self._async:
            return self._acall(request)
        try:
            response = self._next(request)
        except Exception as error:  # noqa: BLE001 - see _escaped
            return self._escaped(request, error)
        if response.status_code >= 400 and is_django_error_page(response, request):  # noqa: PLR2004
            return rewrite(get_handler(), request, response)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        try:
            response = await self._anext(request)
        except Exception as error:  # noqa: BLE001 - see _escaped
            return await sync_to_async(self._escaped, thread_sensitive=False)(request, error)
        if response.status_code >= 400 and is_django_error_page(response, request):  # noqa: PLR2004
            # Rendering may log and run report hooks: off the event loop, as
            # Django itself turns exceptions into responses.
            return await sync_to_async(rewrite, thread_sensitive=False)(
                get_handler(), request, response
            )
        return response

    @staticmethod
    def _escaped(request: HttpRequest, error: Exception) -> HttpResponseBase:
        # Django turns exceptions into responses inside the stack; what still
        # escapes it (its own error page failing, e.g. the DEBUG page on an
        # exception whose str() raises) would reach the server as a non-problem.
        if settings.DEBUG_PROPAGATE_EXCEPTIONS:
            raise error
        handler = get_handler()
        return to_http_response(handler.handle(error, request_info(request, handler.config)), None)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Answer an exception raised by a view with its problem.

        Django calls it, synchronously, for exceptions views raise; returns
        None only to let an unexpected exception propagate under
        ``DEBUG_PROPAGATE_EXCEPTIONS``.
        """
        handler = get_handler()
        try:
            problem = handler.find_problem(exception)
        except Exception:  # noqa: BLE001 - a failing mapping is unexpected; handle() logs it
            problem = None
        if problem is None and settings.DEBUG_PROPAGATE_EXCEPTIONS:
            return None
        info = request_info(request, handler.config)
        if problem is None:
            # As Django's own handler does for an unexpected exception, while
            # sys.exc_info() is still this exception.
            got_request_exception.send_robust(sender=None, request=request)
            rendered = handler.handle(exception, info)
        else:
            rendered = handler.render(problem, info, exception=exception)
        response = to_http_response(rendered, problem)
        if isinstance(exception, SuspiciousOperation):
            after_suspicious(request, exception, response)
        return response


def problem_response(problem: Problem, request: HttpRequest | None = None) -> HttpResponse:
    """Render *problem* as a Django response, for views that return rather than raise.

    With *request*, the media type follows its ``Accept`` header and its flow id
    is echoed; the settings are those of ``settings.PROBLEMDETAILS``.

    Example::

        def book(request, pk):
            if pk not in BOOKS:
                return problem_response(Problem(status=404, detail=f"No book {pk}."), request)
            ...

    Raises:
        ImproperlyConfigured: ``settings.PROBLEMDETAILS`` is wrong.
    """
    handler = get_handler()
    info = None if request is None else request_info(request, handler.config)
    return to_http_response(handler.render(problem, info), problem)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """Answer a CSRF failure with a 403 problem whose detail is Django's reason.

    Use it as ``CSRF_FAILURE_VIEW = "problemdetails.adapters.django.csrf_failure"``.
    """
    return problem_response(Problem(status=403, detail=reason or None), request)


class ProblemDetailsConfig(AppConfig):
    """Optional app that lets ``manage.py check`` validate ``PROBLEMDETAILS``.

    Add ``"problemdetails.adapters.django.ProblemDetailsConfig"`` to
    ``INSTALLED_APPS``. Without it, the same checks run when Django loads the
    middleware (it then stops with ``ImproperlyConfigured``).
    """

    name = "problemdetails.adapters.django"
    label = "problemdetails"
    verbose_name = "Problem Details"
