"""`onecity demo` end to end: a subprocess on a fresh SQLite file serves the seeded city.

It always uses SQLite (the embedded demo), so it runs once: it is skipped under ONECITY_TEST_DB=postgres.
"""

from __future__ import annotations

import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import DB_KIND

ROOT = Path(__file__).resolve().parents[2]
ONECITY = ROOT / ".venv" / "bin" / "onecity"
START_TIMEOUT = 180  # seconds: migrate + seed 1,200 residents + start, on a slow machine
STOP_TIMEOUT = 20

pytestmark = pytest.mark.skipif(DB_KIND == "postgres", reason="`onecity demo` always runs on SQLite")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_demo_command_seeds_and_serves(tmp_path):
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ONECITY_")}
    env.update({
        "ONECITY_DATABASE_URL": f"sqlite:///{tmp_path / 'demo' / 'onecity.db'}",
        "ONECITY_KEY_DIR": str(tmp_path / "keys"),
        "ONECITY_LOG_LEVEL": "WARNING",
        "PORT": str(port),
    })
    output: list[str] = []
    proc = subprocess.Popen([str(ONECITY), "demo"], cwd=tmp_path, env=env,  # noqa: S603 - a fixed command
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert proc.stdout is not None
    reader = threading.Thread(target=lambda: output.extend(iter(proc.stdout.readline, "")), daemon=True)
    reader.start()
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert proc.poll() is None, "onecity demo exited early:\n" + "".join(output)
            try:
                if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "not serving in time:\n" + "".join(output)
            time.sleep(0.25)
        assert httpx.get(f"{base}/app", timeout=10).status_code == 200
        assert httpx.get(f"{base}/console/login", timeout=10).status_code == 200
        printed = "".join(output)
        assert f"http://127.0.0.1:{port}/" in printed
        assert "13800000001 / demo1234" in printed and "王芳" in printed
        assert "city-admin" in printed and "onecity-demo" in printed
        assert "1200 residents" in printed
        assert (tmp_path / "demo" / "onecity.db").exists()
        assert (tmp_path / "keys" / "demo-orgs" / "apps.csv").exists()
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=STOP_TIMEOUT)
        reader.join(timeout=5)
