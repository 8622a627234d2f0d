"""A bare WSGI app (no framework) whose every error is an RFC 9457 problem.

Run it from this folder::

    gunicorn wsgi_app:app
    python wsgi_app.py            # wsgiref, on port 8000

Then try::

    curl -i localhost:8000/items/1
    curl -i localhost:8000/items/7            # 404 from a raised problem
    curl -i localhost:8000/items/x            # 400 from a werkzeug HTTPException
    curl -i localhost:8000/legacy             # the app's own HTML 404, converted
    curl -i localhost:8000/crash              # the generic 500: nothing leaks
    curl -i localhost:8000/nowhere
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import Any

from werkzeug.exceptions import BadRequest, NotFound

from problemdetails import Problem
from problemdetails.adapters.wsgi import ProblemDetailsMiddleware

StartResponse = Callable[..., Callable[[bytes], object]]

ITEMS = {1: "teapot", 2: "kettle"}


class ItemNotFound(
    Problem,
    type="https://shop.example/problems/item-not-found",
    title="There is no such item.",
    status=404,
):
    item_id: int


def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
    path = environ.get("PATH_INFO", "")
    if path.startswith("/items/"):
        try:
            item_id = int(path.removeprefix("/items/"))
        except ValueError:
            raise BadRequest("Item ids are whole numbers.") from None
        if item_id not in ITEMS:
            raise ItemNotFound(item_id=item_id)
        body = json.dumps({"id": item_id, "name": ITEMS[item_id]}).encode()
        start_response("200 OK", [("Content-Type", "application/json")])
        return [body]
    if path == "/legacy":
        # An old part of the app that still answers with an HTML page.
        start_response("404 Not Found", [("Content-Type", "text/html")])
        return [b"<h1>Not here</h1>"]
    if path == "/crash":
        raise RuntimeError("connection to db://admin:hunter2@10.0.0.5 refused")
    raise NotFound


app = ProblemDetailsMiddleware(application, convert_error_responses=True)


if __name__ == "__main__":
    from wsgiref.simple_server import make_server

    with make_server("", 8000, app) as server:
        print("Serving on http://localhost:8000")
        server.serve_forever()
