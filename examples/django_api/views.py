"""Views that raise problems, Django's exceptions, or return problems."""

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from problemdetails import RetryAfterProblem
from problemdetails.adapters.django import problem_response

from .problems import BookNotFound, LoanLimitReached

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


async def books(request: HttpRequest) -> HttpResponse:
    """An async view: the middleware serves async stacks without a thread hop."""
    return JsonResponse({"books": list(BOOKS.values())})


@require_GET
def book(request: HttpRequest, book_id: int) -> HttpResponse:
    if book_id not in BOOKS:
        raise BookNotFound(book_id=book_id, detail=f"No book has the id {book_id}.")
    return JsonResponse(BOOKS[book_id])


@csrf_exempt  # a JSON API authenticated by other means
@require_POST
def loans(request: HttpRequest) -> HttpResponse:
    try:
        data = json.loads(request.body)
    except ValueError:
        raise BadRequest("The body is not JSON.") from None
    form = LoanForm(data if isinstance(data, dict) else {})
    if not form.is_valid():
        raise ValidationError(form.errors.as_data())
    member, book_id = form.cleaned_data["member"], form.cleaned_data["book"]
    if book_id not in BOOKS:
        raise BookNotFound(book_id=book_id)
    on_loan = LOANS.setdefault(member, [])
    if len(on_loan) >= LOAN_LIMIT:
        raise LoanLimitReached(
            limit=LOAN_LIMIT,
            loans=[f"/books/{loaned}/" for loaned in on_loan],
            detail=f"{member} has {len(on_loan)} books on loan; return one first.",
        )
    on_loan.append(book_id)
    return JsonResponse({"member": member, "book": book_id}, status=201)


def reports(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


def export(request: HttpRequest) -> HttpResponse:
    """Return rather than raise: problem_response() renders with the project's settings."""
    return problem_response(
        RetryAfterProblem(retry_after=120, detail="The catalogue export is being rebuilt."),
        request,
    )


def crash(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ratio": 1 / len(request.GET)})
