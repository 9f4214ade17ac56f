"""The citizen's consents to organisations reading their certificates online, and the history of
every online read and verification of their certificates (citizen session)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from onecity.authz import Principal, allow
from onecity.credentials import service
from onecity.credentials.schemas import AccessOut, ConsentGrant, ConsentOut
from onecity.deps import DbSession

router = APIRouter(tags=["credentials"])
CITIZEN = allow("citizen")


@router.get("/v1/me/credential-consents", response_model=list[ConsentOut])
def consents(db: DbSession, p: Principal = Depends(CITIZEN)) -> list[ConsentOut]:
    assert p.id is not None
    return service.list_consents(db, citizen_id=p.id)


@router.post("/v1/me/credential-consents", status_code=201, response_model=ConsentOut)
def grant(body: ConsentGrant, db: DbSession, p: Principal = Depends(CITIZEN)) -> ConsentOut:
    """Let an organisation read these certificate types for one purpose, for `days` days."""
    assert p.id is not None
    return service.grant_consent(db, citizen_id=p.id, org_id=body.org_id, purpose=body.purpose,
                                 type_ids=body.type_ids, days=body.days, actor=p)


@router.post("/v1/me/credential-consents/{consent_id}/withdraw", response_model=ConsentOut)
def withdraw(consent_id: str, db: DbSession, p: Principal = Depends(CITIZEN)) -> ConsentOut:
    assert p.id is not None
    return service.withdraw_consent(db, citizen_id=p.id, consent_id=consent_id, actor=p)


@router.get("/v1/me/credential-access", response_model=list[AccessOut])
def access(db: DbSession, p: Principal = Depends(CITIZEN),
           before: Annotated[str | None, Query(max_length=40)] = None,
           limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[AccessOut]:
    """Every online read and verification of the citizen's certificates, newest first."""
    assert p.id is not None
    return service.access_history(db, citizen_id=p.id, before=before, limit=limit)
