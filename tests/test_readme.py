"""The README's code runs as written: each quick start in a fresh interpreter."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import attrs
import pytest

from problemdetails import Config

README = Path(__file__).resolve().parent.parent / "README.md"


def _sections() -> dict[str, list[str]]:
    """Map each ``## heading`` of the README to the Python blocks under it."""
    sections: dict[str, list[str]] = {}
    heading = ""
    for part in re.split(r"^(## .+)$", README.read_text(), flags=re.MULTILINE):
        if part.startswith("## "):
            heading = part[3:].strip()
        else:
            sections.setdefault(heading, []).extend(
                re.findall(r"```python\n(.*?)```", part, re.DOTALL)
            )
    return sections


SECTIONS = _sections()


def _run(tmp_path: Path, files: dict[str, str], driver: str) -> str:
    """Write *files* and run *driver* next to them in a new interpreter; return stdout."""
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    (tmp_path / "driver.py").write_text(textwrap.dedent(driver))
    result = subprocess.run(
        [sys.executable, "driver.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


class TestReadme:
    def test_tour_renders_what_it_shows(self, tmp_path):
        """The tour's problem, raised and rendered, has the members the README shows."""
        declare, raise_it = SECTIONS["A tour"]
        driver = "\n".join(
            [
                "from tour import OutOfCredit",
                "try:",
                textwrap.indent(raise_it, "    "),
                "except OutOfCredit as problem:",
                "    response = problem.to_response()",
                "    print(response.status, response.content_type)",
                "    print(response.body.decode())",
            ]
        )
        out = _run(tmp_path, {"tour.py": declare}, driver)
        status_line, body = out.splitlines()
        assert status_line == "403 application/problem+json"
        shown = re.search(r'^\{"type":"https://example.com.*\}$', README.read_text(), re.MULTILINE)
        assert shown is not None
        expected = json.loads(shown.group(0))
        actual = json.loads(body)
        assert list(actual) == list(expected)
        assert {k: v for k, v in actual.items() if k != "flow_id"} == {
            k: v for k, v in expected.items() if k != "flow_id"
        }

    def test_flask_quick_start(self, tmp_path):
        """The Flask quick start answers its three curl lines as the comments say."""
        (app,) = SECTIONS["Flask"]
        out = _run(
            tmp_path,
            {"app.py": app},
            """
            from app import app
            client = app.test_client()
            for method, url in [
                ("GET", "/accounts/12345/purchases"),
                ("GET", "/accounts/7/purchases"),
                ("POST", "/accounts/7/purchases"),
            ]:
                response = client.open(url, method=method)
                allow = sorted(response.headers.get("Allow", "-").split(", "))
                print(response.status_code, response.mimetype, *allow)
            """,
        )
        assert out.splitlines() == [
            "403 application/problem+json -",
            "404 application/problem+json -",
            "405 application/problem+json GET HEAD OPTIONS",
        ]

    def test_django_quick_start(self, tmp_path):
        """The one-file Django API answers its five curl lines as the comments say."""
        (app,) = SECTIONS["Django"]
        out = _run(
            tmp_path,
            {"app.py": app},
            """
            import app
            from django.test import Client
            client = Client(raise_request_exception=False)
            for method, url in [
                ("GET", "/accounts/12345/purchases"),
                ("GET", "/accounts/7/purchases"),
                ("POST", "/accounts/12345/purchases"),
                ("GET", "/nowhere"),
                ("GET", "/crash"),
            ]:
                response = client.generic(method, url)
                print(response.status_code, response["Content-Type"])
                if response.status_code == 422:
                    print(response.json()["errors"])
            """,
        )
        assert out.splitlines() == [
            "403 application/problem+json",
            "403 application/problem+json",
            "422 application/problem+json",
            "[{'detail': 'Ensure this value is at least 1.', 'pointer': '#/quantity'}]",
            "404 application/problem+json",
            "500 application/problem+json",
        ]

    def test_wsgi_quick_start(self, tmp_path):
        """The WSGI quick start answers its two curl lines with problems."""
        (app,) = SECTIONS["Any WSGI app"]
        out = _run(
            tmp_path,
            {"wsgi_app.py": app},
            """
            from werkzeug.test import Client
            from wsgi_app import app
            client = Client(app)
            for url in ("/teapot", "/nowhere", "/"):
                response = client.get(url)
                print(response.status_code, response.mimetype)
            """,
        )
        assert out.splitlines() == [
            "418 application/problem+json",
            "404 application/problem+json",
            "200 text/plain",
        ]

    @pytest.mark.e2e
    def test_consumer_quick_start(self, tmp_path):
        """Both consumer examples run and print what their comments say."""
        catch, retry = SECTIONS["Consuming problems"]
        out = _run(tmp_path, {"catch.py": catch, "retry.py": retry}, "import catch, retry")
        lines = out.splitlines()
        assert lines[0] == "30"
        assert lines[1] == "POST https://api.example.com/tickets"
        assert lines[2].startswith(
            "403 You do not have enough credit.: A ticket costs 50. "
            "[POST https://api.example.com/tickets; flow_id="
        )
        assert lines[3] == "{'tickets': 1}"


class TestSettingsTable:
    """The settings table documents every setting there is, and no other."""

    def test_table_lists_every_setting(self):
        """Each Config field has a row, and each row is a Config field."""
        table = README.read_text().split("## Settings", 1)[1].split("\n## ", 1)[0]
        rows = re.findall(r"^\| `(\w+)` \|", table, flags=re.MULTILINE)
        assert sorted(rows) == sorted(field.name for field in attrs.fields(Config))
