"""Start the real ``usher`` console script in a subprocess, bounded in time."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

USHER = str(Path(sys.executable).parent / "usher")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path
    returncode: int | None = None

    def out(self) -> str:
        return self.stdout.read_text()

    def err(self) -> str:
        return self.stderr.read_text()


def wait_for(ready: Callable[[], bool], running: Running, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not ready():
        assert running.process.poll() is None, running.err()
        assert time.monotonic() < deadline, f"not ready in {seconds}s: {running.err()}"
        time.sleep(0.1)


def is_up(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=1).status_code == 200
        except httpx.TransportError:
            return False

    return check


@contextmanager
def usher_process(args: list[str], env: dict[str, str], tmp_path: Path) -> Iterator[Running]:
    """Runs ``usher *args`` with only the given USHER_* variables; SIGTERM at the end."""
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("USHER_")}
    full_env.update(env)
    stdout, stderr = tmp_path / "stdout", tmp_path / "stderr"
    with stdout.open("w") as out, stderr.open("w") as err:
        process = subprocess.Popen([USHER, *args], env=full_env, stdout=out, stderr=err)
    running = Running(process, stdout, stderr)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.send_signal(signal.SIGTERM)
        try:
            running.returncode = running.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()
            raise
