"""The problem types of the example API."""

from __future__ import annotations

from problemdetails import Problem


class BookNotFound(
    Problem,
    type="https://library.example/problems/book-not-found",
    title="There is no such book.",
    status=404,
):
    """The book id in the URL names no book."""

    book_id: int


class LoanLimitReached(
    Problem,
    type="https://library.example/problems/loan-limit-reached",
    title="You have reached your loan limit.",
    status=409,
):
    """The member has as many books on loan as they may."""

    limit: int
    loans: list[str]
