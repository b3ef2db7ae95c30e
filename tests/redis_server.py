"""A real ``redis-server`` on a free loopback port for the coordination tests.

``.ci/run`` starts one and exports ``CCASYNC_REDIS_URL``; without it the tests start their own
from Debian's ``redis-server`` binary, and skip (reason on one line) when there is none. With
``CCASYNC_REQUIRE_REDIS=1`` (set by CI) a missing server fails instead of skipping.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager

SKIP_REASON = "no redis-server (apt-get install redis-server, or set CCASYNC_REDIS_URL)"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_ready(port: int, process: subprocess.Popen[bytes], deadline_s: float = 10.0) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"redis-server exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"redis-server on port {port} not ready after {deadline_s} s")


@contextmanager
def running_redis(binary: str) -> Iterator[str]:
    """Start ``binary`` on a free loopback port without persistence; yield its URL; stop it."""
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", "127.0.0.1", "--port", str(port), "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_ready(port, process)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def redis_binary() -> str | None:
    """The redis-server executable, or None."""
    return shutil.which("redis-server") or (
        "/usr/bin/redis-server" if os.path.exists("/usr/bin/redis-server") else None
    )


@contextmanager
def redis_at(url: str | None) -> Iterator[str]:
    """``url`` when given, else a private redis-server on a free loopback port (benchmarks)."""
    if url:
        yield url
        return
    binary = redis_binary()
    if binary is None:
        raise RuntimeError(SKIP_REASON)
    with running_redis(binary) as started:
        yield started
