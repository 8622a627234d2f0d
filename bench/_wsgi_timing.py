"""Timing WSGI apps in-process: what the Flask and Django benchmarks share."""

from __future__ import annotations

import io
import sys
import time
from collections.abc import Callable, Iterable
from typing import Any

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


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
