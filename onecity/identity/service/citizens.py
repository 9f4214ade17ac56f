"""The citizen account record: look-ups (by public id, mobile or ID number), sign-up, the full mobile
number for messages; the blind-index and encryption purposes of identity's personal data, the base of
failures that are recorded although the request fails, and the audit of account changes.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.authz import Principal
from onecity.crypto.fields import blind_index, decrypt_str, encrypt
from onecity.errors import DomainError, NotFound
from onecity.identity.mobile import parse_mobile
from onecity.identity.models import Citizen
from onecity.identity.resident_id import mask_mobile, parse_id_number
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

SIGNED_UP_TOPIC = "identity.citizen.signed_up"


# --- errors ---------------------------------------------------------------------------------------

class RecordedFailure(DomainError):
    """A failure whose bookkeeping (attempt counters) must be committed although the request fails."""


class CitizenNotFound(NotFound):
    code = "citizen_not_found"
    message_zh = "找不到该用户"
    message_en = "No such citizen"


# --- blind indexes --------------------------------------------------------------------------------

def mobile_index(mobile: str) -> str:
    return blind_index(mobile, purpose=IDX_MOBILE)


def id_number_index(id_number: str) -> str:
    return blind_index(id_number, purpose=IDX_ID_NUMBER)


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


# --- audit ----------------------------------------------------------------------------------------

def _audit(session: Session, *, actor: Principal | str, action: str, citizen_id: str, resource: str,
           reason: str) -> None:
    from onecity.audit import service as audit

    audit.record(session, actor=actor, action=action, subject_citizen_id=citizen_id, resource=resource,
                 reason=reason)
