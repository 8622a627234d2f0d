"""``examples/flask_app.py`` written without the library: the baseline of ``bench/load.py``.

The same routes answer with the same statuses and problem documents (the same
members, values and order), the way a Flask developer writes it by hand:
``@app.errorhandler`` functions that build the document with ``json.dumps``
and answer with ``app.response_class(..., mimetype="application/problem+json")``,
or with ``application/problem+xml`` when the client asks for it. The flow id
is the ``X-Flow-ID`` request header when there is one, else
``uuid.uuid4().hex``; it is sent back as that header and as the ``flow_id``
member, as ``bench/load.py`` checks. Unexpected errors are logged with their
traceback and answered with fixed text.

Run it from ``bench/twins``::

    gunicorn flask_twin:app
"""

from __future__ import annotations

import json
import uuid
from http import HTTPStatus
from typing import Any
from xml.sax.saxutils import escape

from flask import Flask, Response, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed

JSON = "application/problem+json"
XML = "application/problem+xml"
BOOKS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "title": "Structure and Interpretation of Computer Programs", "price": 50},
    2: {"id": 2, "title": "The Little Schemer", "price": 25},
}
BALANCES = {"12345": 30}

app = Flask(__name__)


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


def to_xml(value: Any) -> str:
    """The RFC 9457 appendix's XML form of a member's value."""
    if isinstance(value, dict):
        return "".join(f"<{key}>{to_xml(item)}</{key}>" for key, item in value.items())
    if isinstance(value, list):
        return "".join(f"<i>{to_xml(item)}</i>" for item in value)
    return escape(str(value))


def problem(
    status: int,
    type: str = "about:blank",  # noqa: A002 - the member's name
    title: str | None = None,
    *,
    detail: str | None = None,
    headers: dict[str, str] | None = None,
    **extensions: Any,
) -> Response:
    """A problem response for the current request."""
    flow_id = request.headers.get("X-Flow-ID") or uuid.uuid4().hex
    document: dict[str, Any] = {
        "type": type,
        "title": title or HTTPStatus(status).phrase,
        "status": status,
    }
    if detail is not None:
        document["detail"] = detail
    document["flow_id"] = flow_id
    document.update(extensions)
    if request.accept_mimetypes.best_match([JSON, XML]) == XML:
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<problem xmlns="urn:ietf:rfc:7807">{to_xml(document)}</problem>'
        )
        mimetype = XML
    else:
        body, mimetype = json.dumps(document, separators=(",", ":")), JSON
    response = app.response_class(body, status=status, content_type=mimetype)
    response.headers.update(headers or {})
    response.headers["Vary"] = "Accept"
    response.headers["X-Flow-ID"] = flow_id
    return response


@app.errorhandler(APIError)
def api_error(error: APIError) -> Response:
    return problem(error.status, error.type, error.title, **error.members)


@app.errorhandler(HTTPException)
def http_error(error: HTTPException) -> Response:
    headers = {}
    if isinstance(error, MethodNotAllowed) and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    return problem(error.code or 500, headers=headers)


@app.errorhandler(TimeoutError)
def busy(error: TimeoutError) -> Response:
    return problem(
        503,
        detail="Reports are being rebuilt; try again soon.",
        headers={"Retry-After": "30"},
        retry_after=30,
    )


@app.errorhandler(Exception)
def unexpected(error: Exception) -> Response:
    response = problem(
        500,
        detail="The server encountered an unexpected condition that prevented it from"
        " fulfilling the request.",
    )
    app.logger.error("unexpected error (flow id %s)", response.headers["X-Flow-ID"], exc_info=error)
    return response


def book_not_found(book_id: Any, detail: str | None = None) -> APIError:
    return APIError(
        404,
        "https://bookshop.example/problems/book-not-found",
        "There is no such book.",
        **({} if detail is None else {"detail": detail}),
        book_id=book_id,
    )


@app.get("/books/<int:book_id>")
def get_book(book_id: int) -> dict[str, Any]:
    if book_id not in BOOKS:
        raise book_not_found(book_id, f"Book {book_id} is not in the catalogue.")
    return BOOKS[book_id]


@app.post("/books")
def add_book() -> tuple[dict[str, Any], int]:
    data = request.get_json()  # a malformed body is a 400, a wrong type a 415
    if not isinstance(data, dict):
        raise APIError(
            422,
            "urn:problemdetails:validation-error",
            "Your request is not valid.",
            errors=[{"detail": "must be an object", "pointer": "#"}],
        )
    errors = []
    if not isinstance(data.get("title"), str) or not data["title"]:
        errors.append({"detail": "must be a non-empty string", "pointer": "#/title"})
    if not isinstance(data.get("price"), int) or data["price"] < 0:
        errors.append({"detail": "must be a whole number >= 0", "pointer": "#/price"})
    if errors:
        raise APIError(
            422, "urn:problemdetails:validation-error", "Your request is not valid.", errors=errors
        )
    book = {"id": max(BOOKS) + 1, "title": data["title"], "price": data["price"]}
    BOOKS[book["id"]] = book
    return book, 201


@app.post("/accounts/<account>/purchases")
def purchase(account: str) -> dict[str, Any]:
    if account not in BALANCES:
        raise APIError(404, detail=f"No account {account}.", account=account)
    book_id = request.get_json().get("book")
    if book_id not in BOOKS:
        raise book_not_found(book_id)
    book = BOOKS[book_id]
    balance = BALANCES[account]
    if balance < book["price"]:
        raise APIError(
            403,
            "https://bookshop.example/problems/out-of-credit",
            "You do not have enough credit.",
            detail=f"Your current balance is {balance}, but that costs {book['price']}.",
            balance=balance,
            accounts=[f"/accounts/{account}"],
        )
    BALANCES[account] = balance - book["price"]
    return {"bought": book["id"], "balance": BALANCES[account]}


@app.get("/reports")
def reports() -> str:
    raise TimeoutError("report backend did not answer within 5s")


@app.get("/crash")
def crash() -> str:
    raise RuntimeError("connection to db://admin:hunter2@10.0.0.5 refused")
