"""The merchant console in a real browser: a merchant's staff member signs in, sees an order a citizen
paid, refunds part of it, downloads yesterday's reconciliation file and reads the notification log
(the notifications went to a real local receiver that failed once, then acknowledged)."""

from __future__ import annotations

import csv
import io
from datetime import datetime, time, timedelta
from pathlib import Path

import pytest

from onecity import clock, outbox
from onecity.app import load_subscribers
from onecity.clock import CITY_TZ
from onecity.db import transaction
from onecity.payments.trade import service as trade
from onecity.payments.wallet import service as wallet
from tests.e2e.steps import sign_in, top_shot
from tests.identity.orgs.factories import make_staff
from tests.payments.trade.factories import make_buyer, make_merchant
from tests.payments.trade.receiver import Receiver

pytestmark = pytest.mark.e2e


def test_staff_refunds_part_of_an_order_and_reads_settlements_and_notifications(desk, tmp_path: Path):
    receiver = Receiver([(500, "busy"), (200, "success")])
    yesterday = clock.today_local().date() - timedelta(days=1)
    try:
        # Yesterday a citizen paid 58.00 for a thermos, settled today (T+1); today she bought a lunch box
        # for 36.00, and comes back for part of it (the merchant refunds from today's takings).
        clock.freeze(datetime.combine(yesterday, time(10, 30), tzinfo=CITY_TZ))
        with transaction() as s:
            m = make_merchant(s, name="福田便利店")
            make_staff(s, m, roles=["owner"], username="futian.boss", name="陈店长")
            trade.update_profile(s, merchant_id=m.public_id, actor="test", bank_account="6222020200112233445",
                                 holder_name="福田便利店", notify_url=receiver.url)
            buyer = make_buyer(s, balance=20_000)
            o = trade.create_order(s, merchant_id=m.public_id, out_trade_no="FT-20261125-001", amount=5_800,
                                   subject="不锈钢保温杯")
            trade.pay_as_citizen(s, citizen_id=buyer.public_id, trade_no=o.trade_no)
            merchant_id, buyer_id, trade_no = m.public_id, buyer.public_id, o.trade_no
        clock.freeze(datetime.combine(yesterday + timedelta(days=1), time(9, 0), tzinfo=CITY_TZ))
        with transaction() as s:
            trade.settle_day(s, merchant_id=merchant_id, day=yesterday)
            today = trade.create_order(s, merchant_id=merchant_id, out_trade_no="FT-TODAY-002", amount=3_600,
                                       subject="便当盒")
            trade.pay_as_citizen(s, citizen_id=buyer_id, trade_no=today.trade_no)
        load_subscribers()
        outbox.run_once()
        trade.deliver_due()  # the receiver is busy for the first one (HTTP 500), then acknowledges
        clock.advance(timedelta(seconds=20))
        trade.deliver_due()  # the first one again: acknowledged

        desk.goto("/console/trade/orders")
        assert "/console/login" in desk.url
        sign_in(desk, "futian.boss")
        desk.wait_for_url("**/console/trade/orders")
        row = desk.locator(f'[data-testid="order-row"][data-trade-no="{trade_no}"]')
        assert "FT-20261125-001" in row.inner_text() and "¥58.00" in row.inner_text()
        assert row.get_by_test_id("order-status").inner_text() == "支付成功"
        top_shot(desk, "merchant-console-orders")

        today_row = desk.locator(f'[data-testid="order-row"][data-trade-no="{today.trade_no}"]')
        today_row.get_by_test_id("order-link").click()
        desk.wait_for_url(f"**/console/trade/orders/{today.trade_no}")
        desk.get_by_test_id("refund-amount").fill("18.00")
        desk.get_by_test_id("refund-reason").fill("杯盖有划痕")
        desk.get_by_test_id("refund-submit").click()
        assert desk.get_by_test_id("notice").inner_text() == "退款成功，资金已原路退回买家钱包"
        assert desk.get_by_test_id("order-refunded").inner_text() == "¥18.00"
        assert desk.get_by_test_id("order-status").inner_text() == "支付成功"
        assert "杯盖有划痕" in desk.get_by_test_id("refunds-table").inner_text()
        top_shot(desk, "merchant-console-refunded")
        with transaction() as s:
            assert wallet.wallet_balance(s, buyer_id) == 20_000 - 5_800 - 3_600 + 1_800

        desk.get_by_test_id("nav-trade-settlements").click()
        srow = desk.locator(f'[data-testid="settlement-row"][data-date="{yesterday.isoformat()}"]')
        # 58.00 less the fee 5800 × 38 / 10000 = 22.04 → 0.22: 57.78 paid out.
        assert srow.get_by_test_id("settlement-payout").inner_text().startswith("¥57.78")
        assert desk.get_by_test_id("bank-masked").inner_text() == "**** **** **** 3445"
        top_shot(desk, "merchant-console-settlements")
        with desk.expect_download() as dl:
            srow.get_by_test_id("settlement-file").click()
        path = tmp_path / "reconciliation.csv"
        dl.value.save_as(str(path))
        rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
        assert rows[0][0] == "type" and rows[1][:4] == ["payment", rows[1][1], trade_no, "FT-20261125-001"]
        total = next(r for r in rows if r[0] == "total")
        assert total[6:] == ["58.00", "0.22", "57.78"]

        desk.get_by_test_id("nav-trade-notifications").click()
        nrow = desk.locator('[data-testid="notification-row"]').last  # the oldest: the payment's
        assert nrow.get_by_test_id("notification-status").inner_text() == "已送达"
        attempts = nrow.get_by_test_id("attempt").all_inner_texts()
        assert len(attempts) == 2 and "500" in attempts[0] and "busy" in attempts[0] and "200" in attempts[1]
        top_shot(desk, "merchant-console-notifications")

        desk.get_by_test_id("nav-trade-qr").click()
        assert desk.get_by_test_id("qr-payload").inner_text().startswith("000201")
        # The PNG is a request of its own: wait for it to load rather than read it mid-flight.
        desk.wait_for_function("() => { const i = document.querySelector('[data-testid=qr-image]');"
                               " return i && i.complete && i.naturalWidth > 0; }", timeout=15000)
        top_shot(desk, "merchant-console-qr")
        desk.get_by_test_id("nav-trade-gateway").click()  # the open-API apps are one click from every console page
        desk.wait_for_url("**/console/gateway")
        assert all(receiver.verified)
    finally:
        receiver.close()


def test_a_cashier_on_a_phone_sees_todays_orders(page):
    """390×844: the console's order list and order page stay usable on a phone; cashiers cannot refund."""
    with transaction() as s:
        m = make_merchant(s, name="南山早餐店")
        make_staff(s, m, roles=["cashier"], username="nanshan.cashier", name="王收银")
        buyer = make_buyer(s, balance=5_000)
        o = trade.create_order(s, merchant_id=m.public_id, out_trade_no="NS-0001", amount=1_250, subject="豆浆油条")
        trade.pay_as_citizen(s, citizen_id=buyer.public_id, trade_no=o.trade_no)
    page.goto("/console/trade/orders")
    sign_in(page, "nanshan.cashier")
    page.wait_for_url("**/console/trade/orders")
    assert "豆浆油条" in page.get_by_test_id("orders-table").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390 + 1  # no sideways scrolling
    top_shot(page, "merchant-console-orders-phone")
    page.get_by_test_id("order-link").first.click()
    assert page.get_by_test_id("order-amount").inner_text() == "¥12.50"
    assert page.get_by_test_id("refund-form").count() == 0
    assert page.get_by_test_id("nav-trade-settlements").count() == 0
    top_shot(page, "merchant-console-order-phone")
