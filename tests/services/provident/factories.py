"""Factories for provident fund tests, built through the real services: the fund centre (an agency,
registered, with the withdrawal service items published in the catalogue), employers and accounts
with months of contributions. They only flush; commit before the app must see the rows.

    centre = make_centre(session)
    p = person(session)
    acc = make_account(session, p.id, months=24)                 # 15,000.00 base, 12% + 12%
    grant = make_face_grant(session, p.citizen, act=WITHDRAW_ACT)
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.authz import Principal
from onecity.identity.orgs.models import Org
from onecity.outbox import Event, OutboxEvent
from onecity.services.applications import service as applications
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import ServiceItemIn
from onecity.services.provident import rules, service, subscribers
from onecity.services.provident.items import item_definitions
from onecity.services.provident.schemas import AccountIn, AccountOut, ContributionLineIn
from tests.identity.orgs.factories import make_org, make_staff


def make_centre(session: Session) -> Org:
    org = make_org(session, kind="agency", name="深圳市住房公积金管理中心")
    service.register_centre(session, org_id=org.public_id, actor="test:factory")
    catalogue.ensure_categories(session)
    for d in item_definitions(org.public_id):
        catalogue.create_item(session, item=ServiceItemIn(**d), actor="test:factory")
        catalogue.publish_item(session, code=d["code"], actor="test:factory")
    session.flush()
    return org


def last_months(n: int, *, include_current: bool = False) -> list[str]:
    """The n months before this one (or ending with this one), oldest first."""
    m = rules.month_key(clock.today_local().date())
    if not include_current:
        m = rules.previous_month(m)
    out = [m]
    while len(out) < n:
        out.append(rules.previous_month(out[-1]))
    return out[::-1]


def make_account(session: Session, citizen_id: str, *, employer: Org | None = None, base_fen: int = 1_500_000,
                 employee_rate_bp: int = 1200, employer_rate_bp: int = 1200, months: int = 24) -> AccountOut:
    """An account with `months` contributions up to last month (at the defaults 3,600.00 a month:
    15,000.00 × 12% = 1,800.00 twice)."""
    employer = employer or make_org(session, kind="merchant")
    acc = service.open_account(session, data=AccountIn(
        citizen_id=citizen_id, employer_name=employer.name_zh, employer_uscc=employer.uscc, base_fen=base_fen,
        employee_rate_bp=employee_rate_bp, employer_rate_bp=employer_rate_bp), actor="test:factory")
    for month in last_months(months) if months else []:
        service.post_contributions(session, employer_uscc=employer.uscc, month=month,
                                   lines=[ContributionLineIn(account_no=acc.account_no)], actor="test:factory")
    session.flush()
    return service.get_account(session, account_no=acc.account_no)


def withdrawal(reason: str = "rent", amount_fen: int = 150_000, grant: str = "fgr_none", **kw: Any) -> Any:
    from onecity.services.provident.schemas import WithdrawalIn

    return WithdrawalIn(reason=reason, amount_fen=amount_fen, face_grant=grant, **kw)  # type: ignore[arg-type]


def reviewer(session: Session, centre: Org) -> Principal:
    """A reviewer of the centre, as the applications console acts."""
    staff = make_staff(session, centre, roles=["reviewer"])
    return Principal(kind="staff", id=staff.public_id, org_id=centre.public_id, roles=frozenset({"reviewer"}))


def deliver_application_events(session: Session) -> None:
    """Hand the applications' outbox events written in this session to the provident subscriber, as
    the worker does after commit."""
    for e in session.scalars(select(OutboxEvent).where(OutboxEvent.topic == applications.TOPIC)
                             .order_by(OutboxEvent.id)):
        subscribers.release_when_refused(session, Event(event_id=e.event_id, topic=e.topic, payload=e.payload,
                                                        created_at=e.created_at))
