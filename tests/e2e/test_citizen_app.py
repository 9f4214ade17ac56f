"""A citizen in a real browser: signs up with an SMS code, verifies their real name, views the profile,
switches to English, signs a session out and signs out."""

from __future__ import annotations

from datetime import date

import pytest

from onecity.db import transaction
from onecity.identity import sms
from tests.e2e.conftest import shot
from tests.identity.factories import deliver_code, fresh_mobile, make_registry_entry, sms_gateway

pytestmark = pytest.mark.e2e


@pytest.fixture
def gateway():
    g = sms_gateway(seed=2, failure_rate=0.3, duplicate_rate=0.2)
    yield g
    sms.use_sender(None)


def test_sign_up_verify_profile_and_english(page, live_server, gateway):
    with transaction() as s:
        entry = make_registry_entry(s, name="林小雨", birth_date=date(1996, 4, 18), sex="F", region="440305")
    mobile = fresh_mobile()
    console_errors: list[str] = []
    # Script errors only: "Failed to load resource" also reports the deliberate 422 page and /favicon.ico.
    page.on("console", lambda m: console_errors.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    outside: list[str] = []
    page.on("request", lambda r: outside.append(r.url) if not r.url.startswith(live_server) else None)

    page.goto("/")
    assert page.url.endswith("/app")
    assert page.get_by_test_id("greeting").inner_text().startswith("您好")
    assert page.get_by_test_id("tabbar").is_visible()
    shot(page, "citizen-home-visitor")

    page.get_by_test_id("sign-in").click()
    page.get_by_test_id("mobile").fill(mobile)
    page.get_by_test_id("get-code").click()
    assert (mobile[:3] + "****" + mobile[-4:]) in page.get_by_test_id("notice").inner_text()
    assert page.get_by_test_id("resend").is_disabled()  # the countdown before "send again"
    code = deliver_code(gateway, mobile)  # the worker sends it through the simulated gateway
    page.get_by_test_id("code").fill(code)
    shot(page, "citizen-login-code")
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/app")
    assert page.get_by_test_id("verify-now").is_visible()
    shot(page, "citizen-home-signed-up")

    page.get_by_test_id("verify-now").click()
    page.wait_for_url("**/app/real-name")
    page.get_by_test_id("name").fill("林小雨")
    page.get_by_test_id("id-number").fill(entry.id_number[:-1] + ("0" if entry.id_number[-1] != "0" else "1"))
    page.get_by_test_id("submit").click()
    assert "校验位" in page.get_by_test_id("error").inner_text()
    shot(page, "citizen-real-name-error")
    page.get_by_test_id("id-number").fill(entry.id_number)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/app/profile?done=verified")

    assert page.get_by_test_id("verified-badge").inner_text() == "已实名"
    assert page.get_by_test_id("masked-name").inner_text() == "林*雨"
    masked = entry.id_number[:4] + "*" * 10 + entry.id_number[-4:]
    assert page.get_by_test_id("masked-id").inner_text() == masked
    assert page.get_by_test_id("masked-mobile").inner_text() == mobile[:3] + "****" + mobile[-4:]
    assert page.get_by_test_id("sex").inner_text() == "女"
    assert page.get_by_test_id("birth-date").inner_text() == "1996-04-18"
    assert page.get_by_test_id("current-session").is_visible()
    html = page.content()
    assert entry.id_number not in html and mobile not in html and "林小雨" not in html
    shot(page, "citizen-profile-zh")

    page.get_by_test_id("lang-switch").click()
    page.wait_for_url("**lang=en")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.get_by_test_id("verified-badge").inner_text() == "Verified"
    assert page.get_by_test_id("sex").inner_text() == "Female"
    assert page.get_by_test_id("tab-me").inner_text().strip().endswith("Me")
    shot(page, "citizen-profile-en")

    page.get_by_test_id("tab-home").click()  # the language sticks (cookie)
    assert page.get_by_test_id("greeting").inner_text().startswith("Hello, 林*雨")
    shot(page, "citizen-home-en")
    page.get_by_test_id("tab-cards").click()
    assert page.get_by_test_id("identity-card").is_visible()
    shot(page, "citizen-cards-en")

    page.get_by_test_id("tab-me").click()
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/app?done=signed_out")
    assert page.get_by_test_id("notice").inner_text() == "You have signed out"
    page.goto("/app/profile")
    assert "/app/login" in page.url
    assert outside == [] and console_errors == []
