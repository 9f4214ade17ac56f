"""Organisation console in a real browser: staff sign in, register an API key (then sign a request
with it against the live server), revoke it, switch to English; an administrator onboards an
organisation."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from onecity.crypto.signing import generate_ed25519
from onecity.db import transaction
from onecity.identity.orgs.signatures import sign_request
from tests.e2e.steps import desk_page, sign_in, top_shot
from tests.identity.orgs.factories import fresh_uscc, make_admin, make_org, make_staff

pytestmark = pytest.mark.e2e


@pytest.fixture
def desk(browser: Any, live_server: str) -> Iterator[Any]:
    """A desktop-sized page that fetches nothing from outside the platform."""
    with desk_page(browser, live_server, only_platform=True) as pg:
        yield pg


def test_staff_sign_in_and_register_an_api_key(desk, live_server):
    with transaction() as s:
        org = make_org(s, kind="merchant", name="福田便利店")
        make_staff(s, org, roles=["owner"], username="futian.owner", name="陈店长")
        make_staff(s, org, roles=["cashier"], username="futian.cashier", name="王收银")
        org_id = org.public_id

    desk.goto("/console")
    assert "/console/login?next=/console" in desk.url
    top_shot(desk, "console-login")
    desk.get_by_test_id("username").fill("futian.owner")
    desk.get_by_test_id("password").fill("wrong-password!")
    desk.get_by_test_id("submit").click()
    assert desk.get_by_test_id("error").inner_text() == "用户名或密码错误"
    sign_in(desk, "futian.owner")
    desk.wait_for_url("**/console")
    assert desk.get_by_test_id("org-name").inner_text() == "福田便利店"
    assert desk.get_by_test_id("org-kind").inner_text() == "商户"
    assert desk.get_by_test_id("me-name").inner_text() == "陈店长"
    assert "所有者" in desk.get_by_test_id("me-roles").inner_text()
    assert "王收银" in desk.get_by_test_id("staff-table").inner_text()
    assert desk.get_by_test_id("no-keys").is_visible()
    top_shot(desk, "console-home")

    private_pem, public_pem = generate_ed25519()
    desk.get_by_test_id("key-label").fill("收银系统（生产）")
    desk.get_by_test_id("key-pem").fill(public_pem)
    desk.locator('input[name="scopes"][value="cashier"]').check()
    desk.get_by_test_id("register-key").click()
    notice = desk.get_by_test_id("notice").inner_text()
    assert notice.startswith("公钥已登记，应用 ID：app_")
    app_id = notice.rsplit("：", 1)[1].strip()
    row = desk.locator(f'[data-testid="key-row"][data-app-id="{app_id}"]')
    assert "收银系统（生产）" in row.inner_text() and "收银员" in row.inner_text()
    assert "api_key.register" in desk.get_by_test_id("audit-table").inner_text()
    top_shot(desk, "console-key-registered")

    # The integrator signs a request with the private key against the running server.
    url = f"{live_server}/v1/orgs/me"
    r = httpx.get(url, headers=sign_request(private_pem, app_id, "GET", url))
    assert r.status_code == 200, r.text
    assert r.json()["org"]["id"] == org_id and r.json()["caller"]["roles"] == ["cashier"]

    desk.once("dialog", lambda d: d.accept())
    row.get_by_test_id("revoke").click()
    assert desk.get_by_test_id("notice").inner_text() == "公钥已吊销"
    assert desk.locator(f'[data-testid="key-row"][data-app-id="{app_id}"]').get_by_test_id(
        "key-status").inner_text() == "已吊销"
    r = httpx.get(url, headers=sign_request(private_pem, app_id, "GET", url))
    assert r.status_code == 401 and r.json()["code"] == "api_key_revoked"

    desk.get_by_test_id("lang-switch").click()
    assert desk.get_by_test_id("org-kind").inner_text() == "Merchant"
    assert "API keys" in desk.get_by_test_id("keys-card").inner_text()
    top_shot(desk, "console-home-en")
    desk.get_by_test_id("logout").click()
    desk.wait_for_url("**/console/login?done=signed_out")
    assert desk.get_by_test_id("notice").inner_text() == "Signed out"


def test_cashier_sees_only_their_own_card(desk):
    with transaction() as s:
        org = make_org(s, kind="merchant", name="南山便利店")
        make_staff(s, org, roles=["cashier"], username="ns.cashier", name="周收银")
    desk.goto("/console/login")
    sign_in(desk, "ns.cashier")
    desk.wait_for_url("**/console")
    assert desk.get_by_test_id("me-name").inner_text() == "周收银"
    assert desk.get_by_test_id("keys-card").count() == 0 and desk.get_by_test_id("staff-card").count() == 0


def test_admin_onboards_an_organisation(desk):
    with transaction() as s:
        admin = make_admin(s)
        admin_username = admin.username
    desk.goto("/console/login")
    sign_in(desk, admin_username)
    desk.wait_for_url("**/console")
    desk.get_by_test_id("nav-orgs").click()
    desk.wait_for_url("**/console/orgs")
    desk.get_by_test_id("org-kind-select").select_option("hospital")
    desk.get_by_test_id("org-name-input").fill("深圳市第二人民医院")
    desk.get_by_test_id("org-uscc-input").fill("12440300455755178X")  # not a valid check character
    desk.get_by_test_id("owner-username").fill("szh2.owner")
    desk.get_by_test_id("owner-name").fill("郑院长")
    desk.get_by_test_id("owner-password").fill("hospital-pass-01")
    desk.get_by_test_id("create-org").click()
    assert desk.get_by_test_id("error").inner_text() == "统一社会信用代码无效"
    assert desk.get_by_test_id("org-name-input").input_value() == "深圳市第二人民医院"  # input kept
    desk.get_by_test_id("org-uscc-input").fill(fresh_uscc())
    desk.get_by_test_id("owner-password").fill("hospital-pass-01")
    desk.get_by_test_id("create-org").click()
    assert desk.get_by_test_id("notice").inner_text() == "机构已创建"
    assert "深圳市第二人民医院" in desk.get_by_test_id("orgs-table").inner_text()
    top_shot(desk, "console-orgs")
