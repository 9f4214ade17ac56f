"""A gate offline, then online: it judges codes with no network, stores the taps with their codes, and
uploads them through the signed upload API (`transit.uplink`, `onecity gate upload`); the platform
turns them into trips. Uploading twice counts each tap once; taps from the gate's future wait."""

from __future__ import annotations

import base64
import contextlib

from sqlalchemy import func, select
from typer.testing import CliRunner

from onecity.transit import commands, service, uplink
from onecity.transit.gate import CLOCK_SKEW_S, Gate, GatePlace
from onecity.transit.models import TransitTap
from onecity.transit.ridecode import code
from onecity.transit.ridecode.keys import KeySet
from onecity.transit.tapstore import TapStore
from tests.transit.platform.factories import at, make_network, make_rider, rider_ref, set_clock, upload


def _taps(session):
    session.rollback()
    n = session.scalar(select(func.count()).select_from(TransitTap))
    session.rollback()  # SQLite: a transaction open here would lock out the app's next write
    return n


def _gate(client, tmp_path, name, stop, direction):
    keys = KeySet([base64.b64decode(k) for k in client.get("/v1/transit/keys").json()["keys"]])
    return Gate.in_directory(GatePlace(name, stop, "metro", direction), keys, tmp_path / name)


def test_gate_offline_then_upload_then_trips_and_twice_is_once(client, session, tmp_path):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=10_000)
    ref = rider_ref(session, r)
    session.commit()
    entry, exit_ = _gate(client, tmp_path, "g_S01_in", "S01", "in"), _gate(client, tmp_path, "g_S04_out", "S04", "out")
    # offline: 08:00 in at S01, a replay of that code refused, 08:20 out at S04 (scanned in byte mode)
    shown = r.code_text(at(0, "08:00") - 2)
    assert entry.tap(shown, now=at(0, "08:00")).ok
    assert entry.tap(shown, now=at(0, "08:00") + 3).reason == "replayed"
    out_code = code.decode_qr(r.code_text(at(0, "08:20") - 2))
    assert exit_.tap(out_code, now=at(0, "08:20")).ok
    assert entry.store is not None and exit_.store is not None
    (stored,) = entry.store.pending()
    assert stored.code == shown and exit_.store.pending()[0].code == code.to_qr_text(out_code)

    # the network is back at 09:00: each gate uploads what it holds, signed as the metro
    set_clock(at(0, "09:00"))
    reports = [uplink.upload_pending(g.store, client, app_id=net.metro.app_id, private_pem=net.metro.pem)
               for g in (entry, exit_)]  # fmt: skip
    assert [(x.batches, x.accepted, x.duplicates, x.rejected) for x in reports] == [(1, 1, 0, {}), (1, 1, 0, {})]
    assert entry.store.pending() == [] and entry.store.uploads() == {"accepted": 1}
    assert entry.store.counts() == {"ok": 1, "replayed": 1}  # the refused scan stays on the gate
    assert _taps(session) == 2
    # nothing pending: a second run sends nothing
    assert uplink.upload_pending(entry.store, client, app_id=net.metro.app_id, private_pem=net.metro.pem).batches == 0
    # the acknowledgement was lost (the gate's copy of its store still has the tap pending): sent again,
    # the platform answers duplicate and stores nothing new
    copy = TapStore(tmp_path / "copy.sqlite3")
    assert copy.append(stored)
    again = uplink.upload_pending(copy, client, app_id=net.metro.app_id, private_pem=net.metro.pem)
    assert (again.accepted, again.duplicates) == (0, 1) and copy.uploads() == {"duplicate": 1}
    assert _taps(session) == 2

    # priced the next morning: S01 → S04, 5,200 m, ¥2.00
    set_clock(at(1, "05:00"))
    service.price_due(session)
    trips = service.trips(session, rider_ref=ref, since=at_day(0), until=at_day(1))
    (day,) = trips.days
    (leg,) = day.legs
    assert (leg.from_stop, leg.to_stop, leg.charged, day.fares) == ("S01", "S04", 200, 200)


def at_day(day):
    from datetime import date, timedelta

    return date(2026, 11, 23) + timedelta(days=day)


def test_a_gate_clock_running_fast_waits_for_the_platform(client, session, tmp_path):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session)
    session.commit()
    gate = _gate(client, tmp_path, "g_S01_in", "S01", "in")
    assert gate.store is not None
    # the gate's clock is 10 minutes fast: at 08:00 it dates the tap 08:10 (and the phone agrees)
    assert gate.tap(r.code_text(at(0, "08:10") - 2), now=at(0, "08:10")).ok
    assert gate.tap(r.code_text(at(0, "07:40") - 2), now=at(0, "07:40")).ok
    set_clock(at(0, "08:00"))
    first = uplink.upload_pending(gate.store, client, app_id=net.metro.app_id, private_pem=net.metro.pem)
    assert (first.accepted, first.deferred, first.rejected) == (1, {"future_tap": 1}, {})
    assert gate.store.uploads() == {"accepted": 1, "deferred:future_tap": 1} and gate.store.pending() == []
    # the next run, once the platform's clock has passed it, sends it again and it is accepted
    set_clock(at(0, "08:11"))
    second = uplink.upload_pending(gate.store, client, app_id=net.metro.app_id, private_pem=net.metro.pem)
    assert (second.accepted, second.deferred) == (1, {})
    assert gate.store.uploads() == {"accepted": 2} and _taps(session) == 2


def test_future_taps_refused_per_record_with_the_skew_allowed(session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session)
    set_clock(at(0, "08:00"))
    now = at(0, "08:00")
    records = [r.tap(now + CLOCK_SKEW_S, "S01"), r.tap(now + CLOCK_SKEW_S + 1, "S02"), r.tap(now - 60, "S03")]
    res = upload(session, net.metro, records)
    assert [(x.result, x.reason) for x in res.results] == [
        ("accepted", None), ("rejected", "future_tap"), ("accepted", None)]
    assert (res.accepted, res.rejected) == (2, 1)


def test_onecity_gate_upload_command(client, session, tmp_path, monkeypatch):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session)
    session.commit()
    gate = _gate(client, tmp_path, "g_S01_in", "S01", "in")
    assert gate.tap(r.code_text(at(0, "08:00") - 2), now=at(0, "08:00")).ok
    assert gate.tap(r.code_text(at(0, "08:05") - 2), now=at(0, "08:05")).ok
    set_clock(at(0, "08:30"))
    key = tmp_path / "metro.pem"
    key.write_text(net.metro.pem)
    monkeypatch.setattr(commands, "_http", lambda url: contextlib.nullcontext(client))
    runner = CliRunner()
    args = ["upload", str(tmp_path / "g_S01_in"), "--url", "http://testserver", "--app-id", net.metro.app_id,
            "--key", str(key), "--batch", "1"]
    done = runner.invoke(commands.cli, args)
    assert done.exit_code == 0, done.output
    assert "2 batch(es): accepted 2, duplicates 0, rejected 0, deferred 0" in done.output
    shown = runner.invoke(commands.cli, ["taps", str(tmp_path / "g_S01_in")])
    assert "accepted taps by upload: accepted 2" in shown.output
    # a key the platform does not know: the batch is refused as a whole, nothing is marked
    gate.tap(r.code_text(at(0, "08:29") - 2), now=at(0, "08:29"))
    bad = runner.invoke(commands.cli, [*args[:4], "--app-id", "app_unknown", "--key", str(key)])
    assert bad.exit_code == 1 and "HTTP 401" in bad.output
    assert len(gate.store.pending()) == 1 and _taps(session) == 2
