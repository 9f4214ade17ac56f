"""Organisations, staff and API keys through the HTTP API, and the staff principal."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from onecity import clock
from onecity.audit.models import AuditEntry
from onecity.crypto.signing import generate_ed25519
from onecity.db import session_factory
from onecity.identity.orgs import service
from onecity.identity.orgs.models import ApiKey, Org, Staff
from onecity.identity.orgs.signatures import sign_request
from tests.identity.orgs.factories import (
    DEFAULT_PASSWORD,
    fresh_uscc,
    make_admin,
    make_api_key,
    make_org,
    make_staff,
    staff_token,
)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def admin(session):
    a = make_admin(session)
    token = staff_token(session, a)
    session.commit()
    return a, _bearer(token)


def _new_org_body(**over):
    body = {"kind": "merchant", "name_zh": "福田便利店", "name_en": "Futian Store", "uscc": fresh_uscc(),
            "owner": {"username": "futian.owner", "display_name": "陈店长", "password": "a-long-passphrase"}}
    body.update(over)
    return body


def _count(model) -> int:
    with session_factory()() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_admin_onboards_an_org_and_the_post_replays(client, admin):
    _, h = admin
    body = _new_org_body()
    r1 = client.post("/v1/orgs", json=body, headers={**h, "Idempotency-Key": "onboard-1"})
    assert r1.status_code == 201, r1.text
    r2 = client.post("/v1/orgs", json=body, headers={**h, "Idempotency-Key": "onboard-1"})
    assert r2.status_code == 201 and r2.headers["idempotent-replayed"] == "true"
    assert r1.json() == r2.json()
    out = r1.json()
    assert out["org"]["kind"] == "merchant" and out["org"]["id"].startswith("org_")
    assert out["owner"]["roles"] == ["owner"] and out["owner"]["display_name"] == "陈店长"
    assert _count(Org) == 2  # the city and the new merchant, once
    with session_factory()() as s:
        actions = s.scalars(select(AuditEntry.action).order_by(AuditEntry.seq)).all()
    assert actions[-2:] == ["org.create", "staff.create"]


@pytest.mark.parametrize(("over", "status", "code"), [
    ({"uscc": "9144030071526726XH"}, 422, "uscc_invalid"),
    ({"kind": "bank"}, 422, "validation_error"),
    ({"owner": {"username": "ab", "display_name": "x", "password": "a-long-passphrase"}}, 422, "validation_error"),
    ({"owner": {"username": "good.name", "display_name": "x", "password": "short"}}, 422, "password_too_weak"),
    ({"owner": {"username": "Bad Name!", "display_name": "x", "password": "a-long-passphrase"}}, 422,
     "username_invalid"),
])
def test_bad_onboarding_changes_nothing(client, admin, over, status, code):
    _, h = admin
    before = (_count(Org), _count(Staff), _count(AuditEntry))
    r = client.post("/v1/orgs", json=_new_org_body(**over), headers=h)
    assert r.status_code == status and r.json()["code"] == code, r.text
    assert (_count(Org), _count(Staff), _count(AuditEntry)) == before


def test_duplicate_uscc_and_username(client, admin):
    _, h = admin
    body = _new_org_body()
    assert client.post("/v1/orgs", json=body, headers=h).status_code == 201
    r = client.post("/v1/orgs", json={**body, "owner": {**body["owner"], "username": "other.owner"}}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "uscc_taken"
    r = client.post("/v1/orgs", json=_new_org_body(), headers=h)  # same owner username
    assert r.status_code == 409 and r.json()["code"] == "username_taken"


def test_only_one_city(session):
    make_org(session, kind="city")
    with pytest.raises(service.CityExists):
        service.create_org(session, kind="city", name_zh="另一个市", uscc_code=fresh_uscc(), actor="test")


def test_list_orgs_pages(client, session, admin):
    _, h = admin
    for _ in range(3):
        make_org(session, kind="pharmacy")
    session.commit()
    r = client.get("/v1/orgs?kind=pharmacy&limit=2", headers=h).json()
    assert len(r["items"]) == 2 and r["next_cursor"]
    r2 = client.get(f"/v1/orgs?kind=pharmacy&limit=2&after={r['next_cursor']}", headers=h).json()
    assert len(r2["items"]) == 1 and r2["next_cursor"] is None
    assert client.get("/v1/orgs?after=org_nope", headers=h).json()["code"] == "cursor_invalid"


def test_console_login_json(client, session):
    org = make_org(session, kind="hospital", name="深圳市人民医院")
    make_staff(session, org, roles=["operator", "reviewer"], username="dr.li")
    session.commit()
    r = client.post("/v1/console/login", json={"username": "DR.LI", "password": DEFAULT_PASSWORD})
    assert r.status_code == 200, r.text
    out = r.json()
    assert out["principal_kind"] == "staff" and out["org"]["name_zh"] == "深圳市人民医院"
    assert out["staff"]["roles"] == ["operator", "reviewer"]
    me = client.get("/v1/orgs/me", headers=_bearer(out["token"])).json()
    assert me["caller"] == {"kind": "staff", "id": out["staff"]["id"], "roles": ["operator", "reviewer"],
                            "app_id": None}


def test_city_staff_are_admins(session):
    a = make_admin(session, roles=["operator"])
    p = service.staff_principal(session, a.public_id)
    assert p.kind == "admin" and p.org_id == service.city_org(session).public_id  # type: ignore[union-attr]
    assert p.roles == frozenset({"operator"})


def test_login_failures_lock_the_account(client, session):
    org = make_org(session)
    make_staff(session, org, username="cashier.wang")
    session.commit()
    clock.freeze(clock.now())
    for _ in range(4):
        r = client.post("/v1/console/login", json={"username": "cashier.wang", "password": "wrong-password"})
        assert r.status_code == 401 and r.json()["code"] == "login_failed"
    r = client.post("/v1/console/login", json={"username": "cashier.wang", "password": "wrong-password"})
    assert r.status_code == 429 and r.json()["code"] == "login_locked"
    # Even the right password waits out the lock.
    r = client.post("/v1/console/login", json={"username": "cashier.wang", "password": DEFAULT_PASSWORD})
    assert r.status_code == 429
    clock.advance(timedelta(minutes=15, seconds=1))
    assert client.post("/v1/console/login", json={"username": "cashier.wang",
                                                  "password": DEFAULT_PASSWORD}).status_code == 200


def test_unknown_username_is_the_same_failure(client):
    r = client.post("/v1/console/login", json={"username": "nobody", "password": "whatever-it-is"})
    assert r.status_code == 401 and r.json()["code"] == "login_failed"


def test_suspended_staff_and_org_cannot_sign_in_or_use_sessions(client, session):
    org = make_org(session)
    owner = make_staff(session, org, roles=["owner"])
    clerk = make_staff(session, org, roles=["cashier"])
    token = staff_token(session, clerk)
    session.commit()
    assert client.get("/v1/orgs/me", headers=_bearer(token)).status_code == 200
    service.set_staff_status(session, org_id=org.public_id, staff_id=clerk.public_id, status="suspended",
                             actor="test")
    session.commit()
    # Suspension revoked the session; a new sign-in is refused with the reason.
    assert client.get("/v1/orgs/me", headers=_bearer(token)).status_code == 401
    r = client.post("/v1/console/login", json={"username": clerk.username, "password": DEFAULT_PASSWORD})
    assert r.status_code == 401 and r.json()["code"] == "staff_suspended"
    owner_token = staff_token(session, owner)
    service.set_org_status(session, org_id=org.public_id, status="suspended", actor="test", reason="overdue fees")
    session.commit()
    r = client.get("/v1/orgs/me", headers=_bearer(owner_token))
    assert r.status_code == 401 and r.json()["code"] == "org_suspended"
    r = client.post("/v1/console/login", json={"username": owner.username, "password": DEFAULT_PASSWORD})
    assert r.json()["code"] == "org_suspended"


def test_owner_adds_staff_and_changes_roles(client, session):
    org = make_org(session, kind="merchant")
    owner = make_staff(session, org, roles=["owner"])
    h = _bearer(staff_token(session, owner))
    session.commit()
    base = f"/v1/orgs/{org.public_id}/staff"
    r = client.post(base, json={"username": "cashier.1", "display_name": "王收银", "password": "cashier-pass-1",
                                "roles": ["cashier"]}, headers={**h, "Idempotency-Key": "add-1"})
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert client.post(base, json={"username": "x.1", "display_name": "x", "password": "cashier-pass-1",
                                   "roles": ["reviewer"]}, headers=h).json()["code"] == "roles_invalid"
    r = client.put(f"{base}/{sid}/roles", json={"roles": ["cashier", "finance"]}, headers=h)
    assert r.status_code == 200 and r.json()["roles"] == ["cashier", "finance"]
    listed = client.get(base, headers=h).json()
    assert [s["username"] for s in listed] == [owner.username, "cashier.1"]


def test_last_owner_is_kept(client, session):
    org = make_org(session)
    owner = make_staff(session, org, roles=["owner"])
    h = _bearer(staff_token(session, owner))
    session.commit()
    r = client.put(f"/v1/orgs/{org.public_id}/staff/{owner.public_id}/roles", json={"roles": ["admin"]}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "last_owner"
    r = client.post(f"/v1/orgs/{org.public_id}/staff/{owner.public_id}/status", json={"status": "suspended"},
                    headers=h)
    assert r.status_code == 409 and r.json()["code"] == "last_owner"


def test_org_admin_cannot_make_owners(client, session):
    org = make_org(session)
    make_staff(session, org, roles=["owner"])
    org_admin = make_staff(session, org, roles=["admin"])
    h = _bearer(staff_token(session, org_admin))
    session.commit()
    r = client.post(f"/v1/orgs/{org.public_id}/staff", json={
        "username": "sneaky", "display_name": "x", "password": "a-long-passphrase", "roles": ["owner"]}, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "owner_required"
    r = client.put(f"/v1/orgs/{org.public_id}/staff/{org_admin.public_id}/roles", json={"roles": ["owner"]},
                   headers=h)
    assert r.status_code == 403 and r.json()["code"] == "owner_required"


def test_other_orgs_look_absent(client, session):
    mine = make_org(session)
    theirs = make_org(session)
    owner = make_staff(session, mine, roles=["owner"])
    h = _bearer(staff_token(session, owner))
    session.commit()
    for path in (f"/v1/orgs/{theirs.public_id}", f"/v1/orgs/{theirs.public_id}/staff",
                 f"/v1/orgs/{theirs.public_id}/keys"):
        r = client.get(path, headers=h)
        assert r.status_code == 404 and r.json()["code"] == "org_not_found", path
    assert client.get(f"/v1/orgs/{mine.public_id}", headers=h).status_code == 200


def test_cashier_cannot_manage_staff_or_keys(client, session):
    org = make_org(session)
    cashier = make_staff(session, org, roles=["cashier"])
    h = _bearer(staff_token(session, cashier))
    session.commit()
    assert client.get(f"/v1/orgs/{org.public_id}/staff", headers=h).status_code == 403
    assert client.get(f"/v1/orgs/{org.public_id}/keys", headers=h).status_code == 403


def test_register_list_and_revoke_keys(client, session):
    org = make_org(session, kind="biller")
    dev = make_staff(session, org, roles=["developer"])
    h = _bearer(staff_token(session, dev))
    session.commit()
    priv, pub = generate_ed25519()
    base = f"/v1/orgs/{org.public_id}/keys"
    r = client.post(base, json={"public_key_pem": pub, "label": "生产环境", "scopes": ["finance"]},
                    headers={**h, "Idempotency-Key": "key-1"})
    assert r.status_code == 201, r.text
    key = r.json()
    assert key["app_id"].startswith("app_") and key["algorithm"] == "ed25519" and key["scopes"] == ["finance"]
    assert r.headers["location"] == f"{base}/{key['app_id']}"
    replay = client.post(base, json={"public_key_pem": pub, "label": "生产环境", "scopes": ["finance"]},
                         headers={**h, "Idempotency-Key": "key-1"})
    assert replay.status_code == 201 and replay.json()["app_id"] == key["app_id"]
    assert _count(ApiKey) == 1
    again = client.post(base, json={"public_key_pem": pub, "label": "dup"}, headers=h)
    assert again.status_code == 409 and again.json()["code"] == "public_key_taken"
    bad = client.post(base, json={"public_key_pem": pub, "scopes": ["owner"]}, headers=h)
    assert bad.status_code == 422 and bad.json()["code"] == "roles_invalid"
    junk = client.post(base, json={"public_key_pem": "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"},
                       headers=h)
    assert junk.status_code == 422 and junk.json()["code"] == "public_key_invalid"
    # The key works for signed requests, with its scopes as roles.
    me = client.get("/v1/orgs/me", headers=sign_request(priv, key["app_id"], "GET", "/v1/orgs/me", b"")).json()
    assert me["caller"]["roles"] == ["finance"]
    r = client.post(f"{base}/{key['app_id']}/revoke", headers=h)
    assert r.status_code == 200 and r.json()["status"] == "revoked"
    assert client.post(f"{base}/{key['app_id']}/revoke", headers=h).status_code == 200  # idempotent
    assert [k["status"] for k in client.get(base, headers=h).json()] == ["revoked"]
    r = client.get("/v1/orgs/me", headers=sign_request(priv, key["app_id"], "GET", "/v1/orgs/me", b""))
    assert r.json()["code"] == "api_key_revoked"


def test_admin_suspends_an_org(client, session, admin):
    _, h = admin
    org = make_org(session)
    app_id, priv = make_api_key(session, org)
    session.commit()
    r = client.post(f"/v1/orgs/{org.public_id}/status", json={"status": "suspended", "reason": "欠费"}, headers=h)
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    assert client.get("/v1/orgs/me", headers=sign_request(priv, app_id, "GET", "/v1/orgs/me")).status_code == 401
    city = client.get("/v1/orgs/me", headers=h).json()["org"]["id"]
    r = client.post(f"/v1/orgs/{city}/status", json={"status": "suspended", "reason": "x"}, headers=h)
    assert r.status_code == 409
