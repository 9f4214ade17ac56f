"""Commercial insurance JSON routes.

Insurers (`/v1/insurer/…`) call with signed organisation requests (their API key's scopes) or a staff
bearer token (their roles); the insurer is always the caller's organisation, and POSTs take an
`Idempotency-Key` (onecity.idempotency). Citizens (`/v1/medinsure/commercial/…`) list their own policies.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.medinsure.commercial import service
from onecity.medinsure.commercial.schemas import (
    ClaimOut,
    DailyTotalOut,
    Page,
    PolicyIssue,
    PolicyOut,
    ProductCreate,
    ProductOut,
    ProductTerms,
)

router = APIRouter(tags=["medinsure-commercial"])

# Staff roles and API key scopes of an insurer organisation (`orgs.ROLES_BY_KIND["insurer"]`).
PRODUCTS = allow("staff", "org", roles={"owner", "admin", "operator", "developer"})
POLICIES = allow("staff", "org", roles={"owner", "admin", "operator", "developer"})
READ = allow("staff", "org", roles={"owner", "admin", "operator", "reviewer", "finance", "developer"})
FINANCE = allow("staff", "org", roles={"owner", "admin", "reviewer", "finance", "developer"})
CITIZEN = allow("citizen", verified=True)


class PolicyCancel(BaseModel):
    reason: str = Field(min_length=1, max_length=500)


def _insurer(p: Principal) -> str:
    assert p.org_id is not None
    return p.org_id


# --- products ------------------------------------------------------------------------------------

@router.post("/v1/insurer/products", status_code=201, response_model=ProductOut)
def define_product(body: ProductCreate, response: Response, db: DbSession,
                   p: Principal = Depends(PRODUCTS)) -> ProductOut:
    """Version 1 of a product. Its terms never change: a revision publishes the next version."""
    out = service.define_product(db, insurer_org_id=_insurer(p), actor=p, **body.model_dump())
    response.headers["Location"] = f"/v1/insurer/products/{out.product_id}"
    return out


@router.get("/v1/insurer/products", response_model=list[ProductOut])
def list_products(db: DbSession, p: Principal = Depends(READ), all_versions: bool = False) -> list[ProductOut]:
    return service.list_products(db, insurer_org_id=_insurer(p), include_superseded=all_versions)


@router.get("/v1/insurer/products/{product_id}", response_model=ProductOut)
def get_product(product_id: str, db: DbSession, p: Principal = Depends(READ)) -> ProductOut:
    return service.get_product(db, product_id=product_id, insurer_org_id=_insurer(p))


@router.post("/v1/insurer/products/{product_id}/revisions", status_code=201, response_model=ProductOut)
def revise_product(product_id: str, body: ProductTerms, db: DbSession, p: Principal = Depends(PRODUCTS)) -> ProductOut:
    """The next version of the product with new terms; policies on earlier versions keep theirs."""
    return service.revise_product(db, insurer_org_id=_insurer(p), product_id=product_id, actor=p,
                                  **body.model_dump())


# --- policies ------------------------------------------------------------------------------------

@router.post("/v1/insurer/policies", status_code=201, response_model=PolicyOut)
def issue_policy(body: PolicyIssue, response: Response, db: DbSession, p: Principal = Depends(POLICIES)) -> PolicyOut:
    """Issue a policy to a citizen; the same policy_no with the same terms returns the same policy."""
    out = service.issue_policy(db, insurer_org_id=_insurer(p), citizen_id=body.citizen_id,
                               product_id=body.product_id, start=body.start, end=body.end,
                               policy_no=body.policy_no, actor=p)
    response.headers["Location"] = f"/v1/insurer/policies/{out.policy_id}"
    return out


@router.get("/v1/insurer/policies", response_model=Page[PolicyOut])
def list_policies(
    db: DbSession,
    p: Principal = Depends(READ),
    citizen_id: Annotated[str | None, Query(max_length=40)] = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[PolicyOut]:
    items, cursor = service.list_policies(db, insurer_org_id=_insurer(p), citizen_id=citizen_id, after=after,
                                          limit=limit)
    return Page[PolicyOut](items=items, next_cursor=cursor)


@router.get("/v1/insurer/policies/{policy_id}", response_model=PolicyOut)
def get_policy(policy_id: str, db: DbSession, p: Principal = Depends(READ)) -> PolicyOut:
    return service.get_policy(db, policy_id=policy_id, insurer_org_id=_insurer(p))


@router.post("/v1/insurer/policies/{policy_id}/cancel", response_model=PolicyOut)
def cancel_policy(policy_id: str, body: PolicyCancel, db: DbSession, p: Principal = Depends(POLICIES)) -> PolicyOut:
    return service.cancel_policy(db, insurer_org_id=_insurer(p), policy_id=policy_id, reason=body.reason, actor=p)


# --- claims --------------------------------------------------------------------------------------

@router.get("/v1/insurer/claims", response_model=Page[ClaimOut])
def list_claims(
    db: DbSession,
    p: Principal = Depends(FINANCE),
    day: date | None = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[ClaimOut]:
    items, cursor = service.list_claims(db, insurer_org_id=_insurer(p), day=day, after=after, limit=limit)
    return Page[ClaimOut](items=items, next_cursor=cursor)


@router.get("/v1/insurer/claims/daily/{day}", response_model=DailyTotalOut)
def daily_total(day: str, db: DbSession, p: Principal = Depends(FINANCE)) -> DailyTotalOut:
    """The insurer's claims of one city day: paid, refunded and the net it owes the city."""
    return service.daily_total(db, insurer_org_id=_insurer(p), day=service.parse_day(day))


# --- citizens ------------------------------------------------------------------------------------

@router.get("/v1/medinsure/commercial/policies", response_model=list[PolicyOut])
def my_policies(db: DbSession, p: Principal = Depends(CITIZEN)) -> list[PolicyOut]:
    """The citizen's own commercial health policies, with this year's deductible used and limit left."""
    assert p.id is not None
    return service.policies_of_citizen(db, citizen_id=p.id)


@router.get("/v1/medinsure/commercial/policies/{policy_id}", response_model=PolicyOut)
def my_policy(policy_id: str, db: DbSession, p: Principal = Depends(CITIZEN)) -> PolicyOut:
    assert p.id is not None
    return service.get_policy(db, policy_id=policy_id, citizen_id=p.id)
