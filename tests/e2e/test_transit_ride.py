"""The ride code in a real browser (Chromium).

1. A ride code the page's JavaScript makes (WebCrypto Ed25519, its own Base45) is byte for byte
   `ridecode.code.make_code` with the same key, certificate, time and counter (Ed25519 is
   deterministic), and the gate library accepts it.
2. The citizen opens the ride screen: the page makes its device key, gets it certified, draws the
   code. The network goes offline; the code still refreshes, and the QR decoded from a screenshot
   (zxing-cpp) verifies with the gate library — offline, holding only the platform's public keys.
   With the network still cut, the screen opens again (service worker) and keeps making codes.
3. Two codes the page showed are uploaded as a metro tap in and tap out through the operator API;
   the citizen's trip history shows the trip with its fare, and so does the operator console.
4. Online and near expiry, the page renews its device certificate by itself.
5. A rider in arrears sees why and the amount instead of a code, pays, and gets the code back; a
   phone reported lost gets no new certificate and the page says so (with nothing to pay).
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import zxingcpp
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat
from PIL import Image

from onecity import clock
from onecity.db import transaction
from onecity.identity.sessions import create_session
from onecity.ledger import service as ledger
from onecity.payments.wallet import service as wallet
from onecity.transit import service
from onecity.transit.gate import Gate, GatePlace
from onecity.transit.ridecode import code as ridecode
from onecity.transit.ridecode.keys import KeySet, SigningKey
from onecity.transit.schemas import TapIn
from tests.e2e.conftest import shot
from tests.e2e.steps import sign_in
from tests.identity.orgs.factories import make_staff
from tests.payments.trade.factories import fund_wallet, funding_account, make_buyer
from tests.transit.platform.factories import make_network

pytestmark = pytest.mark.e2e

T0 = datetime(2026, 11, 26, 0, 30, 5, tzinfo=UTC)  # 08:30:05 in Shanghai
T0_S = int(T0.timestamp())


def _key_set() -> KeySet:
    with transaction() as s:
        return KeySet([k.public_key for k in service.keys.published_keys(s)])


def _gate(stop: str = "S01", direction: str = "in") -> Gate:
    return Gate(GatePlace(f"g-{stop}-{direction}", stop, "metro", direction), _key_set())


def _decode(png: bytes) -> str:
    found = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)), formats=zxingcpp.BarcodeFormat.QRCode)
    assert found, "no QR code in the screenshot"
    return str(found[0].text)


@pytest.fixture
def city() -> Iterator[dict[str, Any]]:
    clock.freeze(T0)
    with transaction() as s:
        net = make_network(s)
        rider = make_buyer(s, balance=10_000)
        token, _ = create_session(s, kind="citizen", subject_id=rider.public_id, credential="cookie", label="e2e")
        make_staff(s, net.metro.org, roles=["operator"], username="metro.e2e")
        ids = {"citizen": rider.public_id, "token": token, "net": net}
    yield ids
    clock.reset()


@pytest.fixture
def phone(browser: Any, live_server: str, city: dict[str, Any]) -> Iterator[Any]:
    ctx = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN",
                              base_url=live_server)
    ctx.add_cookies([{"name": "oc_session", "value": city["token"], "url": live_server}])
    page = ctx.new_page()
    page.clock.install(time=T0)
    yield page
    ctx.close()


def _shown(page: Any) -> tuple[str, ridecode.RideCode]:
    """The code on the screen: the QR decoded from a screenshot, and its parsed fields."""
    text = _decode(page.get_by_test_id("ride-qr").screenshot())
    return text, ridecode.parse_code(ridecode.decode_qr(text))


def _ready(page: Any, after_seq: int = 0) -> dict[str, int]:
    page.wait_for_function(
        f"(() => {{ const r = document.getElementById('ride'); return r && r.dataset.state === 'ready' "
        f"&& Number(r.dataset.seq) > {after_seq}; }})()")
    ride = page.get_by_test_id("ride")
    return {k: int(ride.get_attribute(f"data-{k}") or "0") for k in ("seq", "ts", "counter", "qr-version", "bytes")}


def test_the_page_code_is_byte_identical_to_python_and_verifies(phone: Any, city: dict[str, Any]) -> None:
    page = phone
    page.goto("/app/transit/ride")
    _ready(page)  # the page itself got a certificate for its own key
    device = Ed25519PrivateKey.generate()
    seed = device.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
    public = device.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    pkcs8 = device.private_bytes(Encoding.DER, PrivateFormat.PKCS8, NoEncryption())
    with transaction() as s:
        cert = base64.b64decode(service.issue_certificate(s, citizen_id=city["citizen"], device_public=public)
                                .certificate)
    made = page.evaluate(
        """async ([pkcs8, cert, ts, counter]) => {
             const key = await crypto.subtle.importKey("pkcs8", Uint8Array.from(pkcs8), { name: "Ed25519" },
                                                       false, ["sign"]);
             const bytes = await OneCityRide.makeCode(Uint8Array.from(cert), key, ts, counter);
             return { bytes: Array.from(bytes), text: OneCityRide.b45encode(bytes) };
           }""",
        [list(pkcs8), list(cert), T0_S + 3, 70_001])  # the counter wraps like Python's: 70001 & 0xFFFF
    expected = ridecode.make_code(cert, SigningKey.from_seed(seed), ts=T0_S + 3, counter=70_001)
    assert bytes(made["bytes"]) == expected and len(expected) == ridecode.CODE_BYTES == 196
    assert made["text"] == ridecode.to_qr_text(expected) and len(made["text"]) == 294
    v = _gate().check(made["text"], now=T0_S + 5)
    assert v.ok and v.code_ts == T0_S + 3


def test_offline_ride_code_refreshes_and_verifies_then_rides_show_in_history_and_console(
        phone: Any, city: dict[str, Any], browser: Any, live_server: str) -> None:
    page = phone
    page.goto("/app/transit/ride")
    first = _ready(page)
    assert first["bytes"] == 196 and first["qr-version"] == 10
    first_text, first_code = _shown(page)
    shot(page, "transit-01-ride-code")
    assert _gate().check(first_text, now=first_code.ts + 2).ok

    # the service worker has cached the screen and its files
    assert page.evaluate("navigator.serviceWorker.ready.then((r) => r.active !== null)")

    # The network goes down. The page keeps making codes: 11 s later (the page's clock) a new one.
    page.context.set_offline(True)
    page.wait_for_function("document.getElementById('ride-network').dataset.online === '0'")
    page.clock.fast_forward(11_000)
    second = _ready(page, after_seq=first["seq"])
    tap_in_text, tap_in_code = _shown(page)
    shot(page, "transit-02-offline-refreshed")
    assert tap_in_code.counter > first_code.counter and tap_in_code.ts >= first_code.ts + 10
    # the gate holds only the key set: the code decoded from the screen verifies with no network
    tap_in = _gate().check(tap_in_text, now=tap_in_code.ts + 1)
    assert tap_in.ok and tap_in.code_ts == tap_in_code.ts
    assert tap_in_code.certificate.serial == first_code.certificate.serial

    # Still offline, the screen opens again (the service worker's copy) and makes codes.
    # (the server's clock moves on: a page fresh from the server would carry the new time)
    clock.freeze(datetime.fromtimestamp(T0_S + 3600, UTC))
    page.reload()
    third = _ready(page)
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    assert page.evaluate("JSON.parse(document.getElementById('ride-config').textContent).serverNow") == T0_S
    assert page.get_by_test_id("ride-network").get_attribute("data-online") == "0"
    assert third["counter"] > second["counter"]
    # the rider walks to the exit: 40 s after the tap-in code, a fresh code (the page's clock set
    # explicitly, as the fake clock restarts with the reloaded page)
    page.clock.set_system_time(datetime.fromtimestamp(tap_in_code.ts + 30, UTC))
    page.clock.fast_forward(11_000)
    _ready(page, after_seq=third["seq"])
    tap_out_text, tap_out_code = _shown(page)
    assert tap_out_code.ts >= tap_in_code.ts + 40 and tap_out_code.counter > tap_in_code.counter
    assert _gate("S04", "out").check(tap_out_text, now=tap_out_code.ts + 1).ok
    page.context.set_offline(False)

    # The gates upload the two taps (a tap in at 纺织城 S01, a tap out at 钟楼 S04: 5,200 m, ¥2.00).
    op = city["net"].metro
    clock.freeze(datetime.fromtimestamp(tap_out_code.ts + 5, UTC))
    body = {"taps": [
        TapIn(gate_id="g-S01-in", stop_id="S01", network="metro", direction="in", at=tap_in_code.ts + 1,
              code=tap_in_text).model_dump(),
        TapIn(gate_id="g-S04-out", stop_id="S04", network="metro", direction="out", at=tap_out_code.ts + 1,
              code=tap_out_text).model_dump()]}
    r = httpx.post(live_server + "/v1/transit/operator/taps",
                   **op.signed("POST", "/v1/transit/operator/taps", body, **{"Idempotency-Key": "e2e-batch-1"}))
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 2
    with transaction() as s:  # the worker prices the rider's day
        assert service.price_due(s).charges == 1

    page.goto("/app/transit/trips")
    leg = page.get_by_test_id("trip-leg")
    assert leg.count() == 1
    assert "纺织城" in leg.inner_text() and "钟楼" in leg.inner_text()
    assert page.get_by_test_id("leg-charged").inner_text() == "¥2.00"
    assert page.get_by_test_id("day-fares").inner_text() == "¥2.00"
    assert "已计费 ¥2.00" in page.get_by_test_id("day-charges").inner_text()
    shot(page, "transit-03-trips")

    desk_ctx = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server)
    desk = desk_ctx.new_page()
    desk.goto("/console/transit/trips?day=2026-11-26")
    sign_in(desk, "metro.e2e")
    desk.wait_for_url("**/console/transit/**")
    desk.goto("/console/transit/trips?day=2026-11-26")
    assert desk.get_by_test_id("trip-row").count() == 1
    assert desk.get_by_test_id("trip-fare").inner_text() == "¥2.00"
    assert desk.get_by_test_id("trips-total").inner_text() == "¥2.00"
    desk.goto("/console/transit/taps?day=2026-11-26")
    assert desk.get_by_test_id("tap-row").count() == 2
    shot(desk, "transit-04-console-taps")
    desk_ctx.close()


def test_the_certificate_is_renewed_when_online_and_near_expiry(phone: Any, city: dict[str, Any]) -> None:
    page = phone
    page.goto("/app/transit/ride")
    _ready(page)
    ride = page.get_by_test_id("ride")
    serial = ride.get_attribute("data-serial")
    assert serial
    # 19 h later (under 6 h of the 24 h left) and online: the page asks for a new certificate
    clock.freeze(datetime.fromtimestamp(T0_S + 19 * 3600, UTC))
    page.clock.fast_forward("19:00:00")
    page.wait_for_function(f"(() => {{ const d = document.getElementById('ride').dataset; "
                           f"return d.serial !== '{serial}' && d.codeSerial === d.serial; }})()")
    text, code = _shown(page)
    assert str(code.certificate.serial) == ride.get_attribute("data-serial") != serial
    assert code.certificate.not_before == T0_S + 19 * 3600
    assert _gate().check(text, now=code.ts).ok


def test_a_rider_in_arrears_sees_why_pays_and_gets_the_code_back(phone: Any, city: dict[str, Any]) -> None:
    page = phone
    page.goto("/app/transit/ride")
    _ready(page)
    text, shown = _shown(page)
    # a ride the wallet cannot pay: a tap in with no tap out (¥25.00) and the wallet emptied
    clock.freeze(datetime.fromtimestamp(shown.ts + 5 * 3600, UTC))
    with transaction() as s:
        ok = service.upload(s, operator_org_id=city["net"].metro.org.public_id, taps=[
            TapIn(gate_id="g-S01-in", stop_id="S01", network="metro", direction="in", at=shown.ts + 1, code=text)])
        assert ok.accepted == 1
        wallet_account = wallet.wallet_account_id(s, city["citizen"])
        ledger.transfer(s, transfer_id="e2e-empty-wallet", debit=wallet_account, credit=funding_account(s),
                        amount=ledger.balance(s, wallet_account).available_balance, code="test.withdraw")
        service.price_due(s)
    clock.freeze(datetime.fromtimestamp(shown.ts + 24 * 3600, UTC))  # the next service day
    with transaction() as s:
        assert service.debit_due(s).failed == 1
    page.goto("/app/transit/ride")
    page.wait_for_function("document.getElementById('ride').dataset.state === 'blocked'")
    assert page.get_by_test_id("ride-qr").is_hidden()
    assert page.get_by_test_id("arrears-amount").inner_text() == "¥25.00"
    shot(page, "transit-05-arrears")
    with transaction() as s:
        fund_wallet(s, city["citizen"], 3_000)
    page.get_by_test_id("pay-arrears").click()
    page.wait_for_url("**/app/transit/ride?done=paid")
    _ready(page)
    assert "已补缴" in page.get_by_test_id("notice").inner_text()
    with transaction() as s:
        assert wallet.wallet_balance(s, city["citizen"]) == 3_000 - 2_500


def test_a_phone_reported_lost_gets_no_new_certificate(phone: Any, city: dict[str, Any]) -> None:
    page = phone
    page.goto("/app/transit/ride")
    _ready(page)
    serial = int(page.get_by_test_id("ride").get_attribute("data-serial") or "0")
    with transaction() as s:  # reported lost (from another phone): gates refuse its codes at once
        service.report_device_lost(s, citizen_id=city["citizen"], serial=serial)
    text, shown = _shown(page)
    gate = _gate()
    with transaction() as s:
        gate.deny.update(service.deny.whole(s))
    assert gate.check(text, now=shown.ts + 5).reason == "denied"
    # when the page next asks for a certificate, the platform refuses it and the page says why
    clock.freeze(datetime.fromtimestamp(T0_S + 19 * 3600, UTC))
    page.clock.fast_forward("19:00:00")
    page.wait_for_function("document.getElementById('ride').dataset.state === 'blocked'")
    assert page.get_by_test_id("ride-qr").is_hidden()
    assert page.get_by_test_id("ride-status").inner_text() == "该乘车账户或设备已被停用"
    assert page.get_by_test_id("ride-to-arrears").is_hidden()  # nothing to pay: a lost phone
    shot(page, "transit-06-lost-phone")
