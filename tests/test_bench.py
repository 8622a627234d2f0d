"""The benchmarks still run: each checks its own output before timing (no timings asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parent.parent / "bench"


@pytest.mark.parametrize(
    "script",
    ["bench_render.py", "bench_flask.py", "bench_django.py", "bench_client.py"],
    ids=["render", "flask", "django", "client"],
)
def test_benchmark_runs(script: str, tmp_path: Path):
    """A tiny run of the benchmark finishes and prints its comparison."""
    result = subprocess.run(
        [sys.executable, str(BENCH / script), "--repeat", "1", "--number", "200"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # The shared table's header (bench/_common.py), or a script's own.
    assert "ratio" in result.stdout or "min x" in result.stdout


def test_import_benchmark_runs(tmp_path: Path):
    """A one-round run of the import benchmark finishes and prints its ratios."""
    result = subprocess.run(
        [sys.executable, str(BENCH / "bench_import.py"), "--rounds", "1"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1.00x" in result.stdout
    assert "problemdetails.client" in result.stdout


def test_run_all_gathers_one_table(tmp_path: Path):
    """run_all.py runs a script in a process of its own and prints its rows as one table."""
    result = subprocess.run(
        [sys.executable, str(BENCH / "run_all.py"), "--quick", "--only", "render"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "render   dict+json" in result.stdout
    assert "aims: " in result.stdout
