"""An application rejected and re-submitted, in real browsers: the citizen opens a service's form,
lets the agency read their social security card, sees the form pre-filled from it ("来自电子证照"),
submits; the agency's reviewer claims it and rejects it with a reason; the citizen sees the reason
and a notice, corrects the form and re-submits; the reviewer approves; the certificate the service
issues is in the citizen's wallet."""

from __future__ import annotations

import pytest

from onecity.credentials import service as credentials
from onecity.db import transaction
from tests.e2e.steps import citizen_context, sign_in, top_shot
from tests.identity.orgs.factories import make_staff
from tests.services.applications.factories import applicant, make_agency, make_item

pytestmark = pytest.mark.e2e


def test_an_application_rejected_then_resubmitted_then_approved(browser, live_server, desk, session):
    with transaction() as s:
        agency = make_agency(s)
        item = make_item(s, agency)
        make_staff(s, agency.org, roles=["reviewer"], username="skills.reviewer", name="王审核")
        p = applicant(s)
        code, citizen_id, name = item.code, p.id, p.name

    phone = citizen_context(browser, live_server, session, citizen_id).new_page()
    phone.goto(f"/app/services/apply/{code}")
    assert phone.get_by_test_id("consent-prompt").is_visible()
    assert phone.locator("#f\\.name").input_value() == ""
    phone.get_by_test_id("grant-consent").click()
    phone.wait_for_url("**?done=consented")
    assert phone.locator("#f\\.name").input_value() == name
    assert phone.get_by_test_id("from-cert-name").inner_text() == "来自电子证照"
    assert phone.get_by_test_id("consent-prompt").count() == 0
    phone.locator("#f\\.qualification").fill("电工")
    phone.locator("#f\\.level").select_option("四级/中级工")
    phone.locator("#f\\.years").fill("2")
    top_shot(phone, "services-apply-prefilled")
    phone.get_by_test_id("submit-application").click()
    phone.wait_for_url("**/app/services/applications/app_*?done=submitted")
    assert phone.get_by_test_id("state").get_attribute("data-state") == "submitted"
    app_url = phone.url.split("?")[0]
    reference = phone.get_by_test_id("reference").inner_text()

    desk.goto("/console/services/applications")
    sign_in(desk, "skills.reviewer")
    desk.wait_for_url("**/console/services/applications")
    desk.get_by_test_id(f"open-{reference}").click()
    desk.get_by_test_id("act-claim").click()
    desk.wait_for_url("**?done=1")
    assert desk.get_by_test_id("state").get_attribute("data-state") == "in_review"
    desk.get_by_test_id("act-reject").click()  # no reason: refused, nothing changes
    assert "请填写理由" in desk.get_by_test_id("error").inner_text()
    assert desk.get_by_test_id("state").get_attribute("data-state") == "in_review"
    desk.get_by_test_id("reason-reject").fill("从业年限不足 3 年，请核实后重新提交")
    desk.get_by_test_id("act-reject").click()
    desk.wait_for_url("**?done=1")
    assert desk.get_by_test_id("state").get_attribute("data-state") == "rejected"
    top_shot(desk, "services-console-rejected")

    phone.goto(app_url)
    assert phone.get_by_test_id("state").get_attribute("data-state") == "rejected"
    assert "从业年限不足 3 年" in phone.get_by_test_id("reason").inner_text()
    phone.goto("/app/services/notices")
    assert "从业年限不足 3 年" in phone.get_by_test_id("notice-item").first.inner_text()
    phone.goto(app_url)
    phone.locator("#f\\.years").fill("")
    phone.get_by_test_id("resubmit").click()  # the required field emptied: refused, still rejected
    assert phone.get_by_test_id("field-error-years").is_visible()
    assert phone.get_by_test_id("state").get_attribute("data-state") == "rejected"
    phone.locator("#f\\.years").fill("6")
    phone.get_by_test_id("resubmit").click()
    phone.wait_for_url("**?done=acted")
    assert phone.get_by_test_id("state").get_attribute("data-state") == "submitted"

    desk.goto("/console/services/applications")
    desk.get_by_test_id(f"open-{reference}").click()
    assert "6" in desk.get_by_test_id("form").inner_text()
    desk.get_by_test_id("act-claim").click()
    desk.wait_for_url("**?done=1")
    desk.get_by_test_id("act-approve").click()
    desk.wait_for_url("**?done=1")
    assert desk.get_by_test_id("state").get_attribute("data-state") == "approved"

    phone.goto(app_url)
    assert phone.get_by_test_id("state").get_attribute("data-state") == "approved"
    assert phone.get_by_test_id("credential-issued").is_visible()
    top_shot(phone, "services-application-approved")
    with transaction() as s:
        held = [c.type_id for c in credentials.list_for_citizen(s, citizen_id=citizen_id)]
    assert "professional_qualification" in held
