"""Trade's periodic jobs as the worker runs them (`jobs.run_due`): expired orders are closed, due
notifications delivered, yesterday settled."""

from __future__ import annotations

from datetime import timedelta

from onecity import clock, jobs, outbox
from onecity.app import load_subscribers
from onecity.payments.trade import service as trade
from tests.payments.trade.factories import make_buyer, make_merchant
from tests.payments.trade.receiver import Receiver


def test_the_worker_runs_trade_jobs(session):
    load_subscribers()
    r = Receiver([(200, "success")])
    try:
        m = make_merchant(session)
        buyer = make_buyer(session, balance=1_000)
        trade.create_order(session, merchant_id=m.public_id, out_trade_no="J-1", amount=100, subject="过期",
                           timeout_minutes=1)
        o = trade.create_order(session, merchant_id=m.public_id, out_trade_no="J-2", amount=300, subject="通知",
                               notify_url=r.url)
        trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
        session.commit()
        outbox.run_once()
        clock.advance(timedelta(minutes=2))
        ran = jobs.run_due()
        assert ran["trade.expire_orders"] == "1"
        assert "'delivered': 1" in ran["trade.deliver_notifications"]
        assert ran["trade.settle"] == "{'settled': 1, 'failed': 0}"
        assert trade.query(session, merchant_id=m.public_id, out_trade_no="J-1").status == "TRADE_CLOSED"
        assert len(r.received) == 1 and r.verified == [True]
    finally:
        r.close()
