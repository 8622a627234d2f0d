"""The problem types the test project declares."""

from __future__ import annotations

from problemdetails import Problem


class OutOfCredit(
    Problem,
    type="https://testproject.example/problems/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    """RFC 9457's example problem."""

    balance: int
    accounts: list[str]
