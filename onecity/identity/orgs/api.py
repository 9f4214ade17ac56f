"""Organisation routes: onboarding (admins), staff and API keys (the org's owners and admins),
`/v1/orgs/me` (to test request signing) and the console sign-in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.orm import Session

from onecity.authz import PUBLIC, Principal, allow
from onecity.deps import DbSession
from onecity.identity import sessions
from onecity.identity.orgs import service
from onecity.identity.orgs.models import ApiKey, Org, Staff
from onecity.identity.orgs.schemas import (
    ApiKeyCreate,
    ApiKeyOut,
    CallerOut,
    ConsoleLogin,
    ConsoleLoginResult,
    OrgCreate,
    OrgCreated,
    OrgKind,
    OrgMe,
    OrgOut,
    OrgPage,
    RolesChange,
    StaffCreate,
    StaffOut,
    StaffStatusChange,
    StatusChange,
)

router = APIRouter(tags=["organisations"])

ADMIN = allow("admin")
MANAGERS = allow("admin", "staff", roles=service.MANAGER_ROLES)
KEY_MANAGERS = allow("admin", "staff", roles=service.KEY_MANAGER_ROLES)


def staff_out(db: Session, s: Staff) -> StaffOut:
    return StaffOut.of(s, org_id=service.staff_org(db, s).public_id, display_name=service.display_name(s))


def key_out(org: Org, k: ApiKey) -> ApiKeyOut:
    return ApiKeyOut.of(k, org_id=org.public_id)


# --- console sign-in ------------------------------------------------------------------------------

@router.post("/v1/console/login", response_model=ConsoleLoginResult)
def console_login(body: ConsoleLogin, request: Request, db: DbSession,
                  principal: Principal = Depends(PUBLIC)) -> ConsoleLoginResult:
    """Sign in as staff with username and password; returns a bearer token for the API."""
    try:
        staff = service.authenticate_staff(db, username=body.username, password=body.password)
    except (service.LoginFailed, service.LoginLocked):
        db.commit()  # the failed-attempt counter must survive the error
        raise
    kind = service.session_kind(db, staff)
    token, row = sessions.create_session(db, kind=kind, subject_id=staff.public_id,  # type: ignore[arg-type]
                                         credential="bearer", label=body.label or "console API",
                                         user_agent=request.headers.get("user-agent"))
    return ConsoleLoginResult(token=token, expires_at=row.expires_at, principal_kind=kind,  # type: ignore[arg-type]
                              staff=staff_out(db, staff), org=OrgOut.of(service.staff_org(db, staff)))


# --- organisations --------------------------------------------------------------------------------

@router.get("/v1/orgs/me", response_model=OrgMe)
def my_org(db: DbSession, principal: Principal = Depends(allow("org", "staff", "admin"))) -> OrgMe:
    """The caller's organisation. A signed request that reaches here was verified."""
    assert principal.org_id is not None
    org = service.get_org(db, principal.org_id)
    return OrgMe(org=OrgOut.of(org), caller=CallerOut(
        kind=principal.kind, id=principal.id, roles=sorted(principal.roles),
        app_id=principal.session_id if principal.kind == "org" else None))


@router.get("/v1/orgs", response_model=OrgPage)
def list_orgs(
    db: DbSession,
    principal: Principal = Depends(ADMIN),
    kind: OrgKind | None = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> OrgPage:
    rows, cursor = service.list_orgs(db, kind=kind, after=after, limit=limit)
    return OrgPage(items=[OrgOut.of(o) for o in rows], next_cursor=cursor)


@router.post("/v1/orgs", status_code=201, response_model=OrgCreated)
def create_org(body: OrgCreate, db: DbSession, principal: Principal = Depends(ADMIN)) -> OrgCreated:
    """Onboard an organisation with its first staff member (the owner)."""
    org, owner = service.create_org_with_owner(
        db, kind=body.kind, name_zh=body.name_zh, name_en=body.name_en, uscc_code=body.uscc,
        owner_username=body.owner.username, owner_display_name=body.owner.display_name,
        owner_password=body.owner.password, actor=principal)
    return OrgCreated(org=OrgOut.of(org), owner=staff_out(db, owner))


@router.get("/v1/orgs/{org_id}", response_model=OrgOut)
def get_org(org_id: str, db: DbSession, principal: Principal = Depends(allow("admin", "staff"))) -> OrgOut:
    return OrgOut.of(service.org_in_reach(db, principal, org_id))


@router.post("/v1/orgs/{org_id}/status", response_model=OrgOut)
def set_org_status(org_id: str, body: StatusChange, db: DbSession, principal: Principal = Depends(ADMIN)) -> OrgOut:
    """Suspend (its staff and keys stop working) or reactivate an organisation."""
    return OrgOut.of(service.set_org_status(db, org_id=org_id, status=body.status, actor=principal,
                                            reason=body.reason))


# --- staff ----------------------------------------------------------------------------------------

@router.get("/v1/orgs/{org_id}/staff", response_model=list[StaffOut])
def list_staff(org_id: str, db: DbSession, principal: Principal = Depends(MANAGERS)) -> list[StaffOut]:
    org = service.org_in_reach(db, principal, org_id)
    return [StaffOut.of(s, org_id=org.public_id, display_name=service.display_name(s))
            for s in service.list_staff(db, org_id=org.public_id)]


@router.post("/v1/orgs/{org_id}/staff", status_code=201, response_model=StaffOut)
def add_staff(org_id: str, body: StaffCreate, db: DbSession, principal: Principal = Depends(MANAGERS)) -> StaffOut:
    org = service.org_in_reach(db, principal, org_id)
    s = service.add_staff(db, org_id=org.public_id, username=body.username, display_name=body.display_name,
                          password=body.password, roles=body.roles, actor=principal)
    return staff_out(db, s)


@router.put("/v1/orgs/{org_id}/staff/{staff_id}/roles", response_model=StaffOut)
def set_roles(org_id: str, staff_id: str, body: RolesChange, db: DbSession,
              principal: Principal = Depends(MANAGERS)) -> StaffOut:
    org = service.org_in_reach(db, principal, org_id)
    return staff_out(db, service.set_staff_roles(db, org_id=org.public_id, staff_id=staff_id, roles=body.roles,
                                                 actor=principal))


@router.post("/v1/orgs/{org_id}/staff/{staff_id}/status", response_model=StaffOut)
def set_staff_status(org_id: str, staff_id: str, body: StaffStatusChange, db: DbSession,
                     principal: Principal = Depends(MANAGERS)) -> StaffOut:
    org = service.org_in_reach(db, principal, org_id)
    return staff_out(db, service.set_staff_status(db, org_id=org.public_id, staff_id=staff_id, status=body.status,
                                                  actor=principal))


# --- API keys -------------------------------------------------------------------------------------

@router.get("/v1/orgs/{org_id}/keys", response_model=list[ApiKeyOut])
def list_keys(org_id: str, db: DbSession, principal: Principal = Depends(KEY_MANAGERS)) -> list[ApiKeyOut]:
    org = service.org_in_reach(db, principal, org_id)
    return [key_out(org, k) for k in service.list_api_keys(db, org_id=org.public_id)]


@router.post("/v1/orgs/{org_id}/keys", status_code=201, response_model=ApiKeyOut)
def register_key(org_id: str, body: ApiKeyCreate, response: Response, db: DbSession,
                 principal: Principal = Depends(KEY_MANAGERS)) -> ApiKeyOut:
    """Register a public key; the new app id signs requests (see the signing protocol in the docs)."""
    org = service.org_in_reach(db, principal, org_id)
    k = service.register_api_key(db, org_id=org.public_id, public_key_pem=body.public_key_pem, label=body.label,
                                 scopes=body.scopes, actor=principal)
    response.headers["Location"] = f"/v1/orgs/{org.public_id}/keys/{k.app_id}"
    return key_out(org, k)


@router.post("/v1/orgs/{org_id}/keys/{app_id}/revoke", response_model=ApiKeyOut)
def revoke_key(org_id: str, app_id: str, db: DbSession, principal: Principal = Depends(KEY_MANAGERS)) -> ApiKeyOut:
    org = service.org_in_reach(db, principal, org_id)
    return key_out(org, service.revoke_api_key(db, org_id=org.public_id, app_id=app_id, actor=principal))
