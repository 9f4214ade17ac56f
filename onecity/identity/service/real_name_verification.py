"""Real-name verification (实名认证): binding a citizen's account to a resident of the population
registry, and what only a verified citizen's own documents may use (full name, registry photo).
"""

from __future__ import annotations

import hmac
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.authz import Principal
from onecity.crypto.fields import decrypt, decrypt_str, encrypt
from onecity.errors import Conflict, RateLimited
from onecity.identity import ratelimit
from onecity.identity.models import Citizen, PopulationRegistryEntry
from onecity.identity.resident_id import is_minor, mask_id_number, mask_name, parse_id_number
from onecity.identity.schemas import CitizenSummary
from onecity.identity.service.citizens import (
    ENC_CITIZEN_ID_NUMBER,
    ENC_CITIZEN_NAME,
    ENC_REGISTRY_NAME,
    ENC_REGISTRY_PHOTO,
    RecordedFailure,
    _audit,
    get_citizen,
    id_number_index,
)
from onecity.identity.service.profile import citizen_summary
from onecity.identity.service.registry import normalise_name

VERIFIED_TOPIC = "identity.citizen.verified"
REAL_NAME_MAX_FAILURES_PER_DAY = 10


# --- errors ---------------------------------------------------------------------------------------

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


# --- real-name verification -----------------------------------------------------------------------

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
