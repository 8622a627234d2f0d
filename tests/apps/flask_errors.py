"""A Flask app that fails everywhere but in its views: teardown, after_request, streamed bodies.

Imported as ``apps.flask_errors`` (the tests folder is on ``sys.path``, and
servers run with it as working directory); ``apps.flask_served`` is the app
as gunicorn serves it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

from flask import Flask, Response, abort, g, request, stream_with_context

from problemdetails import Problem
from problemdetails.adapters.flask import ProblemDetails

#: Text carried by every exception raised here; no response may contain it.
SECRET = "s3cr3t-flask-errors-canary"  # noqa: S105 - not a secret: the canary


class Misconfigured(Exception):
    """An unexpected error whose message must never reach a client."""


class ShelfMissing(
    Problem, type="urn:flask-errors:shelf-missing", title="No such shelf.", status=404
):
    """A declared client error."""

    shelf: int


class ClosingBody:
    """A streamed body that records how often it was closed, and may fail to close."""

    def __init__(
        self, chunks: list[bytes], *, fail_at: int | None = None, close_raises: bool = False
    ) -> None:
        self.chunks = chunks
        self.fail_at = fail_at
        self.close_raises = close_raises
        self.started = False
        self.closed = 0

    def __iter__(self) -> Iterator[bytes]:
        self.started = True
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_at:
                raise Misconfigured(SECRET)
            yield chunk
        if self.fail_at == len(self.chunks):
            raise Misconfigured(SECRET)

    def close(self) -> None:
        self.closed += 1
        if self.close_raises:
            raise Misconfigured(f"close: {SECRET}")


#: The bodies the ``/body/...`` routes answer with, for the tests to inspect.
BODIES: dict[str, ClosingBody] = {}


def _early() -> Iterator[bytes]:
    raise Misconfigured(SECRET)
    yield b"never"


def _late() -> Iterator[bytes]:
    yield b"first chunk"
    raise Misconfigured(SECRET)


def _reads_request() -> Iterator[str]:
    yield "hello "
    yield request.args["name"]


#: What the ``/stream/<kind>`` routes answer with.
STREAMS: dict[str, Callable[[], Iterator[Any]]] = {
    "early": _early,
    "early-context": lambda: stream_with_context(_early()),
    "late": _late,
    "late-context": lambda: stream_with_context(_late()),
    "empty": lambda: iter(()),
    "ok": lambda: iter([b"one ", b"two"]),
    "context": lambda: stream_with_context(_reads_request()),
}
#: What the ``/body/<kind>`` routes answer with.
CLOSING_BODIES: dict[str, Callable[[], ClosingBody]] = {
    "ok": lambda: ClosingBody([b"one ", b"two"]),
    "early": lambda: ClosingBody([b"never"], fail_at=0),
    "late": lambda: ClosingBody([b"one ", b"two"], fail_at=1),
    "early-close-raises": lambda: ClosingBody([b"never"], fail_at=0, close_raises=True),
}


def create_app(**settings: Any) -> Flask:  # noqa: C901 - one route per case
    """Return the app with the extension set up with *settings*.

    Routes: ``/ok`` (the worker's pid), ``/boom`` (an unexpected error),
    ``/problem`` (a declared 404), ``/teardown``, ``/teardown-after-problem``
    and ``/teardown-after-error`` (a ``teardown_request`` function raises; the
    last two after the view raised), ``/after-request`` (an
    ``after_request`` function raises), ``/stream/<kind>`` (generators:
    ``early`` and ``early-context`` fail before their first chunk, ``late``
    after it, ``empty`` and ``ok`` do not fail, ``context`` reads the request
    from a ``stream_with_context`` generator), ``/body/<kind>`` (a
    `ClosingBody`: ``ok``, ``early``, ``late``, ``early-close-raises``), and
    ``/abort-response`` (``flask.abort`` with a response), and
    ``/refused-header/<kind>`` (a header servers refuse: ``hop``, a hop-by-hop
    header, or ``nul``, a value with NUL).
    """
    app = Flask(__name__)
    ProblemDetails(app, **settings)

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        if request.path.startswith("/teardown"):
            raise Misconfigured(SECRET)

    @app.after_request
    def after(response: Response) -> Response:
        if request.path == "/after-request":
            raise Misconfigured(SECRET)
        response.headers["X-After"] = str(int(response.headers.get("X-After", "0")) + 1)
        return response

    @app.get("/ok")
    def ok() -> dict[str, Any]:
        return {"ok": True, "pid": os.getpid()}

    @app.get("/boom")
    def boom() -> str:
        raise Misconfigured(SECRET)

    @app.get("/problem")
    def problem() -> str:
        raise ShelfMissing(shelf=7)

    @app.get("/teardown")
    def teardown_route() -> dict[str, bool]:
        g.torn = True
        return {"ok": True}

    @app.get("/teardown-after-problem")
    def teardown_after_problem() -> str:
        raise ShelfMissing(shelf=8)

    @app.get("/teardown-after-error")
    def teardown_after_error() -> str:
        raise Misconfigured(SECRET)

    @app.get("/after-request")
    def after_request_route() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/stream/<kind>")
    def stream(kind: str) -> Response:
        return Response(STREAMS[kind](), mimetype="text/plain")

    @app.get("/body/<kind>")
    def body(kind: str) -> Response:
        made = BODIES[kind] = CLOSING_BODIES[kind]()
        return Response(made, mimetype="text/plain")

    @app.get("/abort-response")
    def abort_response() -> str:
        abort(Response("teapot", status=418))

    @app.get("/refused-header/<kind>")
    def refused_header(kind: str) -> Response:
        # werkzeug lets both through; servers refuse one or the other.
        headers = {"hop": {"Connection": "close"}, "nul": {"X-Note": f"a\x00{SECRET}"}}[kind]
        return Response("made", headers={"Set-Cookie": f"session={SECRET}", **headers})

    return app
