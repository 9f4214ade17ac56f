"""Medical insurance in real browsers: a citizen on a phone and a hospital cashier at a desk.

1. The citizen activates the insurance code with a face check (Chromium's fake camera plays the head
   turn of tests/e2e/test_face.py), and shows the code. The cashier's desk reads the QR from a
   screenshot of the phone (zxing-cpp), pastes it, uploads the fees as CSV and pre-settles; the phone
   opens the confirmation screen by itself, the citizen confirms, and both see the settled split.
2. A settled bill: the institution's finance staff refunds one line and the citizen's history shows it.

The bill is the worked one of tests/medinsure/test_settlement.py: 243.00 = fund 103.95 + personal
account 80.00 + wallet 59.05; line 3 (丙类 维生素C, 28.00) is paid by the wallet alone.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from onecity.db import transaction
from onecity.identity.face import service as face_service
from onecity.identity.sessions import create_session
from onecity.medinsure import service as med
from onecity.payments.wallet import service as wallet
from tests.e2e.conftest import shot
from tests.e2e.test_face import head_turn_video
from tests.identity.face import photos
from tests.identity.family.factories import person
from tests.identity.orgs.factories import DEFAULT_PASSWORD, make_staff
from tests.medinsure.factories import code_for, make_city, make_insured, set_accumulators
from tests.medinsure.test_settlement import BILL
from tests.payments.trade.factories import fund_wallet

pytestmark = pytest.mark.e2e

CSV = "code,quantity,unit_price\n" + "\n".join(
    f'{x["code"]},{x["quantity"]},{x["unit_price_fen"] // 100}.{x["unit_price_fen"] % 100:02d}' for x in BILL)


@pytest.fixture(scope="module")
def camera_browser(launch_browser: Any, tmp_path_factory: pytest.TempPathFactory) -> Any:
    video = head_turn_video(tmp_path_factory.mktemp("medinsure-face") / "head-turn.y4m")
    return launch_browser(extra_args=[
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ])


def _context(browser: Any, live_server: str, *, phone: bool) -> Any:
    if phone:
        return browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN",
                                   base_url=live_server)
    return browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN", base_url=live_server)


def _sign_in_staff(desk: Any, username: str, target: str) -> None:
    desk.goto(target)
    assert "/console/login" in desk.url
    desk.get_by_test_id("username").fill(username)
    desk.get_by_test_id("password").fill(DEFAULT_PASSWORD)
    desk.get_by_test_id("submit").click()
    desk.wait_for_url(f"**{target}")


def _payers(page: Any) -> dict[str, str]:
    rows = page.get_by_test_id("payer")
    return {rows.nth(i).get_attribute("data-payer"): rows.nth(i).get_by_test_id("payer-fen").inner_text()
            for i in range(rows.count())}


@pytest.fixture
def errors() -> list[str]:
    return []


def _watch(page: Any, errors: list[str]) -> Any:
    page.on("pageerror", lambda e: errors.append(str(e)))
    return page


def test_activate_show_scan_presettle_confirm(camera_browser: Any, live_server: str, errors: list[str],
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(face_service, "choose_steps", lambda: ["center", "turn_left", "turn_right", "center"])
    img = photos.transformations(photos.astronaut())["grey"]
    with transaction() as s:
        city = make_city(s)
        make_staff(s, city.hospital3, roles=["cashier"], username="e2e.mi.cashier")
        p = person(s, photo=photos.jpeg(img.resize((300, 225)), 80))
        cid = p.id
        med.enrol(s, citizen_id=cid, scheme="employee", retiree=False, actor="test")
        med.contribute(s, citizen_id=cid, amount=8_000, actor="test")
        fund_wallet(s, cid, 50_000)
        set_accumulators(s, p, outpatient=145_000, fund_paid=20_000)
        token, _ = create_session(s, kind="citizen", subject_id=cid, credential="cookie", label="e2e")
    phone_ctx = _context(camera_browser, live_server, phone=True)
    phone_ctx.add_cookies([{"name": "oc_session", "value": token, "url": live_server}])
    desk_ctx = _context(camera_browser, live_server, phone=False)
    try:
        phone = _watch(phone_ctx.new_page(), errors)
        phone.goto("/app/medinsure")
        assert phone.get_by_test_id("code-status").inner_text() == "未激活"
        assert phone.get_by_test_id("personal-balance").inner_text() == "¥80.00"
        assert phone.get_by_test_id("deductible-used").inner_text() == "¥1450.00 / ¥1500.00"
        shot(phone, "medinsure-00-overview")
        phone.get_by_test_id("show-code").click()
        phone.get_by_test_id("activate-with-face").click()
        phone.wait_for_url("**/app/face?**")
        assert phone.get_by_test_id("face-act").inner_text() == "用于：激活医保码"
        phone.get_by_test_id("face-start").click()
        result = phone.get_by_test_id("face-result")
        result.wait_for(state="visible", timeout=40_000)
        assert result.get_attribute("data-decision") == "pass", phone.get_by_test_id("face-reason").inner_text()
        phone.get_by_test_id("face-continue").click()
        phone.wait_for_url("**/app/medinsure/activate?face_grant=fgr_*")
        phone.get_by_test_id("activate").click()
        phone.wait_for_url("**/app/medinsure/code?done=activated")
        assert phone.get_by_test_id("notice").inner_text() == "医保码已激活"
        qr = phone.get_by_test_id("code-qr")
        qr.locator("svg").wait_for()
        shot(phone, "medinsure-01-code")
        countdown = int(phone.get_by_test_id("code-countdown").inner_text())
        assert 50 <= countdown <= 60
        decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(qr.screenshot())))
        assert decoded, "no QR in the screenshot of the code"
        text = decoded[0].text
        assert text == phone.get_by_test_id("code-text").text_content().strip() and text.startswith("MI1.")

        desk = _watch(desk_ctx.new_page(), errors)
        _sign_in_staff(desk, "e2e.mi.cashier", "/console/medinsure")
        desk.get_by_test_id("scan-code").fill(text)
        desk.get_by_test_id("scan-submit").click()
        assert desk.get_by_test_id("notice").inner_text() == "已建立就诊"
        visit_url = desk.url.split("?")[0]
        # The same code again (a screenshot passed on): refused, it scans once.
        desk.goto("/console/medinsure")
        desk.get_by_test_id("scan-code").fill(text)
        desk.get_by_test_id("scan-submit").click()
        assert desk.get_by_test_id("error").inner_text().startswith("医保码已使用")
        # The phone asks for a fresh code at once when the refresh button is pressed.
        phone.get_by_test_id("code-refresh").click()
        phone.wait_for_function(
            "t => document.querySelector('[data-testid=code-text]').textContent.trim() !== t", arg=text)
        fresh = phone.get_by_test_id("code-text").text_content().strip()
        assert med.verify_code(fresh).insured_id == med.verify_code(text).insured_id
        desk.goto(visit_url)
        assert desk.get_by_test_id("visit-status").inner_text() == "已就诊"
        desk.locator("details").filter(has=desk.get_by_test_id("fee-csv")).locator("summary").click()
        desk.get_by_test_id("fee-csv").fill(CSV)
        desk.get_by_test_id("fees-submit").click()
        assert desk.get_by_test_id("visit-total").inner_text() == "¥243.00"
        desk.get_by_test_id("presettle").click()
        assert desk.get_by_test_id("waiting").is_visible()
        assert _payers(desk) == {"fund": "¥103.95", "personal_account": "¥80.00", "wallet": "¥59.05"}
        shot(desk, "medinsure-02-desk-presettled")

        # The phone, still on the code page, opens the confirmation screen by itself.
        phone.wait_for_url("**/app/medinsure/confirm/vis_*", timeout=15_000)
        assert phone.get_by_test_id("confirm-institution").inner_text() == "鹏城市第一人民医院"
        assert phone.get_by_test_id("confirm-total").inner_text() == "¥243.00"
        assert _payers(phone) == {"fund": "¥103.95", "personal_account": "¥80.00", "wallet": "¥59.05"}
        assert phone.get_by_test_id("split-line").count() == 4
        shot(phone, "medinsure-03-confirm")
        phone.get_by_test_id("confirm").click()
        phone.wait_for_url("**/app/medinsure/visits/vis_*?done=settled")
        assert phone.get_by_test_id("visit-status").inner_text() == "已结算"
        assert _payers(phone) == {"fund": "¥103.95", "personal_account": "¥80.00", "wallet": "¥59.05"}
        assert phone.get_by_test_id("receipt-id").inner_text().startswith("rcp_")
        shot(phone, "medinsure-04-settled")

        # The desk was waiting: it reloads by itself and shows the settlement.
        desk.get_by_test_id("settlement-card").wait_for(timeout=15_000)
        assert desk.get_by_test_id("visit-status").inner_text() == "已结算"
        assert _payers(desk) == {"fund": "¥103.95", "personal_account": "¥80.00", "wallet": "¥59.05"}
        shot(desk, "medinsure-05-desk-settled")
        with transaction() as s:
            assert wallet.wallet_balance(s, cid) == 50_000 - 5_905
            assert med.get_insured(s, citizen_id=cid).personal_balance_fen == 0
    finally:
        phone_ctx.close()
        desk_ctx.close()
    assert errors == [], errors


@pytest.fixture
def settled(live_server: str) -> Iterator[dict[str, str]]:
    with transaction() as s:
        city = make_city(s)
        make_staff(s, city.hospital3, roles=["finance"], username="e2e.mi.finance")
        p = make_insured(s, personal=8_000, wallet=50_000)
        set_accumulators(s, p, outpatient=145_000, fund_paid=20_000)
        h3 = city.hospital3.public_id
        v = med.scan_code(s, institution_org_id=h3, code=code_for(s, p), visit_type="outpatient")
        med.upload_fees(s, institution_org_id=h3, visit_id=v.visit_id, lines=BILL)
        med.presettle(s, institution_org_id=h3, visit_id=v.visit_id)
        med.confirm(s, citizen_id=p.id, visit_id=v.visit_id)
        token, _ = create_session(s, kind="citizen", subject_id=p.id, credential="cookie", label="e2e")
    yield {"visit_id": v.visit_id, "citizen": p.id, "token": token}


def test_refund_one_line_shows_in_the_citizens_history(browser: Any, live_server: str, settled: dict[str, str],
                                                       errors: list[str]) -> None:
    desk_ctx = _context(browser, live_server, phone=False)
    phone_ctx = _context(browser, live_server, phone=True)
    phone_ctx.add_cookies([{"name": "oc_session", "value": settled["token"], "url": live_server}])
    try:
        desk = _watch(desk_ctx.new_page(), errors)
        _sign_in_staff(desk, "e2e.mi.finance", "/console/medinsure")
        row = desk.locator(f'[data-testid="visit-row"][data-visit-id="{settled["visit_id"]}"]')
        assert row.get_by_test_id("visit-status").inner_text() == "已结算"
        row.get_by_test_id("visit-link").click()
        desk.locator('[data-testid="settled-line"][data-line-no="3"]').get_by_test_id("refund-line").check()
        desk.get_by_test_id("refund-reason").fill("患者未取药")
        desk.get_by_test_id("refund-lines").click()
        assert desk.get_by_test_id("notice").inner_text() == "退费成功，已按原路退回各方"
        assert desk.get_by_test_id("visit-status").inner_text() == "部分退费"
        assert desk.get_by_test_id("refund-total").inner_text() == "¥28.00"
        assert "refunded" in (desk.locator('[data-testid="settled-line"][data-line-no="3"]').get_attribute("class") or "")
        shot(desk, "medinsure-06-desk-refunded")

        phone = _watch(phone_ctx.new_page(), errors)
        phone.goto("/app/medinsure/visits")
        row = phone.locator(f'[data-testid="visit-row"][data-visit-id="{settled["visit_id"]}"]')
        assert row.get_by_test_id("visit-status").inner_text() == "部分退费"
        assert row.get_by_test_id("visit-refunded").inner_text() == "已退 ¥28.00"
        row.click()
        assert phone.get_by_test_id("refund-total").inner_text() == "¥28.00"
        assert "钱包 ¥28.00" in phone.get_by_test_id("refunds-card").inner_text()
        shot(phone, "medinsure-07-history-refund")
        with transaction() as s:
            assert wallet.wallet_balance(s, settled["citizen"]) == 50_000 - 5_905 + 2_800
    finally:
        desk_ctx.close()
        phone_ctx.close()
    assert errors == [], errors
