"""`/gateway.do`: the open API in Alipay Open Platform conventions (GET or POST).

Parameters come from the query string and from a form body (`application/x-www-form-urlencoded`,
or multipart): the SDKs put the common parameters in the query string and `biz_content` in the body.
The app's RSA2 signature is the authentication — there is no session, and no Idempotency-Key (as on
Alipay, retries are recognised by out_trade_no / out_request_no) — so the route is PUBLIC for the
authorisation matrix. The answer is always HTTP 200 with Alipay's signed JSON, failures included
(the SDKs treat any other status as a transport failure); a failed call commits nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Annotated
from urllib.parse import parse_qsl

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from onecity.authz import PUBLIC, Principal
from onecity.deps import DbSession
from onecity.gateway import service
from onecity.gateway.service.replies import INVALID, GatewayError

log = logging.getLogger("onecity.gateway")
router = APIRouter(tags=["open platform (Alipay conventions)"])

MAX_BODY = 1024 * 1024
MEDIA_TYPE = "application/json;charset=utf-8"


@dataclass
class GatewayRequest:
    params: dict[str, str] = field(default_factory=dict)
    problem: GatewayError | None = None


def _problem(sub_code: str, sub_msg: str) -> GatewayError:
    return GatewayError(INVALID, sub_code, sub_msg)


async def read_gateway_request(request: Request) -> GatewayRequest:
    """All parameters of the call, query string and body merged; a parameter given twice with two
    different values, an undecodable one or an oversized body is a problem to report."""
    out = GatewayRequest()
    pairs: list[tuple[str, str]] = []
    try:
        pairs += parse_qsl(request.scope.get("query_string", b"").decode("ascii"), keep_blank_values=True,
                           encoding="utf-8", errors="strict")
        if request.method == "POST":
            ctype = request.headers.get("content-type", "").lower()
            if ctype.startswith("multipart/form-data"):
                form = await request.form()
                pairs += [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
            else:
                body = await request.body()
                if len(body) > MAX_BODY:
                    out.problem = _problem("isv.invalid-parameter", "参数无效: 请求内容过大")
                    return out
                if ctype.startswith("application/json"):
                    out.problem = _problem("isv.invalid-parameter",
                                           "参数无效: 请以 application/x-www-form-urlencoded 提交参数")
                pairs += parse_qsl(body.decode("utf-8"), keep_blank_values=True, encoding="utf-8",
                                   errors="strict")
    except UnicodeError:
        out.problem = _problem("isv.invalid-charset", "字符集错误: 参数须为 utf-8 编码")
        return out
    for k, v in pairs:
        if k in out.params and out.params[k] != v:
            out.problem = out.problem or _problem("isv.invalid-parameter", f"参数无效: 参数 {k} 重复且取值不同")
        out.params[k] = v
    return out


Params = Annotated[GatewayRequest, Depends(read_gateway_request)]


_SUMMARY = "Alipay-compatible gateway: alipay.trade.precreate/pay/create/query/refund/close"


@router.get("/gateway.do", response_class=Response, summary=_SUMMARY, operation_id="gateway_get")
@router.post("/gateway.do", response_class=Response, summary=_SUMMARY, operation_id="gateway_post")
def gateway(call: Params, db: DbSession, _caller: Principal = Depends(PUBLIC)) -> Response:
    try:
        reply = service.handle(db, call.params, problem=call.problem)
        if reply.commit:
            db.commit()
        else:
            db.rollback()
    except Exception:  # the platform failed, not the call: 20000, and the client queries/retries
        log.exception("gateway call failed", extra={"method": call.params.get("method"),
                                                    "app_id": call.params.get("app_id")})
        db.rollback()
        reply = service.unavailable(call.params)
    log.info("gateway call", extra={"method": call.params.get("method"), "app_id": call.params.get("app_id"),
                                    "code": reply.code, "sub_code": reply.sub_code})
    return Response(reply.text, media_type=MEDIA_TYPE)
