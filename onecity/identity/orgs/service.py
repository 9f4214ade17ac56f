"""The organisations service: organisations, their staff (console accounts with roles), their API
keys, and turning a staff session or a signed request into a `Principal`.

Other modules call these functions (never the tables): `staff_principal`, `authenticate_signed_request`,
`get_org`, `org_names`, `city_org`, … The signed-request protocol is described in `signatures`.

Rules kept here:
- An organisation has one kind; its staff roles and its keys' scopes come from `ROLES_BY_KIND`.
  Keys never carry `owner` or `admin`: managing staff and keys is for people in the console.
- The city (kind `city`, at most one) is the platform operator: its staff are principals of kind
  `admin`; everyone else's staff are `staff`.
- A suspended organisation or staff member cannot sign in, and their sessions and keys stop working.
- An organisation always keeps at least one active owner.
- Passwords are hashed with Argon2id; five wrong passwords in a row lock the account for 15 minutes.
- A signed request's principal is kind `org` with `id` and `org_id` the org's public id, `roles` the
  key's scopes, `credential` "signature" and `session_id` the app id of the key that signed it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from collections.abc import Mapping
from datetime import timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from cryptography.hazmat.primitives import serialization
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.crypto import fields, signing
from onecity.errors import Conflict, Forbidden, InvalidInput, NotFound, RateLimited, Unauthenticated
from onecity.identity.orgs import signatures, uscc
from onecity.identity.orgs.models import ApiKey, ApiNonce, Org, Staff
from onecity.ids import new_id

ORG_KINDS = ("city", "merchant", "hospital", "pharmacy", "agency", "biller", "transit", "insurer")
ROLES_BY_KIND: dict[str, tuple[str, ...]] = {
    "city": ("owner", "admin", "operator", "reviewer", "auditor", "finance", "developer"),
    "merchant": ("owner", "admin", "operator", "cashier", "finance", "developer"),
    "hospital": ("owner", "admin", "operator", "cashier", "reviewer", "finance", "developer"),
    "pharmacy": ("owner", "admin", "operator", "cashier", "finance", "developer"),
    "agency": ("owner", "admin", "operator", "reviewer", "developer"),
    "biller": ("owner", "admin", "operator", "finance", "developer"),
    "transit": ("owner", "admin", "operator", "finance", "developer"),
    "insurer": ("owner", "admin", "operator", "reviewer", "finance", "developer"),
}
ALL_ROLES = tuple(sorted({r for roles in ROLES_BY_KIND.values() for r in roles}))
MANAGER_ROLES = frozenset({"owner", "admin"})
KEY_MANAGER_ROLES = frozenset({"owner", "admin", "developer"})
PEOPLE_ONLY_ROLES = frozenset({"owner", "admin"})
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
TOUCH_EVERY = timedelta(minutes=1)
# One signed request in this many also purges expired nonces (the worker can call it too).
PURGE_ONE_IN = 200
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()


# --- errors ---------------------------------------------------------------------------------------

class OrgNotFound(NotFound):
    code = "org_not_found"
    message_zh = "找不到该机构"
    message_en = "No such organisation"


class StaffNotFound(NotFound):
    code = "staff_not_found"
    message_zh = "找不到该员工"
    message_en = "No such staff member"


class ApiKeyNotFound(NotFound):
    code = "api_key_not_found"
    message_zh = "找不到该应用密钥"
    message_en = "No such API key"


class OrgKindInvalid(InvalidInput):
    code = "org_kind_invalid"
    message_zh = "机构类型无效"
    message_en = "Unknown organisation kind"


class UsccInvalid(InvalidInput):
    code = "uscc_invalid"
    message_zh = "统一社会信用代码无效"
    message_en = "The unified social credit code is not valid"


class UsccTaken(Conflict):
    code = "uscc_taken"
    message_zh = "该统一社会信用代码已登记"
    message_en = "An organisation with this unified social credit code already exists"


class CityExists(Conflict):
    code = "city_org_exists"
    message_zh = "城市机构已存在"
    message_en = "The city organisation already exists"


class RolesInvalid(InvalidInput):
    code = "roles_invalid"
    message_zh = "角色无效"
    message_en = "These roles do not exist for this kind of organisation"


class LastOwner(Conflict):
    code = "last_owner"
    message_zh = "机构至少需要一位有效的所有者"
    message_en = "The organisation must keep at least one active owner"


class OwnerRequired(Forbidden):
    code = "owner_required"
    message_zh = "只有所有者可以授予或收回所有者角色"
    message_en = "Only an owner may grant or remove the owner role"


class UsernameInvalid(InvalidInput):
    code = "username_invalid"
    message_zh = "用户名须为 3-64 位小写字母、数字或 . _ -"
    message_en = "Usernames are 3-64 lower-case letters, digits or . _ -"


class UsernameTaken(Conflict):
    code = "username_taken"
    message_zh = "用户名已被使用"
    message_en = "This username is taken"


class PasswordTooWeak(InvalidInput):
    code = "password_too_weak"
    message_zh = f"密码至少 {MIN_PASSWORD} 位，且不能与用户名相同"
    message_en = f"Passwords need at least {MIN_PASSWORD} characters and must differ from the username"


class LoginFailed(Unauthenticated):
    code = "login_failed"
    message_zh = "用户名或密码错误"
    message_en = "Wrong username or password"


class LoginLocked(RateLimited):
    code = "login_locked"
    message_zh = "密码错误次数过多，账号已暂时锁定，请 15 分钟后再试"
    message_en = "Too many wrong passwords; the account is locked for 15 minutes"


class StaffSuspended(Unauthenticated):
    code = "staff_suspended"
    message_zh = "该员工账号已停用"
    message_en = "This staff account is suspended"


class OrgSuspended(Unauthenticated):
    code = "org_suspended"
    message_zh = "该机构已停用"
    message_en = "This organisation is suspended"


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


# --- organisations --------------------------------------------------------------------------------

def _check_kind(kind: str) -> None:
    if kind not in ORG_KINDS:
        raise OrgKindInvalid(detail=f"kind must be one of {', '.join(ORG_KINDS)}")


def create_org(
    session: Session,
    *,
    kind: str,
    name_zh: str,
    uscc_code: str,
    actor: Principal | str,
    name_en: str | None = None,
    reason: str = "机构入驻 onboarding",
) -> Org:
    """Register an organisation (active). The USCC must pass the GB 32100 check and be unused."""
    _check_kind(kind)
    code = uscc.normalise(uscc_code)
    if not uscc.is_valid(code):
        raise UsccInvalid()
    name_zh = name_zh.strip()
    if not name_zh or len(name_zh) > 200:
        raise InvalidInput(detail="name_zh must be 1-200 characters")
    if session.scalar(select(Org.id).where(Org.uscc == code)) is not None:
        raise UsccTaken()
    if kind == "city" and session.scalar(select(Org.id).where(Org.kind == "city")) is not None:
        raise CityExists()
    org = Org(public_id=new_id("org"), kind=kind, name_zh=name_zh, name_en=(name_en or "").strip() or None,
              uscc=code, status="active", created_at=clock.now())
    session.add(org)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent registration of the same code
        raise UsccTaken() from exc
    audit.record(session, actor=actor, action="org.create", subject_citizen_id=None,
                 resource=f"org/{org.public_id}", reason=reason, on_behalf_of=org.public_id)
    return org


def create_org_with_owner(
    session: Session,
    *,
    kind: str,
    name_zh: str,
    uscc_code: str,
    owner_username: str,
    owner_display_name: str,
    owner_password: str,
    actor: Principal | str,
    name_en: str | None = None,
) -> tuple[Org, Staff]:
    """An organisation and its first staff member, who holds the `owner` role."""
    org = create_org(session, kind=kind, name_zh=name_zh, uscc_code=uscc_code, actor=actor, name_en=name_en)
    owner = add_staff(session, org_id=org.public_id, username=owner_username, display_name=owner_display_name,
                      password=owner_password, roles=["owner"], actor=actor)
    return org, owner


def get_org(session: Session, org_id: str) -> Org:
    org = session.scalars(select(Org).where(Org.public_id == org_id)).one_or_none()
    if org is None:
        raise OrgNotFound()
    return org


def city_org(session: Session) -> Org | None:
    return session.scalars(select(Org).where(Org.kind == "city")).one_or_none()


def org_names(session: Session, org_ids: set[str] | list[str]) -> dict[str, str]:
    """Chinese names of the given organisations (unknown ids are left out)."""
    ids = {i for i in org_ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(Org.public_id, Org.name_zh).where(Org.public_id.in_(ids))).tuples())


def list_orgs(session: Session, *, kind: str | None = None, after: str | None = None,
              limit: int = 50) -> tuple[list[Org], str | None]:
    """Organisations, newest first, `after` the public id of the last one seen."""
    limit = max(1, min(limit, 200))
    q = select(Org)
    if kind:
        _check_kind(kind)
        q = q.where(Org.kind == kind)
    if after:
        cursor = session.scalar(select(Org.id).where(Org.public_id == after))
        if cursor is None:
            raise audit.CursorInvalid()
        q = q.where(Org.id < cursor)
    rows = list(session.scalars(q.order_by(Org.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (rows[-1].public_id if more and rows else None)


def set_org_status(session: Session, *, org_id: str, status: str, actor: Principal | str, reason: str) -> Org:
    """Suspend or reactivate an organisation: while suspended its staff cannot sign in (nor use their
    sessions) and its API keys are refused. Setting the current status again changes nothing."""
    if status not in ("active", "suspended"):
        raise InvalidInput(detail="status must be active or suspended")
    org = get_org(session, org_id)
    if org.kind == "city" and status == "suspended":
        raise Conflict(detail="the city organisation cannot be suspended")
    if org.status != status:
        org.status = status
        org.status_changed_at = clock.now()
        audit.record(session, actor=actor, action=f"org.{'suspend' if status == 'suspended' else 'activate'}",
                     subject_citizen_id=None, resource=f"org/{org.public_id}", reason=reason,
                     on_behalf_of=org.public_id)
    return org


def org_in_reach(session: Session, principal: Principal, org_id: str) -> Org:
    """The organisation `org_id` if the principal may act on it (an admin: any; staff and org keys:
    their own). Any other looks absent, so ids of other organisations cannot be probed."""
    if principal.kind != "admin" and principal.org_id != org_id:
        raise OrgNotFound()
    return get_org(session, org_id)


def roles_for(kind: str) -> tuple[str, ...]:
    _check_kind(kind)
    return ROLES_BY_KIND[kind]


def key_scopes_for(kind: str) -> tuple[str, ...]:
    return tuple(r for r in roles_for(kind) if r not in PEOPLE_ONLY_ROLES)


def _check_owner_grant(actor: Principal | str, before: list[str], after: list[str]) -> None:
    """Only an owner (or a platform admin, or the system) may change who holds `owner`."""
    if ("owner" in before) == ("owner" in after):
        return
    if isinstance(actor, Principal) and actor.kind in ("staff", "org") and "owner" not in actor.roles:
        raise OwnerRequired()


def _check_roles(kind: str, roles: list[str] | set[str] | tuple[str, ...], allowed: tuple[str, ...]) -> list[str]:
    chosen = sorted(set(roles))
    bad = [r for r in chosen if r not in allowed]
    if not chosen or bad:
        raise RolesInvalid(detail=f"{kind} roles are: {', '.join(allowed)}" + (f"; not {', '.join(bad)}" if bad else ""))
    return chosen


# --- staff ----------------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    return _hasher.hash(secrets.token_urlsafe(16))


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _check_password(username: str, password: str) -> None:
    if len(password) < MIN_PASSWORD or password.lower() == username.lower() or len(set(password)) < 4:
        raise PasswordTooWeak()


def display_name(staff: Staff) -> str:
    return fields.decrypt_str(staff.display_name_enc, purpose="staff.display_name")


def add_staff(
    session: Session,
    *,
    org_id: str,
    username: str,
    display_name: str,
    password: str,
    roles: list[str] | set[str] | tuple[str, ...],
    actor: Principal | str,
) -> Staff:
    """A new console account in the organisation with the given roles (from the org kind's list)."""
    org = get_org(session, org_id)
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise UsernameInvalid()
    name = display_name.strip()
    if not name or len(name) > 100:
        raise InvalidInput(detail="display_name must be 1-100 characters")
    chosen = _check_roles(org.kind, roles, ROLES_BY_KIND[org.kind])
    _check_owner_grant(actor, [], chosen)
    _check_password(username, password)
    if session.scalar(select(Staff.id).where(Staff.username == username)) is not None:
        raise UsernameTaken()
    staff = Staff(public_id=new_id("stf"), org_id=org.id, username=username,
                  display_name_enc=fields.encrypt(name, purpose="staff.display_name"),
                  password_hash=hash_password(password), roles=chosen, status="active", created_at=clock.now(),
                  failed_logins=0)
    session.add(staff)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:
        raise UsernameTaken() from exc
    audit.record(session, actor=actor, action="staff.create", subject_citizen_id=None,
                 resource=f"staff/{staff.public_id}", reason="添加员工 add staff member (roles: " + ",".join(chosen) + ")",
                 on_behalf_of=org.public_id)
    return staff


def get_staff(session: Session, staff_id: str) -> Staff:
    staff = session.scalars(select(Staff).where(Staff.public_id == staff_id)).one_or_none()
    if staff is None:
        raise StaffNotFound()
    return staff


def staff_org(session: Session, staff: Staff) -> Org:
    org = session.get(Org, staff.org_id)
    assert org is not None
    return org


def list_staff(session: Session, *, org_id: str) -> list[Staff]:
    org = get_org(session, org_id)
    return list(session.scalars(select(Staff).where(Staff.org_id == org.id).order_by(Staff.id)))


def _org_staff(session: Session, org_id: str, staff_id: str) -> tuple[Org, Staff]:
    org = get_org(session, org_id)
    staff = get_staff(session, staff_id)
    if staff.org_id != org.id:
        raise StaffNotFound()
    return org, staff


def _other_active_owners(session: Session, org: Org, staff: Staff) -> int:
    rows = session.scalars(select(Staff).where(Staff.org_id == org.id, Staff.status == "active",
                                               Staff.id != staff.id)).all()
    return sum(1 for s in rows if "owner" in s.roles)


def set_staff_roles(session: Session, *, org_id: str, staff_id: str, roles: list[str] | set[str] | tuple[str, ...],
                    actor: Principal | str) -> Staff:
    """Replace a staff member's roles. The last active owner cannot give up `owner`."""
    org, staff = _org_staff(session, org_id, staff_id)
    chosen = _check_roles(org.kind, roles, ROLES_BY_KIND[org.kind])
    _check_owner_grant(actor, staff.roles, chosen)
    if "owner" in staff.roles and "owner" not in chosen and staff.status == "active" \
            and _other_active_owners(session, org, staff) == 0:
        raise LastOwner()
    if chosen != staff.roles:
        before = ",".join(staff.roles)
        staff.roles = chosen
        audit.record(session, actor=actor, action="staff.roles.change", subject_citizen_id=None,
                     resource=f"staff/{staff.public_id}", reason=f"角色变更 roles {before} → {','.join(chosen)}",
                     on_behalf_of=org.public_id)
    return staff


def set_staff_status(session: Session, *, org_id: str, staff_id: str, status: str, actor: Principal | str) -> Staff:
    """Suspend (signing out every session) or reactivate a staff member; never the last active owner."""
    if status not in ("active", "suspended"):
        raise InvalidInput(detail="status must be active or suspended")
    org, staff = _org_staff(session, org_id, staff_id)
    if staff.status == status:
        return staff
    if "owner" in staff.roles:
        _check_owner_grant(actor, ["owner"], [])
    if status == "suspended" and "owner" in staff.roles and _other_active_owners(session, org, staff) == 0:
        raise LastOwner()
    staff.status = status
    if status == "suspended":
        from onecity.identity import sessions

        sessions.revoke_all(session, subject_id=staff.public_id)
    audit.record(session, actor=actor, action=f"staff.{'suspend' if status == 'suspended' else 'activate'}",
                 subject_citizen_id=None, resource=f"staff/{staff.public_id}", reason="员工状态变更 staff status",
                 on_behalf_of=org.public_id)
    return staff


def authenticate_staff(session: Session, *, username: str, password: str) -> Staff:
    """Check a console sign-in. Wrong passwords count towards a lock-out, so the caller must commit
    even when this raises `LoginFailed` or `LoginLocked`. Unknown usernames take as long as known ones."""
    staff = session.scalars(select(Staff).where(Staff.username == username.strip().lower())).one_or_none()
    if staff is None:
        try:
            _hasher.verify(_dummy_hash(), password)
        except (VerificationError, InvalidHashError):
            pass
        raise LoginFailed()
    now = clock.now()
    if staff.locked_until is not None and staff.locked_until > now:
        raise LoginLocked()
    try:
        _hasher.verify(staff.password_hash, password)
    except (VerificationError, InvalidHashError) as exc:
        staff.failed_logins += 1
        if staff.failed_logins >= MAX_FAILED_LOGINS:
            staff.failed_logins = 0
            staff.locked_until = now + LOCKOUT
            session.flush()
            raise LoginLocked() from exc
        session.flush()
        raise LoginFailed() from exc
    staff.failed_logins = 0
    staff.locked_until = None
    if staff.status != "active":
        raise StaffSuspended()
    if staff_org(session, staff).status != "active":
        raise OrgSuspended()
    if _hasher.check_needs_rehash(staff.password_hash):
        staff.password_hash = hash_password(password)
    staff.last_login_at = now
    return staff


def session_kind(session: Session, staff: Staff) -> str:
    """`admin` for the city's staff, `staff` for everyone else's (the kind of their sessions)."""
    return "admin" if staff_org(session, staff).kind == "city" else "staff"


def staff_principal(session: Session, staff_public_id: str, *, credential: Any = "cookie",
                    session_id: str | None = None) -> Principal:
    """The principal of a signed-in staff member: kind `admin` for the city's staff, else `staff`,
    with the org's public id and the staff's roles. Suspended staff or organisations are refused."""
    staff = session.scalars(select(Staff).where(Staff.public_id == staff_public_id)).one_or_none()
    if staff is None:
        raise Unauthenticated(detail="the account behind this session no longer exists")
    if staff.status != "active":
        raise StaffSuspended()
    org = staff_org(session, staff)
    if org.status != "active":
        raise OrgSuspended()
    return Principal(kind="admin" if org.kind == "city" else "staff", id=staff.public_id, org_id=org.public_id,
                     roles=frozenset(staff.roles), credential=credential, session_id=session_id)


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
    key = session.scalars(select(ApiKey).where(ApiKey.app_id == app_id)).one_or_none()
    if key is None:
        raise AppIdUnknown()
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
    org = session.get(Org, key.org_id)
    assert org is not None
    if org.status != "active":
        raise OrgSuspended()
    try:
        with session.begin_nested():
            session.add(ApiNonce(app_id=app_id, nonce=nonce, used_at=now))
            session.flush()
    except IntegrityError as exc:
        raise NonceReused() from exc
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
