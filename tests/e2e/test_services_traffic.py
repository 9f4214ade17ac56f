"""A fine paid by QR, in Chromium: the traffic police record a violation in the console and the
decision's QR is shown; a screenshot of that QR is what the citizen uploads in the app (decoded on the
server with zxing-cpp); the app shows 200.00, the citizen pays, the violation shows paid, the wallet
dropped by 200.00, and a second payment (from a page opened before) is refused."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from onecity import clock
from onecity.db import transaction
from onecity.payments.wallet import service as wallet
from onecity.services.traffic import service
from tests.e2e.conftest import shot
from tests.e2e.steps import citizen_context, desk_page, sign_in
from tests.services.traffic.factories import make_driver, make_traffic

pytestmark = pytest.mark.e2e


def test_a_fine_paid_by_scanning_the_decision_qr(browser: Any, live_server: str, session: Any,
                                                  tmp_path: Path) -> None:
    traffic = make_traffic(session)
    d = make_driver(session, wallet=50_000)  # 500.00
    session.commit()

    with desk_page(browser, live_server) as desk:
        desk.goto("/console/services/traffic")
        assert "/console/login" in desk.url
        sign_in(desk, traffic.staff.username)
        desk.wait_for_url("**/console/services/traffic")
        desk.get_by_test_id("record-plate").fill(d.plate)
        desk.get_by_test_id("record-code").select_option("1625")
        desk.get_by_test_id("record-place").fill("深南大道与华富路交叉口")
        an_hour_ago = clock.now().astimezone(clock.CITY_TZ) - timedelta(hours=1)
        desk.get_by_test_id("record-when").fill(an_hour_ago.strftime("%Y-%m-%dT%H:%M"))
        desk.get_by_test_id("record-submit").click()
        desk.get_by_test_id("notice").wait_for()
        number = desk.get_by_test_id("console-decision").get_attribute("data-decision")
        picture = tmp_path / "decision-qr.png"
        desk.get_by_test_id("decision-qr").screenshot(path=str(picture))
        shot(desk, "traffic-01-console-decision")

    ctx = citizen_context(browser, live_server, session, d.id)
    try:
        phone = ctx.new_page()
        phone.goto("/app/services/traffic")
        assert phone.get_by_test_id("licence-points").get_attribute("data-points") == "6"
        phone.get_by_test_id("scan-upload").set_input_files(str(picture))
        phone.get_by_test_id("scan-upload-submit").click()
        phone.wait_for_url(f"**/app/services/traffic/decision/{number}")
        assert phone.get_by_test_id("decision-due").inner_text() == "200.00"
        shot(phone, "traffic-02-decision")
        earlier = ctx.new_page()  # the same decision, opened before paying
        earlier.goto(f"/app/services/traffic/decision/{number}")
        phone.get_by_test_id("decision-pay").click()
        phone.get_by_test_id("decision-paid").wait_for()
        assert phone.get_by_test_id("decision").get_attribute("data-status") == "paid"
        shot(phone, "traffic-03-paid")
        phone.goto("/app/services/traffic")
        assert phone.locator(f'[data-testid="violation-paid"][data-decision="{number}"]').count() == 1
        earlier.get_by_test_id("decision-pay").click()
        assert "该罚款已缴纳" in earlier.get_by_test_id("error").inner_text()
        shot(earlier, "traffic-04-second-payment-refused")
    finally:
        ctx.close()
    with transaction() as s:  # 500.00 − 200.00 = 300.00, once
        assert wallet.wallet_balance(s, d.id) == 30_000
        assert service.get_decision(s, decision_no=str(number)).status == "paid"
