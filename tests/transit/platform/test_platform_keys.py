"""The platform transit keys: published key set, rotation, retirement; certificates a gate accepts."""

from __future__ import annotations

import base64
import json
from datetime import timedelta

from onecity import clock
from onecity.transit import service
from onecity.transit.gate import Gate, GatePlace
from onecity.transit.ridecode.keys import KeySet
from tests.transit.platform.factories import at, make_network, make_rider, set_clock, upload


def _gate(session) -> Gate:
    keys = KeySet([k.public_key for k in service.keys.published_keys(session)])
    return Gate(GatePlace("g1", "S04", "metro", "in"), keys)


def test_rotation_keeps_old_certificates_valid_until_they_expire(session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session)
    old_kid = service.keys.signing_key(session).kid.hex()
    published = [k.kid for k in service.keys.published_keys(session)]
    assert len(published) == 2 and old_kid in published  # active, and next already with the gates
    gate_before = _gate(session)
    new_kid = service.keys.rotate(session)
    assert new_kid != old_kid and new_kid in published  # the gates had the new key before it signed
    assert service.keys.signing_key(session).kid.hex() == new_kid
    # a code under the old key's certificate still opens the gate, and a new certificate too
    now = int(clock.now().timestamp())
    assert gate_before.check(r.code_text(now), now=now).ok
    r.certify(session)
    assert r.certs[-1][1:3].hex() == new_kid and gate_before.check(r.code_text(now), now=now).ok
    statuses = {k.kid: k.status for k in service.keys.published_keys(session)}
    assert statuses[old_kid] == "retiring" and list(statuses.values()).count("next") == 1
    # the old key retires when its last certificate has expired (24 h + skew)
    assert service.keys.retire_expired(session) == 0
    clock.advance(timedelta(hours=25))
    assert service.keys.retire_expired(session) == 1
    assert old_kid not in {k.kid for k in service.keys.published_keys(session)}
    # … yet a tap a gate stored offline under it is still verified on upload
    old_cert = r.certs[0]
    rec = r.tap(at(0, "08:00"), "S01", cert=old_cert)
    assert upload(session, net.metro, [rec]).accepted == 1


def test_rotate_if_due_every_30_days(session):
    set_clock(at(0, "07:00"))
    service.keys.ensure_keys(session)
    assert service.keys.rotate_if_due(session) is None
    clock.advance(timedelta(days=31))
    assert service.keys.rotate_if_due(session) is not None
    assert service.keys.rotate_if_due(session) is None


def test_key_set_endpoint_is_what_a_gate_loads(client, session):
    set_clock(at(0, "07:00"))
    make_network(session)
    r = make_rider(session)
    session.commit()
    body = client.get("/v1/transit/keys").json()
    keys = KeySet.from_json(json.dumps({"keys": body["keys"]}))
    assert len(keys) == 2 and {d["status"] for d in body["detail"]} == {"active", "next"}
    assert base64.b64decode(body["keys"][0]) == base64.b64decode(body["detail"][0]["public_key"])
    gate = Gate(GatePlace("g1", "S04", "metro", "in"), keys)
    now = int(clock.now().timestamp())
    assert gate.check(r.code_text(now), now=now).ok
