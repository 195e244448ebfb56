"""Real servers in subprocesses: casehub itself, and a bare Quart baseline.

Both are served the same way, by Hypercorn in one process, so the difference
between their figures is what casehub does with a request.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.serving import free_port, wait_until_healthy

__all__ = ["Served", "bare_command", "casehub_command", "free_port", "running",
           "serving"]

ROOT = Path(__file__).resolve().parent.parent
STARTUP_SECONDS = 60


def casehub_command() -> list[str]:
    return [sys.executable, "-c",
            "from server.cli import main; raise SystemExit(main(['serve']))"]


def bare_command(port: int) -> list[str]:
    return [sys.executable, "-c",
            f"from bench.servers import serve_bare; serve_bare({port})"]


@dataclass(frozen=True)
class Served:
    url: str
    pid: int

    def cpu_seconds(self) -> float | None:
        """CPU time the server has used so far, all threads, where Linux says."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1]
        except OSError:
            return None
        user, system = fields.split()[11:13]
        return (int(user) + int(system)) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running(command: list[str], port: int, log: Path,
            env: dict[str, str] | None = None) -> Iterator[str]:
    """Run a server until the block ends; yields its base URL once it answers."""
    with serving(command, port, log, env) as server:
        yield server.url


@contextmanager
def serving(command: list[str], port: int, log: Path,
            env: dict[str, str] | None = None) -> Iterator[Served]:
    """Run a server until the block ends; yields it once it answers."""
    url = f"http://127.0.0.1:{port}"
    environment = {**os.environ, "PYTHONPATH": str(ROOT),
                   "CASEHUB_SMTP_LISTEN": "off", **(env or {})}
    with log.open("wb") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=environment,
                                   stdout=output, stderr=subprocess.STDOUT)
        try:
            wait_until_healthy(url, process, log, STARTUP_SECONDS)
            yield Served(url, process.pid)
        finally:
            _stop(process)


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


# The baseline: one endpoint that reads the push body and answers alike.

def bare_app() -> Any:
    from quart import Quart, request

    app = Quart(__name__)

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/api/sync/push")
    async def push() -> dict[str, Any]:
        body = await request.get_json()
        results = [{"id": m["id"], "seq": m["seq"], "status": "applied",
                    "error": None} for m in body["mutations"]]
        return {"results": results, "last_seq": results[-1]["seq"]}

    @app.post("/api/sync/pull")
    async def pull() -> dict[str, Any]:
        await request.get_json()
        return {"changes": [], "cursor": "bare", "more": False, "reset": False,
                "acknowledged_seq": 0}

    return app


def serve_bare(port: int) -> None:
    from hypercorn.asyncio import serve
    from hypercorn.config import Config

    config = Config()
    config.bind = [f"127.0.0.1:{port}"]
    config.accesslog = None

    async def main() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        await serve(bare_app(), config, shutdown_trigger=stop.wait)

    asyncio.run(main())
