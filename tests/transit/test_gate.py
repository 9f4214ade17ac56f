"""The gate library: every verdict, key rotation, deny-list updates, the replay window, the tap store
(onecity.transit.gate, denylist, replay, tapstore)."""

from __future__ import annotations

import pytest

from onecity.transit import gate as gatelib
from onecity.transit.denylist import DenyList, DenyListError, StaleDenyListDelta
from onecity.transit.gate import CLOCK_SKEW_S, MAX_AGE_S, Gate, GatePlace
from onecity.transit.replay import ReplayWindow
from onecity.transit.ridecode import certificate, code
from onecity.transit.ridecode.keys import KeySet
from onecity.transit.tapstore import TapStore
from tests.transit.pure import _clean_state  # noqa: F401 - no database: no table wipe
from tests.transit.ride_helpers import NOW, PLATFORM, PLATFORM_NEXT, phone, seeded

ENTRY = GatePlace("gate_S04_in_1", "S04", "metro", "in")


def make_gate(tmp_path=None, **kw) -> Gate:  # type: ignore[no-untyped-def]
    store = TapStore.in_directory(tmp_path) if tmp_path is not None else None
    return Gate(kw.pop("place", ENTRY), kw.pop("keys", KeySet([PLATFORM.public])), store=store, **kw)


def test_a_fresh_code_opens_the_gate_and_its_replay_is_refused():
    g, p = make_gate(), phone()
    v = g.tap(p.text(), now=NOW + 2)
    assert (v.reason, v.rider_ref, v.serial, v.code_ts, v.max_fare) == (
        "ok",
        p.rider_ref,
        p.serial,
        NOW,
        5000,
    )
    assert v.message == ("请通行", "Go ahead")
    assert g.tap(p.text(), now=NOW + 3).reason == "replayed"
    # the same code as raw bytes (a byte-mode scan) is the same tap
    assert g.tap(p.code(), now=NOW + 4).reason == "replayed"
    # the next code from the phone is a new tap
    assert g.tap(p.text(counter=2), now=NOW + 5).ok
    # check() judges without remembering
    assert g.check(p.text(counter=3), now=NOW + 5).ok and g.tap(p.text(counter=3), now=NOW + 6).ok


def test_freshness_and_clock_skew():
    g, p = make_gate(), phone()
    assert g.check(p.text(), now=NOW + MAX_AGE_S).ok
    assert g.check(p.text(), now=NOW + MAX_AGE_S + 1).reason == "expired"  # a screenshot a minute later
    assert g.check(p.text(), now=NOW - CLOCK_SKEW_S).ok  # phone 30 s fast: accepted
    v = g.check(p.text(), now=NOW - CLOCK_SKEW_S - 1)
    assert (v.reason, v.detail) == ("not_yet_valid", "code made 31 s ahead of the gate clock")


def test_certificate_validity():
    g = make_gate()
    old = phone(2, not_before=NOW - 25 * 3600)  # valid until NOW − 3600
    assert g.check(old.text(), now=NOW).reason == "certificate_expired"
    future = phone(3, not_before=NOW + 3600)
    assert g.check(future.text(), now=NOW).reason == "not_yet_valid"


def test_forgeries():
    g, p = make_gate(), phone()
    raw = bytearray(p.code())
    raw[20] ^= 1  # a bit of the device key: the platform signature no longer covers the certificate
    assert (g.check(bytes(raw), now=NOW).reason, g.check(bytes(raw), now=NOW).detail) == (
        "forged",
        "platform signature",
    )
    raw = bytearray(p.code())
    raw[certificate.CERT_BYTES + 3] ^= 1  # the code's ts: the device signature fails
    v = g.check(bytes(raw), now=NOW)
    assert (v.reason, v.detail) == ("forged", "device signature")
    # a thief's own device key under a stolen certificate
    thief = seeded("thief")
    stolen = code.make_code(p.cert, thief, ts=NOW, counter=1)
    assert g.check(stolen, now=NOW).reason == "forged"
    # a certificate the rider made with their own "platform" key with the real kid: forged
    fake = certificate.issue_certificate(seeded("fake"), serial=1, rider_ref=bytes(8), device_public=thief.public,
                                         not_before=NOW - 10)  # fmt: skip
    fake = fake[:1] + PLATFORM.kid + fake[3:]
    assert g.check(code.make_code(fake, thief, ts=NOW, counter=1), now=NOW).reason == "forged"


def test_key_rotation():
    new = phone(4, platform=PLATFORM_NEXT)
    g = make_gate()
    v = g.check(new.text(), now=NOW)
    assert (v.reason, v.detail) == ("unknown_key", f"kid {PLATFORM_NEXT.kid.hex()}")
    g.keys.add(PLATFORM_NEXT.public)  # the platform pushes the next key before signing with it
    assert g.check(new.text(), now=NOW).ok and g.check(phone().text(), now=NOW).ok  # old and new both verify
    g.keys.remove(PLATFORM.kid)  # the old key leaves once its last certificate expired
    assert g.check(phone().text(), now=NOW).reason == "unknown_key"


class CountingKeys(KeySet):
    """A key set whose platform keys count their verifications."""

    def __init__(self, publics):  # type: ignore[no-untyped-def]
        self.verifies = 0
        super().__init__(publics)

    def get(self, kid):  # type: ignore[no-untyped-def]
        key = super().get(kid)
        if key is None:
            return None
        outer = self

        class Counting:
            def verify(self, signature, message):  # type: ignore[no-untyped-def]
                outer.verifies += 1
                key.verify(signature, message)

        return Counting()


def test_a_known_certificate_costs_one_verification_per_code():
    keys = CountingKeys([PLATFORM.public])
    g, p = make_gate(keys=keys), phone()
    for k in range(5):
        assert g.tap(p.text(ts=NOW + k, counter=k), now=NOW + k).ok
    # the platform signature was verified once, for the first code; the device's every time
    assert keys.verifies == 1 and (g.certificates.misses, g.certificates.hits) == (1, 4)
    # a thief's key under the cached certificate: the device signature still decides
    assert g.check(code.make_code(p.cert, seeded("thief"), ts=NOW, counter=9), now=NOW).reason == "forged"
    # a tampered copy of the certificate (signature bytes changed) is another certificate: verified, and
    # refused, every time; never cached
    raw = bytearray(p.code(counter=10))
    raw[certificate.BODY_BYTES + 5] ^= 1
    for _ in range(3):
        v = g.check(bytes(raw), now=NOW)
        assert (v.reason, v.detail) == ("forged", "platform signature")
    assert keys.verifies == 4 and len(g.certificates) == 1
    # a forged certificate seen first does not poison the genuine one
    q = phone(7)
    bad = bytearray(q.code())
    bad[certificate.BODY_BYTES] ^= 1
    assert g.check(bytes(bad), now=NOW).reason == "forged" and g.check(q.text(), now=NOW).ok


def test_the_certificate_cache_is_bounded_and_follows_the_key_set():
    keys = KeySet([PLATFORM.public])
    g = make_gate(keys=keys, cert_cache_size=2)
    phones = [phone(20 + i) for i in range(3)]
    for p in phones:
        assert g.check(p.text(), now=NOW).ok
    assert len(g.certificates) == 2  # the least recently used went out
    assert g.check(phones[0].text(), now=NOW).ok and g.certificates.hits == 0  # verified again
    assert g.check(phones[0].text(), now=NOW).ok and g.certificates.hits == 1
    # rotation: the set changes, the cache starts over
    keys.add(PLATFORM_NEXT.public)
    assert g.check(phones[0].text(), now=NOW).ok and len(g.certificates) == 1 and g.certificates.hits == 1
    keys.add(PLATFORM_NEXT.public)  # adding a key it already has changes nothing
    assert g.check(phones[0].text(), now=NOW).ok and g.certificates.hits == 2
    # the old key withdrawn: a certificate it signed, cached a moment ago, is refused at once
    keys.remove(PLATFORM.kid)
    assert g.check(phones[0].text(), now=NOW).reason == "unknown_key"
    # a new key set object for the gate: nothing carried over
    g.keys = KeySet([PLATFORM.public])
    assert g.check(phones[0].text(), now=NOW).ok and len(g.certificates) == 1
    # a gate with the cache off verifies both signatures every time
    counting = CountingKeys([PLATFORM.public])
    off = make_gate(keys=counting, cert_cache_size=0)
    for k in range(3):
        assert off.check(phones[1].text(counter=k), now=NOW).ok
    assert counting.verifies == 3 and len(off.certificates) == 0


def test_deny_list_whole_and_delta():
    g, p, q = make_gate(), phone(), phone(5)
    g.deny.update({"version": 1, "riders": [p.rider_ref.hex()], "serials": []})
    v = g.tap(p.text(), now=NOW)
    assert (v.reason, v.detail, v.message[1]) == (
        "denied",
        "rider",
        "Account in arrears or phone reported lost",
    )
    g.deny.update({"from_version": 1, "to_version": 2, "add": {"serials": [q.serial]},
                   "remove": {"riders": [p.rider_ref.hex()]}})  # fmt: skip
    assert (g.deny.version, g.tap(p.text(counter=2), now=NOW).reason) == (2, "ok")  # arrears paid
    v = g.tap(q.text(), now=NOW)
    assert (v.reason, v.detail) == ("denied", "device")  # phone reported lost
    with pytest.raises(StaleDenyListDelta):
        g.deny.update({"from_version": 1, "to_version": 3, "add": {"serials": [1]}})
    with pytest.raises(DenyListError):
        g.deny.update({"version": 1, "riders": []})  # older than what the gate has
    with pytest.raises(DenyListError):
        g.deny.update({"version": 3, "riders": ["zz"]})
    with pytest.raises(DenyListError):
        g.deny.update({"version": 3, "serials": ["1"]})
    assert g.deny.version == 2  # failed updates change nothing
    assert DenyList.from_json(g.deny.to_json()) == g.deny


def test_deny_list_delta_with_nothing_changed_is_a_no_op():
    d, p = DenyList(), phone()
    d.update({"version": 3, "riders": [p.rider_ref.hex()], "serials": [7]})
    before = d.to_json()
    # the platform's answer when nothing changed since version 3
    d.update({"from_version": 3, "to_version": 3, "add": {"riders": [], "serials": []},
              "remove": {"riders": [], "serials": []}})  # fmt: skip
    d.update({"from_version": 3, "to_version": 3})
    assert d.to_json() == before and d.version == 3
    with pytest.raises(StaleDenyListDelta):  # "nothing changed" since another version is still stale
        d.update({"from_version": 2, "to_version": 2})
    with pytest.raises(DenyListError):  # the same version cannot carry changes
        d.update({"from_version": 3, "to_version": 3, "add": {"serials": [9]}})
    with pytest.raises(DenyListError):
        d.update({"from_version": 3, "to_version": 3, "remove": {"riders": [p.rider_ref.hex()]}})
    with pytest.raises(DenyListError):  # nor go back
        d.update({"from_version": 3, "to_version": 2})
    assert d.to_json() == before


def test_network_flags():
    bus = make_gate(place=GatePlace("bus_600_7", "600", "bus", "in"))
    metro_only = phone(6, flags=certificate.FLAG_METRO)
    v = bus.check(metro_only.text(), now=NOW)
    assert (v.reason, v.detail) == ("not_permitted", "bus")
    assert make_gate().check(metro_only.text(), now=NOW).ok
    with pytest.raises(ValueError):
        GatePlace("g", "S01", "tram", "in")


def test_unreadable_scans():
    g = make_gate()
    assert g.tap("HELLO", now=NOW).reason == "malformed"
    assert g.tap(phone().text()[:100], now=NOW).reason == "truncated"
    assert set(gatelib.REASONS) >= {"ok", "forged", "expired", "not_yet_valid", "replayed", "truncated", "malformed",
                                    "unknown_key", "denied", "certificate_expired"}  # fmt: skip


def test_replay_window_is_bounded_and_never_lets_a_dropped_code_back_in():
    w = ReplayWindow(capacity=3)
    for i in range(5):
        w.remember(f"t{i}", NOW + i, now=NOW)
    assert len(w) == 3 and w.floor == NOW + 1
    assert w.seen("t0", NOW) and w.seen("t1", NOW + 1)  # dropped, yet refused: at or below the floor
    assert w.seen("t4", NOW + 4) and not w.seen("t9", NOW + 9)
    w.remember("t9", NOW + 9, now=NOW + 5)  # entries whose code has expired are evicted first
    assert len(w) == 1


def test_a_busy_gate_keeps_the_window_bounded():
    g = make_gate(replay_capacity=50)
    phones = [phone(100 + i) for i in range(10)]
    for k in range(20):
        for p in phones:
            assert g.tap(p.text(ts=NOW + k, counter=k), now=NOW + k).ok
    assert len(g.replay) <= 50
    assert g.tap(phones[0].text(ts=NOW + 19, counter=19), now=NOW + 20).reason == "replayed"


def test_tap_store_keeps_taps_offline_once_each(tmp_path):
    g, p = make_gate(tmp_path), phone()
    g.tap(p.text(), now=NOW + 1)
    g.tap(p.text(), now=NOW + 2)  # replayed: stored as a refusal, not a second tap
    g.tap("garbage", now=NOW + 3)
    g.tap(p.text(counter=2), now=NOW + 4)
    assert g.store is not None
    assert g.store.counts() == {"ok": 2, "replayed": 1, "malformed": 1}
    pending = g.store.pending()
    assert [(r.stop_id, r.direction, r.at, r.rider_ref, r.verdict) for r in pending] == [
        ("S04", "in", NOW + 1, p.rider_ref.hex(), "ok"),
        ("S04", "in", NOW + 4, p.rider_ref.hex(), "ok"),
    ]
    # storing the same accepted tap again (a retried write) is one tap
    assert g.store.append(pending[0]) is False
    assert g.store.mark_uploaded([pending[0].tap_id, "tap_unknown"]) == 1
    assert [r.tap_id for r in g.store.pending()] == [pending[1].tap_id]
    # a restarted gate reloads its replay window from the store
    again = Gate(ENTRY, KeySet([PLATFORM.public]), store=TapStore.in_directory(tmp_path), now=NOW + 10)
    assert again.tap(p.text(), now=NOW + 10).reason == "replayed"
    assert again.tap(p.text(counter=3), now=NOW + 10).ok


def test_tap_store_keeps_the_code_and_the_upload_state(tmp_path):
    g, p = make_gate(tmp_path), phone()
    assert g.tap(p.text() + "\r\n", now=NOW + 1).ok  # a scanner's line end is not part of the code
    assert g.tap(p.code(counter=2), now=NOW + 2).ok  # a byte-mode scan is kept as its Base45 text
    assert g.tap(p.text(counter=3), now=NOW + 3).ok
    g.tap(p.text(), now=NOW + 4)  # replayed: refused taps keep no code
    assert g.store is not None
    a, b, c = g.store.pending()
    assert (a.code, b.code, c.code) == (p.text(), p.text(counter=2), p.text(counter=3))
    assert all(r.code is None for r in g.store.all() if r.verdict != "ok")
    assert g.store.mark_uploaded([a.tap_id], "duplicate") == 1
    assert g.store.mark_rejected({b.tap_id: "unknown_rider"}) == 1
    assert g.store.mark_deferred({c.tap_id: "future_tap"}) == 1
    assert g.store.pending() == []
    assert g.store.uploads() == {"duplicate": 1, "rejected:unknown_rider": 1, "deferred:future_tap": 1}
    assert g.store.release_deferred() == 1 and [r.tap_id for r in g.store.pending()] == [c.tap_id]


def test_a_gate_file_from_before_the_code_column_is_upgraded(tmp_path):
    import sqlite3

    old = sqlite3.connect(tmp_path / TapStore.FILE)
    old.executescript(
        "CREATE TABLE taps (seq INTEGER PRIMARY KEY AUTOINCREMENT, tap_id TEXT NOT NULL, gate_id TEXT NOT NULL,"
        " stop_id TEXT NOT NULL, network TEXT NOT NULL, direction TEXT NOT NULL, at INTEGER NOT NULL,"
        " code_ts INTEGER, rider_ref TEXT, serial INTEGER, verdict TEXT NOT NULL, detail TEXT,"
        " uploaded INTEGER NOT NULL DEFAULT 0);"
        "INSERT INTO taps (tap_id, gate_id, stop_id, network, direction, at, verdict)"
        " VALUES ('tap_old', 'g', 'S04', 'metro', 'in', 1, 'ok');"
    )
    old.commit()
    old.close()
    g, p = make_gate(tmp_path), phone()
    assert g.tap(p.text(), now=NOW).ok
    assert g.store is not None
    assert [r.code for r in g.store.pending()] == [p.text()]  # the old tap has no code: it cannot be sent
    assert g.store.uploads() == {"no_code": 1, "pending": 1}
