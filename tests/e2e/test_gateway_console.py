"""The open-platform console page in a real browser (phone-sized): a merchant's developer registers an
app with an RSA key in Alipay's one-line form, downloads the platform key, calls /gateway.do with the
new app id, then disables the app; a wrong key is refused in place; a cashier may not open the page."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from onecity.crypto import rsa2
from onecity.db import transaction
from tests.e2e.steps import sign_in, top_shot
from tests.gateway.factories import app_key, public_pem, signed, split_reply
from tests.identity.orgs.factories import make_staff
from tests.payments.trade.factories import make_merchant

pytestmark = pytest.mark.e2e


def _sign_in(pg: Any, username: str, target: str = "/console/gateway") -> None:
    pg.goto(target)
    assert "/console/login" in pg.url
    sign_in(pg, username)


def test_register_an_app_download_the_key_and_call_the_gateway(page, live_server):
    with transaction() as s:
        merchant = make_merchant(s, name="华强北数码")
        make_staff(s, merchant, roles=["developer"], username="hqb.dev", name="赵工")
        merchant_id = merchant.public_id
    key = app_key(fresh=True)

    _sign_in(page, "hqb.dev")
    page.wait_for_url("**/console/gateway")
    assert page.get_by_test_id("no-apps").is_visible()
    assert page.get_by_test_id("platform-key").input_value() == rsa2.platform_public_key_base64()
    assert page.get_by_test_id("gateway-endpoint").inner_text().endswith("/gateway.do")

    # a key that is not one: refused, the form keeps what was typed
    page.get_by_test_id("app-name").fill("门店收银台")
    page.get_by_test_id("app-key").fill("MIIBIjANBgkq-not-a-key")
    page.get_by_test_id("register-app").click()
    assert "应用公钥无效" in page.get_by_test_id("error").inner_text()
    assert page.get_by_test_id("app-name").input_value() == "门店收银台"

    page.get_by_test_id("app-key").fill(rsa2.bare_base64(public_pem(key)))
    page.get_by_test_id("app-notify-url").fill("https://hqb.example.com/alipay/notify")
    page.get_by_test_id("register-app").click()
    page.wait_for_url("**/console/gateway?done=registered*")
    notice = page.get_by_test_id("notice").inner_text()
    app_id = page.get_by_test_id("app-id").first.inner_text()
    assert len(app_id) == 16 and app_id.isdigit() and app_id in notice
    assert page.get_by_test_id("app-status").first.inner_text() == "已启用"
    top_shot(page, "gateway-console-registered")

    with page.expect_download() as dl:
        page.get_by_test_id("download-platform-key").click()
    downloaded = dl.value
    assert downloaded.suggested_filename == "onecity_platform_public_key.pem"
    assert open(downloaded.path(), encoding="utf-8").read() == rsa2.platform_public_pem()  # noqa: PTH123

    # the new app id works against the live gateway, and the reply verifies with the downloaded key
    params = signed(app_id, key, "alipay.trade.precreate", {"out_trade_no": "WEB-1", "total_amount": "1.23",
                                                           "subject": "数据线"})
    r = httpx.post(live_server + "/gateway.do", data=params)
    name, body, sign = split_reply(r.text)
    assert rsa2.verify_text(body, sign, open(downloaded.path(), encoding="utf-8").read())  # noqa: PTH123
    assert (name, json.loads(body)["code"]) == ("alipay_trade_precreate_response", "10000")

    # disable it (confirming the dialog): the gateway refuses the app from now on
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("toggle-status").first.click()
    page.wait_for_url("**done=disabled*")
    assert page.get_by_test_id("app-status").first.inner_text() == "已停用"
    top_shot(page, "gateway-console-disabled")
    r = httpx.post(live_server + "/gateway.do", data=signed(app_id, key, "alipay.trade.query",
                                                             {"out_trade_no": "WEB-1"}))
    assert '"sub_code":"isv.insufficient-isv-permissions"' in r.text

    page.goto("/console/gateway?lang=en")
    assert page.get_by_test_id("app-status").first.inner_text() == "Disabled"
    assert merchant_id


def test_a_cashier_may_not_manage_apps(page):
    with transaction() as s:
        merchant = make_merchant(s)
        make_staff(s, merchant, roles=["cashier"], username="gw.cashier", name="钱收银")
    _sign_in(page, "gw.cashier")
    page.wait_for_load_state()
    assert page.get_by_test_id("register-app-form").count() == 0
    r = page.request.get("/console/gateway")
    assert r.status == 403
