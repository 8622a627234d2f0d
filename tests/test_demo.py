"""The README's demo command: every adapter answers the tour with problem documents."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DEMO = Path(__file__).resolve().parent.parent / "examples" / "demo.py"


@pytest.mark.e2e
class TestDemo:
    def test_tour_gets_a_problem_from_every_stop(self, tmp_path):
        """The demo serves the Flask, Django and WSGI examples and every tour stop is a problem."""
        result = subprocess.run(
            [sys.executable, str(DEMO), "--once", "--port", "0"],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "16 requests, 0 answered with something other than a problem." in result.stdout
        for prefix in ("GET /flask/", "GET /django/", "GET /wsgi/"):
            assert prefix in result.stdout
        # The generic 500s leak nothing of the exceptions the examples raise.
        assert "hunter2" not in result.stdout
        assert "division by zero" not in result.stdout
