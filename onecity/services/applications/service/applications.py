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
  and a notice in the citizen's inbox; the changes a citizen must act on or wants to know (approved,
  rejected, more information needed, a fee due, overdue) also send an SMS through identity (after
  commit), unless the citizen made the change themselves.
- `release` (a staff action with `releases`) puts a claimed application back in the queue; the
  assignee may take it, and so may the roles the action names in `claim_override` (admin, owner).
- due_at: the end of the local day `time_limit_days` after submission (restarted by a resubmission);
  open past it = overdue; `mark_overdue` (periodic) notes each once and notifies the citizen.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.credentials import service as credentials
from onecity.crypto import fields
from onecity.errors import Forbidden
from onecity.identity import service as identity
from onecity.ids import new_id
from onecity.services import collection
from onecity.services.applications import effects as registry
from onecity.services.applications.errors import (
    ActionDataInvalid,
    ApplicationNotFound,
    EffectFailed,
    EffectUnknown,
    NotAssignee,
    ReasonRequired,
    ServiceNotOnline,
)
from onecity.services.applications.models import Application, ApplicationEvent, ReferenceCounter
from onecity.services.applications.schemas import (
    ActionOut,
    ApplicationFact,
    ApplicationOut,
    EventOut,
    PaymentOut,
)
from onecity.services.applications.service import forms
from onecity.services.applications.service.attachments import rows_for
from onecity.services.applications.service.notices import notify
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import I18n, ServiceItemOut
from onecity.services.workflow import definitions, engine
from onecity.services.workflow.model import ActorKind, Workflow

TOPIC = "services.application.changed"
FEE_CODE = "services.fee"
_FORM_PURPOSE = "services.application.form"
MAX_REASON = 1000


# --- reading --------------------------------------------------------------------------------------

def _form_purpose(public_id: str) -> str:
    return f"{_FORM_PURPOSE}:{public_id}"


def _row(session: Session, application_id: str, *, lock: bool = False) -> Application:
    q = select(Application).where(Application.public_id == application_id)
    row = session.scalars(q.with_for_update() if lock else q).one_or_none()
    if row is None:
        raise ApplicationNotFound()
    return row


def _item_of(session: Session, row: Application) -> ServiceItemOut:
    return catalogue.get_item(session, code=row.service_code, city_code=row.city_code, version=row.service_version)


def is_overdue(row: Application, now: datetime | None = None) -> bool:
    now = now or clock.now()
    return row.outcome is None and row.due_at is not None and clock.aware(row.due_at) < now


def _viewer(principal: Principal | None, row: Application) -> tuple[ActorKind, frozenset[str]] | None:
    if principal is None:
        return None
    if principal.kind == "citizen" and principal.id == row.citizen_id:
        return "applicant", frozenset()
    if principal.kind in ("staff", "org") and principal.org_id == row.agency_org_id:
        return "staff", principal.roles
    return None


def _out(session: Session, row: Application, *, viewer: Principal | None = None,
         with_events: bool = True) -> ApplicationOut:
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
        form=json.loads(fields.decrypt_str(row.form_enc, purpose=_form_purpose(row.public_id))),
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
    row = _row(session, application_id)
    if citizen_id is not None and row.citizen_id != citizen_id:
        raise ApplicationNotFound()
    if agency_org_id is not None and row.agency_org_id != agency_org_id:
        raise ApplicationNotFound()
    return _out(session, row, viewer=viewer)


def list_for_citizen(session: Session, *, citizen_id: str, limit: int = 50) -> list[ApplicationOut]:
    rows = session.scalars(select(Application).where(Application.citizen_id == citizen_id)
                           .order_by(Application.id.desc()).limit(max(1, min(limit, 200))))
    return [_out(session, r, with_events=False) for r in rows]


def queue(session: Session, *, agency_org_id: str, state: str | None = None, mine: str | None = None,
          open_only: bool = True, limit: int = 100) -> list[ApplicationOut]:
    """The agency's applications, overdue first, then by due date and submission."""
    q = select(Application).where(Application.agency_org_id == agency_org_id)
    if state is not None:
        q = q.where(Application.state == state)
    elif open_only:
        q = q.where(Application.outcome.is_(None))
    if mine is not None:
        q = q.where(Application.assignee == mine)
    rows = list(session.scalars(q.order_by(Application.id).limit(max(1, min(limit, 500)))))
    now = clock.now()
    far = datetime.max.replace(tzinfo=now.tzinfo)
    rows.sort(key=lambda r: (not is_overdue(r, now), clock.aware(r.due_at) if r.due_at else far, r.id))
    return [_out(session, r, with_events=False) for r in rows]


def measure_facts(session: Session, *, city_code: str, agency_org_id: str | None = None) -> list[ApplicationFact]:
    q = select(Application).where(Application.city_code == city_code)
    if agency_org_id is not None:
        q = q.where(Application.agency_org_id == agency_org_id)
    return [ApplicationFact(application_id=r.public_id, service_code=r.service_code, agency_org_id=r.agency_org_id,
                            state=r.state, outcome=r.outcome, trips_needed=r.trips_needed,  # type: ignore[arg-type]
                            visits=r.visits, submitted_at=clock.aware(r.submitted_at),
                            completed_at=clock.aware(r.completed_at) if r.completed_at else None,
                            due_at=clock.aware(r.due_at) if r.due_at else None)
            for r in session.scalars(q.order_by(Application.id))]


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


def _changed(session: Session, row: Application, item: ServiceItemOut, *, action: str, actor: Principal | str,
             reason: str | None, from_state: str | None) -> None:
    """The outbox event, the citizen's notice and the audit entry of one change (audit last: it
    holds the chain's lock until commit)."""
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
    audit.record(session, actor=actor, action=f"services.application.{action}", subject_citizen_id=row.citizen_id,
                 resource=f"services/applications/{row.public_id}",
                 reason=(reason or f"办件 {row.reference} {action} → {row.state}")[:500])


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


def _reference(session: Session, city_code: str) -> str:
    """city-YYYYMMDD-NNNNNN, numbered per city and local day under a row lock."""
    day = clock.today_local().strftime("%Y%m%d")
    q = select(ReferenceCounter).where(ReferenceCounter.city_code == city_code, ReferenceCounter.day == day)
    counter = session.scalars(q.with_for_update()).one_or_none()
    if counter is None:
        try:
            with session.begin_nested():
                session.add(ReferenceCounter(city_code=city_code, day=day, last=0))
        except IntegrityError:
            pass  # another request opened the day first
        counter = session.scalars(q.with_for_update()).one()
    counter.last += 1
    return f"{city_code}-{day}-{counter.last:06d}"


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
        earlier = _row(session, resubmits)
        if earlier.citizen_id != citizen_id:
            raise ApplicationNotFound()
    now = clock.now()
    public_id = new_id("app")
    row = Application(
        public_id=public_id, reference=_reference(session, item.city_code), service_code=item.code,
        service_version=item.version, city_code=item.city_code, agency_org_id=item.agency_org_id, workflow=wf.id,
        citizen_id=citizen_id, submitted_by=(on_behalf_of or _actor_id(actor))[:100], state=wf.initial,
        outcome=None, form_enc=fields.encrypt(json.dumps(clean, ensure_ascii=False), purpose=_form_purpose(public_id)),
        attachments={}, trips_needed=item.trips, visits=0, fee_fen=item.fee_fen, currency=item.currency,
        resubmits=resubmits, submitted_at=now, due_at=forms.due_at(now, item.time_limit_days), updated_at=now)
    session.add(row)
    session.flush()
    _bind(row, attached)
    _event(session, row, action="submit", from_state=None, to_state=row.state, actor_kind="applicant", actor=actor,
           reason=None)
    catalogue.count_use(session, code=item.code, city_code=item.city_code)
    _changed(session, row, item, action="submit", actor=actor, reason=None, from_state=None)
    _advance_system(session, row, item, wf)
    session.flush()
    return _out(session, row, viewer=actor if isinstance(actor, Principal) else None)


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
    row = _row(session, application_id, lock=True)
    kind, roles, actor_id = _who(principal, row)
    wf = definitions.get(row.workflow)
    t = engine.transition(wf, row.state, action, actor_kind=kind, roles=roles)
    reason = _clean_reason(reason)
    if t.action.reason == "required" and reason is None:
        raise ReasonRequired(detail=action)
    if t.action.needs_claim and row.assignee != actor_id and not (roles & set(t.action.claim_override)):
        raise NotAssignee()
    item = _item_of(session, row)
    if action == "resubmit":
        _resubmit(session, row, item, data or {})
    elif data:
        raise ActionDataInvalid(detail=action)
    if t.action.claims:
        row.assignee = actor_id
    elif t.action.releases:
        row.assignee = None
    _apply(session, row, item, wf, t, actor=principal, actor_kind=kind, reason=reason)
    if action == "resubmit":
        _advance_system(session, row, item, wf)
    session.flush()
    return _out(session, row, viewer=principal)


def _resubmit(session: Session, row: Application, item: ServiceItemOut, data: dict[str, Any]) -> None:
    form = data.get("form")
    if form is None:
        form = json.loads(fields.decrypt_str(row.form_enc, purpose=_form_purpose(row.public_id)))
    clean = forms.validate_form(item.form_schema, form)
    forms.check_eligibility(session, item, row.citizen_id)
    wanted = data.get("attachments")
    attached = forms.check_materials(session, item, row.citizen_id,
                                     dict(row.attachments) if wanted is None else wanted, row.public_id)
    for old in rows_for(session, list(row.attachments.values())).values():
        if old.public_id not in {a.public_id for a in attached.values()}:
            old.application_id, old.slot = None, None
    _bind(row, attached)
    row.form_enc = fields.encrypt(json.dumps(clean, ensure_ascii=False), purpose=_form_purpose(row.public_id))
    now = clock.now()
    row.assignee = None
    row.due_at = forms.due_at(now, item.time_limit_days)
    row.overdue_notified_at = None


def run_system(session: Session, *, application_id: str, action: str, reason: str | None = None) -> ApplicationOut:
    """Take a `system` action (IllegalTransition / ActionNotAllowed as for anyone)."""
    row = _row(session, application_id, lock=True)
    wf = definitions.get(row.workflow)
    t = engine.transition(wf, row.state, action, actor_kind="system")
    reason = _clean_reason(reason)
    if t.action.reason == "required" and reason is None:
        raise ReasonRequired(detail=action)
    item = _item_of(session, row)
    _apply(session, row, item, wf, t, actor="system", actor_kind="system", reason=reason)
    session.flush()
    return _out(session, row)


def _advance_system(session: Session, row: Application, item: ServiceItemOut, wf: Workflow) -> None:
    """Take the step the system owns from the current state, if there is one: approve at once, or
    run the item's check and approve or refer."""
    offered = {a.name: a for a in engine.actions_available(wf, row.state, "system")}
    if not offered:
        return
    if "auto_approve" in offered or "refer" in offered:
        passed, why = _run_checks(session, row, item)
        name = "auto_approve" if passed and "auto_approve" in offered else "refer"
        if name not in offered:
            return
        t = engine.transition(wf, row.state, name, actor_kind="system")
        _apply(session, row, item, wf, t, actor="system", actor_kind="system", reason=_clean_reason(why))
        return
    if "approve" in offered:
        t = engine.transition(wf, row.state, "approve", actor_kind="system")
        _apply(session, row, item, wf, t, actor="system", actor_kind="system", reason=None)


def check_names(item: ServiceItemOut) -> list[str]:
    names = []
    for e in item.on_approve:
        name = e.get("check") or e.get("effect")
        if isinstance(name, str) and registry.check(name) is not None:
            names.append(name)
    return names


def _run_checks(session: Session, row: Application, item: ServiceItemOut) -> tuple[bool, str]:
    names = check_names(item)
    if not names:
        return False, "没有自动校验规则，转人工审核 no automatic check; referred to staff"
    snapshot = _out(session, row, with_events=False)
    for name in names:
        fn = registry.check(name)
        assert fn is not None
        passed, why = fn(session, snapshot)
        if not passed:
            return False, why
    return True, "自动校验通过 automatic check passed"


def _apply(session: Session, row: Application, item: ServiceItemOut, wf: Workflow, t: engine.Transition, *,
           actor: Principal | str, actor_kind: str, reason: str | None) -> None:
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
        _run_effects(session, row, item, actor)
    _changed(session, row, item, action=t.name, actor=actor, reason=reason, from_state=from_state)


# --- effects of approval --------------------------------------------------------------------------

_REF = re.compile(r"^\$(form|profile)\.([A-Za-z0-9_]+)$")


def _profile_value(session: Session, citizen_id: str, name: str) -> Any:
    if name == "name":
        return identity.real_name(session, citizen_id)
    if name == "id_number":
        c = identity.get_citizen(session, citizen_id)
        return fields.decrypt_str(c.id_number_enc, purpose=identity.ENC_CITIZEN_ID_NUMBER) if c.id_number_enc else None
    if name == "phone":
        return identity.citizen_mobile(session, citizen_id)
    if name == "birth_date":
        b = identity.citizen_summary(session, citizen_id).birth_date
        return b.isoformat() if b else None
    if name == "sex":
        return identity.citizen_summary(session, citizen_id).sex
    return None


def resolve(session: Session, value: Any, *, form: dict[str, Any], citizen_id: str, reference: str = "") -> Any:
    """A claim's value from the effect's config: `$form.<field>`, `$profile.<name|id_number|phone|
    birth_date|sex>`, `$today` (local date), `$reference` (the application's case number), or a literal."""
    if value == "$today":
        return clock.today_local().date().isoformat()
    if value == "$reference":
        return reference
    if isinstance(value, str) and (m := _REF.match(value)):
        source, name = m.groups()
        return form.get(name) if source == "form" else _profile_value(session, citizen_id, name)
    return value


def _run_effects(session: Session, row: Application, item: ServiceItemOut, actor: Principal | str) -> None:
    form = json.loads(fields.decrypt_str(row.form_enc, purpose=_form_purpose(row.public_id)))
    for config in item.on_approve:
        name = config.get("effect")
        if not isinstance(name, str):
            if "check" in config:
                continue  # a check only
            raise EffectUnknown(detail=str(config)[:200])
        if name == "issue_credential":
            issuer = credentials.issuer_of_org(session, row.agency_org_id)
            if issuer is None:
                raise EffectFailed(detail="the agency is not a certificate issuer")
            claims = {k: resolve(session, v, form=form, citizen_id=row.citizen_id, reference=row.reference)
                      for k, v in dict(config.get("claims") or {}).items()}
            cred = credentials.issue_credential(session, issuer_id=issuer.issuer_id, type_id=str(config["type_id"]),
                                                claims=claims, citizen_id=row.citizen_id, actor=actor)
            row.credential_id = cred.credential_id
        elif name == "request_payment":
            if row.payment_state is None and row.fee_fen > 0:
                raise EffectFailed(detail="a fee is paid through the review_then_pay workflow")
        else:
            fn = registry.effect(name)
            if fn is None:
                raise EffectUnknown(detail=name[:80])
            fn(session, _out(session, row, with_events=False), dict(config))
    session.flush()


# --- staff: visits; the time limit ----------------------------------------------------------------

def record_visit(session: Session, *, application_id: str, principal: Principal, note: str | None = None) -> ApplicationOut:
    """An in-person visit (到现场) by the applicant, recorded by the agency's staff (for the measures)."""
    row = _row(session, application_id, lock=True)
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
    return _out(session, row, viewer=principal)


def mark_overdue(session: Session, *, limit: int = 500) -> int:
    """Note each open application past its time limit once (event, outbox, notice); returns how many."""
    now = clock.now()
    q = (select(Application).where(Application.outcome.is_(None), Application.due_at.is_not(None),
                                   Application.due_at < now, Application.overdue_notified_at.is_(None))
         .order_by(Application.id).limit(limit))
    rows = list(session.scalars(q.with_for_update(skip_locked=True)))
    for row in rows:
        row.overdue_notified_at = now
        item = _item_of(session, row)
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

