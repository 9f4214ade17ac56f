"""Pay-later JSON routes. Citizens see their standing and debts and pay what is overdue; the city's
administrators allow citizens and watch the credit line. POSTs take an `Idempotency-Key`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.medinsure.paylater import service
from onecity.medinsure.paylater.schemas import AllowIn, CollectionOut, CreditLineOut, DebtOut, StatusOut

router = APIRouter(tags=["medinsure-paylater"])

CITIZEN = allow("citizen", verified=True)
ADMIN = allow("admin")
CitizenId = Annotated[str, Path(max_length=40)]


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


@router.get("/v1/medinsure/paylater", response_model=StatusOut)
def my_status(db: DbSession, p: Principal = Depends(CITIZEN)) -> StatusOut:
    return service.status_of(db, citizen_id=_me(p))


@router.get("/v1/medinsure/paylater/debts", response_model=list[DebtOut])
def my_debts(db: DbSession, p: Principal = Depends(CITIZEN)) -> list[DebtOut]:
    return service.debts_of(db, citizen_id=_me(p))


@router.get("/v1/medinsure/paylater/debts/{debt_id}", response_model=DebtOut)
def my_debt(debt_id: str, db: DbSession, p: Principal = Depends(CITIZEN)) -> DebtOut:
    return service.get_debt(db, debt_id=debt_id, citizen_id=_me(p))


@router.post("/v1/medinsure/paylater/arrears/pay", response_model=CollectionOut)
def pay_arrears(db: DbSession, p: Principal = Depends(CITIZEN)) -> CollectionOut:
    """Pay every overdue debt from the wallet at once; afterwards the citizen is eligible again."""
    return service.pay_arrears(db, citizen_id=_me(p))


@router.get("/v1/admin/medinsure/paylater/citizens/{citizen_id}", response_model=StatusOut)
def citizen_status(citizen_id: CitizenId, db: DbSession, p: Principal = Depends(ADMIN)) -> StatusOut:
    return service.status_of(db, citizen_id=citizen_id)


@router.post("/v1/admin/medinsure/paylater/citizens/{citizen_id}", response_model=StatusOut)
def allow_citizen(citizen_id: CitizenId, body: AllowIn, db: DbSession, p: Principal = Depends(ADMIN)) -> StatusOut:
    """Allow (or stop allowing) a citizen to treat first and pay later."""
    return service.allow(db, citizen_id=citizen_id, allowed=body.allowed, actor=p, reason=body.reason)


@router.get("/v1/admin/medinsure/paylater/credit-line", response_model=CreditLineOut)
def credit_line(db: DbSession, p: Principal = Depends(ADMIN)) -> CreditLineOut:
    return service.credit_line_summary(db)
