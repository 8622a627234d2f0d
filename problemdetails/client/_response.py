"""Read what the client side needs from any HTTP response object, duck-typed.

Supported without importing any of them: ``requests``, ``httpx`` (read or
unread, sync or async), ``urllib3``, werkzeug and Flask test responses, Django
(test) responses, and the core's own `ProblemResponse`. Every accessor here
swallows the failures of a foreign object's attributes: reading a response that
failed must not fail in turn.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, cast
from urllib.parse import urlsplit, urlunsplit

JSON_PROBLEM = "application/problem+json"
XML_PROBLEM = "application/problem+xml"
PROBLEM_MEDIA_TYPES = frozenset((JSON_PROBLEM, XML_PROBLEM))

#: Extension key under which the httpx retry transport records attempts.
HTTPX_ATTEMPTS_KEY = "problemdetails.attempts"

_CHUNK = 64 * 1024
_MAX_HEADERS = 128
_MAX_HEADER_VALUE = 8192


def attr(obj: object, name: str) -> Any:
    """Return ``obj.name``, or None when it is missing or its getter fails."""
    try:
        return getattr(obj, name, None)
    except Exception:  # noqa: BLE001 - e.g. httpx raises for an unset .request
        return None


def status_of(response: object) -> int | None:
    """Return the HTTP status of *response*, or None if it has none."""
    # werkzeug's ``status`` is the whole status line: ``status_code`` goes first.
    value = attr(response, "status_code")
    if type(value) is int:  # the common case, first
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    value = attr(response, "status")
    if isinstance(value, int) and not isinstance(value, bool):
        return int(value)
    return None


class Headers:
    """A bounded, case-insensitive copy of response headers."""

    __slots__ = ("_lookup", "items")

    def __init__(self, items: tuple[tuple[str, str], ...]) -> None:
        self.items = items
        # Built from the last pair to the first, so that the first value of a name wins.
        self._lookup = {name.lower(): value for name, value in reversed(items)}

    def get(self, name: str) -> str | None:
        """Return the first value of header *name*, or None."""
        return self._lookup.get(name.lower())


def _pairs(headers: object) -> Iterable[Any]:
    items = attr(headers, "items")
    if callable(items):
        return items()  # type: ignore[no-any-return]
    if isinstance(headers, (list, tuple)):
        return cast("Iterable[Any]", headers)
    return ()


def headers_of(response: object) -> Headers:
    """Return the headers of *response* (any header container, or pairs)."""
    collected: list[tuple[str, str]] = []
    try:
        for pair in _pairs(attr(response, "headers")):
            if len(collected) >= _MAX_HEADERS:
                break
            name, value = pair
            if type(name) is str and type(value) is str:  # the common case, first
                collected.append((name, value[:_MAX_HEADER_VALUE]))
                continue
            if isinstance(name, bytes):
                name = name.decode("latin-1")
            if isinstance(value, bytes):
                value = value.decode("latin-1")
            if isinstance(name, str) and isinstance(value, str):
                collected.append((name, value[:_MAX_HEADER_VALUE]))
    except Exception:  # noqa: BLE001, S110 - keep what was read before the container failed
        pass
    return Headers(tuple(collected))


def media_type(content_type: str | None) -> str | None:
    """Return the media type of a ``Content-Type`` value, lowercased, without parameters."""
    if not content_type:
        return None
    return content_type.split(";", 1)[0].strip().lower() or None


def charset(content_type: str | None) -> str | None:
    """Return the ``charset`` parameter of a ``Content-Type`` value, if any."""
    if not content_type:
        return None
    for param in content_type.split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip('"') or None
    return None


def _request_of(response: object) -> object:
    # Django's test responses carry the HttpRequest as wsgi_request and a dict as request.
    return attr(response, "wsgi_request") or attr(response, "request")


def method_of(response: object) -> str | None:
    """Return the method of the request *response* answers, when it is known."""
    request = _request_of(response)
    if isinstance(request, dict):
        method = cast("dict[str, Any]", request).get("REQUEST_METHOD")
    else:
        method = attr(request, "method")
    if isinstance(method, bytes):
        method = method.decode("ascii", "replace")
    return method.upper() if isinstance(method, str) and method else None


def _absolute_url(request: object) -> object:
    build = attr(request, "build_absolute_uri")
    if callable(build):
        try:
            return build()
        except Exception:  # noqa: BLE001 - e.g. Django's DisallowedHost
            return None
    return attr(request, "url")


def url_of(response: object) -> str | None:
    """Return the URL of the request *response* answers, without credentials."""
    url = attr(response, "url")
    if url is None or attr(response, "wsgi_request") is not None:
        url = _absolute_url(_request_of(response)) or url
    if url is None:
        geturl = attr(response, "geturl")
        url = geturl() if callable(geturl) else None
    if url is None:
        return None
    try:
        return strip_userinfo(str(url))
    except Exception:  # noqa: BLE001 - a URL object whose str() fails
        return None


def strip_userinfo(url: str) -> str | None:
    """Return *url* without ``user:password@``, or None if it is no URL at all."""
    if url.isascii() and "@" not in url and "[" not in url and "]" not in url:
        # No userinfo, and nothing urlsplit could refuse: for ASCII, it refuses
        # only unbalanced or invalid brackets in the host.
        return url
    try:
        parts = urlsplit(url)
        if "@" not in parts.netloc:
            return url
        host = parts.netloc.rpartition("@")[2]
        return urlunsplit(parts._replace(netloc=host))
    except ValueError:
        return None


def attempts_of(response: object) -> int | None:
    """Return how many attempts a retrying transport made for *response*, if known."""
    extensions = attr(response, "extensions")
    if isinstance(extensions, dict):
        attempts = cast("dict[str, Any]", extensions).get(HTTPX_ATTEMPTS_KEY)
        if isinstance(attempts, int) and attempts >= 1:
            return attempts
    # urllib3 (and requests through response.raw) keep the Retry of the last try.
    retries = attr(response, "retries") or attr(attr(response, "raw"), "retries")
    history = attr(retries, "history")
    if isinstance(history, tuple):
        entries = tuple(cast("Iterable[Any]", history))
        return 1 + sum(1 for entry in entries if attr(entry, "redirect_location") is None)
    return None


def _bounded(chunks: Iterator[Any], limit: int) -> bytes:
    body = bytearray()
    for chunk in chunks:
        if isinstance(chunk, (bytes, bytearray, memoryview)):
            body += chunk
        if len(body) > limit:
            break
    return bytes(body[: limit + 1])


def _close(response: object) -> None:
    close = attr(response, "close")
    if callable(close):
        with contextlib.suppress(Exception):  # closing is a courtesy here
            close()


def _is_async_only(response: object) -> bool:
    stream = attr(response, "stream")
    return hasattr(stream, "__aiter__") and not hasattr(stream, "__iter__")


def read_body(response: object, limit: int) -> bytes:
    """Return the body of *response*, at most ``limit + 1`` bytes of it.

    A streamed body is read only that far, then the response is closed, so an
    oversized error body never lands in memory whole.

    Raises:
        TypeError: *response* is an unread httpx response of an async client;
            it must be read with the async functions.
    """
    iter_content: Callable[[int], Iterator[Any]] | None = attr(response, "iter_content")
    if callable(iter_content):  # requests: reuses .content when it was read already
        try:
            return _bounded(iter_content(_CHUNK), limit)
        except Exception:  # noqa: BLE001 - a dropped connection or a consumed stream
            return b""
        finally:
            _close(response)
    if callable(attr(response, "aiter_bytes")):  # httpx
        content = attr(response, "content")  # None while unread
        if isinstance(content, bytes):
            return content[: limit + 1]
        if _is_async_only(response):
            raise TypeError(
                "this httpx response comes from an AsyncClient and is not read yet; "
                "use the async functions (await araise_for_problem(response))"
            )
        try:
            return _bounded(response.iter_bytes(), limit)  # type: ignore[attr-defined]
        except Exception:  # noqa: BLE001 - a dropped connection or a consumed stream
            return b""
        finally:
            _close(response)
    return _stored_body(response, limit)


def _stored_body(response: object, limit: int) -> bytes:
    for name in ("content", "data", "body"):
        value = attr(response, name)
        if isinstance(value, (bytes, bytearray)):
            return bytes(value[: limit + 1])
    for name in ("get_data", "getvalue"):  # werkzeug; Django's streaming responses
        method = attr(response, name)
        if callable(method):
            try:
                value = method()
            except Exception:  # noqa: BLE001, S112 - try the next way to get the body
                continue
            if isinstance(value, (bytes, bytearray)):
                return bytes(value[: limit + 1])
    return b""


async def aread_body(response: object, limit: int) -> bytes:
    """Like `read_body`, reading an unread httpx response of an async client."""
    aiter_bytes: Callable[[], AsyncIterator[Any]] | None = attr(response, "aiter_bytes")
    if callable(aiter_bytes) and not isinstance(attr(response, "content"), bytes):
        body = bytearray()
        try:
            async for chunk in aiter_bytes():
                body += chunk
                if len(body) > limit:
                    break
        except Exception:  # noqa: BLE001 - a dropped connection or a consumed stream
            return bytes(body[: limit + 1])
        finally:
            aclose = attr(response, "aclose")
            if callable(aclose):
                with contextlib.suppress(Exception):  # closing is a courtesy here
                    await cast("Callable[[], Awaitable[object]]", aclose)()
        return bytes(body[: limit + 1])
    return read_body(response, limit)
