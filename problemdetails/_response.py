"""The neutral response value that every adapter turns into its own."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import attrs

from ._fields import HEADER_NAME, HEADER_VALUE

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

__all__ = ["HEADER_NAME", "HEADER_VALUE", "ProblemResponse", "status_phrase"]

# Reason phrases by status code: a dict (looked up on every about:blank
# problem), filled on first use so that importing the package leaves the
# http module unloaded.
_PHRASES: dict[int, str] = {}


def _phrases() -> dict[int, str]:
    from http import HTTPStatus  # noqa: PLC0415 - see _PHRASES

    _PHRASES.update((status.value, status.phrase) for status in HTTPStatus)
    return _PHRASES


def status_phrase(status: int) -> str:
    """Return the registered reason phrase of *status*, or ``""`` if it has none."""
    return (_PHRASES or _phrases()).get(status, "")


# Headers that describe a body: when a problem replaces an error page, the
# page's go with its body.
_BODY_HEADERS = frozenset(
    (
        "content-type",
        "content-length",
        "content-encoding",
        "content-language",
        "content-location",
        "content-disposition",
        "content-md5",
        "content-digest",
        "repr-digest",
        "digest",
        "etag",
        "last-modified",
        "transfer-encoding",
    )
)


@attrs.frozen
class ProblemResponse:
    """A rendered problem: status, headers and body bytes.

    It is also a WSGI application, so a Flask view may return it and any WSGI
    server may serve it as is.

    Attributes:
        status: the HTTP status code.
        headers: ``(name, value)`` pairs, ``Content-Type`` first; no
            ``Content-Length`` (frameworks set their own).
        body: the encoded problem document.
    """

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes

    @property
    def content_type(self) -> str:
        """The media type of the body, e.g. ``application/problem+json``."""
        return self.headers[0][1]

    @property
    def status_line(self) -> str:
        """The status as WSGI wants it, e.g. ``"404 Not Found"``."""
        return f"{self.status} {status_phrase(self.status) or 'Error'}"

    def kept_headers(self, replaced: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Return the headers of an error response this problem replaces that stay.

        Adapters that turn a framework's or an application's own error page
        into a problem keep what other code set (``Allow``,
        ``WWW-Authenticate``, ``Retry-After``, ``Set-Cookie``, CORS headers,
        ...), but neither what described the page's body (``Content-*``,
        ``ETag``, ``Last-Modified``, digests, ``Transfer-Encoding``) nor what
        this response sets itself. ``Vary`` is a list: the page's entries
        stay beside this response's, each once.
        """
        own = {name.lower() for name, _ in self.headers}
        varied = {
            entry.strip().lower()
            for name, value in self.headers
            if name.lower() == "vary"
            for entry in value.split(",")
        }
        kept: list[tuple[str, str]] = []
        for name, value in replaced:
            lowered = name.lower()
            if lowered == "vary":
                entries = [entry.strip() for entry in value.split(",")]
                extra = [entry for entry in entries if entry and entry.lower() not in varied]
                if extra:
                    kept.append((name, ", ".join(extra)))
            elif lowered not in _BODY_HEADERS and lowered not in own:
                kept.append((name, value))
        return kept

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        start_response(self.status_line, [*self.headers, ("Content-Length", str(len(self.body)))])
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else [self.body]
