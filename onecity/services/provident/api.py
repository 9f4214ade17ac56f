"""Provident fund JSON routes (/v1/services/provident…). Citizens read their account, contributions,
statement and withdrawals, ask what the rules allow and apply to withdraw (after a face check);
employers post a month's contributions by signed request; the fund centre's staff open accounts,
seal and unseal them and post contributions for any employer. POSTs take an `Idempotency-Key`."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from pydantic import BaseModel, ConfigDict, Field

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.services.provident import service
from onecity.services.provident.schemas import (
    USCC,
    AccountIn,
    AccountOut,
    ContributionOut,
    PostingIn,
    PostingOut,
    QuoteOut,
    StatementOut,
    WithdrawalIn,
    WithdrawalOut,
)

router = APIRouter(tags=["services-provident"])

CITIZEN = allow("citizen", verified=True)
EMPLOYER = allow("org")
CENTRE_READ = allow("staff", roles={"owner", "admin", "operator", "reviewer", "developer"})
CENTRE_WRITE = allow("staff", roles={"owner", "admin", "operator"})
AccountNo = Annotated[str, Path(max_length=20)]
WithdrawalId = Annotated[str, Path(max_length=40)]


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


class QuoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: Literal["rent", "purchase", "retirement"]
    amount_fen: int = Field(gt=0, le=10**12)
    registered_lease: bool = False
    price_fen: int | None = Field(default=None, gt=0, le=10**12)
    property_no: str | None = Field(default=None, min_length=4, max_length=60)


class CentrePostingIn(PostingIn):
    employer_uscc: str = Field(pattern=USCC)


class StatusIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["normal", "sealed"]
    reason: str = Field(min_length=1, max_length=500)
    employer_name: str | None = Field(default=None, min_length=1, max_length=200)
    employer_uscc: str | None = Field(default=None, pattern=USCC)


# --- the citizen -------------------------------------------------------------------------------------

@router.get("/v1/services/provident/account", response_model=AccountOut)
def my_account(db: DbSession, p: Principal = Depends(CITIZEN)) -> AccountOut:
    return service.get_account(db, citizen_id=_me(p))


@router.get("/v1/services/provident/contributions", response_model=list[ContributionOut])
def my_contributions(db: DbSession, p: Principal = Depends(CITIZEN),
                     limit: int = Query(120, ge=1, le=600)) -> list[ContributionOut]:
    return service.contributions(db, citizen_id=_me(p), limit=limit)


@router.get("/v1/services/provident/statement", response_model=StatementOut)
def my_statement(db: DbSession, p: Principal = Depends(CITIZEN)) -> StatementOut:
    return service.statement(db, citizen_id=_me(p))


@router.post("/v1/services/provident/withdrawals/quote", response_model=QuoteOut)
def quote(body: QuoteIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> QuoteOut:
    """What the rules would say now; changes nothing."""
    return service.quote(db, citizen_id=_me(p), **body.model_dump())


@router.post("/v1/services/provident/withdrawals", response_model=WithdrawalOut, status_code=201)
def withdraw(body: WithdrawalIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> WithdrawalOut:
    """Apply to withdraw with a face grant for act `provident.withdraw`: refused with the rule's code
    (nothing changes), or paid at once, or waiting for the centre's staff (`status` held)."""
    return service.request_withdrawal(db, citizen_id=_me(p), data=body, actor=p)


@router.get("/v1/services/provident/withdrawals", response_model=list[WithdrawalOut])
def my_withdrawals(db: DbSession, p: Principal = Depends(CITIZEN)) -> list[WithdrawalOut]:
    return service.withdrawals(db, citizen_id=_me(p))


@router.get("/v1/services/provident/withdrawals/{withdrawal_id}", response_model=WithdrawalOut)
def my_withdrawal(withdrawal_id: WithdrawalId, db: DbSession, p: Principal = Depends(CITIZEN)) -> WithdrawalOut:
    return service.get_withdrawal(db, withdrawal_id=withdrawal_id, citizen_id=_me(p))


# --- the employer (signed organisation API) ----------------------------------------------------------

@router.post("/v1/services/provident/org/contributions", response_model=PostingOut)
def employer_posting(body: PostingIn, db: DbSession, p: Principal = Depends(EMPLOYER)) -> PostingOut:
    """The employer's monthly posting for its own employees (once per month; a repeat returns it)."""
    return service.employer_post(db, org_id=_me(p), month=body.month, lines=body.lines, actor=p)


@router.get("/v1/services/provident/org/accounts", response_model=list[AccountOut])
def employer_accounts(db: DbSession, p: Principal = Depends(EMPLOYER)) -> list[AccountOut]:
    return service.employer_accounts(db, org_id=_me(p))


# --- the fund centre ---------------------------------------------------------------------------------

@router.post("/v1/services/provident/centre/accounts", response_model=AccountOut, status_code=201)
def open_account(body: AccountIn, db: DbSession, p: Principal = Depends(CENTRE_WRITE)) -> AccountOut:
    service.require_centre(db, p)
    return service.open_account(db, data=body, actor=p)


@router.get("/v1/services/provident/centre/accounts/{account_no}", response_model=AccountOut)
def centre_account(account_no: AccountNo, db: DbSession, p: Principal = Depends(CENTRE_READ)) -> AccountOut:
    service.require_centre(db, p)
    return service.get_account(db, account_no=account_no)


@router.post("/v1/services/provident/centre/accounts/{account_no}/status", response_model=AccountOut)
def set_status(account_no: AccountNo, body: StatusIn, db: DbSession,
               p: Principal = Depends(CENTRE_WRITE)) -> AccountOut:
    service.require_centre(db, p)
    return service.set_status(db, account_no=account_no, status=body.status, actor=p, reason=body.reason,
                              employer_name=body.employer_name, employer_uscc=body.employer_uscc)


@router.post("/v1/services/provident/centre/contributions", response_model=PostingOut)
def centre_posting(body: CentrePostingIn, db: DbSession, p: Principal = Depends(CENTRE_WRITE)) -> PostingOut:
    service.require_centre(db, p)
    return service.post_contributions(db, employer_uscc=body.employer_uscc, month=body.month, lines=body.lines,
                                      actor=p)


@router.get("/v1/services/provident/centre/withdrawals", response_model=list[WithdrawalOut])
def centre_withdrawals(db: DbSession, p: Principal = Depends(CENTRE_READ),
                       status: Literal["held", "paid", "refused"] | None = None) -> list[WithdrawalOut]:
    service.require_centre(db, p)
    return service.withdrawals(db, status=status)
