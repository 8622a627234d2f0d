"""The consumer side: ``raise_for_problem`` against hand-written response checks, in one run.

Two cases on an httpx response (no network: the responses are built in memory):

- success: a 200, against ``response.raise_for_status()``;
- error: a 403 problem document, against the ``json.loads`` and ``raise`` a
  consumer writes by hand (which keeps no type, no registered class, no group,
  no request facts and no limits).

Prints the best time of each and the ratio.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import timeit
from collections.abc import Callable

import httpx
from _common import ACCOUNTS, DETAIL, OutOfCredit

from problemdetails.client import ReceivedProblem, raise_for_problem

REQUEST = httpx.Request("GET", "https://api.example.com/accounts/12345/purchases")
OK = httpx.Response(200, json={"ok": True}, request=REQUEST)
BODY = json.dumps(
    {
        "type": OutOfCredit.__problem_type__,
        "title": OutOfCredit.__problem_title__,
        "status": 403,
        "detail": DETAIL,
        "flow_id": "4b0f6dbb2f2a4cf0a62a0b7f3c0e1e7d",
        "balance": 30,
        "accounts": ACCOUNTS,
    }
).encode()
PROBLEM = httpx.Response(
    403, headers={"Content-Type": "application/problem+json"}, content=BODY, request=REQUEST
)


class HandError(Exception):
    """What a consumer raises by hand for an error response."""


def hand_ok() -> None:
    OK.raise_for_status()


def hand_raise_for_problem(response: httpx.Response) -> None:
    if response.status_code >= 400:
        members = json.loads(response.content)
        raise HandError(members.get("type"), members.get("title"), members.get("balance"))


def hand_problem() -> None:
    with contextlib.suppress(HandError):
        hand_raise_for_problem(PROBLEM)


def ours_ok() -> None:
    raise_for_problem(OK)


def ours_problem() -> None:
    with contextlib.suppress(ReceivedProblem):
        raise_for_problem(PROBLEM)


def best(function: Callable[[], None], repeat: int, number: int) -> float:
    """Best microseconds per call over *repeat* rounds of *number* calls."""
    return min(timeit.repeat(function, number=number, repeat=repeat)) / number * 1e6


def main(argv: list[str] | None = None) -> int:
    """Check the problem is read as its class, then time both cases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=7, help="rounds (best is kept)")
    parser.add_argument("--number", type=int, default=20_000, help="calls per round")
    args = parser.parse_args(argv)
    try:
        raise_for_problem(PROBLEM)
    except OutOfCredit as problem:
        if problem.balance != 30 or problem.accounts != ACCOUNTS:
            print(f"read wrongly: {problem!r}")
            return 1
    print(f"Python {sys.version.split()[0]}, best of {args.repeat} x {args.number:,} calls")
    for name, ours, theirs in (
        ("success", ours_ok, hand_ok),
        ("error", ours_problem, hand_problem),
    ):
        mine = best(ours, args.repeat, args.number)
        hand = best(theirs, args.repeat, args.number)
        print(
            f"{name:<8} raise_for_problem {mine:7.2f} us   hand-written {hand:7.2f} us   "
            f"ratio {mine / hand:.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
