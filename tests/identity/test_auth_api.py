"""The accounts API through HTTP: codes, sign-in (cookie and bearer), sessions, /v1/me, real name."""
# ruff: noqa: S106, S107 - test passwords and token kinds are data, not secrets

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from onecity import clock, outbox
from onecity.db import transaction
from onecity.identity import sms
from onecity.identity.models import AuthSession, Citizen, OtpChallenge
from tests.identity.factories import (
    deliver_code,
    fresh_id_number,
    fresh_mobile,
    login_token,
    make_citizen,
    make_registry_entry,
    sms_gateway,
)

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _setup():
    clock.freeze(NOW)
    yield
    sms.use_sender(None)
    clock.reset()


@pytest.fixture
def gateway():
    return sms_gateway()


def _count(model) -> int:
    with transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def _sign_up(client, gateway, mobile: str, token_type: str = "bearer"):
    r = client.post("/v1/auth/otp", json={"mobile": mobile, "purpose": "login"})
    assert r.status_code == 202, r.text
    code = deliver_code(gateway, mobile)
    return client.post("/v1/auth/login", json={"mobile": mobile, "code": code, "token_type": token_type,
                                                "label": "pytest"})


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- codes and sign-in ----------------------------------------------------------------------------

def test_sign_up_with_a_bearer_token(client, gateway):
    mobile = fresh_mobile()
    r = _sign_up(client, gateway, mobile)
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["signed_up"] is True and body["token"]
    assert body["citizen"]["mobile_masked"] == mobile[:3] + "****" + mobile[-4:]
    assert body["citizen"]["verified"] is False and body["session"]["credential"] == "bearer"
    assert mobile not in r.text
    assert "set-cookie" not in r.headers
    me = client.get("/v1/me", headers=_auth(body["token"]))
    assert me.status_code == 200 and me.json()["public_id"] == body["citizen"]["public_id"]


def test_sign_in_with_a_cookie(client, gateway):
    mobile = fresh_mobile()
    r = _sign_up(client, gateway, mobile, token_type="cookie")
    assert r.status_code == 200 and "token" not in r.json()
    cookie = r.headers["set-cookie"]
    assert "oc_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # settings.cookie_secure is off in tests
    assert client.get("/v1/me").status_code == 200  # the client keeps the cookie
    out = client.post("/v1/auth/logout")
    assert out.status_code == 204 and 'oc_session=""' in out.headers["set-cookie"]
    client.cookies.clear()
    assert client.get("/v1/me").status_code == 401


def test_otp_request_validation_changes_nothing(client, gateway):
    for body in ({"mobile": "12345"}, {"mobile": "13800138000", "purpose": "payment"}, {}, {"mobile": 138},
                 {"mobile": "13800138000", "extra": 1}):
        r = client.post("/v1/auth/otp", json=body)
        assert r.status_code == 422, body
        assert r.headers["content-type"] == "application/problem+json"
    assert client.post("/v1/auth/otp", json={"mobile": "12345"}).json()["code"] == "mobile_invalid"
    assert _count(OtpChallenge) == 0 and _count(outbox.OutboxEvent) == 0


def test_otp_rate_limit_is_problem_json_with_retry_after(client, gateway):
    mobile = fresh_mobile()
    assert client.post("/v1/auth/otp", json={"mobile": mobile}).status_code == 202
    r = client.post("/v1/auth/otp", json={"mobile": mobile})
    assert r.status_code == 429 and r.json()["code"] == "rate_limited" and r.json()["retry_after"] == 60
    assert _count(OtpChallenge) == 1


def test_otp_request_replays_under_an_idempotency_key(client, gateway):
    mobile = fresh_mobile()
    h = {"Idempotency-Key": "otp-1"}
    r1 = client.post("/v1/auth/otp", json={"mobile": mobile}, headers=h)
    r2 = client.post("/v1/auth/otp", json={"mobile": mobile}, headers=h)
    assert r1.status_code == r2.status_code == 202 and r1.json() == r2.json()
    assert r2.headers["idempotent-replayed"] == "true"
    assert _count(OtpChallenge) == 1
    outbox.run_once()
    assert len(gateway.inbox(mobile)) == 1  # one SMS, not two


def test_login_errors(client, gateway):
    mobile = fresh_mobile()
    client.post("/v1/auth/otp", json={"mobile": mobile})
    code = deliver_code(gateway, mobile)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    r = client.post("/v1/auth/login", json={"mobile": mobile, "code": wrong})
    assert r.status_code == 401 and r.json()["code"] == "otp_invalid" and r.json()["attempts_left"] == 4
    with transaction() as s:  # the failed attempt was recorded although the request failed
        assert s.scalars(select(OtpChallenge)).one().attempts == 1
    both = client.post("/v1/auth/login", json={"mobile": mobile, "code": code, "password": "x"})
    neither = client.post("/v1/auth/login", json={"mobile": mobile})
    assert both.status_code == neither.status_code == 422
    bad_type = client.post("/v1/auth/login", json={"mobile": mobile, "code": code, "token_type": "jwt"})
    assert bad_type.status_code == 422
    assert _count(Citizen) == 0 and _count(AuthSession) == 0
    assert client.post("/v1/auth/login", json={"mobile": mobile, "code": code}).status_code == 200


def test_password_flow_over_http(client, gateway):
    mobile = fresh_mobile()
    token = _sign_up(client, gateway, mobile).json()["token"]
    weak = client.post("/v1/me/password", json={"password": "short"}, headers=_auth(token))
    assert weak.status_code == 422 and weak.json()["code"] == "password_weak"
    assert client.post("/v1/me/password", json={"password": "tiger2026"}, headers=_auth(token)).status_code == 204
    assert client.get("/v1/me", headers=_auth(token)).json()["has_password"] is True
    r = client.post("/v1/auth/login", json={"mobile": mobile, "password": "tiger2026"})
    assert r.status_code == 200 and r.json()["signed_up"] is False
    other_token = r.json()["token"]
    bad = client.post("/v1/auth/login", json={"mobile": mobile, "password": "tiger2027"})
    assert bad.status_code == 401 and bad.json()["code"] == "invalid_credentials"
    # Changing the password needs proof, and signs out the other sessions.
    no_proof = client.post("/v1/me/password", json={"password": "lion2027x"}, headers=_auth(token))
    assert no_proof.status_code == 403 and no_proof.json()["code"] == "password_proof_required"
    ok = client.post("/v1/me/password", json={"password": "lion2027x", "current_password": "tiger2026"},
                     headers=_auth(token))
    assert ok.status_code == 204
    assert client.get("/v1/me", headers=_auth(other_token)).status_code == 401
    assert client.get("/v1/me", headers=_auth(token)).status_code == 200


def test_sessions_listing_and_revoking(client, gateway):
    mobile = fresh_mobile()
    first = _sign_up(client, gateway, mobile).json()
    clock.advance(timedelta(minutes=2))
    client.post("/v1/auth/otp", json={"mobile": mobile})
    second = client.post("/v1/auth/login", json={"mobile": mobile, "code": deliver_code(gateway, mobile)}).json()
    listed = client.get("/v1/auth/sessions", headers=_auth(second["token"])).json()
    assert [s["id"] for s in listed] == [second["session"]["id"], first["session"]["id"]]
    assert [s["current"] for s in listed] == [True, False]
    assert all("token" not in s for s in listed)
    r = client.delete(f"/v1/auth/sessions/{first['session']['id']}", headers=_auth(second["token"]))
    assert r.status_code == 204
    assert client.get("/v1/me", headers=_auth(first["token"])).status_code == 401
    assert client.delete("/v1/auth/sessions/ses_unknown", headers=_auth(second["token"])).status_code == 404
    out = client.post("/v1/auth/logout", headers=_auth(second["token"]))
    assert out.status_code == 204
    assert client.get("/v1/me", headers=_auth(second["token"])).status_code == 401


def test_endpoints_require_the_declared_principals(client):
    assert client.get("/v1/me").status_code == 401
    assert client.get("/v1/auth/sessions").status_code == 401
    assert client.post("/v1/me/real-name", json={"name": "王芳", "id_number": fresh_id_number()}).status_code == 401
    assert client.post("/v1/auth/logout").status_code == 401
    bad = client.get("/v1/me", headers={"Authorization": "Bearer nope"})
    assert bad.status_code == 401
    assert client.get("/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


# --- real name over HTTP --------------------------------------------------------------------------

def test_real_name_verification_over_http(client):
    with transaction() as s:
        citizen = make_citizen(s, verified=False)
        entry = make_registry_entry(s, name="周杰")
        token = login_token(s, citizen)
    h = _auth(token)
    for body, code in (
        ({"name": "周杰", "id_number": "123"}, "id_number_format"),
        ({"name": "周杰", "id_number": "999999" + entry.id_number[6:]}, "id_number_region"),
        ({"name": "周杰", "id_number": entry.id_number[:6] + "20991301" + entry.id_number[14:]},
         "id_number_birth_date"),
        ({"name": "周杰", "id_number": entry.id_number[:17] + ("0" if entry.id_number[17] != "0" else "1")},
         "id_number_checksum"),
        ({"name": "周洁", "id_number": entry.id_number}, "real_name_mismatch"),
        ({"name": "<b>", "id_number": entry.id_number}, "name_invalid"),
    ):
        r = client.post("/v1/me/real-name", json=body, headers=h)
        assert r.status_code == 422 and r.json()["code"] == code, (body, r.text)
    assert client.get("/v1/me", headers=h).json()["verified"] is False
    r = client.post("/v1/me/real-name", json={"name": "周杰", "id_number": entry.id_number}, headers=h)
    assert r.status_code == 200
    body = r.json()
    assert body["verified"] and body["masked_name"] == "周*" and entry.id_number not in r.text
    assert client.get("/v1/me", headers=h).json()["masked_id_number"] == body["masked_id_number"]


def test_real_name_replays_under_an_idempotency_key(client):
    with transaction() as s:
        citizen = make_citizen(s, verified=False)
        entry = make_registry_entry(s, name="孙悦")
        token = login_token(s, citizen)
    h = {**_auth(token), "Idempotency-Key": "rn-1"}
    body = {"name": "孙悦", "id_number": entry.id_number}
    r1 = client.post("/v1/me/real-name", json=body, headers=h)
    r2 = client.post("/v1/me/real-name", json=body, headers=h)
    assert r1.status_code == r2.status_code == 200 and r1.json() == r2.json()
    assert r2.headers["idempotent-replayed"] == "true"
    from onecity.audit.models import AuditEntry

    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "identity.real_name.verify")) == 1


def test_errors_in_english(client):
    r = client.post("/v1/auth/otp", json={"mobile": "1"}, headers={"Accept-Language": "en"})
    assert r.json()["title"] == "Enter a valid 11-digit mainland mobile number"
    r = client.post("/v1/auth/otp", json={"mobile": "1"})
    assert r.json()["title"] == "请输入有效的11位手机号码"


# --- personal data stays out of the logs ----------------------------------------------------------

def test_logs_never_show_a_full_id_number_or_mobile(client, caplog):
    from onecity.observability import JsonFormatter

    sms.use_sender(sms.LogSmsSender())
    with transaction() as s:
        citizen = make_citizen(s, verified=False)
        entry = make_registry_entry(s, name="吴敏")
        token = login_token(s, citizen)
    mobile = fresh_mobile()
    with caplog.at_level(logging.DEBUG):
        client.post("/v1/auth/otp", json={"mobile": mobile})
        outbox.run_once()
        client.post("/v1/me/real-name", json={"name": "吴敏", "id_number": entry.id_number[:17] + "0"},
                    headers=_auth(token))
        client.post("/v1/me/real-name", json={"name": "吴敏", "id_number": entry.id_number}, headers=_auth(token))
        logging.getLogger("onecity.test").warning("echo %s %s", mobile, entry.id_number)
    formatter = JsonFormatter()
    text = "\n".join(formatter.format(r) for r in caplog.records)
    assert "DEMO SMS" in text
    assert mobile not in text and entry.id_number not in text and entry.id_number[:17] not in text
    assert mobile[:3] + "****" + mobile[-4:] in text


def test_a_keyed_request_resolves_its_caller_once(client, session, monkeypatch):
    """The idempotency middleware resolves the caller to scope the key; `allow` reuses that."""
    from onecity.identity import sessions
    from tests.identity.factories import login_token, make_citizen

    token = login_token(session, make_citizen(session))
    session.commit()
    calls = []
    real = sessions.live_session

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sessions, "live_session", counting)
    h = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/me", headers=h).status_code == 200
    assert len(calls) == 1
    r = client.post("/v1/auth/logout", headers={**h, "Idempotency-Key": "bye-1"})
    assert r.status_code < 300, r.text
    assert len(calls) == 2  # one resolution for the keyed POST, not two
