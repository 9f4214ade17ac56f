"""Applications through the service: the whole life of an application, and every refusal leaving
nothing behind."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit.models import AuditEntry
from onecity.credentials import service as credentials
from onecity.errors import DomainError
from onecity.outbox import OutboxEvent
from onecity.services.applications import effects as registry
from onecity.services.applications import service as apps
from onecity.services.applications.errors import (
    ApplicationNotFound,
    AttachmentInvalid,
    EffectFailed,
    FormInvalid,
    MaterialsMissing,
    NotAssignee,
    NotEligible,
    ReasonRequired,
)
from onecity.services.applications.models import Application, ApplicationEvent, Attachment, Notice
from onecity.services.workflow.errors import ActionNotAllowed, IllegalTransition
from tests.identity.family.factories import person
from tests.payments.trade.factories import fund_wallet
from tests.services.applications.factories import (
    GOOD_FORM,
    PDF_BYTES,
    applicant,
    citizen_principal,
    claimed,
    make_agency,
    make_item,
    png_bytes,
    staff_of,
    submit_as,
)


def _counts(session: Session) -> dict[str, int]:
    return {m.__tablename__: session.scalar(select(func.count()).select_from(m)) or 0
            for m in (Application, ApplicationEvent, Attachment, Notice, OutboxEvent, AuditEntry)}


def test_rejected_then_resubmitted_then_approved_issues_a_certificate(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency)
    p = applicant(session)
    _staff, reviewer = staff_of(session, agency)
    a = submit_as(session, item, p)
    day = clock.today_local().strftime("%Y%m%d")
    assert a.state == "submitted" and re.fullmatch(rf"440300-{day}-\d{{6,}}", a.reference)
    assert a.due_at is not None and a.overdue is False and a.trips_needed == 0
    assert [x.name for x in a.available_actions] == ["withdraw"]

    a = apps.act(session, application_id=a.id, action="claim", principal=reviewer)
    assert a.state == "in_review" and a.assignee == reviewer.id
    with pytest.raises(ReasonRequired):
        apps.act(session, application_id=a.id, action="reject", principal=reviewer, reason="  ")
    a = apps.act(session, application_id=a.id, action="reject", principal=reviewer, reason="从业年限与社保记录不符")
    assert (a.state, a.outcome, a.last_reason) == ("rejected", "rejected", "从业年限与社保记录不符")
    assert a.completed_at is not None

    me = citizen_principal(p)
    seen = apps.get_application(session, application_id=a.id, citizen_id=p.id, viewer=me)
    assert [x.name for x in seen.available_actions] == ["resubmit"]
    a = apps.act(session, application_id=a.id, action="resubmit", principal=me,
                 data={"form": {**GOOD_FORM, "years": 3}})
    assert (a.state, a.outcome, a.completed_at, a.assignee, a.form["years"]) == ("submitted", None, None, None, 3)

    apps.act(session, application_id=a.id, action="claim", principal=reviewer)
    a = apps.act(session, application_id=a.id, action="approve", principal=reviewer)
    assert (a.state, a.outcome) == ("approved", "approved")
    cred = credentials.get_credential(session, credential_id=a.credential_id)
    assert cred.type_id == "professional_qualification" and cred.holder_citizen_id == p.id
    assert cred.claims is not None and cred.claims["name"] == p.name and cred.claims["qualification"] == "电工"
    assert cred.claims["certificate_number"] == a.reference
    assert [e.action for e in a.events] == ["submit", "claim", "reject", "resubmit", "claim", "approve"]
    notices = apps.list_notices(session, citizen_id=p.id)
    assert len(notices) == 6 and "理由：从业年限与社保记录不符" in notices[3].body.zh
    topics = session.scalars(select(OutboxEvent.topic).where(OutboxEvent.topic == apps.TOPIC)).all()
    assert len(topics) == 6
    actions = session.scalars(select(AuditEntry.action).where(AuditEntry.action.like("services.application.%"))).all()
    assert sorted(set(actions)) == ["services.application.approve", "services.application.claim",
                                    "services.application.reject", "services.application.resubmit",
                                    "services.application.submit"]


def test_an_invalid_form_lists_every_error_and_stores_nothing(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency)
    p = applicant(session)
    before = _counts(session)
    bad = {"name": "", "level": "特级", "years": -1, "exam_date": "not-a-date", "colour": "red"}
    with pytest.raises(FormInvalid) as err:
        submit_as(session, item, p, form=bad)
    fields = {e["field"] for e in err.value.extra["errors"]}
    assert {"name", "level", "years", "exam_date", "qualification"} <= fields
    assert err.value.status == 422 and err.value.code == "application_form_invalid"
    assert _counts(session) == before


def test_eligibility_and_materials_are_checked(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency, eligibility={"real_name": True, "min_age": 18, "max_age": 30})
    old = applicant(session)  # born 1990: 36 in 2026
    with pytest.raises(NotEligible) as err:
        submit_as(session, item, old)
    assert err.value.extra["problems"] == [{"rule": "max_age", "max_age": 30}]
    unverified = person(session, verified=False)
    with pytest.raises(NotEligible) as err:
        submit_as(session, make_item(session, agency), unverified)
    assert {"rule": "real_name"} in err.value.extra["problems"]
    no_card = applicant(session, with_card=False)
    with pytest.raises(MaterialsMissing) as err2:
        submit_as(session, make_item(session, agency), no_card)
    assert err2.value.extra["missing"] == ["ssc"]


def test_only_the_assignee_decides_and_roles_are_enforced(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency)
    p = applicant(session)
    _s1, first = staff_of(session, agency)
    _s2, second = staff_of(session, agency)
    _s3, dev = staff_of(session, agency, roles=("developer",))
    a = submit_as(session, item, p)
    with pytest.raises(ActionNotAllowed):
        apps.act(session, application_id=a.id, action="claim", principal=dev)
    with pytest.raises(IllegalTransition):
        apps.act(session, application_id=a.id, action="approve", principal=first)
    with pytest.raises(ActionNotAllowed):  # the applicant's action
        apps.act(session, application_id=a.id, action="withdraw", principal=first)
    apps.act(session, application_id=a.id, action="claim", principal=first)
    with pytest.raises(IllegalTransition):
        apps.act(session, application_id=a.id, action="claim", principal=second)
    with pytest.raises(NotAssignee):
        apps.act(session, application_id=a.id, action="approve", principal=second)
    other_agency = make_agency(session)
    _s4, outsider = staff_of(session, other_agency, roles=("owner",))
    with pytest.raises(ApplicationNotFound):
        apps.act(session, application_id=a.id, action="approve", principal=outsider)
    stranger = applicant(session, with_card=False)
    with pytest.raises(ApplicationNotFound):
        apps.act(session, application_id=a.id, action="withdraw", principal=citizen_principal(stranger))


def test_request_info_then_resubmit_with_changed_data_and_withdraw(session: Session) -> None:
    _agency, _item, p, reviewer, a = claimed(session)
    me = citizen_principal(p)
    a = apps.act(session, application_id=a.id, action="request_info", principal=reviewer, reason="请上传证件照")
    assert a.state == "needs_info" and a.outcome is None
    photo = apps.store_attachment(session, citizen_id=p.id, filename="me.png", data=png_bytes())
    session.commit()
    before = _counts(session)
    with pytest.raises(FormInvalid):
        apps.act(session, application_id=a.id, action="resubmit", principal=me, data={"form": {"years": "x"}})
    session.rollback()  # the request would roll back; the row lock is released
    assert _counts(session) == before
    a = apps.act(session, application_id=a.id, action="resubmit", principal=me,
                 data={"attachments": {"photo": photo.id}})
    assert a.state == "submitted" and a.attachments == {"photo": photo.id}
    a = apps.act(session, application_id=a.id, action="withdraw", principal=me)
    assert (a.state, a.outcome) == ("withdrawn", "withdrawn")
    with pytest.raises(IllegalTransition):
        apps.act(session, application_id=a.id, action="resubmit", principal=me)


def test_instant_approves_at_once_with_the_certificate(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency, workflow="instant", time_limit_days=0)
    p = applicant(session)
    a = submit_as(session, item, p)
    assert (a.state, a.outcome) == ("approved", "approved") and a.credential_id
    assert [e.action for e in a.events] == ["submit", "approve"]
    with pytest.raises(IllegalTransition):
        apps.run_system(session, application_id=a.id, action="approve")


def test_auto_check_approves_when_the_check_passes_else_refers(session: Session) -> None:
    calls: list[int] = []

    @registry.register_check("test.years_check")
    def _years(session: Session, application: Any) -> tuple[bool, str]:
        calls.append(application.form["years"])
        return application.form["years"] >= 5, "从业年限不足 5 年"

    agency = make_agency(session)
    item = make_item(session, agency, workflow="auto_check",
                     on_approve=[{"effect": "issue_credential", "check": "test.years_check",
                                  **{k: v for k, v in _issue().items() if k != "effect"}}])
    ok = submit_as(session, item, applicant(session))
    assert ok.state == "approved" and ok.credential_id
    p = applicant(session)
    short = submit_as(session, item, p, form={**GOOD_FORM, "years": 2})
    assert short.state == "referred" and short.last_reason == "从业年限不足 5 年" and short.credential_id is None
    assert calls == [5, 2]


def _issue() -> dict[str, Any]:
    from tests.services.applications.factories import ISSUE_QUALIFICATION

    return dict(ISSUE_QUALIFICATION)


def test_an_effect_failing_fails_the_whole_approval(session: Session) -> None:
    @registry.register_effect("test.always_fails")
    def _fails(session: Session, application: Any, config: dict[str, Any]) -> None:
        raise EffectFailed(detail="registry is down")

    _agency, _item, p, reviewer, a = claimed(session, on_approve=[_issue(), {"effect": "test.always_fails"}])
    session.commit()
    before = _counts(session)
    with pytest.raises(DomainError):
        apps.act(session, application_id=a.id, action="approve", principal=reviewer)
    session.rollback()
    assert _counts(session) == before
    again = apps.get_application(session, application_id=a.id)
    assert (again.state, again.credential_id) == ("in_review", None)
    assert credentials.list_for_citizen(session, citizen_id=p.id)[0].type_id == "social_security_card"


def test_review_then_pay_collects_the_fee_or_changes_nothing(session: Session) -> None:
    agency, _item, p, reviewer, a = claimed(session, workflow="review_then_pay", fee_fen=2_000)
    me = citizen_principal(p)
    a = apps.act(session, application_id=a.id, action="approve", principal=reviewer)
    assert a.state == "awaiting_payment" and a.payment.state == "due" and a.credential_id is None
    session.commit()
    before = _counts(session)
    with pytest.raises(DomainError):  # the wallet is empty: InsufficientFunds
        apps.act(session, application_id=a.id, action="pay", principal=me)
    session.rollback()
    assert _counts(session) == before
    fund_wallet(session, p.id, 5_000)
    a = apps.act(session, application_id=a.id, action="pay", principal=me)
    # 5,000 fen in the wallet − the 2,000 fen fee = 3,000 fen left; the agency received 2,000 fen
    from onecity.services import collection

    assert (a.state, a.outcome, a.payment.state) == ("completed", "approved", "paid") and a.credential_id
    assert collection.received(session, agency.id) == 2_000


def test_attachments_are_sniffed_limited_owned_and_encrypted(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency)
    p = applicant(session)
    with pytest.raises(AttachmentInvalid):
        apps.store_attachment(session, citizen_id=p.id, filename="x.png", data=b"MZ\x90\x00 not an image")
    with pytest.raises(AttachmentInvalid):
        apps.store_attachment(session, citizen_id=p.id, filename="x.png", data=b"")
    with pytest.raises(AttachmentInvalid):
        apps.store_attachment(session, citizen_id=p.id, filename="big.png", data=png_bytes(apps.MAX_BYTES))
    pdf = apps.store_attachment(session, citizen_id=p.id, filename="x.png", data=PDF_BYTES)
    assert pdf.content_type == "application/pdf"  # from the bytes, not the name
    with pytest.raises(AttachmentInvalid):  # the photo slot takes JPEG/PNG only
        submit_as(session, item, p, attachments={"photo": pdf.id})
    big = apps.store_attachment(session, citizen_id=p.id, filename="big.png", data=png_bytes(300_000))
    with pytest.raises(AttachmentInvalid):  # over the slot's 200,000 bytes
        submit_as(session, item, p, attachments={"photo": big.id})
    other = applicant(session)
    theirs = apps.store_attachment(session, citizen_id=other.id, filename="o.png", data=png_bytes())
    with pytest.raises(AttachmentInvalid):
        submit_as(session, item, p, attachments={"photo": theirs.id})
    mine = apps.store_attachment(session, citizen_id=p.id, filename="me.png", data=png_bytes())
    a = submit_as(session, item, p, attachments={"photo": mine.id})
    row = session.scalars(select(Attachment).where(Attachment.public_id == mine.id)).one()
    assert png_bytes() not in row.data_enc and row.application_id == a.id
    _s, reviewer = staff_of(session, agency)
    meta, data = apps.read_attachment(session, attachment_id=mine.id, principal=reviewer)
    assert data == png_bytes() and meta.sha256 == row.sha256
    reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "services.attachment.read")).all()
    assert [(r.actor_id, r.subject_citizen_id) for r in reads] == [(reviewer.id, p.id)]
    _s2, outsider = staff_of(session, make_agency(session))
    from onecity.services.applications.errors import AttachmentNotFound

    with pytest.raises(AttachmentNotFound):
        apps.read_attachment(session, attachment_id=mine.id, principal=outsider)
    with pytest.raises(AttachmentNotFound):
        apps.read_attachment(session, attachment_id=mine.id, principal=citizen_principal(other))
    with pytest.raises(AttachmentInvalid):  # already used by the first application
        submit_as(session, item, p, attachments={"photo": mine.id})


def test_prefill_asks_for_consent_then_fills_from_the_certificate(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency, prefill={"name": "social_security_card.name",
                                               "card_number": "social_security_card.card_number",
                                               "qualification": "profile.phone"})
    p = applicant(session)
    out = apps.prefill(session, citizen_id=p.id, service_code=item.code)
    assert out.consent_needed is not None
    assert out.consent_needed.model_dump() == {"org_id": agency.id, "purpose": apps.consent_purpose(item.code),
                                               "type_ids": ["social_security_card"]}
    assert out.values == {"qualification": p.mobile} and out.from_certificates == []
    out = apps.grant_prefill_consent(session, citizen_id=p.id, service_code=item.code)
    assert out.consent_needed is None
    assert out.values["name"] == p.name and out.values["card_number"] == "S44030099887A"
    assert sorted(out.from_certificates) == ["card_number", "name"]
    reads = session.scalars(select(AuditEntry).where(AuditEntry.action == "credential.read",
                                                     AuditEntry.subject_citizen_id == p.id)).all()
    assert [r.actor_id for r in reads] == [agency.id]  # in the citizen's access history, once per type read


def test_waiting_on_the_applicant_is_not_overdue(session: Session) -> None:
    """补正 stops the agency's clock: past the time limit in needs_info is not overdue, nor noted."""
    agency, _item, p, reviewer, a = claimed(session, time_limit_days=1)
    apps.act(session, application_id=a.id, action="request_info", principal=reviewer, reason="请补充考试日期")
    clock.freeze(clock.now() + timedelta(days=5))
    assert apps.mark_overdue(session) == 0
    assert apps.get_application(session, application_id=a.id).overdue is False
    assert apps.queue(session, agency_org_id=agency.id)[0].overdue is False
    assert [f.overdue for f in apps.measure_facts(session, city_code="440300", agency_org_id=agency.id)] == [False]
    a = apps.act(session, application_id=a.id, action="resubmit", principal=citizen_principal(p))
    clock.freeze(clock.now() + timedelta(days=3))  # the resubmission restarted the limit, now past again
    assert apps.mark_overdue(session) == 1 and apps.get_application(session, application_id=a.id).overdue
    assert [f.overdue for f in apps.measure_facts(session, city_code="440300", agency_org_id=agency.id)] == [True]


def test_overdue_visits_queue_and_measure_facts(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency, time_limit_days=2, trips=1)
    p = applicant(session)
    _s, reviewer = staff_of(session, agency)
    first = submit_as(session, item, p)
    clock.freeze(clock.now() + timedelta(days=2))
    second = submit_as(session, item, p)
    assert apps.mark_overdue(session) == 0
    clock.freeze(clock.now() + timedelta(days=2))
    assert apps.mark_overdue(session) == 1  # the first is past the end of its third local day
    assert apps.mark_overdue(session) == 0  # noted once
    q = apps.queue(session, agency_org_id=agency.id)
    assert [x.id for x in q] == [first.id, second.id] and q[0].overdue and not q[1].overdue
    a = apps.record_visit(session, application_id=second.id, principal=reviewer, note="现场核验原件")
    assert a.visits == 1 and a.events[-1].action == "record_visit"
    with pytest.raises(DomainError):
        apps.record_visit(session, application_id=second.id, principal=citizen_principal(p))
    apps.act(session, application_id=second.id, action="claim", principal=reviewer)
    apps.act(session, application_id=second.id, action="approve", principal=reviewer)
    facts = {f.application_id: f for f in apps.measure_facts(session, city_code="440300", agency_org_id=agency.id)}
    assert facts[second.id].outcome == "approved" and facts[second.id].visits == 1
    assert facts[second.id].trips_needed == 1 and facts[first.id].outcome is None
    assert apps.unread_count(session, citizen_id=p.id) == 5  # 2 submits, overdue, claim, approve


def test_two_step_review_recommend_then_the_head_approves(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency, workflow="review_two_step")
    p = applicant(session)
    _s, reviewer = staff_of(session, agency)
    _h, head = staff_of(session, agency, roles=("admin",))
    a = submit_as(session, item, p)
    apps.act(session, application_id=a.id, action="claim", principal=reviewer)
    a = apps.act(session, application_id=a.id, action="recommend", principal=reviewer, reason="材料齐全")
    assert a.state == "pending_approval"
    with pytest.raises(ActionNotAllowed):  # a reviewer may not give the final approval
        apps.act(session, application_id=a.id, action="approve", principal=reviewer)
    a = apps.act(session, application_id=a.id, action="send_back", principal=head, reason="请核对等级")
    assert a.state == "in_review" and a.assignee == reviewer.id
    apps.act(session, application_id=a.id, action="recommend", principal=reviewer)
    a = apps.act(session, application_id=a.id, action="approve", principal=head)
    assert (a.state, a.outcome) == ("approved", "approved") and a.credential_id


def test_the_periodic_job_marks_overdue_once(session: Session) -> None:
    from onecity.services.applications import jobs

    agency = make_agency(session)
    item = make_item(session, agency, time_limit_days=0)
    p = applicant(session)
    a = submit_as(session, item, p)
    assert jobs.mark_overdue(session) == {"overdue": 0}
    clock.freeze(clock.now() + timedelta(days=1, hours=1))
    assert jobs.mark_overdue(session) == {"overdue": 1}
    assert jobs.mark_overdue(session) == {"overdue": 0}
    seen = apps.get_application(session, application_id=a.id)
    assert seen.overdue and seen.events[-1].action == "overdue"
    assert apps.list_notices(session, citizen_id=p.id)[0].title.zh.endswith("已超过承诺时限")
