"""Organisations: their kinds and the roles each kind has, registration (the USCC checked), look-ups,
suspension, and which organisations a principal may act on.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from onecity.identity.orgs import uscc
from onecity.identity.orgs.models import Org
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


# --- errors ---------------------------------------------------------------------------------------

class OrgNotFound(NotFound):
    code = "org_not_found"
    message_zh = "找不到该机构"
    message_en = "No such organisation"


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


class OwnerRequired(Forbidden):
    code = "owner_required"
    message_zh = "只有所有者可以授予或收回所有者角色"
    message_en = "Only an owner may grant or remove the owner role"


class OrgSuspended(Unauthenticated):
    code = "org_suspended"
    message_zh = "该机构已停用"
    message_en = "This organisation is suspended"


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
    return dict(session.execute(select(Org.public_id, Org.name_zh).where(Org.public_id.in_(ids))).all())  # type: ignore[arg-type]


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
