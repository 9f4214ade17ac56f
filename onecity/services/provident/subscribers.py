"""The provident fund's reactions to other modules' events: a withdrawal's application rejected (by
staff or the automatic check) or withdrawn by the citizen releases the held amount back to the
account (the withdrawal is refused; a later resubmission is a new withdrawal); a payout to a bank
card the bank returned refuses the withdrawal (the bank channel has put the money back)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from onecity.outbox import Event, subscriber
from onecity.services.applications import service as applications
from onecity.services.provident import service

RELEASING = {"reject", "auto_reject", "withdraw"}


@subscriber(applications.TOPIC, name="services.provident.release_refused_withdrawals")
def release_when_refused(session: Session, event: Event) -> None:
    p = event.payload
    if not str(p.get("service_code", "")).startswith("hpf.withdraw.") or p.get("action") not in RELEASING:
        return
    service.release_for_application(session, application_id=str(p["application_id"]),
                                    reason=f"办件 {p.get('reference')} {p.get('action')}")


@subscriber("bank.payout.failed", name="services.provident.bank_returned")
def bank_returned(session: Session, event: Event) -> None:
    payout_id = str(event.payload.get("payout_id", ""))
    if payout_id.startswith("hpw_"):
        service.bank_returned(session, payout_id=payout_id,
                              reason=str(event.payload.get("failure_code") or event.payload.get("reason") or "failed"))
