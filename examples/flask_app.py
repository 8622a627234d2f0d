"""A small Flask bookshop API whose every error is an RFC 9457 problem.

Run it from this folder::

    flask --app flask_app run
    gunicorn flask_app:app

Then try::

    curl -i localhost:5000/books/1
    curl -i localhost:5000/books/99                       # 404 from a declared problem
    curl -i -X POST localhost:5000/books -H 'Content-Type: application/json' -d '{"title": ""}'
    curl -i -X POST localhost:5000/accounts/12345/purchases -H 'Content-Type: application/json' \\
        -d '{"book": 1}'                                  # 403 out of credit
    curl -i localhost:5000/nowhere                        # 404 from routing
    curl -i -X DELETE localhost:5000/books/1              # 405 with Allow
    curl -i localhost:5000/reports                        # 503 with Retry-After
    curl -i localhost:5000/crash                          # the generic 500: nothing leaks
    curl -i -H 'Accept: application/problem+xml' localhost:5000/books/99
"""

from __future__ import annotations

from typing import Any

from flask import Flask, request

from problemdetails import FieldError, Problem, RetryAfterProblem, ValidationProblem, json_pointer
from problemdetails.adapters.flask import ProblemDetails, abort


class BookNotFound(
    Problem,
    type="https://bookshop.example/problems/book-not-found",
    title="There is no such book.",
    status=404,
):
    book_id: int


class OutOfCredit(
    Problem,
    type="https://bookshop.example/problems/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    balance: int
    accounts: list[str]


BOOKS: dict[int, dict[str, Any]] = {
    1: {"id": 1, "title": "Structure and Interpretation of Computer Programs", "price": 50},
    2: {"id": 2, "title": "The Little Schemer", "price": 25},
}
BALANCES = {"12345": 30}


def busy(error: TimeoutError) -> Problem:
    """Map a library's exception to a problem: here, a timed-out backend."""
    return RetryAfterProblem(retry_after=30, detail="Reports are being rebuilt; try again soon.")


app = Flask(__name__)
# Settings can equally come from app.config: PROBLEMDETAILS_MAPPINGS, PROBLEMDETAILS_DEBUG...
ProblemDetails(app, mappings={TimeoutError: busy})


@app.get("/books/<int:book_id>")
def get_book(book_id: int) -> dict[str, Any]:
    if book_id not in BOOKS:
        raise BookNotFound(book_id=book_id, detail=f"Book {book_id} is not in the catalogue.")
    return BOOKS[book_id]


@app.post("/books")
def add_book() -> tuple[dict[str, Any], int]:
    data = request.get_json()  # a malformed body is a 400 problem, a wrong type a 415
    if not isinstance(data, dict):
        raise ValidationProblem(errors=[FieldError(detail="must be an object", pointer="#")])
    errors = []
    if not isinstance(data.get("title"), str) or not data["title"]:
        errors.append(
            FieldError(detail="must be a non-empty string", pointer=json_pointer("title"))
        )
    if not isinstance(data.get("price"), int) or data["price"] < 0:
        errors.append(
            FieldError(detail="must be a whole number >= 0", pointer=json_pointer("price"))
        )
    if errors:
        raise ValidationProblem(errors=errors)
    book = {"id": max(BOOKS) + 1, "title": data["title"], "price": data["price"]}
    BOOKS[book["id"]] = book
    return book, 201


@app.post("/accounts/<account>/purchases")
def purchase(account: str) -> dict[str, Any]:
    if account not in BALANCES:
        abort(404, detail=f"No account {account}.", account=account)
    book_id = request.get_json().get("book")
    if book_id not in BOOKS:
        raise BookNotFound(book_id=book_id)
    book = BOOKS[book_id]
    balance = BALANCES[account]
    if balance < book["price"]:
        raise OutOfCredit(
            balance=balance,
            accounts=[f"/accounts/{account}"],
            detail=f"Your current balance is {balance}, but that costs {book['price']}.",
        )
    BALANCES[account] = balance - book["price"]
    return {"bought": book["id"], "balance": BALANCES[account]}


@app.get("/reports")
def reports() -> str:
    raise TimeoutError("report backend did not answer within 5s")  # mapped above


@app.get("/crash")
def crash() -> str:
    raise RuntimeError("connection to db://admin:hunter2@10.0.0.5 refused")


if __name__ == "__main__":
    app.run()
