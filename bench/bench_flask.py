"""Per-request cost of the Flask extension and the WSGI middleware, against hand-written code.

Run from the repository root with the project's environment::

    .venv/bin/python bench/bench_flask.py

Every case calls the WSGI application in-process (no network) with a fresh
environ, reads the body and closes it, as a server would; subject and baseline
run interleaved in the same process, and the per-request time is the minimum
(and median) over the repeats. Cases:

- ``error: raised problem``: a view raises a declared problem, answered by the
  extension; the baseline raises a plain exception that a hand-written
  ``@app.errorhandler`` turns into the same JSON document (``json.dumps``, a
  ``uuid4`` flow id, the same headers). Aim: 1.05x or less.
- ``error: unknown URL``: werkzeug's 404 through the extension, against a
  hand-written ``@app.errorhandler(404)`` building the same document.
- ``error: unexpected exception``: a view raising ``RuntimeError``, answered
  with the generic 500 (with ``got_request_exception`` sent, and one log
  record, here below the logger's level), against a hand-written
  ``@app.errorhandler(Exception)`` building the same document.
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
import json
import logging
import statistics
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from _common import ACCOUNTS, DETAIL, HandOutOfCredit, OutOfCredit, WSGIApp, per_request
from flask import Flask, Response
from werkzeug.exceptions import NotFound

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

    @app.get("/stream")
    def stream() -> Response:
        return Response(chunks())

    return app


def chunks() -> Iterator[bytes]:
    yield b"o"
    yield b"k"


def problem_json(members: dict[str, Any], status: int) -> Response:
    flow_id = uuid.uuid4().hex
    body = json.dumps({**members, "flow_id": flow_id}, separators=(",", ":"))
    return Response(
        body, status, headers={"Content-Type": "application/problem+json", "X-Flow-ID": flow_id}
    )


def hand_written_app() -> Flask:
    app = Flask("bench_hand_written")

    @app.errorhandler(HandOutOfCredit)
    def out_of_credit(error: HandOutOfCredit) -> Response:
        flow_id = uuid.uuid4().hex
        body = json.dumps(
            {
                "type": "https://example.com/probs/out-of-credit",
                "title": "You do not have enough credit.",
                "status": 403,
                "detail": error.detail,
                "flow_id": flow_id,
                "balance": error.balance,
                "accounts": error.accounts,
            },
            separators=(",", ":"),
        )
        return Response(
            body, 403, headers={"Content-Type": "application/problem+json", "X-Flow-ID": flow_id}
        )

    @app.errorhandler(NotFound)
    def not_found(error: NotFound) -> Response:
        return problem_json({"type": "about:blank", "title": "Not Found", "status": 404}, 404)

    @app.errorhandler(Exception)
    def unexpected(error: Exception) -> Response:
        return problem_json(
            {
                "type": "about:blank",
                "title": "Internal Server Error",
                "status": 500,
                "detail": INTERNAL_DETAIL,
            },
            500,
        )

    @app.get("/crash")
    def crash() -> str:
        raise RuntimeError(DETAIL)

    @app.get("/fail")
    def fail() -> str:
        raise HandOutOfCredit(balance=30, accounts=ACCOUNTS, detail=DETAIL)

    @app.get("/ok")
    def ok() -> dict[str, bool]:
        return {"ok": True}

    return app


INTERNAL_DETAIL = (
    "The server encountered an unexpected condition that prevented it from fulfilling the request."
)


def bare_list(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "2")])
    return [b"ok"]


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

    return app


def compare(
    name: str, subject: WSGIApp, baseline: WSGIApp, path: str, *, repeat: int, number: int
) -> tuple[str, float, float, float, float]:
    per_request(subject, path, number // 10)  # warm up both
    per_request(baseline, path, number // 10)
    ours: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        ours.append(per_request(subject, path, number))
        theirs.append(per_request(baseline, path, number))
    return (
        name,
        min(ours) * 1e6,
        min(theirs) * 1e6,
        statistics.median(ours) / statistics.median(theirs),
        min(ours) / min(theirs),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--number", type=int, default=2_000)
    args = parser.parse_args()
    extension, hand = extension_app(), hand_written_app()
    # Keep the benchmark free of log output: the hand-written code logs nothing.
    for logger in (logging.getLogger("problemdetails"), extension.logger):
        logger.setLevel(logging.CRITICAL)
    plain = Flask("bench_plain")
    plain.add_url_rule("/ok", "ok", view_func=lambda: {"ok": True})
    plain.add_url_rule("/stream", "stream", view_func=lambda: Response(chunks()))
    rows = [
        compare(
            "error: raised problem",
            extension,
            hand,
            "/fail",
            repeat=args.repeat,
            number=args.number,
        ),
        compare(
            "error: unknown URL (404)",
            extension,
            hand,
            "/nowhere",
            repeat=args.repeat,
            number=args.number,
        ),
        compare(
            "error: unexpected exception (500)",
            extension,
            hand,
            "/crash",
            repeat=args.repeat,
            number=args.number,
        ),
        compare(
            "success: Flask + extension",
            extension,
            plain,
            "/ok",
            repeat=args.repeat,
            number=args.number,
        ),
        compare(
            "success: Flask streamed body",
            extension,
            plain,
            "/stream",
            repeat=args.repeat,
            number=args.number,
        ),
        compare(
            "success: Flask + middleware",
            ProblemDetailsMiddleware(plain),
            plain,
            "/ok",
            repeat=args.repeat,
            number=args.number,
        ),
        compare(
            "success: WSGI list body",
            ProblemDetailsMiddleware(bare_list),
            bare_list,
            "/ok",
            repeat=args.repeat,
            number=args.number * 10,
        ),
        compare(
            "success: WSGI generator body",
            ProblemDetailsMiddleware(bare_generator),
            bare_generator,
            "/ok",
            repeat=args.repeat,
            number=args.number * 10,
        ),
    ]
    peer = peer_app()
    if peer is not None:
        rows.extend(
            compare(f"peer: {case}", peer, hand, path, repeat=args.repeat, number=args.number)
            for case, path in (
                ("raised problem", "/fail"),
                ("unknown URL (404)", "/nowhere"),
                ("unexpected exception (500)", "/crash"),
            )
        )
    print(f"{'case':32} {'ours us':>9} {'base us':>9} {'diff us':>8} {'min x':>7} {'med x':>7}")
    for name, ours, theirs, median_ratio, min_ratio in rows:
        print(
            f"{name:32} {ours:9.2f} {theirs:9.2f} {ours - theirs:8.2f}"
            f" {min_ratio:7.3f} {median_ratio:7.3f}"
        )


if __name__ == "__main__":
    main()
