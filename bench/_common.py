"""What the benchmarks share: the problem they raise, its hand-written twin, WSGI timing."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

from problemdetails import Problem

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

DETAIL = "Your current balance is 30, but that costs 50."
ACCOUNTS = ["/account/12345", "/account/67890"]


class OutOfCredit(
    Problem,
    type="https://example.com/probs/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    """RFC 9457's example problem type, as the library declares it."""

    balance: int
    accounts: list[str]


class HandOutOfCredit(Exception):  # noqa: N818 - named after the problem it stands for
    """The same error as a baseline writes it: a plain exception with attributes."""

    def __init__(self, balance: int, accounts: list[str], detail: str) -> None:
        super().__init__(detail)
        self.balance = balance
        self.accounts = accounts
        self.detail = detail


def environ_for(path: str) -> dict[str, Any]:
    """A minimal GET environ for *path*, as a server would pass it."""
    return {
        "REQUEST_METHOD": "GET",
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "localhost",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "localhost",
        "HTTP_ACCEPT": "application/json",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }


def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
    """A start_response that keeps nothing."""
    return None


def per_request(app: WSGIApp, path: str, number: int) -> float:
    """CPU seconds per request over *number* requests (other processes do not count)."""
    base = environ_for(path)
    begin = time.process_time()
    for _ in range(number):
        result = app(dict(base), start_response)
        for _chunk in result:
            pass
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return (time.process_time() - begin) / number
