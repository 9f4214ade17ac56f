"""Tax JSON routes. Citizens see what is due, pay it and read their signed receipts; the tax office's
staff issue assessments, its servers upload them with a signed request (idempotent by source_ref);
anyone may verify a receipt. POSTs take an `Idempotency-Key`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path

from onecity.authz import PUBLIC, Principal, allow
from onecity.deps import DbSession
from onecity.services.taxes import service, signing_key
from onecity.services.taxes.schemas import (
    AssessmentBatchIn,
    AssessmentIn,
    AssessmentOut,
    MyTaxesOut,
    PayIn,
    ReceiptOut,
    VerifyOut,
)

router = APIRouter(tags=["services-taxes"])

CITIZEN = allow("citizen", verified=True)
STAFF = allow("staff", roles={"owner", "admin", "operator", "reviewer"})
ISSUERS = allow("staff", roles={"owner", "admin", "operator"})
UPLOADERS = allow("org", roles={"operator"})
ReceiptNo = Annotated[str, Path(max_length=40)]


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


@router.get("/v1/services/taxes/receipt-key")
def receipt_key(p: Principal = Depends(PUBLIC)) -> dict[str, str]:
    """The public key that signs tax receipts (Ed25519, PEM) and its id."""
    return {"alg": "Ed25519", "key_id": signing_key.key_id(), "public_key_pem": signing_key.public_pem()}


@router.get("/v1/services/taxes/receipts/{receipt_no}/verify", response_model=VerifyOut)
def verify(receipt_no: ReceiptNo, db: DbSession, s: str | None = None, p: Principal = Depends(PUBLIC)) -> VerifyOut:
    return service.verify_receipt(db, receipt_no=receipt_no, signature=s)


@router.get("/v1/services/taxes/me", response_model=MyTaxesOut)
def mine(db: DbSession, p: Principal = Depends(CITIZEN)) -> MyTaxesOut:
    return service.my_taxes(db, citizen_id=_me(p))


@router.post("/v1/services/taxes/payments", response_model=ReceiptOut, status_code=201)
def pay(body: PayIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> ReceiptOut:
    return service.pay(db, citizen_id=_me(p), assessment_ids=body.assessment_ids, expected_fen=body.expected_fen,
                       actor=p)


@router.get("/v1/services/taxes/receipts/{receipt_no}", response_model=ReceiptOut)
def receipt(receipt_no: ReceiptNo, db: DbSession, p: Principal = Depends(CITIZEN)) -> ReceiptOut:
    return service.get_receipt(db, receipt_no=receipt_no, citizen_id=_me(p))


@router.get("/v1/services/taxes/office/assessments", response_model=list[AssessmentOut])
def office_list(db: DbSession, status: str | None = None, p: Principal = Depends(STAFF)) -> list[AssessmentOut]:
    return service.list_for_office(db, office_org_id=p.org_id or "", status=status)


@router.post("/v1/services/taxes/office/assessments", response_model=AssessmentOut, status_code=201)
def office_issue(body: AssessmentIn, db: DbSession, p: Principal = Depends(ISSUERS)) -> AssessmentOut:
    return service.issue_assessment(db, office_org_id=p.org_id or "", assessment=body, actor=p)


@router.post("/v1/services/taxes/org/assessments", response_model=list[AssessmentOut])
def org_upload(body: AssessmentBatchIn, db: DbSession, p: Principal = Depends(UPLOADERS)) -> list[AssessmentOut]:
    return service.issue_batch(db, office_org_id=p.org_id or "", assessments=body.assessments, actor=p)
