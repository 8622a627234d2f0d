"""``examples/wsgi_app.py`` written without the library: the baseline of ``bench/load.py``.

The same routes answer with the same statuses and problem documents (the same
members, values and order), the way a developer writes it by hand around a
bare WSGI app: a wrapper whose ``try``/``except`` turns the app's exceptions
into ``application/problem+json`` (or ``application/problem+xml`` when the
``Accept`` header names it) and which replaces the old HTML error pages with
problems too. The flow id is the ``X-Flow-ID`` request header when there is
one, else ``uuid.uuid4().hex``; it is sent back as that header and as the
``flow_id`` member, as ``bench/load.py`` checks. Unexpected errors are logged
with their traceback and answered with fixed text.

Run it from ``bench/twins``::

    gunicorn wsgi_twin:app
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any
from xml.sax.saxutils import escape

StartResponse = Callable[..., Callable[[bytes], object]]

ITEMS = {1: "teapot", 2: "kettle"}
logger = logging.getLogger(__name__)


class APIError(Exception):
    """An error the API answers with a problem document."""

    def __init__(
        self,
        status: int,
        type: str = "about:blank",  # noqa: A002 - the member's name
        title: str | None = None,
        **members: Any,
    ) -> None:
        super().__init__(title)
        self.status = status
        self.type = type
        self.title = title or HTTPStatus(status).phrase
        self.members = members


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path.startswith("/items/"):
        try:
            item_id = int(path.removeprefix("/items/"))
        except ValueError:
            raise APIError(400, detail="Item ids are whole numbers.") from None
        if item_id not in ITEMS:
            raise APIError(
                404,
                "https://shop.example/problems/item-not-found",
                "There is no such item.",
                item_id=item_id,
            )
        body = json.dumps({"id": item_id, "name": ITEMS[item_id]}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    if path == "/legacy":
        # An old part of the app that still answers with an HTML page.
        start_response("404 Not Found", [("Content-Type", "text/html")])
        return [b"<h1>Not here</h1>"]
    if path == "/crash":
        raise RuntimeError("connection to db://admin:hunter2@10.0.0.5 refused")
    raise APIError(404)


def to_xml(value: Any) -> str:
    """The RFC 9457 appendix's XML form of a member's value."""
    if isinstance(value, dict):
        return "".join(f"<{key}>{to_xml(item)}</{key}>" for key, item in value.items())
    if isinstance(value, list):
        return "".join(f"<i>{to_xml(item)}</i>" for item in value)
    return escape(str(value))


def problem(
    environ: dict[str, Any],
    start_response: StartResponse,
    flow_id: str,
    error: APIError,
) -> list[bytes]:
    """Answer with *error* as a problem document."""
    document: dict[str, Any] = {"type": error.type, "title": error.title, "status": error.status}
    members = dict(error.members)
    if "detail" in members:
        document["detail"] = members.pop("detail")
    document["flow_id"] = flow_id
    document.update(members)
    if "application/problem+xml" in environ.get("HTTP_ACCEPT", ""):
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<problem xmlns="urn:ietf:rfc:7807">{to_xml(document)}</problem>'
        ).encode()
        content_type = "application/problem+xml"
    else:
        body = json.dumps(document, separators=(",", ":")).encode()
        content_type = "application/problem+json"
    start_response(
        f"{error.status} {HTTPStatus(error.status).phrase}",
        [
            ("Content-Type", content_type),
            ("Vary", "Accept"),
            ("X-Flow-ID", flow_id),
            ("Content-Length", str(len(body))),
        ],
    )
    return [body]


def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    """The app, with its errors answered as problems."""
    flow_id = environ.get("HTTP_X_FLOW_ID") or uuid.uuid4().hex
    started: list[Any] = []

    def remember(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        started[:] = [status, headers]
        return start_response(status, headers, exc_info) if int(status[:3]) < 400 else None

    try:
        body = application(environ, remember)
    except APIError as error:
        return problem(environ, start_response, flow_id, error)
    except Exception:
        logger.exception("unexpected error (flow id %s)", flow_id)
        error = APIError(
            500,
            detail="The server encountered an unexpected condition that prevented it from"
            " fulfilling the request.",
        )
        return problem(environ, start_response, flow_id, error)
    status, headers = started
    if int(status[:3]) < 400:
        return body
    content_type = {name.lower(): value for name, value in headers}.get("content-type", "")
    if content_type.startswith(("application/problem+json", "application/problem+xml")):
        start_response(status, headers)
        return body
    # An error page that is not a problem: replace it.
    getattr(body, "close", lambda: None)()
    return problem(environ, start_response, flow_id, APIError(int(status[:3])))
