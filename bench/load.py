"""Load: the Flask, Django and WSGI examples under gunicorn, driven by a mixed load.

Starts gunicorn on 127.0.0.1 (free ports) for ``examples/flask_app.py``,
``examples/django_api`` and ``examples/wsgi_app.py``, warms them up, then
drives a bounded mixed load (successes, 4xx problems, 5xx problems, unknown
URLs) from client processes for a fixed time, and reports: requests served,
responses that were not valid problem documents where a problem was due,
unexpected statuses, client-side errors, p50/p99 latency per app and overall,
and each server's memory (RSS of the gunicorn master and its workers, from
``/proc``) after the warm-up and at the end. It stops the servers itself.

Then, in the same run (unless ``--no-twins``), each example is compared with
its hand-written twin in ``bench/twins``: the same routes, statuses and
problem documents without the library, served by gunicorn with the same
settings. The two take turns: in every round each server gets a slice of
``--slice`` seconds in which all client processes load it alone with its
app's mix (ours first in even rounds, the twin first in odd ones, so that
the machine's other load falls on both), after one round of warm-up. The
report gives each side's error responses (4xx and 5xx) per second in its
best slice, the ratio ours/twin against the aim (>= 0.95) and the median of
the rounds' ratios. The same figures go to ``bench/_common.report`` as rows
of ``bench/run_all.py``'s table, where a ratio is lower-is-better: there it
is twin/ours (our cost per error response over the twin's), aim 1/0.95.

Run from the repository root with the project's environment::

    .venv/bin/python bench/load.py                 # 60 s of load, then about 60 s of turns
    .venv/bin/python bench/load.py --seconds 10
    .venv/bin/python bench/load.py --no-twins      # our examples only

The client is a small Python one: each client process holds one keep-alive
``http.client`` connection per app (reopened every ``--reconnect`` requests,
so both workers get traffic), sends the next request when the last answer is
in (the load is bounded by the number of connections) and validates every
response, the twins' with the same checks. Exit status 1 if any response
was not a valid problem document where one was due, had an unexpected
status, gave away what the example's crash carries, if a request failed on
the client side, if a worker was replaced, or if a server's memory grew
past the margin: ``max(5 MiB, 5%)`` of its RSS after the warm-up; and 1 too
if a twin's response failed a check (the report says it is the twin's
defect, and the ratios are then not meaningful). A missed aim does not
change the exit status: the comparison is a report, not a test.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import multiprocessing
import os
import queue
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Generator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

from _common import Row
from _common import report as report_rows

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TWINS_DIR = ROOT / "bench" / "twins"
BIN = Path(sys.executable).parent
STARTUP_SECONDS = 30.0
MIB = 1024 * 1024
#: Memory may grow by the larger of these per server (master and workers).
MARGIN_BYTES = 5 * MIB
MARGIN_RATIO = 0.05
#: Seconds between the memory samples printed for the measured run.
SAMPLE_SECONDS = 10.0
#: The comparison with the twins: what ours must reach, as a fraction of the
#: twin's error responses per second; the time the client processes get to
#: start; the pause between two slices (the last answers come in).
AIM = 0.95
SPAWN_SECONDS = 3.0
SLICE_GAP = 0.25
JSON_BODY = {"Content-Type": "application/json"}
XML = "application/problem+xml"
# What the examples' crashes carry; no response may show it.
LEAK_MARKERS = (b"hunter2", b"10.0.0.5", b"division by zero", b"Traceback")


@dataclass(frozen=True)
class Route:
    """One kind of request and the status it must get."""

    kind: str  # "success", "4xx", "5xx" or "unknown"
    method: str
    path: str
    status: int
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict[str, str])
    weight: int = 1


@dataclass(frozen=True)
class App:
    """An example app as gunicorn serves it."""

    name: str
    target: str
    flow_id_header: str
    routes: tuple[Route, ...]
    env: dict[str, str] = field(default_factory=dict[str, str])
    cwd: Path = EXAMPLES


APPS = (
    App(
        "flask",
        "flask_app:app",
        "X-Flow-ID",
        (
            Route("success", "GET", "/books/1", 200, weight=3),
            Route("success", "GET", "/books/2", 200, weight=3),
            Route("4xx", "GET", "/books/99", 404, weight=2),
            Route("4xx", "GET", "/books/99", 404, headers={"Accept": XML}),
            Route("4xx", "POST", "/books", 422, b'{"title": "", "price": -1}', JSON_BODY),
            Route("4xx", "POST", "/books", 400, b'{"title": ', JSON_BODY),
            Route("4xx", "POST", "/accounts/12345/purchases", 403, b'{"book": 1}', JSON_BODY),
            Route("4xx", "POST", "/accounts/nobody/purchases", 404, b'{"book": 1}', JSON_BODY),
            Route("4xx", "DELETE", "/books/1", 405),
            Route("5xx", "GET", "/crash", 500, weight=2),
            Route("5xx", "GET", "/reports", 503),
            Route("unknown", "GET", "/nowhere", 404),
            Route("unknown", "GET", "/books/not-a-number", 404),
        ),
    ),
    App(
        "django",
        "django_api.wsgi:application",
        "X-Request-ID",
        (
            Route("success", "GET", "/books/", 200, weight=3),
            Route("success", "GET", "/books/1/", 200, weight=3),
            Route("4xx", "GET", "/books/99/", 404, weight=2),
            Route("4xx", "GET", "/books/99/", 404, headers={"Accept": XML}),
            Route("4xx", "POST", "/loans/", 422, b'{"member": "not a slug!", "book": 0}'),
            Route("4xx", "POST", "/loans/", 409, b'{"member": "ada", "book": 2}'),
            Route("4xx", "POST", "/loans/", 400, b"not json"),
            Route("4xx", "GET", "/reports/", 403),
            Route("4xx", "GET", "/loans/", 405),
            Route("5xx", "GET", "/crash/", 500, weight=2),
            Route("5xx", "GET", "/catalogue/export/", 503),
            Route("unknown", "GET", "/nowhere/", 404),
            Route("unknown", "GET", "/books/not-a-number/", 404),
        ),
        {"DJANGO_SETTINGS_MODULE": "django_api.settings"},
    ),
    App(
        "wsgi",
        "wsgi_app:app",
        "X-Flow-ID",
        (
            Route("success", "GET", "/items/1", 200, weight=3),
            Route("success", "GET", "/items/2", 200, weight=3),
            Route("4xx", "GET", "/items/7", 404, weight=2),
            Route("4xx", "GET", "/items/7", 404, headers={"Accept": XML}),
            Route("4xx", "GET", "/items/x", 400),
            Route("4xx", "GET", "/legacy", 404),
            Route("5xx", "GET", "/crash", 500, weight=2),
            Route("unknown", "GET", "/nowhere", 404),
        ),
    ),
)


#: Each example's hand-written twin (``bench/twins``): the same routes, statuses
#: and problem documents, the same checks, without the library.
TWINS = tuple(
    replace(app, name=f"{app.name}-twin", target=target, env=env, cwd=TWINS_DIR)
    for app, (target, env) in zip(
        APPS,
        (
            ("flask_twin:app", {}),
            ("django_twin.wsgi:application", {"DJANGO_SETTINGS_MODULE": "django_twin.settings"}),
            ("wsgi_twin:app", {}),
        ),
        strict=True,
    )
)


# --- Validation -----------------------------------------------------------------


def problem_members(content_type: str, body: bytes) -> dict[str, Any]:
    """Return the members of a problem document, or raise ValueError saying why it is not one."""
    media_type = content_type.partition(";")[0].strip()
    if media_type == "application/problem+json":
        document: object = json.loads(body)
        if not isinstance(document, dict):
            raise ValueError("the JSON is not an object")
        return cast("dict[str, Any]", document)
    if media_type == XML:
        try:
            # Our own server's answer: ElementTree is enough to check its shape.
            root = ET.fromstring(body)  # noqa: S314
        except ET.ParseError as error:
            raise ValueError(f"the XML is not well-formed: {error}") from None
        if root.tag != "{urn:ietf:rfc:7807}problem":
            raise ValueError(f"the XML root is {root.tag}")
        members: dict[str, Any] = {child.tag.rpartition("}")[2]: child.text for child in root}
        status = members.get("status")
        if isinstance(status, str) and status.isdigit():
            members["status"] = int(status)
        return members
    raise ValueError(f"media type {content_type!r}")


def invalid_problem(
    status: int, headers: http.client.HTTPMessage, body: bytes, header: str, sent: str | None
) -> str | None:
    """Return why a response where a problem was due is not a valid one, or None."""
    try:
        members = problem_members(headers.get("Content-Type", ""), body)
    except ValueError as error:
        return f"not a problem document: {error}"
    if members.get("status") != status:
        return f"status member {members.get('status')!r} for HTTP {status}"
    if not isinstance(members.get("type"), str) or not isinstance(members.get("title"), str):
        return "type or title missing"
    flow_id = headers.get(header)
    if not flow_id or members.get("flow_id") != flow_id:
        return f"flow id header {flow_id!r}, member {members.get('flow_id')!r}"
    if sent is not None and flow_id != sent:
        return f"sent flow id {sent!r}, got {flow_id!r}"
    return None


# --- The client -------------------------------------------------------------


@dataclass
class Tally:
    """What one client process saw of one app."""

    served: int = 0
    errors: int = 0  # responses with a 4xx or 5xx status
    invalid: int = 0
    unexpected: int = 0
    leaked: int = 0
    client_errors: int = 0
    by_kind: dict[str, int] = field(default_factory=dict[str, int])
    latencies: list[float] = field(default_factory=list[float])
    samples: list[str] = field(default_factory=list[str])

    @property
    def failures(self) -> int:
        """Responses that failed a check, and requests that failed on the client side."""
        return self.invalid + self.unexpected + self.leaked + self.client_errors

    def note(self, sample: str) -> None:
        if len(self.samples) < 5:
            self.samples.append(sample)

    def merge(self, other: Tally) -> None:
        self.served += other.served
        self.errors += other.errors
        self.invalid += other.invalid
        self.unexpected += other.unexpected
        self.leaked += other.leaked
        self.client_errors += other.client_errors
        for kind, count in other.by_kind.items():
            self.by_kind[kind] = self.by_kind.get(kind, 0) + count
        self.latencies.extend(other.latencies)
        for sample in other.samples:
            self.note(sample)


def _check(
    app: App, route: Route, response: http.client.HTTPResponse, sent: str | None
) -> tuple[str, str]:
    """Read and validate *response*; return the tally field it counts against and why.

    Both are "" if the response is what was due.
    """
    body = response.read()
    status = response.status
    if any(marker in body for marker in LEAK_MARKERS):
        return "leaked", "the crash's secrets in the body"
    if status != route.status:
        return "unexpected", f"status {status}"
    if status >= 400:
        reason = invalid_problem(status, response.headers, body, app.flow_id_header, sent)
        return ("invalid", reason) if reason else ("", "")
    try:
        json.loads(body)
    except ValueError:
        return "unexpected", "the body is not JSON"
    return "", ""


def exchange(
    connection: http.client.HTTPConnection, app: App, route: Route, sent: str | None, tally: Tally
) -> bool:
    """Send *route*'s request, validate the answer and count it on *tally*.

    *sent* is the flow id to send, if any. Return False if the request failed
    on the client side; the connection is closed then.
    """
    headers = dict(route.headers)
    if sent is not None:
        headers[app.flow_id_header] = sent
    start = time.perf_counter()
    try:
        connection.request(route.method, route.path, body=route.body, headers=headers)
        response = connection.getresponse()
        failed, reason = _check(app, route, response, sent)
    except (OSError, http.client.HTTPException, ValueError) as error:
        tally.client_errors += 1
        tally.note(f"{app.name} {route.method} {route.path}: {type(error).__name__}: {error}")
        connection.close()
        return False
    tally.latencies.append(time.perf_counter() - start)
    tally.served += 1
    tally.errors += response.status >= 400
    tally.by_kind[route.kind] = tally.by_kind.get(route.kind, 0) + 1
    if failed:
        setattr(tally, failed, getattr(tally, failed) + 1)
        request = f"{app.name} {route.method} {route.path}"
        tally.note(f"{request} -> {response.status}: {failed}, {reason}")
    return True


def client(ports: dict[str, int], seconds: float, seed: int, reconnect: int, results: Any) -> None:
    """Send requests to every app until *seconds* are up; put the tallies on *results*."""
    rng = random.Random(seed)  # a load mix, not a secret
    schedule = [(app, route) for app in APPS for route in app.routes for _ in range(route.weight)]
    tallies = {app.name: Tally() for app in APPS}
    connections: dict[str, http.client.HTTPConnection] = {}
    used = dict.fromkeys(ports, 0)
    deadline = time.monotonic() + seconds
    count = 0
    while time.monotonic() < deadline:
        app, route = rng.choice(schedule)
        connection = connections.get(app.name)
        if connection is None or used[app.name] >= reconnect:
            if connection is not None:
                connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", ports[app.name], timeout=10)
            connections[app.name] = connection
            used[app.name] = 0
        used[app.name] += 1
        count += 1
        sent = f"load-{seed}-{count}" if count % 2 else None
        if not exchange(connection, app, route, sent, tallies[app.name]):
            connections.pop(app.name, None)
    for connection in connections.values():
        connection.close()
    results.put(tallies)


@dataclass(frozen=True)
class Slice:
    """A stretch of the comparison in which every client loads one server alone."""

    app: App
    port: int
    round: int  # -1 for the warm-up round
    mix: int  # the same for both servers of a pair in a round: they get the same requests
    start: float  # time.monotonic(), the same clock in every process
    end: float


def slice_client(plan: list[Slice], seed: int, reconnect: int, results: Any) -> None:
    """Load each slice's server with its app's mix during that slice; put the tallies on *results*.

    The tallies are keyed by (app name, round). A slice starts on a fresh
    connection (the last one may have idled past gunicorn's keep-alive) and a
    random sequence of routes seeded by the client and the slice's ``mix``.
    """
    tallies: dict[tuple[str, int], Tally] = {}
    count = 0
    for part in plan:
        rng = random.Random(f"{seed}/{part.mix}")  # a load mix, not a secret
        schedule = [route for route in part.app.routes for _ in range(route.weight)]
        tally = tallies.setdefault((part.app.name, part.round), Tally())
        time.sleep(max(0.0, part.start - time.monotonic()))
        connection: http.client.HTTPConnection | None = None
        used = 0
        while time.monotonic() < part.end:
            if connection is None or used >= reconnect:
                if connection is not None:
                    connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", part.port, timeout=10)
                used = 0
            used += 1
            count += 1
            sent = f"load-{seed}-{count}" if count % 2 else None
            if not exchange(connection, part.app, rng.choice(schedule), sent, tally):
                connection = None
        if connection is not None:
            connection.close()
    results.put(tallies)


def run_clients(
    target: Callable[..., None],
    arguments: list[tuple[Any, ...]],
    seconds: float,
    tick: Callable[[], None] = lambda: None,
) -> list[Any]:
    """Run ``target(*args, results)`` in a process per *arguments*; return what each put.

    The processes must report within *seconds* (and a minute's grace); *tick*
    is called every `SAMPLE_SECONDS` while they run.
    """
    context = multiprocessing.get_context("spawn")
    results = context.Queue()
    processes = [context.Process(target=target, args=(*args, results)) for args in arguments]
    for process in processes:
        process.start()
    reports: list[Any] = []
    deadline = time.monotonic() + seconds + 60
    next_tick = time.monotonic() + SAMPLE_SECONDS
    try:
        while len(reports) < len(processes):
            now = time.monotonic()
            if now >= deadline:
                raise RuntimeError("the clients did not report in time")
            if now >= next_tick:
                tick()
                next_tick += SAMPLE_SECONDS
            try:
                reports.append(results.get(timeout=max(0.05, next_tick - now)))
            except queue.Empty:
                continue
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    return reports


def drive(
    ports: dict[str, int],
    seconds: float,
    clients: int,
    reconnect: int,
    tick: Callable[[], None] = lambda: None,
) -> dict[str, Tally]:
    """Run *clients* client processes for *seconds*; return the merged tallies per app.

    *tick* is called every `SAMPLE_SECONDS` while they run.
    """
    arguments = [(ports, seconds, seed, reconnect) for seed in range(clients)]
    merged = {app.name: Tally() for app in APPS}
    for tallies in run_clients(client, arguments, seconds, tick):
        for name, tally in tallies.items():
            merged[name].merge(tally)
    return merged


# --- The servers ----------------------------------------------------------------


def free_port() -> int:
    """A port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    """A running gunicorn: its process, port and log file."""

    app: App
    process: subprocess.Popen[bytes]
    port: int
    log: Path


def start(app: App, workers: int, threads: int, logs: Path) -> Server:
    """Start gunicorn for *app* from its folder; wait until it listens."""
    port = free_port()
    log = logs / f"{app.name}.log"
    env = {**os.environ, **app.env}
    env.pop("PYTHONPATH", None)
    argv = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--worker-class",
        "gthread",
        "--threads",
        str(threads),
        "--keep-alive",
        "5",
        "--graceful-timeout",
        "5",
        "--timeout",
        "30",
        app.target,
    ]
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv, cwd=app.cwd, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    server = Server(app, process, port, log)
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{app.name}: gunicorn exited:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            if len(workers_of(process.pid)) == workers:
                return server
        time.sleep(0.05)
    stop(server)
    raise RuntimeError(f"{app.name}: gunicorn did not listen within {STARTUP_SECONDS}s")


def stop(server: Server) -> None:
    """Stop gunicorn (and its workers): TERM, then KILL if it lingers."""
    process = server.process
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@contextlib.contextmanager
def serving(
    apps: tuple[App, ...], workers: int, threads: int, logs: Path
) -> Generator[list[Server], None, None]:
    """Run one gunicorn per app; always stop them all."""
    servers: list[Server] = []
    try:
        servers.extend(start(app, workers, threads, logs) for app in apps)
        yield servers
    finally:
        for server in servers:
            stop(server)


def workers_of(pid: int) -> list[int]:
    """The pids of the processes whose parent is *pid*."""
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError):
            stat = (entry / "stat").read_text()
            # The command name may hold spaces and parentheses: split after its ')'.
            ppid = int(stat.rpartition(")")[2].split()[1])
            if ppid == pid:
                children.append(int(entry.name))
    return sorted(children)


def rss(pid: int) -> int:
    """Resident set size of process *pid*, in bytes (0 if it is gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


def memory(server: Server) -> tuple[int, list[int]]:
    """RSS of the master and its workers together, and the workers' pids."""
    workers = workers_of(server.process.pid)
    return rss(server.process.pid) + sum(rss(pid) for pid in workers), workers


# --- Ours against the twins ---------------------------------------------------


def compare(
    pairs: list[tuple[Server, Server]],
    rounds: int,
    slice_seconds: float,
    clients: int,
    reconnect: int,
) -> dict[tuple[str, int], Tally]:
    """Load each example and its twin alternately, one server at a time; return the tallies.

    Every round gives each server of each (ours, twin) pair a slice of
    *slice_seconds* in which all *clients* load it alone with its app's mix:
    ours first in even rounds and the twin first in odd ones, so that drifts
    in the machine's load fall on both; each client sends both the same
    sequence of requests. Round -1 warms them up and is only
    validated. The tallies are keyed by (app name, round).
    """
    start = time.monotonic() + SPAWN_SECONDS
    plan: list[Slice] = []
    for number in range(-1, rounds):
        for index, (ours, twin) in enumerate(pairs):
            mix = (number + 1) * len(pairs) + index
            for server in (ours, twin) if number % 2 == 0 else (twin, ours):
                end = start + slice_seconds
                plan.append(Slice(server.app, server.port, number, mix, start, end))
                start = end + SLICE_GAP
    arguments = [(plan, seed, reconnect) for seed in range(clients)]
    merged: dict[tuple[str, int], Tally] = {}
    for tallies in run_clients(slice_client, arguments, start - time.monotonic()):
        for key, tally in tallies.items():
            merged.setdefault(key, Tally()).merge(tally)
    return merged


def _per(numerator: float, denominator: float) -> float:
    return numerator / denominator if denominator else float("inf")


def report_twins(
    tallies: dict[tuple[str, int], Tally], rounds: int, slice_seconds: float
) -> tuple[bool, bool]:
    """Print error responses per second of each example and its twin, and what failed a check.

    Return whether our servers' responses passed the checks, and whether the
    twins' did.
    """
    print(
        f"\n{'app':<7}{'ours err/s':>11}{'twin err/s':>11}{'ours/twin':>10}{'median':>8}"
        f"  aim ours/twin >= {AIM:.2f}: best slice of {rounds} each; median of the rounds' ratios,"
        " and each round's"
    )
    rows: list[Row] = []
    for app, twin in zip(APPS, TWINS, strict=True):
        ours_rates = [tallies[app.name, n].errors / slice_seconds for n in range(rounds)]
        twin_rates = [tallies[twin.name, n].errors / slice_seconds for n in range(rounds)]
        best_ours, best_twin = max(ours_rates), max(twin_rates)
        ratio = _per(best_ours, best_twin)
        median = statistics.median(map(_per, ours_rates, twin_rates))
        print(
            f"{app.name:<7}{best_ours:>11.0f}{best_twin:>11.0f}{ratio:>9.2f}x{median:>7.2f}x"
            f"  {'met' if ratio >= AIM else 'NOT met':<8}"
            + " ".join(f"{_per(o, t):.2f}" for o, t in zip(ours_rates, twin_rates, strict=True))
        )
        rows.append(
            Row(
                bench="load",
                case=f"{app.name}: gunicorn error responses/s (twin/ours)",
                ours=best_ours,
                base=best_twin,
                ratio=_per(best_twin, best_ours),
                aim=1 / AIM,
                unit="/s",
                median_ratio=statistics.median(map(_per, twin_rates, ours_rates)),
            )
        )

    print(
        f"\nchecks in the comparison (warm-up round included):\n"
        f"{'app':<12}{'requests':>9}{'errors':>8}{'invalid':>8}{'unexpected':>11}{'leaked':>7}"
        f"{'client errors':>14}"
    )
    sides: dict[bool, Tally] = {False: Tally(), True: Tally()}
    for app in (*APPS, *TWINS):
        total = Tally()
        for number in range(-1, rounds):
            total.merge(tallies[app.name, number])
        sides[app in TWINS].merge(total)
        print(
            f"{app.name:<12}{total.served:>9}{total.errors:>8}{total.invalid:>8}"
            f"{total.unexpected:>11}{total.leaked:>7}{total.client_errors:>14}"
        )
    for is_twin, total in sides.items():
        for sample in total.samples:
            print(f"  e.g. {sample}{' (a defect of the twin, not ours)' if is_twin else ''}")
    print()
    report_rows(rows, "the load run's comparisons, as bench/run_all.py tables them:")
    ours_ok = sides[False].failures == 0 and sides[False].served > 0
    twins_ok = sides[True].failures == 0 and sides[True].served > 0
    print(
        f"\ncomparison checks: ours {'PASS' if ours_ok else 'FAIL'} "
        f"({sides[False].failures} failed of {sides[False].served}); twins "
        f"{'PASS' if twins_ok else 'FAIL: a defect of the twins, the ratios are not meaningful'}"
        f" ({sides[True].failures} failed of {sides[True].served})"
    )
    return ours_ok, twins_ok


# --- Report ---------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """The value below which *fraction* of *values* lie (nearest rank), in milliseconds."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index] * 1000


def margin(start: int) -> int:
    """How many bytes a server that used *start* bytes after the warm-up may grow by."""
    return max(MARGIN_BYTES, int(start * MARGIN_RATIO))


def _row(name: str, tally: Tally, seconds: float) -> str:
    kinds = tally.by_kind
    return (
        f"{name:<7}{tally.served:>9}{tally.served / seconds:>7.0f}"
        f"{kinds.get('success', 0):>9}{kinds.get('4xx', 0):>7}{kinds.get('5xx', 0):>7}"
        f"{kinds.get('unknown', 0):>8}{tally.invalid:>8}{tally.unexpected:>11}{tally.leaked:>7}"
        f"{tally.client_errors:>8}{percentile(tally.latencies, 0.5):>8.2f}"
        f"{percentile(tally.latencies, 0.99):>8.2f}"
    )


def report(
    tallies: dict[str, Tally],
    seconds: float,
    before: dict[str, tuple[int, list[int]]],
    after: dict[str, tuple[int, list[int]]],
    samples: dict[str, list[int]],
) -> bool:
    """Print the figures; return whether the run passed."""
    print(
        f"{'app':<7}{'requests':>9}{'req/s':>7}{'success':>9}{'4xx':>7}{'5xx':>7}{'unknown':>8}"
        f"{'invalid':>8}{'unexpected':>11}{'leaked':>7}{'errors':>8}{'p50 ms':>8}{'p99 ms':>8}"
    )
    total = Tally()
    for name, tally in tallies.items():
        total.merge(tally)
        print(_row(name, tally, seconds))
    print(_row("all", total, seconds))
    for sample in total.samples:
        print(f"  e.g. {sample}")

    print(f"\nserver memory, RSS of master + workers (MiB), every {SAMPLE_SECONDS:g}s:")
    memory_ok = True
    for name in tallies:
        start_rss, start_workers = before[name]
        end_rss, end_workers = after[name]
        grown = end_rss - start_rss
        within = grown <= margin(start_rss)
        replaced = start_workers != end_workers
        memory_ok = memory_ok and within and not replaced
        series = " ".join(f"{value / MIB:.1f}" for value in [start_rss, *samples[name], end_rss])
        print(
            f"{name:<7}{series}  growth {grown / MIB:+.1f} MiB"
            f" (margin {margin(start_rss) / MIB:.1f} MiB{'' if within else ', EXCEEDED'})"
            + (f"; workers replaced: {start_workers} -> {end_workers}" if replaced else "")
        )
    failures = total.invalid + total.unexpected + total.leaked + total.client_errors
    passed = memory_ok and failures == 0 and total.served > 0
    print(
        f"\nverdict: {'PASS' if passed else 'FAIL'}: {total.served} requests in {seconds:g}s, "
        f"{total.invalid} not valid problem documents where one was due, {total.unexpected} "
        f"unexpected responses, {total.leaked} leaks, {total.client_errors} client errors; "
        f"memory {'flat' if memory_ok else 'NOT flat'} within max({MARGIN_BYTES // MIB} MiB, "
        f"{MARGIN_RATIO:.0%}) per server, no worker replaced"
    )
    return passed


def main(argv: list[str] | None = None) -> int:
    """Serve the examples (and their twins), load them, print the report; 0 if the run passed."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="measured load (60)")
    parser.add_argument("--warmup", type=float, default=10.0, help="load before measuring (10)")
    parser.add_argument("--clients", type=int, default=2, help="client processes (2)")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per app (2)")
    parser.add_argument("--threads", type=int, default=2, help="threads per worker (2)")
    parser.add_argument("--reconnect", type=int, default=200, help="requests per connection (200)")
    parser.add_argument(
        "--twins",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="compare each example with its hand-written twin (on)",
    )
    parser.add_argument("--slice", type=float, default=1.0, help="seconds of one server's turn (1)")
    parser.add_argument(
        "--rounds",
        type=int,
        help="comparison rounds (enough for about --seconds of load, at least 2)",
    )
    parser.add_argument("--keep-logs", action="store_true", help="keep the servers' logs")
    args = parser.parse_args(argv)
    rounds = args.rounds or max(2, round(args.seconds / (2 * len(APPS) * args.slice)))

    logs = Path(tempfile.mkdtemp(prefix="problemdetails-load-"))
    apps = (*APPS, *TWINS) if args.twins else APPS
    print(
        f"load: {len(apps)} gunicorn servers (--workers {args.workers} --threads "
        f"{args.threads}, gthread), {args.clients} client processes x {len(APPS)} keep-alive "
        f"connections; warm-up {args.warmup:g}s, measured {args.seconds:g}s"
    )
    if args.twins:
        print(
            f"then each example against its twin: {rounds} rounds (and one of warm-up) of"
            f" {args.slice:g}s for each server alone, {args.clients} client processes x 1"
            " connection, the order swapped every round"
        )
    print(f"machine: {os.cpu_count()} cores, load average {_load_average()}\n")
    passed = False
    try:
        with serving(apps, args.workers, args.threads, logs) as servers:
            ours = servers[: len(APPS)]
            ports = {server.app.name: server.port for server in ours}
            drive(ports, args.warmup, args.clients, args.reconnect)
            before = {server.app.name: memory(server) for server in ours}
            samples: dict[str, list[int]] = {server.app.name: [] for server in ours}

            def sample() -> None:
                for server in ours:
                    samples[server.app.name].append(memory(server)[0])

            tallies = drive(ports, args.seconds, args.clients, args.reconnect, sample)
            after = {server.app.name: memory(server) for server in ours}
            passed = report(tallies, args.seconds, before, after, samples)
            if args.twins:
                pairs = list(zip(ours, servers[len(APPS) :], strict=True))
                compared = compare(pairs, rounds, args.slice, args.clients, args.reconnect)
                ours_ok, twins_ok = report_twins(compared, rounds, args.slice)
                passed = passed and ours_ok and twins_ok
        print(f"load average at the end: {_load_average()}")
    finally:
        if args.keep_logs or not passed:
            print(f"server logs: {logs}")
        else:
            for log in logs.iterdir():
                log.unlink()
            logs.rmdir()
    return 0 if passed else 1


def _load_average() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


if __name__ == "__main__":
    sys.exit(main())
