"""A fine paid in the app is audited with the signed-in citizen as the actor (kind citizen), not as a
plain string recorded as the system."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from onecity.audit.models import AuditEntry
from onecity.db import transaction
from onecity.services.traffic import service
from tests.identity.factories import login_token
from tests.services.traffic.factories import Traffic, decide, make_driver


def _pay_entries() -> list[tuple[str, str | None]]:
    with transaction() as s:
        return [(e.actor_kind, e.actor_id) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "services.traffic.fine.pay").order_by(AuditEntry.seq))]


def test_the_api_payment_audits_the_citizen(client: Any, session: Any, traffic: Traffic) -> None:
    d = make_driver(session, wallet=50_000)
    v = decide(session, traffic, d)
    token = login_token(session, d.person.citizen)
    session.commit()
    r = client.post(f"/v1/services/traffic/decisions/{v.decision_no}/pay", json={},
                    headers={"authorization": f"Bearer {token}", "idempotency-key": "audit-1"})
    assert r.status_code == 200, r.text
    assert _pay_entries() == [("citizen", d.id)]


def test_without_a_principal_the_payer_id_is_recorded(session: Any, traffic: Traffic) -> None:
    # a service caller without a Principal (a job, a script): the audit reads the kind from the id
    d = make_driver(session, wallet=50_000)
    v = decide(session, traffic, d)
    service.pay_fine(session, decision_no=v.decision_no, citizen_id=d.id)
    session.commit()
    assert _pay_entries() == [("citizen", d.id)]
