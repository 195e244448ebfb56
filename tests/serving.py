"""Waiting for a casehub server started as a subprocess to answer."""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class ServerDidNotStart(RuntimeError):
    """The server exited, or did not answer /healthz in time; the log says why."""


def wait_until_healthy(url: str, process: subprocess.Popen[bytes], log: Path,
                       seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerDidNotStart(
                f"the server exited with {process.returncode}:\n{log.read_text()}"
            )
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise ServerDidNotStart(
        f"the server did not answer /healthz within {seconds:.0f} s:\n"
        f"{log.read_text()}"
    )
