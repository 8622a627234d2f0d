"""A Flask app with the extension, served by gunicorn in the end-to-end tests."""

from __future__ import annotations

from flask import Flask

from problemdetails import Problem
from problemdetails.adapters.flask import ProblemDetails, abort


class OutOfCredit(
    Problem,
    type="https://example.com/probs/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    balance: int
    accounts: list[str]


app = Flask(__name__)
ProblemDetails(app)


@app.get("/ok")
def ok() -> dict[str, bool]:
    return {"ok": True}


@app.get("/credit")
def credit() -> str:
    raise OutOfCredit(balance=30, accounts=["/account/12345"], detail="Your balance is 30.")


@app.get("/books/<int:book_id>")
def book(book_id: int) -> str:
    abort(404, detail=f"No book {book_id}.", book_id=book_id)


@app.get("/boom")
def boom() -> str:
    raise RuntimeError("database password is hunter2")
