"""/gateway.do's common parameters and signatures: each refusal answers in Alipay's shape (signed,
HTTP 200, the right code/sub_code, under the method's response key or `error_response`) and changes
nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest

from onecity import clock
from onecity.crypto import rsa2
from onecity.gateway import service as gateway
from onecity.payments.trade import service as trade
from tests.gateway.factories import (
    app_key,
    beijing_now,
    call,
    make_gateway_app,
    public_pem,
    signed,
    split_reply,
)
from tests.payments.trade.factories import make_merchant

PRECREATE = {"out_trade_no": "NEG-1", "total_amount": "9.99", "subject": "测试"}


@pytest.fixture
def merchant_app(session: Any) -> tuple[Any, Any, Any]:
    merchant = make_merchant(session)
    app, key = make_gateway_app(session, merchant)
    session.commit()
    return merchant, app, key


def _no_order(session: Any, merchant_id: str, out_trade_no: str = "NEG-1") -> bool:
    try:
        trade.query(session, merchant_id=merchant_id, out_trade_no=out_trade_no)
    except trade.OrderNotFound:
        return True
    finally:
        session.rollback()
    return False


def _expect(client: Any, params: dict[str, str], key: str, code: str, sub_code: str, *, get: bool = False) -> dict[str, Any]:
    got_key, obj, _ = call(client, params, get=get)
    assert (got_key, obj["code"], obj.get("sub_code")) == (key, code, sub_code), obj
    assert obj["msg"] == {"40001": "Missing Required Arguments", "40002": "Invalid Arguments",
                          "40004": "Business Failed", "40006": "Insufficient Permissions"}[code]
    assert obj["sub_msg"]
    return obj


def test_a_signed_precreate_succeeds_by_post_and_by_get(client, session, merchant_app):
    merchant, app, key = merchant_app
    _, obj, text = call(client, signed(app.app_id, key, "alipay.trade.precreate", PRECREATE))
    assert obj["code"] == "10000" and obj["msg"] == "Success" and obj["out_trade_no"] == "NEG-1"
    assert text.startswith('{"alipay_trade_precreate_response":{"code":"10000"')
    _, obj, _ = call(client, signed(app.app_id, key, "alipay.trade.query", {"out_trade_no": "NEG-1"}), get=True)
    assert (obj["trade_status"], obj["total_amount"]) == ("WAIT_BUYER_PAY", "9.99")


def test_the_reply_signature_covers_the_exact_object_text(client, session, merchant_app):
    _, app, key = merchant_app
    r = client.post("/gateway.do", data=signed(app.app_id, key, "alipay.trade.query", {"out_trade_no": "X"}))
    name, body, sign = split_reply(r.text)
    assert name == "alipay_trade_query_response"
    assert rsa2.verify_text(body, sign, rsa2.platform_public_key_base64())
    assert not rsa2.verify_text(body.replace("交易不存在", "交易不存在 "), sign, rsa2.platform_public_pem())
    assert json.loads(r.text)[name] == json.loads(body)  # the text is one JSON document too


def test_bad_signature_is_refused_and_changes_nothing(client, session, merchant_app):
    merchant, app, key = merchant_app
    params = signed(app.app_id, key, "alipay.trade.precreate", PRECREATE)
    tampered = dict(params, biz_content=params["biz_content"].replace("9.99", "0.01"))
    obj = _expect(client, tampered, "alipay_trade_precreate_response", "40002", "isv.invalid-signature")
    assert "验签出错" in obj["sub_msg"]
    other = signed(app.app_id, app_key(fresh=True), "alipay.trade.precreate", PRECREATE)
    _expect(client, other, "alipay_trade_precreate_response", "40002", "isv.invalid-signature")
    garbage = dict(params, sign="not-base64!!")
    _expect(client, garbage, "alipay_trade_precreate_response", "40002", "isv.invalid-signature")
    # the notification form (sign_type left out) is not what requests are signed over
    notify_form = dict(params, sign=rsa2.sign_params(params, private_key=key))
    _expect(client, notify_form, "alipay_trade_precreate_response", "40002", "isv.invalid-signature")
    assert _no_order(session, merchant.public_id)


def test_unknown_and_disabled_apps(client, session, merchant_app):
    merchant, app, key = merchant_app
    _expect(client, signed("2026999999999999", key, "alipay.trade.precreate", PRECREATE),
            "alipay_trade_precreate_response", "40002", "isv.invalid-app-id")
    _expect(client, signed("not-an-app", key, "alipay.trade.precreate", PRECREATE),
            "alipay_trade_precreate_response", "40002", "isv.invalid-app-id")
    params = signed(app.app_id, key, "alipay.trade.precreate", PRECREATE)
    _expect(client, {k: v for k, v in params.items() if k != "app_id"},
            "alipay_trade_precreate_response", "40001", "isv.missing-app-id")
    gateway.set_app_status(session, merchant_id=merchant.public_id, app_id=app.app_id, status="disabled", actor="test")
    session.commit()
    _expect(client, params, "alipay_trade_precreate_response", "40006", "isv.insufficient-isv-permissions")
    assert _no_order(session, merchant.public_id)
    gateway.set_app_status(session, merchant_id=merchant.public_id, app_id=app.app_id, status="active", actor="test")
    session.commit()
    assert call(client, params)[1]["code"] == "10000"


def test_stale_future_and_malformed_timestamps(client, session, merchant_app):
    merchant, app, key = merchant_app
    skew = timedelta(minutes=5, seconds=30)  # the window is signature_max_skew_seconds = 300
    for ts in (beijing_now(clock.now() - skew), beijing_now(clock.now() + skew), "2026-11-26T12:00:00",
               "1764158400"):
        obj = _expect(client, signed(app.app_id, key, "alipay.trade.precreate", PRECREATE, timestamp=ts),
                      "alipay_trade_precreate_response", "40002", "isv.invalid-timestamp")
        assert "时间戳" in obj["sub_msg"]
    # just inside the window passes
    ok = signed(app.app_id, key, "alipay.trade.precreate", PRECREATE,
                timestamp=beijing_now(clock.now() - timedelta(minutes=4)))
    assert call(client, ok)[1]["code"] == "10000"
    # the platform clock is what counts: a request replayed six minutes later is refused
    clock.advance(timedelta(minutes=6))
    _expect(client, ok, "alipay_trade_precreate_response", "40002", "isv.invalid-timestamp")


def test_missing_and_invalid_biz_content(client, session, merchant_app):
    merchant, app, key = merchant_app
    for biz in (None, "", "{not json", "[1, 2]", '"text"'):
        _expect(client, signed(app.app_id, key, "alipay.trade.precreate", biz),
                "alipay_trade_precreate_response", "40002", "isv.invalid-parameter")
    # well-formed JSON without what the method needs: a business failure, as Alipay answers
    for biz in ({}, {"out_trade_no": "NEG-1", "subject": "x"}, {**PRECREATE, "total_amount": "12.345"},
                {**PRECREATE, "total_amount": "-1"}, {**PRECREATE, "total_amount": "0"},
                {**PRECREATE, "total_amount": "100000000.01"}, {**PRECREATE, "out_trade_no": "带中文"},
                {**PRECREATE, "subject": ""}, {**PRECREATE, "timeout_express": "90x"},
                {**PRECREATE, "subject": {"nested": 1}}):
        _expect(client, signed(app.app_id, key, "alipay.trade.precreate", biz),
                "alipay_trade_precreate_response", "40004", "ACQ.INVALID_PARAMETER")
    assert _no_order(session, merchant.public_id)


def test_unknown_and_missing_method(client, session, merchant_app):
    _, app, key = merchant_app
    _expect(client, signed(app.app_id, key, "alipay.trade.page.pay", PRECREATE), "error_response", "40002",
            "isv.invalid-method")
    params = signed(app.app_id, key, "alipay.trade.precreate", PRECREATE)
    _expect(client, {k: v for k, v in params.items() if k != "method"}, "error_response", "40001",
            "isv.missing-method")
    # nothing at all (a browser opening the URL)
    key_name, obj, _ = call(client, {}, get=True)
    assert (key_name, obj["sub_code"]) == ("error_response", "isv.missing-method")


def test_other_common_parameters(client, session, merchant_app):
    merchant, app, key = merchant_app
    base = "alipay_trade_precreate_response"
    params = signed(app.app_id, key, "alipay.trade.precreate", PRECREATE)
    _expect(client, {k: v for k, v in params.items() if k != "sign"}, base, "40001", "isv.missing-signature")
    _expect(client, {k: v for k, v in params.items() if k != "sign_type"}, base, "40001",
            "isv.missing-signature-type")
    _expect(client, {k: v for k, v in params.items() if k != "timestamp"}, base, "40001", "isv.missing-timestamp")
    _expect(client, {k: v for k, v in params.items() if k != "version"}, base, "40001", "isv.missing-version")
    _expect(client, signed(app.app_id, key, "alipay.trade.precreate", PRECREATE, sign_type="RSA"), base,
            "40002", "isv.invalid-signature-type")
    _expect(client, signed(app.app_id, key, "alipay.trade.precreate", PRECREATE, charset="GBK"), base, "40002",
            "isv.invalid-charset")
    _expect(client, signed(app.app_id, key, "alipay.trade.precreate", PRECREATE, format="XML"), base, "40002",
            "isv.invalid-format")
    _expect(client, signed(app.app_id, key, "alipay.trade.precreate", PRECREATE, version="2.0"), base, "40002",
            "isv.invalid-parameter")
    # app_auth_token is accepted (and ignored); notify_url is taken
    ok = signed(app.app_id, key, "alipay.trade.precreate", PRECREATE, app_auth_token="201811BB",  # noqa: S106 - a placeholder token
                notify_url="https://shop.example.com/notify")
    assert call(client, ok)[1]["code"] == "10000"
    assert trade.query(session, merchant_id=merchant.public_id,
                       out_trade_no="NEG-1").notify_url == "https://shop.example.com/notify"
    session.rollback()


def test_parameters_given_twice_or_undecodable(client, session, merchant_app):
    merchant, app, key = merchant_app
    params = signed(app.app_id, key, "alipay.trade.precreate", PRECREATE)
    query = {k: v for k, v in params.items() if k != "biz_content"}
    # the same value twice (query and body) is fine; two different values are not
    r = client.post("/gateway.do", params=query, data={"biz_content": params["biz_content"], "app_id": app.app_id})
    assert '"code":"10000"' in r.text
    r = client.post("/gateway.do", params=query, data={"biz_content": params["biz_content"],
                                                       "app_id": "2026000000000000"})
    assert '"sub_code":"isv.invalid-parameter"' in r.text
    r = client.post("/gateway.do", params=query, content=b"biz_content=%FF%FE",
                    headers={"content-type": "application/x-www-form-urlencoded"})
    assert '"sub_code":"isv.invalid-charset"' in r.text and r.status_code == 200
    r = client.post("/gateway.do", params=query, json={"biz_content": params["biz_content"]})
    assert '"sub_code":"isv.invalid-parameter"' in r.text
    # multipart (what the SDKs send when a method uploads a file) is read too
    r = client.post("/gateway.do", params=query, data={"biz_content": params["biz_content"]},
                    files={"image": ("a.png", b"\x89PNG", "image/png")})
    assert '"code":"10000"' in r.text


def test_replacing_the_key_invalidates_the_old_one(client, session, merchant_app):
    merchant, app, old = merchant_app
    new = app_key(fresh=True)
    gateway.replace_app_key(session, merchant_id=merchant.public_id, app_id=app.app_id,
                            rsa_public_pem=rsa2.bare_base64(public_pem(new)), actor="test")
    session.commit()
    _expect(client, signed(app.app_id, old, "alipay.trade.precreate", PRECREATE),
            "alipay_trade_precreate_response", "40002", "isv.invalid-signature")
    assert call(client, signed(app.app_id, new, "alipay.trade.precreate", PRECREATE))[1]["code"] == "10000"


def test_a_platform_failure_is_20000_and_rolls_back(client, session, merchant_app, monkeypatch):
    merchant, app, key = merchant_app
    from onecity.gateway.service import methods

    def broken(session: Any, call: Any) -> Any:
        methods.precreate(session, call)  # the order is written…
        raise RuntimeError("the disk is on fire")  # …then the platform fails

    monkeypatch.setitem(methods.METHODS, "alipay.trade.precreate", broken)
    from fastapi.testclient import TestClient

    with TestClient(client.app, raise_server_exceptions=False) as c:
        key_name, obj, _ = call(c, signed(app.app_id, key, "alipay.trade.precreate", PRECREATE))
    assert (key_name, obj["code"], obj["msg"], obj["sub_code"]) == (
        "alipay_trade_precreate_response", "20000", "Service Currently Unavailable", "isp.unknow-error")
    assert _no_order(session, merchant.public_id)


def test_the_signature_is_the_authentication(client, session, merchant_app):
    """No session, no Idempotency-Key: a signed form is all a call needs (retries are recognised by
    out_trade_no, see test_methods)."""
    _, app, key = merchant_app
    client.cookies.clear()
    r1 = client.post("/gateway.do", data=signed(app.app_id, key, "alipay.trade.precreate", PRECREATE))
    r2 = client.post("/gateway.do", data=signed(app.app_id, key, "alipay.trade.query", {"out_trade_no": "NEG-1"}))
    assert '"code":"10000"' in r1.text and '"trade_status":"WAIT_BUYER_PAY"' in r2.text
