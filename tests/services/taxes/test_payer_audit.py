"""A tax paid in the app is audited with the signed-in citizen as the actor (kind citizen), not as a
plain string recorded as the system."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from onecity.audit.models import AuditEntry
from onecity.db import transaction
from tests.identity.factories import login_token
from tests.identity.family.factories import person
from tests.payments.trade.factories import fund_wallet
from tests.services.taxes.factories import Bureau, assess


def test_the_api_payment_audits_the_citizen(client: Any, session: Any, bureau: Bureau) -> None:
    p = person(session)
    fund_wallet(session, p.id, 100_000)
    a = assess(session, bureau, p)
    token = login_token(session, p.citizen)
    session.commit()
    r = client.post("/v1/services/taxes/payments", json={"assessment_ids": [a.assessment_id]},
                    headers={"authorization": f"Bearer {token}", "idempotency-key": "tax-audit-1"})
    assert r.status_code == 201, r.text
    with transaction() as s:
        entries = [(e.actor_kind, e.actor_id) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.action == "services.taxes.pay"))]
    assert entries == [("citizen", p.id)]
