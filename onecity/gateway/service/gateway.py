"""One `/gateway.do` call: the common parameters checked in Alipay's order, the app's RSA2 signature
verified, biz_content parsed, the method run, and the signed reply built.

Order of checks (the first failure answers): method present (40001 isv.missing-method) and known
(40002 isv.invalid-method, as `error_response`); app_id present and registered (isv.missing-app-id /
isv.invalid-app-id); the app enabled (40006 isv.insufficient-isv-permissions); sign and sign_type
present, sign_type RSA2; charset utf-8, format JSON, version 1.0; timestamp present, well-formed
("yyyy-MM-dd HH:mm:ss", Beijing time) and within `signature_max_skew_seconds` of the platform clock
(isv.invalid-timestamp); the signature over every other parameter, sign_type included (the SDKs sign
it) (isv.invalid-signature); biz_content a JSON object (isv.invalid-parameter). Then the method runs;
a business failure is 40004 with an `ACQ.*` sub_code.

A failed call changes nothing: the reply says `commit=False` and the caller rolls back. There is no
nonce: as on Alipay, a replayed request within the window is harmless because every method is
idempotent by the merchant's own numbers (out_trade_no, out_request_no).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.config import get_settings
from onecity.crypto import rsa2
from onecity.crypto.signing import BadKey
from onecity.errors import DomainError
from onecity.gateway.models import GatewayApp
from onecity.gateway.service.apps import app_for_request, touch
from onecity.gateway.service.methods import METHODS, TIME_FORMAT, Call
from onecity.gateway.service.replies import (
    FORBIDDEN,
    INVALID,
    MISSING,
    UNAVAILABLE,
    GatewayError,
    GatewayReply,
    failure,
    from_domain_error,
    response_key,
    success,
)

log = logging.getLogger("onecity.gateway")

MAX_PARAM = 100_000  # characters in one parameter (biz_content included)


def _missing(sub_code: str, sub_msg: str) -> GatewayError:
    return GatewayError(MISSING, sub_code, sub_msg)


def _invalid(sub_code: str, sub_msg: str) -> GatewayError:
    return GatewayError(INVALID, sub_code, sub_msg)


def _timestamp(text: str) -> datetime:
    try:
        at = datetime.strptime(text, TIME_FORMAT).replace(tzinfo=clock.CITY_TZ)
    except ValueError as exc:
        raise _invalid("isv.invalid-timestamp", "非法的时间戳参数: 格式应为 yyyy-MM-dd HH:mm:ss（北京时间）") from exc
    window = timedelta(seconds=get_settings().signature_max_skew_seconds)
    if abs(clock.now() - at) > window:
        raise _invalid("isv.invalid-timestamp",
                       f"非法的时间戳参数: 与服务器时间相差超过 {int(window.total_seconds())} 秒")
    return at


def _authenticate(session: Session, p: Mapping[str, str]) -> GatewayApp:
    app_id = p.get("app_id", "")
    if not app_id:
        raise _missing("isv.missing-app-id", "缺少AppID参数")
    app = app_for_request(session, app_id)
    if app is None:
        raise _invalid("isv.invalid-app-id", "无效的AppID参数")
    if app.status != "active":
        raise GatewayError(FORBIDDEN, "isv.insufficient-isv-permissions", "应用已停用，无权调用该接口")
    if not p.get("sign"):
        raise _missing("isv.missing-signature", "缺少签名参数")
    if not p.get("sign_type"):
        raise _missing("isv.missing-signature-type", "缺少签名类型参数")
    if p["sign_type"] != "RSA2":
        raise _invalid("isv.invalid-signature-type", "无效的签名类型: 只支持 RSA2")
    if p.get("charset", "utf-8").lower() not in ("utf-8", "utf8"):
        raise _invalid("isv.invalid-charset", "字符集错误: 只支持 utf-8")
    if p.get("format", "JSON").upper() != "JSON":
        raise _invalid("isv.invalid-format", "无效的数据格式: 只支持 JSON")
    if not p.get("version"):
        raise _missing("isv.missing-version", "缺少版本参数")
    if p["version"] != "1.0":
        raise _invalid("isv.invalid-parameter", "参数无效: version 只支持 1.0")
    if not p.get("timestamp"):
        raise _missing("isv.missing-timestamp", "缺少时间戳参数")
    _timestamp(p["timestamp"])
    try:
        ok = rsa2.verify_params(p, app.public_key_pem, exclude=rsa2.REQUEST_EXCLUDED)
    except BadKey:  # pragma: no cover - keys are checked when registered
        ok = False
    if not ok:
        raise _invalid("isv.invalid-signature", "验签出错，建议检查签名字符串或签名私钥与应用公钥是否匹配，"
                       "网关生成的验签字符串为：" + rsa2.sign_content(p, exclude=rsa2.REQUEST_EXCLUDED))
    return app


def _biz_content(p: Mapping[str, str]) -> dict[str, Any]:
    text = p.get("biz_content", "")
    if not text:
        raise _invalid("isv.invalid-parameter", "参数无效: 缺少 biz_content")
    try:
        biz = json.loads(text)
    except ValueError as exc:
        raise _invalid("isv.invalid-parameter", "参数无效: biz_content 不是合法的 JSON") from exc
    if not isinstance(biz, dict):
        raise _invalid("isv.invalid-parameter", "参数无效: biz_content 必须是 JSON 对象")
    return biz


def handle(session: Session, params: Mapping[str, str], *, problem: GatewayError | None = None) -> GatewayReply:
    """Answer one gateway request. `problem` is a failure found while reading the HTTP request
    (duplicate or undecodable parameters); it is reported once the method is known."""
    method = params.get("method") or None
    known = method in METHODS
    key = response_key(method, known)
    try:
        if problem is not None:
            raise problem
        if method is None:
            raise _missing("isv.missing-method", "缺少方法名参数")
        if not known:
            raise _invalid("isv.invalid-method", "不存在的方法名")
        if any(len(v) > MAX_PARAM for v in params.values()):
            raise _invalid("isv.invalid-parameter", "参数无效: 参数过长")
        app = _authenticate(session, params)
        biz = _biz_content(params)
        call = Call(app=app, biz=biz, notify_url=params.get("notify_url") or None, started_at=clock.now())
        code, fields = METHODS[method](session, call)  # type: ignore[index]
        touch(app)
        return success(key, fields, code)
    except GatewayError as err:
        return failure(key, err)
    except DomainError as exc:
        return failure(key, from_domain_error(exc))


def unavailable(params: Mapping[str, str]) -> GatewayReply:
    """The reply when the platform itself failed (20000): the client should query and retry."""
    method = params.get("method") or None
    return failure(response_key(method, method in METHODS),
                   GatewayError(UNAVAILABLE, "isp.unknow-error", "服务暂不可用（业务系统不可用），请稍后重试或查询交易结果"))
