"""What reading a response costs: each problem built once, modules loaded when needed."""

from __future__ import annotations

import asyncio
import gc
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest

from problemdetails import Problem, ProblemParseError, client, parse_problem
from problemdetails._parse import load_document
from problemdetails.client import (
    ClientError,
    ReceivedProblem,
    RetryableServerError,
    RetryPolicy,
    araise_for_problem,
    problem_from_response,
    raise_for_problem,
)

URL = "https://api.example.com/v1/orders/17"
COUNTED = "https://example.com/probs/client-cost/counted"


class Counted(Problem, type=COUNTED, title="Counted.", status=409):
    """A registered type with a required member."""

    balance: int
    accounts: list[str] = attrs.field(factory=list)


def _response(
    status: int,
    body: bytes | dict[str, Any] = b"",
    content_type: str | None = "application/problem+json",
    *,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    all_headers = dict(headers or {})
    if content_type is not None:
        all_headers["Content-Type"] = content_type
    return httpx.Response(
        status, headers=all_headers, content=body, request=httpx.Request("GET", URL)
    )


@pytest.fixture(name="constructions")
def _constructions(monkeypatch: pytest.MonkeyPatch) -> list[type[Problem]]:
    """The classes of every problem constructed while the test runs, in order."""
    made: list[type[Problem]] = []
    check = Problem.__attrs_post_init__

    def counting(problem: Problem) -> None:
        made.append(type(problem))
        check(problem)

    # attrs' __init__ looks the hook up on the instance: every class without its own sees this.
    monkeypatch.setattr(Problem, "__attrs_post_init__", counting)
    return made


def _run(code: str, cwd: Path) -> str:
    # Run elsewhere than the repository root: the installed package is imported.
    return subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=cwd,
    ).stdout.strip()


class TestBuiltOnce:
    """A received problem is constructed once, as the class it is raised as."""

    @pytest.mark.parametrize(
        ("body", "headers"),
        [
            ({"type": COUNTED, "balance": 3, "flow_id": "f-1"}, None),
            ({"type": COUNTED, "balance": 3}, {"X-Flow-ID": "from-header"}),
            ({"type": "/unknown/type", "detail": "d"}, {"X-Flow-ID": "from-header"}),
            ({"type": COUNTED}, None),  # the required member is missing
            (b"<html>502</html>", {"X-Flow-ID": "from-header"}),
        ],
        ids=["registered", "flow-id-header", "unknown-relative", "missing-member", "no-document"],
    )
    def test_one_construction(self, constructions, body, headers):
        """Registered, unknown and missing-member documents and non-documents alike."""
        response = _response(409, body, headers=headers)
        with pytest.raises(ReceivedProblem) as info:
            raise_for_problem(response)
        assert constructions == [type(info.value)]

    def test_registered_class_with_its_group(self):
        """The one problem made is both the registered class and its group, members typed."""
        body = {"type": COUNTED, "balance": 3, "accounts": ["/a/1"], "extra": 1}
        problem = problem_from_response(_response(409, body, headers={"X-Flow-ID": "abc"}))
        assert isinstance(problem, Counted)
        assert isinstance(problem, ClientError)
        assert (problem.balance, problem.accounts, problem.extensions) == (
            3,
            ["/a/1"],
            {"extra": 1},
        )
        assert problem.flow_id == "abc"

    def test_same_problem_as_the_parser(self):
        """The members are the ones parse_problem reads from the same document."""
        body = {
            "type": COUNTED,
            "title": "T.",
            "detail": "D.",
            "instance": "/i/1",
            "status": 400,
            "balance": "not an int",
            "accounts": ["/a"],
            "more": [1, 2],
            "flow_id": "f",
        }
        parsed = parse_problem(json.dumps(body), status=503)
        received = problem_from_response(_response(503, body))
        assert isinstance(received, RetryableServerError)
        assert type(parsed) is Problem  # balance of the wrong type: the class cannot be made
        assert received == parsed
        assert received.flow_id == parsed.flow_id == "f"
        assert (received.type, received.status) == (COUNTED, 503)

    def test_only_the_derived_class_fails(self, throwaway_types):
        """A registered class that refuses to be subclassed at construction falls back as before."""

        class Picky(Problem, type="https://example.com/probs/client-cost/picky", title="P."):
            balance: int

            def __attrs_post_init__(self) -> None:
                super().__attrs_post_init__()
                if type(self) is not Picky:
                    raise TypeError("only Picky itself")

        throwaway_types.append(Picky)
        body = {"type": "https://example.com/probs/client-cost/picky", "balance": 3}
        problem = problem_from_response(_response(403, body, headers={"X-Flow-ID": "abc"}))
        assert type(problem) is ClientError
        assert problem.type == "https://example.com/probs/client-cost/picky"
        assert problem.title == "P."
        assert problem.extensions == {"balance": 3}
        assert problem.flow_id == "abc"

    def test_no_reference_cycle(self):
        """Raising leaves nothing for the garbage collector."""
        response = _response(409, {"type": COUNTED, "balance": 3})
        gc.collect()
        gc.disable()
        try:
            for _ in range(20):
                with pytest.raises(Counted):
                    raise_for_problem(response)
            assert gc.collect() == 0
        finally:
            gc.enable()


class TestSuccessPath:
    """A response below 400 is returned as it is, whatever kind of object."""

    class _Odd:
        """A status_code whose getter fails, and a status line as werkzeug has."""

        status = 200

        @property
        def status_code(self) -> int:
            raise RuntimeError("broken getter")

    def test_returned(self):
        """The very response comes back, from both functions."""
        response = _response(200, b"{}", "application/json")
        assert raise_for_problem(response) is response
        assert asyncio.run(araise_for_problem(response)) is response

    def test_failing_getter_reads_further(self):
        """A failing status_code getter is not fatal: status is read instead."""
        odd = self._Odd()
        assert raise_for_problem(odd) is odd

    @pytest.mark.parametrize("status", [True, 200.0, "200"])
    def test_status_code_that_is_no_int(self, status):
        """A status_code of another type is not taken for a status."""
        response = type("R", (), {"status_code": status})()
        with pytest.raises(TypeError):
            raise_for_problem(response)


class TestLoadDocument:
    """The depth limit holds whether or not the document is walked."""

    @pytest.mark.parametrize(
        "text",
        [
            '{"a": "[[[[[[[[[[[[", "b": "{{{{{{{{{"}',  # brackets in strings only
            '{"a": [[1]]}',
        ],
    )
    def test_shallow_documents(self, text):
        """Brackets inside strings do not make a document deep."""
        assert load_document(text, max_depth=3)

    @pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
    def test_deep_documents(self, encoding):
        """A document one level too deep is refused, in every JSON encoding."""
        text = '{"a": [[{"b": 1}]]}'
        assert load_document(text.encode(encoding), max_depth=4)
        with pytest.raises(ProblemParseError) as info:
            load_document(text.encode(encoding), max_depth=3)
        assert info.value.reason == "depth"


class TestLazyModules:
    """What importing the client side leaves for later."""

    def test_import_loads_no_xml_parser_nor_random(self, tmp_path):
        """pyexpat and random (with bisect and sha512) are not imported with the client."""
        code = (
            "import sys, problemdetails.client\n"
            "names = ('pyexpat', 'xml', 'random', 'bisect', '_sha512', "
            "'problemdetails.client._xml')\n"
            "print(sorted(m for m in sys.modules if m in names or m.split('.')[0] in names))\n"
        )
        assert _run(code, tmp_path) == "[]"

    def test_xml_parser_loaded_by_an_xml_document(self, tmp_path):
        """A JSON problem leaves pyexpat unloaded; the first XML problem loads it."""
        code = (
            "import sys, httpx\n"
            "from problemdetails.client import problem_from_response\n"
            "def response(body, kind):\n"
            "    return httpx.Response(404, content=body, headers={'Content-Type': kind})\n"
            "problem_from_response(response(b'{\"title\": \"t\"}', 'application/problem+json'))\n"
            "print('pyexpat' in sys.modules)\n"
            "xml = (b'<problem xmlns=\"urn:ietf:rfc:7807\"><title>t</title></problem>')\n"
            "p = problem_from_response(response(xml, 'application/problem+xml'))\n"
            "print('pyexpat' in sys.modules, p.title)\n"
        )
        assert _run(code, tmp_path).splitlines() == ["False", "True t"]

    def test_random_loaded_by_a_backoff(self, tmp_path):
        """random is imported when a wait is first computed."""
        code = (
            "import sys\n"
            "from problemdetails.client import RetryPolicy\n"
            "print('random' in sys.modules)\n"
            "wait = RetryPolicy(jitter=1).backoff(1)\n"
            "print('random' in sys.modules, 0 <= wait <= 0.5)\n"
        )
        assert _run(code, tmp_path).splitlines() == ["False", "True True"]

    def test_backoff_draws_as_before(self):
        """The jitter is drawn from the random module's shared generator."""
        import random  # noqa: PLC0415 - the point is the shared generator

        policy = RetryPolicy(backoff_base=1, jitter=1)
        random.seed(7)
        first = policy.backoff(1)
        random.seed(7)
        assert policy.backoff(1) == first == 1 - random.Random(7).random()  # noqa: S311

    def test_integrations_loaded_when_asked_for(self, tmp_path):
        """The retry integrations' modules load when one of their names is first read."""
        code = (
            "import sys, problemdetails.client as client\n"
            "def loaded():\n"
            "    return sorted(m.rpartition('.')[2] for m in sys.modules\n"
            "                  if m.startswith('problemdetails.client._'))\n"
            "print(loaded())\n"
            "from problemdetails.client import stamina_hook\n"
            "from problemdetails.client._stamina import stamina_hook as direct\n"
            "print(loaded(), stamina_hook is direct, 'urllib3_retry' in dir(client))\n"
        )
        assert _run(code, tmp_path).splitlines() == [
            "['_problems', '_reader', '_response', '_retry']",
            "['_problems', '_reader', '_response', '_retry', '_stamina'] True True",
        ]

    @pytest.mark.parametrize("name", sorted(client.__all__))
    def test_every_public_name(self, name):
        """Every name of __all__ can be read, whether loaded eagerly or when asked for."""
        assert getattr(client, name) is not None

    def test_unknown_name(self):
        """Another name is an AttributeError, as for any module."""
        with pytest.raises(AttributeError, match="no attribute 'nothing'"):
            _ = client.nothing  # type: ignore[attr-defined] - the point of the test
