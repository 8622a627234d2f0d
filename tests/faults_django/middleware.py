"""A middleware that raises what ``apps.faults_common.raise_given`` raises, outside any view."""

from __future__ import annotations

from apps.faults_common import raise_given
from django.http import HttpRequest
from django.utils.deprecation import MiddlewareMixin


class RaiseGivenMiddleware(MiddlewareMixin):
    """Raise for ``/raise-in-middleware``; pass everything else on."""

    def process_request(self, request: HttpRequest) -> None:
        if request.path == "/raise-in-middleware":
            raise_given()
