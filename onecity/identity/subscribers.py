"""Identity's outbox subscribers: sending one-time codes and other modules' notices by SMS after the
request committed."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from onecity import clock
from onecity.identity import service, sms
from onecity.identity.resident_id import mask_mobile
from onecity.outbox import Event, subscriber

log = logging.getLogger("onecity.identity")


@subscriber(service.OTP_TOPIC, name="identity.send_otp_sms")
def send_otp_sms(session: Session, event: Event) -> None:
    """Decrypt the code from the event and hand it to the SMS sender. A code that expired while the
    gateway was failing is not sent any more (the citizen has asked for a new one by then). A sender
    failure raises, so the outbox retries with backoff; the gateway sees the same message id."""
    expires_at = datetime.fromisoformat(event.payload["expires_at"])
    if expires_at <= clock.now():
        log.info("one-time code expired before it could be sent", extra={"message_id": event.payload["message_id"]})
        return
    mobile, code = service.decode_otp_event(event.payload)
    sms.get_sender().send(mobile, service.otp_message(code, event.payload["purpose"]),
                          message_id=event.payload["message_id"])


@subscriber(service.NOTICE_SMS_TOPIC, name="identity.send_notice_sms")
def send_notice_sms(session: Session, event: Event) -> None:
    """Send a notice another module asked for (`service.send_notice_sms`) to the citizen's current
    mobile number. A closed account gets nothing. A sender failure raises, so the outbox retries; the
    gateway sees the same message id. The log shows the number masked, never the text."""
    citizen = service.get_citizen(session, event.payload["citizen_id"])
    if citizen.status == "closed":
        log.info("notice SMS not sent: account closed", extra={"message_id": event.payload["message_id"]})
        return
    mobile = service.citizen_mobile(session, citizen.public_id)
    sms.get_sender().send(mobile, service.notice_message(service.decode_notice_event(event.payload)),
                          message_id=event.payload["message_id"])
    log.info("notice SMS handed to the gateway for %s", mask_mobile(mobile),
             extra={"message_id": event.payload["message_id"]})
