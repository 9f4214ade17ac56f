"""The family JSON API over HTTP (real app, real database): the flow end to end, who may call, the
problem+json answers, idempotent replay, and the minor route."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from onecity.identity.family.models import FamilyLink
from tests.identity.family.factories import make_face_grant, person


def auth(token: str, **extra: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **extra}


@pytest.fixture
def pair(session):
    me, mum = person(session, born=date(1990, 3, 7)), person(session, born=date(1962, 8, 1))
    tokens = (me.token(session), mum.token(session))
    session.commit()
    return me, mum, tokens


def test_invite_accept_narrow_revoke_over_http(client, pair):
    me, mum, (t_me, t_mum) = pair
    r = client.post("/v1/family/invitations", headers=auth(t_me), json={
        "relation": "parent", "mobile": mum.mobile, "scopes": ["pay_medical", "view_bills"],
        "offered_scopes": ["show_certificates"]})
    assert r.status_code == 201, r.text
    inv = r.json()
    assert r.headers["location"] == f"/v1/family/invitations/{inv['id']}"
    assert inv["status"] == "pending" and inv["other"] is None and mum.mobile not in r.text

    received = client.get("/v1/family/invitations", headers=auth(t_mum)).json()["received"]
    assert [x["id"] for x in received] == [inv["id"]]
    assert received[0]["other"]["name_masked"] == me.name[0] + "*"
    assert client.get(f"/v1/family/invitations/{inv['id']}", headers=auth(t_mum)).json()["relation"] == "child"

    r = client.post(f"/v1/family/invitations/{inv['id']}/accept", headers=auth(t_mum),
                    json={"scopes": ["pay_medical"]})
    assert r.status_code == 200 and r.json()["status"] == "accepted"

    mine = client.get("/v1/family/links", headers=auth(t_me)).json()["links"]
    theirs = client.get("/v1/family/links", headers=auth(t_mum)).json()["links"]
    assert [x["id"] for x in mine] == [x["id"] for x in theirs] == [inv["id"]]
    assert mine[0]["my_scopes"] == ["pay_medical"] and mine[0]["their_scopes"] == ["show_certificates"]
    assert mine[0]["other"]["citizen_id"] == mum.id and mine[0]["relation"] == "parent"

    r = client.patch(f"/v1/family/links/{inv['id']}", headers=auth(t_me), json={"scopes": []})
    assert r.status_code == 200 and r.json()["their_scopes"] == []
    r = client.patch(f"/v1/family/links/{inv['id']}", headers=auth(t_me), json={"scopes": ["pay_bills"]})
    assert r.status_code == 422 and r.json()["code"] == "family_scopes_only_narrow"

    r = client.delete(f"/v1/family/links/{inv['id']}", headers=auth(t_mum))
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert client.get("/v1/family/links", headers=auth(t_me)).json()["links"] == []


def test_accept_without_a_body_grants_what_was_asked(client, pair):
    me, mum, (t_me, t_mum) = pair
    inv = client.post("/v1/family/invitations", headers=auth(t_me),
                      json={"relation": "parent", "mobile": mum.mobile, "scopes": ["view_bills"]}).json()
    r = client.post(f"/v1/family/invitations/{inv['id']}/accept", headers=auth(t_mum))
    assert r.status_code == 200 and r.json()["granted_by_me"] == ["view_bills"]


def test_decline_and_cancel_over_http(client, pair):
    me, mum, (t_me, t_mum) = pair
    a = client.post("/v1/family/invitations", headers=auth(t_me), json={"relation": "parent", "mobile": mum.mobile})
    assert client.post(f"/v1/family/invitations/{a.json()['id']}/decline", headers=auth(t_mum)).json()["status"] \
        == "declined"
    b = client.post("/v1/family/invitations", headers=auth(t_me), json={"relation": "parent", "mobile": mum.mobile})
    assert client.post(f"/v1/family/invitations/{b.json()['id']}/cancel", headers=auth(t_me)).json()["status"] \
        == "cancelled"
    r = client.post(f"/v1/family/invitations/{b.json()['id']}/accept", headers=auth(t_mum))
    assert r.status_code == 409 and r.json()["code"] == "family_illegal_transition"
    assert r.headers["content-type"] == "application/problem+json"


def test_invitation_post_replays_under_an_idempotency_key(client, session, pair):
    me, mum, (t_me, _) = pair
    body = {"relation": "parent", "mobile": mum.mobile, "scopes": ["pay_bills"]}
    first = client.post("/v1/family/invitations", headers=auth(t_me, **{"Idempotency-Key": "fam-1"}), json=body)
    again = client.post("/v1/family/invitations", headers=auth(t_me, **{"Idempotency-Key": "fam-1"}), json=body)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json() and again.headers["idempotent-replayed"] == "true"
    # Without the key the second call is a new invitation — refused, as one is already waiting.
    r = client.post("/v1/family/invitations", headers=auth(t_me), json=body)
    assert r.status_code == 409 and r.json()["code"] == "family_invitation_pending"
    assert session.scalar(select(func.count()).select_from(FamilyLink)) == 1


ROUTES = [
    ("post", "/v1/family/invitations"), ("get", "/v1/family/invitations"),
    ("get", "/v1/family/invitations/fam_x"), ("post", "/v1/family/invitations/fam_x/accept"),
    ("post", "/v1/family/invitations/fam_x/decline"), ("post", "/v1/family/invitations/fam_x/cancel"),
    ("post", "/v1/family/minors"), ("get", "/v1/family/links"), ("get", "/v1/family/links/fam_x"),
    ("patch", "/v1/family/links/fam_x"), ("delete", "/v1/family/links/fam_x"),
]


def test_only_verified_citizens(app, client, session):
    unverified = person(session, verified=False)
    token = unverified.token(session)
    session.commit()
    family_routes = {(m, path.replace("{link_id}", "fam_x")) for path, ops in app.openapi()["paths"].items()
                     if path.startswith("/v1/family") for m in ops}
    assert family_routes == set(ROUTES), "a family route is missing from this check"
    for method, path in ROUTES:
        r = client.request(method.upper(), path, json={})
        assert (r.status_code, r.json()["code"]) == (401, "unauthenticated"), (method, path)
        r = client.request(method.upper(), path, headers=auth(token), json={})
        assert (r.status_code, r.json()["code"]) == (403, "real_name_required"), (method, path)


BAD_INVITATIONS = [
    ({"relation": "parent", "mobile": "13700000001", "scopes": ["withdraw"]}, "validation_error"),
    ({"relation": "uncle", "mobile": "13700000001"}, "validation_error"),
    ({"relation": "parent", "mobile": "13700000001", "extra": 1}, "validation_error"),
    ({"relation": "parent"}, "family_address_invalid"),
    ({"relation": "parent", "mobile": "23700000001"}, "mobile_invalid"),
    ({"relation": "parent", "name": "王五", "id_number": "110105194912310022"}, "id_number_checksum"),
]


def test_bad_invitations_are_problems_and_change_nothing(client, session, pair):
    _, _, (t_me, _) = pair
    for body, code in BAD_INVITATIONS:
        r = client.post("/v1/family/invitations", headers=auth(t_me, **{"Accept-Language": "en"}), json=body)
        assert (r.status_code, r.json()["code"]) == (422, code), body
    assert session.scalar(select(func.count()).select_from(FamilyLink)) == 0


def test_someone_elses_link_is_not_found(client, session, pair):
    me, mum, (t_me, t_mum) = pair
    stranger = person(session)
    t_stranger = stranger.token(session)
    session.commit()
    inv = client.post("/v1/family/invitations", headers=auth(t_me), json={"relation": "parent", "mobile": mum.mobile})
    for method, path in (("GET", f"/v1/family/links/{inv.json()['id']}"),
                         ("POST", f"/v1/family/invitations/{inv.json()['id']}/accept"),
                         ("DELETE", f"/v1/family/links/{inv.json()['id']}")):
        r = client.request(method, path, headers=auth(t_stranger))
        assert r.status_code == 404 and r.json()["code"] == "family_link_not_found"


def test_link_a_minor_over_http(client, session):
    parent, kid = person(session, born=date(1985, 4, 10)), person(session, born=date(2014, 9, 1))
    token = parent.token(session)
    grant = make_face_grant(session, parent.citizen)
    session.commit()
    body = {"name": kid.name, "id_number": kid.id_number, "grant_id": grant, "scopes": ["pay_medical"]}
    r = client.post("/v1/family/minors", headers=auth(token), json=body)
    assert r.status_code == 201, r.text
    assert r.json()["kind"] == "guardian" and r.json()["other"]["is_minor"] is True
    assert r.headers["location"] == f"/v1/family/links/{r.json()['id']}"
    again = client.post("/v1/family/minors", headers=auth(token), json=body)
    assert again.status_code == 403 and again.json()["code"] == "face_grant_invalid"
