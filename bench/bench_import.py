"""What ``import problemdetails`` costs, against importing its own dependencies.

Each case is a fresh interpreter (``python -X importtime`` is not used: its
own bookkeeping skews small imports); the cases alternate, and the minimum of
the rounds is kept. The baseline is ``import attrs, cattrs``: the library
cannot cost less than what it is built on.

    .venv/bin/python bench/bench_import.py --rounds 15
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

CASES = {
    "bare interpreter": "pass",
    "attrs, cattrs (baseline)": "import attrs, cattrs",
    "problemdetails": "import problemdetails",
    "problemdetails.client": "import problemdetails.client",
}


# Installed packages come with their bytecode; the library must too, or it
# would pay for compiling its sources in every run.
_ENV = {name: value for name, value in os.environ.items() if name != "PYTHONDONTWRITEBYTECODE"}


def _seconds(statement: str) -> float:
    begin = time.perf_counter()
    subprocess.run([sys.executable, "-c", statement], check=True, env=_ENV)
    return time.perf_counter() - begin


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    rounds = parser.parse_args().rounds
    best = dict.fromkeys(CASES, float("inf"))
    for statement in CASES.values():  # writes the bytecode caches
        _seconds(statement)
    for _ in range(rounds):
        for name, statement in CASES.items():
            best[name] = min(best[name], _seconds(statement))
    bare = best["bare interpreter"]
    base = best["attrs, cattrs (baseline)"] - bare
    print(f"Python {platform.python_version()} on {platform.machine()}, {rounds} rounds, min")
    for name, seconds in best.items():
        cost = seconds - bare
        ratio = f"{cost / base:5.2f}x" if name != "bare interpreter" else "     "
        print(f"{name:28s} {seconds * 1000:7.1f} ms  (+{cost * 1000:6.1f} ms)  {ratio}")


if __name__ == "__main__":
    main()
