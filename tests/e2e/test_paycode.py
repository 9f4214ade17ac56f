"""The payment code in a real browser: the QR and barcode the page draws (decoded from screenshots
with zxing-cpp) are the code the server accepts that minute, they change with the minute, a merchant
paying with the code shows up on the page, and a payment above the small-amount limit waits for the
citizen's confirmation there."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from onecity import clock
from onecity.db import transaction
from onecity.identity.sessions import create_session
from onecity.payments.trade import service as trade
from onecity.payments.wallet import service as wallet
from tests.e2e.conftest import shot
from tests.payments.trade.factories import make_buyer, make_merchant

pytestmark = pytest.mark.e2e

T0 = datetime(2026, 11, 26, 2, 30, 5, tzinfo=UTC)  # 10:30:05 in Shanghai, 5 s into a minute


def decode(png: bytes, fmt: Any) -> str:
    results = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormats(fmt))
    assert results, f"no {fmt} found in the screenshot"
    return str(results[0].text)


@pytest.fixture
def shop() -> Iterator[dict[str, Any]]:
    clock.freeze(T0)
    with transaction() as s:
        merchant = make_merchant(s, name="城东便利店")
        buyer = make_buyer(s, balance=50_000)  # 500.00 yuan
        token, _ = create_session(
            s, kind="citizen", subject_id=buyer.public_id, credential="cookie", label="e2e"
        )
        ids = {"merchant": merchant.public_id, "buyer": buyer.public_id, "token": token}
    yield ids
    clock.reset()


@pytest.fixture
def phone(browser: Any, live_server: str, shop: dict[str, Any]) -> Iterator[Any]:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN", base_url=live_server
    )
    ctx.add_cookies([{"name": "oc_session", "value": shop["token"], "url": live_server}])
    page = ctx.new_page()
    page.clock.install(time=T0)
    yield page
    ctx.close()


def shown_code(page: Any) -> str:
    qr = decode(page.get_by_test_id("paycode-qr").screenshot(), zxingcpp.BarcodeFormat.QRCode)
    bar = decode(page.get_by_test_id("paycode-barcode").screenshot(), zxingcpp.BarcodeFormat.Code128)
    assert qr == bar
    return qr


def test_code_on_the_page_is_what_the_server_accepts_and_changes_each_minute(
    phone: Any, shop: dict[str, Any]
) -> None:
    page = phone
    page.goto("/app/pay")
    page.wait_for_function("document.body.dataset.paycodeStep")
    first = shown_code(page)
    shot(page, "paycode-01-code")
    assert len(first) == 18 and first.startswith("28")
    assert page.get_by_test_id("paycode-digits").get_attribute("data-code") == first
    assert "小额免密：200.00 元以内无需确认" in page.get_by_test_id("limit-note").inner_text()

    # A minute later (the page's clock and the server's), the page draws the next code — offline:
    # the phone computes it from the secret, without the network.
    page.context.set_offline(True)
    page.clock.fast_forward("01:00")
    clock.advance(timedelta(minutes=1))
    page.wait_for_function(f"document.getElementById('paycode-digits').dataset.code !== '{first}'")
    second = shown_code(page)
    assert second != first and second[:10] == first[:10]  # same device number, new TOTP digits
    page.context.set_offline(False)

    # The first code is still inside the skew window but a merchant pays with the current one: 12.00.
    with transaction() as s:
        order = trade.pay_by_code(
            s,
            merchant_id=shop["merchant"],
            out_trade_no="E2E-1",
            amount=1200,
            subject="牛奶",
            auth_code=second,
        )
    assert order.status == "TRADE_SUCCESS"
    used = page.get_by_test_id("paycode-used")
    page.clock.run_for(2500)  # the page polls every 2 s
    used.wait_for(timeout=10_000)
    assert "城东便利店" in used.inner_text()
    shot(page, "paycode-02-scanned")
    # The same code again: refused, the money moved once. 500.00 − 12.00 = 488.00.
    with transaction() as s, pytest.raises(Exception) as info:
        trade.pay_by_code(
            s,
            merchant_id=shop["merchant"],
            out_trade_no="E2E-2",
            amount=1200,
            subject="牛奶",
            auth_code=second,
        )
    assert getattr(info.value, "code", "") == "payment_code_used"
    with transaction() as s:
        assert wallet.wallet_balance(s, shop["buyer"]) == 48_800


def test_payment_above_the_limit_waits_for_confirmation_on_the_page(phone: Any, shop: dict[str, Any]) -> None:
    page = phone
    page.goto("/app/pay")
    page.wait_for_function("document.body.dataset.paycodeStep")
    code = shown_code(page)
    with transaction() as s:  # 300.00 > 200.00
        order = trade.pay_by_code(
            s,
            merchant_id=shop["merchant"],
            out_trade_no="E2E-BIG",
            amount=30_000,
            subject="电饭煲",
            auth_code=code,
        )
    assert order.status == "WAIT_BUYER_PAY"
    page.clock.run_for(2500)  # the poll sees the pending payment and reloads the page
    row = page.get_by_test_id("pending-row")
    row.wait_for(timeout=10_000)
    assert "300.00" in row.inner_text() and "城东便利店" in row.inner_text()
    shot(page, "paycode-03-pending")
    page.get_by_test_id(f"confirm-{order.trade_no}").click()
    result = page.get_by_test_id("pay-result")
    assert result.get_attribute("data-status") == "TRADE_SUCCESS"
    assert "300.00" in page.get_by_test_id("result-amount").inner_text()
    shot(page, "paycode-04-confirmed")
    with transaction() as s:  # 500.00 − 300.00 = 200.00
        assert wallet.wallet_balance(s, shop["buyer"]) == 20_000
        assert trade.query(s, merchant_id=shop["merchant"], out_trade_no="E2E-BIG").status == "TRADE_SUCCESS"


def test_small_amount_limit_page_in_english(phone: Any, shop: dict[str, Any]) -> None:
    page = phone
    page.goto("/app/pay/settings?lang=en")
    assert "200.00" in page.get_by_test_id("current-limit").inner_text()
    page.get_by_test_id("limit-input").fill("0")
    page.get_by_test_id("limit-save").click()
    assert page.get_by_test_id("notice").inner_text() == "Saved"
    assert "0.00" in page.get_by_test_id("current-limit").inner_text()
    page.goto("/app/pay")
    assert page.get_by_test_id("limit-note").inner_text() == "Every payment needs your confirmation"
    shot(page, "paycode-05-settings-en")


def test_javascript_fallback_sha256_and_hmac_match_the_standards(phone: Any) -> None:
    """Without Web Crypto (plain http on a LAN) the page uses its own SHA-256: FIPS 180-2 and RFC 4231."""
    page = phone
    page.goto("/app/pay")
    page.wait_for_function("document.body.dataset.paycodeStep")
    hexes = page.evaluate("""() => {
        const enc = (s) => new TextEncoder().encode(s);
        const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
        const P = window.OneCityPaycode;
        return [
            hex(P.sha256(enc("abc"))),
            hex(P.sha256(enc("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))),
            hex(P.hmacSha256Js(enc("Jefe"), enc("what do ya want for nothing?"))),
            hex(P.hmacSha256Js(new Uint8Array(131).fill(0xaa),
                               enc("Test Using Larger Than Block-Size Key - Hash Key First"))),
        ];
    }""")
    assert hexes == [
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
        "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54",
    ]
