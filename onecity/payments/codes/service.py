"""The payment code's API: device secrets, consuming a scanned code, the small-amount limit.

The 18-digit layout, the TOTP rule and the guessing odds are in `onecity.payments.codes.totp`.

Rules kept here:
- A device secret is 32 random bytes, encrypted at rest (AES-GCM, bound to the device id); one live
  device per signed-in session — provisioning again for the session revokes the older one.
- `consume_payment_code` accepts the device's code of the current step ±1, records the use as the row
  (device, step) in the caller's transaction (a unique pair: a code pays once, also under concurrent
  scans), and refuses any step at or before the last one that device paid with.
- Wrong codes count against the merchant that sent them (GUESS_LIMIT per GUESS_WINDOW); past the
  limit the merchant's codes are refused until the window slides. The count survives the caller's
  rollback (it is written again after the rollback, in its own transaction).
- The small-amount limit (小额免密) is 200.00 yuan unless the citizen set it; 0 means every payment by
  code waits for the citizen's confirmation; at most 2,000.00 yuan.
"""

from __future__ import annotations

import base64
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import event, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock
from onecity.crypto.fields import decrypt, encrypt
from onecity.errors import DomainError, InvalidInput, NotFound
from onecity.ids import new_id
from onecity.payments.codes import totp
from onecity.payments.codes.models import PaycodeDevice, PaycodeGuessCounter, PaycodeSetting, PaycodeUse
from onecity.payments.codes.schemas import CodeHolder, CodeUseOut, DeviceOut, SettingsOut

DEFAULT_LIMIT_FEN = 20_000  # 200.00 yuan
MAX_LIMIT_FEN = 200_000  # 2,000.00 yuan
GUESS_LIMIT = 10
GUESS_WINDOW = timedelta(minutes=10)
SKEW_STEPS = 1  # accept the previous and the next step too
EXPIRED_LOOKBACK_STEPS = 15  # a code this many steps old is reported as expired, not as wrong


class InvalidPaymentCode(DomainError):
    code = "payment_code_invalid"
    status = 400
    message_zh = "付款码无效"
    message_en = "The payment code is not valid"


class PaymentCodeUsed(DomainError):
    code = "payment_code_used"
    status = 409
    message_zh = "付款码已使用，请刷新后重试"
    message_en = "This payment code has already been used; refresh it and try again"


class PaymentCodeExpired(DomainError):
    code = "payment_code_expired"
    status = 400
    message_zh = "付款码已过期，请刷新后重试"
    message_en = "This payment code has expired; refresh it and try again"


class PaymentCodeGuessLimit(DomainError):
    code = "payment_code_rate_limited"
    status = 429
    message_zh = "无效付款码过多，请稍后再试"
    message_en = "Too many invalid payment codes; try again later"


class DeviceNotFound(NotFound):
    code = "payment_code_device_not_found"
    message_zh = "找不到该付款码设备"
    message_en = "No such payment-code device"


class LimitOutOfRange(InvalidInput):
    code = "small_amount_limit_out_of_range"
    message_zh = "小额免密额度须在 0 至 2000.00 元之间"
    message_en = "The small-amount limit must be between 0 and 2,000.00 yuan"


# --- devices ----------------------------------------------------------------------------------------


def _purpose(device_public_id: str) -> str:
    return f"paycode.device_secret:{device_public_id}"


def _device_out(row: PaycodeDevice, *, with_secret: bool) -> DeviceOut:
    secret = None
    if with_secret:
        raw = decrypt(row.secret_enc, purpose=_purpose(row.public_id))
        secret = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    return DeviceOut(
        device_id=row.public_id,
        number=row.number,
        label=row.label,
        created_at=row.created_at,
        prefix=totp.PREFIX,
        algorithm=totp.ALGORITHM,
        digits=totp.TOTP_DIGITS,
        period=totp.PERIOD_SECONDS,
        secret=secret,
    )


def _free_number(session: Session) -> str:
    for _ in range(20):
        number = f"{secrets.randbelow(10**totp.DEVICE_DIGITS):0{totp.DEVICE_DIGITS}d}"
        if session.scalar(select(PaycodeDevice.id).where(PaycodeDevice.number == number)) is None:
            return number
    raise RuntimeError("no free payment-code device number after 20 tries")


def provision_device(
    session: Session, *, citizen_id: str, session_id: str | None, label: str = ""
) -> DeviceOut:
    """A new device secret for the signed-in device `session_id` (older ones of that session are
    revoked). The secret is in the result, once."""
    now = clock.now()
    if session_id is not None:
        session.execute(
            update(PaycodeDevice)
            .where(
                PaycodeDevice.citizen_id == citizen_id,
                PaycodeDevice.session_id == session_id,
                PaycodeDevice.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
    public_id = new_id("pcd")
    raw = secrets.token_bytes(32)
    row = PaycodeDevice(
        public_id=public_id,
        citizen_id=citizen_id,
        session_id=session_id,
        number=_free_number(session),
        secret_enc=encrypt(raw, purpose=_purpose(public_id)),
        label=label[:80],
        created_at=now,
    )
    session.add(row)
    session.flush()
    return _device_out(row, with_secret=True)


def device_for_session(session: Session, *, citizen_id: str, session_id: str, label: str = "") -> DeviceOut:
    """The live device of a web session, provisioned on first use (the /app/pay page), with its secret."""
    row = session.scalars(
        select(PaycodeDevice)
        .where(
            PaycodeDevice.citizen_id == citizen_id,
            PaycodeDevice.session_id == session_id,
            PaycodeDevice.revoked_at.is_(None),
        )
        .order_by(PaycodeDevice.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return provision_device(session, citizen_id=citizen_id, session_id=session_id, label=label)
    return _device_out(row, with_secret=True)


def list_devices(session: Session, *, citizen_id: str) -> list[DeviceOut]:
    rows = session.scalars(
        select(PaycodeDevice)
        .where(PaycodeDevice.citizen_id == citizen_id, PaycodeDevice.revoked_at.is_(None))
        .order_by(PaycodeDevice.id)
    )
    return [_device_out(r, with_secret=False) for r in rows]


def revoke_device(session: Session, *, citizen_id: str, device_id: str) -> None:
    row = session.scalars(
        select(PaycodeDevice).where(
            PaycodeDevice.public_id == device_id, PaycodeDevice.citizen_id == citizen_id
        )
    ).first()
    if row is None:
        raise DeviceNotFound()
    if row.revoked_at is None:
        row.revoked_at = clock.now()


def revoke_session_devices(session: Session, *, session_id: str) -> int:
    """Sign-out: the devices provisioned for that session stop paying."""
    result = session.execute(
        update(PaycodeDevice)
        .where(PaycodeDevice.session_id == session_id, PaycodeDevice.revoked_at.is_(None))
        .values(revoked_at=clock.now())
    )
    return int(getattr(result, "rowcount", 0) or 0)


def current_code(session: Session, *, device_id: str, at: datetime | None = None) -> str:
    """The code a device shows now (what its phone computes offline); for tests, demos and the CLI."""
    row = session.scalars(select(PaycodeDevice).where(PaycodeDevice.public_id == device_id)).one()
    raw = decrypt(row.secret_enc, purpose=_purpose(row.public_id))
    step = totp.time_step(int((at or clock.now()).timestamp()))
    return totp.payment_code(raw, row.number, step)


# --- consuming a code -------------------------------------------------------------------------------


def _window_start(at: datetime) -> datetime:
    seconds = int(GUESS_WINDOW.total_seconds())
    epoch = int(at.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, UTC)


def _bump_guesses(session: Session, merchant_id: str, window_start: datetime) -> None:
    values: dict[str, Any] = {"merchant_id": merchant_id, "window_start": window_start, "failures": 1}
    bump = {"failures": PaycodeGuessCounter.failures + 1}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            pg_insert(PaycodeGuessCounter)
            .values(**values)
            .on_conflict_do_update(index_elements=["merchant_id", "window_start"], set_=bump)
        )
    else:
        session.execute(
            sqlite_insert(PaycodeGuessCounter)
            .values(**values)
            .on_conflict_do_update(index_elements=["merchant_id", "window_start"], set_=bump)
        )


_PENDING = "paycodes.pending_wrong_guesses"


def _forget_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)


def _replay_pending(session: Session) -> None:
    """After the caller's transaction rolled back, count its wrong codes in a transaction of their own
    (only now: on SQLite a second writer would wait for the caller's lock)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    with Session(bind=session.get_bind()) as own:
        for merchant_id, window_start in pending:
            _bump_guesses(own, merchant_id, window_start)
        own.commit()


def _record_wrong_guess(session: Session, merchant_id: str) -> None:
    start = _window_start(clock.now())
    _bump_guesses(session, merchant_id, start)
    session.info.setdefault(_PENDING, []).append((merchant_id, start))
    if not session.info.get("paycodes.listening"):
        event.listen(session, "after_commit", _forget_pending)
        event.listen(session, "after_rollback", _replay_pending)
        session.info["paycodes.listening"] = True


def wrong_guesses(session: Session, merchant_id: str) -> int:
    """Wrong codes from `merchant_id` in the sliding window ending now: the current fixed window plus
    the previous one weighted by the part of it still inside the sliding window (rounded down, in
    integers: floor(x) >= GUESS_LIMIT exactly when x >= GUESS_LIMIT)."""
    now = clock.now()
    start = _window_start(now)
    rows = session.execute(
        select(PaycodeGuessCounter.window_start, PaycodeGuessCounter.failures).where(
            PaycodeGuessCounter.merchant_id == merchant_id,
            PaycodeGuessCounter.window_start >= start - GUESS_WINDOW,
        )
    ).all()
    current = sum(f for ws, f in rows if clock.aware(ws) == start)
    previous = sum(f for ws, f in rows if clock.aware(ws) == start - GUESS_WINDOW)
    return previous * (GUESS_WINDOW - (now - start)) // GUESS_WINDOW + current


def consume_payment_code(session: Session, *, code: str, merchant_id: str) -> CodeHolder:
    """Resolve an 18-digit payment code to its citizen and mark it used, in the caller's transaction.

    Raises InvalidPaymentCode (malformed, unknown device, revoked device, wrong digits),
    PaymentCodeExpired (a code of an older minute), PaymentCodeUsed (this code, or a newer code of
    the same device, already paid), PaymentCodeGuessLimit (the merchant sent too many wrong codes)."""
    if wrong_guesses(session, merchant_id) >= GUESS_LIMIT:
        raise PaymentCodeGuessLimit()
    parts = totp.split_code(code or "")
    device = None
    limit: int | None = None
    if parts is not None:
        found = session.execute(
            select(PaycodeDevice, PaycodeSetting.small_amount_limit_fen)
            .outerjoin(PaycodeSetting, PaycodeSetting.citizen_id == PaycodeDevice.citizen_id)
            .where(PaycodeDevice.number == parts[0])
        ).first()
        if found is not None:
            device, limit = found
    if parts is None or device is None or device.revoked_at is not None:
        _record_wrong_guess(session, merchant_id)
        raise InvalidPaymentCode()
    raw = decrypt(device.secret_enc, purpose=_purpose(device.public_id))
    now_step = totp.time_step(int(clock.now().timestamp()))
    step = _matching_step(raw, parts[1], range(now_step - SKEW_STEPS, now_step + SKEW_STEPS + 1))
    if step is None:
        old = _matching_step(raw, parts[1], range(now_step - EXPIRED_LOOKBACK_STEPS, now_step - SKEW_STEPS))
        if old is not None:
            raise PaymentCodeExpired()
        _record_wrong_guess(session, merchant_id)
        raise InvalidPaymentCode()
    if device.last_used_step is not None and step < device.last_used_step:
        raise PaymentCodeExpired()
    use_id = new_id("pcu")
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    used = session.execute(
        insert(PaycodeUse)
        .values(public_id=use_id, device_id=device.id, step=step, merchant_id=merchant_id, used_at=clock.now())
        .on_conflict_do_nothing(index_elements=["device_id", "step"])
        .returning(PaycodeUse.id)
    ).first()
    if used is None:
        raise PaymentCodeUsed()
    session.execute(
        update(PaycodeDevice)
        .where(
            PaycodeDevice.id == device.id,
            (PaycodeDevice.last_used_step.is_(None)) | (PaycodeDevice.last_used_step < step),
        )
        .values(last_used_step=step)
        .execution_options(synchronize_session=False)
    )
    return CodeHolder(
        citizen_id=device.citizen_id,
        small_amount_limit_fen=DEFAULT_LIMIT_FEN if limit is None else limit,
        code_id=use_id,
    )


def _matching_step(secret: bytes, digits: str, steps: range) -> int | None:
    found = None
    for step in steps:  # every candidate is computed and compared in constant time
        if hmac.compare_digest(
            totp.hotp(secret, step, digits=totp.TOTP_DIGITS, algorithm=totp.ALGORITHM), digits
        ):
            found = step
    return found


def recent_uses(session: Session, *, citizen_id: str, since: datetime, limit: int = 20) -> list[CodeUseOut]:
    """The citizen's codes scanned since `since`, newest first (the payment page shows them)."""
    rows = session.execute(
        select(PaycodeUse, PaycodeDevice.public_id)
        .join(PaycodeDevice, PaycodeDevice.id == PaycodeUse.device_id)
        .where(PaycodeDevice.citizen_id == citizen_id, PaycodeUse.used_at >= since)
        .order_by(PaycodeUse.id.desc())
        .limit(limit)
    ).all()
    return [
        CodeUseOut(code_id=u.public_id, device_id=d, merchant_id=u.merchant_id, used_at=u.used_at)
        for u, d in rows
    ]


# --- the small-amount limit --------------------------------------------------------------------------


def small_amount_limit(session: Session, citizen_id: str) -> int:
    value = session.scalar(
        select(PaycodeSetting.small_amount_limit_fen).where(PaycodeSetting.citizen_id == citizen_id)
    )
    return DEFAULT_LIMIT_FEN if value is None else int(value)


def get_settings(session: Session, *, citizen_id: str) -> SettingsOut:
    return SettingsOut(
        small_amount_limit_fen=small_amount_limit(session, citizen_id),
        default_fen=DEFAULT_LIMIT_FEN,
        max_fen=MAX_LIMIT_FEN,
    )


def set_small_amount_limit(session: Session, *, citizen_id: str, limit_fen: int) -> SettingsOut:
    if not 0 <= limit_fen <= MAX_LIMIT_FEN:
        raise LimitOutOfRange()
    row = session.scalars(select(PaycodeSetting).where(PaycodeSetting.citizen_id == citizen_id)).first()
    if row is None:
        session.add(
            PaycodeSetting(citizen_id=citizen_id, small_amount_limit_fen=limit_fen, updated_at=clock.now())
        )
    else:
        row.small_amount_limit_fen = limit_fen
        row.updated_at = clock.now()
    session.flush()
    return get_settings(session, citizen_id=citizen_id)
