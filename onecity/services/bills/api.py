"""Utility-bill JSON routes. Citizens: billers, their accounts (and a relative's with the family
scopes), fetching and paying bills, phone top-ups, autopay, history. Billers (their staff, or their
signed API keys): payments, reconciliation files, pushed acknowledgements. The city's admins: biller
profiles. Every POST takes an `Idempotency-Key`.

Fetching and paying call the biller: the route ends its read-only transaction before the call (the
request owns the transaction), so no transaction is held open across the network."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import PlainTextResponse, Response
from pydantic import BaseModel, Field

from onecity.authz import PUBLIC, Principal, allow
from onecity.deps import DbSession
from onecity.errors import InvalidInput
from onecity.services.bills import service
from onecity.services.bills.schemas import (
    AccountIn,
    AccountOut,
    AutopayIn,
    BillerOut,
    BillerProfileIn,
    BillOut,
    PayIn,
    PaymentOut,
    ReconFileOut,
    TopUpIn,
)
from onecity.services.bills.service.connector import Ack

router = APIRouter(tags=["services-bills"])

CITIZEN = allow("citizen", verified=True)
ADMIN = allow("admin")
BILLER = allow("staff", "org", roles={"owner", "admin", "operator", "finance", "developer"})
BILLER_FINANCE = allow("staff", "org", roles={"owner", "admin", "finance"})
BILLER_SYSTEM = allow("org", roles={"operator", "developer"})
Id = Annotated[str, Path(max_length=40)]
BASE = "/v1/services/bills"


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


def _biller(db: DbSession, p: Principal) -> str:
    return service.biller_org_of(db, p.org_id)  # BillerNotFound (404) for an org that is not a biller


class AckIn(BaseModel):
    ref: str = Field(max_length=40)
    accepted: bool
    biller_ref: str | None = Field(default=None, max_length=64)
    reason: str | None = Field(default=None, max_length=40)


class KeyOut(BaseModel):
    key_id: str
    public_key_pem: str
    algorithm: str = "Ed25519"


# --- public ---------------------------------------------------------------------------------------

@router.get(f"{BASE}/key", response_model=KeyOut)
def platform_key(p: Principal = Depends(PUBLIC)) -> KeyOut:
    """The public key that signs the platform's requests to billers and the reconciliation files."""
    return KeyOut(key_id=service.signing.key_id(), public_key_pem=service.signing.public_pem())


@router.get(f"{BASE}/billers", response_model=list[BillerOut])
def billers(db: DbSession, p: Principal = Depends(PUBLIC),
            product: Annotated[str | None, Query(pattern="^(water|electricity|gas|phone)$")] = None) -> list[BillerOut]:
    return service.list_billers(db, product=product)


# --- citizens -------------------------------------------------------------------------------------

@router.get(f"{BASE}/accounts", response_model=list[AccountOut])
def my_accounts(db: DbSession, p: Principal = Depends(CITIZEN),
                owner: Annotated[str | None, Query(max_length=40)] = None) -> list[AccountOut]:
    """My accounts, or a relative's (`owner`): needs `view_bills` over them."""
    return service.list_accounts(db, citizen_id=_me(p), owner_id=owner)


@router.post(f"{BASE}/accounts", status_code=201, response_model=AccountOut)
def add_account(body: AccountIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> AccountOut:
    return service.add_account(db, citizen_id=_me(p), biller_org_id=body.biller_org_id, account_no=body.account_no,
                               alias=body.alias, actor=p)


@router.get(f"{BASE}/accounts/{{account_id}}", response_model=AccountOut)
def get_account(account_id: Id, db: DbSession, p: Principal = Depends(CITIZEN)) -> AccountOut:
    return service.get_account(db, citizen_id=_me(p), account_id=account_id)


@router.post(f"{BASE}/accounts/{{account_id}}/remove", status_code=204)
def remove_account(account_id: Id, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    service.remove_account(db, citizen_id=_me(p), account_id=account_id, actor=p)
    return Response(status_code=204)


@router.get(f"{BASE}/accounts/{{account_id}}/bills", response_model=list[BillOut])
def fetch_bills(account_id: Id, db: DbSession, p: Principal = Depends(CITIZEN)) -> list[BillOut]:
    """The account's bills, fetched from the biller now."""
    target = service.locate(db, citizen_id=_me(p), account_id=account_id)
    db.rollback()  # read-only so far: hold no transaction while the biller answers
    bills = service.fetch_from_biller(target)
    return service.bills_view(db, target, bills)


@router.post(f"{BASE}/accounts/{{account_id}}/pay", response_model=PaymentOut)
def pay(account_id: Id, body: PayIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> PaymentOut:
    """Pay one bill for exactly its amount (checked with the biller first). `bill_already_paid` (409)
    if it is paid — here, at the counter or anywhere else — and then nothing changes."""
    target = service.locate(db, citizen_id=_me(p), account_id=account_id, scope="pay_bills")
    db.rollback()
    bills = service.fetch_from_biller(target)
    return service.pay_bill(db, target=target, bills=bills, bill_id=body.bill_id, amount=body.amount, actor=p)


@router.post(f"{BASE}/accounts/{{account_id}}/topup", response_model=PaymentOut)
def top_up(account_id: Id, body: TopUpIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> PaymentOut:
    target = service.locate(db, citizen_id=_me(p), account_id=account_id, scope="pay_bills")
    allowed = service.get_biller(db, target.route.org_id).topup_amounts
    return service.top_up(db, target=target, amount=body.amount, allowed=allowed, actor=p)


@router.post(f"{BASE}/accounts/{{account_id}}/autopay", response_model=AccountOut)
def set_autopay(account_id: Id, body: AutopayIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> AccountOut:
    return service.set_autopay(db, citizen_id=_me(p), account_id=account_id, enabled=body.enabled, limit=body.limit,
                               actor=p)


@router.get(f"{BASE}/payments", response_model=list[PaymentOut])
def my_payments(db: DbSession, p: Principal = Depends(CITIZEN),
                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[PaymentOut]:
    return service.history(db, citizen_id=_me(p), limit=limit)


@router.get(f"{BASE}/payments/{{payment_id}}", response_model=PaymentOut)
def my_payment(payment_id: Id, db: DbSession, p: Principal = Depends(CITIZEN)) -> PaymentOut:
    return service.get_payment(db, payment_id=payment_id, citizen_id=_me(p))


# --- billers (staff or signed API) ---------------------------------------------------------------

def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InvalidInput(detail="date must be YYYY-MM-DD") from exc


@router.get(f"{BASE}/org/payments", response_model=list[PaymentOut])
def biller_payments(db: DbSession, p: Principal = Depends(BILLER),
                    day: Annotated[str | None, Query(max_length=10)] = None) -> list[PaymentOut]:
    """The biller's payments (newest first), or those of one Asia/Shanghai day."""
    org_id = _biller(db, p)
    d = _day(day)
    start, end = service.day_window(d) if d else (None, None)
    return service.biller_payments(db, biller_org_id=org_id, start=start, end=end)


@router.get(f"{BASE}/org/recon-files", response_model=list[ReconFileOut])
def recon_files(db: DbSession, p: Principal = Depends(BILLER_FINANCE)) -> list[ReconFileOut]:
    return service.list_files(db, biller_org_id=_biller(db, p))


@router.get(f"{BASE}/org/recon-files/{{file_id}}", response_class=PlainTextResponse)
def recon_file(file_id: Id, db: DbSession, p: Principal = Depends(BILLER_FINANCE)) -> Response:
    """The file (CSV, UTF-8) exactly as signed; the detached Ed25519 signature (base64) and key id in
    the `X-OneCity-Recon-Signature` / `X-OneCity-Recon-Key-Id` headers."""
    meta, text = service.get_file(db, biller_org_id=_biller(db, p), file_id=file_id)
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8", headers=service.download_headers(meta))


@router.post(f"{BASE}/org/acks")
def push_ack(body: AckIn, db: DbSession, p: Principal = Depends(BILLER_SYSTEM)) -> dict[str, str]:
    """A biller's acknowledgement of a payment advice, pushed to the platform; repeats are harmless."""
    org_id = _biller(db, p)
    db.rollback()
    result = service.handle_ack(biller_org_id=org_id, ack=Ack(ref=body.ref, accepted=body.accepted,
                                                              biller_ref=body.biller_ref, reason=body.reason))
    return {"ref": body.ref, "result": result}


# --- the city's admins ------------------------------------------------------------------------------

@router.post(f"{BASE}/billers/{{org_id}}/profile", response_model=BillerOut)
def set_profile(org_id: Id, body: BillerProfileIn, db: DbSession, p: Principal = Depends(ADMIN)) -> BillerOut:
    return service.set_profile(db, org_id=org_id, profile=body, actor=p)
