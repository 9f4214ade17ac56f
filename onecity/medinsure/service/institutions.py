"""Designated institutions (定点医药机构): hospitals of level 1-3 and retail pharmacies (level 0), each
with a medinsure receivable ledger account; and pharmacies' price lists for online orders.

The receivable account cannot be overdrawn (a refund needs the money the settlement brought) and is
flagged HOT: many settlements credit it, so the ledger locks it last.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.identity.orgs import service as orgs
from onecity.ledger import service as ledger
from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS, HOT
from onecity.medinsure import rules
from onecity.medinsure.errors import LINE_ERRORS, InstitutionInvalid, NotAnInstitution, PharmacyPriceMissing
from onecity.medinsure.models import MedInstitution, MedPharmacyPrice
from onecity.medinsure.schemas import InstitutionOut, PharmacyItemOut
from onecity.medinsure.service.policies import city as policy_city
from onecity.medinsure.service.policies import policy_for, today


def _account(session: Session, org_id: str, name: str) -> str:
    return ledger.open_account(session, key=f"medinsure:institution:{org_id}", code="medinsure_institution",
                               owner=org_id, flags=DEBITS_MUST_NOT_EXCEED_CREDITS | HOT,
                               name=f"{name} 医保结算 medical-insurance receivable").id


def institution_out(session: Session, row: MedInstitution, names: dict[str, str] | None = None) -> InstitutionOut:
    names = names if names is not None else orgs.org_names(session, [row.org_id])
    return InstitutionOut(org_id=row.org_id, name=names.get(row.org_id, row.org_id),
                          kind=row.kind, level=row.level, city=row.city,  # type: ignore[arg-type]
                          ledger_account_id=row.ledger_account_id)


def register_institution(session: Session, *, org_id: str, level: int, actor: Principal | str) -> InstitutionOut:
    """Designate a hospital (level 1-3) or pharmacy (level 0) organisation; again changes its level."""
    org = orgs.get_org(session, org_id)
    if org.kind not in ("hospital", "pharmacy"):
        raise InstitutionInvalid(detail="only hospitals and pharmacies can be designated")
    if not isinstance(level, int) or level not in rules.LEVELS or (org.kind == "pharmacy") != (level == 0):
        raise InstitutionInvalid(detail="a pharmacy has level 0, a hospital level 1, 2 or 3")
    now = clock.now()
    row = session.scalars(select(MedInstitution).where(MedInstitution.org_id == org_id)).one_or_none()
    who = actor.id or actor.kind if isinstance(actor, Principal) else actor
    if row is None:
        row = MedInstitution(org_id=org_id, kind=org.kind, level=level, city=policy_city(session),
                             ledger_account_id=_account(session, org_id, org.name_zh), registered_by=who,
                             created_at=now, updated_at=now)
        session.add(row)
    elif row.level == level:
        return institution_out(session, row)
    else:
        row.level = level
        row.updated_at = now
    session.flush()
    outbox.emit(session, "medinsure.institution.registered", {"org_id": org_id, "kind": org.kind, "level": level})
    audit.record(session, actor=actor, action="medinsure.institution.register", subject_citizen_id=None,
                 resource=f"medinsure/institution/{org_id}",
                 reason=f"登记定点医药机构，等级 {level} (designated institution, level {level})", on_behalf_of=org_id)
    return institution_out(session, row)


def institution(session: Session, org_id: str | None) -> MedInstitution:
    """The designated institution `org_id` (NotAnInstitution otherwise)."""
    row = session.scalars(select(MedInstitution).where(MedInstitution.org_id == org_id)).one_or_none() if org_id else None
    if row is None:
        raise NotAnInstitution()
    return row


def get_institution(session: Session, *, org_id: str) -> InstitutionOut:
    return institution_out(session, institution(session, org_id))


def list_institutions(session: Session, *, kind: str | None = None) -> list[InstitutionOut]:
    q = select(MedInstitution).order_by(MedInstitution.id)
    if kind:
        q = q.where(MedInstitution.kind == kind)
    rows = list(session.scalars(q))
    names = orgs.org_names(session, [r.org_id for r in rows])
    return [institution_out(session, r, names) for r in rows]


def institution_account_id(session: Session, org_id: str) -> str:
    return institution(session, org_id).ledger_account_id


# --- pharmacy price lists ------------------------------------------------------------------------

def set_pharmacy_prices(session: Session, *, org_id: str, items: list[tuple[str, int]],
                        actor: Principal | str) -> list[PharmacyItemOut]:
    """Set the pharmacy's prices (all or nothing): every code must be in the catalogue in force and a
    list-priced item must carry its list price."""
    inst = institution(session, org_id)
    if inst.kind != "pharmacy":
        raise NotAnInstitution(detail="only a pharmacy has a price list")
    policy = policy_for(session, on=today())
    for i, (code, price) in enumerate(items, start=1):
        try:
            rules.check_line(policy, rules.BillLine(line_no=i, code=code, quantity=1, unit_price_fen=price))
        except rules.LineInvalid as exc:
            raise LINE_ERRORS.get(exc.reason, InstitutionInvalid)(detail=str(exc), reason=exc.reason, line_no=i,
                                                                   item_code=code) from exc
    now = clock.now()
    existing = {r.code: r for r in session.scalars(select(MedPharmacyPrice).where(MedPharmacyPrice.org_id == org_id))}
    for code, price in items:
        row = existing.get(code)
        if row is None:
            row = MedPharmacyPrice(org_id=org_id, code=code, unit_price_fen=price, updated_at=now)
            session.add(row)
            existing[code] = row
        else:
            row.unit_price_fen = price
            row.updated_at = now
    session.flush()
    outbox.emit(session, "medinsure.pharmacy.prices_set", {"org_id": org_id, "items": len(items)})
    audit.record(session, actor=actor, action="medinsure.pharmacy.prices", subject_citizen_id=None,
                 resource=f"medinsure/pharmacy/{org_id}/prices", reason="更新药店价格表 (updated the price list)",
                 on_behalf_of=org_id)
    return pharmacy_catalogue(session, org_id=org_id)


def pharmacy_catalogue(session: Session, *, org_id: str) -> list[PharmacyItemOut]:
    """What the pharmacy sells online, at its prices (items the policy in force still lists)."""
    institution(session, org_id)
    policy = policy_for(session, on=today())
    out = []
    for r in session.scalars(select(MedPharmacyPrice).where(MedPharmacyPrice.org_id == org_id)
                             .order_by(MedPharmacyPrice.code)):
        item = policy.item(r.code)
        if item is not None:
            out.append(PharmacyItemOut(code=r.code, name_zh=item.name_zh, name_en=item.name_en, category=item.category,
                                       unit=item.unit, unit_price_fen=r.unit_price_fen))
    return out


def pharmacy_price(session: Session, org_id: str, code: str) -> int:
    price = session.scalar(select(MedPharmacyPrice.unit_price_fen).where(MedPharmacyPrice.org_id == org_id,
                                                                         MedPharmacyPrice.code == code))
    if price is None:
        raise PharmacyPriceMissing(detail=f"{code} is not on this pharmacy's price list", item_code=code)
    return int(price)
