"""The merchant console's trade pages through HTTP (the browser test is tests/e2e/test_merchant_console.py)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from onecity import clock
from onecity.clock import CITY_TZ
from onecity.payments.trade import service as trade
from onecity.payments.wallet import service as wallet
from tests.console_steps import console_login
from tests.identity.orgs.factories import make_org, make_staff
from tests.payments.trade.factories import make_buyer, make_merchant


def _field(html: str, name: str) -> str:
    m = re.search(rf'name="{name}" value="([^"]+)"', html)
    assert m, name
    return m.group(1)


def _paid(session, m, out_trade_no="SHOP-1", amount=5_000):
    buyer = make_buyer(session, balance=20_000)
    o = trade.create_order(session, merchant_id=m.public_id, out_trade_no=out_trade_no, amount=amount, subject="保温杯")
    trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    return buyer, o


def test_orders_filter_detail_and_refund_form(client, session):
    m = make_merchant(session)
    make_staff(session, m, roles=["finance"], username="shop.finance")
    buyer, o = _paid(session, m)
    trade.create_order(session, merchant_id=m.public_id, out_trade_no="SHOP-2", amount=100, subject="纸巾")
    session.commit()
    console_login(client, "shop.finance", next="/console/trade/orders")
    page = client.get("/console/trade/orders")
    assert page.status_code == 200 and "SHOP-1" in page.text and "SHOP-2" in page.text and "¥50.00" in page.text
    paid_only = client.get("/console/trade/orders?status=TRADE_SUCCESS")
    assert "SHOP-1" in paid_only.text and "SHOP-2" not in paid_only.text
    found = client.get("/console/trade/orders?q=SHOP-2")
    assert "SHOP-2" in found.text and "SHOP-1" not in found.text

    detail = client.get(f"/console/trade/orders/{o.trade_no}")
    assert detail.status_code == 200 and 'data-testid="refund-form"' in detail.text
    form = {"csrf": _field(detail.text, "csrf"), "out_request_no": _field(detail.text, "out_request_no"),
            "amount": "12.50", "reason": "杯盖破损"}
    r = client.post(f"/console/trade/orders/{o.trade_no}/refund", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    # The same form submitted twice refunds once.
    r2 = client.post(f"/console/trade/orders/{o.trade_no}/refund", data=form, follow_redirects=False)
    assert r2.status_code == 303
    assert wallet.wallet_balance(session, buyer.public_id) == 20_000 - 5_000 + 1_250
    session.rollback()
    after = client.get(f"/console/trade/orders/{o.trade_no}?done=refunded")
    assert "退款成功" in after.text and "杯盖破损" in after.text and "¥12.50" in after.text
    # Too much: the error in the page, nothing refunded.
    form2 = {**form, "out_request_no": _field(after.text, "out_request_no"), "amount": "37.51"}
    bad = client.post(f"/console/trade/orders/{o.trade_no}/refund", data=form2)
    assert bad.status_code == 409 and "退款金额超过可退金额" in bad.text
    # Without the form token: refused.
    assert client.post(f"/console/trade/orders/{o.trade_no}/refund", data={**form2, "csrf": "x"},
                       follow_redirects=False).status_code == 403


def test_cashier_cannot_refund_or_see_settlements(client, session):
    m = make_merchant(session)
    make_staff(session, m, roles=["cashier"], username="shop.cashier")
    _, o = _paid(session, m)
    session.commit()
    console_login(client, "shop.cashier", next="/console/trade/orders")
    detail = client.get(f"/console/trade/orders/{o.trade_no}")
    assert detail.status_code == 200 and 'data-testid="refund-form"' not in detail.text
    assert client.get("/console/trade/settlements", follow_redirects=False).status_code == 403


def test_settlements_page_and_csv_download(client, session):
    d = date(2026, 11, 25)
    clock.freeze(datetime(2026, 11, 25, 12, tzinfo=CITY_TZ))
    m = make_merchant(session)
    make_staff(session, m, roles=["finance"], username="shop.fin2")
    trade.update_profile(session, merchant_id=m.public_id, actor="test", bank_account="6222020200112233445",
                         holder_name=m.name_zh)
    _paid(session, m)
    clock.freeze(clock.now() + timedelta(days=1))
    trade.settle_day(session, merchant_id=m.public_id, day=d)
    session.commit()
    console_login(client, "shop.fin2", next="/console/trade/orders")
    page = client.get("/console/trade/settlements")
    assert page.status_code == 200 and "2026-11-25" in page.text and "**** **** **** 3445" in page.text
    assert "6222020200112233445" not in page.text  # the account number is never shown whole
    csv = client.get("/console/trade/settlements/2026-11-25/file")
    assert csv.status_code == 200 and csv.headers["content-type"].startswith("text/csv")
    assert csv.text.splitlines()[0].startswith("type,time,trade_no") and "total,2026-11-25" in csv.text


def test_settings_qr_and_notifications_pages(client, session):
    m = make_merchant(session)
    make_staff(session, m, roles=["owner"], username="shop.owner")
    session.commit()
    console_login(client, "shop.owner", next="/console/trade/orders")
    page = client.get("/console/trade/settings")
    r = client.post("/console/trade/settings", data={"csrf": _field(page.text, "csrf"), "bank_account": "6222 0202 0011 2233 445",
                                                      "holder_name": "福田便利店", "notify_url": "https://shop.example/notify"},
                    follow_redirects=False)
    assert r.status_code == 303
    saved = client.get("/console/trade/settings?done=saved")
    assert "**** **** **** 3445" in saved.text and "https://shop.example/notify" in saved.text
    bad = client.post("/console/trade/settings", data={"csrf": _field(page.text, "csrf"), "notify_url": "ftp://x"})
    assert bad.status_code == 422 and "通知地址" in bad.text
    qr = client.get("/console/trade/qr")
    assert qr.status_code == 200 and "000201" in qr.text
    png = client.get("/console/trade/qr.png")
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    svg = client.get("/console/trade/qr.svg")
    assert svg.status_code == 200 and b"<svg" in svg.content
    assert client.get("/console/trade/notifications").status_code == 200


def test_other_organisations_staff_are_refused(client, session):
    hospital = make_org(session, kind="hospital")
    make_staff(session, hospital, roles=["reviewer"], username="hosp.reviewer")
    session.commit()
    console_login(client, "hosp.reviewer", next="/console/trade/orders")
    assert client.get("/console/trade/orders", follow_redirects=False).status_code == 403


def test_the_console_home_of_a_merchant_links_to_its_orders(client, session):
    m = make_merchant(session)
    make_staff(session, m, roles=["cashier"], username="shop.cashier2")
    session.commit()
    console_login(client, "shop.cashier2", next="/console/trade/orders")
    home = client.get("/console")
    assert 'href="/console/trade/orders"' in home.text
