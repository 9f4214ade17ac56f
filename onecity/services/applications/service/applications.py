"""Applications (办件): submit, act through the workflow, the system's steps, effects of approval,
recorded visits, time limits, and what the citizen, the agency and the measures see.

Rules kept here:
- An application is for one published version of a service item; the form is validated against
  its JSON Schema, the applicant against its conditions, the materials against its list (every
  problem listed, nothing stored on a refusal). The form is encrypted at rest.
- Every move goes through the workflow engine: the citizen acts as `applicant` on their own
  application, the agency's staff as `staff` with their roles, the platform as `system`. An action
  that needs a claim may be taken only by the assignee; a declared reason is required.
- The row is locked (SELECT … FOR UPDATE) before it is read for an action, so two staff acting at
  once are serialized: the second sees the new state and is refused.
- Reaching a state whose action has `effects` runs the item's `on_approve` effects in the same
  transaction; any DomainError fails the whole action. `payment: request` makes the fee due,
  `payment: collect` takes it from the wallet (collection, code `services.fee`).
- After submit and resubmit, a state the system acts on is advanced at once: `instant` approves,
  `auto_check` runs the item's registered check and approves or refers to staff.
- Every change writes an event row, an audit entry, the outbox event `services.application.changed`
  and a notice in the citizen's inbox; the audit entries of one call are recorded at its very end
  (the chain's lock is then held only from there to commit, not through effects); the changes a citizen must act on or wants to know (approved,
  rejected, more information needed, a fee due, overdue) also send an SMS through identity (after
  commit), unless the citizen made the change themselves.
- `release` (a staff action with `releases`) puts a claimed application back in the queue; the
  assignee may take it, and so may the roles the action names in `claim_override` (admin, owner).
- Taking a reference number holds no lock (see `references`), so submits in one city do not wait
  for each other; the item's use count (a row per item, locked by its upsert) is bumped last.
- due_at: the end of the local day `time_limit_days` after submission (restarted by a resubmission);
  open past it = overdue, unless it waits on the applicant (补正 / 待缴费: only they can act there);
  `mark_overdue` (periodic) notes each once and notifies the citizen.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.crypto import fields
from onecity.errors import Forbidden
from onecity.identity import service as identity
from onecity.ids import new_id
from onecity.services import collection
from onecity.services.applications.errors import (
    ActionDataInvalid,
    ApplicationNotFound,
    NotAssignee,
    ReasonRequired,
    ServiceNotOnline,
)
from onecity.services.applications.models import Application, ApplicationEvent
from onecity.services.applications.schemas import ApplicationOut
from onecity.services.applications.service import forms
from onecity.services.applications.service.approval import run_checks, run_effects
from onecity.services.applications.service.attachments import rows_for
from onecity.services.applications.service.notices import notify
from onecity.services.applications.service.references import next_reference
from onecity.services.applications.service.views import (
    agencys_turn,
    form_of,
    form_purpose,
    item_of,
    row_of,
    to_out,
)
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import I18n, ServiceItemOut
from onecity.services.workflow import definitions, engine
from onecity.services.workflow.model import ActorKind, Workflow

TOPIC = "services.application.changed"
FEE_CODE = "services.fee"
MAX_REASON = 1000


# --- changes --------------------------------------------------------------------------------------

def _actor_id(actor: Principal | str) -> str:
    if isinstance(actor, str):
        return actor
    return actor.id or actor.org_id or actor.kind


def _event(session: Session, row: Application, *, action: str, from_state: str | None, to_state: str,
           actor_kind: str, actor: Principal | str, reason: str | None) -> None:
    session.add(ApplicationEvent(application_row_id=row.id, action=action, from_state=from_state, to_state=to_state,
                                 actor_kind=actor_kind, actor=_actor_id(actor)[:100], reason=reason,
                                 at=clock.now()))


@dataclass
class _Audits:
    """The audit entries of one call, recorded by `record` at its end: `audit.record` locks the
    chain's head until commit, so it comes after effects, notices and outbox rows."""

    entries: list[dict[str, Any]] = field(default_factory=list)

    def add(self, *, actor: Principal | str, action: str, row: Application, reason: str) -> None:
        self.entries.append({"actor": actor, "action": f"services.application.{action}",
                             "subject_citizen_id": row.citizen_id,
                             "resource": f"services/applications/{row.public_id}", "reason": reason[:500]})

    def record(self, session: Session) -> None:
        for entry in self.entries:
            audit.record(session, **entry)
        self.entries.clear()


def _changed(session: Session, row: Application, item: ServiceItemOut, *, action: str, actor: Principal | str,
             reason: str | None, from_state: str | None, audits: _Audits) -> None:
    """The outbox event, the citizen's notice (and SMS) of one change; its audit entry is queued."""
    wf = definitions.get(row.workflow)
    label = wf.states[row.state].label
    outbox.emit(session, TOPIC, {"application_id": row.public_id, "reference": row.reference,
                                 "service_code": row.service_code, "agency_org_id": row.agency_org_id,
                                 "citizen_id": row.citizen_id, "action": action, "from": from_state,
                                 "to": row.state, "outcome": row.outcome})
    why_zh = f" 理由：{reason}" if reason else ""
    why_en = f" Reason: {reason}" if reason else ""
    notify(session, citizen_id=row.citizen_id,
           title=I18n(zh=f"{item.name.zh}：{label.get('zh', row.state)}",
                      en=f"{item.name.en}: {label.get('en', row.state)}"),
           body=I18n(zh=f"您的办件 {row.reference} 当前状态：{label.get('zh', row.state)}。{why_zh}".strip(),
                     en=f"Your application {row.reference} is now: {label.get('en', row.state)}.{why_en}"),
           link=f"/app/services/applications/{row.public_id}")
    if not (isinstance(actor, Principal) and actor.kind == "citizen"):
        text = sms_text(row, item, reason=reason)
        if text is not None:
            identity.send_notice_sms(session, citizen_id=row.citizen_id, text=text)
    audits.add(actor=actor, action=action, row=row, reason=reason or f"办件 {row.reference} {action} → {row.state}")


SMS_REASON_CHARS = 60


def sms_text(row: Application, item: ServiceItemOut, *, reason: str | None, overdue: bool = False) -> str | None:
    """The text message (短信) for a change the citizen must act on or wants to know — approved,
    rejected (with the reason), more information needed, a fee to pay, past the time limit — or
    None for the others (submitted, claimed, referred…: the inbox notice is enough). Changes the
    citizen made themselves get no SMS (the caller checks)."""
    head = f"您的办件{row.reference}（{item.name.zh}）"
    why = (reason or "")[:SMS_REASON_CHARS]
    if overdue:
        return f"{head}已超过承诺办结时限，我们已提醒承办部门尽快办理。"
    if row.state == "awaiting_payment" and row.payment_state == "due":
        return (f"{head}已审核通过，请在一网通城缴纳费用{row.fee_fen // 100}.{row.fee_fen % 100:02d}元"
                "后办结。")
    if row.outcome == "approved":
        return f"{head}已办结（审核通过），详情请在一网通城“我的办件”查看。"
    if row.outcome == "rejected":
        return f"{head}未通过审核" + (f"，理由：{why}" if why else "") + "。详情请在一网通城“我的办件”查看。"
    if row.state == "needs_info":
        return f"{head}需要补正" + (f"：{why}" if why else "") + "。请在一网通城补正后重新提交。"
    return None


def _clean_reason(reason: str | None) -> str | None:
    text = " ".join((reason or "").split())[:MAX_REASON]
    return text or None


def _bind(row: Application, attached: dict[str, Any]) -> None:
    for slot, a in attached.items():
        a.application_id, a.slot = row.public_id, slot
    row.attachments = {slot: a.public_id for slot, a in attached.items()}


def submit(session: Session, *, citizen_id: str, service_code: str, form: dict[str, Any],
           attachments: dict[str, str] | None = None, city_code: str | None = None, on_behalf_of: str | None = None,
           resubmits: str | None = None, actor: Principal | str) -> ApplicationOut:
    """File an application for the published item (see the module's rules); returns it as the
    applicant sees it, after any system step the workflow takes at once."""
    item = catalogue.get_item(session, code=service_code, city_code=city_code)
    if item.status != "published" or not item.online:
        raise ServiceNotOnline(detail=service_code[:80])
    wf = definitions.get(item.workflow)
    clean = forms.validate_form(item.form_schema, form)
    forms.check_eligibility(session, item, citizen_id)
    attached = forms.check_materials(session, item, citizen_id, attachments or {}, None)
    if resubmits is not None:
        earlier = row_of(session, resubmits)
        if earlier.citizen_id != citizen_id:
            raise ApplicationNotFound()
    now = clock.now()
    public_id = new_id("app")
    row = Application(
        public_id=public_id, reference=next_reference(session, item.city_code), service_code=item.code,
        service_version=item.version, city_code=item.city_code, agency_org_id=item.agency_org_id, workflow=wf.id,
        citizen_id=citizen_id, submitted_by=(on_behalf_of or _actor_id(actor))[:100], state=wf.initial,
        outcome=None, form_enc=fields.encrypt(json.dumps(clean, ensure_ascii=False), purpose=form_purpose(public_id)),
        attachments={}, trips_needed=item.trips, visits=0, fee_fen=item.fee_fen, currency=item.currency,
        resubmits=resubmits, submitted_at=now, due_at=forms.due_at(now, item.time_limit_days), updated_at=now)
    session.add(row)
    session.flush()
    _bind(row, attached)
    _event(session, row, action="submit", from_state=None, to_state=row.state, actor_kind="applicant", actor=actor,
           reason=None)
    audits = _Audits()
    _changed(session, row, item, action="submit", actor=actor, reason=None, from_state=None, audits=audits)
    _advance_system(session, row, item, wf, audits)
    audits.record(session)
    catalogue.count_use(session, code=item.code, city_code=item.city_code)
    session.flush()
    return to_out(session, row, viewer=actor if isinstance(actor, Principal) else None)


def _who(principal: Principal, row: Application) -> tuple[ActorKind, frozenset[str], str]:
    if principal.kind == "citizen":
        if principal.id != row.citizen_id:
            raise ApplicationNotFound()
        return "applicant", frozenset(), principal.id
    if principal.kind in ("staff", "org"):
        if principal.org_id is None or principal.org_id != row.agency_org_id:
            raise ApplicationNotFound()
        return "staff", principal.roles, principal.id or principal.org_id
    raise Forbidden(detail=f"{principal.kind} may not act on applications")


def act(session: Session, *, application_id: str, action: str, principal: Principal, reason: str | None = None,
        data: dict[str, Any] | None = None) -> ApplicationOut:
    """Take a workflow action as the applicant or the agency's staff. `data` (resubmit only):
    {"form": {...}, "attachments": {slot: att_id}} — the corrected form replaces the old one."""
    row = row_of(session, application_id, lock=True)
    kind, roles, actor_id = _who(principal, row)
    wf = definitions.get(row.workflow)
    t = engine.transition(wf, row.state, action, actor_kind=kind, roles=roles)
    reason = _clean_reason(reason)
    if t.action.reason == "required" and reason is None:
        raise ReasonRequired(detail=action)
    if t.action.needs_claim and row.assignee != actor_id and not (roles & set(t.action.claim_override)):
        raise NotAssignee()
    item = item_of(session, row)
    if action == "resubmit":
        _resubmit(session, row, item, data or {})
    elif data:
        raise ActionDataInvalid(detail=action)
    if t.action.claims:
        row.assignee = actor_id
    elif t.action.releases:
        row.assignee = None
    audits = _Audits()
    _apply(session, row, item, wf, t, actor=principal, actor_kind=kind, reason=reason, audits=audits)
    if action == "resubmit":
        _advance_system(session, row, item, wf, audits)
    audits.record(session)
    session.flush()
    return to_out(session, row, viewer=principal)


def _resubmit(session: Session, row: Application, item: ServiceItemOut, data: dict[str, Any]) -> None:
    form = data.get("form")
    if form is None:
        form = form_of(row)
    clean = forms.validate_form(item.form_schema, form)
    forms.check_eligibility(session, item, row.citizen_id)
    wanted = data.get("attachments")
    attached = forms.check_materials(session, item, row.citizen_id,
                                     dict(row.attachments) if wanted is None else wanted, row.public_id)
    for old in rows_for(session, list(row.attachments.values())).values():
        if old.public_id not in {a.public_id for a in attached.values()}:
            old.application_id, old.slot = None, None
    _bind(row, attached)
    row.form_enc = fields.encrypt(json.dumps(clean, ensure_ascii=False), purpose=form_purpose(row.public_id))
    now = clock.now()
    row.assignee = None
    row.due_at = forms.due_at(now, item.time_limit_days)
    row.overdue_notified_at = None


def run_system(session: Session, *, application_id: str, action: str, reason: str | None = None) -> ApplicationOut:
    """Take a `system` action (IllegalTransition / ActionNotAllowed as for anyone)."""
    row = row_of(session, application_id, lock=True)
    wf = definitions.get(row.workflow)
    t = engine.transition(wf, row.state, action, actor_kind="system")
    reason = _clean_reason(reason)
    if t.action.reason == "required" and reason is None:
        raise ReasonRequired(detail=action)
    item = item_of(session, row)
    audits = _Audits()
    _apply(session, row, item, wf, t, actor="system", actor_kind="system", reason=reason, audits=audits)
    audits.record(session)
    session.flush()
    return to_out(session, row)


def _advance_system(session: Session, row: Application, item: ServiceItemOut, wf: Workflow, audits: _Audits) -> None:
    """Take the step the system owns from the current state, if there is one: approve at once, or
    run the item's check and approve or refer."""
    offered = {a.name: a for a in engine.actions_available(wf, row.state, "system")}
    if not offered:
        return
    if "auto_approve" in offered or "refer" in offered:
        passed, why = run_checks(session, row, item)
        name = "auto_approve" if passed and "auto_approve" in offered else "refer"
        if name not in offered:
            return
        t = engine.transition(wf, row.state, name, actor_kind="system")
        _apply(session, row, item, wf, t, actor="system", actor_kind="system", reason=_clean_reason(why),
               audits=audits)
        return
    if "approve" in offered:
        t = engine.transition(wf, row.state, "approve", actor_kind="system")
        _apply(session, row, item, wf, t, actor="system", actor_kind="system", reason=None, audits=audits)


def _apply(session: Session, row: Application, item: ServiceItemOut, wf: Workflow, t: engine.Transition, *,
           actor: Principal | str, actor_kind: str, reason: str | None, audits: _Audits) -> None:
    from_state = row.state
    now = clock.now()
    if t.action.payment == "request":
        row.payment_state = "due" if row.fee_fen > 0 else "paid"
    elif t.action.payment == "collect" and row.payment_state == "due":
        transfer = collection.collect(session, citizen_id=row.citizen_id, payee_org_id=row.agency_org_id,
                                      amount=row.fee_fen, code=FEE_CODE, ref=row.reference,
                                      transfer_id=f"svc-fee-{row.public_id}", currency=row.currency)
        row.payment_state, row.payment_transfer_id = "paid", transfer.transfer_id
    row.state = t.to_state
    row.outcome = t.outcome
    row.completed_at = now if t.outcome is not None else None
    row.updated_at = now
    _event(session, row, action=t.name, from_state=from_state, to_state=row.state, actor_kind=actor_kind,
           actor=actor, reason=reason)
    session.flush()
    if t.action.effects:
        run_effects(session, row, item, actor)
    _changed(session, row, item, action=t.name, actor=actor, reason=reason, from_state=from_state, audits=audits)



# --- staff: visits; the time limit ----------------------------------------------------------------

def record_visit(session: Session, *, application_id: str, principal: Principal, note: str | None = None) -> ApplicationOut:
    """An in-person visit (到现场) by the applicant, recorded by the agency's staff (for the measures)."""
    row = row_of(session, application_id, lock=True)
    kind, _roles, _actor = _who(principal, row)
    if kind != "staff":
        raise Forbidden(detail="only the agency's staff record visits")
    row.visits += 1
    row.updated_at = clock.now()
    note = _clean_reason(note)
    _event(session, row, action="record_visit", from_state=row.state, to_state=row.state, actor_kind="staff",
           actor=principal, reason=note)
    session.flush()
    audit.record(session, actor=principal, action="services.application.record_visit",
                 subject_citizen_id=row.citizen_id, resource=f"services/applications/{row.public_id}",
                 reason=note or f"现场办理 in-person visit ({row.reference})")
    return to_out(session, row, viewer=principal)


def mark_overdue(session: Session, *, limit: int = 500) -> int:
    """Note each open application past its time limit once (event, outbox, notice); returns how many."""
    now = clock.now()
    q = (select(Application).where(Application.outcome.is_(None), Application.due_at.is_not(None),
                                   Application.due_at < now, Application.overdue_notified_at.is_(None),
                                   agencys_turn())
         .order_by(Application.id).limit(limit))
    rows = list(session.scalars(q.with_for_update(skip_locked=True)))
    for row in rows:
        row.overdue_notified_at = now
        item = item_of(session, row)
        _event(session, row, action="overdue", from_state=row.state, to_state=row.state, actor_kind="system",
               actor="system", reason=None)
        outbox.emit(session, TOPIC, {"application_id": row.public_id, "reference": row.reference,
                                     "service_code": row.service_code, "agency_org_id": row.agency_org_id,
                                     "citizen_id": row.citizen_id, "action": "overdue", "from": row.state,
                                     "to": row.state, "outcome": None})
        notify(session, citizen_id=row.citizen_id,
               title=I18n(zh=f"{item.name.zh}：已超过承诺时限", en=f"{item.name.en}: past its time limit"),
               body=I18n(zh=f"您的办件 {row.reference} 已超过承诺办结时限，我们已提醒承办部门尽快办理。",
                         en=f"Your application {row.reference} is past its time limit; the agency has been reminded."),
               link=f"/app/services/applications/{row.public_id}")
        identity.send_notice_sms(session, citizen_id=row.citizen_id,
                                 text=sms_text(row, item, reason=None, overdue=True) or "")
    session.flush()
    return len(rows)

