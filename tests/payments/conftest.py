"""A real server process for the reliability tests: `onecity serve` on the test database, so the
clients' threads do not share the server's interpreter, and so it can be killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import _free_port

ROOT = Path(__file__).resolve().parents[2]


class ServerProcess:
    def __init__(self, log_dir: Path) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_dir = log_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    def start(self) -> None:
        self.starts += 1
        log = open(self.log_dir / f"server-{self.starts}.log", "wb")  # noqa: SIM115 - kept for the process's life
        # The tests fire 200 requests at once: let them queue for a place rather than be shed as busy.
        env = dict(os.environ, ONECITY_LOG_LEVEL="WARNING", ONECITY_REQUEST_QUEUE_TIMEOUT_SECONDS="120")
        self.proc = subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
            [str(Path(sys.executable).parent / "onecity"), "serve", "--port", str(self.port)],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}; see {log.name}")
            try:
                if httpx.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("server did not answer /healthz within 60 s")

    def kill(self) -> None:
        """SIGKILL: no shutdown handlers, no flushing; in-flight transactions die with the connections."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerProcess]:
    s = ServerProcess(tmp_path)
    s.start()
    yield s
    s.stop()
