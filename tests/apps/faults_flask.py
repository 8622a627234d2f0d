"""A Flask app for fault injection: the faults of `apps.faults_common`, plus plain routes."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from apps.faults_common import FAULTS, SECRET, raise_given, release_hanging_hooks
from flask import Flask, Response, request

from problemdetails import Problem
from problemdetails.adapters.flask import ProblemDetails


class ItemMissing(Problem, type="urn:faults:item-missing", title="No such item.", status=404):
    """A declared client error."""

    item_id: int


def _stream() -> Iterator[bytes]:
    raise_given()
    yield b"never"


def create_app(**settings: Any) -> Flask:  # noqa: C901 - one route per case
    """Return an app with the extension set up with *settings*.

    Routes: ``/ok`` (the worker's pid), ``/release`` (ends hanging hooks),
    ``/fault/<name>``, ``/problem`` (a declared 404), ``/crash`` (an
    unexpected error), ``/raise``, ``/raise-before``, ``/raise-teardown`` and
    ``/raise-stream`` (what `raise_given` raises: in the view, in a
    ``before_request`` hook, in a ``teardown_request`` function, in a
    streamed body before its first chunk).
    """
    app = Flask(__name__)
    ProblemDetails(app, **settings)

    @app.before_request
    def before() -> None:
        if request.path == "/raise-before":
            raise_given()

    @app.teardown_request
    def teardown(error: BaseException | None) -> None:
        if request.path == "/raise-teardown":
            raise_given()

    @app.get("/raise-teardown")
    def torn_down() -> str:
        return "torn down"

    @app.get("/raise-stream")
    def stream() -> Response:
        return Response(_stream())

    @app.get("/ok")
    def ok() -> dict[str, Any]:
        return {"ok": True, "pid": os.getpid()}

    @app.get("/release")
    def release() -> dict[str, bool]:
        release_hanging_hooks()
        return {"released": True}

    @app.get("/fault/<name>")
    def fault(name: str) -> str:
        exception = FAULTS[name]()
        raise exception

    @app.get("/problem")
    def problem() -> str:
        raise ItemMissing(item_id=7, detail="There is no item 7.")

    @app.get("/crash")
    def crash() -> str:
        raise RuntimeError(SECRET)

    @app.get("/raise")
    def given() -> str:
        raise_given()
        return "unreachable"

    return app
