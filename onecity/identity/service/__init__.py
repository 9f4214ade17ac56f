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

Laid out by meaning: `citizens` (the account record, look-ups, sign-up, encryption purposes),
`accounts` (one-time codes, passwords, sign-in), `registry` (the population registry and its names),
`real_name_verification` and `profile` (masked summaries), `notices` (text messages other modules
ask to send to a citizen, after their commit).
"""

from onecity.identity.service.accounts import (
    OTP_DIGITS,
    OTP_TOPIC,
    PASSWORD_MIN_LENGTH,
    AccountClosed,
    AccountLocked,
    InvalidCredentials,
    OtpAttemptsExceeded,
    OtpExpired,
    OtpInvalid,
    PasswordProofRequired,
    PasswordWeak,
    SignIn,
    check_otp,
    check_password_policy,
    decode_otp_event,
    otp_message,
    prune_expired,
    request_otp,
    set_password,
    sign_in_with_otp,
    sign_in_with_password,
)
from onecity.identity.service.citizens import (
    ENC_CITIZEN_ID_NUMBER,
    ENC_CITIZEN_MOBILE,
    ENC_CITIZEN_NAME,
    ENC_REGISTRY_ID_NUMBER,
    ENC_REGISTRY_NAME,
    ENC_REGISTRY_PHOTO,
    ENC_SMS_CODE,
    ENC_SMS_MOBILE,
    IDX_ID_NUMBER,
    IDX_MOBILE,
    SIGNED_UP_TOPIC,
    CitizenNotFound,
    RecordedFailure,
    citizen_mobile,
    get_citizen,
    get_citizen_by_id_number,
    get_citizen_by_mobile,
    id_number_index,
    mobile_index,
    register_citizen,
)
from onecity.identity.service.notices import (
    ENC_SMS_TEXT,
    NOTICE_SMS_MAX_CHARS,
    NOTICE_SMS_TOPIC,
    decode_notice_event,
    notice_message,
    send_notice_sms,
)
from onecity.identity.service.profile import (
    citizen_profile,
    citizen_summary,
    region_label,
)
from onecity.identity.service.real_name_verification import (
    REAL_NAME_MAX_FAILURES_PER_DAY,
    VERIFIED_TOPIC,
    AlreadyVerified,
    IdNumberInUse,
    RealNameAttemptsExceeded,
    RealNameMismatch,
    RegistryInactive,
    real_name,
    reference_photo,
    verify_real_name,
)
from onecity.identity.service.registry import (
    NameInvalid,
    load_registry,
    normalise_name,
    registry_entry_by_id_number,
)
from onecity.identity.sessions import REVOKED_TOPIC as SESSION_REVOKED_TOPIC

__all__ = [
    # citizens
    "ENC_CITIZEN_ID_NUMBER",
    "ENC_CITIZEN_MOBILE",
    "ENC_CITIZEN_NAME",
    "ENC_REGISTRY_ID_NUMBER",
    "ENC_REGISTRY_NAME",
    "ENC_REGISTRY_PHOTO",
    "ENC_SMS_CODE",
    "ENC_SMS_MOBILE",
    "IDX_ID_NUMBER",
    "IDX_MOBILE",
    "SIGNED_UP_TOPIC",
    "CitizenNotFound",
    "RecordedFailure",
    "citizen_mobile",
    "get_citizen",
    "get_citizen_by_id_number",
    "get_citizen_by_mobile",
    "id_number_index",
    "mobile_index",
    "register_citizen",
    # accounts
    "OTP_DIGITS",
    "OTP_TOPIC",
    "PASSWORD_MIN_LENGTH",
    "AccountClosed",
    "AccountLocked",
    "InvalidCredentials",
    "OtpAttemptsExceeded",
    "OtpExpired",
    "OtpInvalid",
    "PasswordProofRequired",
    "PasswordWeak",
    "SignIn",
    "check_otp",
    "check_password_policy",
    "decode_otp_event",
    "otp_message",
    "prune_expired",
    "request_otp",
    "set_password",
    "sign_in_with_otp",
    "sign_in_with_password",
    # registry
    "NameInvalid",
    "load_registry",
    "normalise_name",
    "registry_entry_by_id_number",
    # real_name_verification
    "REAL_NAME_MAX_FAILURES_PER_DAY",
    "SESSION_REVOKED_TOPIC",
    "VERIFIED_TOPIC",
    "AlreadyVerified",
    "IdNumberInUse",
    "RealNameAttemptsExceeded",
    "RealNameMismatch",
    "RegistryInactive",
    "real_name",
    "reference_photo",
    "verify_real_name",
    # notices (text messages on behalf of other modules)
    "ENC_SMS_TEXT",
    "NOTICE_SMS_MAX_CHARS",
    "NOTICE_SMS_TOPIC",
    "decode_notice_event",
    "notice_message",
    "send_notice_sms",
    # profile
    "citizen_profile",
    "citizen_summary",
    "region_label",
]
