"""Views of the fault project."""

from __future__ import annotations

import os

from apps.faults_common import FAULTS, SECRET, raise_given, release_hanging_hooks
from django.http import HttpRequest, HttpResponse, JsonResponse

from problemdetails import Problem


class ItemMissing(
    Problem, type="urn:faults:django-item-missing", title="No such item.", status=404
):
    """A declared client error."""

    item_id: int


def ok(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"ok": True, "pid": os.getpid()})


def release(request: HttpRequest) -> HttpResponse:
    release_hanging_hooks()
    return JsonResponse({"released": True})


def fault(request: HttpRequest, name: str) -> HttpResponse:
    exception = FAULTS[name]()
    raise exception


def problem(request: HttpRequest) -> HttpResponse:
    raise ItemMissing(item_id=7, detail="There is no item 7.")


def crash(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET)


def given(request: HttpRequest) -> HttpResponse:
    raise_given()
    return HttpResponse()


async def given_async(request: HttpRequest) -> HttpResponse:
    raise_given()
    return HttpResponse()
