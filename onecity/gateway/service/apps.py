"""Gateway apps: registration by a merchant, listing, disabling and re-enabling, replacing the key.

Rules kept here:
- Only an active merchant organisation registers apps; an app belongs to exactly one merchant and
  every change names that merchant (staff of one merchant never reach another's apps).
- The app id is 16 digits, the year of registration then 12 random digits (Alipay's APPIDs look
  like `2021000122671234`); unique, re-drawn on a collision.
- The key must be RSA ≥ 2048 bits (PEM or Alipay's bare base64); it is stored as SPKI PEM with its
  SHA-256 fingerprint. Replacing it takes effect at once: the old key's signatures stop verifying.
- Registering, disabling, enabling and replacing a key are audited actions.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.crypto import rsa2
from onecity.crypto.signing import BadKey
from onecity.errors import Conflict, InvalidInput, NotFound
from onecity.gateway.models import GatewayApp
from onecity.gateway.schemas import GatewayAppOut
from onecity.identity.orgs import service as orgs

TOUCH_EVERY = timedelta(minutes=1)
MAX_KEY_TEXT = 10_000


# --- errors ---------------------------------------------------------------------------------------

class GatewayAppNotFound(NotFound):
    code = "gateway_app_not_found"
    message_zh = "找不到该应用"
    message_en = "No such gateway app"


class GatewayNotAMerchant(Conflict):
    code = "gateway_not_a_merchant"
    message_zh = "只有正常营业的商户可以登记开放平台应用"
    message_en = "Only an active merchant may register gateway apps"


class GatewayKeyInvalid(InvalidInput):
    code = "gateway_key_invalid"
    message_zh = "应用公钥无效（需为 2048 位及以上的 RSA 公钥，PEM 或 Base64 格式）"
    message_en = "The app public key is not valid (an RSA key of at least 2048 bits, PEM or base64)"


class GatewayAppNameInvalid(InvalidInput):
    code = "gateway_app_name_invalid"
    message_zh = "应用名称须为 1 至 100 个字符"
    message_en = "The app name must be 1 to 100 characters"


class GatewayNotifyUrlInvalid(InvalidInput):
    code = "gateway_notify_url_invalid"
    message_zh = "通知地址必须是 http(s) 地址"
    message_en = "The notify URL must be an http(s) URL"


class GatewayAppStatusInvalid(InvalidInput):
    code = "gateway_app_status_invalid"
    message_zh = "应用状态只能是启用或停用"
    message_en = "The app status must be active or disabled"


# --- helpers --------------------------------------------------------------------------------------

def _out(app: GatewayApp) -> GatewayAppOut:
    return GatewayAppOut.model_validate(
        {**{c: getattr(app, c) for c in GatewayAppOut.model_fields if c != "platform_public_key_pem"},
         "platform_public_key_pem": rsa2.platform_public_pem()})


def _merchant(session: Session, merchant_id: str) -> orgs.Org:
    try:
        org = orgs.get_org(session, merchant_id)
    except orgs.OrgNotFound as exc:
        raise GatewayNotAMerchant() from exc
    if org.kind != "merchant" or org.status != "active":
        raise GatewayNotAMerchant()
    return org


def _key(text: str) -> tuple[str, str]:
    """(SPKI PEM, fingerprint) of an acceptable RSA public key."""
    if not text or len(text) > MAX_KEY_TEXT:
        raise GatewayKeyInvalid()
    try:
        key = rsa2.load_public_key(text)
    except BadKey as exc:
        raise GatewayKeyInvalid(detail=str(exc)) from exc
    der = key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return rsa2.public_pem(key), hashlib.sha256(der).hexdigest()


def check_notify_url(url: str | None) -> str | None:
    """An http(s) URL with a host, or None for an empty value."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname or len(url) > 1000:
        raise GatewayNotifyUrlInvalid()
    return url


def _actor_id(actor: Principal | str) -> str:
    return ((actor.id or actor.kind) if isinstance(actor, Principal) else actor)[:40]


def new_app_id() -> str:
    """`YYYY` + 12 random digits: 16 digits, like Alipay's APPID."""
    return f"{clock.today_local().year:04d}{secrets.randbelow(10**12):012d}"


def _app_of(session: Session, merchant_id: str, app_id: str) -> GatewayApp:
    app = session.scalars(select(GatewayApp).where(GatewayApp.app_id == app_id)).one_or_none()
    if app is None or app.merchant_id != merchant_id:
        raise GatewayAppNotFound()
    return app


# --- apps -----------------------------------------------------------------------------------------

def register_app(session: Session, *, merchant_id: str, name: str, rsa_public_pem: str,
                 notify_url: str | None, actor: Principal | str = "system") -> GatewayAppOut:
    """A new active app for the merchant with the given RSA public key."""
    org = _merchant(session, merchant_id)
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise GatewayAppNameInvalid()
    pem, fingerprint = _key(rsa_public_pem)
    url = check_notify_url(notify_url)
    now = clock.now()
    for _attempt in range(5):
        app = GatewayApp(app_id=new_app_id(), merchant_id=org.public_id, name=name, public_key_pem=pem,
                         key_fingerprint=fingerprint, notify_url=url, status="active", created_at=now,
                         created_by=_actor_id(actor), key_updated_at=now)
        try:
            with session.begin_nested():
                session.add(app)
                session.flush()
        except IntegrityError:  # the app id was drawn twice: draw again
            continue
        break
    else:  # pragma: no cover - 5 collisions among 10^12 values
        raise RuntimeError("could not draw a free app id")
    audit.record(session, actor=actor, action="gateway_app.register", subject_citizen_id=None,
                 resource=f"gateway_app/{app.app_id}", on_behalf_of=org.public_id,
                 reason=f"登记开放平台应用 register gateway app “{name}”, key {fingerprint[:16]}")
    return _out(app)


def list_apps(session: Session, *, merchant_id: str) -> list[GatewayAppOut]:
    rows = session.scalars(select(GatewayApp).where(GatewayApp.merchant_id == merchant_id)
                           .order_by(GatewayApp.id.desc()))
    return [_out(a) for a in rows]


def get_app(session: Session, *, merchant_id: str, app_id: str) -> GatewayAppOut:
    return _out(_app_of(session, merchant_id, app_id))


def set_app_status(session: Session, *, merchant_id: str, app_id: str, status: str,
                   actor: Principal | str) -> GatewayAppOut:
    """Disable (requests refused) or re-enable an app. Idempotent."""
    if status not in ("active", "disabled"):
        raise GatewayAppStatusInvalid()
    app = _app_of(session, merchant_id, app_id)
    if app.status != status:
        app.status = status
        app.status_changed_at = clock.now()
        audit.record(session, actor=actor, action=f"gateway_app.{'enable' if status == 'active' else 'disable'}",
                     subject_citizen_id=None, resource=f"gateway_app/{app.app_id}", on_behalf_of=merchant_id,
                     reason="启用应用 enable app" if status == "active" else "停用应用 disable app")
    return _out(app)


def replace_app_key(session: Session, *, merchant_id: str, app_id: str, rsa_public_pem: str,
                    actor: Principal | str) -> GatewayAppOut:
    """Swap the app's public key; requests signed with the old key fail from now on."""
    app = _app_of(session, merchant_id, app_id)
    pem, fingerprint = _key(rsa_public_pem)
    if fingerprint != app.key_fingerprint:
        old = app.key_fingerprint
        app.public_key_pem, app.key_fingerprint, app.key_updated_at = pem, fingerprint, clock.now()
        audit.record(session, actor=actor, action="gateway_app.replace_key", subject_citizen_id=None,
                     resource=f"gateway_app/{app.app_id}", on_behalf_of=merchant_id,
                     reason=f"更换应用公钥 replace app key {old[:16]} -> {fingerprint[:16]}")
    return _out(app)


def app_for_request(session: Session, app_id: str) -> GatewayApp | None:
    """The app a gateway request names (None when unknown); the protocol layer checks its status."""
    if not app_id.isdigit() or len(app_id) != 16:
        return None
    return session.scalars(select(GatewayApp).where(GatewayApp.app_id == app_id)).one_or_none()


def touch(app: GatewayApp) -> None:
    now = clock.now()
    if app.last_used_at is None or now - clock.aware(app.last_used_at) >= TOUCH_EVERY:
        app.last_used_at = now
