"""A middleware that fails on request, as a broken third-party middleware would."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.deprecation import MiddlewareMixin


class MiddlewareFailure(Exception):
    """Raised by the middleware itself, outside any view."""


class FailingMiddleware(MiddlewareMixin):
    """Raise for paths under ``/middleware-error/``; pass everything else on (sync and async)."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path.startswith("/middleware-error/"):
            raise MiddlewareFailure("secret-in-middleware")
