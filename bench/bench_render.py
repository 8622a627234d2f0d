"""Rendering a problem to bytes, against a hand-written ``json.dumps`` in the same run.

Run from the repository root with the project's environment::

    .venv/bin/python bench/bench_render.py

Two comparisons, each printed with the ratio to its baseline (the aim is 1.3x or less):

- ``render``: the public path, ``ProblemHandler.render(problem)``, which also
  picks the flow id, negotiates the media type, checks headers, reports and
  builds the response; the baseline builds the same dict by hand, makes a flow id
  with ``uuid.uuid4().hex`` and encodes it with plain ``json.dumps``.
- ``render/id``: the same, with the baseline making its flow id the way the
  library does (``os.urandom(16).hex()``), so only the rest of the work differs.
- ``dict+json``: the lower-level step (``problem_to_dict`` then ``to_json``)
  against the hand-written dict and ``json.dumps`` alone.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import sys
import timeit
import uuid
from collections.abc import Callable
from typing import Any

from _common import ACCOUNTS, DETAIL, OutOfCredit

from problemdetails import ProblemHandler, ProblemResponse
from problemdetails._render import problem_to_dict, to_json

REPEAT = 15
NUMBER = 20_000


PROBLEM = OutOfCredit(
    balance=30,
    accounts=ACCOUNTS,
    detail=DETAIL,
    instance="/account/12345/msgs/abc",
)
FLOW_ID = "4b0f6dbb2f2a4cf0a62a0b7f3c0e1e7d"


def hand_dict(problem: OutOfCredit, flow_id: str) -> dict[str, Any]:
    """The dict a developer would write for this one problem type."""
    return {
        "type": problem.type,
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
        "instance": problem.instance,
        "flow_id": flow_id,
        "balance": problem.balance,
        "accounts": problem.accounts,
    }


def hand_json(problem: OutOfCredit, flow_id: str) -> bytes:
    """The hand-written body: the dict above through plain ``json.dumps``.

    Plain ``json.dumps`` (its cached default encoder) is the fastest spelling;
    its output differs from ours only by the spaces after separators.
    """
    return json.dumps(hand_dict(problem, flow_id)).encode("ascii")


def same_document(ours: bytes, theirs: bytes) -> bool:
    """Return whether two bodies hold the same members in the same order."""
    return list(json.loads(ours).items()) == list(json.loads(theirs).items())


def hand_render(
    problem: OutOfCredit, new_id: Callable[[], str] = lambda: uuid.uuid4().hex
) -> ProblemResponse:
    """The hand-written response: a new flow id, the body and the two headers."""
    flow_id = new_id()
    body = hand_json(problem, flow_id)
    headers = (("Content-Type", "application/problem+json"), ("X-Flow-ID", flow_id))
    return ProblemResponse(problem.status, headers, body)


def compare(name: str, ours: Callable[[], object], baseline: Callable[[], object]) -> float:
    """Time *ours* against *baseline*, print both and the ratio of the minima, return it.

    The two run in alternation, REPEAT rounds of NUMBER calls each, so that a
    busy machine slows both alike.
    """
    ours_runs: list[float] = []
    base_runs: list[float] = []
    for _ in range(REPEAT):
        ours_runs.append(timeit.timeit(ours, number=NUMBER) / NUMBER * 1e6)
        base_runs.append(timeit.timeit(baseline, number=NUMBER) / NUMBER * 1e6)
    ratio = min(ours_runs) / min(base_runs)
    print(
        f"{name:<10} problemdetails {min(ours_runs):6.2f} us "
        f"(median {statistics.median(ours_runs):6.2f})   "
        f"hand-written {min(base_runs):6.2f} us (median {statistics.median(base_runs):6.2f})   "
        f"ratio {ratio:.2f}x"
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    """Check that both paths give the same bytes, then time them."""
    global REPEAT, NUMBER
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=REPEAT, help="rounds (best is kept)")
    parser.add_argument("--number", type=int, default=NUMBER, help="calls per round")
    args = parser.parse_args(argv)
    REPEAT, NUMBER = args.repeat, args.number
    # A 4xx is logged at DEBUG: keep the logger at its default level, as in production.
    logging.getLogger("problemdetails").setLevel(logging.WARNING)
    handler = ProblemHandler()
    response = handler.render(PROBLEM)
    flow_id = dict(response.headers)["X-Flow-ID"]
    for ours, theirs in (
        (to_json(problem_to_dict(PROBLEM, flow_id=FLOW_ID)), hand_json(PROBLEM, FLOW_ID)),
        (response.body, hand_json(PROBLEM, flow_id)),
    ):
        if not same_document(ours, theirs):
            print(f"different documents:\n{ours!r}\n{theirs!r}")
            return 1
    print(f"Python {sys.version.split()[0]}, best of {REPEAT} x {NUMBER:,} calls")
    compare("render", lambda: handler.render(PROBLEM), lambda: hand_render(PROBLEM))
    compare(
        "render/id",
        lambda: handler.render(PROBLEM),
        lambda: hand_render(PROBLEM, lambda: os.urandom(16).hex()),
    )
    compare(
        "dict+json",
        lambda: to_json(problem_to_dict(PROBLEM, flow_id=FLOW_ID)),
        lambda: hand_json(PROBLEM, FLOW_ID),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
