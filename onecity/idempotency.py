"""Idempotency for every state-changing call.

A client sends `Idempotency-Key: <key>` with a POST/PUT/PATCH/DELETE. The first response (anything
but a 5xx, a 401 or a 403) is stored under (principal, key) and replayed for every retry with the same request; the
same key with a different request is rejected (`idempotency_key_reused`), and a retry that arrives
while the first is still running gets `idempotency_in_progress`. Keys are scoped per principal: the
principal key comes from `app.state.principal_key(request)` (set by identity), and defaults to a hash
of the presented credential. Responses to requests that failed authentication or authorisation are
never stored: the key is claimed before the endpoint checks the caller, so storing them would let an
unsigned request carrying someone's app id poison that app's key.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Integer, LargeBinary, String, Text, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column
from starlette.concurrency import run_in_threadpool
from starlette.requests import HTTPConnection, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from onecity import clock
from onecity.db import Base, UTCDateTime, transaction

HEADER = b"idempotency-key"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
IN_PROGRESS_TIMEOUT = timedelta(minutes=5)
MAX_BODY = 10 * 1024 * 1024
NOT_STORED = {401, 403}


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_record"
    __table_args__ = (UniqueConstraint("scope", "key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    content_type: Mapped[str | None] = mapped_column(String(200))
    location: Mapped[str | None] = mapped_column(Text)
    body: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def default_principal_key(conn: HTTPConnection) -> str:
    auth = conn.headers.get("authorization")
    if auth:
        return "bearer:" + hashlib.sha256(auth.encode()).hexdigest()[:40]
    app_id = conn.headers.get("x-onecity-app-id")
    if app_id:
        return "app:" + app_id[:100]
    cookie = conn.cookies.get("oc_session")
    if cookie:
        return "sess:" + hashlib.sha256(cookie.encode()).hexdigest()[:40]
    return "anonymous"


def _problem(status: int, code: str, zh: str, en: str, lang_en: bool, rid: str | None) -> tuple[int, bytes]:
    body = {
        "type": f"urn:onecity:problem:{code}",
        "title": en if lang_en else zh,
        "status": status,
        "code": code,
        "request_id": rid,
    }
    return status, json.dumps(body, ensure_ascii=False).encode()


class IdempotencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in MUTATING:
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        raw_key = headers.get(HEADER)
        if raw_key is None:
            await self.app(scope, receive, send)
            return

        conn = Request(scope)
        from onecity.i18n import negotiate

        lang_en = negotiate(conn) == "en"
        rid = scope.get("state", {}).get("request_id")
        key = raw_key.decode("latin-1").strip()
        if not (1 <= len(key) <= 255) or not key.isprintable():
            status, body = _problem(
                400, "invalid_idempotency_key", "Idempotency-Key 不合法", "The Idempotency-Key is not valid",
                lang_en, rid,
            )
            await _respond(send, status, body)
            return

        # Read the whole body so it can be hashed and then replayed to the app.
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > MAX_BODY:
                await _respond(send, *_problem(413, "payload_too_large", "请求内容过大", "Body too large", lang_en, rid))
                return
            chunks.append(chunk)
            more = message.get("more_body", False)
        body = b"".join(chunks)
        digest = hashlib.sha256(
            b"\n".join([scope["method"].encode(), scope["path"].encode(), scope.get("query_string", b""), body])
        ).hexdigest()
        principal_fn: Callable[[HTTPConnection], str] = getattr(
            scope["app"].state, "principal_key", default_principal_key
        )
        principal = await run_in_threadpool(principal_fn, conn)

        outcome = await run_in_threadpool(_claim, principal, key, digest)
        if outcome is not None:
            kind, record = outcome
            if kind == "mismatch":
                await _respond(send, *_problem(
                    422, "idempotency_key_reused",
                    "该 Idempotency-Key 已用于另一个不同的请求",
                    "This Idempotency-Key was already used for a different request", lang_en, rid,
                ))
            elif kind == "busy":
                await _respond(send, *_problem(
                    409, "idempotency_in_progress",
                    "使用该 Idempotency-Key 的请求仍在处理中",
                    "A request with this Idempotency-Key is still being processed", lang_en, rid,
                ))
            else:
                assert record is not None
                extra = [(b"idempotent-replayed", b"true")]
                if record.location:
                    extra.append((b"location", record.location.encode("latin-1")))
                await _respond(send, record.status_code or 200, record.body or b"",
                               (record.content_type or "application/json"), extra)
            return

        sent_body = False

        async def _receive() -> Message:
            nonlocal sent_body
            if not sent_body:
                sent_body = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        status = 500
        content_type: str | None = None
        location: str | None = None
        out: list[bytes] = []

        async def _send(message: Message) -> None:
            nonlocal status, content_type, location
            if message["type"] == "http.response.start":
                status = message["status"]
                for k, v in message.get("headers", []):
                    if k.lower() == b"content-type":
                        content_type = v.decode("latin-1")
                    elif k.lower() == b"location":
                        location = v.decode("latin-1")
            elif message["type"] == "http.response.body":
                out.append(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, _receive, _send)
        finally:
            await run_in_threadpool(_finish, principal, key, status, content_type, location, b"".join(out))


async def _respond(
    send: Send, status: int, body: bytes, content_type: str = "application/problem+json",
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [(b"content-type", content_type.encode()), (b"content-length", str(len(body)).encode())]
    headers += extra or []
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _claim(scope: str, key: str, digest: str) -> tuple[str, IdempotencyRecord | None] | None:
    """Insert an in-progress record; or say why the request must not run (mismatch, busy, replay)."""
    now = clock.now()
    try:
        with transaction() as s:
            s.add(IdempotencyRecord(scope=scope, key=key, request_hash=digest, created_at=now))
        return None
    except IntegrityError:
        pass
    with transaction() as s:
        rec = s.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)).one_or_none()
        if rec is None:  # deleted after a 5xx in between: run again
            s.add(IdempotencyRecord(scope=scope, key=key, request_hash=digest, created_at=now))
            return None
        if rec.request_hash != digest:
            return ("mismatch", None)
        if rec.status_code is None:
            if now - rec.created_at > IN_PROGRESS_TIMEOUT:
                rec.created_at = now
                return None
            return ("busy", None)
        s.expunge(rec)
        return ("replay", rec)


def _finish(scope: str, key: str, status: int, content_type: str | None, location: str | None, body: bytes) -> None:
    with transaction() as s:
        if status >= 500 or status in NOT_STORED:
            s.execute(delete(IdempotencyRecord).where(
                IdempotencyRecord.scope == scope, IdempotencyRecord.key == key))
            return
        rec = s.scalars(select(IdempotencyRecord).where(
            IdempotencyRecord.scope == scope, IdempotencyRecord.key == key)).one()
        rec.status_code = status
        rec.content_type = content_type
        rec.location = location
        rec.body = body
