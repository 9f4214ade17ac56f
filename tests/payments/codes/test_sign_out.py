"""Signing out ends the payment code of that phone: the session's device secret stops paying."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from onecity import outbox
from onecity.app import load_subscribers
from onecity.identity import sessions
from onecity.payments.codes import service
from onecity.payments.codes.service import InvalidPaymentCode
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_org


def _signed_in_device(session: Session) -> tuple[str, str, str, str]:
    load_subscribers()
    citizen = make_citizen(session)
    token, row = sessions.create_session(session, kind="citizen", subject_id=citizen.public_id,
                                         credential="bearer", label="phone")
    device = service.provision_device(session, citizen_id=citizen.public_id, session_id=row.public_id)
    merchant = make_org(session, kind="merchant")
    session.commit()
    return citizen.public_id, token, device.device_id, merchant.public_id


def test_signing_out_revokes_the_sessions_payment_code(session: Session) -> None:
    citizen_id, token, device_id, merchant_id = _signed_in_device(session)
    other = service.provision_device(session, citizen_id=citizen_id, session_id=None, label="other phone")
    sessions.revoke_token(session, token)
    session.commit()
    outbox.run_once()

    session.expire_all()
    with pytest.raises(InvalidPaymentCode):
        service.consume_payment_code(session, code=service.current_code(session, device_id=device_id),
                                     merchant_id=merchant_id)
    session.rollback()
    # The citizen's other phone (another session) still pays.
    holder = service.consume_payment_code(session, code=service.current_code(session, device_id=other.device_id),
                                          merchant_id=merchant_id)
    assert holder.citizen_id == citizen_id


def test_signing_out_everywhere_revokes_every_device(session: Session) -> None:
    citizen_id, _, device_id, merchant_id = _signed_in_device(session)
    assert sessions.revoke_all(session, subject_id=citizen_id) == 1
    session.commit()
    outbox.run_once()
    assert [d.device_id for d in service.list_devices(session, citizen_id=citizen_id)] == []
    with pytest.raises(InvalidPaymentCode):
        service.consume_payment_code(session, code=service.current_code(session, device_id=device_id),
                                     merchant_id=merchant_id)
