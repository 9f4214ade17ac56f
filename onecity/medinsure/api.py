"""The medinsure core's JSON routes.

Institutions (`/v1/medinsure/visits…`, `/v1/medinsure/settlements…`, `/v1/medinsure/pharmacy/prices`) call
with signed organisation requests (their API key's scopes) or a staff bearer token (their roles); the
institution is always the caller's organisation. Citizens (`/v1/medinsure/me…`) see their insurance,
activate and show the code, confirm settlements and order from pharmacies. Administrators publish
policies, designate institutions, enrol people and read the fund's daily totals. Anyone may fetch the
public key that signs codes and receipts, and check a receipt. Every state-changing POST takes an
Idempotency-Key (onecity.idempotency).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response

from onecity import clock
from onecity.authz import PUBLIC, Principal, allow
from onecity.deps import DbSession
from onecity.medinsure import service
from onecity.medinsure.schemas import (
    ActivateIn,
    CodeKeyOut,
    CodeOut,
    ConfirmIn,
    ContributionIn,
    DailyTotalsOut,
    EnrolIn,
    FeesIn,
    InstitutionIn,
    InstitutionOut,
    InsuredOut,
    Page,
    PharmacyItemOut,
    PharmacyOrderIn,
    PolicyOut,
    PolicyPublish,
    PresettlementOut,
    PricesIn,
    ReceiptCheck,
    ReceiptVerdict,
    RefundIn,
    RefundOut,
    ScanIn,
    SettlementOut,
    VisitOut,
)

router = APIRouter(tags=["medinsure"])

# Staff roles and API key scopes of hospital and pharmacy organisations (`orgs.ROLES_BY_KIND`).
COUNTER = allow("staff", "org", roles={"owner", "admin", "operator", "cashier", "developer"})
READ = allow("staff", "org", roles={"owner", "admin", "operator", "cashier", "reviewer", "finance", "developer"})
REFUNDS = allow("staff", "org", roles={"owner", "admin", "operator", "finance", "developer"})
PRICES = allow("staff", "org", roles={"owner", "admin", "operator", "developer"})
CITIZEN = allow("citizen", verified=True)
ADMIN = allow("admin")


def _org(p: Principal) -> str:
    assert p.org_id is not None
    return p.org_id


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


# --- institutions ---------------------------------------------------------------------------------

@router.post("/v1/medinsure/visits", status_code=201, response_model=VisitOut)
def scan(body: ScanIn, response: Response, db: DbSession, p: Principal = Depends(COUNTER)) -> VisitOut:
    """Scan the citizen's insurance code: the code is used up and a visit opened."""
    v = service.scan_code(db, institution_org_id=_org(p), code=body.code, visit_type=body.visit_type, actor=p)
    response.headers["Location"] = f"/v1/medinsure/visits/{v.visit_id}"
    return v


@router.get("/v1/medinsure/visits", response_model=Page[VisitOut])
def list_visits(
    db: DbSession,
    p: Principal = Depends(READ),
    status: Annotated[str | None, Query(max_length=16)] = None,
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[VisitOut]:
    items, cursor = service.list_visits_for_institution(db, institution_org_id=_org(p), status=status, after=after,
                                                        limit=limit)
    return Page[VisitOut](items=items, next_cursor=cursor)


@router.get("/v1/medinsure/visits/{visit_id}", response_model=VisitOut)
def get_visit(visit_id: str, db: DbSession, p: Principal = Depends(READ)) -> VisitOut:
    return service.get_visit(db, visit_id=visit_id, institution_org_id=_org(p))


@router.post("/v1/medinsure/visits/{visit_id}/fees", response_model=VisitOut)
def upload_fees(visit_id: str, body: FeesIn, db: DbSession, p: Principal = Depends(COUNTER)) -> VisitOut:
    """Upload (or replace) the fee lines; one bad line refuses them all with its problem code."""
    return service.upload_fees(db, institution_org_id=_org(p), visit_id=visit_id, lines=body.lines, actor=p)


@router.post("/v1/medinsure/visits/{visit_id}/presettle", response_model=PresettlementOut)
def presettle(visit_id: str, db: DbSession, p: Principal = Depends(COUNTER)) -> PresettlementOut:
    """The split per line and per payer. `needs_confirmation`: the citizen confirms in the app (pushed);
    else (`counter_allowed`) the counter may settle."""
    return service.presettle(db, institution_org_id=_org(p), visit_id=visit_id, actor=p)


@router.post("/v1/medinsure/visits/{visit_id}/settle", response_model=SettlementOut)
def settle(visit_id: str, db: DbSession, p: Principal = Depends(COUNTER)) -> SettlementOut:
    """Settle at the counter (the code carried the citizen's consent and the self-pay is within their
    small-amount limit). Settling a settled visit returns its settlement."""
    return service.settle(db, institution_org_id=_org(p), visit_id=visit_id, actor=p)


@router.get("/v1/medinsure/visits/{visit_id}/settlement", response_model=SettlementOut)
def visit_settlement(visit_id: str, db: DbSession, p: Principal = Depends(READ)) -> SettlementOut:
    return service.settlement_for_visit(db, visit_id=visit_id, institution_org_id=_org(p))


@router.get("/v1/medinsure/settlements/{settlement_id}", response_model=SettlementOut)
def get_settlement(settlement_id: str, db: DbSession, p: Principal = Depends(READ)) -> SettlementOut:
    return service.get_settlement(db, settlement_id=settlement_id, institution_org_id=_org(p))


@router.post("/v1/medinsure/settlements/{settlement_id}/refunds", status_code=201, response_model=RefundOut)
def refund(settlement_id: str, body: RefundIn, db: DbSession, p: Principal = Depends(REFUNDS)) -> RefundOut:
    """Refund some lines (`line_nos`) or the whole bill (no `line_nos`), exactly reversed."""
    return service.refund(db, institution_org_id=_org(p), settlement_id=settlement_id, line_nos=body.line_nos,
                          reason=body.reason, actor=p)


@router.get("/v1/medinsure/settlements/{settlement_id}/refunds", response_model=list[RefundOut])
def list_refunds(settlement_id: str, db: DbSession, p: Principal = Depends(READ)) -> list[RefundOut]:
    return service.refunds_of(db, settlement_id=settlement_id, institution_org_id=_org(p))


@router.get("/v1/medinsure/institution", response_model=InstitutionOut)
def my_institution(db: DbSession, p: Principal = Depends(READ)) -> InstitutionOut:
    return service.get_institution(db, org_id=_org(p))


@router.put("/v1/medinsure/pharmacy/prices", response_model=list[PharmacyItemOut])
def set_prices(body: PricesIn, db: DbSession, p: Principal = Depends(PRICES)) -> list[PharmacyItemOut]:
    return service.set_pharmacy_prices(db, org_id=_org(p), items=[(i.code, i.unit_price_fen) for i in body.items],
                                       actor=p)


# --- citizens -------------------------------------------------------------------------------------

@router.get("/v1/medinsure/me", response_model=InsuredOut)
def me(db: DbSession, p: Principal = Depends(CITIZEN)) -> InsuredOut:
    return service.get_insured(db, citizen_id=_me(p))


@router.post("/v1/medinsure/me/code/activate", response_model=InsuredOut)
def activate(body: ActivateIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> InsuredOut:
    """Activate the insurance code (one's own, or a relative's one holds pay_medical over) with a face
    verification grant for the act `medinsure.activate_code`."""
    service.activate_code(db, citizen_id=_me(p), face_grant_id=body.face_grant,
                          subject_citizen_id=body.subject_citizen_id)
    return service.get_insured(db, citizen_id=body.subject_citizen_id or _me(p))


@router.get("/v1/medinsure/me/code", response_model=CodeOut)
def code(
    db: DbSession,
    p: Principal = Depends(CITIZEN),
    counter_consent: bool = False,
    svg: bool = False,
    for_citizen: Annotated[str | None, Query(alias="for", max_length=40)] = None,
) -> CodeOut:
    """A fresh insurance code (refresh every 60 s; it expires 90 s after issue and scans once)."""
    return service.current_code(db, citizen_id=_me(p), subject_citizen_id=for_citizen,
                                counter_consent=counter_consent, with_svg=svg)


@router.get("/v1/medinsure/me/confirmations", response_model=list[VisitOut])
def confirmations(db: DbSession, p: Principal = Depends(CITIZEN)) -> list[VisitOut]:
    """Bills waiting for the citizen's confirmation, each with its total and every payer's share."""
    return service.pending_confirmations(db, citizen_id=_me(p))


@router.get("/v1/medinsure/me/confirmations/{visit_id}", response_model=PresettlementOut)
def quote(
    visit_id: str,
    db: DbSession,
    p: Principal = Depends(CITIZEN),
    family: Annotated[list[str] | None, Query(max_length=5)] = None,
    pay_later: bool = False,
) -> PresettlementOut:
    """What confirming with these choices (relatives' accounts, pay later) would settle."""
    return service.quote(db, citizen_id=_me(p), visit_id=visit_id, family_payers=family, pay_later=pay_later)


@router.post("/v1/medinsure/me/confirmations/{visit_id}/confirm", response_model=SettlementOut)
def confirm(visit_id: str, body: ConfirmIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> SettlementOut:
    return service.confirm(db, citizen_id=_me(p), visit_id=visit_id, pay_later=body.pay_later,
                           family_payers=body.family_payers)


@router.get("/v1/medinsure/me/visits", response_model=Page[VisitOut])
def my_visits(
    db: DbSession,
    p: Principal = Depends(CITIZEN),
    after: Annotated[str | None, Query(max_length=40)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[VisitOut]:
    items, cursor = service.list_visits_for_citizen(db, citizen_id=_me(p), after=after, limit=limit)
    return Page[VisitOut](items=items, next_cursor=cursor)


@router.get("/v1/medinsure/me/visits/{visit_id}", response_model=VisitOut)
def my_visit(visit_id: str, db: DbSession, p: Principal = Depends(CITIZEN)) -> VisitOut:
    return service.get_visit(db, visit_id=visit_id, citizen_id=_me(p))


@router.get("/v1/medinsure/me/visits/{visit_id}/settlement", response_model=SettlementOut)
def my_settlement(visit_id: str, db: DbSession, p: Principal = Depends(CITIZEN)) -> SettlementOut:
    return service.settlement_for_visit(db, visit_id=visit_id, citizen_id=_me(p))


@router.get("/v1/medinsure/pharmacies", response_model=list[InstitutionOut])
def pharmacies(db: DbSession, p: Principal = Depends(CITIZEN)) -> list[InstitutionOut]:
    return service.list_institutions(db, kind="pharmacy")


@router.get("/v1/medinsure/pharmacies/{org_id}/items", response_model=list[PharmacyItemOut])
def pharmacy_items(org_id: str, db: DbSession, p: Principal = Depends(CITIZEN)) -> list[PharmacyItemOut]:
    return service.pharmacy_catalogue(db, org_id=org_id)


@router.post("/v1/medinsure/me/pharmacy-orders", status_code=201, response_model=VisitOut)
def order(body: PharmacyOrderIn, db: DbSession, p: Principal = Depends(CITIZEN)) -> VisitOut:
    """Order from a pharmacy online; confirm it like any bill (`/v1/medinsure/me/confirmations/{visit_id}`)."""
    return service.place_order(db, citizen_id=_me(p), pharmacy_id=body.pharmacy_id, items=body.items,
                               for_citizen_id=body.for_citizen_id)


# --- administrators -------------------------------------------------------------------------------

@router.get("/v1/medinsure/policies", response_model=list[PolicyOut])
def list_policies(db: DbSession, p: Principal = Depends(ADMIN)) -> list[PolicyOut]:
    return service.list_policies(db)


@router.post("/v1/medinsure/policies", status_code=201, response_model=PolicyOut)
def publish_policy(body: PolicyPublish, db: DbSession, p: Principal = Depends(ADMIN)) -> PolicyOut:
    """Publish a new version of a city's policy for a year (validated; versions only go up)."""
    return service.publish_policy(db, document=body.document, actor=p)


@router.post("/v1/medinsure/institutions", status_code=201, response_model=InstitutionOut)
def register_institution(body: InstitutionIn, db: DbSession, p: Principal = Depends(ADMIN)) -> InstitutionOut:
    return service.register_institution(db, org_id=body.org_id, level=body.level, actor=p)


@router.post("/v1/medinsure/insured", status_code=201, response_model=InsuredOut)
def enrol(body: EnrolIn, db: DbSession, p: Principal = Depends(ADMIN)) -> InsuredOut:
    return service.enrol(db, citizen_id=body.citizen_id, scheme=body.scheme, retiree=body.retiree, actor=p)


@router.post("/v1/medinsure/insured/{citizen_id}/contributions", response_model=InsuredOut)
def contribute(citizen_id: str, body: ContributionIn, db: DbSession, p: Principal = Depends(ADMIN)) -> InsuredOut:
    return service.contribute(db, citizen_id=citizen_id, amount=body.amount, actor=p)


@router.get("/v1/medinsure/fund/daily-totals", response_model=DailyTotalsOut)
def daily_totals(db: DbSession, p: Principal = Depends(ADMIN),
                 day: Annotated[str, Query(max_length=10)] = "") -> DailyTotalsOut:
    d = service.parse_day(day) if day else clock.today_local().date()
    return service.fund_daily_totals(db, day=d)


# --- anyone ---------------------------------------------------------------------------------------

@router.get("/v1/medinsure/code-key", response_model=CodeKeyOut)
def code_key(p: Principal = Depends(PUBLIC)) -> CodeKeyOut:
    """The Ed25519 public key that signs insurance codes and electronic receipts."""
    return CodeKeyOut(algorithm="Ed25519", public_key_pem=service.signing_public_pem(), key_id=service.signing_key_id())


@router.post("/v1/medinsure/receipts/verify", response_model=ReceiptVerdict)
def verify_receipt(body: ReceiptCheck, p: Principal = Depends(PUBLIC)) -> ReceiptVerdict:
    """Check an electronic receipt against its signature (changes nothing)."""
    return service.verify_receipt(body.receipt, body.signature)
