"""Text messages about applications (through identity's SMS outbox, read from the simulated
gateway's inbox) and staff releasing a claimed application back to the queue."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.app import load_subscribers
from onecity.identity import service as identity
from onecity.identity import sms
from onecity.identity.sms import SimulatedSmsGateway
from onecity.outbox import OutboxEvent
from onecity.services.applications import service as apps
from onecity.services.applications.errors import NotAssignee
from onecity.services.workflow.errors import ActionNotAllowed, IllegalTransition
from tests.identity.factories import sms_gateway
from tests.services.applications.factories import (
    applicant,
    citizen_principal,
    claimed,
    make_agency,
    make_item,
    staff_of,
    submit_as,
)


@pytest.fixture
def gateway() -> Iterator[SimulatedSmsGateway]:
    yield sms_gateway(failure_rate=0.0)
    sms.use_sender(None)


def _deliver(gateway: SimulatedSmsGateway, mobile: str, want: int, *, passes: int = 30) -> list[str]:
    """Run the outbox worker (moving the clock past retry backoffs) until `want` messages reached
    `mobile`; the texts, oldest first."""
    load_subscribers()
    for _ in range(passes):
        outbox.run_once()
        if len({m.message_id for m in gateway.inbox(mobile)}) >= want:
            break
        clock.advance(timedelta(seconds=5))
    seen: dict[str, str] = {}
    for m in gateway.inbox(mobile):
        seen.setdefault(m.message_id, m.text)
    return list(seen.values())


def _sms_events(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(OutboxEvent)
                          .where(OutboxEvent.topic == identity.NOTICE_SMS_TOPIC)) or 0


def test_sms_for_more_info_rejected_and_approved_only(session: Session, gateway: SimulatedSmsGateway,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    _agency, _item, p, reviewer, a = claimed(session)
    me = citizen_principal(p)
    assert _sms_events(session) == 0  # submitted, claimed: the inbox notice is enough
    apps.act(session, application_id=a.id, action="request_info", principal=reviewer, reason="请补充考试日期")
    assert _sms_events(session) == 1
    session.commit()
    assert gateway.inbox(p.mobile) == []  # nothing leaves before the worker runs after commit
    with caplog.at_level(logging.INFO):
        texts = _deliver(gateway, p.mobile, 1)
    assert len(texts) == 1
    assert texts[0].startswith("【一网通城") and a.reference in texts[0] and "需要补正：请补充考试日期" in texts[0]
    assert p.mobile not in caplog.text and p.mobile[:3] + "****" + p.mobile[-4:] in caplog.text

    apps.act(session, application_id=a.id, action="resubmit", principal=me)  # the citizen's own act: no SMS
    apps.act(session, application_id=a.id, action="claim", principal=reviewer)
    apps.act(session, application_id=a.id, action="reject", principal=reviewer, reason="从业年限与社保记录不符")
    apps.act(session, application_id=a.id, action="resubmit", principal=me)
    apps.act(session, application_id=a.id, action="claim", principal=reviewer)
    apps.act(session, application_id=a.id, action="approve", principal=reviewer)
    assert _sms_events(session) == 3
    session.commit()
    texts = _deliver(gateway, p.mobile, 3)
    assert len(texts) == 3
    assert "未通过审核，理由：从业年限与社保记录不符" in texts[1]
    assert "已办结（审核通过）" in texts[2] and a.reference in texts[2]


def test_a_gateway_failure_is_retried_with_the_same_message_id(session: Session) -> None:
    gateway = sms_gateway(seed=3, failure_rate=0.6)
    try:
        agency = make_agency(session)
        item = make_item(session, agency)
        p = applicant(session)
        _s, reviewer = staff_of(session, agency)
        a = submit_as(session, item, p)
        apps.act(session, application_id=a.id, action="claim", principal=reviewer)
        apps.act(session, application_id=a.id, action="approve", principal=reviewer)
        session.commit()
        texts = _deliver(gateway, p.mobile, 1, passes=60)
        assert len(texts) == 1
        assert gateway.failures > 0 and gateway.attempts == gateway.failures + 1  # failed, retried, delivered
        assert len({m.message_id for m in gateway.inbox(p.mobile)}) == 1
        assert gateway.inbox(p.mobile)[0].message_id.startswith("sms_")
    finally:
        sms.use_sender(None)


def test_a_refused_action_asks_for_no_sms(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency)
    p = applicant(session)
    _s, reviewer = staff_of(session, agency)
    a = submit_as(session, item, p)
    with pytest.raises(IllegalTransition):
        apps.act(session, application_id=a.id, action="approve", principal=reviewer)
    assert _sms_events(session) == 0


def test_overdue_sends_an_sms(session: Session, gateway: SimulatedSmsGateway) -> None:
    agency = make_agency(session)
    item = make_item(session, agency, time_limit_days=1)
    p = applicant(session)
    submit_as(session, item, p)
    session.commit()
    clock.advance(timedelta(days=3))
    assert apps.mark_overdue(session) == 1
    session.commit()
    texts = _deliver(gateway, p.mobile, 1)
    assert len(texts) == 1 and "已超过承诺办结时限" in texts[0]


def test_send_notice_sms_refuses_an_empty_text_and_an_unknown_citizen(session: Session) -> None:
    p = applicant(session, with_card=False)
    with pytest.raises(Exception) as e:
        identity.send_notice_sms(session, citizen_id=p.id, text="   ")
    assert getattr(e.value, "code", None) == "validation_error"
    with pytest.raises(identity.CitizenNotFound):
        identity.send_notice_sms(session, citizen_id="cit_nobody", text="hello")
    assert _sms_events(session) == 0


# --- release --------------------------------------------------------------------------------------

def test_the_assignee_releases_back_to_the_queue(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency)
    p = applicant(session)
    _s, reviewer = staff_of(session, agency)
    _t, other = staff_of(session, agency)
    a = submit_as(session, item, p)
    with pytest.raises(IllegalTransition):  # nothing to release before a claim
        apps.act(session, application_id=a.id, action="release", principal=reviewer)
    a = apps.act(session, application_id=a.id, action="claim", principal=reviewer)
    assert "release" in [x.name for x in a.available_actions]
    seen_by_other = apps.get_application(session, application_id=a.id, agency_org_id=agency.id, viewer=other)
    assert "release" not in [x.name for x in seen_by_other.available_actions]
    with pytest.raises(NotAssignee):  # another reviewer may not release a colleague's case
        apps.act(session, application_id=a.id, action="release", principal=other)
    with pytest.raises(ActionNotAllowed):  # nor may the citizen
        apps.act(session, application_id=a.id, action="release", principal=citizen_principal(p))
    a = apps.act(session, application_id=a.id, action="release", principal=reviewer, reason="休假，交回队列")
    assert (a.state, a.assignee, a.outcome) == ("submitted", None, None)
    assert a.events[-1].action == "release" and a.events[-1].reason == "休假，交回队列"
    a = apps.act(session, application_id=a.id, action="claim", principal=other)
    assert a.assignee == other.id


def test_an_admin_releases_a_colleagues_claim(session: Session) -> None:
    agency = make_agency(session)
    item = make_item(session, agency, workflow="auto_check")
    p = applicant(session)
    _s, reviewer = staff_of(session, agency)
    _a, admin = staff_of(session, agency, roles=("admin",))
    a = submit_as(session, item, p)
    assert a.state == "referred"  # no check registered: referred to staff
    apps.act(session, application_id=a.id, action="claim", principal=reviewer)
    seen = apps.get_application(session, application_id=a.id, agency_org_id=agency.id, viewer=admin)
    assert "release" in [x.name for x in seen.available_actions]
    a = apps.act(session, application_id=a.id, action="release", principal=admin)
    assert (a.state, a.assignee) == ("referred", None)
    assert _sms_events(session) == 0  # back in the queue is staff business


def test_release_through_the_api_and_the_console_button(app: Any, client: Any, session: Session) -> None:
    from fastapi.testclient import TestClient

    from tests.identity.orgs.factories import DEFAULT_PASSWORD, make_staff, staff_token

    agency = make_agency(session)
    item = make_item(session, agency)
    p = applicant(session)
    reviewer = make_staff(session, agency.org, roles=("reviewer",))
    admin = make_staff(session, agency.org, roles=("admin",))
    token = staff_token(session, reviewer)
    a = submit_as(session, item, p)
    session.commit()
    base = "/v1/services/applications/org"
    r = client.post(f"{base}/{a.id}/actions/claim", json={},
                    headers={"authorization": f"Bearer {token}", "idempotency-key": "rel-1"})
    assert r.status_code == 200 and r.json()["assignee"] == reviewer.public_id
    r = client.post(f"{base}/{a.id}/actions/release", json={"reason": "转交同事"},
                    headers={"authorization": f"Bearer {token}", "idempotency-key": "rel-2"})
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["assignee"]) == ("submitted", None)
    r = client.post(f"{base}/{a.id}/actions/release", json={},
                    headers={"authorization": f"Bearer {token}", "idempotency-key": "rel-3"})
    assert (r.status_code, r.json()["code"]) == (409, "workflow_illegal_transition")

    # the reviewer claims again; an admin sees the button on the console and releases it
    client.post(f"{base}/{a.id}/actions/claim", json={},
                headers={"authorization": f"Bearer {token}", "idempotency-key": "rel-4"})
    c = TestClient(app, base_url="http://testserver", follow_redirects=False)
    assert c.post("/console/login", data={"username": admin.username, "password": DEFAULT_PASSWORD,
                                          "next": "/console"}).status_code == 303
    page = c.get(f"/console/services/applications/{a.id}").text
    assert 'data-testid="act-release"' in page and 'data-testid="act-approve"' not in page
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    r = c.post(f"/console/services/applications/{a.id}/act/release", data={"csrf": csrf, "reason": ""})
    assert r.status_code == 303, r.text
    session.expire_all()
    out = apps.get_application(session, application_id=a.id)
    assert (out.state, out.assignee) == ("submitted", None)
    assert [e.action for e in out.events] == ["submit", "claim", "release", "claim", "release"]
