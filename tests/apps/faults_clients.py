"""The three request stacks the reliability tests drive in-process, behind one interface.

- `FlaskStack`: Flask's test client, through Flask's whole request handling.
- `DjangoStack`: Django's test client (its WSGI handler and middleware chain),
  with the fault project's settings put on top of the configured project.
- `WSGIStack`: a direct WSGI call, as a server makes it.

Each answers `Reply` values.
Hostile header values are put straight into the environ (``HTTP_*`` keys), as
a server or proxy that lets them through would; test clients would refuse
some of them.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Generator, Iterable, Mapping
from contextlib import contextmanager
from typing import Any

import attrs
import django
from apps import faults_flask, faults_wsgi
from django.test import Client, override_settings
from faults_django import settings as fault_settings
from typing_extensions import Self
from werkzeug.test import EnvironBuilder

# The configured project is the one the Django tests use; the fault tests
# override what they need (`faults_django.settings.OVERRIDES`) on top.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "django_project.settings")
django.setup()

#: Names of the stacks, in the order tests are parametrized.
STACKS = ("flask", "django", "wsgi")


@attrs.frozen
class Reply:
    """What a client got: status, headers in order, body bytes, and how long it took."""

    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    seconds: float = 0.0

    def header(self, name: str) -> str | None:
        """Return the only value of header *name*, or None; fail if it is repeated."""
        values = self.all(name)
        assert len(values) <= 1, f"{name} sent {len(values)} times: {values}"
        return values[0] if values else None

    def all(self, name: str) -> list[str]:
        """Return every value of header *name*."""
        lowered = name.lower()
        return [value for key, value in self.headers if key.lower() == lowered]


def environ_key(name: str) -> str:
    """Return the WSGI environ key of request header *name*."""
    key = name.upper().replace("-", "_")
    return key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"


def _environ(headers: Mapping[str, str] | None) -> dict[str, str]:
    return {environ_key(name): value for name, value in (headers or {}).items()}


class FlaskStack:
    """Flask's test client for the fault app built with *settings*."""

    name = "flask"

    def __init__(self, **settings: Any) -> None:
        self.app = faults_flask.create_app(**settings)
        self.client = self.app.test_client()

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        """Make a GET request with *headers* put into the environ as they are."""
        start = time.perf_counter()
        response = self.client.get(path, environ_overrides=_environ(headers))
        seconds = time.perf_counter() - start
        return Reply(
            response.status_code, tuple(response.headers.items()), response.get_data(), seconds
        )


class WSGIStack:
    """A direct WSGI call of the fault app wrapped by the middleware with *settings*."""

    name = "wsgi"

    def __init__(self, **settings: Any) -> None:
        self.app = faults_wsgi.create_app(**settings)

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        """Call the app with a GET environ for *path* and *headers*, and read the body."""
        return call_wsgi(self.app, path, headers)


def call_wsgi(
    app: Callable[[dict[str, Any], Any], Iterable[bytes]],
    path: str,
    headers: Mapping[str, str] | None = None,
) -> Reply:
    """Call *app* as a server would: one environ, the last status and headers, the whole body."""
    environ: dict[str, Any] = EnvironBuilder(path=path).get_environ()
    environ.update(_environ(headers))
    sent: list[tuple[str, list[tuple[str, str]]]] = []

    def start_response(
        status: str, response_headers: list[tuple[str, str]], exc_info: object = None
    ) -> Callable[[bytes], object]:
        sent.append((status, response_headers))
        return lambda _: None

    start = time.perf_counter()
    iterable = app(environ, start_response)
    try:
        body = b"".join(iterable)
    finally:
        close = getattr(iterable, "close", None)
        if close is not None:
            close()
    seconds = time.perf_counter() - start
    status, response_headers = sent[-1]
    return Reply(int(status[:3]), tuple(response_headers), body, seconds)


class DjangoStack:
    """Django's test client with the fault project's settings (and *problemdetails* ones).

    Use it as a context manager: the settings apply inside the block.
    """

    name = "django"

    def __init__(self, problemdetails: Mapping[str, Any] | None = None, **overrides: Any) -> None:
        settings = {name: getattr(fault_settings, name) for name in fault_settings.OVERRIDES}
        if problemdetails is not None:
            settings["PROBLEMDETAILS"] = dict(problemdetails)
        self.overrides = override_settings(**{**settings, **overrides})
        self.client: Client | None = None

    def __enter__(self) -> Self:
        self.overrides.enable()
        self.client = Client(raise_request_exception=False)
        return self

    def __exit__(self, *_: object) -> None:
        self.client = None
        self.overrides.disable()

    def get(self, path: str, headers: Mapping[str, str] | None = None) -> Reply:
        """Make a GET request with *headers* put into ``request.META`` as they are."""
        assert self.client is not None, "use the stack in a with block"
        start = time.perf_counter()
        response = self.client.generic("GET", path, headers=dict(headers or {}))
        seconds = time.perf_counter() - start
        return Reply(response.status_code, tuple(response.items()), response.content, seconds)


Stack = FlaskStack | DjangoStack | WSGIStack


@contextmanager
def stack(name: str, **settings: Any) -> Generator[Stack, None, None]:
    """Yield the stack called *name*, set up with *settings* (`Config` field names)."""
    if name == "flask":
        yield FlaskStack(**settings)
    elif name == "wsgi":
        yield WSGIStack(**settings)
    else:
        problemdetails = {key.upper(): value for key, value in settings.items()}
        with DjangoStack(problemdetails) as django_stack:
            yield django_stack
