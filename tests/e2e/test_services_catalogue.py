"""The services catalogue in real browsers: a citizen searches "公积金" on the services home and opens
a service's detail page (agency, trips badge, the button to apply); a city administrator creates a
service in the catalogue editor (a bad form schema is refused first), publishes it, and the citizen
finds it by search."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest

from onecity.db import transaction
from onecity.demo import services_catalogue
from tests.e2e.steps import citizen_context, sign_in, top_shot
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_admin, make_org

pytestmark = pytest.mark.e2e
BILLERS = {"water-group", "power-supply", "gas-group", "china-mobile"}


def _demo_catalogue(s) -> None:  # type: ignore[no-untyped-def]
    usernames = sorted({i["agency"] for i in services_catalogue.load()["items"]})
    made = {u: make_org(s, kind="biller" if u in BILLERS else "agency",
                        name="深圳市住房公积金管理中心" if u == "housing-fund" else None) for u in usernames}
    services_catalogue.seed(s, SimpleNamespace(money=[]), {}, made)


def test_citizen_searches_and_opens_a_service(browser, live_server, session):
    with transaction() as s:
        _demo_catalogue(s)
        citizen_id = make_citizen(s).public_id

    phone = citizen_context(browser, live_server, session, citizen_id).new_page()
    phone.goto("/app/services")
    assert phone.get_by_test_id("category").count() >= 8
    assert "一次都不用跑" in phone.get_by_test_id("zero-trip-summary").inner_text()
    top_shot(phone, "services-home")
    phone.get_by_test_id("services-q").fill("公积金")
    phone.get_by_test_id("services-search").click()
    phone.wait_for_url("**/app/services/search?q=*")
    results = phone.get_by_test_id("results").get_by_test_id("service-link")
    codes = [results.nth(i).get_attribute("data-code") for i in range(results.count())]
    assert "hpf.account.query" in codes and "hpf.deposit.certificate" in codes
    assert all(c.startswith("hpf.") for c in codes), codes
    top_shot(phone, "services-search")
    phone.locator('[data-testid="results"] [data-code="hpf.deposit.certificate"]').click()
    phone.wait_for_url("**/app/services/item/hpf.deposit.certificate")
    assert phone.get_by_test_id("service-name").inner_text() == "住房公积金缴存证明"
    assert phone.get_by_test_id("service-agency").inner_text() == "深圳市住房公积金管理中心"
    assert phone.get_by_test_id("trips-badge").inner_text() == "零跑动"
    assert phone.get_by_test_id("service-fee").inner_text() == "不收费"
    assert phone.get_by_test_id("service-apply").get_attribute("href") == "/app/services/apply/hpf.deposit.certificate"
    top_shot(phone, "services-detail")
    # a dedicated-page service sends the citizen to its own page
    phone.goto("/app/services/item/hpf.account.query")
    assert phone.get_by_test_id("service-apply").get_attribute("href") == "/app/services/provident"


def test_admin_creates_and_publishes_a_service_the_citizen_then_finds(browser, live_server, desk, session):
    with transaction() as s:
        agency = make_org(s, kind="agency", name="深圳市民政局")
        admin = make_admin(s)
        agency_id, username = agency.public_id, admin.username
        citizen_id = make_citizen(s).public_id

    desk.goto("/console/services/catalogue")
    sign_in(desk, username)
    desk.wait_for_url("**/console/services/catalogue")
    desk.get_by_test_id("catalogue-new").click()
    desk.get_by_test_id("editor-code").fill("civil.volunteer.record")
    desk.get_by_test_id("editor-agency").select_option(agency_id)
    desk.get_by_test_id("editor-category").select_option("civil")
    desk.get_by_test_id("editor-name-zh").fill("志愿服务记录证明")
    desk.get_by_test_id("editor-name-en").fill("Volunteer service record")
    desk.get_by_test_id("editor-description-zh").fill("出具本人志愿服务时长记录证明。")
    desk.get_by_test_id("editor-description-en").fill("A record of your volunteer service hours.")
    desk.get_by_test_id("editor-days").fill("1")
    desk.get_by_test_id("editor-workflow").select_option("instant")
    desk.get_by_test_id("editor-keywords").fill("志愿者, volunteer")
    desk.get_by_test_id("editor-form-schema").fill(json.dumps({"type": "object", "properties": {"name": {"type": 7}}}))
    desk.get_by_test_id("editor-save").click()
    assert "JSON Schema" in desk.get_by_test_id("error").inner_text()
    assert desk.get_by_test_id("editor-name-zh").input_value() == "志愿服务记录证明"  # what was typed is kept
    desk.get_by_test_id("editor-form-schema").fill(json.dumps(
        {"type": "object", "required": ["name"], "properties": {"name": {"type": "string", "title": "姓名"}}},
        ensure_ascii=False))
    desk.get_by_test_id("editor-prefill").fill('{"name": "profile.name"}')
    desk.get_by_test_id("editor-save").click()
    desk.wait_for_url("**/console/services/catalogue/item/civil.volunteer.record?*done=created")
    assert desk.get_by_test_id("editor-status").inner_text() == "草稿"
    desk.get_by_test_id("editor-publish").click()
    desk.wait_for_url("**done=published")
    assert desk.get_by_test_id("editor-status").inner_text() == "已发布"
    top_shot(desk, "services-catalogue-editor")

    phone = citizen_context(browser, live_server, session, citizen_id).new_page()
    phone.goto("/app/services")
    phone.get_by_test_id("services-q").fill("志愿服务")
    phone.get_by_test_id("services-search").click()
    phone.wait_for_url("**/app/services/search?q=*")
    phone.locator('[data-code="civil.volunteer.record"]').click()
    assert phone.get_by_test_id("service-name").inner_text() == "志愿服务记录证明"
    assert phone.get_by_test_id("service-agency").inner_text() == "深圳市民政局"
