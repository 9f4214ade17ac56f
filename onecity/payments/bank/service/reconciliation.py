"""Daily reconciliation (对账): the bank's statement for a business day against our instructions.

For each statement line (a request the bank completed that day) and each instruction we recorded as
succeeded on that bank day:
- both agree on the request and the amount: matched;
- the bank completed it, we still wait (callback lost, query not yet due): resolved here by applying
  the success (safe: the statement is the bank's record that the money moved);
- the bank completed it, we recorded a failure (and voided the hold): open — money moved at the bank
  that our books released; a person must refund or re-book it;
- amounts differ: open;
- we recorded success, the bank's statement does not have it: open;
- the bank has a request we never sent: open.
Each run is kept (`bank_reconciliation_run`, `_item`); `onecity bank reconcile --date` runs one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.db import transaction
from onecity.ids import new_id
from onecity.payments.bank.models import BankInstruction, BankReconciliationItem, BankReconciliationRun
from onecity.payments.bank.schemas import ReconciliationItemOut, ReconciliationOut
from onecity.payments.bank.service.channel import BankResult
from onecity.payments.bank.service.instructions import ACTIVE, _locked, channel, finish


def reconcile(*, day: date, actor: str = "worker") -> ReconciliationOut:
    """Fetch the bank's statement for `day` (outside any transaction), then compare and record."""
    ch = channel()
    lines = ch.statement(day)
    with transaction() as s:
        run = BankReconciliationRun(public_id=new_id("brc"), business_date=day, channel=ch.name,
                                    started_at=clock.now(), statement_lines=len(lines))
        s.add(run)
        s.flush()
        items: list[BankReconciliationItem] = []

        def item(kind: str, resolution: str, detail: str, inst: BankInstruction | None = None,
                 bank_ref: str | None = None, bank_amount: int | None = None) -> None:
            items.append(BankReconciliationItem(
                run_id=run.id, kind=kind, instruction_id=inst.public_id if inst else None,
                bank_ref=bank_ref or (inst.bank_ref if inst else None), our_amount=inst.amount if inst else None,
                bank_amount=bank_amount, resolution=resolution, detail=detail))

        seen: set[str] = set()
        for line in lines:
            seen.add(line.request_id)
            inst = _locked(s, line.request_id)
            if inst is None:
                item("unknown_to_us", "open", "the bank completed a request OneCity never sent",
                     bank_ref=line.bank_ref, bank_amount=line.amount)
            elif inst.amount != line.amount:
                item("amount_mismatch", "open", f"ours {inst.amount} fen, the bank's {line.amount} fen ({inst.state})",
                     inst, line.bank_ref, line.amount)
            elif inst.state == "succeeded":
                run.matched += 1
            elif inst.state == "failed":
                item("bank_done_we_failed", "open",
                     f"the bank completed it; we recorded a failure ({inst.failure_code}) and released the hold",
                     inst, line.bank_ref, line.amount)
            elif inst.state in ACTIVE:
                finish(s, inst, BankResult(line.request_id, "succeeded", bank_ref=line.bank_ref, amount=line.amount,
                                           completed_at=line.completed_at, business_date=day),
                       source="reconciliation")
                item("bank_done_we_pending", "resolved", "the bank's statement shows it completed: posted",
                     inst, line.bank_ref, line.amount)
        ours = s.scalars(select(BankInstruction).where(BankInstruction.bank_date == day,
                                                       BankInstruction.state == "succeeded",
                                                       BankInstruction.channel == ch.name))
        for inst in ours:
            if inst.public_id not in seen:
                item("missing_at_bank", "open", "we recorded success; the bank's statement does not have it", inst)
        for it in items:
            s.add(it)
        run.resolved = sum(1 for it in items if it.resolution == "resolved")
        run.open = sum(1 for it in items if it.resolution == "open")
        audit.record(s, actor=actor, action="bank.reconcile", subject_citizen_id=None,
                     resource=f"bank_reconciliation/{run.public_id}",
                     reason=f"对账 {day.isoformat()} {ch.name}: {len(lines)} lines, {run.matched} matched, "
                            f"{run.resolved} resolved, {run.open} open")
        s.flush()
        return _run_out(s, run)


def _run_out(session: Session, run: BankReconciliationRun) -> ReconciliationOut:
    rows = session.scalars(select(BankReconciliationItem).where(BankReconciliationItem.run_id == run.id)
                           .order_by(BankReconciliationItem.id))
    return ReconciliationOut(
        run_id=run.public_id, business_date=run.business_date, channel=run.channel,
        statement_lines=run.statement_lines, matched=run.matched, resolved=run.resolved, open=run.open,
        items=[ReconciliationItemOut(kind=r.kind, instruction_id=r.instruction_id, bank_ref=r.bank_ref,  # type: ignore[arg-type]
                                     our_amount=r.our_amount, bank_amount=r.bank_amount,
                                     resolution=r.resolution, detail=r.detail)  # type: ignore[arg-type]
               for r in rows],
    )


def latest_run(session: Session, day: date) -> ReconciliationOut | None:
    run = session.scalars(select(BankReconciliationRun).where(BankReconciliationRun.business_date == day)
                          .order_by(BankReconciliationRun.id.desc())).first()
    return _run_out(session, run) if run else None
