"""Middleware of the test project: one that fails, one that touches error pages' headers."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers
from django.utils.deprecation import MiddlewareMixin


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
