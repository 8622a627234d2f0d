"""What ``import problemdetails`` costs, against importing its own dependencies.

Each case is a fresh interpreter (``python -X importtime`` is not used: its
own bookkeeping skews small imports); the cases alternate, and the minimum of
the rounds is kept. The baseline is ``import attrs, cattrs``: the library
cannot cost less than what it is built on. Every figure is the time over a
bare interpreter's.

    .venv/bin/python bench/bench_import.py --rounds 15

Prints each case's figures, then one `Row` per library import (aims: 1.2x for
the core, 1.3x for the client side), through ``_common.report``.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import time

from _common import Row, report

BARE = "bare interpreter"
BASELINE = "attrs, cattrs (baseline)"
CASES = {
    BARE: "pass",
    BASELINE: "import attrs, cattrs",
    "problemdetails": "import problemdetails",
    "problemdetails.client": "import problemdetails.client",
}
#: The cases reported as rows, with the ratio each aims at.
AIMS = {"problemdetails": 1.2, "problemdetails.client": 1.3}


# Installed packages come with their bytecode; the library must too, or it
# would pay for compiling its sources in every run.
_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _seconds(statement: str) -> float:
    begin = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, env=_ENV)
    return time.perf_counter() - begin


def measure(rounds: int) -> dict[str, list[float]]:
    """Return each case's times in seconds, one per round, the cases interleaved."""
    for statement in CASES.values():  # writes the bytecode caches
        _seconds(statement)
    times: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(rounds):
        for name, statement in CASES.items():
            times[name].append(_seconds(statement))
    return times


def rows(times: dict[str, list[float]]) -> list[Row]:
    """One row per library import: its cost over a bare interpreter against the baseline's."""
    best = {name: min(values) for name, values in times.items()}
    middle = {name: statistics.median(values) for name, values in times.items()}
    base = best[BASELINE] - best[BARE]
    base_median = middle[BASELINE] - middle[BARE]
    result: list[Row] = []
    for name, aim in AIMS.items():
        ours = best[name] - best[BARE]
        result.append(
            Row(
                bench="import",
                case=f"import {name}",
                ours=ours * 1000,
                base=base * 1000,
                ratio=ours / base,
                aim=aim,
                unit="ms",
                median_ratio=(middle[name] - middle[BARE]) / base_median,
            )
        )
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    times = measure(rounds)
    best = {name: min(values) for name, values in times.items()}
    bare = best[BARE]
    base = best[BASELINE] - bare
    print(f"Python {platform.python_version()} on {platform.machine()}, {rounds} rounds, min")
    for name, seconds in best.items():
        cost = seconds - bare
        ratio = f"{cost / base:5.2f}x" if name != BARE else "     "
        print(f"{name:28s} {seconds * 1000:7.1f} ms  (+{cost * 1000:6.1f} ms)  {ratio}")
    print()
    report(rows(times), title="over a bare interpreter; baseline: import attrs, cattrs")


if __name__ == "__main__":
    main()
