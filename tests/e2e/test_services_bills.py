"""A utility bill paid in a real browser: 王芳 adds her water account (the demo's number and biller
profile), sees the bill fetched from the (simulated) water company — ¥86.40 — pays it, and once the
biller has posted it sees "已缴" and her wallet ¥86.40 lower; paying it again (from a page opened
before) is refused and nothing changes.

The biller is moved along by running the dispatch job in the test (the server runs in this process).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from onecity import clock
from onecity.db import transaction
from onecity.demo import services_bills as demo
from onecity.services.bills import service
from onecity.services.bills.service import billers
from tests.e2e.conftest import shot
from tests.e2e.steps import citizen_context
from tests.identity.orgs.factories import make_org
from tests.services.bills.factories import citizen, install_sim, run_dispatch

pytestmark = pytest.mark.e2e


@pytest.fixture
def water(session: Any) -> Iterator[tuple[str, Any]]:
    org = make_org(session, kind="biller", name="深圳市水务集团")
    service.set_profile(session, org_id=org.public_id, profile=demo.PROFILES["water-group"], actor="e2e")
    session.commit()
    sim = install_sim(org.public_id)
    today = clock.today_local().date()
    sim.issue_bill(demo.DEMO_WATER_NO, period="2026-10", amount=8_640, due_date=today + timedelta(days=10),
                   holder_masked="*芳")
    yield org.public_id, sim
    billers._installed.clear()


def _wallet(page: Any) -> int:
    return int(page.get_by_test_id("wallet").get_attribute("data-fen"))


def test_a_water_bill_paid_in_the_browser(browser: Any, live_server: str, session: Any,
                                          water: tuple[str, Any]) -> None:
    org, _ = water
    with transaction() as s:
        cid = citizen(s, balance=50_000).public_id
    ctx = citizen_context(browser, live_server, session, cid)
    page, stale = ctx.new_page(), ctx.new_page()
    try:
        page.goto("/app/services/bills")
        page.get_by_test_id("no-accounts").wait_for()
        page.get_by_test_id("biller").select_option(org)
        page.get_by_test_id("account-no").fill(f"{demo.DEMO_WATER_NO[:4]} {demo.DEMO_WATER_NO[4:]}")
        page.get_by_test_id("alias").fill("家里水费")
        page.get_by_test_id("add").click()
        page.get_by_test_id("notice").wait_for()
        assert page.get_by_test_id("account-title").inner_text() == "家里水费"
        bill = page.get_by_test_id("bill")
        assert bill.get_attribute("data-status") == "unpaid"
        assert page.get_by_test_id("bill-amount").inner_text() == "¥86.40"
        before = _wallet(page)
        assert before == 50_000
        stale.goto(page.url.split("?")[0])  # the same bill, opened in another tab before paying

        page.get_by_test_id("pay").click()
        page.get_by_test_id("notice").wait_for()
        assert page.get_by_test_id("payment-state").inner_text() == "处理中"
        run_dispatch()  # the worker sends the advice; the water company posts it
        page.reload()
        page.get_by_test_id("bill-paid").wait_for()
        assert page.get_by_test_id("bill-paid").inner_text() == "已缴"
        assert page.get_by_test_id("payment-state").inner_text() == "已缴"
        # 500.00 − 86.40 = 413.60
        assert _wallet(page) == before - 8_640 == 41_360
        shot(page, "services-bills-paid")

        stale.get_by_test_id("pay").click()  # paying again
        stale.get_by_test_id("error").wait_for()
        assert "已缴清" in stale.get_by_test_id("error").inner_text()
        page.reload()
        assert _wallet(page) == 41_360 and page.get_by_test_id("payment").count() == 1
    finally:
        ctx.close()
