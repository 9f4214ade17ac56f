"""The link state machine through the service: from every status, every action — the legal ones move
the link as `rules.TRANSITIONS` says, every illegal one is refused and changes nothing (no row change,
no event, no audit entry). Each action is tried by each side allowed to attempt it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from onecity import clock, outbox
from onecity.audit.models import AuditEntry
from onecity.identity.family import rules, service
from onecity.identity.family.models import FamilyLink
from tests.identity.family.factories import person

# (action, who tries it): answers come from the invitee, cancelling from the sender, revoking and
# narrowing from either side; expiry from the sweep.
ATTEMPTS = [
    ("accept", "invitee"), ("decline", "invitee"), ("cancel", "inviter"),
    ("revoke", "inviter"), ("revoke", "invitee"), ("narrow", "inviter"), ("narrow", "invitee"),
    ("expire", "sweep"),
]
STATUSES = list(rules.STATUSES) + ["expired_unrecorded"]


def _make(session, status):
    """A link between a child (inviter) and a parent (invitee) in `status`."""
    child, parent = person(session, born=date(1990, 1, 1)), person(session, born=date(1960, 1, 1))
    inv = service.invite(session, inviter_id=child.id, relation="parent", mobile=parent.mobile,
                         scopes=["pay_medical", "view_bills"], offered_scopes=["view_bills"])
    if status in ("accepted", "revoked"):
        service.accept(session, citizen_id=parent.id, link_id=inv.id)
    if status == "revoked":
        service.revoke(session, citizen_id=parent.id, link_id=inv.id)
    if status == "declined":
        service.decline(session, citizen_id=parent.id, link_id=inv.id)
    if status == "cancelled":
        service.cancel(session, citizen_id=child.id, link_id=inv.id)
    if status in ("expired", "expired_unrecorded"):
        clock.advance(rules.INVITATION_TTL + timedelta(minutes=1))
    if status == "expired":
        assert service.expire_due(session) == 1
    session.flush()
    return child, parent, inv.id


def _attempt(session, action, who, child, parent, link_id):
    actor = {"inviter": child, "invitee": parent}.get(who)
    if action == "expire":
        return service.expire_due(session)
    if action == "accept":
        return service.accept(session, citizen_id=actor.id, link_id=link_id)
    if action == "decline":
        return service.decline(session, citizen_id=actor.id, link_id=link_id)
    if action == "cancel":
        return service.cancel(session, citizen_id=actor.id, link_id=link_id)
    if action == "revoke":
        return service.revoke(session, citizen_id=actor.id, link_id=link_id)
    return service.narrow_scopes(session, citizen_id=actor.id, link_id=link_id, scopes=["view_bills"])


def _snapshot(session):
    row = session.scalars(select(FamilyLink)).one()
    session.refresh(row)
    cols = {c.key: getattr(row, c.key) for c in FamilyLink.__table__.columns}
    events = session.scalar(select(func.count()).select_from(outbox.OutboxEvent))
    audits = session.scalar(select(func.count()).select_from(AuditEntry))
    return cols, events, audits


@pytest.mark.parametrize("status", STATUSES)
def test_every_action_from_every_status(session, status):
    """One link in `status`; each attempt runs in a savepoint rolled back afterwards, so every attempt
    starts from the same link."""
    child, parent, link_id = _make(session, status)
    effective = "expired" if status == "expired_unrecorded" else status
    for action, who in ATTEMPTS:
        after = rules.TRANSITIONS.get((effective, action))
        savepoint = session.begin_nested()
        try:
            if action == "expire":
                # The sweep moves only pending invitations past their time; from anything else it is a no-op.
                swept = _attempt(session, action, who, child, parent, link_id)
                row = session.scalars(select(FamilyLink)).one()
                expected = (1, "expired") if status == "expired_unrecorded" else (0, status)
                assert (swept, row.status) == expected, (status, action)
            elif after is None:
                before = _snapshot(session)
                expected_exc = rules.InvitationExpired if effective == "expired" else rules.IllegalTransition
                with pytest.raises(expected_exc) as info:
                    _attempt(session, action, who, child, parent, link_id)
                assert info.value.status == 409 and info.value.code.startswith("family_"), (status, action)
                assert _snapshot(session) == before, f"illegal {action} by {who} on {status} changed something"
            else:
                out = _attempt(session, action, who, child, parent, link_id)
                assert out.status == after, (status, action, who)
                assert session.scalars(select(FamilyLink)).one().status == after
        finally:
            savepoint.rollback()
            session.expire_all()


def test_the_attempts_cover_every_action_and_the_illegal_ones():
    cases = [(s, a) for s in STATUSES for a, _ in ATTEMPTS]
    assert {a for _, a in cases} == set(rules.ACTIONS)
    illegal = [(s, a) for s, a in cases
               if rules.TRANSITIONS.get(("expired" if s == "expired_unrecorded" else s, a)) is None]
    # 7 statuses × 8 attempts = 56. Legal: accept, decline, cancel and the sweep on pending (4), revoke
    # and narrow by either side on accepted (4). The other 48 are refused — or, for the sweep, leave
    # the link alone (except an expiry not yet recorded, which the sweep records).
    assert len(cases) == 56 and len(illegal) == 48
