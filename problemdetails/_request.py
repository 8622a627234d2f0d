"""Request facts: what the pipeline, reporting and hooks read of a failing request.

It sits below every stage that uses it (configuration, reporting, the
pipeline), so none of them reaches up to another for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

import attrs


class HeaderLookup(Protocol):
    """Read access to request headers; case-insensitive in every framework."""

    def get(self, key: str, /) -> str | None:
        """Return the value of header *key*, or None."""
        ...


def _no_headers() -> Mapping[str, str]:
    return {}


@attrs.frozen(kw_only=True)
class RequestInfo:
    """The facts about a request that the pipeline and reporting hooks use.

    Adapters build it only when a request fails.

    Attributes:
        method: the HTTP method.
        url: the full request URL.
        path: the request path (percent-encoded, as sent).
        headers: the request headers, looked up case-insensitively.
        native: the framework's own request object, when an adapter has one.
            Log records carry it as ``request``, where a framework's log
            handlers look for it (Django's ``AdminEmailHandler`` does).
    """

    method: str | None = None
    url: str | None = None
    path: str | None = None
    headers: HeaderLookup = attrs.field(factory=_no_headers)
    native: object = attrs.field(default=None, repr=False)
