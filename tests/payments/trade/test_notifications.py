"""Asynchronous notifications against a real local HTTP receiver (a thread running a small server)
that verifies the RSA2 signature with the platform's public key, fails at first, then acknowledges."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from onecity import clock, outbox
from onecity.app import load_subscribers
from onecity.crypto import rsa2
from onecity.payments.trade import service as trade
from onecity.payments.trade.service import notifications
from tests.payments.trade.factories import make_buyer, make_merchant
from tests.payments.trade.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver([(500, "fail"), (200, "success")])
    yield r
    r.close()


def _paid_order(session, url: str, amount: int = 1234):
    m = make_merchant(session)
    buyer = make_buyer(session, balance=10_000)
    o = trade.create_order(session, merchant_id=m.public_id, out_trade_no="N-1", amount=amount, subject="通知测试",
                           notify_url=url)
    trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    session.commit()
    load_subscribers()
    outbox.run_once()
    return m, buyer, o


def test_paid_notification_is_retried_until_acknowledged(session, receiver):
    m, buyer, o = _paid_order(session, receiver.url)
    assert trade.deliver_due() == {"delivered": 0, "failed": 1, "dead": 0, "skipped": 0}
    assert trade.deliver_due()["failed"] == 0  # the next attempt is 15 s later
    clock.advance(timedelta(seconds=16))
    assert trade.deliver_due()["delivered"] == 1
    assert len(receiver.received) == 2 and all(receiver.verified)
    form = receiver.received[-1]
    assert form["notify_type"] == "trade_status_sync" and form["sign_type"] == "RSA2" and form["charset"] == "utf-8"
    assert form["trade_status"] == "TRADE_SUCCESS" and form["total_amount"] == "12.34"
    assert form["receipt_amount"] == form["buyer_pay_amount"] == "12.34"
    assert form["trade_no"] == o.trade_no and form["out_trade_no"] == "N-1" and form["buyer_id"] == buyer.public_id
    assert form["subject"] == "通知测试" and form["gmt_payment"] and form["notify_time"]
    assert "" not in form.values()  # empty fields are never sent
    # The two attempts carry the same notify_id.
    assert receiver.received[0]["notify_id"] == form["notify_id"]
    # Tampering breaks the signature.
    assert not rsa2.verify_params({**form, "total_amount": "99.99"}, rsa2.platform_public_pem())

    items, _ = trade.list_notifications(session, merchant_id=m.public_id)
    assert len(items) == 1 and items[0].status == "delivered" and items[0].attempts == 2
    first, second = items[0].log
    assert (first.status_code, first.response_excerpt, first.succeeded) == (500, "fail", False)
    assert first.error == "HTTP 500"
    assert (second.status_code, second.response_excerpt, second.succeeded) == (200, "success", True)
    assert second.attempted_at - first.attempted_at >= timedelta(seconds=15)


def test_refund_notification_carries_the_refund(session, receiver):
    receiver.replies = [(200, "success")]
    m, buyer, o = _paid_order(session, receiver.url, amount=1000)
    trade.refund(session, merchant_id=m.public_id, trade_no=o.trade_no, refund_amount=1000, out_request_no="r1")
    session.commit()
    outbox.run_once()
    assert trade.deliver_due()["delivered"] == 2
    refund_form = next(f for f in receiver.received if "refund_fee" in f)
    assert refund_form["refund_fee"] == "10.00" and refund_form["out_biz_no"] == "r1"
    assert refund_form["trade_status"] == "TRADE_CLOSED" and refund_form["gmt_refund"]
    assert all(receiver.verified)


def test_only_exactly_success_acknowledges_and_the_schedule_ends_dead(session):
    r = Receiver([(200, "ok")])
    try:
        m, _, _ = _paid_order(session, r.url)
        for delay in notifications.SCHEDULE:
            assert trade.deliver_due()["failed"] == 1
            clock.advance(delay + timedelta(seconds=1))
        assert trade.deliver_due()["dead"] == 1
        items, _ = trade.list_notifications(session, merchant_id=m.public_id)
        assert items[0].status == "dead" and items[0].attempts == notifications.MAX_ATTEMPTS == 10
        assert items[0].log[0].error == "the response body was not exactly 'success'"
        # The merchant fixes its endpoint and asks for it again from the console.
        r.replies = [(200, "success")]
        r.received.clear()
        trade.resend(session, merchant_id=m.public_id, notify_id=items[0].notify_id)
        session.commit()
        assert trade.deliver_due()["delivered"] == 1
    finally:
        r.close()


def test_unreachable_endpoint_is_logged(session):
    r = Receiver([(200, "success")])
    url = r.url
    r.close()  # nobody listens there any more
    m, _, _ = _paid_order(session, url)
    assert trade.deliver_due()["failed"] == 1
    items, _ = trade.list_notifications(session, merchant_id=m.public_id)
    assert items[0].log[0].status_code is None and "Connect" in (items[0].log[0].error or "")


def test_one_notification_per_event(session):
    m = make_merchant(session)
    trade.update_profile(session, merchant_id=m.public_id, actor="test", notify_url="http://127.0.0.1:9/n")
    buyer = make_buyer(session, balance=1_000)
    o = trade.create_order(session, merchant_id=m.public_id, out_trade_no="D-1", amount=100, subject="x")
    trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    ev = session.scalars(select(outbox.OutboxEvent).where(outbox.OutboxEvent.topic == "trade.paid")).one()
    event = outbox.Event(ev.event_id, ev.topic, dict(ev.payload), ev.created_at)
    first = trade.enqueue(session, event)
    trade.enqueue(session, event)  # the outbox delivered the event again
    items, _ = trade.list_notifications(session, merchant_id=m.public_id)
    assert [i.notify_id for i in items] == [first]
    assert items[0].url == "http://127.0.0.1:9/n"  # the merchant's default notify URL
