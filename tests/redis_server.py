"""A private ``redis-server`` process for tests that stop and restart Redis.

The shared test Redis (127.0.0.1:6379) is never restarted; these tests start their own server
on a free port in a temporary directory, then stop it (SIGTERM: Redis saves its RDB snapshot
when ``persist`` is on; SIGKILL: a crash, nothing saved) and start it again on the same port.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import redis


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class RedisServer:
    """``persist``: save an RDB snapshot on shutdown (and load it on start); without it the
    server restarts empty, as a Redis without persistence does."""

    def __init__(self, workdir: Path, *, persist: bool) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is not installed (apt-get install redis-server)")
        self.binary = binary
        self.workdir = workdir
        self.persist = persist
        self.port = _free_port()
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        assert self.proc is None or self.proc.poll() is not None
        self.starts += 1
        log = (self.workdir / f"redis-{self.starts}.log").open("ab")
        self.proc = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--dir",
                str(self.workdir),
                "--dbfilename",
                "dump.rdb",
                "--save",
                "3600 1" if self.persist else "",
                "--appendonly",
                "no",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                if client.ping():  # LOADING (an error) while it reads its snapshot
                    break
            except redis.RedisError as exc:
                if time.monotonic() > deadline or self.proc.poll() is not None:
                    raise AssertionError(
                        f"redis-server did not start:\n{self.log_tail()}"
                    ) from exc
                time.sleep(0.02)
        client.close()

    def stop(self, sig: signal.Signals = signal.SIGTERM) -> None:
        """SIGTERM: a clean shutdown (saves the snapshot when ``persist``); SIGKILL: a crash."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(sig)
        self.proc.wait(timeout=20)

    def restart(self, sig: signal.Signals = signal.SIGTERM) -> None:
        self.stop(sig)
        self.start()

    def log_tail(self, lines: int = 20) -> str:
        logs = sorted(self.workdir.glob("redis-*.log"))
        text = logs[-1].read_text(errors="replace").splitlines() if logs else []
        return "\n".join(text[-lines:])

    def close(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
