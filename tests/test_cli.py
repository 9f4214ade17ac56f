"""The `onecity` command: every command answers --help; the worker and key commands work."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from onecity import outbox
from onecity.cli import app
from onecity.crypto import signing
from onecity.db import transaction

runner = CliRunner()


@pytest.mark.parametrize("command", ["demo", "serve", "worker", "migrate", "seed", "keys", "audit", "registry"])
def test_every_command_has_help(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_worker_once_delivers_pending_events():
    seen = []

    @outbox.subscriber("test.cli", name="test.cli_seen")
    def handler(session, event):
        seen.append(event.payload["n"])

    try:
        with transaction() as s:
            outbox.emit(s, "test.cli", {"n": 7})
        result = runner.invoke(app, ["worker", "--once"])
        assert result.exit_code == 0, result.output
        assert seen == [7]
    finally:
        outbox._SUBSCRIBERS.pop("test.cli_seen", None)


def test_keys_generate_makes_a_working_ed25519_pair(tmp_path):
    result = runner.invoke(app, ["keys", "generate", "--out", str(tmp_path), "--name", "shop"])
    assert result.exit_code == 0, result.output
    private = (tmp_path / "shop.key").read_text()
    public = (tmp_path / "shop.pub").read_text()
    assert (tmp_path / "shop.key").stat().st_mode & 0o777 == 0o600
    sig = signing.sign(private, b"hello")
    assert signing.verify(public, b"hello", sig) and not signing.verify(public, b"hellO", sig)


def test_migrate_is_idempotent():
    assert runner.invoke(app, ["migrate"]).exit_code == 0
    assert runner.invoke(app, ["migrate"]).exit_code == 0
