"""What the Flask and WSGI adapters share.

Werkzeug's ``HTTPException`` as a problem, the request facts of a WSGI
environ, a ``start_response`` that holds the response until it is known to
stand, and the checks and log records of what a WSGI application hands over.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime, timezone
from functools import partial
from typing import TYPE_CHECKING, Any, TypeGuard, cast
from urllib.parse import quote

from werkzeug.datastructures import EnvironHeaders, Headers
from werkzeug.exceptions import HTTPException

from problemdetails import Problem, ProblemFactory, ProblemHandler, RequestInfo, RetryAfterProblem
from problemdetails._request import environ_key
from problemdetails._response import HEADER_NAME

if TYPE_CHECKING:
    from _typeshed import OptExcInfo
    from _typeshed.wsgi import StartResponse, WSGIEnvironment

    from problemdetails import ProblemResponse

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
    if headers:
        return Problem(status=status, detail=_description(error), headers=headers)
    return Problem(status=status, detail=_description(error))


#: The adapters' own mappings, below the user's at equal specificity.
DEFAULTS: Mapping[type[BaseException], ProblemFactory] = {HTTPException: http_exception_problem}


# RFC 3986 pchar less the unreserved characters (quote keeps those anyway);
# '%' is not among them: PATH_INFO arrives decoded, so a '%' in it is data.
_PATH_SAFE = "/!$&'()*+,;=:@"
# The query string arrives as sent, escapes included: they are kept.
_QUERY_SAFE = _PATH_SAFE + "?%"
# Most paths, hosts and queries need no quoting at all: check, then skip it.
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~/!$&'()*+,;=:@]*")
# A registered name or an IP literal in brackets, with an optional port.
_PLAIN_HOST = re.compile(r"(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9\-._~]+)(?::[0-9]*)?")
# A '%' that starts no escape is data: sent as %25.
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SCHEMES = frozenset(("http", "https"))
_PLAIN_QUERY = re.compile(r"[A-Za-z0-9\-._~/!$&'()*+,;=:@?]*")
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def _url_parts(environ: WSGIEnvironment) -> tuple[str | None, str]:
    path = environ.get("SCRIPT_NAME", "") + environ.get("PATH_INFO", "")
    if not _PLAIN_PATH.fullmatch(path):
        # PEP 3333 strings are bytes decoded as latin-1: quote those bytes, as sent.
        path = quote(path.encode("latin-1", "replace"), safe=_PATH_SAFE)
    path = path or "/"
    scheme = environ.get("wsgi.url_scheme", "http")
    if scheme not in _SCHEMES:
        # A proxy header copied into the environ (ProxyFix): no URL is better
        # than one with a scheme the request did not use.
        return None, path
    host = environ.get("HTTP_HOST")
    if not host:
        host = environ.get("SERVER_NAME", "localhost")
        port = environ.get("SERVER_PORT")
        if port and port != _DEFAULT_PORTS.get(scheme):
            host = f"{host}:{port}"
    if not _PLAIN_HOST.fullmatch(host):
        host = quote(host, safe="", errors="replace")
    query = environ.get("QUERY_STRING")
    if not query:
        return f"{scheme}://{host}{path}", path
    if not _PLAIN_QUERY.fullmatch(query):
        query = quote(query, safe=_QUERY_SAFE, encoding="latin-1", errors="replace")
        query = _STRAY_PERCENT.sub("%25", query)
    return f"{scheme}://{host}{path}?{query}", path


class _Headers(EnvironHeaders):
    """werkzeug's view of the request headers, with a quicker ``get`` for the pipeline."""

    __slots__ = ()

    def get(self, key: str, default: Any = None, type: Any = None) -> Any:  # type: ignore[override]  # noqa: A002
        """Return the header *key*; werkzeug's ``get`` when converting with *type*."""
        if type is not None:
            return super().get(key, default, type)
        value = self.environ.get(environ_key(key))
        # Like werkzeug: header values are latin-1 strings; an empty one counts.
        return default if value is None else value


def request_info(environ: WSGIEnvironment) -> RequestInfo:
    """Return the `RequestInfo` of a WSGI request; never raises.

    ``url`` and ``path`` are URIs (percent-encoded), so they can be sent as
    ``instance``; they are worked out from the environ when first read (most
    error responses never read them). Headers are looked up in the environ,
    case-insensitively. ``native`` is the werkzeug (or Flask) request of the
    environ while it is alive, else None: none is built for it.
    """
    return RequestInfo(
        method=environ.get("REQUEST_METHOD"),
        headers=_Headers(environ),
        native=environ.get("werkzeug.request"),
        url_facts=partial(_url_parts, environ),
    )


# werkzeug's Headers keeps its pairs in a list; building one from pairs the
# pipeline has checked already skips a second check of each (half the cost of
# making a response). Where the list is not there, the public constructor.
_HEADERS_LIST = isinstance(vars(Headers()).get("_list"), list)


def response_headers(pairs: Iterable[tuple[str, str]]) -> Headers:
    """Return werkzeug ``Headers`` holding *pairs*, which are valid HTTP fields already.

    Only for headers the pipeline made: their names are tokens and their
    values have no CR, LF or other control characters.
    """
    if not _HEADERS_LIST:
        return Headers(list(pairs))
    headers = Headers()
    headers._list = list(pairs)  # noqa: SLF001  # pyright: ignore[reportPrivateUsage] - see _HEADERS_LIST
    return headers


class HeldStart:
    """The ``start_response`` an application sees, one per request.

    It holds the status and headers until `flush` sends them on (or the
    application's ``write()`` does); until then a problem can replace them
    cleanly on every server, including those (gunicorn among them) that
    append rather than replace headers when ``start_response`` is called
    again with ``exc_info``.
    """

    __slots__ = ("_write", "headers", "refused", "sent", "server", "status")

    def __init__(self, server: StartResponse) -> None:
        self.server = server
        #: The held status; None until the application calls ``start_response``.
        self.status: Any = None
        #: The held headers (set with the status).
        self.headers: Any
        #: Whether the server's ``start_response`` has been called.
        self.sent = False
        #: Whether the server refused the held status and headers.
        self.refused = False
        # The server's write callable, once it is called (set in flush).
        self._write: Callable[[bytes], object] | None

    def __call__(
        self, status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None = None, /
    ) -> Callable[[bytes], object]:
        if self.sent:
            # The server has them: it replaces them, or re-raises exc_info
            # if they are on the wire (and refuses a call without exc_info).
            return self.server(status, headers, exc_info)
        if exc_info is None and self.status is not None:
            raise AssertionError("start_response called a second time without exc_info")
        self.status = status
        self.headers = headers
        return self.write

    def write(self, data: bytes) -> object:
        """The ``write`` callable: sends the held status and headers first."""
        self.flush()
        write = getattr(self, "_write", None)
        return None if write is None else write(data)

    def flush(self) -> None:
        """Send the held status and headers to the server, if any and not sent."""
        if not self.sent and self.status is not None:
            self.sent = True
            try:
                self._write = self.server(self.status, self.headers)
            except BaseException:
                self.refused = True
                raise

    def release(self) -> None:
        """Hold nothing from now on: later calls go straight to the server."""
        self.sent = True

    def send(
        self, status: str, headers: list[tuple[str, str]], exc_info: OptExcInfo | None
    ) -> Callable[[bytes], object]:
        """Send a replacement response's status and headers."""
        if self.sent:
            return self.server(status, headers, exc_info)
        self.sent = True
        return self.server(status, headers)

    def may_replace(self) -> bool:
        """Whether a problem can be sent in place of what the server was given.

        A server that refused headers breaking the rules every server checks
        may hold part of them (gunicorn keeps the headers before the bad one);
        a second ``start_response`` would mix them into the problem response,
        so the server is left to answer with its own error page.
        """
        return not self.refused or servable_headers(self.headers)


def send_problem(
    response: ProblemResponse,
    environ: WSGIEnvironment,
    start: HeldStart,
    exc_info: OptExcInfo | None,
    *,
    kept: Iterable[tuple[str, str]] = (),
    status_line: str | None = None,
) -> list[bytes]:
    """Start *response* (with *kept* headers after its own) and return its body.

    If the server has the application's headers already, it gets
    ``exc_info`` and re-raises it if they are on the wire (PEP 3333).
    """
    headers = [*response.headers, *kept, ("Content-Length", str(len(response.body)))]
    start.send(status_line or response.status_line, headers, exc_info)
    return [] if environ.get("REQUEST_METHOD") == "HEAD" else [response.body]


# What PEP 3333 and servers accept: a status starting with a three-digit
# code, token names, and values of latin-1 text without control characters.
_CODE = re.compile(r"[0-9]{3}(?= |\Z)")
_SERVED_VALUE = re.compile(r"[\t\x20-\x7e\x80-\xff]*")
_LENGTH = re.compile(r"[0-9]+")


def has_code(status: str) -> bool:
    """Return whether *status* starts with a three-digit code (and a space, if more follows)."""
    return _CODE.match(status) is not None


def malformed(status: object, headers: object) -> str | None:
    """Say what makes *status* and *headers* no WSGI response, or return None.

    A status is a ``str`` starting with a three-digit code; headers are a
    list of ``(name, value)`` tuples of strings. The text says what is wrong
    without any of the values: they may carry secrets.
    """
    if not isinstance(status, str):
        return f"the status is a {type(status).__name__}, not a str"
    if not has_code(status):
        return "the status does not start with a three-digit code"
    if not isinstance(headers, list):
        return f"the headers are a {type(headers).__name__}, not a list of (name, value) tuples"
    for index, header in enumerate(cast("list[object]", headers)):
        if not _is_pair(header):
            return f"header {index} is not a (name, value) tuple of strings"
    return None


def _is_pair(header: object) -> TypeGuard[tuple[str, str]]:
    if not isinstance(header, tuple):
        return False
    items = cast("tuple[object, ...]", header)
    return len(items) == 2 and isinstance(items[0], str) and isinstance(items[1], str)  # noqa: PLR2004 - a pair


def servable_headers(headers: object) -> bool:
    """Return whether every server takes *headers* as they are (gunicorn's rules, PEP 3333's)."""
    if not isinstance(headers, list):
        return False
    for header in cast("list[object]", headers):
        if not _is_pair(header):
            return False
        name, value = header
        if not HEADER_NAME.fullmatch(name) or not _SERVED_VALUE.fullmatch(value):
            return False
        if name.lower() == "content-length" and not _LENGTH.fullmatch(value.strip(" \t")):
            return False
    return True


def log_failure(
    handler: ProblemHandler,
    level: int,
    what: str,
    environ: WSGIEnvironment,
    error: BaseException,
    *,
    status: int | None = None,
    flow_id: str | None = None,
) -> None:
    """Log *what* went wrong with the request of *environ*, with *error*; never raises.

    The core's `ProblemHandler.log_failure`, with the request's facts from
    *environ*; the flow id is *flow_id*, or the request's.
    """
    # A malformed environ must not keep the failure from being logged.
    try:
        info = request_info(environ)
    except Exception:  # noqa: BLE001
        info = None
    handler.log_failure(what, error, info, status=status, level=level, flow_id=flow_id)


def close(handler: ProblemHandler, iterable: object, environ: WSGIEnvironment, what: str) -> None:
    """Close *iterable* if it can be closed; log a failure as a warning. Never raises."""
    try:
        closer = getattr(iterable, "close", None)
        if closer is not None:
            closer()
    except Exception as error:  # noqa: BLE001 - the response is sent regardless
        log_failure(handler, logging.WARNING, what, environ, error)
