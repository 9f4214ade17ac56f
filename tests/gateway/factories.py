"""Factories and a minimal hand-written Alipay client for the gateway tests.

    merchant = make_merchant(session)                          # tests.payments.trade.factories
    app, key = make_gateway_app(session, merchant)             # key: the app's RSA private key
    session.commit()
    params = signed(app.app_id, key, "alipay.trade.query", {"out_trade_no": "T1"})
    key_name, obj, reply = call(client, params)                # reply's signature already checked
"""

from __future__ import annotations

import base64
import json
import re
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from sqlalchemy.orm import Session

from onecity import clock
from onecity.crypto import rsa2
from onecity.gateway import service as gateway
from onecity.gateway.schemas import GatewayAppOut

_KEYS: list[rsa.RSAPrivateKey] = []


def app_key(fresh: bool = False) -> rsa.RSAPrivateKey:
    """An app's RSA-2048 key (one reused across tests unless `fresh`: generation costs ~50 ms)."""
    if fresh or not _KEYS:
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        if not _KEYS:
            _KEYS.append(k)
        return k
    return _KEYS[0]


def public_pem(k: rsa.RSAPrivateKey) -> str:
    return rsa2.public_pem(k.public_key())


def sdk_private_key(k: rsa.RSAPrivateKey) -> str:
    """The "应用私钥" form alipay-sdk-python loads: PKCS#1 DER in base64, without markers."""
    der = k.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL,
                          serialization.NoEncryption())
    return base64.b64encode(der).decode()


def make_gateway_app(session: Session, merchant: Any, *, notify_url: str | None = None, name: str = "收银台",
                     key: rsa.RSAPrivateKey | None = None) -> tuple[GatewayAppOut, rsa.RSAPrivateKey]:
    k = key or app_key()
    app = gateway.register_app(session, merchant_id=merchant.public_id, name=name, rsa_public_pem=public_pem(k),
                               notify_url=notify_url, actor="test:factory")
    session.flush()
    return app, k


def beijing_now(at: datetime | None = None) -> str:
    return (at or clock.now()).astimezone(clock.CITY_TZ).strftime("%Y-%m-%d %H:%M:%S")


def signed(app_id: str, key: rsa.RSAPrivateKey, method: str, biz: dict[str, Any] | str | None, *,
           timestamp: str | None = None, **common: str) -> dict[str, str]:
    """Request parameters signed the way the SDKs sign them (every parameter but `sign`)."""
    params = {"app_id": app_id, "method": method, "format": "JSON", "charset": "utf-8", "sign_type": "RSA2",
              "timestamp": timestamp or beijing_now(), "version": "1.0", **common}
    if biz is not None:
        params["biz_content"] = biz if isinstance(biz, str) else json.dumps(biz, ensure_ascii=False)
    params["sign"] = rsa2.sign_params(params, exclude=rsa2.REQUEST_EXCLUDED, private_key=key)
    return params


_BEGIN = re.compile(r'"([a-z_]+_response)":')
_SIGN = re.compile(r'},"sign":"([^"]+)"}$')


def split_reply(text: str) -> tuple[str, str, str]:
    """(response key, the response object's exact text, sign) — cut out as the SDKs do."""
    m1, m2 = _BEGIN.search(text), _SIGN.search(text)
    assert m1 and m2, text
    return m1.group(1), text[m1.end():m2.start() + 1], m2.group(1)


def call(client: Any, params: dict[str, str], *, get: bool = False) -> tuple[str, dict[str, Any], str]:
    """POST (or GET) /gateway.do; asserts HTTP 200 and the platform's signature over the object text."""
    if get:
        r = client.get("/gateway.do", params=params)
    else:
        biz = {k: v for k, v in params.items() if k == "biz_content"}
        query = {k: v for k, v in params.items() if k != "biz_content"}
        r = client.post("/gateway.do", params=query, data=biz)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/json")
    key, body, sign = split_reply(r.text)
    assert rsa2.verify_text(body, sign, rsa2.platform_public_pem()), "the reply's signature does not verify"
    return key, json.loads(body), r.text
