"""Asynchronous notifications (异步通知) in Alipay's format, and their delivery log.

When an order is paid, refunded or closed, the outbox subscriber `trade.notify` records a
notification (one per outbox event, so a re-delivered event makes no second notification) addressed
to the order's notify URL, or else the merchant's default. The periodic job `trade.deliver_notifications`
then POSTs what is due — outside any database transaction, after the change has committed — as an
`application/x-www-form-urlencoded` form in UTF-8, signed RSA2 with the platform's gateway key
(`onecity.crypto.rsa2.sign_params`: keys sorted, `sign` and `sign_type` left out, `k=v&…`). Empty fields
are never sent, so verifiers that skip empty values and those that do not agree.

The merchant acknowledges by answering exactly `success` (HTTP 200). Anything else — another body,
another status, a timeout, a refused connection — is a failed attempt, logged with its time, status,
the first 200 characters of the response and the error; the next attempt follows the schedule
`SCHEDULE` after the failed one (15 s, 1 min, 3 min, 10 min, 30 min, 1 h, 2 h, 6 h, 15 h: about a day
in all, as Alipay), and after the last the notification is `dead` (the console can send it again).
Several workers may deliver at once: each claims its batch with SELECT … FOR UPDATE SKIP LOCKED and
pushes the claimed rows' next attempt a lease ahead, so one notification is in flight at a time.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock
from onecity.clock import CITY_TZ
from onecity.crypto import rsa2
from onecity.db import is_postgres, transaction
from onecity.errors import InvalidInput, NotFound
from onecity.ids import new_id
from onecity.money import yuan
from onecity.outbox import Event
from onecity.payments.trade.models import (
    TradeMerchant,
    TradeNotification,
    TradeNotificationAttempt,
    TradeOrder,
)
from onecity.payments.trade.schemas import NotificationAttemptOut, NotificationOut

log = logging.getLogger("onecity.trade.notify")

SCHEDULE: tuple[timedelta, ...] = (
    timedelta(seconds=15), timedelta(minutes=1), timedelta(minutes=3), timedelta(minutes=10),
    timedelta(minutes=30), timedelta(hours=1), timedelta(hours=2), timedelta(hours=6), timedelta(hours=15),
)
MAX_ATTEMPTS = len(SCHEDULE) + 1
LEASE = timedelta(minutes=2)
TIMEOUT_SECONDS = 10.0
ACK = "success"
TOPICS = ("trade.paid", "trade.refunded", "trade.closed")


class NotificationNotFound(NotFound):
    code = "notification_not_found"
    message_zh = "通知不存在"
    message_en = "No such notification"


def _local(dt: datetime | None) -> str:
    return dt.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M:%S") if dt else ""


def build_params(o: TradeOrder, payload: dict[str, Any]) -> dict[str, str]:
    """The notification's form fields for an order after the event (without notify_time and sign)."""
    params: dict[str, Any] = {
        "notify_type": "trade_status_sync",
        "app_id": o.app_id,
        "charset": "utf-8",
        "version": "1.0",
        "sign_type": "RSA2",
        "trade_no": o.trade_no,
        "out_trade_no": o.out_trade_no,
        "trade_status": payload.get("status") or o.status,
        "total_amount": yuan(o.amount),
        "subject": o.subject,
        "body": o.body,
        "seller_id": o.merchant_id,
        "buyer_id": o.buyer_citizen_id,
        "gmt_create": _local(o.created_at),
    }
    if o.paid_at is not None:
        params.update(receipt_amount=yuan(o.amount), buyer_pay_amount=yuan(o.amount),
                      invoice_amount=yuan(o.amount), gmt_payment=_local(o.paid_at))
    if "refund_id" in payload:
        params.update(refund_fee=yuan(int(payload.get("refunded_amount") or 0)),
                      out_biz_no=payload.get("out_request_no"),
                      gmt_refund=_local(datetime.fromisoformat(payload["gmt_refund"]))
                      if payload.get("gmt_refund") else _local(clock.now()))
    if payload.get("status") == "TRADE_CLOSED" and o.closed_at is not None:
        params["gmt_close"] = _local(o.closed_at)
    return {k: str(v) for k, v in params.items() if v is not None and str(v) != ""}


def enqueue(session: Session, event: Event) -> str | None:
    """Record the notification for a trade event (idempotent by event); None when nobody listens."""
    trade_no = event.payload.get("trade_no")
    o = session.scalars(select(TradeOrder).where(TradeOrder.trade_no == trade_no)).one_or_none()
    if o is None:
        return None
    url = o.notify_url or session.scalar(select(TradeMerchant.notify_url)
                                         .where(TradeMerchant.merchant_id == o.merchant_id))
    if not url:
        return None
    now = clock.now()
    notify_id = new_id("ntf")
    params = build_params(o, event.payload)
    insert = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(insert(TradeNotification).values(
        notify_id=notify_id, event_id=event.event_id, merchant_id=o.merchant_id, trade_no=o.trade_no,
        trade_status=params["trade_status"], url=url, params=params, status="pending", attempts=0,
        next_attempt_at=now, created_at=now).on_conflict_do_nothing(index_elements=["event_id"]))
    return notify_id


def signed_form(params: dict[str, str], notify_id: str, at: datetime) -> dict[str, str]:
    form = dict(params)
    form["notify_id"] = notify_id
    form["notify_time"] = _local(at)
    form["sign"] = rsa2.sign_params(form)
    return form


def _claim(limit: int) -> list[int]:
    with transaction() as session:
        now = clock.now()
        q = (select(TradeNotification).where(TradeNotification.status == "pending",
                                             TradeNotification.next_attempt_at <= now)
             .order_by(TradeNotification.next_attempt_at, TradeNotification.id).limit(limit))
        if is_postgres(session):
            q = q.with_for_update(skip_locked=True)
        rows = list(session.scalars(q))
        for n in rows:
            n.next_attempt_at = now + LEASE
        return [n.id for n in rows]


def _post(client: httpx.Client, url: str, form: dict[str, str]) -> tuple[int | None, str | None, str | None]:
    try:
        r = client.post(url, data=form, headers={"content-type": "application/x-www-form-urlencoded; charset=utf-8"})
    except httpx.HTTPError as exc:
        return None, None, f"{type(exc).__name__}: {exc}"[:500]
    return r.status_code, r.text, None


def deliver_one(notification_id: int, client: httpx.Client) -> str:
    """One attempt for a claimed notification: POST, then log it and schedule the next."""
    with transaction() as session:
        n = session.get(TradeNotification, notification_id)
        if n is None or n.status != "pending":
            return "skipped"
        url, params, notify_id = n.url, dict(n.params), n.notify_id
    at = clock.now()
    started = time.monotonic()
    status, text, error = _post(client, url, signed_form(params, notify_id, at))
    duration = int((time.monotonic() - started) * 1000)
    ok = status == 200 and text == ACK and error is None
    if error is None and not ok:
        error = f"HTTP {status}" if status != 200 else "the response body was not exactly 'success'"
    with transaction() as session:
        n = session.get(TradeNotification, notification_id)
        assert n is not None
        session.add(TradeNotificationAttempt(notification_id=n.id, attempted_at=at, status_code=status,
                                             response_excerpt=(text or "")[:200] or None, error=error,
                                             succeeded=ok, duration_ms=duration))
        n.attempts += 1
        if ok:
            n.status = "delivered"
            n.delivered_at = clock.now()
            return "delivered"
        if n.attempts >= MAX_ATTEMPTS:
            n.status = "dead"
            log.warning("notification dead", extra={"notify_id": n.notify_id, "trade_no": n.trade_no})
            return "dead"
        n.next_attempt_at = at + SCHEDULE[n.attempts - 1]
        return "failed"


def deliver_due(*, limit: int = 50, client: httpx.Client | None = None) -> dict[str, int]:
    """Deliver the notifications that are due (the periodic job; manages its own transactions)."""
    counts = {"delivered": 0, "failed": 0, "dead": 0, "skipped": 0}
    ids = _claim(limit)
    if not ids:
        return counts
    own = client is None
    http = client or httpx.Client(timeout=TIMEOUT_SECONDS, follow_redirects=False)
    try:
        for nid in ids:
            counts[deliver_one(nid, http)] += 1
    finally:
        if own:
            http.close()
    return counts


def _out(n: TradeNotification, attempts: list[TradeNotificationAttempt] | None = None) -> NotificationOut:
    return NotificationOut(
        notify_id=n.notify_id, trade_no=n.trade_no, trade_status=n.trade_status, url=n.url, status=n.status,
        attempts=n.attempts, next_attempt_at=n.next_attempt_at if n.status == "pending" else None,
        created_at=n.created_at, delivered_at=n.delivered_at,
        log=[NotificationAttemptOut(attempted_at=a.attempted_at, status_code=a.status_code,
                                    response_excerpt=a.response_excerpt, error=a.error, succeeded=a.succeeded,
                                    duration_ms=a.duration_ms) for a in (attempts or [])])


def _attempts(session: Session, ids: list[int]) -> dict[int, list[TradeNotificationAttempt]]:
    out: dict[int, list[TradeNotificationAttempt]] = {i: [] for i in ids}
    if ids:
        for a in session.scalars(select(TradeNotificationAttempt).where(
                TradeNotificationAttempt.notification_id.in_(ids)).order_by(TradeNotificationAttempt.id)):
            out[a.notification_id].append(a)
    return out


def list_notifications(session: Session, *, merchant_id: str, trade_no: str | None = None,
                       after: str | None = None, limit: int = 50) -> tuple[list[NotificationOut], str | None]:
    """The merchant's notifications with their delivery logs, newest first (cursor = notify_id)."""
    limit = max(1, min(limit, 200))
    q = select(TradeNotification).where(TradeNotification.merchant_id == merchant_id)
    if trade_no:
        q = q.where(TradeNotification.trade_no == trade_no)
    if after:
        cursor = session.scalar(select(TradeNotification.id).where(TradeNotification.notify_id == after,
                                                                   TradeNotification.merchant_id == merchant_id))
        if cursor is None:
            raise InvalidInput(detail="unknown cursor")
        q = q.where(TradeNotification.id < cursor)
    rows = list(session.scalars(q.order_by(TradeNotification.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    logs = _attempts(session, [n.id for n in rows])
    return [_out(n, logs[n.id]) for n in rows], (rows[-1].notify_id if more and rows else None)


def resend(session: Session, *, merchant_id: str, notify_id: str) -> NotificationOut:
    """Send a notification again now (a dead one gets a fresh round of attempts)."""
    n = session.scalars(select(TradeNotification).where(TradeNotification.notify_id == notify_id,
                                                        TradeNotification.merchant_id == merchant_id)).one_or_none()
    if n is None:
        raise NotificationNotFound()
    if n.status != "delivered":
        n.status = "pending"
        n.attempts = 0
        n.next_attempt_at = clock.now()
    return _out(n, _attempts(session, [n.id])[n.id])
