"""Run every benchmark and print all their comparisons as one table.

Run from the repository root with the project's environment::

    .venv/bin/python bench/run_all.py            # the full run (several minutes)
    .venv/bin/python bench/run_all.py --quick    # fewer rounds and calls: a smoke run
    .venv/bin/nox -s bench -- --quick            # the same, in a fresh environment

Every ``bench/bench_*.py`` script runs in a subprocess of its own (``load.py``
is a load test, not a comparison, and is left out), with
``PROBLEMDETAILS_BENCH_RESULTS`` naming a file to which its ``report()`` call
appends its rows. Then one table of all rows is printed, under the machine
(processor, cores, Python, platform) and the date, and a last line counts the
aims met and missed.

``--quick`` passes smaller ``--repeat``/``--number``/``--rounds`` values to
the scripts that take them (each script's ``--help`` says which it takes); a
script that takes none runs as it is. Quick figures are noisy: for the
figures to keep, run the full set on an otherwise idle machine.

The exit status is 0 when every script ran, even if aims are missed (this is
a report, not a test), and 1 when a script failed; its output is printed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from dataclasses import fields
from datetime import datetime, timezone
from pathlib import Path

from _common import RESULTS_ENV, Row, format_table

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent

#: What ``--quick`` passes, per option a script takes: rounds for all, calls
#: per round by script (each script's default calls differ by far).
QUICK_ROUNDS = "3"
QUICK_NUMBER = {
    "bench_client.py": "2000",
    "bench_django.py": "200",
    "bench_flask.py": "300",
    "bench_render.py": "2000",
    "bench_scale.py": "500",
}
_OPTION = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")


def scripts(only: list[str]) -> list[Path]:
    """The benchmark scripts, by name, those whose name contains one of *only* if given."""
    found = sorted(BENCH.glob("bench_*.py"))
    return [path for path in found if not only or any(part in path.name for part in only)]


def options(script: Path) -> set[str]:
    """The options *script* takes, read from its ``--help``; none if that fails."""
    result = subprocess.run(
        [sys.executable, str(script), "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return set(_OPTION.findall(result.stdout)) if result.returncode == 0 else set()


def quick_arguments(script: Path) -> list[str]:
    """The arguments that make *script* run briefly, among those it takes."""
    taken = options(script)
    arguments: list[str] = []
    for option in ("--repeat", "--rounds"):
        if option in taken:
            arguments += [option, QUICK_ROUNDS]
    number = QUICK_NUMBER.get(script.name)
    if number is not None and "--number" in taken:
        arguments += ["--number", number]
    return arguments


def read_rows(path: Path) -> list[Row]:
    """The rows a script appended to *path* (JSON lines); none if it wrote nothing."""
    if not path.exists():
        return []
    known = {field.name for field in fields(Row)}
    rows = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            rows.append(Row(**{key: value for key, value in record.items() if key in known}))
    return rows


def run(script: Path, arguments: list[str], results: Path) -> tuple[int, str, float]:
    """Run *script* with *arguments*, its rows going to *results*: status, output, seconds."""
    environment = {**os.environ, RESULTS_ENV: str(results)}
    begin = time.monotonic()
    result = subprocess.run(
        [sys.executable, str(script), *arguments],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr, time.monotonic() - begin


def processor() -> str:
    """The processor's model name, from /proc/cpuinfo where there is one."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text(encoding="utf-8", errors="replace").splitlines():
            key, _, value = line.partition(":")
            if key.strip() in {"model name", "Model", "Hardware"} and value.strip():
                return value.strip()
    return platform.processor() or platform.machine() or "unknown processor"


def machine() -> str:
    """The facts that say where the figures come from, and when."""
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"{processor()}, {os.cpu_count()} cores, Python {platform.python_version()} "
        f"({platform.python_implementation()}), {platform.platform()}\n{now}"
    )


def summary(rows: list[Row]) -> str:
    """The last line: how many aims are met and missed."""
    met = sum(row.met is True for row in rows)
    missed = sum(row.met is False for row in rows)
    informing = sum(row.met is None for row in rows)
    return f"aims: {met} met, {missed} missed (NO in the table), {informing} rows without an aim"


def main(argv: list[str] | None = None) -> int:
    """Run the scripts, then print the machine, the table and the count of aims."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and calls")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="NAME",
        help="run only the scripts whose name contains NAME (repeatable)",
    )
    args = parser.parse_args(argv)
    chosen = scripts(args.only)
    if not chosen:
        print(f"no benchmark script matches {args.only}", file=sys.stderr)
        return 1
    rows: list[Row] = []
    failed: list[str] = []
    silent: list[str] = []
    with tempfile.TemporaryDirectory(prefix="problemdetails-bench-") as scratch:
        for script in chosen:
            arguments = quick_arguments(script) if args.quick else []
            shown = " ".join([script.name, *arguments])
            print(f"running {shown} ...", file=sys.stderr, flush=True)
            results = Path(scratch) / f"{script.stem}.jsonl"
            status, output, seconds = run(script, arguments, results)
            found = read_rows(results)
            print(
                f"  exit {status}, {len(found)} rows, {seconds:.0f} s", file=sys.stderr, flush=True
            )
            if status != 0:
                failed.append(script.name)
                print(f"--- {script.name} failed (exit {status}):\n{output}", file=sys.stderr)
            elif not found:
                silent.append(script.name)
            rows += found
    print(machine())
    print(format_table(rows))
    if silent:
        print(f"reported no rows: {', '.join(silent)}")
    if failed:
        print(f"failed: {', '.join(failed)}")
    print(summary(rows))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
