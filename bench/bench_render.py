"""Rendering a problem to bytes, against a hand-written ``json.dumps`` in the same run.

Run from the repository root with the project's environment::

    .venv/bin/python bench/bench_render.py

Comparisons, each reported with the ratio to its baseline:

- ``render``: the public path, ``ProblemHandler.render(problem)``, which also
  picks the flow id, negotiates the media type, checks headers, reports and
  builds the response; the baseline builds the same dict by hand, makes a flow id
  with ``uuid.uuid4().hex`` and encodes it with plain ``json.dumps``.
- ``render/id``: the same, with the baseline making its flow id the way the
  library does (``os.urandom(16).hex()``), so only the rest of the work differs.
- ``dict+json``: the lower-level step (``problem_to_dict`` then the standard
  encoder) against the hand-written dict and ``json.dumps`` alone.
- ``to_json (orjson extra)``: with orjson installed, encoding the same
  members, against ``json.dumps`` of them. Aim: 0.5x or less.
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

from _common import ACCOUNTS, DETAIL, OutOfCredit, Row, report

from problemdetails import ProblemHandler, ProblemResponse
from problemdetails import _render as render_module
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


def compare(
    case: str, ours: Callable[[], object], baseline: Callable[[], object], aim: float | None
) -> Row:
    """Time *ours* against *baseline*; the row holds the minima and their ratio.

    The two run in alternation, REPEAT rounds of NUMBER calls each, so that a
    busy machine slows both alike.
    """
    ours_runs: list[float] = []
    base_runs: list[float] = []
    for _ in range(REPEAT):
        ours_runs.append(timeit.timeit(ours, number=NUMBER) / NUMBER * 1e6)
        base_runs.append(timeit.timeit(baseline, number=NUMBER) / NUMBER * 1e6)
    return Row(
        bench="render",
        case=case,
        ours=min(ours_runs),
        base=min(base_runs),
        ratio=min(ours_runs) / min(base_runs),
        aim=aim,
        median_ratio=statistics.median(ours_runs) / statistics.median(base_runs),
    )


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
    members = problem_to_dict(PROBLEM, flow_id=FLOW_ID)
    standard = render_module._stdlib_json  # noqa: SLF001 - the standard encoder on its own
    fast = render_module._orjson_backend()  # noqa: SLF001
    encoder = "orjson" if fast is not None else "json"
    rows = [
        compare(
            f"render ({encoder}) vs dict, uuid4 id, json.dumps",
            lambda: handler.render(PROBLEM),
            lambda: hand_render(PROBLEM),
            None,
        ),
        compare(
            f"render ({encoder}) vs dict, urandom id, json.dumps",
            lambda: handler.render(PROBLEM),
            lambda: hand_render(PROBLEM, lambda: os.urandom(16).hex()),
            1.3,
        ),
        compare(
            "dict+json (standard encoder) vs dict, json.dumps",
            lambda: standard(problem_to_dict(PROBLEM, flow_id=FLOW_ID)),
            lambda: hand_json(PROBLEM, FLOW_ID),
            1.3,
        ),
    ]
    if fast is not None:
        rows.append(
            compare(
                "to_json (orjson extra) vs json.dumps",
                lambda: fast(members),
                lambda: json.dumps(members),
                0.5,
            )
        )
    report(rows, f"Python {sys.version.split()[0]}, best of {REPEAT} x {NUMBER:,} calls")
    return 0


if __name__ == "__main__":
    sys.exit(main())
