"""Real `feedline serve` and `feedline worker` processes for end-to-end tests.

Each process gets the test's Settings through FEEDLINE_* environment variables (so it uses the test's
services and key prefix, never a developer's .env) and a free port. ``running(...)`` starts processes, waits
until they are ready, and always stops them (SIGTERM, then SIGKILL) with their output kept for assertions.
``spawn`` is the one way the tests start a `feedline` command as a child process.
"""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from feedline.settings import PROJECT_ROOT, Settings

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def process_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that makes a child process use exactly ``settings`` (on loopback)."""
    return settings.child_env(FEEDLINE_HOST="127.0.0.1", **extra)


@dataclass
class Proc:
    """A child process whose combined output goes to a temporary file (no pipe to fill up)."""

    name: str
    popen: subprocess.Popen[bytes]
    log_path: Path
    base_url: str | None = None

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def alive(self) -> bool:
        return self.popen.poll() is None

    def kill(self) -> None:
        """SIGKILL: a crash, no clean-up of any kind."""
        if self.alive():
            self.popen.send_signal(signal.SIGKILL)
            self.popen.wait(timeout=10)

    def stop(self, timeout: float = 15.0) -> int | None:
        """SIGTERM and wait; SIGKILL if it does not exit in time. Returns the exit code."""
        if self.alive():
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=10)
        return self.popen.returncode


def spawn(name: str, args: list[str], env: dict[str, str], *, log_path: Path | None = None) -> Proc:
    """Start `feedline <args>` with exactly ``env``; its output goes to ``log_path`` (default: a new
    temporary file). Returns at once: the caller waits for whatever "ready" means to it."""
    if log_path is None:
        with tempfile.NamedTemporaryFile(prefix=f"feedline-{name}-", suffix=".log", delete=False) as tmp:
            log_path = Path(tmp.name)
    with log_path.open("ab") as log:
        # The child writes through its own copy of the descriptor; ours is closed on leaving the block.
        popen = subprocess.Popen(
            [sys.executable, "-m", "feedline", *args],
            env=env,
            cwd=PROJECT_ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    return Proc(name, popen, log_path)


def start_api(settings: Settings, *, port: int | None = None, **extra_env: str) -> Proc:
    """`feedline serve` on a free port; returns once /healthz answers."""
    port = port or free_port()
    proc = spawn("api", ["serve"], process_env(settings.model_copy(update={"port": port}), **extra_env))
    proc.base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        if not proc.alive():
            raise RuntimeError(f"API exited during start-up:\n{proc.output()}")
        with contextlib.suppress(httpx.TransportError):
            if httpx.get(f"{proc.base_url}/readyz", timeout=2).status_code == 200:
                return proc
        if time.monotonic() > deadline:
            proc.stop()
            raise RuntimeError(f"API not ready after {START_TIMEOUT_S}s:\n{proc.output()}")
        time.sleep(0.1)


def start_worker(settings: Settings, *, name: str | None = None, **extra_env: str) -> Proc:
    """`feedline worker`; returns once it logged that it started (consumer group ready)."""
    env = process_env(settings, **extra_env)
    if name:
        env["FEEDLINE_WORKER_NAME"] = name
    proc = spawn("worker", ["worker"], env)
    deadline = time.monotonic() + START_TIMEOUT_S
    while "started" not in proc.output():
        if not proc.alive():
            raise RuntimeError(f"worker exited during start-up:\n{proc.output()}")
        if time.monotonic() > deadline:
            proc.stop()
            raise RuntimeError(f"worker did not start after {START_TIMEOUT_S}s:\n{proc.output()}")
        time.sleep(0.1)
    return proc


@dataclass
class Stack:
    """An API process and a fan-out worker sharing one key prefix."""

    settings: Settings
    api: Proc
    worker: Proc

    @property
    def base_url(self) -> str:
        assert self.api.base_url is not None
        return self.api.base_url


@contextlib.contextmanager
def running_stack(
    settings: Settings, *, api_env: dict[str, str], worker_env: dict[str, str]
) -> Iterator[Stack]:
    """`feedline serve` (ready) and `feedline worker` (started) with ``settings``, stopped on exit."""
    api = start_api(settings, port=None, **api_env)
    try:
        worker = start_worker(settings, **worker_env)
    except BaseException:
        api.stop()
        raise
    with running(api, worker):
        yield Stack(settings, api, worker)


@contextlib.contextmanager
def running(*procs: Proc) -> Iterator[tuple[Proc, ...]]:
    """Stop ``procs`` on exit, whatever happens inside."""
    try:
        yield procs
    finally:
        for proc in procs:
            proc.stop()
