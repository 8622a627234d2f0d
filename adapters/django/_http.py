"""Django's side of a failing request, for the pipeline and back.

Django's exceptions as problems, a Django request as the `RequestInfo` the
pipeline reads, a rendered problem as an ``HttpResponse``, and the error pages
Django makes itself, recognised and rewritten in place.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Mapping
from functools import partial
from http.client import responses
from typing import TYPE_CHECKING, TypeGuard, cast

from django.conf import settings
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    BadRequest,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.http.multipartparser import MultiPartParserError
from django.utils.cache import patch_vary_headers
from django.utils.encoding import escape_uri_path
from django.utils.functional import Promise
from django.utils.log import log_response
from django.utils.translation import get_language

from problemdetails import (
    FieldError,
    InternalError,
    Problem,
    ProblemFactory,
    RequestInfo,
    ValidationProblem,
    json_pointer,
)
from problemdetails._report import class_name
from problemdetails._request import environ_key

if TYPE_CHECKING:
    from problemdetails import ProblemHandler, ProblemResponse

# Django's log_response() marks each response it logs with this attribute and
# skips marked ones; the pipeline has logged 5xx problems already.
_LOGGED = "_has_been_logged"
_PROBLEM_MEDIA = "application/problem+"
_SERVER_ERROR = 500


def _about_blank(status: int) -> Callable[[BaseException], Problem]:
    # Problems are immutable: one instance per status serves every request.
    problem = Problem(status=status)

    def factory(_: BaseException) -> Problem:
        return problem

    factory.__qualname__ = f"about_blank_{status}"
    return factory


def _validation_problem(error: ValidationError) -> ValidationProblem:
    if hasattr(error, "error_dict"):
        errors = [
            FieldError(
                detail=message, pointer=None if field == NON_FIELD_ERRORS else json_pointer(field)
            )
            for field, messages in error.message_dict.items()
            for message in messages
        ]
    else:
        errors = [FieldError(detail=message) for message in error.messages]
    return ValidationProblem(errors=errors)


#: Django's exceptions, with the statuses Django itself answers them with.
DEFAULTS: Mapping[type[BaseException], ProblemFactory] = {
    Http404: _about_blank(404),
    PermissionDenied: _about_blank(403),
    BadRequest: _about_blank(400),
    SuspiciousOperation: _about_blank(400),
    MultiPartParserError: _about_blank(400),
    ValidationError: _validation_problem,
}


class _MetaHeaders:
    """Case-insensitive request header lookup straight from ``request.META``.

    Cheaper than building ``request.headers`` on every error.
    """

    __slots__ = ("_meta",)

    def __init__(self, meta: Mapping[str, object]) -> None:
        self._meta = meta

    def get(self, key: str, /) -> str | None:
        value = self._meta.get(environ_key(key))
        return value if isinstance(value, str) else None


def _url_facts(request: HttpRequest) -> tuple[str | None, str]:
    try:
        url = request.build_absolute_uri()
    except Exception:  # noqa: BLE001 - DisallowedHost; the error path cannot fail
        url = None
    return url, escape_uri_path(request.path)


def request_info(request: HttpRequest) -> RequestInfo:
    """Return what the pipeline reads of *request*: method, path, URL, headers and itself.

    The path is percent-encoded, as ``instance`` needs a URI reference; log
    records carry it. The URL and path are worked out when first read (the
    URL costs a validation of the Host header; most error responses read
    neither). The request itself rides along as ``native``: log records
    carry it as ``request``, where Django's ``AdminEmailHandler`` looks for it.
    """
    return RequestInfo(
        method=request.method,
        headers=_MetaHeaders(request.META),
        native=request,
        url_facts=partial(_url_facts, request),
    )


def _is_lazy(text: object) -> bool:
    return isinstance(text, Promise)


def _content_language(problem: Problem | None) -> str | None:
    # Lazy translation strings are rendered in the active language; say which.
    if problem is None or not (_is_lazy(problem.title) or _is_lazy(problem.detail)):
        return None
    return get_language() if settings.USE_I18N else None


_Store = dict[str, tuple[str, str]]
# Whether ResponseHeaders keeps its fields in a dict, lower-cased name ->
# (name, value), as Django 3.0 to 6.x do; None until first asked.
_direct: bool | None = None


def _probe() -> bool:
    response = HttpResponseBase(content_type="text/plain")
    response["X-Probe"] = "1"
    store = getattr(response.headers, "_store", None)
    return isinstance(store, dict) and store == {
        "content-type": ("Content-Type", "text/plain"),
        "x-probe": ("X-Probe", "1"),
    }


def _header_store(response: HttpResponseBase) -> _Store | None:
    """Return the dict *response* keeps its header fields in, if Django's layout is known."""
    global _direct  # noqa: PLW0603 - probed once per process
    if _direct is None:
        try:
            _direct = _probe()
        except Exception:  # noqa: BLE001 - an unknown layout: Django's own setter serves
            _direct = False
    return response.headers._store if _direct else None  # noqa: SLF001


def to_http_response(response: ProblemResponse, problem: Problem | None) -> HttpResponse:
    """Return the rendered *response* of *problem* as an ``HttpResponse``.

    ``Content-Language`` names the active language when the problem's title
    or detail is a lazy translation string, rendered in that language. A 5xx
    is marked as logged: the pipeline has logged it, so Django does not again.
    """
    status = response.status
    headers = response.headers
    # Django names the statuses http.client knows, as the pipeline does; for
    # the others, the pipeline's phrase.
    reason = None if status in responses else response.status_line.partition(" ")[2]
    result = HttpResponse(response.body, status=status, reason=reason, content_type=headers[0][1])
    store = _header_store(result)
    for name, value in headers[1:]:
        key = name.lower()
        if key == "vary":
            if store is None or key in store or "," in value:
                _set_header(result, name, value)
            else:
                store[key] = (name, value.strip())  # what patch_vary_headers() makes of it
        elif store is None or key in store:
            result[name] = value
        else:
            # The pipeline checked every field (a token, visible ASCII): what
            # Django's setter checks again, at a cost on every error.
            store[key] = (name, value)
    language = _content_language(problem)
    if language:
        result["Content-Language"] = language
    if status >= _SERVER_ERROR:
        setattr(result, _LOGGED, True)
    return result


def _set_header(response: HttpResponseBase, name: str, value: str) -> None:
    if name.lower() != "vary":
        response[name] = value
    elif "," not in value and not response.has_header(name):
        # What patch_vary_headers() makes of one entry, without its regex.
        response[name] = value.strip()
    else:
        # Django keeps one field per name: Vary's entries are merged into it.
        patch_vary_headers(response, [entry.strip() for entry in value.split(",")])


def is_django_error_page(response: HttpResponseBase) -> TypeGuard[HttpResponse]:
    """Return whether *response*, a 4xx or 5xx, is an error page Django made itself.

    Those are the responses Django's ``log_response()`` has logged on the way
    (CSRF failures, ``require_POST``'s 405, ``RedirectView``'s 410, ...). A
    response that is a problem already, or that a view returned on purpose,
    is not.
    """
    return (
        getattr(response, _LOGGED, False)
        and response.status_code <= 599  # noqa: PLR2004
        and isinstance(response, HttpResponse)
        and not response.get("Content-Type", "").startswith(_PROBLEM_MEDIA)
    )


async def _one_chunk(body: bytes) -> AsyncIterator[bytes]:
    yield body


def replace(
    response: HttpResponseBase,
    rendered: ProblemResponse,
    problem: Problem | None,
    *,
    asynchronous: bool = False,
) -> None:
    """Make *response*, in place, the problem response *rendered*.

    Status, reason phrase, body and headers become the problem's; the
    headers and cookies other middleware set stay, except those that
    described the replaced body. A streaming response keeps streaming (its
    resources are still closed with it): one chunk, async on an async stack
    (*asynchronous*), as Django serves each kind without adapting it.
    """
    kept = rendered.kept_headers(response.items())
    counted = response.has_header("Content-Length") or response.streaming
    for name in list(response.headers):
        del response[name]
    response.status_code = rendered.status
    response.reason_phrase = rendered.status_line.partition(" ")[2]
    body = rendered.body
    if isinstance(response, StreamingHttpResponse):
        response.streaming_content = _one_chunk(body) if asynchronous else (body,)
    else:
        cast("HttpResponse", response).content = body
    for name, value in (*rendered.headers, *kept):
        _set_header(response, name, value)
    if counted:
        response["Content-Length"] = str(len(body))
    language = _content_language(problem)
    if language:
        response["Content-Language"] = language
    if rendered.status >= _SERVER_ERROR:
        setattr(response, _LOGGED, True)


def rewrite(handler: ProblemHandler, request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Turn an error page Django made (and logged) into the problem of its status, in place."""
    status = response.status_code
    problem = InternalError() if status == _SERVER_ERROR else Problem(status=status)
    # Django logged it (and sent got_request_exception for a 500) already.
    rendered = handler.render(problem, request_info(request), log=False)
    replace(response, rendered, problem)
    return response


def log_cut_short(
    handler: ProblemHandler, request: HttpRequest, status: int, error: Exception
) -> None:
    """Log *error*, raised by a streamed body after its first chunk: once, at ERROR.

    The status and the first chunk are on their way to the client: the
    response can only be cut short. The record carries what a 500's record
    carries (flow id, method, path, status, the request). Never raises.
    """
    try:
        info = request_info(request)
    except Exception:  # noqa: BLE001 - the failure is logged all the same
        info = None
    # The class in the message: the subject of mail_admins' email shows it.
    what = f"failed with {class_name(type(error))} after the response started; it was cut short"
    handler.log_failure(what, error, info, status=status)


def after_suspicious(
    request: HttpRequest, exception: SuspiciousOperation, response: HttpResponseBase
) -> None:
    """Do what Django's own handler does after a ``SuspiciousOperation``; never raises.

    It logs it on ``django.security.<name>`` at ERROR, and keeps
    ``request.POST`` from raising again (error reports read it).
    """
    try:
        if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
            mark = getattr(request, "_mark_post_parse_error", None)
            if mark is not None:
                mark()
        log_response(
            str(exception),
            exception=exception,
            request=request,
            # It reads the status and marks the response, streaming or not.
            response=cast("HttpResponse", response),
            level="error",
            logger=logging.getLogger(f"django.security.{type(exception).__name__}"),
        )
    except Exception:  # noqa: BLE001, S110 - the error path cannot fail
        pass
