"""Test helpers: assert that a response is the problem a test expects.

`assert_problem` takes the response of any test client (Flask's and
werkzeug's, Django's) or of a real HTTP client (``requests``, ``httpx``),
checks it against RFC 9457 and the test's expectations, and returns the typed
problem for further assertions::

    from problemdetails.testing import assert_problem

    def test_out_of_credit(client):
        problem = assert_problem(client.post("/buy"), type=OutOfCredit, status=403, balance=30)
        assert problem.accounts == ["/account/12345"]
"""

from __future__ import annotations

import builtins
import contextlib
import json
from typing import Any, TypeVar, overload

from ._errors import ProblemParseError
from ._parse import DEFAULT_MAX_BYTES, DEFAULT_MAX_DEPTH, load_document
from ._problem import ABOUT_BLANK, Problem
from ._text import escape_unprintable
from ._uri import resolve
from .client._problems import ReceivedProblem
from .client._reader import default_reader
from .client._response import (
    JSON_PROBLEM,
    XML_PROBLEM,
    headers_of,
    media_type,
    read_body,
    status_of,
    url_of,
)
from .client._xml import load_xml_document

__all__ = ["assert_problem"]

P = TypeVar("P", bound=Problem)

_MAX_SHOWN_BODY = 2048
_LOWEST_ERROR = 400
_HIGHEST_ERROR = 599


@overload
def assert_problem(
    response: object, /, type: builtins.type[P], status: int | None = None, **members: Any
) -> P: ...


@overload
def assert_problem(
    response: object, /, type: str | None = None, status: int | None = None, **members: Any
) -> ReceivedProblem: ...


def assert_problem(
    response: object,
    /,
    type: builtins.type[Problem] | str | None = None,  # noqa: A002 - RFC 9457's name
    status: int | None = None,
    **members: Any,
) -> Problem:
    """Assert that *response* is a problem response as expected, and return its problem.

    Checked, all at once so that one failure lists every difference:

    - the media type is ``application/problem+json`` or ``+xml``;
    - the body is a problem document (a JSON object, or RFC 9457's XML);
    - the HTTP status is an error (400-599), and *status* when given;
    - a ``status`` member agrees with the HTTP status (RFC 9457 section 3.1.2);
    - the ``type`` (``about:blank`` when absent) is *type*: a URI, or a problem
      class whose declared type it must be and which the client side must
      read it as; relative URIs are compared resolved against the request URL;
    - every other keyword is a member of that value (decoded JSON compared
      with ``==``, so ``unittest.mock.ANY`` matches anything). XML members
      are text: expected values are compared as the server renders them.

    Args:
        response: a response of Flask's, werkzeug's or Django's test client,
            or of ``requests`` or ``httpx``.
        type: the expected problem type URI or class.
        status: the expected HTTP status.
        **members: expected member values, e.g. ``title="..."``, ``balance=30``.

    Returns:
        The problem as the client side reads it (`ReceivedProblem`), an
        instance of *type* when that is a class.

    Raises:
        AssertionError: the response differs; the message shows expected and
            actual values, the media type and the body.
    """
    __tracebackhide__ = True
    http_status = status_of(response)
    if http_status is None:
        raise AssertionError(f"{builtins.type(response).__name__} is not an HTTP response")
    headers = headers_of(response)
    content_type = headers.get("Content-Type")
    kind = media_type(content_type)
    body = read_body(response, DEFAULT_MAX_BYTES)
    url = url_of(response)
    failures: list[str] = []

    if kind not in (JSON_PROBLEM, XML_PROBLEM):
        failures.append(
            f"media type: expected {JSON_PROBLEM} (or {XML_PROBLEM}), got {content_type!r}"
        )
    if not _LOWEST_ERROR <= http_status <= _HIGHEST_ERROR:
        failures.append(f"HTTP status {http_status} is not an error status (400-599)")
    if status is not None and http_status != status:
        failures.append(f"HTTP status: expected {status}, got {http_status}")

    document = _document(kind, body, failures)
    if document is not None:
        _check_document(
            document,
            http_status=http_status,
            url=url,
            expected_type=type,
            members=members,
            failures=failures,
            xml=kind == XML_PROBLEM,
        )
    problem: Problem | None = None
    if not failures:
        problem = default_reader().from_parts(http_status, response, body)
        if isinstance(type, builtins.type) and not isinstance(problem, type):
            failures.append(
                f"the client side reads it as {builtins.type(problem).__name__}, not "
                f"{type.__name__}: is {type.__name__} registered in the default registry?"
            )
    if failures or problem is None:
        raise AssertionError(_message(failures, http_status, content_type, body))
    return problem


def _document(kind: str | None, body: bytes, failures: list[str]) -> dict[str, Any] | None:
    try:
        if kind == XML_PROBLEM:
            return load_xml_document(body, max_bytes=DEFAULT_MAX_BYTES, max_depth=DEFAULT_MAX_DEPTH)
        return load_document(body, max_bytes=DEFAULT_MAX_BYTES, max_depth=DEFAULT_MAX_DEPTH)
    except ProblemParseError as error:
        failures.append(f"body is not a problem document: {error}")
        return None


def _check_document(
    document: dict[str, Any],
    *,
    http_status: int,
    url: str | None,
    expected_type: type[Problem] | str | None,
    members: dict[str, Any],
    failures: list[str],
    xml: bool,
) -> None:
    member_status = document.get("status")
    if member_status is not None and member_status != http_status:
        failures.append(
            f"status member {member_status!r} disagrees with the HTTP status {http_status} "
            "(RFC 9457 section 3.1.2)"
        )
    actual_type = document.get("type", ABOUT_BLANK)
    if expected_type is not None:
        wanted = expected_type if isinstance(expected_type, str) else expected_type.__problem_type__
        received = _resolved(actual_type, url) if isinstance(actual_type, str) else None
        if received != _resolved(wanted, url):
            failures.append(f"type: expected {wanted!r}, got {actual_type!r}")
    for name, expected in members.items():
        if name not in document:
            failures.append(f"member {name!r}: expected {expected!r}, but it is missing")
            continue
        actual = document[name]
        if actual != expected and not (xml and actual == _as_xml(expected)):
            failures.append(f"member {name!r}: expected {expected!r}, got {actual!r}")


def _resolved(reference: str, url: str | None) -> str:
    try:
        return resolve(reference, url)
    except ValueError:  # "//[" and such: compared as they are
        return reference


def _as_xml(value: Any) -> Any:
    """Return *value* as RFC 9457's XML carries it: text, lists and dicts of text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return {key: _as_xml(item) for key, item in value.items()}  # pyright: ignore[reportUnknownVariableType]
    if isinstance(value, (list, tuple)):
        return [_as_xml(item) for item in value]  # pyright: ignore[reportUnknownVariableType]
    return value if isinstance(value, str) else str(value)


def _message(failures: list[str], status: int, content_type: str | None, body: bytes) -> str:
    shown = body[:_MAX_SHOWN_BODY].decode("utf-8", "replace")
    if len(body) > _MAX_SHOWN_BODY:
        shown += f"... ({len(body)} bytes in all)"
    # Not JSON, or nested deeper than the decoder recurses: shown as it came.
    with contextlib.suppress(ValueError, RecursionError):
        shown = json.dumps(json.loads(shown), indent=2, ensure_ascii=False)
    plural = "" if len(failures) == 1 else "s"
    lines = [
        f"response is not the expected problem ({len(failures)} difference{plural}):",
        *(f"  - {failure}" for failure in failures),
        f"HTTP status: {status}",
        f"media type: {escape_unprintable(content_type or '(none)')}",
        f"body: {shown or '(empty)'}",
    ]
    # The server's text must not rewrite a test report: terminal escapes,
    # bidirectional controls and the like are escaped; line breaks and tabs
    # are kept but in the header, which is one line.
    return escape_unprintable("\n".join(lines), keep="\n\t")
