"""Transit's reactions to other modules' events: a signed-out session's ride-code certificates stop
opening gates (退出登录即停用该设备的乘车码)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from onecity.identity import service as identity
from onecity.outbox import Event, subscriber
from onecity.transit import service


@subscriber(identity.SESSION_REVOKED_TOPIC, name="transit.deny_signed_out_certificates")
def deny_certificates_of_ended_sessions(session: Session, event: Event) -> None:
    service.deny_signed_out(session, session_ids=[str(s) for s in event.payload.get("session_ids", [])])
