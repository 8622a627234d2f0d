"""The benchmarks still run: each checks its own output before timing (no timings asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


def run(script: str, *args: str, cwd: Path) -> str:
    """Run a benchmark script with *args* from *cwd*; return its output, failing if it failed."""
    result = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.mark.parametrize(
    "script",
    ["bench_render.py", "bench_flask.py", "bench_django.py", "bench_client.py"],
    ids=["render", "flask", "django", "client"],
)
def test_benchmark_runs(script: str, tmp_path: Path):
    """A tiny run of the benchmark finishes and prints its comparison."""
    stdout = run(script, "--repeat", "1", "--number", "200", cwd=tmp_path)
    # The shared table's header (bench/_common.py).
    assert "ratio" in stdout


def test_import_benchmark_runs(tmp_path: Path):
    """A one-round run of the import benchmark finishes and prints its ratios."""
    stdout = run("bench_import.py", "--rounds", "1", cwd=tmp_path)
    assert "1.00x" in stdout
    assert "problemdetails.client" in stdout


def test_run_all_gathers_one_table(tmp_path: Path):
    """run_all.py runs a script in a process of its own and prints its rows as one table."""
    stdout = run("run_all.py", "--quick", "--only", "render", cwd=tmp_path)
    assert "render   dict+json" in stdout
    assert "aims: " in stdout
