"""Request facts: what the pipeline, reporting and hooks read of a failing request.

It sits below every stage that uses it (configuration, reporting, the
pipeline), so none of them reaches up to another for it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Protocol

import attrs


class HeaderLookup(Protocol):
    """Read access to request headers; case-insensitive in every framework."""

    def get(self, key: str, /) -> str | None:
        """Return the value of header *key*, or None."""
        ...


#: Works out a request's ``(url, path)`` when something first reads either.
UrlFacts = Callable[[], "tuple[str | None, str | None]"]


@functools.lru_cache(maxsize=64)  # names come from settings and hooks: few of them
def environ_key(name: str) -> str:
    """Return the WSGI environ (CGI) key of header *name*: ``X-Flow-ID`` -> ``HTTP_X_FLOW_ID``.

    For adapters that read headers straight from a WSGI environ or Django's
    ``request.META`` (the same keys, PEP 3333).
    """
    key = name.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"


def _no_headers() -> Mapping[str, str]:
    return {}


@attrs.frozen(kw_only=True, repr=False, eq=False)
class RequestInfo:
    """The facts about a request that the pipeline and reporting hooks use.

    Adapters build it only when a request fails. Working out the URL of a
    request costs more than the rest of the facts together, and most error
    responses never need it (only ``instance`` and hooks read it): an
    adapter may pass *url_facts* instead of *url* and *path*, and they are
    worked out when first read.

    Attributes:
        method: the HTTP method.
        url: the full request URL.
        path: the request path (percent-encoded, as sent).
        headers: the request headers, looked up case-insensitively.
        native: the framework's own request object, when an adapter has one.
            Log records carry it as ``request``, where a framework's log
            handlers look for it (Django's ``AdminEmailHandler`` does).
        url_facts: a callable returning ``(url, path)``, called when *url* or
            *path* is first read and was not given (once; or once more by a
            thread reading at the same moment). If it raises, both are None.
    """

    method: str | None = None
    _url: str | None = attrs.field(default=None, alias="url")
    _path: str | None = attrs.field(default=None, alias="path")
    headers: HeaderLookup = attrs.field(factory=_no_headers)
    native: object = attrs.field(default=None)
    url_facts: UrlFacts | None = attrs.field(default=None, eq=False)

    @property
    def url(self) -> str | None:
        """The full request URL (percent-encoded), or None if unknown."""
        if self._url is None and self.url_facts is not None:
            self._work_out()
        return self._url

    @property
    def path(self) -> str | None:
        """The request path (percent-encoded, as sent), or None if unknown."""
        if self._path is None and self.url_facts is not None:
            self._work_out()
        return self._path

    def _work_out(self) -> None:
        facts = self.url_facts
        if facts is None:
            return
        try:
            url, path = facts()
        except Exception:  # noqa: BLE001 - the error path cannot fail on a malformed request
            url = path = None
        # The facts first, then the callable cleared: a thread reading at the
        # same time works them out too, or finds them set; never neither.
        if self._url is None:
            object.__setattr__(self, "_url", url)
        if self._path is None:
            object.__setattr__(self, "_path", path)
        object.__setattr__(self, "url_facts", None)

    def _key(self) -> tuple[object, ...]:
        return (self.method, self.url, self.path, self.headers, self.native)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, RequestInfo) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        # Headers are often a dict: the hash leaves them (and native) out.
        return hash((self.method, self.url, self.path))

    def __repr__(self) -> str:
        return f"RequestInfo(method={self.method!r}, url={self.url!r}, path={self.path!r})"
