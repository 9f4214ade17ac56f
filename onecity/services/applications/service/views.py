"""Reading applications: one as its applicant or the agency's staff sees it (with the actions they
may take now), the citizen's list, the agency's queue (overdue first), and the facts the measures
count. The form is decrypted here (purpose `services.application.form:<app id>`)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, not_, or_, select, true
from sqlalchemy.orm import Session

from onecity import clock
from onecity.authz import Principal
from onecity.crypto import fields
from onecity.services.applications.errors import ApplicationNotFound
from onecity.services.applications.models import Application, ApplicationEvent
from onecity.services.applications.schemas import (
    ActionOut,
    ApplicationFact,
    ApplicationOut,
    EventOut,
    PaymentOut,
)
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import I18n, ServiceItemOut
from onecity.services.workflow import definitions, engine
from onecity.services.workflow.model import ActorKind

_FORM_PURPOSE = "services.application.form"

def form_purpose(public_id: str) -> str:
    return f"{_FORM_PURPOSE}:{public_id}"


def form_of(row: Application) -> dict[str, Any]:
    """The application's form, decrypted."""
    return dict(json.loads(fields.decrypt_str(row.form_enc, purpose=form_purpose(row.public_id))))


def row_of(session: Session, application_id: str, *, lock: bool = False) -> Application:
    q = select(Application).where(Application.public_id == application_id)
    row = session.scalars(q.with_for_update() if lock else q).one_or_none()
    if row is None:
        raise ApplicationNotFound()
    return row


def item_of(session: Session, row: Application) -> ServiceItemOut:
    return catalogue.get_item(session, code=row.service_code, city_code=row.city_code, version=row.service_version)


def is_overdue(row: Application, now: datetime | None = None) -> bool:
    """Open, past its time limit, and the agency's to move (not waiting on the applicant)."""
    now = now or clock.now()
    return (row.outcome is None and row.due_at is not None and clock.aware(row.due_at) < now
            and not definitions.get(row.workflow).applicants_turn(row.state))


def agencys_turn() -> ColumnElement[bool]:
    """SQL: the application is not in a state where only the applicant can act (see is_overdue)."""
    waiting = [and_(Application.workflow == wf_id, Application.state.in_(states))
               for wf_id in definitions.all_ids()
               if (states := [s for s in definitions.get(wf_id).states if definitions.get(wf_id).applicants_turn(s)])]
    return not_(or_(*waiting)) if waiting else true()


def _viewer(principal: Principal | None, row: Application) -> tuple[ActorKind, frozenset[str]] | None:
    if principal is None:
        return None
    if principal.kind == "citizen" and principal.id == row.citizen_id:
        return "applicant", frozenset()
    if principal.kind in ("staff", "org") and principal.org_id == row.agency_org_id:
        return "staff", principal.roles
    return None


def to_out(session: Session, row: Application, *, viewer: Principal | None = None,
         with_events: bool = True, with_form: bool = True) -> ApplicationOut:
    """The application as `viewer` sees it. Lists pass with_form=False: the form (personal data) is
    decrypted and sent only when one application is opened."""
    wf = definitions.get(row.workflow)
    events = []
    if with_events:
        events = [EventOut(action=e.action, from_state=e.from_state, to_state=e.to_state, actor_kind=e.actor_kind,
                           actor=e.actor, reason=e.reason, at=clock.aware(e.at))
                  for e in session.scalars(select(ApplicationEvent)
                                           .where(ApplicationEvent.application_row_id == row.id)
                                           .order_by(ApplicationEvent.id))]
    actions: list[ActionOut] = []
    who = _viewer(viewer, row)
    if who is not None:
        kind, roles = who
        me = (viewer.id or viewer.org_id) if viewer is not None else None
        actions = [ActionOut(name=a.name, label=I18n(zh=a.label.get("zh", a.name), en=a.label.get("en", a.name)),
                             reason=a.reason, needs_claim=a.needs_claim)
                   for a in engine.actions_available(wf, row.state, kind, roles)
                   if not (a.needs_claim and row.assignee != me and not (roles & set(a.claim_override)))]
    label = wf.states[row.state].label
    return ApplicationOut(
        id=row.public_id, reference=row.reference, service_code=row.service_code,
        service_version=row.service_version, city_code=row.city_code, agency_org_id=row.agency_org_id,
        workflow=row.workflow, citizen_id=row.citizen_id, state=row.state,
        state_label=I18n(zh=label.get("zh", row.state), en=label.get("en", row.state)),
        outcome=row.outcome,  # type: ignore[arg-type]
        form=form_of(row) if with_form else {},
        attachments=dict(row.attachments or {}), submitted_at=clock.aware(row.submitted_at),
        due_at=clock.aware(row.due_at) if row.due_at else None,
        completed_at=clock.aware(row.completed_at) if row.completed_at else None,
        overdue=is_overdue(row), assignee=row.assignee, trips_needed=row.trips_needed, visits=row.visits,
        credential_id=row.credential_id,
        payment=PaymentOut(fee_fen=row.fee_fen, currency=row.currency, state=row.payment_state,  # type: ignore[arg-type]
                           transfer_id=row.payment_transfer_id),
        events=events, available_actions=actions,
        last_reason=next((e.reason for e in reversed(events) if e.reason), None),
    )


def get_application(session: Session, *, application_id: str, citizen_id: str | None = None,
                    agency_org_id: str | None = None, viewer: Principal | None = None) -> ApplicationOut:
    """The application, if it is the citizen's / the agency's (ApplicationNotFound otherwise)."""
    row = row_of(session, application_id)
    if citizen_id is not None and row.citizen_id != citizen_id:
        raise ApplicationNotFound()
    if agency_org_id is not None and row.agency_org_id != agency_org_id:
        raise ApplicationNotFound()
    return to_out(session, row, viewer=viewer)


def list_for_citizen(session: Session, *, citizen_id: str, limit: int = 50) -> list[ApplicationOut]:
    rows = session.scalars(select(Application).where(Application.citizen_id == citizen_id)
                           .order_by(Application.id.desc()).limit(max(1, min(limit, 200))))
    return [to_out(session, r, with_events=False, with_form=False) for r in rows]


def queue(session: Session, *, agency_org_id: str, state: str | None = None, mine: str | None = None,
          open_only: bool = True, limit: int = 100) -> list[ApplicationOut]:
    """The agency's applications (without their forms), overdue first, then by due date and submission."""
    q = select(Application).where(Application.agency_org_id == agency_org_id)
    if state is not None:
        q = q.where(Application.state == state)
    elif open_only:
        q = q.where(Application.outcome.is_(None))
    if mine is not None:
        q = q.where(Application.assignee == mine)
    rows = list(session.scalars(q.order_by(Application.due_at.is_(None), Application.due_at, Application.id)
                                .limit(max(1, min(limit, 500)))))
    now = clock.now()
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda r: (not is_overdue(r, now), clock.aware(r.due_at) if r.due_at else far, r.id))
    return [to_out(session, r, with_events=False, with_form=False) for r in rows]


def state_counts(session: Session, *, agency_org_id: str) -> dict[str, tuple[I18n, int]]:
    """How many of the agency's applications are in each state (for the console's tabs), with the
    state's label."""
    rows = session.execute(select(Application.state, Application.workflow, func.count())
                           .where(Application.agency_org_id == agency_org_id)
                           .group_by(Application.state, Application.workflow).order_by(Application.state))
    out: dict[str, tuple[I18n, int]] = {}
    for state, workflow, n in rows:
        label = definitions.get(workflow).states[state].label
        seen = out.get(state)
        out[state] = (seen[0] if seen else I18n(zh=label.get("zh", state), en=label.get("en", state)),
                      (seen[1] if seen else 0) + int(n))
    return out


def measure_facts(session: Session, *, city_code: str, agency_org_id: str | None = None) -> list[ApplicationFact]:
    now = clock.now()
    q = select(Application).where(Application.city_code == city_code)
    if agency_org_id is not None:
        q = q.where(Application.agency_org_id == agency_org_id)
    return [ApplicationFact(application_id=r.public_id, service_code=r.service_code, agency_org_id=r.agency_org_id,
                            state=r.state, outcome=r.outcome, trips_needed=r.trips_needed,  # type: ignore[arg-type]
                            visits=r.visits, submitted_at=clock.aware(r.submitted_at),
                            completed_at=clock.aware(r.completed_at) if r.completed_at else None,
                            due_at=clock.aware(r.due_at) if r.due_at else None, overdue=is_overdue(r, now))
            for r in session.scalars(q.order_by(Application.id))]
