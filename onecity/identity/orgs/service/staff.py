"""Staff: console accounts of an organisation, their roles and status, and console sign-in (Argon2id
passwords, locked for a while after five wrong ones) turning into a staff or admin `Principal`.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from functools import lru_cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.crypto import fields
from onecity.errors import Conflict, InvalidInput, NotFound, RateLimited, Unauthenticated
from onecity.identity.orgs.models import Org, Staff
from onecity.identity.orgs.service.organisations import (
    ROLES_BY_KIND,
    OrgSuspended,
    _check_owner_grant,
    _check_roles,
    create_org,
    get_org,
)
from onecity.ids import new_id

MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD = 10

_hasher = PasswordHasher()


# --- errors ---------------------------------------------------------------------------------------

class StaffNotFound(NotFound):
    code = "staff_not_found"
    message_zh = "找不到该员工"
    message_en = "No such staff member"


class LastOwner(Conflict):
    code = "last_owner"
    message_zh = "机构至少需要一位有效的所有者"
    message_en = "The organisation must keep at least one active owner"


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


# --- onboarding -----------------------------------------------------------------------------------

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
