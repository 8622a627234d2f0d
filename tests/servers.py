"""Real server processes on 127.0.0.1 for the end-to-end tests.

Each server is started on a free port, waited for within a time limit, and
always torn down. Servers run from their entry points with the app's folder as
working directory, never from the repository root, so that the installed
package (not the source folder) is what they import.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

STARTUP_SECONDS = 30.0
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(process: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.05)
    raise RuntimeError(f"server did not listen within {STARTUP_SECONDS}s:\n{log.read_text()}")


@contextlib.contextmanager
def serve(
    argv: list[str], port: int, *, cwd: Path, log: Path, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Run *argv* (a server listening on *port*) and yield its base URL."""
    environment = {**os.environ, **(env or {})}
    environment.pop("PYTHONPATH", None)
    with log.open("wb") as output:
        process = subprocess.Popen(
            argv, cwd=cwd, env=environment, stdout=output, stderr=subprocess.STDOUT
        )
        try:
            _wait_for_port(process, port, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)


@contextlib.contextmanager
def gunicorn(
    app: str, *, cwd: Path, log: Path, env: Mapping[str, str] | None = None, workers: int = 1
) -> Iterator[str]:
    """Serve the WSGI app *app* (``module:callable``) with gunicorn; yield its base URL."""
    port = free_port()
    argv = [
        str(BIN / "gunicorn"),
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--graceful-timeout",
        "3",
        "--timeout",
        "30",
        app,
    ]
    with serve(argv, port, cwd=cwd, log=log, env=env) as url:
        yield url


@contextlib.contextmanager
def uvicorn(
    app: str, *, cwd: Path, log: Path, env: Mapping[str, str] | None = None
) -> Iterator[str]:
    """Serve the ASGI app *app* (``module:callable``) with uvicorn; yield its base URL."""
    port = free_port()
    argv = [str(BIN / "uvicorn"), "--host", "127.0.0.1", "--port", str(port), app]
    with serve(argv, port, cwd=cwd, log=log, env=env) as url:
        yield url
