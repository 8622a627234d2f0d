"""The consumer side: ``raise_for_problem`` against hand-written response checks, in one run.

Run from the repository root with the project's environment::

    .venv/bin/python bench/bench_client.py

Two cases on an httpx response (no network: the responses are built in memory):

- a problem response: a 403 problem document, against the ``json.loads`` and
  ``raise`` a consumer writes by hand (which keeps no type, no registered
  class, no group, no request facts and no limits); the aim is 3x or less;
- a 2xx: a 200, against ``response.raise_for_status()``, the line a consumer
  writes anyway; the aim is 0.3 us or less on top of it, given as the ratio
  (baseline + 0.3 us) / baseline.

The two sides run in alternation, ``--repeat`` rounds of ``--number`` calls,
timed in CPU time of this process (other processes on a shared machine do not
count); the minimum of each side is kept, and the ratio of the medians shown.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gc
import json
import platform
import sys
import time
from collections.abc import Callable

import httpx
from _common import ACCOUNTS, DETAIL, OutOfCredit, Row, interleaved, report

from problemdetails.client import ReceivedProblem, raise_for_problem

#: What the 2xx may cost on top of ``raise_for_status()``, in microseconds.
SUCCESS_ALLOWANCE_US = 0.3

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
    """The plainest check by hand: the status, the document, one exception."""
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


def per_call(function: Callable[[], None], number: int) -> float:
    """CPU microseconds per call of *function* over *number* calls (the collector on)."""
    begin = time.process_time()
    for _ in range(number):
        function()
    return (time.process_time() - begin) / number * 1e6


def compare(
    case: str,
    ours: Callable[[], None],
    baseline: Callable[[], None],
    *,
    repeat: int,
    number: int,
    aim: float | None = None,
    plus_us: float | None = None,
) -> Row:
    """Time *ours* against *baseline*, interleaved (*plus_us*: an aim in us over it)."""
    return interleaved(
        "client",
        case,
        functools.partial(per_call, ours),
        functools.partial(per_call, baseline),
        repeat=repeat,
        number=number,
        aim=aim,
        plus=plus_us,
        scale=1,
    )


def main(argv: list[str] | None = None) -> int:
    """Check the problem is read as its class, then time both cases."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=40, help="rounds (best is kept)")
    parser.add_argument("--number", type=int, default=5_000, help="calls per round")
    args = parser.parse_args(argv)
    try:
        raise_for_problem(PROBLEM)
    except OutOfCredit as problem:
        if problem.balance != 30 or problem.accounts != ACCOUNTS:
            print(f"read wrongly: {problem!r}")
            return 1
    gc.collect()
    rows = [
        compare(
            "raise_for_problem: problem response",
            ours_problem,
            hand_problem,
            repeat=args.repeat,
            number=args.number,
            aim=3.0,
        ),
        compare(
            f"raise_for_problem: 2xx, aim +{SUCCESS_ALLOWANCE_US} us",
            ours_ok,
            hand_ok,
            repeat=args.repeat,
            number=args.number,
            plus_us=SUCCESS_ALLOWANCE_US,
        ),
    ]
    report(
        rows,
        title=(
            f"Python {platform.python_version()} on {platform.machine()}, "
            f"{args.repeat} interleaved rounds x {args.number:,} calls, min (CPU time); "
            "baselines: json.loads + raise, response.raise_for_status()"
        ),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
