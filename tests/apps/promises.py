"""One app per adapter serving the same attack routes, for the README's promises.

``/attack/<name>`` raises what `ATTACKS` makes for that name, in a Flask app
(`create_flask_app`), a WSGI app behind the middleware (`create_wsgi_app`)
and a Django URLconf (this module's ``urlpatterns``; set ``ROOT_URLCONF`` to
``"apps.promises"``).

Imported as ``apps.promises``: pytest has the ``tests`` folder on ``sys.path``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from functools import partial
from http import HTTPStatus
from typing import Any, NoReturn

import httpx

from problemdetails import Problem, RetryAfterProblem, ValidationProblem
from problemdetails.client import raise_for_problem

#: Text carried by everything an upstream sends or a hostile exception holds.
SECRET = "s3cr3t-promise-canary"  # noqa: S105 - not a secret: the canary
#: The upstream's flow id: it must reach the log record, never the response.
UPSTREAM_FLOW_ID = "upstream-flow-7"
UPSTREAM_URL = "https://accounts.internal.example/v1/accounts/7"


class OutOfCredit(
    Problem,
    type="https://example.com/probs/promises/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    """The README's problem type, with typed members."""

    balance: int
    accounts: list[str]


class NoAccess(
    Problem,
    LookupError,
    type="https://example.com/probs/promises/no-access",
    title="No access.",
    status=403,
):
    """A type that is also a LookupError: a mapping of LookupError must not relay it."""


class Busy(RetryAfterProblem, type="urn:promises:busy", title="Busy, try later.", status=503):
    """A 5xx the application answers with on purpose."""


class Throttled(
    Problem, type="urn:promises:throttled", title="Slow down.", status=429, log_level="INFO"
):
    """A type that chooses the level its occurrences are logged at."""


#: A type URI and flow id no log file can write as they are: a lone surrogate
#: (a legal JSON escape), a tag character and a bidirectional override.
HOSTILE_TYPE = "https://example.com/probs/\ud800\U000e0041\u202e"


def upstream_response(
    status: int = 403,
    *,
    content_type: str = "application/problem+json",
    type_uri: str = "https://example.com/probs/promises/out-of-credit",
) -> Any:
    """Return the response an upstream service sent: a problem full of secrets."""
    document = {
        "type": type_uri,
        "title": f"Upstream title {SECRET}",
        "status": status,
        "detail": f"Upstream detail {SECRET}",
        "instance": f"/internal/{SECRET}",
        "flow_id": UPSTREAM_FLOW_ID,
        "balance": 30,
        "accounts": [f"/account/{SECRET}"],
        "token": SECRET,
    }
    body = json.dumps(document) if content_type.endswith("json") else f"<p>{SECRET}</p>"
    return httpx.Response(
        status,
        headers={"Content-Type": content_type, "X-Upstream-Secret": SECRET},
        content=body.encode(),
        request=httpx.Request("GET", f"{UPSTREAM_URL}?token={SECRET}"),
    )


class BoolRaises(Exception):
    """An exception whose truth value cannot be taken."""

    def __bool__(self) -> bool:
        raise RuntimeError(SECRET)


class NotesRaise(Exception):
    """An exception whose ``__notes__`` raise when read (the traceback module reads them)."""

    @property
    def __notes__(self) -> list[str]:
        raise RuntimeError(SECRET)


class GetattrRaises(Exception):
    """An exception whose missing attributes raise something other than AttributeError."""

    def __getattr__(self, name: str) -> Any:
        raise RuntimeError(SECRET)


class StrRaises(Exception):
    """An exception whose ``str()`` and ``repr()`` raise."""

    def __str__(self) -> str:
        raise RuntimeError(SECRET)

    def __repr__(self) -> str:
        raise RuntimeError(SECRET)


class NotesNotText(Exception):
    """An exception whose notes are not strings."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.__notes__ = [StrRaises()]


class EqRaises(Exception):
    """An exception that cannot be compared (error reporters look exceptions up in lists)."""

    def __eq__(self, other: object) -> bool:
        raise RuntimeError(SECRET)

    __hash__ = Exception.__hash__


class ClassLies(Exception):
    """An exception whose ``__class__`` is not its type."""

    @property  # type: ignore[misc]
    def __class__(self) -> type:  # type: ignore[override]
        return KeyError


class TracebackHidden(Exception):
    """An exception whose notes (a class descriptor) and traceback cannot be read."""

    @property
    def __notes__(self) -> list[str]:
        raise ZeroDivisionError

    def __getattribute__(self, name: str) -> Any:
        if name == "__traceback__":
            raise ZeroDivisionError
        return super().__getattribute__(name)


def _raising(make: Callable[[], BaseException]) -> Callable[[], NoReturn]:
    # The exception is made in the view: making it may be what fails.
    def attack() -> NoReturn:
        raise make()

    return attack


def _upstream(
    status: int = 403,
    content_type: str = "application/problem+json",
    type_uri: str = "https://example.com/probs/promises/out-of-credit",
) -> NoReturn:
    raise_for_problem(upstream_response(status, content_type=content_type, type_uri=type_uri))
    raise AssertionError("an error response always raises")  # pragma: no cover


#: Route name -> what the view does (each raises).
ATTACKS: dict[str, Callable[[], Any]] = {
    "upstream-403": partial(_upstream, 403),
    "upstream-401": partial(_upstream, 401),
    "upstream-500": partial(_upstream, 500),
    "upstream-html": partial(_upstream, 502, "text/html"),
    "upstream-hostile-type": partial(_upstream, 409, type_uri=HOSTILE_TYPE),
    "upstream-no-access": partial(
        _upstream, 403, type_uri="https://example.com/probs/promises/no-access"
    ),
    "render-fails": _raising(lambda: Problem(status=409, extensions={"opaque": object()})),
    "mapping-fails": _raising(lambda: LookupError(SECRET)),
    "httpstatus": _raising(lambda: Problem(status=HTTPStatus.CONFLICT, detail="Version 3 exists.")),
    "wrong-member-type": _raising(
        lambda: OutOfCredit(balance="thirty", accounts="notalist")  # type: ignore[arg-type]
    ),
    "validation-mappings": _raising(
        lambda: ValidationProblem(
            errors=[{"detail": "must be positive", "pointer": "#/age"}]  # type: ignore[list-item]
        )
    ),
    "bool-raises": _raising(partial(BoolRaises, SECRET)),
    "notes-raise": _raising(partial(NotesRaise, SECRET)),
    "getattr-raises": _raising(partial(GetattrRaises, SECRET)),
    "str-raises": _raising(StrRaises),
    "notes-not-text": _raising(partial(NotesNotText, SECRET)),
    "eq-raises": _raising(partial(EqRaises, SECRET)),
    "class-lies": _raising(partial(ClassLies, SECRET)),
    "traceback-hidden": _raising(partial(TracebackHidden, SECRET)),
    "busy": _raising(partial(Busy, retry_after=30)),
    "busy-at": _raising(partial(Busy, retry_after=datetime(2030, 1, 1, tzinfo=timezone.utc))),
    "throttled": _raising(Throttled),
}


def _chained() -> NoReturn:
    try:
        raise NotesRaise(SECRET)
    except NotesRaise as cause:
        raise ValueError(SECRET) from cause


ATTACKS["chained-hostile"] = _chained


def run(name: str) -> Any:
    """Run attack *name* (raises), or answer 404 for an unknown one."""
    attack = ATTACKS.get(name)
    if attack is None:
        raise Problem(status=404)
    return attack()


def create_flask_app(**settings: Any) -> Any:
    """Return a Flask app with the extension set up with *settings*."""
    from flask import Flask  # noqa: PLC0415 - each stack imports its own framework

    from problemdetails.adapters.flask import ProblemDetails  # noqa: PLC0415

    app = Flask("promises")
    ProblemDetails(app, **settings)

    @app.get("/attack/<name>")
    def attack(name: str) -> Any:
        return run(name)

    @app.get("/render-upstream")
    def render_upstream() -> Any:
        from problemdetails.adapters.flask import problem_response  # noqa: PLC0415

        try:
            _upstream(403)
        except Problem as received:
            return problem_response(received)

    @app.get("/abort-httpstatus")
    def abort_httpstatus() -> Any:
        from problemdetails.adapters.flask import abort  # noqa: PLC0415

        abort(HTTPStatus.NOT_FOUND, detail="No book 42.")

    return app


def create_wsgi_app(**settings: Any) -> Any:
    """Return a bare WSGI app that runs the attacks, behind the middleware."""
    from problemdetails.adapters.wsgi import ProblemDetailsMiddleware  # noqa: PLC0415

    def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        path: str = environ["PATH_INFO"]
        if not path.startswith("/attack/"):
            raise Problem(status=404)
        run(path.removeprefix("/attack/"))
        start_response("204 No Content", [])  # pragma: no cover - every attack raises
        return []  # pragma: no cover

    return ProblemDetailsMiddleware(app, **settings)


def _django_view(request: object, name: str) -> Any:
    return run(name)


def _urlpatterns() -> list[Any]:
    from django.urls import path  # noqa: PLC0415

    return [path("attack/<str:name>", _django_view)]


def __getattr__(name: str) -> Any:
    # Django reads ``urlpatterns`` only when this module is the URLconf; the
    # Flask and WSGI apps must not need Django installed.
    if name == "urlpatterns":
        return _urlpatterns()
    raise AttributeError(name)
