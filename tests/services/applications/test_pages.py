"""The application pages over HTTP: the generated form, CSRF, a refused form changing nothing, and
nobody seeing another's application (citizen or agency)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.identity.sessions import create_session
from onecity.services.applications import service as apps
from onecity.services.applications.models import Application, Attachment, Notice
from tests.console_steps import console_login, csrf_of
from tests.identity.orgs.factories import make_staff
from tests.services.applications.factories import (
    GOOD_FORM,
    applicant,
    citizen_principal,
    make_agency,
    make_item,
)


def _citizen(app: Any, session: Session, who: Any) -> TestClient:
    token, _ = create_session(session, kind="citizen", subject_id=who.id, credential="cookie", label="test")
    session.commit()
    c = TestClient(app, base_url="http://testserver", follow_redirects=False)
    c.cookies.set("oc_session", token)
    return c


def _staff(app: Any, username: str) -> TestClient:
    c = TestClient(app, base_url="http://testserver", follow_redirects=False)
    console_login(c, username, next="/console")
    return c


def _counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    out = tuple(session.scalar(select(func.count()).select_from(m)) or 0 for m in (Application, Attachment, Notice))
    session.rollback()
    return out


def test_the_form_is_generated_and_a_refused_post_changes_nothing(app, session: Session) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(session)
    item = make_item(session, agency)
    p = applicant(session)
    c = _citizen(app, session, p)
    page = c.get(f"/app/services/apply/{item.code}")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="consent-prompt"' in html and 'name="f.level"' in html and 'type="date"' in html
    assert "四级/中级工" in html and 'type="checkbox" name="f.agree"' in html and "证件照" in html
    english = c.get(f"/app/services/apply/{item.code}?lang=en").text
    assert "Occupation" in english and "Years of experience" in english and "Allow and fill in" in english
    before = _counts(session)
    forged = c.post(f"/app/services/apply/{item.code}", data={"csrf": "forged", "f.qualification": "电工"})
    assert forged.status_code == 403
    bad = c.post(f"/app/services/apply/{item.code}", data={"csrf": csrf_of(html), "f.years": "lots"},
                 files={"file.photo": ("p.png", b"not a png at all", "image/png")})
    assert bad.status_code == 422 and 'data-testid="error"' in bad.text
    bad = c.post(f"/app/services/apply/{item.code}", data={"csrf": csrf_of(html), "f.years": "lots"})
    assert bad.status_code == 422 and 'data-testid="field-error-years"' in bad.text
    assert 'value="lots"' in bad.text  # what was typed is shown again
    assert _counts(session) == before
    ok = c.post(f"/app/services/apply/{item.code}", data={"csrf": csrf_of(html), **{f"f.{k}": str(v) for k, v in
                                                                                  GOOD_FORM.items() if k != "agree"},
                                                          "f.agree": "on"})
    assert ok.status_code == 303 and ok.headers["location"].startswith("/app/services/applications/app_")
    listing = c.get("/app/services/applications")
    assert "Skill level certification" in listing.text and "Submitted" in listing.text  # the lang cookie stays


def test_nobody_sees_anothers_application(app, session: Session) -> None:  # type: ignore[no-untyped-def]
    agency = make_agency(session)
    other = make_agency(session)
    make_staff(session, agency.org, roles=["reviewer"], username="pages.reviewer")
    make_staff(session, other.org, roles=["owner"], username="pages.outsider")
    item = make_item(session, agency)
    p = applicant(session)
    a = apps.submit(session, citizen_id=p.id, service_code=item.code, form=dict(GOOD_FORM), actor=citizen_principal(p))
    stranger = applicant(session, with_card=False)
    session.commit()
    assert _citizen(app, session, p).get(f"/app/services/applications/{a.id}").status_code == 200
    assert _citizen(app, session, stranger).get(f"/app/services/applications/{a.id}").status_code == 404
    mine = _staff(app, "pages.reviewer")
    assert a.reference in mine.get("/console/services/applications").text
    assert mine.get(f"/console/services/applications/{a.id}").status_code == 200
    outsider = _staff(app, "pages.outsider")
    assert a.reference not in outsider.get("/console/services/applications").text
    assert outsider.get(f"/console/services/applications/{a.id}").status_code == 404
    r = outsider.post(f"/console/services/applications/{a.id}/act/claim", data={"csrf": "x"})
    assert r.status_code in (403, 404)
    assert apps.get_application(session, application_id=a.id).state == "submitted"


def test_a_forged_form_acts_on_nothing(app, session: Session) -> None:  # type: ignore[no-untyped-def]
    """Staff and citizen action forms without the session's CSRF token are refused; with it they work."""
    agency = make_agency(session)
    make_staff(session, agency.org, roles=["reviewer"], username="pages.csrf.reviewer")
    item = make_item(session, agency)
    p = applicant(session)
    a = apps.submit(session, citizen_id=p.id, service_code=item.code, form=dict(GOOD_FORM), actor=citizen_principal(p))
    session.commit()
    desk = _staff(app, "pages.csrf.reviewer")
    before = _counts(session)
    assert desk.post(f"/console/services/applications/{a.id}/act/claim", data={"csrf": "forged"}).status_code == 403
    phone = _citizen(app, session, p)
    assert phone.post(f"/app/services/applications/{a.id}/act/withdraw", data={}).status_code == 403
    assert _counts(session) == before
    session.expire_all()
    assert apps.get_application(session, application_id=a.id).state == "submitted"
    session.rollback()
    token = csrf_of(desk.get(f"/console/services/applications/{a.id}").text)
    assert desk.post(f"/console/services/applications/{a.id}/act/claim", data={"csrf": token}).status_code == 303
    session.expire_all()
    assert apps.get_application(session, application_id=a.id).state == "in_review"
