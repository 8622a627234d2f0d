"""Werkzeug's ``HTTPException`` as a problem: shared by the Flask and WSGI adapters."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from werkzeug.datastructures import EnvironHeaders
from werkzeug.exceptions import HTTPException

from problemdetails import Problem, ProblemFactory, RequestInfo, RetryAfterProblem

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

# Werkzeug's default descriptions are English prose about its HTML page, the
# same for every occurrence; only descriptions an application wrote are sent.
_WERKZEUG = "werkzeug."
# Headers of werkzeug's HTML page; the problem response sets its own.
_PAGE_HEADERS = frozenset(("content-type", "content-length"))


def is_problem(error: HTTPException) -> bool:
    """Return whether *error* is answered with a problem.

    Redirects (werkzeug's ``RequestRedirect`` is a 308), exceptions without a
    code (``abort(response)``) and exceptions that carry a response of their
    own are left to the framework.
    """
    code = error.code
    return code is not None and 400 <= code <= 599 and error.response is None  # noqa: PLR2004


def _description(error: HTTPException) -> str | None:
    text: object = vars(error).get("description")
    if text is None:
        for cls in type(error).__mro__:
            if "description" in vars(cls):
                if cls.__module__.startswith(_WERKZEUG):
                    return None
                text = vars(cls)["description"]
                break
    # str() also renders lazy translation strings in the request's language.
    return None if text is None else str(text)


def _retry_after(error: HTTPException) -> int | datetime | None:
    value = getattr(error, "retry_after", None)
    if isinstance(value, datetime):
        # Werkzeug sends naive datetimes as UTC; so does the problem.
        return value if value.tzinfo is not None else value.replace(tzinfo=timezone.utc)
    if type(value) is int and value > 0:
        return value
    return None


def http_exception_problem(error: HTTPException) -> Problem | None:
    """Return the ``about:blank`` problem for a werkzeug ``HTTPException``.

    The status phrase is the title; a description the application gave
    (``abort(404, description=...)``, or a subclass's own) is the detail;
    werkzeug's default descriptions are not sent. Every header the exception
    carries (``Allow``, ``WWW-Authenticate``, ``Retry-After``, ...) is kept,
    repeated fields joined into one list. A ``retry_after`` becomes a
    `RetryAfterProblem`. Returns None for exceptions `is_problem` leaves alone.
    """
    if not is_problem(error):
        return None
    retry_after = _retry_after(error)
    headers: dict[str, str] = {}
    for name, value in error.get_headers():
        lowered = name.lower()
        if lowered in _PAGE_HEADERS or (retry_after is not None and lowered == "retry-after"):
            continue
        headers[name] = f"{headers[name]}, {value}" if name in headers else value
    status: int = error.code  # type: ignore[assignment]  # is_problem checked it
    if retry_after is not None:
        return RetryAfterProblem(
            status=status, detail=_description(error), retry_after=retry_after, headers=headers
        )
    return Problem(status=status, detail=_description(error), headers=headers)


#: The adapters' own mappings, below the user's at equal specificity.
DEFAULTS: Mapping[type[BaseException], ProblemFactory] = {HTTPException: http_exception_problem}


# RFC 3986 pchar less the unreserved characters (quote keeps those anyway);
# '%' is not among them: PATH_INFO arrives decoded, so a '%' in it is data.
_PATH_SAFE = "/!$&'()*+,;=:@"
# The query string arrives as sent, escapes included: they are kept.
_QUERY_SAFE = _PATH_SAFE + "?%"
# Most paths, hosts and queries need no quoting at all: check, then skip it.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~/!$&'()*+,;=:@]*")
_PLAIN_HOST = re.compile(r"[A-Za-z0-9\-._~:\[\]]+")
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9\-._~/!$&'()*+,;=:@?]*")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _url_parts(environ: WSGIEnvironment) -> tuple[str, str]:
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    if not _PLAIN_PATH.fullmatch(path):
        # PEP 3333 strings are bytes decoded as latin-1: quote those bytes, as sent.
        path = quote(path.encode("latin-1", "replace"), safe=_PATH_SAFE)
    path = path or "/"
    scheme = environ.get("wsgi.url_scheme", "http")
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = environ.get("SERVER_PORT")
        if port and port != _DEFAULT_PORTS.get(scheme):
            host = f"{host}:{port}"
    if not _PLAIN_HOST.fullmatch(host):
        host = quote(host, safe=":[]", errors="replace")
    query = environ.get("QUERY_STRING")
    if not query:
        return f"{scheme}://{host}{path}", path
    if not _PLAIN_QUERY.fullmatch(query):
        query = quote(query, safe=_QUERY_SAFE, encoding="latin-1", errors="replace")
    return f"{scheme}://{host}{path}?{query}", path


class _Headers(EnvironHeaders):
    """werkzeug's view of the request headers, with a quicker ``get`` for the pipeline."""

    __slots__ = ()

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]  # noqa: A002
        """Return the header *key*; werkzeug's ``get`` when converting with *type*."""
        if type is not None:
            return super().get(key, default, type)
        name = key.upper().replace("-", "_")
        if name not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            name = f"HTTP_{name}"
        value = self.environ.get(name)
        # Like werkzeug: header values are latin-1 strings; an empty one counts.
        return default if value is None else value


def request_info(environ: WSGIEnvironment) -> RequestInfo:
    """Return the `RequestInfo` of a WSGI request; never raises.

    ``url`` and ``path`` are URIs (percent-encoded), so they can be sent as
    ``instance``; headers are looked up in the environ, case-insensitively.
    """
    headers = _Headers(environ)
    try:
        url, path = _url_parts(environ)
        return RequestInfo(
            method=environ.get("REQUEST_METHOD"), url=url, path=path, headers=headers
        )
    except Exception:  # noqa: BLE001 - a malformed environ must not break the error path
        return RequestInfo(headers=headers)
