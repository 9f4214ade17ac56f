"""Pre-settlement and settlement: the split of a visit's bill per line and per payer, the citizen's
confirmation in the app (or the institution's at the counter), and the settlement itself — ONE ledger
transfer group from every payer to the institution — with its signed electronic receipt.

Who pays what is computed in `payers`; the receipt is built and signed in `receipts`.

Rules kept here:
- The policy in force on the settlement's city date applies, with the insured's accumulators of that
  year; the settlement records the policy key.
- The counter path (no confirmation in the app) needs the code's counter-consent flag and a self-pay
  (what the wallet pays) within the confirming citizen's small-amount limit (小额免密, payment codes).
- Settling locks the visit, then the insured's accumulator row, then the commercial accumulators, and
  recomputes; if the payers' totals differ from the pre-settlement shown for the same choices, it is
  refused (`PresettlementStale`) and nothing changes. The ledger group comes last (the institution's
  account is HOT). Settling a settled visit again returns the settlement.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.errors import DomainError
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.ledger.schemas import TransferSpec
from onecity.medinsure import rules
from onecity.medinsure.commercial import service as commercial
from onecity.medinsure.errors import (
    BalanceInsufficient,
    CounterNotAllowed,
    PresettlementStale,
    SettlementNotFound,
    VisitNotFound,
    VisitStateInvalid,
)
from onecity.medinsure.models import MedInsured, MedRefundedLine, MedSettlement, MedVisit
from onecity.medinsure.paylater import service as paylater
from onecity.medinsure.schemas import PresettlementOut, SettlementOut, VisitOut
from onecity.medinsure.service import signing_key
from onecity.medinsure.service.codes import may_act_for
from onecity.medinsure.service.institutions import institution_account_id
from onecity.medinsure.service.insured import insured_by_row_id, store_accumulators
from onecity.medinsure.service.payers import (
    Computation,
    compute,
    counter_allowed,
    line_outs,
    payer_out,
    shares_of,
    totals_by_category,
)
from onecity.medinsure.service.receipts import build_receipt, canonical
from onecity.medinsure.service.visits import (
    PRESETTLED,
    SETTLED,
    locked_visit,
    visit_event,
    visit_out,
    visit_row,
)

SETTLE_CODE = "medinsure.settle"
REFUND_CODE = "medinsure.refund"


def transfer_all(session: Session, specs: list[TransferSpec]) -> None:
    """A settlement's or a refund's transfers, all or none; a payer short of money is BalanceInsufficient."""
    try:
        ledger.transfer_group(session, specs)
    except DomainError as exc:
        if exc.code == "insufficient_funds":
            raise BalanceInsufficient(detail=str(exc)) from exc
        raise


def presettlement_out(v: MedVisit, ins: MedInsured, comp: Computation, *, counter_allowed: bool) -> PresettlementOut:
    split = comp.split
    return PresettlementOut(
        visit_id=v.visit_id, policy_key=split.policy_key, scheme=ins.scheme, visit_type=v.visit_type,  # type: ignore[arg-type]
        level=v.level, retiree=ins.retiree, total_fen=split.total_fen, fund_fen=split.fund_fen,
        within_fen=split.within_fen, outside_fen=split.outside_fen, self_pay_fen=comp.self_pay_fen,
        lines=line_outs(split.lines, shares_of(comp.allocation)),
        payers=[payer_out(p, fen) for p, fen in comp.allocation.totals.items()],
        family_payers=comp.family_payers, pay_later=comp.pay_later, counter_allowed=counter_allowed,
        needs_confirmation=not counter_allowed, computed_at=clock.now())



def _family_payers(v: MedVisit, chosen: list[str] | None) -> list[str]:
    """The relatives chosen now, else those chosen at pre-settlement."""
    return chosen if chosen is not None else list((v.presettlement or {}).get("family_payers", []))


def _confirmation_event(v: MedVisit, pre: PresettlementOut) -> dict[str, Any]:
    return visit_event(v, confirmer_id=v.confirmer_id, policy_key=pre.policy_key, self_pay_fen=pre.self_pay_fen,
                       payers={p.payer: p.fen for p in pre.payers})


def presettle_visit(session: Session, v: MedVisit, *, family_payers: list[str] | None, actor: Any,
                    insured: MedInsured | None = None) -> PresettlementOut:
    """Compute and store the visit's pre-settlement (the caller holds the visit's lock)."""
    if v.status not in ("billed", PRESETTLED):
        raise VisitStateInvalid(detail=f"the visit is {v.status}; upload the fees first" if v.status == "open"
                                else f"the visit is {v.status}")
    ins = insured or insured_by_row_id(session, v.insured_row_id)
    chosen = _family_payers(v, family_payers)
    comp = compute(session, v, ins, family_payers=chosen, pay_later=False, for_update=False)
    pre = presettlement_out(v, ins, comp, counter_allowed=counter_allowed(session, v, comp))
    v.presettlement = pre.model_dump(mode="json")
    v.status = PRESETTLED
    v.updated_at = clock.now()
    outbox.emit(session, "medinsure.visit.presettled", visit_event(v, self_pay_fen=pre.self_pay_fen,
                                                                   counter_allowed=pre.counter_allowed))
    if pre.needs_confirmation:
        outbox.emit(session, "medinsure.confirmation.requested", _confirmation_event(v, pre))
    audit.record(session, actor=actor or v.institution_org_id, action="medinsure.visit.presettle",
                 subject_citizen_id=v.citizen_id, resource=f"medinsure/visit/{v.visit_id}",
                 reason="医保预结算 (pre-settled the bill)", on_behalf_of=v.institution_org_id)
    return pre


def presettle(session: Session, *, institution_org_id: str, visit_id: str, family_payers: list[str] | None = None,
              actor: Any = None) -> PresettlementOut:
    """The split per line and per payer; the citizen is asked to confirm unless the counter may settle."""
    v, ins = locked_visit(session, visit_id, institution_org_id=institution_org_id)
    return presettle_visit(session, v, family_payers=family_payers, actor=actor, insured=ins)


def quote(session: Session, *, citizen_id: str, visit_id: str, family_payers: list[str] | None = None,
          pay_later: bool = False) -> PresettlementOut:
    """What confirming with these choices would settle (read only), for the confirmation screen."""
    v = _citizen_visit(session, citizen_id, visit_id, lock=False)
    if v.status != PRESETTLED:
        raise VisitStateInvalid(detail=f"the visit is {v.status}")
    ins = insured_by_row_id(session, v.insured_row_id)
    chosen = _family_payers(v, family_payers)
    comp = compute(session, v, ins, family_payers=chosen, pay_later=pay_later, for_update=False,
                   payer_citizen_id=citizen_id)
    return presettlement_out(v, ins, comp, counter_allowed=False)


def _citizen_visit(session: Session, citizen_id: str, visit_id: str, *, lock: bool) -> MedVisit:
    v = visit_row(session, visit_id, lock=lock)
    if v.confirmer_id != citizen_id and not may_act_for(session, citizen_id=citizen_id,
                                                        subject_citizen_id=v.citizen_id):
        raise VisitNotFound()
    return v


def pending_confirmations(session: Session, *, citizen_id: str) -> list[VisitOut]:
    """Visits waiting for this citizen's confirmation, newest first (with total and each payer's share)."""
    rows = session.scalars(select(MedVisit).where(MedVisit.confirmer_id == citizen_id, MedVisit.status == PRESETTLED)
                           .order_by(MedVisit.id.desc()).limit(50))
    return [visit_out(session, v) for v in rows]


# --- settling ------------------------------------------------------------------------------------


def _check_available(session: Session, comp: Computation) -> None:
    """Refuse cleanly before writing anything when a payer with a limit cannot pay its share (the ledger
    would refuse too; this names the payer)."""
    for payer, fen in comp.allocation.totals.items():
        if payer in (rules.FUND, rules.CREDIT_LINE) or payer.startswith("commercial:"):
            continue
        available = comp.balances.get(payer)  # read moments ago in this transaction by `compute`
        if available is None:
            available = ledger.balance(session, comp.accounts[payer]).available_balance
        if available < fen:
            raise BalanceInsufficient(detail=f"{payer} cannot pay {fen} fen", payer=payer)


def settlement_by_visit(session: Session, v: MedVisit) -> MedSettlement | None:
    return session.scalars(select(MedSettlement).where(MedSettlement.visit_row_id == v.id)).one_or_none()


def _settle(session: Session, v: MedVisit, *, channel: str, confirmed_by: str, family_payers: list[str],
            pay_later: bool, actor: Any, insured: MedInsured | None = None) -> SettlementOut:
    ins = insured or insured_by_row_id(session, v.insured_row_id)
    comp = compute(session, v, ins, family_payers=family_payers, pay_later=pay_later, for_update=True,
                   payer_citizen_id=confirmed_by)
    pre = v.presettlement or {}
    if list(pre.get("family_payers", [])) == family_payers and bool(pre.get("pay_later")) == pay_later:
        shown = {p["payer"]: p["fen"] for p in pre.get("payers", [])}
        if shown != dict(comp.allocation.totals):
            raise PresettlementStale(payers=dict(comp.allocation.totals), shown=shown)
    if channel == "counter" and not counter_allowed(session, v, comp):
        raise CounterNotAllowed(detail="the self-pay is above the citizen's small-amount limit"
                                if v.counter_consent else "the code carried no counter consent")
    _check_available(session, comp)

    now = clock.now()
    settlement_id = new_id("stl")
    totals = dict(comp.allocation.totals)
    by_cat = totals_by_category(totals)
    receipt = build_receipt(session, settlement_id, v, ins, comp, now)
    s = MedSettlement(
        settlement_id=settlement_id, visit_row_id=v.id, institution_org_id=v.institution_org_id,
        citizen_id=v.citizen_id, policy_key=comp.split.policy_key, year=comp.policy.year, day=comp.day,
        channel=channel, confirmed_by=confirmed_by, split={"lines": [ln.to_json() for ln in comp.split.lines]},
        shares=[list(x) for x in shares_of(comp.allocation)],
        payers={p: {"account": comp.accounts[p], "fen": fen} for p, fen in totals.items()},
        covers={c.payer: {"product_id": cover.product_id, "covers_outside": cover.covers_outside,
                          "total_fen": cover.total_fen,
                          "per_line": {str(k): list(x) for k, x in cover.per_line.items()},
                          "after": {"year": cover.accumulators_after.year,
                                    "deductible_used_fen": cover.accumulators_after.deductible_used_fen,
                                    "paid_fen": cover.accumulators_after.paid_fen}}
                for c, cover in comp.covers if cover.per_line},
        total_fen=comp.split.total_fen, fund_fen=by_cat["fund"], personal_fen=by_cat["personal"],
        commercial_fen=by_cat["commercial"], self_fen=by_cat["self"], refunded_fen=0, status="settled",
        receipt=receipt, receipt_signature=signing_key.sign(canonical(receipt)), settled_at=now)
    session.add(s)
    assert comp.acc_row is not None
    store_accumulators(comp.acc_row, comp.split.accumulators_after, settlements_delta=1)
    for c, cover in comp.covers:
        if cover.accumulators_after != c.acc.for_year(comp.policy.year):
            commercial.record_claim(session, payer=c.payer, settlement_ref=settlement_id, cover=cover)
    credit = totals.get(rules.CREDIT_LINE, 0)
    if credit:
        paylater.open_debt(session, citizen_id=confirmed_by, settlement_ref=settlement_id, amount_fen=credit)
    v.status = SETTLED
    v.updated_at = now
    session.flush()
    outbox.emit(session, "medinsure.settlement.settled", visit_event(
        v, settlement_id=settlement_id, policy_key=s.policy_key, channel=channel, confirmed_by=confirmed_by,
        payers=totals, fund_fen=s.fund_fen, personal_fen=s.personal_fen, commercial_fen=s.commercial_fen,
        self_fen=s.self_fen, day=s.day.isoformat()))
    target = institution_account_id(session, v.institution_org_id)
    specs = [TransferSpec(transfer_id=f"{settlement_id}:{i}", debit=comp.accounts[p], credit=target, amount=fen,
                          code=SETTLE_CODE, ref=settlement_id)
             for i, (p, fen) in enumerate(sorted(totals.items())) if fen > 0]
    # The audit chain's head and the HOT accounts are shared by every settlement: take them last (the
    # chain, then the ledger group, as refunds do), so they are held only until the commit.
    audit.record(session, actor=actor or confirmed_by, action=f"medinsure.settle.{channel}",
                 subject_citizen_id=v.citizen_id, resource=f"medinsure/settlement/{settlement_id}",
                 reason="确认医保结算 (confirmed the medical-insurance settlement)" if channel == "app"
                 else "窗口医保结算（已获授权） (settled at the counter with the citizen's consent)",
                 on_behalf_of=v.citizen_id if confirmed_by != v.citizen_id else None)
    transfer_all(session, specs)
    return settlement_out(session, s, v)


def confirm(session: Session, *, citizen_id: str, visit_id: str, pay_later: bool = False,
            family_payers: list[str] | None = None) -> SettlementOut:
    """The citizen (or a relative with pay_medical) confirms in the app: the bill is settled now."""
    v = _citizen_visit(session, citizen_id, visit_id, lock=True)
    done = settlement_by_visit(session, v) if v.status != PRESETTLED else None  # settling sets the status
    if done is not None:
        return settlement_out(session, done, v)
    if v.status != PRESETTLED:
        raise VisitStateInvalid(detail=f"the visit is {v.status}")
    chosen = _family_payers(v, family_payers)
    return _settle(session, v, channel="app", confirmed_by=citizen_id, family_payers=chosen, pay_later=pay_later,
                   actor=citizen_id)


def settle(session: Session, *, institution_org_id: str, visit_id: str, counter: bool = True,
           actor: Any = None) -> SettlementOut:
    """The institution settles at the counter (the code carried consent, the self-pay is within the
    limit); settling a settled visit returns its settlement."""
    v, ins = locked_visit(session, visit_id, institution_org_id=institution_org_id)
    done = settlement_by_visit(session, v) if v.status != PRESETTLED else None  # settling sets the status
    if done is not None:
        return settlement_out(session, done, v)
    if v.status != PRESETTLED:
        raise VisitStateInvalid(detail=f"the visit is {v.status}; pre-settle first")
    if not counter:
        raise CounterNotAllowed()
    chosen = _family_payers(v, None)
    return _settle(session, v, channel="counter", confirmed_by=v.confirmer_id, family_payers=chosen,
                   pay_later=False, actor=actor or institution_org_id, insured=ins)


# --- reading -------------------------------------------------------------------------------------

def settlement_out(session: Session, s: MedSettlement, v: MedVisit | None = None) -> SettlementOut:
    v = v or session.get(MedVisit, s.visit_row_id)
    assert v is not None
    refunded = sorted(session.scalars(select(MedRefundedLine.line_no).where(
        MedRefundedLine.settlement_row_id == s.id))) if s.refunded_fen else []
    return SettlementOut(
        settlement_id=s.settlement_id, visit_id=v.visit_id, institution_org_id=s.institution_org_id,
        policy_key=s.policy_key, channel=s.channel, total_fen=s.total_fen, fund_fen=s.fund_fen,  # type: ignore[arg-type]
        personal_fen=s.personal_fen, commercial_fen=s.commercial_fen, self_fen=s.self_fen,
        refunded_fen=s.refunded_fen, status=s.status,
        payers=[payer_out(p, int(x["fen"])) for p, x in s.payers.items()],
        lines=line_outs(list(s.split["lines"]), [(str(a), int(b), int(c)) for a, b, c in s.shares]),
        refunded_lines=refunded, receipt=s.receipt, receipt_signature=s.receipt_signature, settled_at=s.settled_at)


def get_settlement(session: Session, *, settlement_id: str, institution_org_id: str | None = None,
                   citizen_id: str | None = None) -> SettlementOut:
    s = session.scalars(select(MedSettlement).where(MedSettlement.settlement_id == settlement_id)).one_or_none()
    if s is None or (institution_org_id is not None and s.institution_org_id != institution_org_id):
        raise SettlementNotFound()
    v = session.get(MedVisit, s.visit_row_id)
    assert v is not None
    if citizen_id is not None and citizen_id not in (v.citizen_id, v.confirmer_id, s.confirmed_by):
        raise SettlementNotFound()
    return settlement_out(session, s, v)


def settlement_for_visit(session: Session, *, visit_id: str, institution_org_id: str | None = None,
                         citizen_id: str | None = None) -> SettlementOut:
    v = visit_row(session, visit_id, institution_org_id=institution_org_id, citizen_id=citizen_id)
    s = settlement_by_visit(session, v)
    if s is None:
        raise SettlementNotFound()
    return settlement_out(session, s, v)

