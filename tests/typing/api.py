"""The public core API as a user writes it, checked by mypy and pyright (never run).

Every ``type: ignore`` below marks a mistake the type checkers must catch:
mypy's ``warn_unused_ignores`` (part of strict) fails if one stops being an error.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime, timezone

import attrs
from typing_extensions import assert_type

from problemdetails import (
    ABOUT_BLANK,
    JSON_MEDIA_TYPE,
    Config,
    ConfigurationError,
    DuplicateProblemTypeError,
    ErrorReport,
    FieldError,
    InternalError,
    InvalidProblemError,
    Problem,
    ProblemDefinitionError,
    ProblemDetailsError,
    ProblemFactory,
    ProblemHandler,
    ProblemParseError,
    ProblemRegistry,
    ProblemResponse,
    ReportHook,
    RequestInfo,
    RetryAfterProblem,
    ValidationProblem,
    __version__,
    default_handler,
    json_pointer,
    new_flow_id,
    parse_problem,
    registry,
)

# --- Declaring ------------------------------------------------------------------


@attrs.frozen
class Account:
    number: str


class OutOfCredit(
    Problem,
    type="https://example.com/probs/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    balance: int
    accounts: list[Account] = attrs.field(factory=list[Account])


class Maintenance(RetryAfterProblem, type="/problems/maintenance", title="Down for maintenance."):
    pass


private = ProblemRegistry()


class Internal(Problem, type="urn:example:internal", title="Internal.", registry=private):
    pass


class Lenient(Problem, status=400, member_names="warn"):
    pass


# --- Constructing and raising ------------------------------------------------------

problem = OutOfCredit(balance=30, accounts=[Account(number="12345")], detail="Balance is 30.")
assert_type(problem.balance, int)
assert_type(problem.accounts, list[Account])
assert_type(problem.type, str)
assert_type(problem.title, "str | None")
assert_type(problem.status, int)
assert_type(problem.detail, "str | None")
assert_type(problem.instance, "str | None")
assert_type(problem.flow_id, "str | None")

OutOfCredit(30)  # type: ignore[call-arg, arg-type]
OutOfCredit(balance="30")  # type: ignore[arg-type]
OutOfCredit()  # type: ignore[call-arg]
problem.balance = 3  # type: ignore[misc]

not_found = Problem(status=404, extensions={"resource": "/orders/7"}, headers={"X-A": "1"})
headers: Iterable[tuple[str, str]] = not_found.http_headers()


def charge(amount: int) -> None:
    if amount > 30:
        raise OutOfCredit(balance=30, detail=f"That costs {amount}.")


try:
    charge(50)
except OutOfCredit as error:
    balance: int = error.balance
except Problem as error:
    text: str = str(error)

retry = Maintenance(retry_after=120)
retry_at = Maintenance(retry_after=datetime(2030, 1, 1, tzinfo=timezone.utc))
assert_type(retry.retry_after, "int | datetime | None")

invalid = ValidationProblem(
    errors=[FieldError(detail="must be positive", pointer=json_pointer("items", 0, "qty"))]
)
pointer: str = json_pointer("a", 1)
generic = InternalError()
blank: str = ABOUT_BLANK

# --- Configuring and handling ------------------------------------------------------


def to_not_found(exception: KeyError) -> Problem | None:
    return Problem(status=404, detail=f"No such key: {exception.args[0]}")


def report(error_report: ErrorReport) -> None:
    path = error_report.request.path if error_report.request is not None else None
    assert_type(path, "str | None")
    assert_type(error_report.exception, "BaseException | None")
    logging.getLogger("myapp").error(
        "%d for %s (flow id %s)",
        error_report.problem.status,
        path,
        error_report.flow_id,
        exc_info=error_report.exception,
    )


factory: ProblemFactory = to_not_found
hook: ReportHook = report

config = Config(
    flow_id_header="X-Request-ID",
    instance="path",
    type_base_uri="https://api.example.com/problems/",
    mappings={KeyError: to_not_found, PermissionError: InternalError},
    report_hooks=[report],
    report_timeout=2.0,
)
debug_config: Config = config.evolve(debug=True)
from_settings: Config = Config.from_mapping({"DEBUG": False}, source="app.config")
Config(debug="yes")  # type: ignore[arg-type]

handler = ProblemHandler(config, defaults={LookupError: InternalError})
request = RequestInfo(method="GET", url="https://api.example.com/x", path="/x", headers={})
response = handler.handle(KeyError("x"), request)
assert_type(response, ProblemResponse)
rendered: ProblemResponse = handler.render(problem, request, exception=None)
mapped: Problem = handler.to_problem(ValueError("x"))
flow_id: str = handler.flow_id(request)
same: ProblemResponse = problem.to_response(handler=handler)
default: ProblemHandler = default_handler()
new_id: str = new_flow_id()

status: int = response.status
status_line: str = response.status_line
content_type: str = response.content_type
body: bytes = response.body
pairs: tuple[tuple[str, str], ...] = response.headers
is_json: bool = content_type == JSON_MEDIA_TYPE

# --- Parsing ------------------------------------------------------------------------

parsed = parse_problem(body, status=404, base_uri="https://api.example.com/x")
assert_type(parsed, Problem)
if isinstance(parsed, OutOfCredit):
    assert_type(parsed.balance, int)
try:
    parse_problem(b"[]", max_bytes=1024, max_depth=8)
except ProblemParseError as parse_error:
    reason: str = parse_error.reason

found = registry.get("https://example.com/probs/out-of-credit")
assert_type(found, "type[Problem] | None")
private_found = private.get("urn:example:internal")

errors: tuple[type[ProblemDetailsError], ...] = (
    ConfigurationError,
    DuplicateProblemTypeError,
    InvalidProblemError,
    ProblemDefinitionError,
    ProblemParseError,
)
version: str = __version__
