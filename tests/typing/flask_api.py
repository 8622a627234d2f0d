"""The Flask and WSGI adapters' public API as a user writes it, for mypy and pyright (never run).

Every ``type: ignore`` below marks a mistake the type checkers must catch:
mypy's ``warn_unused_ignores`` (part of strict) fails if one stops being an error.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Blueprint, Flask, Response
from typing_extensions import assert_type
from werkzeug.exceptions import NotFound

from problemdetails import Config, Problem, ProblemHandler, RetryAfterProblem
from problemdetails.adapters.flask import (
    CONFIG_PREFIX,
    EXTENSION_KEY,
    ProblemDetails,
    abort,
    get_handler,
    problem_response,
)
from problemdetails.adapters.wsgi import ProblemDetailsMiddleware

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


class OutOfCredit(
    Problem,
    type="https://example.com/probs/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    balance: int


def busy(error: TimeoutError) -> Problem:
    return RetryAfterProblem(retry_after=30, detail=str(error))


# --- Flask: setting up ---------------------------------------------------------------

app = Flask(__name__)
app.config[f"{CONFIG_PREFIX}FLOW_ID_HEADER"] = "X-Request-ID"
ProblemDetails(app, mappings={TimeoutError: busy, LookupError: NotFound}, debug=False)

ext = ProblemDetails(config=Config(instance="path"))


def create_app() -> Flask:
    factory_app = Flask(__name__)
    ext.init_app(factory_app)
    return factory_app


ProblemDetails(app, Config())  # type: ignore[call-arg]
ext.init_app()  # type: ignore[call-arg]

handler = get_handler(app)
assert_type(handler, ProblemHandler)
current: ProblemHandler = get_handler()
key: str = EXTENSION_KEY

# --- Flask: views ----------------------------------------------------------------------

books = Blueprint("books", __name__)


@books.get("/books/<int:book_id>")
def book(book_id: int) -> dict[str, Any]:
    if book_id == 0:
        abort(404, detail="No book 0.", book_id=book_id)
    if book_id == 1:
        abort(OutOfCredit, balance=30)
    if book_id == 2:
        abort(OutOfCredit(balance=30), detail="Balance is 30.")
    if book_id == 3:
        raise OutOfCredit(balance=30)
    return {"id": book_id}


@books.get("/rendered")
def rendered() -> Response:
    return problem_response(OutOfCredit(balance=30))


@books.get("/neutral")
def neutral() -> WSGIApplication:
    return OutOfCredit(balance=30).to_response()


def mistakes() -> None:
    problem_response(404)  # type: ignore[arg-type]
    abort("404")  # type: ignore[arg-type]


# --- WSGI ------------------------------------------------------------------------------


def bare(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
    start_response("200 OK", [("Content-Type", "text/plain")])
    return [b"ok"]


wrapped = ProblemDetailsMiddleware(bare, convert_error_responses=True, flow_id_header=None)
served: WSGIApplication = wrapped
around_flask: WSGIApplication = ProblemDetailsMiddleware(app.wsgi_app, config=Config())
middleware_handler: ProblemHandler = wrapped.handler
converting: bool = wrapped.convert_error_responses

ProblemDetailsMiddleware(bare, Config())  # type: ignore[call-arg]
ProblemDetailsMiddleware("app")  # type: ignore[arg-type]
