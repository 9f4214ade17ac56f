"""Text messages (短信通知) to a citizen about something another module did for them, such as a
decision on an application. The caller writes the request in its own transaction; identity's outbox
subscriber sends it to the citizen's mobile number after commit (so a rolled-back change sends
nothing). The text is encrypted in the outbox row, the number is looked up only when sending, and
the message id chosen here stays the same across the gateway's retries.
"""

from __future__ import annotations

import base64

from sqlalchemy.orm import Session

from onecity import outbox
from onecity.config import get_settings
from onecity.crypto.fields import decrypt_str, encrypt
from onecity.errors import InvalidInput
from onecity.identity.service.citizens import get_citizen
from onecity.ids import new_id

NOTICE_SMS_TOPIC = "identity.sms.notice_requested"
ENC_SMS_TEXT = "outbox.sms.text"
NOTICE_SMS_MAX_CHARS = 300


def notice_message(text: str) -> str:
    """The SMS text: the sender signature 【…】 first, as carriers require."""
    return f"【一网通城·{get_settings().city_name}】{text}"


def send_notice_sms(session: Session, *, citizen_id: str, text: str) -> str:
    """Ask for an SMS with `text` to the citizen's mobile, sent after the caller commits. Returns the
    message id (`sms_…`). The citizen must exist (CitizenNotFound); an empty text is refused; a long
    one is cut at NOTICE_SMS_MAX_CHARS characters."""
    text = " ".join((text or "").split())
    if not text:
        raise InvalidInput(detail="an SMS needs a text")
    get_citizen(session, citizen_id)
    message_id = new_id("sms")
    outbox.emit(session, NOTICE_SMS_TOPIC, {
        "message_id": message_id,
        "citizen_id": citizen_id,
        "text_enc": base64.b64encode(encrypt(text[:NOTICE_SMS_MAX_CHARS], purpose=ENC_SMS_TEXT)).decode("ascii"),
    })
    return message_id


def decode_notice_event(payload: dict[str, str]) -> str:
    """The text of an `identity.sms.notice_requested` event (for the SMS subscriber)."""
    return decrypt_str(base64.b64decode(payload["text_enc"]), purpose=ENC_SMS_TEXT)
