"""The housing provident fund in a real browser: a 王芳-like citizen (24 months of contributions,
86,400.00) opens the provident page, tries 2,000.00 for rent — over the 1,500.00 monthly limit: the
error shows and nothing changes — then withdraws 1,500.00 after a face check (Chromium's fake camera
plays the head turn); the automatic check approves it at once, the wallet shows +1,500.00 and the
provident balance is 84,900.00."""

from __future__ import annotations

from typing import Any

import pytest

from onecity.db import transaction
from onecity.identity.face import service as face_service
from onecity.services.provident import service as provident
from tests.e2e.conftest import shot
from tests.e2e.steps import FIXED_STEPS, citizen_context, face_photo, pass_face_check
from tests.identity.family.factories import person
from tests.services.provident.factories import make_account, make_centre

pytestmark = pytest.mark.e2e


def test_rent_withdrawal_end_to_end(camera_browser: Any, live_server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(face_service, "choose_steps", lambda: FIXED_STEPS)
    with transaction() as s:
        make_centre(s)
        p = person(s, name="王芳", photo=face_photo())
        cid = p.id
        make_account(s, cid, months=24)  # 15,000.00 × 12% × 2 = 3,600.00 a month × 24 = 86,400.00
    with transaction() as s:
        ctx = citizen_context(camera_browser, live_server, s, cid)
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto("/app/wallet")
        assert page.get_by_test_id("available").get_attribute("data-fen") == "0"
        page.goto("/app/services/provident")
        assert page.get_by_test_id("hpf-balance").inner_text() == "¥86400.00"
        assert page.get_by_test_id("contribution-row").count() == 24
        shot(page, "provident-00-home")

        page.get_by_test_id("withdraw-rent").click()
        page.get_by_test_id("withdraw-amount").fill("2000.00")
        page.get_by_test_id("withdraw-next").click()
        error = page.get_by_test_id("error")
        assert "超过本期提取额度" in error.inner_text() and "¥1500.00" in error.inner_text()
        shot(page, "provident-01-over-limit")
        with transaction() as s:
            acc = provident.get_account(s, citizen_id=cid)
            assert (acc.balance_fen, acc.held_fen) == (8_640_000, 0)  # nothing changed
            assert provident.withdrawals(s, citizen_id=cid) == []

        page.get_by_test_id("withdraw-amount").fill("1500.00")
        page.get_by_test_id("withdraw-next").click()
        page.wait_for_url("**/app/face?**")
        pass_face_check(page, act="用于：公积金提取")
        page.wait_for_url("**/app/services/provident/withdraw/confirm?**face_grant=fgr_*")
        assert page.get_by_test_id("confirm-amount").inner_text() == "¥1500.00"
        page.get_by_test_id("confirm-withdraw").click()
        page.wait_for_url("**/app/services/provident/withdrawals/hpw_*")
        status = page.get_by_test_id("result-status")
        assert status.get_attribute("data-status") == "paid"
        assert "1500.00" in status.inner_text()
        shot(page, "provident-02-paid")

        page.get_by_test_id("result-wallet").click()
        page.wait_for_url("**/app/wallet")
        assert page.get_by_test_id("available").get_attribute("data-fen") == "150000"
        first = page.get_by_test_id("history-item").first
        assert first.get_attribute("data-code") == "services.provident"
        assert first.get_by_test_id("history-amount").inner_text() == "+1500.00"
        shot(page, "provident-03-wallet")

        page.goto("/app/services/provident")
        assert page.get_by_test_id("hpf-balance").inner_text() == "¥84900.00"  # 86,400.00 − 1,500.00
        assert page.get_by_test_id("withdrawal-row").first.get_attribute("data-status") == "paid"
    finally:
        ctx.close()
    assert errors == []
