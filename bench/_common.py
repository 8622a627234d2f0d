"""What the benchmarks share: the problem they raise, its hand-written twin, WSGI timing."""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Any

from problemdetails import Problem

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

DETAIL = "Your current balance is 30, but that costs 50."
ACCOUNTS = ["/account/12345", "/account/67890"]


class OutOfCredit(
    Problem,
    type="https://example.com/probs/out-of-credit",
    title="You do not have enough credit.",
    status=403,
):
    """RFC 9457's example problem type, as the library declares it."""

    balance: int
    accounts: list[str]


class HandOutOfCredit(Exception):  # noqa: N818 - named after the problem it stands for
    """The same error as a baseline writes it: a plain exception with attributes."""

    def __init__(self, balance: int, accounts: list[str], detail: str) -> None:
        super().__init__(detail)
        self.balance = balance
        self.accounts = accounts
        self.detail = detail


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


#: The file `report` appends its rows to (JSON lines), when set: how
#: ``bench/run_all.py`` gathers every benchmark into one table.
RESULTS_ENV = "PROBLEMDETAILS_BENCH_RESULTS"


@dataclass(frozen=True)
class Row:
    """One comparison: the library against the code a user would write without it.

    ``ratio`` is ours over the baseline (lower is better); ``aim`` the ratio
    the issue asks for, or None when the row only informs; ``unit`` what the
    two figures measure.
    """

    bench: str
    case: str
    ours: float
    base: float
    ratio: float
    aim: float | None = None
    unit: str = "us"
    median_ratio: float | None = None

    @property
    def met(self) -> bool | None:
        """Whether the aim is met; None when there is none."""
        return None if self.aim is None else self.ratio <= self.aim


#: Times *number* calls of one side of a comparison; returns the time per call.
Measure = Callable[[int], float]


def interleaved(
    bench: str,
    case: str,
    ours: Measure,
    baseline: Measure,
    *,
    repeat: int,
    number: int,
    aim: float | None = None,
    plus: float | None = None,
    scale: float = 1e6,
) -> Row:
    """Time *ours* against *baseline* in alternating rounds; the minimum of each.

    Both are warmed up first; a busy machine then slows both alike. *scale*
    turns the measures' unit into the row's (seconds to microseconds by
    default); *plus* states the aim as that much over the baseline instead
    of as a ratio.
    """
    ours(max(number // 10, 1))
    baseline(max(number // 10, 1))
    mine: list[float] = []
    theirs: list[float] = []
    for _ in range(repeat):
        mine.append(ours(number))
        theirs.append(baseline(number))
    best, base = min(mine) * scale, min(theirs) * scale
    if plus is not None:
        aim = (base + plus) / base
    return Row(
        bench=bench,
        case=case,
        ours=best,
        base=base,
        ratio=best / base,
        aim=aim,
        median_ratio=statistics.median(mine) / statistics.median(theirs),
    )


def report(rows: Sequence[Row], title: str | None = None) -> None:
    """Print *rows* as a table; also append them to ``$PROBLEMDETAILS_BENCH_RESULTS``."""
    if title:
        print(title)
    print(format_table(rows))
    path = os.environ.get(RESULTS_ENV)
    if path:
        with open(path, "a", encoding="utf-8") as out:  # noqa: PTH123 - a plain append
            out.writelines(json.dumps(asdict(row)) + "\n" for row in rows)


def format_table(rows: Sequence[Row]) -> str:
    """Return *rows* as aligned text: figures, ratio, aim and whether it is met."""
    header = (
        f"{'bench':8} {'case':52} {'ours':>10} {'baseline':>10} {'ratio':>7} {'median':>7}"
        f" {'aim':>6}  met"
    )
    lines = [header]
    for row in rows:
        median = "" if row.median_ratio is None else f"{row.median_ratio:.2f}x"
        aim = "" if row.aim is None else f"{row.aim:.2f}x"
        met = {None: "", True: "yes", False: "NO"}[row.met]
        lines.append(
            f"{row.bench:8} {row.case:52} {row.ours:8.2f}{row.unit:>2} {row.base:8.2f}{row.unit:>2}"
            f" {row.ratio:6.2f}x {median:>7} {aim:>6}  {met}"
        )
    return "\n".join(lines)
