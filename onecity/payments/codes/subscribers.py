"""Reactions to other modules' events: a signed-out session's payment-code devices stop paying."""

from __future__ import annotations

from sqlalchemy.orm import Session

from onecity.identity import service as identity
from onecity.outbox import Event, subscriber
from onecity.payments.codes import service


@subscriber(identity.SESSION_REVOKED_TOPIC, name="paycodes.revoke_session_devices")
def revoke_devices_of_ended_sessions(session: Session, event: Event) -> None:
    for session_id in event.payload.get("session_ids", []):
        service.revoke_session_devices(session, session_id=str(session_id))
