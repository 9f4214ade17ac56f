"""Applications through the JSON API: the citizen's and the agency's routes, idempotency, and
bad input answered with problem+json that changes nothing."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.audit.models import AuditEntry
from onecity.outbox import OutboxEvent
from onecity.services.applications.models import Application, ApplicationEvent, Attachment, Notice
from tests.identity.orgs.factories import staff_token
from tests.services.applications.factories import (
    GOOD_FORM,
    PDF_BYTES,
    applicant,
    make_agency,
    make_item,
    png_bytes,
    staff_of,
)

BASE = "/v1/services/applications"


def _h(token: str, key: bool = True) -> dict[str, str]:
    h = {"Authorization": f"Bearer {token}"}
    if key:
        h["Idempotency-Key"] = uuid.uuid4().hex
    return h


def _counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    out = tuple(session.scalar(select(func.count()).select_from(m)) or 0
                for m in (Application, ApplicationEvent, Attachment, Notice, OutboxEvent, AuditEntry))
    session.rollback()  # end the read: SQLite holds its write lock for the whole transaction
    return out


def _setup(session: Session, **item_kw: Any) -> dict[str, Any]:
    agency = make_agency(session)
    item = make_item(session, agency, **item_kw)
    p = applicant(session)
    staff, _principal = staff_of(session, agency)
    other_staff, _ = staff_of(session, agency)
    env = {"agency": agency, "item": item, "p": p, "me": p.token(session), "staff": staff_token(session, staff),
           "other_staff": staff_token(session, other_staff)}
    session.commit()
    return env


def test_the_whole_flow_through_the_api(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    env = _setup(session)
    me, staff = env["me"], env["staff"]
    pre = client.get(f"{BASE}/prefill/{env['item'].code}", headers=_h(me, key=False)).json()
    assert pre["consent_needed"]["type_ids"] == ["social_security_card"]
    pre = client.post(f"{BASE}/prefill/{env['item'].code}/consent", json={}, headers=_h(me)).json()
    assert pre["values"]["name"] == env["p"].name and pre["consent_needed"] is None

    up = client.post(f"{BASE}/attachments", files={"file": ("me.png", png_bytes(), "application/pdf")}, headers=_h(me))
    assert up.status_code == 201 and up.json()["content_type"] == "image/png"
    att = up.json()["id"]
    key = uuid.uuid4().hex
    body = {"service_code": env["item"].code, "form": GOOD_FORM, "attachments": {"photo": att}}
    r = client.post(BASE, json=body, headers={**_h(me), "Idempotency-Key": key})
    assert r.status_code == 201, r.text
    again = client.post(BASE, json=body, headers={**_h(me), "Idempotency-Key": key})
    assert again.json()["id"] == r.json()["id"]  # replayed, not filed twice
    app_id = r.json()["id"]
    listed = client.get(BASE, headers=_h(me, key=False)).json()["items"]
    assert len(listed) == 1 and listed[0]["form"] == {}  # lists carry no form; the application has it

    q = client.get(f"{BASE}/org/queue", headers=_h(staff, key=False)).json()["items"]
    assert [a["id"] for a in q] == [app_id] and q[0]["form"] == {}
    got = client.get(f"{BASE}/attachments/{att}", headers=_h(staff, key=False))
    assert got.status_code == 200 and got.content == png_bytes()
    r = client.post(f"{BASE}/org/{app_id}/actions/claim", json={}, headers=_h(staff))
    assert r.json()["state"] == "in_review"
    r = client.post(f"{BASE}/org/{app_id}/actions/approve", json={}, headers=_h(env["other_staff"]))
    assert r.status_code == 403 and r.json()["code"] == "application_not_assignee"
    r = client.post(f"{BASE}/org/{app_id}/actions/reject", json={"reason": "照片不清晰"}, headers=_h(staff))
    assert r.json()["state"] == "rejected"
    mine = client.get(f"{BASE}/{app_id}", headers=_h(me, key=False)).json()
    assert mine["last_reason"] == "照片不清晰" and [a["name"] for a in mine["available_actions"]] == ["resubmit"]
    assert client.get(f"{BASE}/notices", headers=_h(me, key=False)).json()[0]["body"]["zh"].endswith("照片不清晰")
    r = client.post(f"{BASE}/{app_id}/actions/resubmit", json={"form": {**GOOD_FORM, "years": 6}}, headers=_h(me))
    assert r.json()["state"] == "submitted" and r.json()["form"]["years"] == 6
    client.post(f"{BASE}/org/{app_id}/actions/claim", json={}, headers=_h(staff))
    r = client.post(f"{BASE}/org/{app_id}/visits", json={"reason": "核验原件"}, headers=_h(staff))
    assert r.json()["visits"] == 1
    r = client.post(f"{BASE}/org/{app_id}/actions/approve", json={}, headers=_h(staff))
    assert r.json()["state"] == "approved" and r.json()["credential_id"].startswith("crd_")


def test_bad_input_is_a_problem_and_changes_nothing(client, session: Session) -> None:  # type: ignore[no-untyped-def]
    env = _setup(session)
    me, staff = env["me"], env["staff"]
    before = _counts(session)
    r = client.post(BASE, json={"service_code": env["item"].code, "form": {"years": "many"}}, headers=_h(me))
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "application_form_invalid"
    assert {e["field"] for e in r.json()["errors"]} >= {"years", "name", "qualification", "level"}
    r = client.post(BASE, json={"service_code": "no.such.code", "form": {}}, headers=_h(me))
    assert r.status_code == 404 and r.json()["code"] == "service_item_not_found"
    r = client.post(f"{BASE}/attachments", files={"file": ("x.exe", b"MZ\x90\x00" * 10, "image/png")}, headers=_h(me))
    assert r.status_code == 422 and r.json()["code"] == "application_attachment_invalid"
    assert _counts(session) == before

    app_id = client.post(BASE, json={"service_code": env["item"].code, "form": GOOD_FORM}, headers=_h(me)).json()["id"]
    before = _counts(session)
    for url, body, who, status, code in [
        (f"{BASE}/org/{app_id}/actions/approve", {}, staff, 409, "workflow_illegal_transition"),
        (f"{BASE}/org/{app_id}/actions/teleport", {}, staff, 409, "workflow_illegal_transition"),
        (f"{BASE}/{app_id}/actions/claim", {}, me, 403, "workflow_action_not_allowed"),
        (f"{BASE}/{app_id}/actions/withdraw", {"form": {}}, me, 422, "application_action_data_invalid"),
        (f"{BASE}/org/{app_id}/actions/claim", {"form": {"years": 1}}, staff, 422, "application_action_data_invalid"),
        (f"{BASE}/{app_id}/actions/approve", {}, staff, 403, "forbidden"),
        (f"{BASE}/org/app_nope/actions/claim", {}, staff, 404, "application_not_found"),
    ]:
        r = client.post(url, json=body, headers=_h(who))
        assert (r.status_code, r.json()["code"]) == (status, code), (url, r.text)
    assert _counts(session) == before
    client.post(f"{BASE}/org/{app_id}/actions/claim", json={}, headers=_h(staff))
    before = _counts(session)
    r = client.post(f"{BASE}/org/{app_id}/actions/reject", json={"reason": ""}, headers=_h(staff))
    assert r.status_code == 422 and r.json()["code"] == "application_reason_required"
    assert _counts(session) == before
    # another citizen sees nothing of it
    stranger = applicant(session, with_card=False)
    token = stranger.token(session)
    session.commit()
    assert client.get(f"{BASE}/{app_id}", headers=_h(token, key=False)).status_code == 404
    r = client.post(f"{BASE}/attachments", files={"file": ("a.pdf", PDF_BYTES, "application/pdf")}, headers=_h(token))
    assert r.status_code == 201
    assert client.get(f"{BASE}/attachments/{r.json()['id']}", headers=_h(me, key=False)).status_code == 404
