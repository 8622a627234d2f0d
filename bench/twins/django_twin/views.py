"""Views that answer with problem documents, written by hand."""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus
from typing import Any
from xml.sax.saxutils import escape

from django import forms
from django.core.exceptions import BadRequest, PermissionDenied
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

JSON = "application/problem+json"
XML = "application/problem+xml"
BOOKS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "title": "Structure and Interpretation of Computer Programs"},
    2: {"id": 2, "title": "The Little Schemer"},
    3: {"id": 3, "title": "Gödel, Escher, Bach"},
}
LOANS: dict[str, list[int]] = {"ada": [1, 3]}
LOAN_LIMIT = 2


class LoanForm(forms.Form):
    member = forms.SlugField()
    book = forms.IntegerField(min_value=1)


def to_xml(value: Any) -> str:
    """The RFC 9457 appendix's XML form of a member's value."""
    if isinstance(value, dict):
        return "".join(f"<{key}>{to_xml(item)}</{key}>" for key, item in value.items())
    if isinstance(value, list):
        return "".join(f"<i>{to_xml(item)}</i>" for item in value)
    return escape(str(value))


def problem(
    request: HttpRequest,
    status: int,
    type: str = "about:blank",  # noqa: A002 - the member's name
    title: str | None = None,
    *,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> HttpResponse:
    """A problem response to *request*."""
    flow_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
    document: dict[str, Any] = {
        "type": type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail is not None:
        document["detail"] = detail
    document["instance"] = request.path
    document["flow_id"] = flow_id
    document.update(extensions)
    response: HttpResponse
    if request.get_preferred_type([JSON, XML]) == XML:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<problem xmlns="urn:ietf:rfc:7807">{to_xml(document)}</problem>'
        )
        response = HttpResponse(body, content_type=XML, status=status)
    else:
        response = JsonResponse(document, content_type=JSON, status=status)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    response.headers["Vary"] = "Accept"
    response.headers["X-Request-ID"] = flow_id
    return response


async def books(request: HttpRequest) -> HttpResponse:
    """An async view, as in the example."""
    return JsonResponse({"books": list(BOOKS.values())})


def book(request: HttpRequest, book_id: int) -> HttpResponse:
    if request.method != "GET":
        return problem(request, 405, headers={"Allow": "GET"})
    if book_id not in BOOKS:
        return problem(
            request,
            404,
            "https://library.example/problems/book-not-found",
            "There is no such book.",
            detail=f"No book has the id {book_id}.",
            book_id=book_id,
        )
    return JsonResponse(BOOKS[book_id])


@csrf_exempt  # a JSON API authenticated by other means
def loans(request: HttpRequest) -> HttpResponse:
    if request.method != "POST":
        return problem(request, 405, headers={"Allow": "POST"})
    try:
        data = json.loads(request.body)
    except ValueError:
        raise BadRequest("The body is not JSON.") from None
    form = LoanForm(data if isinstance(data, dict) else {})
    if not form.is_valid():
        errors = [
            {"detail": message, "pointer": f"#/{name}"}
            for name, messages in form.errors.items()
            for message in messages
        ]
        return problem(
            request,
            422,
            "urn:problemdetails:validation-error",
            "Your request is not valid.",
            errors=errors,
        )
    member, book_id = form.cleaned_data["member"], form.cleaned_data["book"]
    if book_id not in BOOKS:
        return problem(
            request,
            404,
            "https://library.example/problems/book-not-found",
            "There is no such book.",
            book_id=book_id,
        )
    on_loan = LOANS.setdefault(member, [])
    if len(on_loan) >= LOAN_LIMIT:
        return problem(
            request,
            409,
            "https://library.example/problems/loan-limit-reached",
            "You have reached your loan limit.",
            detail=f"{member} has {len(on_loan)} books on loan; return one first.",
            limit=LOAN_LIMIT,
            loans=[f"/books/{loaned}/" for loaned in on_loan],
        )
    on_loan.append(book_id)
    return JsonResponse({"member": member, "book": book_id}, status=201)


def reports(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def export(request: HttpRequest) -> HttpResponse:
    return problem(
        request,
        503,
        detail="The catalogue export is being rebuilt.",
        headers={"Retry-After": "120"},
        retry_after=120,
    )


def crash(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ratio": 1 / len(request.GET)})


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    return problem(request, 400)


def forbidden(request: HttpRequest, exception: Exception) -> HttpResponse:
    return problem(request, 403)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return problem(request, 404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django has logged the exception (``django.request``) before it calls this."""
    return problem(
        request,
        500,
        detail="The server encountered an unexpected condition that prevented it from"
        " fulfilling the request.",
    )
