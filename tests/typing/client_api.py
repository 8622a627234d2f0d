"""The client side's public API as a user writes it, for mypy and pyright."""

from __future__ import annotations

import httpx
import requests
import stamina
import tenacity
from requests.adapters import HTTPAdapter

from problemdetails import Problem
from problemdetails.client import (
    ClientError,
    HttpExchange,
    ProblemReader,
    ReceivedProblem,
    Retryable,
    RetryPolicy,
    ServerError,
    araise_for_problem,
    async_retry_transport,
    problem_from_response,
    raise_for_problem,
    retry_transport,
    stamina_hook,
    stamina_retry,
    tenacity_kwargs,
    urllib3_retry,
)
from problemdetails.testing import assert_problem


class OutOfCredit(
    Problem,
    type="https://example.com/probs/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    balance: int


policy = RetryPolicy(attempts=4, backoff_base=0.2, max_retry_after=60)
delay: float | None = policy.delay(1, ServerError(status=503))
reader = ProblemReader(flow_id_member="request_id", policy=policy)

session = requests.Session()
session.mount("https://", HTTPAdapter(max_retries=urllib3_retry(policy)))


def balance(url: str) -> int:
    try:
        data: object = raise_for_problem(session.get(url, timeout=5)).json()
    except OutOfCredit as problem:
        return problem.balance
    except Retryable as problem:
        exchange: HttpExchange = problem.http
        attempts: int = exchange.attempts
        waited: float | None = exchange.retry_after
        method: str | None = exchange.method
        return attempts + int(waited or 0) + len(method or "")
    except ClientError as problem:
        status: int = problem.status
        return status
    return len(str(data))


def maybe(response: httpx.Response) -> ReceivedProblem | None:
    problem = problem_from_response(response)
    return problem or reader.problem(response, attempts=2)


client = httpx.Client(
    transport=retry_transport(policy), event_hooks={"response": [raise_for_problem]}
)
async_client = httpx.AsyncClient(
    transport=async_retry_transport(policy), event_hooks={"response": [araise_for_problem]}
)


@stamina_retry(policy)
def fetch(url: str) -> httpx.Response:
    return raise_for_problem(client.get(url))


response: httpx.Response = fetch("https://example.com")


@stamina.retry(on=stamina_hook(policy), attempts=policy.attempts)
def fetch_plain(url: str) -> bytes:
    return raise_for_problem(httpx.get(url)).content


@tenacity.retry(**tenacity_kwargs(policy))
def fetch_tenacity(url: str) -> bytes:
    return raise_for_problem(httpx.get(url)).content


typed: OutOfCredit = assert_problem(response, type=OutOfCredit, status=403, balance=30)
generic: ReceivedProblem = assert_problem(response, type="about:blank", status=404)
