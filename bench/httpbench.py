"""The HTTP benchmarks' common parts: a scratch environment, `onecity.app` under uvicorn on a free port,
and latency percentiles. (An organisation's API key pair: onecity.crypto.signing.generate_ed25519.)"""

from __future__ import annotations

import base64
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def scratch_env(url: str, *, prefix: str = "onecity-bench-", queue_timeout_s: int = 60) -> Path:
    """Point this process (and the servers it starts) at database `url` with fresh keys; the temporary
    directory that holds the key files and the server log."""
    tmp = Path(tempfile.mkdtemp(prefix=prefix))
    os.environ.update(
        ONECITY_DATABASE_URL=url,
        ONECITY_DATA_KEY=base64.b64encode(os.urandom(32)).decode(),
        ONECITY_INDEX_KEY=base64.b64encode(os.urandom(32)).decode(),
        ONECITY_KEY_DIR=str(tmp / "keys"),
        ONECITY_LOG_LEVEL="ERROR",
        ONECITY_REQUEST_QUEUE_TIMEOUT_SECONDS=str(queue_timeout_s),
    )
    return tmp


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn_server(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """Start `onecity.app` under uvicorn in this environment, without waiting for it (see wait_ready)."""
    out = open(log, "wb")  # noqa: SIM115 - lives as long as the server
    return subprocess.Popen(  # noqa: S603 - our own server, fixed arguments
        [str(Path(sys.executable).parent / "uvicorn"), "onecity.app:create_server_app", "--factory", "--host", "127.0.0.1",
         "--port", str(port), "--workers", str(workers), "--no-access-log", "--log-level", "warning"],
        cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=os.environ.copy(),
    )


def wait_ready(proc: subprocess.Popen[bytes], port: int, log: Path, timeout_s: float = 60) -> None:
    """Wait until the server answers /healthz; kill it and stop the run if it does not in time."""
    import httpx

    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.1)
    proc.kill()
    raise SystemExit(f"server did not start; see {log}")


def start_server(port: int, workers: int, log: Path) -> subprocess.Popen[bytes]:
    """`onecity.app` under uvicorn, answering."""
    proc = spawn_server(port, workers, log)
    wait_ready(proc, port, log)
    return proc


def stop_server(proc: subprocess.Popen[bytes], timeout_s: float = 15) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        proc.kill()


def p50_p99(latencies: list[float], digits: int = 2) -> tuple[float, float]:
    """Median and 99th percentile of `latencies` (any unit), rounded; (0, 0) when there are none."""
    if not latencies:
        return 0.0, 0.0
    lat = sorted(latencies)
    return round(statistics.median(lat), digits), round(lat[max(0, int(len(lat) * 0.99) - 1)], digits)
