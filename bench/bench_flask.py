"""Per-request cost of the Flask extension and the WSGI middleware, against hand-written code.

Run from the repository root with the project's environment::

    .venv/bin/python bench/bench_flask.py

Every case calls the WSGI application in-process (no network) with a fresh
environ, reads the body and closes it, as a server would; subject and baseline
run interleaved in the same process, and the per-request time is the minimum
(and median) over the repeats. Cases:

- ``error: ...``: a view raises a declared problem, werkzeug's ``NotFound``,
  an unexpected exception, or the URL is unknown; the extension answers.
  The baseline is the same Flask app with the error handlers a user would
  write by hand (``@app.errorhandler`` for the exception, ``NotFound`` and
  ``Exception``, each building the same JSON document with ``json.dumps``
  and ``app.response_class(..., mimetype=...)``; no flow id). Aim: 1.10x or
  less. For the unexpected exception the extension also sends
  ``got_request_exception`` and makes one log record (below the logger's
  level here).
- ``success: Flask``: a view that does not fail, with and without the
  extension, its body a string and a generator (the extension takes a
  streamed body's first chunk before the request ends). Aim: no measurable
  difference.
- ``success: WSGI``: the same for ``ProblemDetailsMiddleware`` around a bare
  WSGI app (list body, and generator body) and around the Flask app.
- ``peer: ...``: when ``flask-problem-details`` is installed, the same three
  error cases through it, against the same hand-written baseline, in the same
  run. (It sends exception text in its 500 and keeps no headers; it is timed
  as it is.)
"""

from __future__ import annotations

import argparse
import functools
import json
import logging
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from _common import (
    ACCOUNTS,
    DETAIL,
    HandOutOfCredit,
    OutOfCredit,
    Row,
    WSGIApp,
    interleaved,
    per_request,
    report,
)
from flask import Flask, Response
from werkzeug.exceptions import NotFound

from problemdetails import _render as render_module
from problemdetails.adapters.flask import ProblemDetails
from problemdetails.adapters.wsgi import ProblemDetailsMiddleware


def extension_app() -> Flask:
    app = Flask("bench_extension")
    ProblemDetails(app)

    @app.get("/fail")
    def fail() -> str:
        raise OutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)

    @app.get("/ok")
    def ok() -> dict[str, bool]:
        return {"ok": True}

    @app.get("/crash")
    def crash() -> str:
        raise RuntimeError(DETAIL)

    @app.get("/missing")
    def missing() -> str:
        raise NotFound

    @app.get("/stream")
    def stream() -> Response:
        return Response(chunks())

    return app


def chunks() -> Iterator[bytes]:
    yield b"o"
    yield b"k"


def problem_json(app: Flask, members: dict[str, Any], status: int) -> Response:
    """What a hand-written error handler returns: ``json.dumps`` and the app's response class."""
    return app.response_class(
        json.dumps(members),
        status=status,
        mimetype="application/problem+json",
    )


def out_of_credit_members(error: HandOutOfCredit) -> dict[str, Any]:
    """The out-of-credit document as hand-written code builds it from its exception."""
    return {
        "type": "https://example.com/probs/out-of-credit",
        "title": "You do not have enough credit.",
        "status": 403,
        "detail": error.detail,
        "balance": error.balance,
        "accounts": error.accounts,
    }


def hand_written_app() -> Flask:
    """The same app with the error handlers a user would write without the library.

    No flow id, no negotiation, no ``Vary``, no logging: the plainest code
    that sends the same documents.
    """
    app = Flask("bench_hand_written")

    @app.errorhandler(HandOutOfCredit)
    def out_of_credit(error: HandOutOfCredit) -> Response:
        return problem_json(app, out_of_credit_members(error), 403)

    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> Response:
        return problem_json(app, {"type": "about:blank", "title": "Not Found", "status": 404}, 404)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        return problem_json(app, INTERNAL_MEMBERS, 500)

    @app.get("/crash")
    def crash() -> str:
        raise RuntimeError(DETAIL)

    @app.get("/fail")
    def fail() -> str:
        raise HandOutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)

    @app.get("/missing")
    def missing() -> str:
        raise NotFound

    @app.get("/ok")
    def ok() -> dict[str, bool]:
        return {"ok": True}

    return app


INTERNAL_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)
INTERNAL_MEMBERS = {
    "type": "about:blank",
    "title": "Internal Server Error",
    "status": 500,
    "detail": INTERNAL_DETAIL,
}


def bare_list(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


def bare_failing(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """A bare WSGI app whose request fails: a declared problem, or an unexpected exception."""
    if environ["PATH_INFO"] == "/fail":
        raise OutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)
    raise RuntimeError(DETAIL)


def hand_failing(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    """The same app's failures as a plain exception, and its error wrapper written by hand."""
    if environ["PATH_INFO"] == "/fail":
        raise HandOutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)
    raise RuntimeError(DETAIL)


def hand_wrapper(app: WSGIApp) -> WSGIApp:
    """The error wrapper a user writes around a WSGI app: try, except, one JSON document."""

    def wrapped(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        try:
            return app(environ, start_response)
        except HandOutOfCredit as error:
            status, members = "403 Forbidden", out_of_credit_members(error)
        except Exception:  # noqa: BLE001 - the generic 500, as the library sends it
            status, members = "500 Internal Server Error", INTERNAL_MEMBERS
        body = json.dumps(members).encode()
        start_response(
            status,
            [("Content-Type", "application/problem+json"), ("Content-Length", str(len(body)))],
        )
        return [body]

    return wrapped


def bare_generator(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterator[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    yield b"o"
    yield b"k"


def peer_app() -> Flask | None:
    """The same error cases through flask-problem-details, when it is installed."""
    try:
        from flask_problem_details import ProblemDetails as PeerProblem  # noqa: PLC0415
        from flask_problem_details import (  # noqa: PLC0415 - an optional peer
            ProblemDetailsError,
            configure_app,
        )
    except ImportError:
        return None
    app = configure_app(Flask("bench_peer"))

    @app.get("/fail")
    def fail() -> str:
        problem = PeerProblem(
            type="https://example.com/probs/out-of-credit",
            title="You do not have enough credit.",
            status=403,
            detail=DETAIL,
            balance=30,
            accounts=ACCOUNTS,
        )
        raise ProblemDetailsError(problem=problem, exception=None)

    @app.get("/crash")
    def crash() -> str:
        raise RuntimeError("boom")

    @app.get("/missing")
    def missing() -> str:
        raise NotFound

    return app


def compare(
    case: str,
    subject: WSGIApp,
    baseline: WSGIApp,
    path: str,
    *,
    repeat: int,
    number: int,
    aim: float | None = None,
    plus_us: float | None = None,
) -> Row:
    """Time *subject* against *baseline* on *path*, interleaved (*plus_us*: an aim in us)."""
    return interleaved(
        "flask",
        case,
        functools.partial(per_request, subject, path),
        functools.partial(per_request, baseline, path),
        repeat=repeat,
        number=number,
        aim=aim,
        plus=plus_us,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--number", type=int, default=2_000)
    parser.add_argument(
        "--standard-json",
        action="store_true",
        help="encode with the standard library even when the orjson extra is installed",
    )
    args = parser.parse_args()
    encoder = "orjson" if render_module._orjson_backend() is not None else "json"  # noqa: SLF001
    if args.standard_json:
        render_module._encode = render_module._stdlib_json  # noqa: SLF001
        encoder = "json"
    extension, hand = extension_app(), hand_written_app()
    # Keep the benchmark free of log output: the hand-written code logs nothing.
    for logger in (logging.getLogger("problemdetails"), extension.logger):
        logger.setLevel(logging.CRITICAL)
    plain = Flask("bench_plain")
    plain.add_url_rule("/ok", "ok", view_func=lambda: {"ok": True})
    plain.add_url_rule("/stream", "stream", view_func=lambda: Response(chunks()))
    run = functools.partial(compare, repeat=args.repeat, number=args.number)
    rows = [
        run("error: raised problem", extension, hand, "/fail", aim=1.10),
        run("error: view raises NotFound", extension, hand, "/missing", aim=1.10),
        run("error: unknown URL (404)", extension, hand, "/nowhere", aim=1.10),
        run("error: unexpected exception (500)", extension, hand, "/crash", aim=1.10),
        run("success: Flask + extension", extension, plain, "/ok", aim=1.02),
        run("success: Flask streamed body", extension, plain, "/stream", aim=1.02),
        run(
            "success: Flask + middleware", ProblemDetailsMiddleware(plain), plain, "/ok", plus_us=1
        ),
    ]
    for name, app in (("list", bare_list), ("generator", bare_generator)):
        middleware = ProblemDetailsMiddleware(app)
        rows.append(
            compare(
                f"success: WSGI middleware, {name} body",
                middleware,
                app,
                "/ok",
                repeat=args.repeat,
                number=args.number * 10,
                plus_us=1,
            )
        )
    logging.getLogger("problemdetails").setLevel(logging.CRITICAL)
    failing, hand_failing_app = ProblemDetailsMiddleware(bare_failing), hand_wrapper(hand_failing)
    rows.extend(
        compare(
            f"error: WSGI middleware, {name}",
            failing,
            hand_failing_app,
            path,
            repeat=args.repeat,
            number=args.number * 5,
            aim=1.10,
        )
        for name, path in (("raised problem", "/fail"), ("unexpected exception", "/crash"))
    )
    peer = peer_app()
    if peer is not None:
        rows.extend(
            run(f"peer flask-problem-details: {case}", peer, hand, path)
            for case, path in (
                ("raised problem", "/fail"),
                ("view raises NotFound", "/missing"),
                ("unknown URL (404)", "/nowhere"),
                ("unexpected exception (500)", "/crash"),
            )
        )
    report(
        rows,
        f"Flask {flask_version()}, {encoder} encoder, per request,"
        f" min of {args.repeat} interleaved rounds",
    )


def flask_version() -> str:
    """The installed Flask's version."""
    from importlib.metadata import version  # noqa: PLC0415 - only for the title

    return version("flask")


if __name__ == "__main__":
    main()
