"""Trade's outbox subscribers: record the merchant's asynchronous notification for each trade event
(delivered later by the job `trade.deliver_notifications`), and follow the bank's outcome of
settlement payouts."""

from __future__ import annotations

from sqlalchemy.orm import Session

from onecity.outbox import Event, subscriber
from onecity.payments.trade import service


@subscriber(*service.notifications.TOPICS, name="trade.notify")
def record_notification(session: Session, event: Event) -> None:
    service.enqueue(session, event)


@subscriber("bank.payout.succeeded", "bank.payout.failed", name="trade.settlement_payout")
def settlement_payout(session: Session, event: Event) -> None:
    if event.payload.get("purpose") != service.PAYOUT_PURPOSE:
        return
    service.payout_finished(session, payout_id=str(event.payload.get("payout_id")),
                            succeeded=event.topic.endswith(".succeeded"))
