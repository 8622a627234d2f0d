"""Views that raise, or return, every kind of error; each has a sync and an async form."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator

from django import forms
from django.contrib.sessions.exceptions import SuspiciousSession
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    BadRequest,
    DisallowedHost,
    DisallowedRedirect,
    PermissionDenied,
    RequestDataTooBig,
    SuspiciousFileOperation,
    SuspiciousMultipartForm,
    SuspiciousOperation,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotFound,
    JsonResponse,
    StreamingHttpResponse,
)
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext_lazy
from django.views.decorators.csrf import csrf_exempt

from problemdetails import Problem, RetryAfterProblem
from problemdetails.adapters.django import problem_response

from .problems import OutOfCredit

#: Text that must never reach a client.
PRIVATE = "hunter2-s3cr3t"


class UnprintableSuspicion(SuspiciousOperation):
    """A SuspiciousOperation whose message cannot be made."""

    def __str__(self) -> str:
        raise RuntimeError(PRIVATE)


class Hostile(Exception):
    """An exception whose str() and repr() raise, carrying the secret."""

    def __str__(self) -> str:
        raise RuntimeError(PRIVATE)

    def __repr__(self) -> str:
        raise RuntimeError(PRIVATE)


class Unformattable(Exception):
    """An exception whose notes cannot be read: the traceback module raises formatting it."""

    @property
    def __notes__(self) -> list[str]:
        raise RuntimeError(PRIVATE)


class HostileNotFound(Hostile, Http404):
    """An Http404 whose str() and repr() raise (Django's technical 404 page calls str())."""


class HostilePermissionDenied(Hostile, PermissionDenied):
    """A PermissionDenied whose str() and repr() raise."""


class HostileBadRequest(Hostile, BadRequest):
    """A BadRequest whose str() and repr() raise (Django's log message calls str())."""


def out_of_credit() -> OutOfCredit:
    return OutOfCredit(
        balance=30,
        accounts=["/account/12345", "/account/67890"],
        detail="Your current balance is 30, but that costs 50.",
    )


def validation_error() -> ValidationError:
    return ValidationError(
        {
            "email": [ValidationError("Enter a valid email address.", code="invalid")],
            "age": [
                ValidationError(
                    "Ensure this value is greater than or equal to %(limit_value)s.",
                    code="min_value",
                    params={"limit_value": 18},
                )
            ],
            "a/b~c": ["Odd name."],
            NON_FIELD_ERRORS: ["Passwords do not match."],
        }
    )


RAISERS: dict[str, Callable[[], BaseException]] = {
    "problem": out_of_credit,
    "retry": lambda: RetryAfterProblem(retry_after=120, detail="Down for maintenance."),
    "http404": lambda: Http404(f"No Book matches the given query. {PRIVATE}"),
    "permission-denied": lambda: PermissionDenied(PRIVATE),
    "bad-request": lambda: BadRequest(PRIVATE),
    "multipart": lambda: MultiPartParserError(PRIVATE),
    "suspicious-operation": lambda: SuspiciousOperation(PRIVATE),
    "disallowed-host": lambda: DisallowedHost(PRIVATE),
    "disallowed-redirect": lambda: DisallowedRedirect(PRIVATE),
    "suspicious-file-operation": lambda: SuspiciousFileOperation(PRIVATE),
    "suspicious-multipart-form": lambda: SuspiciousMultipartForm(PRIVATE),
    "suspicious-session": lambda: SuspiciousSession(PRIVATE),
    "request-data-too-big": lambda: RequestDataTooBig(PRIVATE),
    "too-many-fields-sent": lambda: TooManyFieldsSent(PRIVATE),
    "too-many-files-sent": lambda: TooManyFilesSent(PRIVATE),
    "unprintable-suspicion": UnprintableSuspicion,
    "validation": validation_error,
    "validation-message": lambda: ValidationError(
        "Start must be before %(end)s.", code="order", params={"end": "2024-01-01"}
    ),
    "validation-list": lambda: ValidationError(["First.", "Second."]),
    "lazy": lambda: Problem(
        status=403,
        title=gettext_lazy("Forbidden"),
        detail=gettext_lazy("This field is required."),
    ),
    "unexpected": lambda: RuntimeError(PRIVATE),
    "hostile": Hostile,
    "hostile-404": HostileNotFound,
    "hostile-permission-denied": HostilePermissionDenied,
    "hostile-bad-request": HostileBadRequest,
    "given": lambda: GIVEN[-1],
    "unformattable": Unformattable,
}


#: What ``raise_given`` raises next; the property tests put it here.
GIVEN: list[BaseException] = []


def raise_given(request: HttpRequest) -> HttpResponse:
    raise GIVEN[-1]


def raise_sync(request: HttpRequest, name: str) -> HttpResponse:
    exception = RAISERS[name]()
    raise exception


async def raise_async(request: HttpRequest, name: str) -> HttpResponse:
    exception = RAISERS[name]()
    raise exception


def ok_sync(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


async def ok_async(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True})


def passed(request: HttpRequest, **_: str) -> HttpResponse:
    return JsonResponse({"ok": True})


async def passed_async(request: HttpRequest, **_: str) -> HttpResponse:
    return JsonResponse({"ok": True})


def returned(request: HttpRequest) -> HttpResponse:
    return problem_response(out_of_credit(), request)


async def returned_async(request: HttpRequest) -> HttpResponse:
    return problem_response(out_of_credit(), request)


def html_not_found(request: HttpRequest) -> HttpResponse:
    return HttpResponseNotFound("<h1>A page of our own</h1>")


class SignUp(forms.Form):
    email = forms.EmailField()
    age = forms.IntegerField(min_value=18)


@csrf_exempt
def sign_up(request: HttpRequest) -> HttpResponse:
    form = SignUp(request.POST)
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    return JsonResponse(form.cleaned_data, status=201)


def read_query(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"fields": len(request.GET)})


@csrf_exempt
def read_body(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"fields": len(request.POST), "files": len(request.FILES)})


def host(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"host": request.get_host()})


#: Names of the streamed bodies that were closed, in order.
CLOSED: list[str] = []


class Chunks:
    """A streamed body of three chunks, named for what it does.

    ``ok``: three chunks; ``empty``: none; ``<raiser>-at-<n>``: raises
    ``RAISERS[raiser]`` before chunk *n* (0: before the first); a ``-close``
    suffix: its ``close()`` raises too.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        spec = name.removesuffix("-close")
        self.close_raises = spec != name
        raiser, _, at = spec.partition("-at-")
        self.raiser = RAISERS[raiser] if at else None
        self.fails_at = int(at) if at else -1
        self.count = 0 if spec == "empty" else 3
        self.sent = 0

    def next_chunk(self) -> bytes:
        if self.raiser is not None and self.sent == self.fails_at:
            raise self.raiser()
        if self.sent >= self.count:
            raise StopIteration
        self.sent += 1
        return f"chunk {self.sent}\n".encode()

    def close(self) -> None:
        CLOSED.append(self.name)
        if self.close_raises:
            raise RuntimeError(PRIVATE)


class SyncChunks(Chunks, Iterator[bytes]):
    """`Chunks` as a sync iterator."""

    def __next__(self) -> bytes:
        return self.next_chunk()


class AsyncChunks(Chunks, AsyncIterator[bytes]):
    """`Chunks` as an async iterator."""

    async def __anext__(self) -> bytes:
        try:
            return self.next_chunk()
        except StopIteration:
            raise StopAsyncIteration from None


def stream(request: HttpRequest, name: str) -> StreamingHttpResponse:
    """Stream `SyncChunks` (under ASGI too: Django's sync-iterator case)."""
    return StreamingHttpResponse(SyncChunks(name), content_type="text/plain")


async def stream_async(request: HttpRequest, name: str) -> StreamingHttpResponse:
    """Stream `AsyncChunks`."""
    return StreamingHttpResponse(AsyncChunks(name), content_type="text/plain")


#: How many events `events` has made, in all.
EVENTS: list[int] = []
#: Where `events` stops: far beyond what a client that reads a few ever needs.
EVENTS_LIMIT = 10_000


async def events(request: HttpRequest) -> StreamingHttpResponse:
    """Stream server-sent events without end (as far as a test is concerned)."""

    async def made() -> AsyncIterator[bytes]:
        for number in range(EVENTS_LIMIT):
            EVENTS.append(number)
            yield f"data: {number}\n\n".encode()

    return StreamingHttpResponse(made(), content_type="text/event-stream")
