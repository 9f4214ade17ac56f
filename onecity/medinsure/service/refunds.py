"""Refunds (退费): the whole bill or some of its lines, the exact reverse of what those lines moved.

Rules kept here:
- Only whole lines are refunded, each at most once (a unique (settlement, line) row, so two racing
  refunds of a line cannot both pass); "the whole bill" after a partial refund, an unknown line or an
  empty list is refused, and nothing changes.
- Every payer gets back exactly its recorded shares of those lines (`rules.reverse`): the fund, the
  personal accounts, each commercial insurer (whose accumulators go back, `commercial.reverse_claim`),
  the wallet, or the credit line (the pay-later debt is reduced, `paylater.reduce_debt`). The insured's
  accumulators of the settlement's year go back by those lines' deductible and fund amounts.
- One ledger group from the institution's account to every payer, ids `<refund id>:<n>`, last.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.ledger.schemas import TransferSpec
from onecity.medinsure import rules
from onecity.medinsure.commercial import service as commercial
from onecity.medinsure.errors import (
    BalanceInsufficient,
    RefundExceedsBill,
    RefundLinesInvalid,
    SettlementNotFound,
)
from onecity.medinsure.models import MedRefund, MedRefundedLine, MedSettlement, MedVisit
from onecity.medinsure.paylater import service as paylater
from onecity.medinsure.schemas import RefundOut
from onecity.medinsure.service.institutions import institution_account_id
from onecity.medinsure.service.insured import (
    insured_by_row_id,
    lock_accumulators,
    store_accumulators,
    to_rules,
)
from onecity.medinsure.service.payers import totals_by_category
from onecity.medinsure.service.settlement import REFUND_CODE, transfer_all
from onecity.medinsure.service.visits import PARTLY_REFUNDED, REFUNDED, locked


def _cover(doc: dict[str, Any]) -> rules.CommercialCover:
    after = doc["after"]
    acc = rules.CommercialAccumulators(year=int(after["year"]), deductible_used_fen=int(after["deductible_used_fen"]),
                                       paid_fen=int(after["paid_fen"]))
    return rules.CommercialCover(product_id=doc["product_id"],
                                 per_line={int(k): (int(v[0]), int(v[1])) for k, v in doc["per_line"].items()},
                                 total_fen=int(doc["total_fen"]), accumulators_after=acc,
                                 covers_outside=bool(doc["covers_outside"]))


def refund_out(s: MedSettlement, r: MedRefund) -> RefundOut:
    return RefundOut(refund_id=r.refund_id, settlement_id=s.settlement_id, line_nos=list(r.line_nos),
                     total_fen=r.total_fen, by_payer=dict(r.by_payer), settlement_status=s.status,
                     settlement_refunded_fen=s.refunded_fen, created_at=r.created_at)


def _wanted(s: MedSettlement, line_nos: list[int] | None, already: set[int]) -> list[int]:
    all_lines = [int(ln["line_no"]) for ln in s.split["lines"]]
    if line_nos is None:
        if already:
            raise RefundExceedsBill(detail=f"lines {sorted(already)} were refunded already; refund the others by "
                                           "line")
        return all_lines
    if not line_nos:
        raise RefundLinesInvalid(detail="name at least one line")
    if len(set(line_nos)) != len(line_nos):
        raise RefundLinesInvalid(detail="a line is listed twice")
    unknown = sorted(set(line_nos) - set(all_lines))
    if unknown:
        raise RefundLinesInvalid(detail=f"the bill has no line {unknown[0]}", line_no=unknown[0])
    again = sorted(set(line_nos) & already)
    if again:
        raise RefundExceedsBill(detail=f"line {again[0]} was refunded already", line_no=again[0])
    return sorted(line_nos)


def refund(session: Session, *, institution_org_id: str, settlement_id: str, line_nos: list[int] | None = None,
           reason: str | None = None, actor: Any = None) -> RefundOut:
    """Refund some lines (or the whole bill) of a settlement exactly (see the module doc)."""
    s = locked(session, select(MedSettlement).where(MedSettlement.settlement_id == settlement_id,
                                                    MedSettlement.institution_org_id == institution_org_id))
    if s is None:
        raise SettlementNotFound()
    already = set(session.scalars(select(MedRefundedLine.line_no).where(MedRefundedLine.settlement_row_id == s.id)))
    wanted = _wanted(s, line_nos, already)
    v = session.get(MedVisit, s.visit_row_id)
    assert v is not None
    ins = insured_by_row_id(session, v.insured_row_id)
    acc_row = lock_accumulators(session, ins, s.year)
    covers = {payer: (_cover(doc), commercial.accumulators_of(session, payer=payer, year=s.year, for_update=True))
              for payer, doc in sorted(s.covers.items())}
    split_lines = [rules.LineSplit.from_json(ln) for ln in s.split["lines"]]
    shares = [rules.PayerShare(str(p), int(n), int(f)) for p, n, f in s.shares]
    try:
        rev = rules.reverse(split_lines, shares, line_nos=wanted, ytd=to_rules(acc_row, s.year), commercial=covers)
    except rules.ReverseInvalid as exc:
        raise RefundLinesInvalid(detail=str(exc)) from exc
    by_payer = {p: fen for p, fen in rev.refund_by_payer.items() if fen}
    total = sum(by_payer.values())
    inst_account = institution_account_id(session, s.institution_org_id)
    if ledger.balance(session, inst_account).available_balance < total:
        raise BalanceInsufficient(detail="the institution's medical-insurance account cannot cover this refund")

    now = clock.now()
    cats = totals_by_category(by_payer)
    r = MedRefund(refund_id=new_id("mrf"), settlement_row_id=s.id, line_nos=wanted, by_payer=by_payer,
                  total_fen=total, fund_fen=cats["fund"], personal_fen=cats["personal"],
                  commercial_fen=cats["commercial"], self_fen=cats["self"], reason=reason,
                  actor=str(getattr(actor, "id", None) or actor or institution_org_id), day=clock.today_local().date(),
                  created_at=now)
    session.add(r)
    session.flush()
    for n in wanted:
        session.add(MedRefundedLine(settlement_row_id=s.id, line_no=n, refund_row_id=r.id))
    store_accumulators(acc_row, rev.accumulators_after, settlements_delta=0)
    for payer, after in rev.commercial_after.items():
        commercial.reverse_claim(session, payer=payer, settlement_ref=s.settlement_id, acc_after=after,
                                 refund_fen=by_payer.get(payer, 0))
    s.refunded_fen += total
    s.status = REFUNDED if len(already) + len(wanted) == len(s.split["lines"]) else PARTLY_REFUNDED
    v.status = s.status
    v.updated_at = now
    session.flush()
    outbox.emit(session, "medinsure.settlement.refunded", {
        "refund_id": r.refund_id, "settlement_id": s.settlement_id, "visit_id": v.visit_id,
        "institution_org_id": s.institution_org_id, "citizen_id": s.citizen_id, "line_nos": wanted,
        "by_payer": by_payer, "total_fen": total, "status": s.status, "day": r.day.isoformat()})
    audit.record(session, actor=actor or institution_org_id, action="medinsure.refund", subject_citizen_id=s.citizen_id,
                 resource=f"medinsure/settlement/{s.settlement_id}/refund/{r.refund_id}",
                 reason=reason or "医保结算退费 (refunded lines of a medical-insurance settlement)",
                 on_behalf_of=s.institution_org_id)
    specs = [TransferSpec(transfer_id=f"{r.refund_id}:{i}", debit=inst_account, credit=s.payers[p]["account"],
                          amount=fen, code=REFUND_CODE, ref=s.settlement_id)
             for i, (p, fen) in enumerate(sorted(by_payer.items()))]
    transfer_all(session, specs)
    credit = by_payer.get(rules.CREDIT_LINE, 0)
    if credit:
        paylater.reduce_debt(session, settlement_ref=s.settlement_id, amount_fen=credit, refund_ref=r.refund_id)
    return refund_out(s, r)


def refunds_of(session: Session, *, settlement_id: str, institution_org_id: str | None = None) -> list[RefundOut]:
    s = session.scalars(select(MedSettlement).where(MedSettlement.settlement_id == settlement_id)).one_or_none()
    if s is None or (institution_org_id is not None and s.institution_org_id != institution_org_id):
        raise SettlementNotFound()
    rows = session.scalars(select(MedRefund).where(MedRefund.settlement_row_id == s.id).order_by(MedRefund.id))
    return [refund_out(s, r) for r in rows]
