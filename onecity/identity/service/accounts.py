"""Signing in: one-time SMS codes (the first sign-in of a mobile number creates the account), passwords
(argon2id) with lockout, and the housekeeping of expired codes and rate-limit windows.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.config import get_settings
from onecity.crypto.fields import blind_index, decrypt_str, encrypt
from onecity.errors import DomainError, InvalidInput, RateLimited
from onecity.identity import ratelimit
from onecity.identity.mobile import parse_mobile
from onecity.identity.models import Citizen, OtpChallenge
from onecity.identity.resident_id import mask_mobile
from onecity.identity.schemas import OtpRequested
from onecity.identity.service.citizens import (
    ENC_CITIZEN_MOBILE,
    ENC_SMS_CODE,
    ENC_SMS_MOBILE,
    RecordedFailure,
    _audit,
    get_citizen,
    mobile_index,
    register_citizen,
)
from onecity.ids import new_id

OTP_TOPIC = "identity.otp.requested"
OTP_DIGITS = 6
PASSWORD_MIN_LENGTH = 8
_CODE = re.compile(r"^[0-9]{6}$")


# --- errors ---------------------------------------------------------------------------------------

class OtpInvalid(RecordedFailure):
    code = "otp_invalid"
    status = 401
    message_zh = "验证码错误"
    message_en = "The code is not correct"


class OtpExpired(DomainError):
    code = "otp_expired"
    status = 401
    message_zh = "验证码已失效，请重新获取"
    message_en = "The code has expired or was already used; request a new one"


class OtpAttemptsExceeded(RecordedFailure):
    code = "otp_attempts_exceeded"
    status = 401
    message_zh = "验证码错误次数过多，请重新获取"
    message_en = "Too many wrong codes; request a new one"


class InvalidCredentials(RecordedFailure):
    code = "invalid_credentials"
    status = 401
    message_zh = "手机号或密码错误"
    message_en = "The mobile number or password is not correct"


class AccountLocked(RecordedFailure):
    code = "account_locked"
    status = 423
    message_zh = "密码错误次数过多，账户已暂时锁定，请稍后再试或使用验证码登录"
    message_en = "Too many wrong passwords; password sign-in is locked for a while. Try later or use a code"


class AccountClosed(DomainError):
    code = "account_closed"
    status = 403
    message_zh = "该账户已注销"
    message_en = "This account is closed"


class PasswordWeak(InvalidInput):
    code = "password_weak"
    message_zh = "密码至少8位，且须同时包含字母和数字"
    message_en = "A password needs at least 8 characters, with both letters and digits"


class PasswordProofRequired(DomainError):
    code = "password_proof_required"
    status = 403
    message_zh = "修改密码需要验证当前密码或短信验证码"
    message_en = "Changing the password needs the current password or a code sent by SMS"


# --- small helpers --------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _hasher() -> PasswordHasher:
    return PasswordHasher()  # argon2id, RFC 9106 low-memory profile (t=3, m=64 MiB, p=4)


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    """A hash to verify against when there is no account, so failures take the same time."""
    return _hasher().hash(secrets.token_hex(16))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: str) -> bytes:
    return base64.b64decode(text)


def _ip_bucket(ip: str) -> str:
    return hashlib.sha256(ip.encode()).hexdigest()[:32]


# --- one-time codes -------------------------------------------------------------------------------

def _code_hash(challenge_id: str, code: str) -> str:
    return blind_index(f"{challenge_id}:{code}", purpose="otp_challenge.code")


def request_otp(session: Session, *, mobile: str, purpose: str = "login", ip: str | None = None) -> OtpRequested:
    """Issue a 6-digit code for `mobile`, sent by SMS after commit. At most `otp_max_per_hour` per
    mobile and `otp_max_per_hour_per_ip` per client address (sliding hour), and one per mobile every
    `otp_resend_seconds`; a new code replaces the mobile's earlier live codes for that purpose."""
    s = get_settings()
    if purpose not in ("login", "password_reset"):
        raise InvalidInput(detail="purpose must be login or password_reset")
    mobile = parse_mobile(mobile)
    index = mobile_index(mobile)
    now = clock.now()
    last = session.scalars(
        select(OtpChallenge).where(OtpChallenge.mobile_index == index, OtpChallenge.purpose == purpose)
        .order_by(OtpChallenge.created_at.desc(), OtpChallenge.id.desc()).limit(1)
    ).one_or_none()
    if last is not None and now - last.created_at < timedelta(seconds=s.otp_resend_seconds):
        wait = s.otp_resend_seconds - int((now - last.created_at).total_seconds())
        raise RateLimited(detail="a code was sent moments ago", retry_after=max(wait, 1))
    ratelimit.hit(session, f"otp:mobile:{index}", limit=s.otp_max_per_hour, window=timedelta(hours=1))
    if ip:
        ratelimit.hit(session, f"otp:ip:{_ip_bucket(ip)}", limit=s.otp_max_per_hour_per_ip,
                      window=timedelta(hours=1))
    session.execute(
        update(OtpChallenge)
        .where(OtpChallenge.mobile_index == index, OtpChallenge.purpose == purpose, OtpChallenge.used.is_(False))
        .values(used=True)
        .execution_options(synchronize_session=False)
    )
    challenge_id = new_id("otp")
    code = f"{secrets.randbelow(10**OTP_DIGITS):0{OTP_DIGITS}d}"
    challenge = OtpChallenge(
        public_id=challenge_id,
        mobile_index=index,
        purpose=purpose,
        code_hash=_code_hash(challenge_id, code),
        created_at=now,
        expires_at=now + timedelta(seconds=s.otp_ttl_seconds),
        attempts=0,
        used=False,
    )
    session.add(challenge)
    # A reset code goes only to an existing account; the answer is the same either way, so the
    # endpoint does not tell who has an account.
    has_account = purpose == "login" or session.scalars(
        select(Citizen.id).where(Citizen.mobile_index == index)).first() is not None
    if has_account:
        outbox.emit(session, OTP_TOPIC, {
            "message_id": challenge_id,
            "purpose": purpose,
            "mobile_enc": _b64(encrypt(mobile, purpose=ENC_SMS_MOBILE)),
            "code_enc": _b64(encrypt(code, purpose=ENC_SMS_CODE)),
            "expires_at": challenge.expires_at.isoformat(),
        })
    session.flush()
    return OtpRequested(challenge_id=challenge_id, mobile_masked=mask_mobile(mobile),
                        expires_in=s.otp_ttl_seconds, resend_after=s.otp_resend_seconds)


def otp_message(code: str, purpose: str) -> str:
    """The SMS text (the sender signature 【…】 first, as carriers require)."""
    city = get_settings().city_name
    what = "登录" if purpose == "login" else "重置密码"
    minutes = get_settings().otp_ttl_seconds // 60
    return f"【一网通城·{city}】验证码 {code}，用于{what}，{minutes}分钟内有效。请勿告诉他人。"


def decode_otp_event(payload: dict[str, str]) -> tuple[str, str]:
    """(mobile, code) from an `identity.otp.requested` event (for the SMS subscriber)."""
    mobile = decrypt_str(_unb64(payload["mobile_enc"]), purpose=ENC_SMS_MOBILE)
    code = decrypt_str(_unb64(payload["code_enc"]), purpose=ENC_SMS_CODE)
    return mobile, code


def check_otp(session: Session, *, mobile: str, code: str, purpose: str) -> None:
    """Consume the mobile's live code for `purpose` if `code` matches it. A wrong code uses up one of
    `otp_max_attempts`; an expired, used or exhausted code never matches."""
    s = get_settings()
    index = mobile_index(parse_mobile(mobile))
    code = unicodedata.normalize("NFKC", code or "").strip()
    if not _CODE.match(code):
        raise InvalidInput(detail="the code has 6 digits")
    challenge = session.scalars(
        select(OtpChallenge).where(OtpChallenge.mobile_index == index, OtpChallenge.purpose == purpose,
                                   OtpChallenge.used.is_(False))
        .order_by(OtpChallenge.created_at.desc(), OtpChallenge.id.desc()).limit(1)
    ).one_or_none()
    now = clock.now()
    if challenge is None or challenge.expires_at <= now:
        raise OtpExpired()
    if challenge.attempts >= s.otp_max_attempts:
        raise OtpAttemptsExceeded()
    if not hmac.compare_digest(challenge.code_hash, _code_hash(challenge.public_id, code)):
        challenge.attempts += 1
        left = s.otp_max_attempts - challenge.attempts
        if left <= 0:
            challenge.used = True
            raise OtpAttemptsExceeded()
        raise OtpInvalid(attempts_left=left)
    challenge.used = True
    challenge.used_at = now


@dataclass(frozen=True)
class SignIn:
    citizen: Citizen
    signed_up: bool


def sign_in_with_otp(session: Session, *, mobile: str, code: str, language: str = "zh-CN") -> SignIn:
    """Sign in with a `login` code; the first sign-in of a mobile number creates the account."""
    mobile = parse_mobile(mobile)
    check_otp(session, mobile=mobile, code=code, purpose="login")
    existing = session.scalars(select(Citizen).where(Citizen.mobile_index == mobile_index(mobile))).one_or_none()
    if existing is not None:
        if existing.status == "closed":
            raise AccountClosed()
        return SignIn(existing, signed_up=False)
    return SignIn(register_citizen(session, mobile=mobile, language=language), signed_up=True)


# --- passwords ------------------------------------------------------------------------------------

def check_password_policy(password: str, *, mobile: str | None = None) -> None:
    if (len(password) < PASSWORD_MIN_LENGTH or not re.search(r"[A-Za-z]", password)
            or not re.search(r"[0-9]", password) or (mobile and mobile in password)):
        raise PasswordWeak()


def _lock_bucket(index: str) -> str:
    return f"pwd:fail:{index}"


def _lock_window() -> timedelta:
    return timedelta(seconds=get_settings().password_lockout_seconds)


def set_password(
    session: Session,
    *,
    citizen_id: str,
    password: str,
    current_password: str | None = None,
    code: str | None = None,
) -> Citizen:
    """Set or change the password. Setting the first one needs only the signed-in session; changing
    one needs the current password or a `password_reset` code. Other sessions end on a change."""
    citizen = get_citizen(session, citizen_id)
    mobile = decrypt_str(citizen.mobile_enc, purpose=ENC_CITIZEN_MOBILE)
    check_password_policy(password, mobile=mobile)
    changing = citizen.password_hash is not None
    if changing:
        if current_password is not None:
            if not _verify_hash(citizen.password_hash, current_password):
                raise InvalidCredentials()
        elif code is not None:
            check_otp(session, mobile=mobile, code=code, purpose="password_reset")
        else:
            raise PasswordProofRequired()
    citizen.password_hash = _hasher().hash(password)
    citizen.password_changed_at = clock.now()
    ratelimit.clear(session, _lock_bucket(citizen.mobile_index))
    _audit(session, actor=citizen.public_id, action="identity.password.change" if changing else "identity.password.set",
           citizen_id=citizen.public_id, resource=f"citizen/{citizen.public_id}/password",
           reason="修改登录密码 / password changed" if changing else "设置登录密码 / password set")
    return citizen


def _verify_hash(stored: str | None, password: str) -> bool:
    try:
        return _hasher().verify(stored or _dummy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def sign_in_with_password(session: Session, *, mobile: str, password: str) -> Citizen:
    """Sign in with mobile and password. Every failure looks the same (`invalid_credentials`) and takes
    the same time, account or not; after `password_max_failures` failures within
    `password_lockout_seconds` the number's password sign-in locks (`account_locked`) for about that
    long, whether or not an account exists. A one-time code still works while locked."""
    s = get_settings()
    mobile = parse_mobile(mobile)
    index = mobile_index(mobile)
    bucket = _lock_bucket(index)
    if ratelimit.count(session, bucket, window=_lock_window()) >= s.password_max_failures:
        raise AccountLocked(retry_after=_lock_window().seconds)
    citizen = session.scalars(select(Citizen).where(Citizen.mobile_index == index)).one_or_none()
    stored = citizen.password_hash if citizen is not None else None
    if not _verify_hash(stored, password) or citizen is None:
        ratelimit.add(session, bucket, window=_lock_window())
        if ratelimit.count(session, bucket, window=_lock_window()) >= s.password_max_failures:
            raise AccountLocked(retry_after=_lock_window().seconds)
        raise InvalidCredentials()
    if citizen.status == "closed":
        raise AccountClosed()
    ratelimit.clear(session, bucket)
    if _hasher().check_needs_rehash(citizen.password_hash or ""):
        citizen.password_hash = _hasher().hash(password)
    return citizen


# --- housekeeping ---------------------------------------------------------------------------------

def prune_expired(session: Session, *, keep: timedelta = timedelta(days=2)) -> dict[str, int]:
    """Delete one-time codes that expired, and rate-limit windows that ended, more than `keep` ago
    (neither counts for anything any more). For a periodic job; sessions are kept as history."""
    from sqlalchemy import delete

    from onecity.identity.models import RateLimitCounter

    cutoff = clock.now() - keep
    codes = session.execute(delete(OtpChallenge).where(OtpChallenge.expires_at < cutoff))
    # The longest window in use is one day (real-name failures), so a window that started before
    # cutoff - 1 day has ended before cutoff.
    windows = session.execute(delete(RateLimitCounter).where(
        RateLimitCounter.window_start < cutoff - timedelta(days=1)))
    return {"otp_challenges": int(getattr(codes, "rowcount", 0) or 0),
            "rate_limit_windows": int(getattr(windows, "rowcount", 0) or 0)}
