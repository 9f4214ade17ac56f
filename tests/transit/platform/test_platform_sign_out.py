"""Signing out ends that session's ride code: the certificate the ride page got through the session goes
on the deny-list (reason "signed_out") when the worker delivers identity's session-revoked event, a gate
refuses its codes from its next delta, and a tap it let in with an old list is not charged to the
citizen. Certificates of the citizen's other sessions keep working."""

from __future__ import annotations

import base64
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.app import load_subscribers
from onecity.identity import sessions
from onecity.transit import service
from onecity.transit.gate import Gate, GatePlace
from onecity.transit.models import TransitDeviceCertificate
from onecity.transit.ridecode import code
from onecity.transit.ridecode.keys import KeySet, SigningKey
from tests.transit.platform.factories import Network, at, make_network, make_rider, set_clock, upload


class Phone:
    """A phone signed in by its own bearer session, with its own device key and certificate."""

    def __init__(self, session: Session, citizen_id: str, label: str) -> None:
        self.token, row = sessions.create_session(
            session, kind="citizen", subject_id=citizen_id, credential="bearer", label=label
        )
        self.session_id = row.public_id
        self.device = SigningKey.generate()
        self.cert = b""
        self.serial = 0
        self.counter = 0

    def certify(self, client) -> None:  # type: ignore[no-untyped-def]
        """What the ride page does: POST its device key under its own session."""
        r = client.post(
            "/v1/transit/certificates",
            json={"device_public_key": base64.b64encode(self.device.public).decode()},
            headers={"authorization": f"Bearer {self.token}", "idempotency-key": f"c-{self.session_id}"},
        )
        assert r.status_code == 201, r.text
        self.cert, self.serial = base64.b64decode(r.json()["certificate"]), r.json()["serial"]

    def code(self, ts: int) -> str:
        self.counter += 1
        return code.to_qr_text(code.make_code(self.cert, self.device, ts=ts, counter=self.counter))

    def tap(self, when: int, stop: str = "S01") -> dict[str, object]:
        return {
            "gate_id": f"g_{stop}_in",
            "stop_id": stop,
            "network": "metro",
            "direction": "in",
            "at": when,
            "code": self.code(when - 2),
        }


def _gate(session: Session) -> Gate:
    gate = Gate(
        GatePlace("g_S01_in", "S01", "metro", "in"),
        KeySet([k.public_key for k in service.keys.published_keys(session)]),
    )
    gate.deny.update(service.deny.whole(session))
    return gate


def _delta(client, net: Network, since: int) -> dict[str, object]:  # type: ignore[no-untyped-def]
    path = f"/v1/transit/operator/deny-list?since={since}"
    r = client.get(path, headers=net.metro.signed("GET", path)["headers"])
    assert r.status_code == 200, r.text
    return dict(r.json())


def _city(session: Session, client) -> tuple[Network, str, Phone, Phone, Phone]:  # type: ignore[no-untyped-def]
    """A citizen on two phones and another citizen on theirs, each certified through its session."""
    load_subscribers()
    set_clock(at(0, "07:00"))
    net = make_network(session)
    rider, other = (
        make_rider(session, balance=5_000, certify=False),
        make_rider(session, balance=5_000, certify=False),
    )
    shared, own, others = (
        Phone(session, rider.citizen_id, "shared"),
        Phone(session, rider.citizen_id, "own"),
        Phone(session, other.citizen_id, "other"),
    )
    session.commit()
    for p in (shared, own, others):
        p.certify(client)
    session.rollback()
    return net, rider.citizen_id, shared, own, others


def test_signing_out_denies_that_sessions_certificate_at_the_gates(session: Session, client) -> None:  # type: ignore[no-untyped-def]
    net, citizen_id, shared, own, others = _city(session, client)
    rows = {c.serial: c.session_id for c in session.scalars(select(TransitDeviceCertificate))}
    assert rows == {
        shared.serial: shared.session_id,
        own.serial: own.session_id,
        others.serial: others.session_id,
    }
    gate = _gate(session)
    v0 = gate.deny.version
    now = at(0, "07:30")
    assert all(gate.check(p.code(now - 1), now=now).ok for p in (shared, own, others))
    session.rollback()

    # The citizen signs out on the shared phone (the API's sign-out; the page's is the same service).
    out = client.post("/v1/auth/logout", headers={"authorization": f"Bearer {shared.token}"})
    assert out.status_code == 204
    assert _delta(client, net, v0)["to_version"] == v0  # nothing yet: the worker has not run
    done = outbox.run_once()
    assert done["failed"] == 0 and done["done"] >= 1

    delta = _delta(client, net, v0)
    assert delta["to_version"] == v0 + 1
    assert delta["add"] == {"riders": [], "serials": [shared.serial]}
    assert delta["remove"] == {"riders": [], "serials": []}
    (entry,) = service.deny.entries(session)
    assert (entry.kind, entry.value, entry.reason) == ("serial", str(shared.serial), "signed_out")
    session.rollback()

    # The gate applies the delta: the shared phone's codes are refused, the others' still open it.
    gate.deny.update(delta)
    later = now + 60
    refused = gate.check(shared.code(later - 1), now=later)
    assert not refused.ok and refused.reason == "denied"
    assert gate.check(own.code(later - 1), now=later).ok
    assert gate.check(others.code(later - 1), now=later).ok

    # A gate still on the old list let a ride in after the sign-out: it is not charged to the citizen.
    set_clock(at(0, "09:00"))
    result = upload(session, net.metro, [shared.tap(at(0, "08:00")), own.tap(at(0, "08:01"))])
    assert [(x.result, x.reason) for x in result.results] == [("rejected", "denied"), ("accepted", None)]
    session.commit()

    # Delivered again (a retried delivery) or signed out twice: no new version, nothing more denied.
    assert service.deny_signed_out(session, session_ids=[shared.session_id]) == []
    assert service.deny.current_version(session) == v0 + 1
    status = {c.serial: c.status for c in session.scalars(select(TransitDeviceCertificate))}
    assert status == {shared.serial: "signed_out", own.serial: "active", others.serial: "active"}
    # A new sign-in on the same phone gets a certificate for its key again.
    again = Phone(session, citizen_id, "shared again")
    again.device = shared.device
    session.commit()
    again.certify(client)
    assert again.serial != shared.serial
    assert _gate(session).check(again.code(at(0, "09:01")), now=at(0, "09:01") + 1).ok


def test_signing_out_everywhere_denies_every_live_certificate_but_not_expired_ones(
    session: Session, client
) -> None:  # type: ignore[no-untyped-def]
    net, citizen_id, shared, own, others = _city(session, client)
    # a certificate the shared session got yesterday, long expired (gates refuse it anyway)
    old = service.issue_certificate(
        session,
        citizen_id=citizen_id,
        device_public=shared.device.public,
        session_id=shared.session_id,
        not_before=int((clock.now() - timedelta(hours=30)).timestamp()),
    )
    v0 = service.deny.current_version(session)
    assert sessions.revoke_all(session, subject_id=citizen_id) == 2
    session.commit()
    outbox.run_once()

    delta = _delta(client, net, v0)
    assert delta["to_version"] == v0 + 2
    assert delta["add"]["serials"] == sorted([shared.serial, own.serial])  # type: ignore[index]
    assert old.serial not in delta["add"]["serials"]  # type: ignore[index]
    gate = _gate(session)
    now = at(0, "07:45")
    assert gate.check(shared.code(now), now=now + 1).reason == "denied"
    assert gate.check(own.code(now), now=now + 1).reason == "denied"
    assert gate.check(others.code(now), now=now + 1).ok  # another citizen's session: untouched
    # once the signed-out certificates have expired, pruning takes them off the list
    set_clock(at(1, "08:00"))
    assert service.riders.prune_expired_devices(session) == 2
    assert service.deny.whole(session)["serials"] == []
