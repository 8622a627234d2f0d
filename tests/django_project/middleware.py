"""Middleware of the test project: ones that fail, one that touches error pages' headers."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin

from .views import RAISERS


class MiddlewareFailure(Exception):
    """Raised by the middleware itself, outside any view."""


class FailingMiddleware(MiddlewareMixin):
    """Raise for paths under ``/middleware-error/``; pass everything else on (sync and async)."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/middleware-error/"):
            raise MiddlewareFailure("secret-in-middleware")


class VaryingMiddleware(MiddlewareMixin):
    """For paths under ``/varied/``, vary on Cookie and set a header, as session code would."""

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if request.path.startswith("/varied/"):
            patch_vary_headers(response, ["Cookie"])
            response["X-Set-By-Middleware"] = "kept"
        return response


def _raise_at(request: HttpRequest, stage: str) -> None:
    # Paths such as /mw/view/http404/ (or /async/mw/...): raise RAISERS["http404"]
    # in process_view. Parsed from the path, as process_request runs before
    # URL resolution.
    parts = request.path.strip("/").split("/")
    if parts[:1] == ["async"]:
        parts = parts[1:]
    if len(parts) == 3 and parts[0] == "mw" and parts[1] == stage:
        raise RAISERS[parts[2]]()  # noqa: RSE102 - each raiser makes a new exception


class RaisingMiddleware(MiddlewareMixin):
    """For ``/mw/<stage>/<name>/``, raise ``RAISERS[name]`` outside the view.

    *stage* is ``request`` (before URL resolution), ``view`` (in
    ``process_view``, after it) or ``response`` (after the view returned).
    """

    def process_request(self, request: HttpRequest) -> None:
        _raise_at(request, "request")

    def process_view(self, request: HttpRequest, *_: object) -> None:
        _raise_at(request, "view")

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        _raise_at(request, "response")
        return response


class SyncOnlyMiddleware:
    """Passes every request on; sync only, so Django runs the middleware before it in sync mode."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        return self.get_response(request)
