"""Citizen accounts: the identity module's API for everything about a citizen's account.

Sign-up and sign-in with a one-time SMS code (the first sign-in of a mobile number creates the
account), passwords (argon2id) with lockout, real-name verification against the city's population
registry, the registry's bulk load, and masked summaries for other modules.

Personal data is encrypted at rest (`onecity.crypto.fields`, one purpose per column) with HMAC blind
indexes for look-up, and leaves this module only masked (`resident_id.mask_*`), except the registry
photo that face verification needs.

Failures that must leave a trace although the request fails (a wrong code uses up an attempt, a wrong
password counts towards the lockout) derive from `RecordedFailure`: the caller commits before
re-raising (`api.py` and `pages.py` do), everything else about the request is still unchanged.

Glossary: 短信验证码 one-time code (OTP) · 注册 sign-up · 登录 sign-in · 实名认证 real-name
verification · 人口库 population registry · 户籍状态 registry status · 脱敏 masking · 锁定 lockout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import re
import secrets
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.crypto.fields import blind_index, decrypt, decrypt_str, encrypt
from onecity.errors import Conflict, DomainError, InvalidInput, NotFound, RateLimited
from onecity.identity import ratelimit
from onecity.identity.mobile import parse_mobile
from onecity.identity.models import Citizen, OtpChallenge, PopulationRegistryEntry
from onecity.identity.resident_id import (
    InvalidIdNumber,
    is_minor,
    mask_id_number,
    mask_mobile,
    mask_name,
    parse_id_number,
    region_path,
)
from onecity.identity.resident_id import age_on as _age_on
from onecity.identity.schemas import (
    CitizenProfile,
    CitizenSummary,
    OtpRequested,
    RegistryLoadReport,
    RegistryRow,
)
from onecity.ids import new_id

log = logging.getLogger("onecity.identity")

# Blind-index purposes (shared by every column holding the same kind of value, so they can be joined)
# and encryption purposes (one per column, so a ciphertext copied elsewhere does not decrypt).
IDX_MOBILE = "mobile"
IDX_ID_NUMBER = "id_number"
ENC_CITIZEN_MOBILE = "citizen.mobile"
ENC_CITIZEN_NAME = "citizen.real_name"
ENC_CITIZEN_ID_NUMBER = "citizen.id_number"
ENC_REGISTRY_NAME = "population_registry.name"
ENC_REGISTRY_ID_NUMBER = "population_registry.id_number"
ENC_REGISTRY_PHOTO = "population_registry.photo"
ENC_SMS_MOBILE = "outbox.sms.mobile"
ENC_SMS_CODE = "outbox.sms.code"

OTP_TOPIC = "identity.otp.requested"
VERIFIED_TOPIC = "identity.citizen.verified"
SIGNED_UP_TOPIC = "identity.citizen.signed_up"
OTP_DIGITS = 6
REAL_NAME_MAX_FAILURES_PER_DAY = 10
PASSWORD_MIN_LENGTH = 8
_CODE = re.compile(r"^[0-9]{6}$")
# Chinese names, names with the middle dot of minority names (买买提·艾力), and Latin-script names.
_CJK = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NAME = re.compile(rf"^[{_CJK}A-Za-z][{_CJK}·A-Za-z .'-]{{0,49}}$")


# --- errors ---------------------------------------------------------------------------------------

class RecordedFailure(DomainError):
    """A failure whose bookkeeping (attempt counters) must be committed although the request fails."""


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


class NameInvalid(InvalidInput):
    code = "name_invalid"
    message_zh = "请输入身份证上的姓名"
    message_en = "Enter your name as it is on your ID card"


class RealNameMismatch(RecordedFailure):
    code = "real_name_mismatch"
    status = 422
    message_zh = "姓名与身份证号码不匹配，或未在本市人口库中登记"
    message_en = "The name and ID number do not match a resident in the city's registry"


class RegistryInactive(RecordedFailure):
    code = "real_name_registry_inactive"
    status = 422
    message_zh = "户籍状态异常，无法完成实名认证，请到户籍窗口办理"
    message_en = "The registry entry is not active; please visit a household-registration office"


class RealNameAttemptsExceeded(RateLimited):
    code = "real_name_attempts_exceeded"
    message_zh = "今日实名认证失败次数过多，请明天再试"
    message_en = "Too many failed real-name checks today; please try again tomorrow"


class IdNumberInUse(Conflict):
    code = "id_number_in_use"
    message_zh = "该身份证号码已绑定其他账户"
    message_en = "This ID number is already bound to another account"


class AlreadyVerified(Conflict):
    code = "real_name_already_verified"
    message_zh = "该账户已完成实名认证"
    message_en = "This account has already been verified with another identity"


class CitizenNotFound(NotFound):
    code = "citizen_not_found"
    message_zh = "找不到该用户"
    message_en = "No such citizen"


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


def mobile_index(mobile: str) -> str:
    return blind_index(mobile, purpose=IDX_MOBILE)


def id_number_index(id_number: str) -> str:
    return blind_index(id_number, purpose=IDX_ID_NUMBER)


def normalise_name(name: str) -> str:
    """NFKC, trimmed, inner runs of spaces collapsed (and dropped next to Chinese characters), the
    middle dot unified (· • ・ → ·)."""
    n = unicodedata.normalize("NFKC", name[:100]).strip()
    n = re.sub(r"[•・‧∙]", "·", n)
    n = re.sub(r"\s+", " ", n)
    n = re.sub(rf"(?<=[{_CJK}·]) | (?=[{_CJK}·])", "", n)  # 王 芳 → 王芳; spaces stay only in Latin names
    if not _NAME.match(n):
        raise NameInvalid()
    return n


def _ip_bucket(ip: str) -> str:
    return hashlib.sha256(ip.encode()).hexdigest()[:32]


# --- accounts -------------------------------------------------------------------------------------

def get_citizen(session: Session, citizen_id: str) -> Citizen:
    citizen = session.scalars(select(Citizen).where(Citizen.public_id == citizen_id)).one_or_none()
    if citizen is None:
        raise CitizenNotFound()
    return citizen


def get_citizen_by_mobile(session: Session, mobile: str) -> Citizen | None:
    return session.scalars(select(Citizen).where(Citizen.mobile_index == mobile_index(parse_mobile(mobile)))
                           ).one_or_none()


def get_citizen_by_id_number(session: Session, id_number: str) -> Citizen | None:
    """The verified citizen holding this ID number (look-up by blind index), or None."""
    number = parse_id_number(id_number).number
    return session.scalars(select(Citizen).where(Citizen.id_number_index == id_number_index(number))
                           ).one_or_none()


def register_citizen(session: Session, *, mobile: str, language: str = "zh-CN") -> Citizen:
    """The account for a mobile number, created if it does not exist yet (sign-up)."""
    mobile = parse_mobile(mobile)
    existing = session.scalars(select(Citizen).where(Citizen.mobile_index == mobile_index(mobile))).one_or_none()
    if existing is not None:
        return existing
    citizen = Citizen(
        public_id=new_id("cit"),
        mobile_enc=encrypt(mobile, purpose=ENC_CITIZEN_MOBILE),
        mobile_index=mobile_index(mobile),
        mobile_masked=mask_mobile(mobile),
        status="active",
        language=language if language in ("zh-CN", "en") else "zh-CN",
        created_at=clock.now(),
    )
    session.add(citizen)
    session.flush()
    outbox.emit(session, SIGNED_UP_TOPIC, {"citizen_id": citizen.public_id})
    _audit(session, actor=citizen.public_id, action="identity.citizen.sign_up", citizen_id=citizen.public_id,
           resource=f"citizen/{citizen.public_id}", reason="注册账户 / account created with a mobile number")
    return citizen


def citizen_mobile(session: Session, citizen_id: str) -> str:
    """The citizen's full mobile number (for sending them messages); never show it."""
    return decrypt_str(get_citizen(session, citizen_id).mobile_enc, purpose=ENC_CITIZEN_MOBILE)


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


# --- real-name verification -----------------------------------------------------------------------

def registry_entry_by_id_number(session: Session, id_number: str) -> PopulationRegistryEntry | None:
    number = parse_id_number(id_number).number
    return session.scalars(select(PopulationRegistryEntry).where(
        PopulationRegistryEntry.id_number_index == id_number_index(number))).one_or_none()


def verify_real_name(
    session: Session,
    *,
    citizen_id: str,
    name: str,
    id_number: str,
    actor: Principal | str | None = None,
) -> CitizenSummary:
    """Bind a citizen's account to a resident of the population registry (实名认证).

    The ID number must be valid (`resident_id`), belong to an active registry entry whose name is
    `name`, and not be bound to another account. Verifying again with the same identity changes
    nothing; an account is never re-bound to another identity. At most
    `REAL_NAME_MAX_FAILURES_PER_DAY` failed checks per account a day, so the check cannot be used to
    find out who is in the registry.
    """
    citizen = get_citizen(session, citizen_id)
    rid = parse_id_number(id_number)
    clean_name = normalise_name(name)
    index = id_number_index(rid.number)
    if citizen.verified_at is not None:
        if citizen.id_number_index == index:
            return citizen_summary(session, citizen_id)
        raise AlreadyVerified()
    bucket = f"realname:fail:{citizen.public_id}"
    day = timedelta(days=1)
    if ratelimit.count(session, bucket, window=day) >= REAL_NAME_MAX_FAILURES_PER_DAY:
        raise RealNameAttemptsExceeded()
    entry = session.scalars(select(PopulationRegistryEntry).where(
        PopulationRegistryEntry.id_number_index == index)).one_or_none()
    registered_name = decrypt_str(entry.name_enc, purpose=ENC_REGISTRY_NAME) if entry is not None else ""
    if entry is None or not hmac.compare_digest(registered_name.encode(), clean_name.encode()):
        ratelimit.add(session, bucket, window=day)
        raise RealNameMismatch()
    if entry.status != "active":
        ratelimit.add(session, bucket, window=day)
        raise RegistryInactive()
    other = session.scalars(select(Citizen.public_id).where(
        Citizen.id_number_index == index, Citizen.id != citizen.id)).first()
    if other is not None:
        raise IdNumberInUse()
    now = clock.now()
    citizen.registry_entry_id = entry.id
    citizen.real_name_enc = encrypt(registered_name, purpose=ENC_CITIZEN_NAME)
    citizen.real_name_masked = mask_name(registered_name)
    citizen.id_number_enc = encrypt(rid.number, purpose=ENC_CITIZEN_ID_NUMBER)
    citizen.id_number_index = index
    citizen.id_number_masked = mask_id_number(rid.number)
    citizen.sex = rid.sex
    citizen.birth_date = rid.birth_date
    citizen.region_code = rid.region_code
    citizen.verified_at = now
    session.flush()
    outbox.emit(session, VERIFIED_TOPIC, {
        "citizen_id": citizen.public_id,
        "region_code": rid.region_code,
        "is_minor": is_minor(rid.birth_date, clock.today_local().date()),
        "verified_at": now.isoformat(),
    })
    _audit(session, actor=actor or citizen.public_id, action="identity.real_name.verify",
           citizen_id=citizen.public_id, resource=f"citizen/{citizen.public_id}/real_name",
           reason="实名认证：姓名与身份证号码经人口库核验一致 / real-name verified against the population registry")
    return citizen_summary(session, citizen_id)


def reference_photo(session: Session, citizen_id: str) -> bytes | None:
    """The registry photo of a verified citizen (decrypted), for face verification; None if the
    citizen is not verified or the registry holds no photo."""
    citizen = get_citizen(session, citizen_id)
    if citizen.registry_entry_id is None or citizen.verified_at is None:
        return None
    entry = session.get(PopulationRegistryEntry, citizen.registry_entry_id)
    if entry is None or entry.photo_enc is None:
        return None
    return decrypt(entry.photo_enc, purpose=ENC_REGISTRY_PHOTO)


def real_name(session: Session, citizen_id: str) -> str | None:
    """The verified citizen's full name (for documents issued to them); None if not verified."""
    citizen = get_citizen(session, citizen_id)
    if citizen.real_name_enc is None:
        return None
    return decrypt_str(citizen.real_name_enc, purpose=ENC_CITIZEN_NAME)


# --- summaries ------------------------------------------------------------------------------------

def _summary_fields(citizen: Citizen) -> dict[str, object]:
    today = clock.today_local().date()
    age = _age_on(citizen.birth_date, today) if citizen.birth_date else None
    return {
        "public_id": citizen.public_id,
        "verified": citizen.verified_at is not None,
        "masked_name": citizen.real_name_masked,
        "masked_id_number": citizen.id_number_masked,
        "sex": citizen.sex,
        "birth_date": citizen.birth_date,
        "age": age,
        "is_minor": (age < 18) if age is not None else None,
        "region_code": citizen.region_code,
        "region_name": region_label(citizen.region_code) if citizen.region_code else None,
    }


_PLACEHOLDER_DIVISIONS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖县级行政单位",
                          "省直辖行政单位", "自治区直辖县级行政单位"}


def region_label(code: str) -> str | None:
    """广东省深圳市南山区: the names from province down, without the table's placeholder levels."""
    names = [r.name for r in region_path(code) if r.name not in _PLACEHOLDER_DIVISIONS]
    return "".join(names) or None


def citizen_summary(session: Session, citizen_id: str) -> CitizenSummary:
    """What other modules may know of a citizen: masked name and ID, sex, birth date, age, minority."""
    return CitizenSummary.model_validate(_summary_fields(get_citizen(session, citizen_id)))


def citizen_profile(session: Session, citizen_id: str) -> CitizenProfile:
    """The citizen's own view of their account (still masked)."""
    c = get_citizen(session, citizen_id)
    return CitizenProfile.model_validate({
        **_summary_fields(c),
        "mobile_masked": c.mobile_masked,
        "has_password": c.password_hash is not None,
        "created_at": c.created_at,
        "verified_at": c.verified_at,
        "language": c.language,
    })


# --- the population registry ----------------------------------------------------------------------

def load_registry(session: Session, rows: Iterable[RegistryRow], *, chunk: int = 500) -> RegistryLoadReport:
    """Load residents from the city's population registry; idempotent on the ID number (a reload
    updates name, status and, when given, photo). Invalid rows are reported, not loaded."""
    report = RegistryLoadReport()
    batch: list[tuple[int, RegistryRow, str, str]] = []

    def flush_batch() -> None:
        indexes = [b[3] for b in batch]
        existing = {e.id_number_index: e for e in session.scalars(select(PopulationRegistryEntry).where(
            PopulationRegistryEntry.id_number_index.in_(indexes)))}
        now = clock.now()
        for _line, row, number, index in batch:
            entry = existing.get(index)
            name = normalise_name(row.name)
            if entry is None:
                entry = PopulationRegistryEntry(
                    public_id=new_id("res"),
                    name_enc=encrypt(name, purpose=ENC_REGISTRY_NAME),
                    id_number_enc=encrypt(number, purpose=ENC_REGISTRY_ID_NUMBER),
                    id_number_index=index,
                    photo_enc=encrypt(row.photo, purpose=ENC_REGISTRY_PHOTO) if row.photo else None,
                    status=row.status,
                    loaded_at=now,
                )
                session.add(entry)
                existing[index] = entry
                report.created += 1
                continue
            changed = False
            if decrypt_str(entry.name_enc, purpose=ENC_REGISTRY_NAME) != name:
                entry.name_enc = encrypt(name, purpose=ENC_REGISTRY_NAME)
                changed = True
            if entry.status != row.status:
                entry.status = row.status
                changed = True
            if row.photo and (entry.photo_enc is None
                              or decrypt(entry.photo_enc, purpose=ENC_REGISTRY_PHOTO) != row.photo):
                entry.photo_enc = encrypt(row.photo, purpose=ENC_REGISTRY_PHOTO)
                changed = True
            if changed:
                entry.loaded_at = now
                report.updated += 1
            else:
                report.unchanged += 1
        session.flush()
        batch.clear()

    for line, row in enumerate(rows, start=1):
        try:
            number = parse_id_number(row.id_number).number
            normalise_name(row.name)
        except (InvalidIdNumber, NameInvalid) as exc:
            report.rejected.append((line, exc.code))
            continue
        batch.append((line, row, number, id_number_index(number)))
        if len(batch) >= chunk:
            flush_batch()
    if batch:
        flush_batch()
    return report


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


# --- audit ----------------------------------------------------------------------------------------

def _audit(session: Session, *, actor: Principal | str, action: str, citizen_id: str, resource: str,
           reason: str) -> None:
    from onecity.audit import service as audit

    audit.record(session, actor=actor, action=action, subject_citizen_id=citizen_id, resource=resource,
                 reason=reason)
