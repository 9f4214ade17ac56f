"""`onecity gate …`: the gate simulator end to end on a temporary gate directory."""

from __future__ import annotations

import json

import segno
from typer.testing import CliRunner

from onecity.cli import app
from onecity.transit.commands import cli
from onecity.transit.ridecode.keys import KeySet
from tests.transit.pure import _clean_state  # noqa: F401 - no database: no table wipe
from tests.transit.ride_helpers import NOW, PLATFORM, phone

runner = CliRunner()


def test_gate_is_a_command_of_onecity():
    result = runner.invoke(app, ["gate", "--help"])
    assert result.exit_code == 0 and "verify" in result.output and "taps" in result.output


def test_demo_then_run_judges_every_kind_of_scan(tmp_path):
    d = tmp_path / "gate"
    assert runner.invoke(cli, ["demo", str(d), "--at", str(NOW)]).exit_code == 0
    result = runner.invoke(cli, ["run", str(d), str(d / "codes.txt")])
    assert result.exit_code == 0, result.output
    assert (
        result.output.splitlines()[-1] == "denied: 1  expired: 1  forged: 1  ok: 2  replayed: 1  truncated: 1"
    )
    shown = runner.invoke(cli, ["taps", str(d), "--pending"])
    assert (
        shown.output.count("metro/in ok") == 2
        and "stored: denied 1, expired 1, forged 1, ok 2, replayed 1, truncated 1" in shown.output
    )
    # running the same file again: every good code is now a replay (the window is rebuilt from the store)
    again = runner.invoke(cli, ["run", str(d), str(d / "codes.txt"), "--at", str(NOW + 5)])
    assert "replayed: 3" in again.output and "ok:" not in again.output


def test_init_verify_text_and_image_and_deny(tmp_path):
    keys = tmp_path / "keys.json"
    keys.write_text(KeySet([PLATFORM.public]).to_json())
    d = tmp_path / "g1"
    r = runner.invoke(cli, ["init", str(d), "--gate-id", "gate_S01_out_2", "--stop", "S01", "--direction", "out",
                            "--keys", str(keys)])  # fmt: skip
    assert r.exit_code == 0, r.output
    p = phone()
    ok = runner.invoke(cli, ["verify", str(d), p.text(), "--at", str(NOW)])
    assert ok.exit_code == 0 and " ok " in ok.output and p.rider_ref.hex() in ok.output
    png = tmp_path / "qr.png"
    segno.make_qr(p.text(), error="m", boost_error=False).save(png, scale=4)
    assert runner.invoke(cli, ["verify", str(d), "--image", str(png), "--at", str(NOW)]).exit_code == 0
    stale = runner.invoke(cli, ["verify", str(d), p.text(), "--at", str(NOW + 300)])
    assert stale.exit_code == 1 and "expired" in stale.output
    update = tmp_path / "deny.json"
    update.write_text(json.dumps({"version": 1, "riders": [], "serials": [p.serial]}))
    assert "version 1: 0 rider(s), 1 device(s)" in runner.invoke(cli, ["deny", str(d), str(update)]).output
    assert "denied" in runner.invoke(cli, ["verify", str(d), p.text(), "--at", str(NOW)]).output
    update.write_text(json.dumps({"from_version": 5, "to_version": 6}))
    assert runner.invoke(cli, ["deny", str(d), str(update)]).exit_code == 1
    assert runner.invoke(cli, ["verify", str(tmp_path / "nowhere"), p.text()]).exit_code != 0
