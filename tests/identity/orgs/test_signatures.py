"""Signed organisation requests: the canonical string, both key types, and every refusal."""

from __future__ import annotations

import base64
import hashlib
import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from onecity import clock
from onecity.crypto.signing import generate_ed25519
from onecity.db import session_factory, transaction
from onecity.identity.orgs import service
from onecity.identity.orgs.models import ApiNonce
from onecity.identity.orgs.signatures import (
    APP_ID,
    NONCE,
    SIGNATURE,
    TIMESTAMP,
    canonical_query,
    canonical_string,
    sign_request,
)
from tests.identity.orgs.factories import make_api_key, make_org, rsa_key_pair

T0 = datetime(2026, 1, 1, tzinfo=UTC)  # 1767225600


def test_canonical_string_worked_example():
    text = canonical_string(method="post", decoded_path="/v1/orders", query="b=2&a=x%20y", timestamp="1767225600",
                            nonce="0123456789abcdef", body=b'{"n":1}')
    assert text == (
        "POST\n"
        "/v1/orders\n"
        "a=x%20y&b=2\n"
        "1767225600\n"
        "0123456789abcdef\n"
        "2bfd14f43d17fc7cea24e0917a8879b4b2f880b8baeec1b9d90fbaad655e71bd"
    )
    assert hashlib.sha256(b'{"n":1}').hexdigest() == text.rsplit("\n", 1)[1]


@pytest.mark.parametrize(("query", "canonical"), [
    ("", ""),
    ("b=2&a=1", "a=1&b=2"),
    ("a=2&a=1", "a=1&a=2"),                   # repeated names: sorted by value too
    ("q=a+b", "q=a%20b"),                     # '+' is a space
    ("q=%E6%B7%B1%E5%9C%B3", "q=%E6%B7%B1%E5%9C%B3"),
    ("q=深圳", "q=%E6%B7%B1%E5%9C%B3"),        # raw UTF-8 is encoded the same way
    ("flag&x=", "flag=&x="),                  # blank values kept
    ("path=/a/b~c", "path=%2Fa%2Fb~c"),       # only unreserved characters stay bare
])
def test_canonical_query(query, canonical):
    assert canonical_query(query) == canonical


def test_canonical_path_encodes_non_ascii():
    text = canonical_string(method="GET", decoded_path="/v1/测试 x", query="", timestamp="1", nonce="n" * 16,
                            body=b"")
    assert text.split("\n")[1] == "/v1/%E6%B5%8B%E8%AF%95%20x"
    assert text.endswith("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")


def test_sign_request_headers_verify_with_the_public_key():
    from onecity.crypto.signing import verify

    priv, pub = generate_ed25519()
    h = sign_request(priv, "app_X", "GET", "https://city.example/v1/orgs/me?z=1&a=2", None,
                     timestamp=1767225600, nonce="abcdefghijklmnop")
    assert h[APP_ID] == "app_X" and h[TIMESTAMP] == "1767225600" and h[NONCE] == "abcdefghijklmnop"
    message = canonical_string(method="GET", decoded_path="/v1/orgs/me", query="a=2&z=1", timestamp="1767225600",
                               nonce="abcdefghijklmnop", body=b"")
    assert verify(pub, message.encode(), h[SIGNATURE])
    assert len(base64.b64decode(h[SIGNATURE])) == 64  # Ed25519


@pytest.fixture
def merchant(session):
    org = make_org(session, kind="merchant", name="福田便利店")
    app_id, priv = make_api_key(session, org, scopes=["cashier"])
    session.commit()
    return org, app_id, priv


def _get_me(client, app_id, priv, url="/v1/orgs/me", **kw):
    headers = sign_request(priv, app_id, "GET", url, b"", **kw)
    return client.get(url, headers=headers)


@pytest.mark.parametrize("algorithm", ["ed25519", "rsa"])
def test_signed_request_is_the_org(client, session, algorithm):
    org = make_org(session, kind="hospital")
    app_id, priv = make_api_key(session, org, algorithm=algorithm)
    session.commit()
    r = _get_me(client, app_id, priv, url="/v1/orgs/me?x=1&lang=en")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["org"]["id"] == org.public_id and body["org"]["kind"] == "hospital"
    assert body["caller"] == {"kind": "org", "id": org.public_id, "app_id": app_id,
                              "roles": ["cashier", "developer", "finance", "operator", "reviewer"]}


def test_signed_post_with_body(client, merchant):
    """A signed POST: the body hash is part of the signature (a changed body fails)."""
    org, app_id, priv = merchant
    body = b'{"label":"x"}'
    headers = sign_request(priv, app_id, "POST", f"/v1/orgs/{org.public_id}/keys", body)
    r = client.post(f"/v1/orgs/{org.public_id}/keys", content=b'{"label":"y"}',
                    headers={**headers, "content-type": "application/json"})
    assert r.status_code == 401 and r.json()["code"] == "signature_invalid"
    headers = sign_request(priv, app_id, "POST", f"/v1/orgs/{org.public_id}/keys", body)
    r = client.post(f"/v1/orgs/{org.public_id}/keys", content=body,
                    headers={**headers, "content-type": "application/json"})
    # Verified, but an org key may not manage keys: only people in the console do.
    assert r.status_code == 403


def _code(r):
    assert r.status_code == 401, r.text
    return r.json()["code"]


def test_missing_headers(client, merchant):
    _, app_id, priv = merchant
    headers = sign_request(priv, app_id, "GET", "/v1/orgs/me", b"")
    del headers[NONCE]
    assert _code(client.get("/v1/orgs/me", headers=headers)) == "signature_missing"


@pytest.mark.parametrize(("header", "value"), [
    (TIMESTAMP, "1767225600.5"), (TIMESTAMP, "-5"), (TIMESTAMP, "soon"),
    (NONCE, "short"), (NONCE, "x" * 65), (NONCE, "has space in it!!"),
])
def test_malformed_headers(client, merchant, header, value):
    _, app_id, priv = merchant
    headers = sign_request(priv, app_id, "GET", "/v1/orgs/me", b"")
    headers[header] = value
    assert _code(client.get("/v1/orgs/me", headers=headers)) == "signature_malformed"


def test_unknown_app_id(client, merchant):
    _, _, priv = merchant
    assert _code(_get_me(client, "app_01UNKNOWN", priv)) == "app_id_unknown"


def test_bad_signature_wrong_key(client, merchant):
    _, app_id, _ = merchant
    other, _ = generate_ed25519()
    assert _code(_get_me(client, app_id, other)) == "signature_invalid"


def test_signature_over_another_path_fails(client, merchant):
    _, app_id, priv = merchant
    headers = sign_request(priv, app_id, "GET", "/v1/orgs/me?a=1", b"")
    assert _code(client.get("/v1/orgs/me?a=2", headers=headers)) == "signature_invalid"


def test_garbage_signature(client, merchant):
    _, app_id, priv = merchant
    headers = sign_request(priv, app_id, "GET", "/v1/orgs/me", b"")
    headers[SIGNATURE] = "!!not base64!!"
    assert _code(client.get("/v1/orgs/me", headers=headers)) == "signature_invalid"


def test_replayed_request_is_refused(client, merchant):
    _, app_id, priv = merchant
    headers = sign_request(priv, app_id, "GET", "/v1/orgs/me", b"")
    assert client.get("/v1/orgs/me", headers=headers).status_code == 200
    assert _code(client.get("/v1/orgs/me", headers=headers)) == "nonce_reused"


def test_same_nonce_other_app_is_fine(client, session, merchant):
    org, app_id, priv = merchant
    app2, priv2 = make_api_key(session, org)
    session.commit()
    nonce = "shared-nonce-0001"
    assert _get_me(client, app_id, priv, nonce=nonce).status_code == 200
    assert _get_me(client, app2, priv2, nonce=nonce).status_code == 200


def test_stale_and_future_timestamps(client, merchant):
    _, app_id, priv = merchant
    clock.freeze(T0)
    now = int(T0.timestamp())
    assert _code(_get_me(client, app_id, priv, timestamp=now - 301)) == "signature_timestamp_skew"
    assert _code(_get_me(client, app_id, priv, timestamp=now + 301)) == "signature_timestamp_skew"
    assert _get_me(client, app_id, priv, timestamp=now - 300).status_code == 200
    assert _get_me(client, app_id, priv, timestamp=now + 300).status_code == 200


def test_a_signed_request_goes_stale(client, merchant):
    _, app_id, priv = merchant
    clock.freeze(T0)
    headers = sign_request(priv, app_id, "GET", "/v1/orgs/me", b"", nonce="held-back-nonce-1")
    clock.advance(timedelta(seconds=301))
    assert _code(client.get("/v1/orgs/me", headers=headers)) == "signature_timestamp_skew"


def test_revoked_key_refused_other_key_still_works(client, session, merchant):
    org, app_id, priv = merchant
    app2, priv2 = make_api_key(session, org)
    service.revoke_api_key(session, org_id=org.public_id, app_id=app_id, actor="test")
    session.commit()
    assert _code(_get_me(client, app_id, priv)) == "api_key_revoked"
    assert _get_me(client, app2, priv2).status_code == 200


def test_suspended_org_refused(client, session, merchant):
    org, app_id, priv = merchant
    service.set_org_status(session, org_id=org.public_id, status="suspended", actor="test", reason="test")
    session.commit()
    assert _code(_get_me(client, app_id, priv)) == "org_suspended"


def test_refused_request_does_not_burn_the_nonce(client, merchant):
    """A bad signature must not let an attacker use up a legitimate client's nonce."""
    _, app_id, priv = merchant
    other, _ = generate_ed25519()
    assert _code(_get_me(client, app_id, other, nonce="nonce-0000000001")) == "signature_invalid"
    assert _get_me(client, app_id, priv, nonce="nonce-0000000001").status_code == 200


def test_nonces_are_purged_after_twice_the_window(client, merchant):
    _, app_id, priv = merchant
    clock.freeze(T0)
    assert _get_me(client, app_id, priv, nonce="old-nonce-0000001").status_code == 200
    clock.advance(timedelta(seconds=400))
    assert _get_me(client, app_id, priv, nonce="new-nonce-0000001").status_code == 200
    clock.advance(timedelta(seconds=261))  # the first is now 661 s old (> 2 × 300 + 60), the second 261 s
    with transaction() as s:
        assert service.purge_used_nonces(s) == 1
        assert s.scalars(select(ApiNonce.nonce)).all() == ["new-nonce-0000001"]


def test_rsa_keys_below_2048_bits_are_refused(session):
    org = make_org(session)
    _, pub = rsa_key_pair(1024)
    with pytest.raises(service.PublicKeyInvalid):
        service.register_api_key(session, org_id=org.public_id, public_key_pem=pub, label="weak", actor="test")


def test_concurrent_replays_one_wins(merchant):
    """Eight threads present the same signed request at once: exactly one is accepted."""
    _, app_id, priv = merchant
    headers = sign_request(priv, app_id, "GET", "/v1/orgs/me", b"", nonce="racing-nonce-00001")
    barrier = threading.Barrier(8)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            with transaction() as s:
                service.authenticate_signed_request(s, method="GET", path="/v1/orgs/me", query="",
                                                    headers=headers, body=b"")
            result = "ok"
        except service.NonceReused:
            result = "nonce_reused"
        except Exception as exc:  # noqa: BLE001
            result = f"{type(exc).__name__}: {exc}"
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["nonce_reused"] * 7 + ["ok"]
    with session_factory()() as s:
        assert s.scalar(select(func.count()).select_from(ApiNonce)) == 1
