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
- The same holds for exceptions raised outside a view, in another
  middleware (``process_request``, ``process_view``, after ``get_response``)
  or by URL resolution (the 404 of a URL no route matches). Django turns
  those into its own error pages where they are raised, through
  ``django.core.handlers.exception.response_for_exception``; the middleware
  wraps that function once, when it is loaded, so that for the requests it
  passes on (and only those) they are answered exactly as a view's are: an
  ``Http404`` is the 404 problem, never the technical 404 page of ``DEBUG``.
- A streamed body (``StreamingHttpResponse``) runs code after the view has
  returned. The middleware takes its first chunk before passing the response
  on, so a failure there is still answered with its problem, like a view's.
  After the first chunk the status has gone: the failure is logged once, at
  ERROR, and raised for the server to cut the response short. The status and
  headers thus leave with the first chunk, as a WSGI server sends them
  anyway; under ASGI they used to leave before it was made. Under WSGI an
  async body is read whole first, as Django reads it whole to serve it
  anyway. Under ASGI, a sync-only middleware after this one makes Django
  run this one in sync mode: an async body (server-sent events, say) is
  then left as it is, never read here, so that it starts at once and an
  endless one streams; a failure even before its first chunk is then cut
  short as after it. A ``FileResponse``'s file is left to the server's
  file wrapper. With
  ``GZipMiddleware`` after this one, the first chunk of a compressed body is
  the gzip header: a failure after it is cut short.
- Error pages Django makes and logs without an exception (405 from
  ``require_POST``, CSRF failures, ``RedirectView``'s 410) are rewritten in
  place into ``about:blank`` problems of the same status; headers and cookies
  that other middleware set are kept.

Logging: an unexpected error is logged once, by the pipeline, at ERROR, with
the exception, the flow id, the method, path, status and problem type, and
the request as ``record.request`` (Django's ``AdminEmailHandler`` reads it),
on the ``django.request`` logger (``LOGGER_NAME`` changes it); Django's own
record of that response is skipped. ``SuspiciousOperation`` is still logged
on ``django.security.<name>``.

Settings come from ``settings.PROBLEMDETAILS`` (keys in upper case, as
`Config` names them) and are validated when the middleware is loaded; with
``ProblemDetailsConfig`` in ``INSTALLED_APPS``, ``manage.py check`` validates
them too.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, cast

from asgiref.sync import iscoroutinefunction, markcoroutinefunction, sync_to_async
from django.apps import AppConfig
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation
from django.core.handlers import exception as django_exception
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import got_request_exception, setting_changed
from django.http import HttpRequest, HttpResponse, HttpResponseBase, StreamingHttpResponse

from problemdetails import ConfigurationError, Problem, ProblemHandler

from . import _checks
from ._http import (
    DEFAULTS,
    after_suspicious,
    is_django_error_page,
    log_cut_short,
    replace,
    request_info,
    rewrite,
    to_http_response,
)

if TYPE_CHECKING:
    from problemdetails import ProblemResponse

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
_Convert = Callable[[HttpRequest, Exception], HttpResponseBase]

# Set on each request the middleware passes on: exceptions raised further in
# are answered by it (see _intercept), and only for such requests.
_MARK = "_problemdetails"

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
            config = _checks.config_from_settings()
        except ConfigurationError as error:
            raise ImproperlyConfigured(str(error)) from error
        handler = _handler = ProblemHandler(config, defaults=DEFAULTS)
    return handler


def _forget_handler(*, setting: str, **_: object) -> None:
    global _handler  # noqa: PLW0603
    if setting == _checks.SETTING:
        _handler = None


setting_changed.connect(_forget_handler, dispatch_uid="problemdetails.adapters.django")


def _answer(
    request: HttpRequest, exception: Exception
) -> tuple[ProblemResponse, Problem | None] | None:
    """Render the problem that answers *exception*, raised while handling *request*.

    Call it while *exception* is being handled: for an unexpected one,
    ``got_request_exception`` is sent first, as Django does (error trackers
    read ``sys.exc_info()``). None means that it is unexpected and
    ``DEBUG_PROPAGATE_EXCEPTIONS`` wants it to propagate.
    """
    handler = get_handler()
    failure: Exception | None = None
    try:
        problem = handler.find_problem(exception)
    except Exception as error:  # noqa: BLE001 - a failing mapping is unexpected; logged below
        problem, failure = None, error
    if problem is not None:
        return handler.render(problem, request_info(request), exception=exception), problem
    if settings.DEBUG_PROPAGATE_EXCEPTIONS:
        return None
    info = request_info(request)
    got_request_exception.send_robust(sender=None, request=request)
    # The mappings ran once, above: not again.
    return handler.handle_unexpected(exception, info, mapping_failure=failure), None


def _exception_response(request: HttpRequest, exception: Exception) -> HttpResponse | None:
    answer = _answer(request, exception)
    if answer is None:
        return None
    response = to_http_response(*answer)
    if isinstance(exception, SuspiciousOperation):
        after_suspicious(request, exception, response)
    return response


def _intercept(convert: _Convert) -> _Convert:
    """Wrap Django's ``response_for_exception`` for requests the middleware handles.

    Django turns an exception raised in a middleware (``process_request``,
    ``process_view``, after ``get_response``), or by URL resolution, into its
    own error page right where it is raised, between two middleware, by
    calling this function; the middleware never sees the exception. Wrapped,
    it answers those exceptions exactly as it answers a view's: an ``Http404``
    there is the 404 problem (never the technical 404 page of ``DEBUG``), a
    problem raised there renders as itself. Every request the middleware did
    not pass on, and an exception ``DEBUG_PROPAGATE_EXCEPTIONS`` propagates,
    are left to Django.
    """

    def response_for_exception(request: HttpRequest, exc: Exception) -> HttpResponseBase:
        if getattr(request, _MARK, False):
            try:
                response = _exception_response(request, exc)
            except Exception:  # noqa: BLE001 - the error path cannot fail: Django's page
                response = None
            if response is not None:
                return response
        return convert(request, exc)

    return response_for_exception


_installed = False


def _install() -> None:
    global _installed  # noqa: PLW0603 - once per process
    # Django's handlers look the function up in its module on every call.
    if not _installed:
        _installed = True
        django_exception.response_for_exception = _intercept(  # type: ignore[assignment]
            django_exception.response_for_exception
        )


def _failed_stream(
    request: HttpRequest,
    response: StreamingHttpResponse,
    error: Exception,
    *,
    asynchronous: bool = False,
) -> StreamingHttpResponse:
    """Make *response*, whose body failed before its first chunk, the problem of *error*.

    Raises:
        Exception: *error*, when ``DEBUG_PROPAGATE_EXCEPTIONS`` propagates it.
    """
    answer = _answer(request, error)
    if answer is None:
        raise error
    replace(response, *answer, asynchronous=asynchronous)
    if isinstance(error, SuspiciousOperation):
        after_suspicious(request, error, response)
    return response


def _cut_short(request: HttpRequest, status: int, error: Exception) -> None:
    try:
        handler = get_handler()
    except Exception:  # noqa: BLE001 - settings broken since start-up: nowhere to log
        return
    log_cut_short(handler, request, status, error)


def _rest(
    first: bytes, content: Iterator[object], request: HttpRequest, status: int
) -> Iterator[object]:
    yield first
    try:
        yield from content
    except Exception as error:
        _cut_short(request, status, error)
        raise


async def _arest(
    first: bytes | None, content: AsyncIterator[object], request: HttpRequest, status: int
) -> AsyncIterator[object]:
    if first is not None:
        yield first
    try:
        async for chunk in content:
            yield chunk
    except Exception as error:
        # Log handlers may block (AdminEmailHandler sends mail): off the loop.
        await sync_to_async(_cut_short, thread_sensitive=False)(request, status, error)
        raise


def _body(held: StreamingHttpResponse) -> Iterator[object] | AsyncIterator[object]:
    """Return the streamed body's own iterator.

    Django turns each chunk into bytes as ``streaming_content`` is read: taken
    from there and handed back to it, every chunk would be turned twice. The
    attribute is Django's (4.2 to 6.x); without it, ``streaming_content``
    serves, at that cost.
    """
    iterator: Iterator[object] | AsyncIterator[object] | None = getattr(held, "_iterator", None)
    return held.streaming_content if iterator is None else iterator


def _next_chunk(held: StreamingHttpResponse, content: Iterator[object]) -> bytes | None:
    for chunk in content:
        return held.make_bytes(chunk)
    return None


async def _anext_chunk(held: StreamingHttpResponse, content: AsyncIterator[object]) -> bytes | None:
    async for chunk in content:
        return held.make_bytes(chunk)
    return None


def _held(response: HttpResponseBase) -> StreamingHttpResponse | None:
    """Return *response* if its first chunk is to be taken before it goes on."""
    if not isinstance(response, StreamingHttpResponse):
        return None
    # A FileResponse's file goes to the server's file wrapper (sendfile) as
    # it is; a chunk taken from it would turn that off for every download.
    if getattr(response, "file_to_stream", None) is not None:
        return None
    return response


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
        _install()

    def __call__(self, request: HttpRequest) -> HttpResponseBase | Awaitable[HttpResponseBase]:
        """Pass the request on; answer what failed on the way with a problem."""
        if self._async:
            return self._acall(request)
        # What raises from here on reaches Django's conversion around this
        # middleware, which answers it as it answers a view's exception.
        request.__dict__[_MARK] = True
        response = self._next(request)
        if response.streaming:
            return self._first_chunk(request, response)
        if response.status_code >= 400 and is_django_error_page(response):  # noqa: PLR2004
            return rewrite(get_handler(), request, response)
        return response

    async def _acall(self, request: HttpRequest) -> HttpResponseBase:
        request.__dict__[_MARK] = True
        response = await self._anext(request)
        if response.streaming:
            return await self._afirst_chunk(request, response)
        if response.status_code >= 400 and is_django_error_page(response):  # noqa: PLR2004
            # Rendering may log and run report hooks: off the event loop, as
            # Django itself turns exceptions into responses.
            return await sync_to_async(rewrite, thread_sensitive=False)(
                get_handler(), request, response
            )
        return response

    @staticmethod
    def _first_chunk(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        # A streamed body runs the view's code after the view returned: taken
        # here, its first chunk still lets a failure change the status.
        held = _held(response)
        if held is None:
            return response
        status = held.status_code
        try:
            if held.is_async:
                if not isinstance(request, WSGIRequest):
                    # In sync mode under ASGI: taking a chunk here would hold
                    # this thread (and the headers) until the body yields,
                    # and reading it whole would never end for an endless
                    # stream. Django's event loop reads it as it is.
                    acontent = cast("AsyncIterator[object]", _body(held))
                    held.streaming_content = _arest(None, acontent, request, status)
                    return held
                # Django serves an async body under WSGI by reading all of it
                # first (with a warning); read here, by Django's own code, a
                # failure anywhere in it is still answered.
                held.streaming_content = list(held)
                return held
            content = cast("Iterator[object]", _body(held))
            first = _next_chunk(held, content)
        except Exception as error:  # noqa: BLE001 - nothing is sent yet: answer with a problem
            return _failed_stream(request, held, error)
        if first is not None:
            held.streaming_content = _rest(first, content, request, status)
        return held

    @staticmethod
    async def _afirst_chunk(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        held = _held(response)
        if held is None:
            return response
        status = held.status_code
        try:
            if held.is_async:
                acontent = cast("AsyncIterator[object]", _body(held))
                first = await _anext_chunk(held, acontent)
                if first is not None:
                    held.streaming_content = _arest(first, acontent, request, status)
            else:
                # Django runs a sync iterator under ASGI in its thread, as here.
                content = cast("Iterator[object]", _body(held))
                first = await sync_to_async(_next_chunk, thread_sensitive=True)(held, content)
                if first is not None:
                    held.streaming_content = _rest(first, content, request, status)
        except Exception as error:  # noqa: BLE001 - nothing is sent yet: answer with a problem
            return await sync_to_async(_failed_stream, thread_sensitive=False)(
                request, held, error, asynchronous=True
            )
        return held

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        """Answer an exception raised by a view with its problem.

        Django calls it, synchronously, for exceptions views raise; returns
        None only to let an unexpected exception propagate under
        ``DEBUG_PROPAGATE_EXCEPTIONS``.
        """
        return _exception_response(request, exception)


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
    info = None if request is None else request_info(request)
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
