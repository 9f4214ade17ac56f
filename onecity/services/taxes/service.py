"""The tax bureau's API for citizens' taxes: offices, assessments, payment and signed receipts.

Rules kept here:
- A tax office (an agency registered here) issues assessments: a citizen (by ID number), an item
  (`rules.ITEMS`), a period in the item's form (2026 or 2026-10), an amount and a due date —
  idempotent by the office's `source_ref`.
- The citizen pays one or more of their due assessments of one office at once: amounts + today's
  late-payment surcharge (`rules.late_surcharge`), wallet → the office's payee account in one ledger
  transfer (code `tax`) whose id is fixed by the first assessment, under row locks. Every assessment
  is paid once: a paid one in the list refuses the whole payment (`tax_already_paid`), nothing moves.
- Each payment issues one electronic receipt (电子完税证明) with a number
  `<city code><yyyymmdd><8-digit serial>`, signed with the tax key (Ed25519) over
  `receipt_message`; `verify_receipt` recomputes the message from the record and checks it.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, money, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.identity import service as identity
from onecity.identity.orgs import service as orgs
from onecity.ids import new_id
from onecity.services import collection
from onecity.services.applications import service as applications
from onecity.services.catalogue.schemas import I18n
from onecity.services.taxes import rules, signing_key
from onecity.services.taxes.errors import (
    AssessmentConflict,
    AssessmentInvalid,
    AssessmentNotFound,
    NotATaxOffice,
    ReceiptNotFound,
    TaxAlreadyPaid,
    TaxAmountChanged,
    TaxItemUnknown,
)
from onecity.services.taxes.models import TaxAssessment, TaxOffice, TaxReceipt
from onecity.services.taxes.schemas import (
    AssessmentIn,
    AssessmentOut,
    MyTaxesOut,
    PublicReceiptOut,
    ReceiptItem,
    ReceiptOut,
    VerifyOut,
)

TAX_CODE = "tax"


def _actor_id(actor: Principal | str) -> str:
    return actor if isinstance(actor, str) else (actor.id or actor.kind)


def _today() -> date:
    return clock.today_local().date()


# --- offices --------------------------------------------------------------------------------------

def register_office(session: Session, *, org_id: str, actor: Principal | str) -> None:
    """Make an agency a tax office (idempotent)."""
    org = orgs.get_org(session, org_id)
    if org.kind != "agency":
        raise NotATaxOffice(detail="only an agency can be a tax office")
    if session.scalars(select(TaxOffice).where(TaxOffice.org_id == org_id)).one_or_none():
        return
    session.add(TaxOffice(org_id=org_id, created_at=clock.now()))
    session.flush()
    audit.record(session, actor=actor, action="services.taxes.office.register", subject_citizen_id=None,
                 resource=f"services/taxes/offices/{org_id}", reason="税务机关开通 (tax office)")


def office_of(session: Session, org_id: str | None) -> str:
    row = session.scalars(select(TaxOffice).where(TaxOffice.org_id == (org_id or ""))).one_or_none()
    if row is None:
        raise NotATaxOffice()
    return row.org_id


def is_office(session: Session, org_id: str | None) -> bool:
    """Whether the organisation is a tax office (it has the tax console)."""
    return session.scalars(select(TaxOffice.id).where(TaxOffice.org_id == (org_id or ""))).first() is not None


# --- assessments ----------------------------------------------------------------------------------

def _paid_surcharge(a: TaxAssessment, receipt: TaxReceipt | None) -> int:
    """The late surcharge a paid assessment carried, as its receipt printed it."""
    for item in (receipt.items if receipt else []):
        if item["assessment_id"] == a.public_id:
            return int(item["surcharge_fen"])
    return 0


def _out(a: TaxAssessment, names: dict[str, str], receipts: dict[int, TaxReceipt], today: date) -> AssessmentOut:
    spec = rules.ITEMS[a.item]
    receipt = receipts.get(a.receipt_row_id) if a.receipt_row_id else None
    if a.status == "paid":
        surcharge = _paid_surcharge(a, receipt)
    else:
        surcharge = rules.late_surcharge(a.amount_fen, a.due_on, today)
    return AssessmentOut(assessment_id=a.public_id, citizen_id=a.citizen_id, office_org_id=a.office_org_id,
                         office_name=names.get(a.office_org_id), item=a.item, item_name_zh=spec["zh"],
                         item_name_en=spec["en"], period=a.period, description=a.description,
                         amount_fen=a.amount_fen, due_on=a.due_on, status=a.status, surcharge_fen=surcharge,
                         total_fen=a.amount_fen + surcharge, paid_at=a.paid_at,
                         receipt_no=receipt.receipt_no if receipt else None)


def _outs(session: Session, rows: list[TaxAssessment]) -> list[AssessmentOut]:
    """The assessments as shown, with their offices' names and their receipts read once for all rows."""
    names = orgs.org_names(session, {r.office_org_id for r in rows})
    rids = {r.receipt_row_id for r in rows if r.receipt_row_id}
    receipts = {r.id: r for r in session.scalars(select(TaxReceipt).where(TaxReceipt.id.in_(rids)))} if rids else {}
    today = _today()
    return [_out(r, names, receipts, today) for r in rows]


def issue_assessment(session: Session, *, office_org_id: str, assessment: AssessmentIn,
                     actor: Principal | str) -> AssessmentOut:
    office = office_of(session, office_org_id)
    if assessment.item not in rules.ITEMS:
        raise TaxItemUnknown()
    if not rules.period_valid(assessment.item, assessment.period):
        raise AssessmentInvalid(detail=f"the period of {assessment.item} is written "
                                       f"{'2026' if rules.ITEMS[assessment.item]['period'] == 'year' else '2026-10'}")
    citizen = identity.get_citizen_by_id_number(session, assessment.id_number)  # IdNumber*Error when malformed
    if citizen is None:
        raise AssessmentInvalid(detail="no verified citizen has this ID number")
    description = (assessment.description or "").strip() or f"{rules.ITEMS[assessment.item]['zh']} {assessment.period}"
    if assessment.source_ref is not None:
        seen = session.scalars(select(TaxAssessment).where(TaxAssessment.office_org_id == office,
                                                           TaxAssessment.source_ref == assessment.source_ref)
                               ).one_or_none()
        if seen is not None:
            same = (seen.citizen_id, seen.item, seen.period, seen.amount_fen, seen.due_on) == (
                citizen.public_id, assessment.item, assessment.period, assessment.amount_fen, assessment.due_on)
            if not same:
                raise AssessmentConflict()
            return _outs(session, [seen])[0]
    row = TaxAssessment(public_id=new_id("txa"), citizen_id=citizen.public_id, office_org_id=office,
                        item=assessment.item, period=assessment.period, description=description,
                        amount_fen=assessment.amount_fen, due_on=assessment.due_on, status="due",
                        source_ref=assessment.source_ref, created_at=clock.now(), created_by=_actor_id(actor))
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="services.taxes.assessment.issue", subject_citizen_id=citizen.public_id,
                 resource=f"services/taxes/assessments/{row.public_id}",
                 reason=f"应缴税费 {description} (tax assessed)")
    spec = rules.ITEMS[row.item]
    amount = money.yuan(row.amount_fen)
    applications.notify(session, citizen_id=row.citizen_id, link="/app/services/taxes",
                        title=I18n(zh=f"待缴{spec['zh']}", en=f"{spec['en']} due"),
                        body=I18n(zh=f"{description}：{amount}元，请于{row.due_on}前缴纳。",
                                  en=f"{description}: {amount} yuan, due by {row.due_on}."))
    outbox.emit(session, "services.taxes.assessed", {"assessment_id": row.public_id, "citizen_id": row.citizen_id,
                                                     "item": row.item, "amount_fen": row.amount_fen})
    return _outs(session, [row])[0]


def issue_batch(session: Session, *, office_org_id: str, assessments: list[AssessmentIn],
                actor: Principal | str) -> list[AssessmentOut]:
    if any(a.source_ref is None for a in assessments):
        raise AssessmentInvalid(detail="every uploaded assessment needs its source_ref")
    return [issue_assessment(session, office_org_id=office_org_id, assessment=a, actor=actor) for a in assessments]


def assessments_of(session: Session, *, citizen_id: str) -> list[AssessmentOut]:
    rows = list(session.scalars(select(TaxAssessment).where(TaxAssessment.citizen_id == citizen_id)
                                .order_by(TaxAssessment.id.desc()).limit(200)))
    return _outs(session, rows)


def list_for_office(session: Session, *, office_org_id: str, status: str | None = None,
                    limit: int = 100) -> list[AssessmentOut]:
    office = office_of(session, office_org_id)
    q = select(TaxAssessment).where(TaxAssessment.office_org_id == office)
    if status in ("due", "paid"):
        q = q.where(TaxAssessment.status == status)
    return _outs(session, list(session.scalars(q.order_by(TaxAssessment.id.desc()).limit(max(1, min(limit, 500))))))


# --- payment and receipts -------------------------------------------------------------------------

def receipt_message(r: TaxReceipt) -> bytes:
    """What the signature covers: every printed fact of the receipt, compact JSON with sorted keys."""
    doc: dict[str, Any] = {
        "no": r.receipt_no, "payer": r.payer_name_masked, "citizen": r.citizen_id, "office": r.office_org_id,
        "items": [{k: i[k] for k in ("assessment_id", "item", "period", "amount_fen", "surcharge_fen")}
                  for i in r.items],
        "total_fen": r.total_fen, "issued_at": int(r.issued_at.timestamp()), "key_id": r.key_id,
    }
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def _receipt_out(session: Session, r: TaxReceipt, names: dict[str, str] | None = None) -> ReceiptOut:
    names = orgs.org_names(session, {r.office_org_id}) if names is None else names
    return ReceiptOut(receipt_no=r.receipt_no, citizen_id=r.citizen_id, payer_name_masked=r.payer_name_masked,
                      office_org_id=r.office_org_id, office_name=names.get(r.office_org_id),
                      items=[ReceiptItem(assessment_id=i["assessment_id"], item=i["item"],
                                         item_name=rules.ITEMS[i["item"]]["zh"], period=i["period"],
                                         amount_fen=int(i["amount_fen"]), surcharge_fen=int(i["surcharge_fen"]))
                             for i in r.items],
                      total_fen=r.total_fen, issued_at=r.issued_at, key_id=r.key_id, signature=r.signature,
                      verify_path=f"/verify/tax-receipt/{r.receipt_no}")


def pay(session: Session, *, citizen_id: str, assessment_ids: list[str], expected_fen: int | None = None,
        actor: Principal | None = None) -> ReceiptOut:
    """Pay the listed assessments (see the module's rules); returns the signed receipt. `actor`: the
    signed-in payer (the audit shows a citizen actor); without one the payer's id is recorded."""
    ids = list(dict.fromkeys(assessment_ids))
    rows = list(session.scalars(select(TaxAssessment).where(TaxAssessment.public_id.in_(ids))
                                .order_by(TaxAssessment.id).with_for_update()))
    if len(rows) != len(ids) or any(r.citizen_id != citizen_id for r in rows):
        raise AssessmentNotFound()
    if any(r.status == "paid" for r in rows):
        raise TaxAlreadyPaid()
    if len({r.office_org_id for r in rows}) != 1:
        raise AssessmentInvalid(detail="pay one tax office's assessments at a time")
    today = _today()
    surcharges = [rules.late_surcharge(r.amount_fen, r.due_on, today) for r in rows]
    items: list[dict[str, Any]] = [{"assessment_id": r.public_id, "item": r.item, "period": r.period,
                                    "amount_fen": r.amount_fen, "surcharge_fen": sc}
                                   for r, sc in zip(rows, surcharges, strict=True)]
    total = sum(r.amount_fen for r in rows) + sum(surcharges)
    if expected_fen is not None and expected_fen != total:
        raise TaxAmountChanged(expected_fen=expected_fen, due_fen=total)
    office = rows[0].office_org_id
    transfer_id = f"svc-tax-{rows[0].public_id}"
    collection.collect(session, citizen_id=citizen_id, payee_org_id=office, amount=total, code=TAX_CODE,
                       ref=rows[0].public_id, transfer_id=transfer_id)  # InsufficientFunds: nothing moves
    now = clock.now().replace(microsecond=0)
    payer = identity.citizen_summary(session, citizen_id).masked_name or "—"
    receipt = TaxReceipt(receipt_no=new_id("txr"), citizen_id=citizen_id, payer_name_masked=payer,
                         office_org_id=office, items=items, total_fen=total, issued_at=now,
                         key_id=signing_key.key_id(), signature="-", transfer_id=transfer_id)
    session.add(receipt)
    session.flush()
    receipt.receipt_no = f"{get_settings().city_code}{today:%Y%m%d}{receipt.id:08d}"
    receipt.signature = signing_key.sign(receipt_message(receipt))
    for r in rows:
        r.status, r.paid_at, r.receipt_row_id = "paid", now, receipt.id
    session.flush()
    audit.record(session, actor=actor if actor is not None else citizen_id, action="services.taxes.pay", subject_citizen_id=citizen_id,
                 resource=f"services/taxes/receipts/{receipt.receipt_no}", reason=f"缴纳税费 {total} 分 (tax paid)")
    outbox.emit(session, "services.taxes.paid", {"receipt_no": receipt.receipt_no, "citizen_id": citizen_id,
                                                 "total_fen": total, "office_org_id": office,
                                                 "assessment_ids": [r.public_id for r in rows]})
    return _receipt_out(session, receipt)


def _receipt_row(session: Session, receipt_no: str) -> TaxReceipt:
    row = session.scalars(select(TaxReceipt).where(TaxReceipt.receipt_no == (receipt_no or "")[:40])).one_or_none()
    if row is None:
        raise ReceiptNotFound()
    return row


def get_receipt(session: Session, *, receipt_no: str, citizen_id: str | None = None) -> ReceiptOut:
    row = _receipt_row(session, receipt_no)
    if citizen_id is not None and row.citizen_id != citizen_id:
        raise ReceiptNotFound()
    return _receipt_out(session, row)


def receipts_of(session: Session, *, citizen_id: str) -> list[ReceiptOut]:
    rows = list(session.scalars(select(TaxReceipt).where(TaxReceipt.citizen_id == citizen_id)
                                .order_by(TaxReceipt.id.desc()).limit(100)))
    names = orgs.org_names(session, {r.office_org_id for r in rows})
    return [_receipt_out(session, r, names) for r in rows]


def verify_receipt(session: Session, *, receipt_no: str, signature: str | None = None) -> VerifyOut:
    """Is this a receipt the platform issued, unaltered? The message is rebuilt from the record and
    checked against the stored signature (and against `signature`, the one printed in the QR, if
    given). An unknown number is simply not valid."""
    try:
        row = _receipt_row(session, receipt_no)
    except ReceiptNotFound:
        return VerifyOut(receipt_no=receipt_no[:40], valid=False)
    message = receipt_message(row)
    ok = signing_key.verify(message, row.signature) and (signature is None or signing_key.verify(message, signature))
    public = PublicReceiptOut.model_validate(_receipt_out(session, row).model_dump(exclude={"citizen_id"})) \
        if ok else None
    return VerifyOut(receipt_no=row.receipt_no, valid=ok, receipt=public)


def my_taxes(session: Session, *, citizen_id: str) -> MyTaxesOut:
    items = assessments_of(session, citizen_id=citizen_id)
    return MyTaxesOut(due=[a for a in items if a.status == "due"], paid=[a for a in items if a.status == "paid"],
                      receipts=receipts_of(session, citizen_id=citizen_id))
