"""The demo API: the Flask, Django and plain-WSGI examples side by side.

Serves all three on one port (``/flask/...``, ``/django/...``, ``/wsgi/...``),
first walks through a tour of requests against itself and prints the problem
responses each adapter gives, then keeps serving until Ctrl-C::

    python examples/demo.py               # http://127.0.0.1:8000
    python examples/demo.py --port 9000
    python examples/demo.py --once        # the tour only, then exit
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import threading
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
os.environ["DJANGO_SETTINGS_MODULE"] = "django_api.settings"  # this demo's own, always

# The example apps, imported as their own modules would be by a server.
from django_api.wsgi import application as django_app  # noqa: E402
from flask_app import app as flask_app  # noqa: E402
from wsgi_app import app as wsgi_app  # noqa: E402

JSON = {"Content-Type": "application/json"}
XML = {"Accept": "application/problem+xml"}

# (what it shows, method, path, headers, body)
TOUR: list[tuple[str, str, str, dict[str, str], bytes | None]] = [
    ("Flask: a declared problem type", "GET", "/flask/books/99", {}, None),
    (
        "Flask: extension members (out of credit)",
        "POST",
        "/flask/accounts/12345/purchases",
        JSON,
        b'{"book": 1}',
    ),
    (
        "Flask: a validation problem with JSON Pointers",
        "POST",
        "/flask/books",
        JSON,
        b'{"title": "", "price": -1}',
    ),
    ("Flask: routing 405 keeps Allow", "DELETE", "/flask/books/1", {}, None),
    ("Flask: Retry-After from a mapped exception", "GET", "/flask/reports", {}, None),
    ("Flask: an unexpected error leaks nothing", "GET", "/flask/crash", {}, None),
    ("Flask: the XML form (RFC 9457 appendix B)", "GET", "/flask/books/99", XML, None),
    ("Django: a declared problem type", "GET", "/django/books/99/", {}, None),
    (
        "Django: a form's ValidationError",
        "POST",
        "/django/loans/",
        JSON,
        b'{"member": "not a slug!", "book": 0}',
    ),
    ("Django: PermissionDenied", "GET", "/django/reports/", {}, None),
    ("Django: a URL that matches no route", "GET", "/django/nowhere/", {}, None),
    ("Django: an unexpected error leaks nothing", "GET", "/django/crash/", {}, None),
    ("WSGI: a raised problem", "GET", "/wsgi/items/7", {}, None),
    ("WSGI: a werkzeug HTTPException", "GET", "/wsgi/items/x", {}, None),
    ("WSGI: the app's own HTML 404, converted", "GET", "/wsgi/legacy", {}, None),
    ("WSGI: an unexpected error leaks nothing", "GET", "/wsgi/crash", {}, None),
]

SHOWN_HEADERS = (
    "Content-Type",
    "X-Flow-ID",
    "X-Request-ID",
    "Allow",
    "Retry-After",
    "Content-Language",
)


class _ServerLog(logging.Formatter):
    """One line per record: the tour stays readable, the flow id stays visible."""

    def format(self, record: logging.LogRecord) -> str:
        return f"  server log: {record.levelname} {record.name}: {record.getMessage()}"


def _quiet_logging() -> None:
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(_ServerLog())
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the access log


def index(environ: dict[str, Any], start_response: Any) -> Any:
    """List what there is to try."""
    body = {"try": [f"{method} {path}" for _, method, path, _, _ in TOUR]}
    return Response(json.dumps(body, indent=2), mimetype="application/json")(
        environ, start_response
    )


app = DispatcherMiddleware(index, {"/flask": flask_app, "/django": django_app, "/wsgi": wsgi_app})


def _fetch(base: str, method: str, path: str, headers: dict[str, str], body: bytes | None) -> Any:
    # Only our own http://127.0.0.1 server is ever requested.
    request = urllib.request.Request(base + path, data=body, method=method, headers=headers)  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def tour(base: str) -> int:
    """Request every tour stop and print the responses; return how many were not problems."""
    wrong = 0
    for what, method, path, headers, body in TOUR:
        status, response_headers, content = _fetch(base, method, path, headers, body)
        media_type = response_headers.get("Content-Type", "")
        sys.stdout.flush()
        print(f"## {what}\n{method} {path} -> {status}")
        for name in SHOWN_HEADERS:
            if name in response_headers:
                print(f"{name}: {response_headers[name]}")
        if media_type == "application/problem+json":
            print(json.dumps(json.loads(content), indent=2, ensure_ascii=False))
        else:
            print(content.decode("utf-8", "replace"))
        print()
        wrong += not media_type.startswith("application/problem+")
    return wrong


def main(argv: list[str] | None = None) -> int:
    """Serve the demo, show the tour, and keep serving unless ``--once``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--once", action="store_true", help="show the tour, then exit")
    args = parser.parse_args(argv)
    _quiet_logging()

    server = make_server(args.host, args.port, app, threaded=True)
    base = f"http://{args.host}:{server.port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        wrong = tour(base)
        print(f"\n{len(TOUR)} requests, {wrong} answered with something other than a problem.")
        if args.once:
            return 1 if wrong else 0
        print(f"\nServing on {base} (Ctrl-C to stop); {base}/ lists what to try.")
        thread.join()
    except KeyboardInterrupt:
        pass
    finally:
        server.shutdown()
    return 0


if __name__ == "__main__":
    sys.exit(main())
