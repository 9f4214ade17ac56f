"""API keys: an organisation's registered public keys (app ids with scopes), their revocation, and
authenticating a signed request (see `signatures`) as the organisation's `Principal`.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from collections.abc import Mapping
from datetime import timedelta

from cryptography.hazmat.primitives import serialization
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.crypto import signing
from onecity.db import is_postgres
from onecity.errors import Conflict, InvalidInput, NotFound, Unauthenticated
from onecity.identity.orgs import signatures
from onecity.identity.orgs.models import ApiKey, ApiNonce, Org
from onecity.identity.orgs.service.organisations import OrgSuspended, _check_roles, get_org, key_scopes_for
from onecity.ids import new_id

TOUCH_EVERY = timedelta(minutes=1)
# One signed request in this many also purges expired nonces (the worker can call it too).
PURGE_ONE_IN = 200


# --- errors ---------------------------------------------------------------------------------------

class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    message_zh = "找不到该应用密钥"
    message_en = "No such API key"


class PublicKeyInvalid(InvalidInput):
    code = "public_key_invalid"
    message_zh = "公钥无效：须为 PEM 格式的 Ed25519 公钥或至少 2048 位的 RSA 公钥"
    message_en = "The public key must be a PEM Ed25519 key or an RSA key of at least 2048 bits"


class PublicKeyTaken(Conflict):
    code = "public_key_taken"
    message_zh = "该公钥已登记"
    message_en = "This public key is already registered"


class SignatureMissing(Unauthenticated):
    code = "signature_missing"
    message_zh = "缺少签名请求头"
    message_en = "Signature headers are missing"


class SignatureMalformed(Unauthenticated):
    code = "signature_malformed"
    message_zh = "签名请求头格式错误"
    message_en = "A signature header is malformed"


class AppIdUnknown(Unauthenticated):
    code = "app_id_unknown"
    message_zh = "应用 ID 不存在"
    message_en = "Unknown app id"


class ApiKeyRevoked(Unauthenticated):
    code = "api_key_revoked"
    message_zh = "该应用密钥已吊销"
    message_en = "This API key has been revoked"


class SignatureTimestampSkew(Unauthenticated):
    code = "signature_timestamp_skew"
    message_zh = "请求时间戳超出允许范围"
    message_en = "The request timestamp is outside the allowed window"


class SignatureInvalid(Unauthenticated):
    code = "signature_invalid"
    message_zh = "签名验证失败"
    message_en = "The signature does not verify"


class NonceReused(Unauthenticated):
    code = "nonce_reused"
    message_zh = "该随机串已使用（疑似重放请求）"
    message_en = "This nonce was already used (a replayed request?)"


# --- API keys -------------------------------------------------------------------------------------

def _fingerprint(public_pem: str) -> tuple[str, str, str]:
    """(algorithm, fingerprint, normalised PEM) of an acceptable public key, or `PublicKeyInvalid`."""
    if len(public_pem) > 10_000:
        raise PublicKeyInvalid(detail="the PEM is too long")
    try:
        key = signing.load_public_key(public_pem.strip() + "\n")
    except signing.BadKey as exc:
        raise PublicKeyInvalid(detail=str(exc)) from exc
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    pem = key.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return signing.key_algorithm(key), hashlib.sha256(der).hexdigest(), pem


def register_api_key(
    session: Session,
    *,
    org_id: str,
    public_key_pem: str,
    label: str,
    actor: Principal | str,
    scopes: list[str] | None = None,
) -> ApiKey:
    """A new app id for the organisation's public key. Scopes default to every role of the org's kind
    a key may hold (all but owner and admin). An org may hold several keys at once (rotation)."""
    org = get_org(session, org_id)
    algorithm, fingerprint, pem = _fingerprint(public_key_pem)
    allowed = key_scopes_for(org.kind)
    chosen = _check_roles(org.kind, scopes if scopes is not None else allowed, allowed)
    label = label.strip()[:100] or "API key"
    if session.scalar(select(ApiKey.id).where(ApiKey.fingerprint == fingerprint)) is not None:
        raise PublicKeyTaken()
    key = ApiKey(app_id=new_id("app"), org_id=org.id, label=label, algorithm=algorithm, public_key_pem=pem,
                 fingerprint=fingerprint, scopes=chosen, status="active", created_at=clock.now(),
                 created_by=((actor.id or actor.kind) if isinstance(actor, Principal) else actor)[:40])
    session.add(key)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise PublicKeyTaken() from exc
    audit.record(session, actor=actor, action="api_key.register", subject_citizen_id=None,
                 resource=f"api_key/{key.app_id}", reason=f"登记公钥 register {algorithm} key, scopes "
                 + ",".join(chosen), on_behalf_of=org.public_id)
    return key


def list_api_keys(session: Session, *, org_id: str) -> list[ApiKey]:
    org = get_org(session, org_id)
    return list(session.scalars(select(ApiKey).where(ApiKey.org_id == org.id).order_by(ApiKey.id.desc())))


def revoke_api_key(session: Session, *, org_id: str, app_id: str, actor: Principal | str) -> ApiKey:
    """Revoke a key for good (requests signed with it fail with `api_key_revoked`). Idempotent."""
    org = get_org(session, org_id)
    key = session.scalars(select(ApiKey).where(ApiKey.app_id == app_id)).one_or_none()
    if key is None or key.org_id != org.id:
        raise ApiKeyNotFound()
    if key.status != "revoked":
        key.status = "revoked"
        key.revoked_at = clock.now()
        audit.record(session, actor=actor, action="api_key.revoke", subject_citizen_id=None,
                     resource=f"api_key/{key.app_id}", reason="吊销公钥 revoke key", on_behalf_of=org.public_id)
    return key


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def authenticate_signed_request(
    session: Session,
    *,
    method: str,
    path: str,
    query: str,
    headers: Mapping[str, str],
    body: bytes,
) -> Principal:
    """The organisation behind a signed request (see `signatures` for the protocol), or an
    `Unauthenticated` error with its own code. A valid request's nonce is stored in the caller's
    transaction, so the caller must commit (the `allow` dependency does)."""
    values = {h: _header(headers, h) for h in signatures.HEADERS}
    missing = [h for h, v in values.items() if not v]
    if missing:
        raise SignatureMissing(detail="missing " + ", ".join(missing))
    app_id = str(values[signatures.APP_ID])
    ts = str(values[signatures.TIMESTAMP])
    nonce = str(values[signatures.NONCE])
    sig = str(values[signatures.SIGNATURE])
    if not signatures.TIMESTAMP_RE.match(ts):
        raise SignatureMalformed(detail="X-OneCity-Timestamp must be unix seconds")
    if not signatures.NONCE_RE.match(nonce):
        raise SignatureMalformed(detail="X-OneCity-Nonce must be 16-64 characters of A-Z a-z 0-9 . _ ~ -")
    if len(app_id) > 40:
        raise AppIdUnknown()
    found = session.execute(
        select(ApiKey, Org).join(Org, Org.id == ApiKey.org_id).where(ApiKey.app_id == app_id)
    ).one_or_none()
    if found is None:
        raise AppIdUnknown()
    key, org = found
    if key.status != "active":
        raise ApiKeyRevoked()
    now = clock.now()
    skew = get_settings().signature_max_skew_seconds
    if abs(now.timestamp() - int(ts)) > skew:
        raise SignatureTimestampSkew(detail=f"allowed skew is {skew} s; server time is {int(now.timestamp())}")
    message = signatures.canonical_string(method=method, decoded_path=path, query=query, timestamp=ts,
                                          nonce=nonce, body=body)
    try:
        good = signing.verify(key.public_key_pem, message.encode(), sig)
    except (ValueError, TypeError):
        good = False
    if not good:
        raise SignatureInvalid()
    if org.status != "active":
        raise OrgSuspended()
    insert = pg_insert if is_postgres(session) else sqlite_insert
    stored = session.execute(
        insert(ApiNonce).values(app_id=app_id, nonce=nonce, used_at=now)
        .on_conflict_do_nothing(index_elements=["app_id", "nonce"]).returning(ApiNonce.nonce)
    ).first()
    if stored is None:
        raise NonceReused()
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        key.last_used_at = now
    if secrets.randbelow(PURGE_ONE_IN) == 0:
        purge_used_nonces(session)
    return Principal(kind="org", id=org.public_id, org_id=org.public_id, roles=frozenset(key.scopes),
                     credential="signature", session_id=key.app_id)


def purge_used_nonces(session: Session) -> int:
    """Forget nonces older than twice the signature window (+1 minute): a request that old is refused
    by its timestamp anyway. Returns the number of rows deleted."""
    cutoff = clock.now() - timedelta(seconds=2 * get_settings().signature_max_skew_seconds + 60)
    result = session.execute(delete(ApiNonce).where(ApiNonce.used_at < cutoff))
    return int(getattr(result, "rowcount", 0) or 0)


def fingerprint_short(key: ApiKey) -> str:
    """The first 16 hex digits of the key fingerprint, grouped for reading aloud (`ab12 cd34 …`)."""
    f = key.fingerprint[:16]
    return " ".join(f[i:i + 4] for i in range(0, 16, 4))


def public_key_fingerprint(public_pem: str) -> str:
    """SHA-256 (base64) of a public key's DER, for integrators to compare with the console."""
    _, hexdigest, _ = _fingerprint(public_pem)
    return base64.b64encode(bytes.fromhex(hexdigest)).decode()
