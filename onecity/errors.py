"""Domain errors and their rendering as RFC 9457 problem+json.

Every failure a client can see carries a stable machine `code`, a human `title` in the request's
language (zh-CN default, en), the HTTP `status`, and the `request_id` that also appears in the logs.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from onecity.i18n import negotiate

log = logging.getLogger("onecity.errors")

PROBLEM_JSON = "application/problem+json"


class DomainError(Exception):
    """Base of every error a client may see. Subclasses set `code`, `status` and both messages."""

    code: ClassVar[str] = "domain_error"
    status: ClassVar[int] = 400
    message_zh: ClassVar[str] = "请求无法完成"
    message_en: ClassVar[str] = "The request cannot be completed"

    def __init__(self, detail: str | None = None, **extra: Any) -> None:
        super().__init__(detail or self.message_en)
        self.detail = detail
        self.extra = extra

    def title(self, lang: str) -> str:
        return self.message_en if lang == "en" else self.message_zh


class NotFound(DomainError):
    code = "not_found"
    status = 404
    message_zh = "找不到请求的资源"
    message_en = "The requested resource was not found"


class Conflict(DomainError):
    code = "conflict"
    status = 409
    message_zh = "与当前状态冲突"
    message_en = "The request conflicts with the current state"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status = 401
    message_zh = "请先登录"
    message_en = "Authentication is required"


class Forbidden(DomainError):
    code = "forbidden"
    status = 403
    message_zh = "没有权限执行此操作"
    message_en = "You are not allowed to do this"


class InvalidInput(DomainError):
    code = "validation_error"
    status = 422
    message_zh = "输入有误"
    message_en = "The input is not valid"


class RateLimited(DomainError):
    code = "rate_limited"
    status = 429
    message_zh = "操作过于频繁，请稍后再试"
    message_en = "Too many requests; try again later"


_HTTP_CODES = {
    400: ("bad_request", "请求格式有误", "The request is malformed"),
    401: ("unauthenticated", "请先登录", "Authentication is required"),
    403: ("forbidden", "没有权限执行此操作", "You are not allowed to do this"),
    404: ("not_found", "找不到请求的资源", "The requested resource was not found"),
    405: ("method_not_allowed", "不支持该请求方法", "The method is not allowed here"),
    413: ("payload_too_large", "请求内容过大", "The request body is too large"),
    415: ("unsupported_media_type", "不支持的内容类型", "The content type is not supported"),
}


def problem(
    request: Request,
    *,
    status: int,
    code: str,
    title: str,
    detail: str | None = None,
    extra: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"urn:onecity:problem:{code}",
        "title": title,
        "status": status,
        "code": code,
        "instance": request.url.path,
        "request_id": getattr(request.state, "request_id", None),
    }
    if detail:
        body["detail"] = detail
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def render_domain_error(request: Request, exc: DomainError) -> JSONResponse:
    lang = negotiate(request)
    return problem(
        request, status=exc.status, code=exc.code, title=exc.title(lang), detail=exc.detail, extra=exc.extra
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(DomainError)
    async def _domain(request: Request, exc: DomainError) -> JSONResponse:
        return render_domain_error(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        lang = negotiate(request)
        errors = [
            {"loc": [str(p) for p in e.get("loc", ())], "msg": e.get("msg", ""), "type": e.get("type", "")}
            for e in exc.errors()
        ]
        return problem(
            request,
            status=422,
            code=InvalidInput.code,
            title=InvalidInput().title(lang),
            detail="; ".join(f"{'.'.join(e['loc'])}: {e['msg']}" for e in errors)[:1000],
            extra={"errors": errors},
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        lang = negotiate(request)
        code, zh, en = _HTTP_CODES.get(exc.status_code, ("http_error", "请求失败", "The request failed"))
        return problem(
            request,
            status=exc.status_code,
            code=code,
            title=en if lang == "en" else zh,
            detail=exc.detail if isinstance(exc.detail, str) and exc.detail not in (zh, en) else None,
            headers=getattr(exc, "headers", None),
        )

    @app.exception_handler(Exception)
    async def _unhandled(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        lang = negotiate(request)
        return problem(
            request,
            status=500,
            code="internal_error",
            title="The server failed; the request id identifies the failure" if lang == "en" else "服务器内部错误",
        )
