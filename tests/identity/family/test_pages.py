"""The /app/family pages through HTTP with a web-session cookie: who gets in, CSRF, each form, errors
shown in the page in the request's language, and the minor flow's return from face verification."""

from __future__ import annotations

import re
from datetime import date

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from onecity.identity.family.models import FamilyLink
from onecity.identity.sessions import create_session
from tests.identity.family.factories import make_face_grant, person


def signed_in(app, session, who) -> TestClient:
    token, _ = create_session(session, kind="citizen", subject_id=who.id, credential="cookie", label="test")
    session.commit()
    c = TestClient(app, base_url="http://testserver", follow_redirects=False)
    c.cookies.set("oc_session", token)
    return c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


@pytest.fixture
def two(app, session):
    me, mum = person(session, born=date(1990, 3, 7)), person(session, born=date(1962, 8, 1))
    return me, mum, signed_in(app, session, me), signed_in(app, session, mum)


def test_anonymous_and_unverified_are_sent_where_they_must_go(app, session):
    anon = TestClient(app, base_url="http://testserver", follow_redirects=False)
    r = anon.get("/app/family")
    assert r.status_code == 303 and r.headers["location"] == "/app/login?next=/app/family"
    unverified = signed_in(app, session, person(session, verified=False))
    r = unverified.get("/app/family")
    assert r.status_code == 303 and r.headers["location"] == "/app/real-name?next=/app/family"


def test_invite_accept_and_revoke_through_the_forms(two, session):
    me, mum, c_me, c_mum = two
    page = c_me.get("/app/family")
    assert page.status_code == 200 and "亲情账户" in page.text
    r = c_me.post("/app/family/invite", data={
        "relation": "parent", "mobile": mum.mobile, "scopes": ["pay_medical", "view_bills"],
        "csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/app/family?done=invited"
    page = c_me.get(r.headers["location"])
    assert "邀请已发送" in page.text and mum.mobile[:3] + "****" + mum.mobile[-4:] in page.text
    assert mum.mobile not in page.text

    theirs = c_mum.get("/app/family")
    link_id = re.search(r'data-testid="received" data-link-id="([^"]+)"', theirs.text).group(1)
    r = c_mum.post(f"/app/family/invitations/{link_id}/accept",
                   data={"scopes": ["pay_medical"], "csrf": csrf_of(theirs.text)})
    assert r.status_code == 303 and r.headers["location"] == "/app/family?done=accepted"

    page = c_me.get("/app/family")
    assert page.text.count('data-testid="link"') == 1 and "代付医疗费用" in page.text
    r = c_me.post(f"/app/family/links/{link_id}/revoke", data={"csrf": csrf_of(page.text)})
    assert r.status_code == 303 and r.headers["location"] == "/app/family?done=revoked"
    assert 'data-testid="no-links"' in c_mum.get("/app/family").text


def test_forms_without_the_sessions_csrf_token_change_nothing(two, session):
    me, mum, c_me, c_mum = two
    r = c_me.post("/app/family/invite", data={"relation": "parent", "mobile": mum.mobile, "csrf": "forged"})
    assert r.status_code == 403
    other_session_token = csrf_of(c_mum.get("/app/family").text)
    r = c_me.post("/app/family/invite", data={"relation": "parent", "mobile": mum.mobile,
                                              "csrf": other_session_token})
    assert r.status_code == 403
    assert session.scalars(select(FamilyLink)).all() == []


def test_a_refused_change_shows_the_error_in_the_page_language(two, session):
    me, mum, c_me, _ = two
    csrf = csrf_of(c_me.get("/app/family").text)
    r = c_me.post("/app/family/invite", data={"relation": "parent", "mobile": me.mobile, "csrf": csrf})
    assert r.status_code == 422 and "不能关联自己" in r.text and 'data-testid="error"' in r.text
    r = c_me.post("/app/family/invite?lang=en", data={"relation": "parent", "mobile": "123", "csrf": csrf})
    assert r.status_code == 422 and "valid 11-digit" in r.text
    # What was typed stays in the form (masked fields excepted).
    r = c_me.post("/app/family/invite", data={"relation": "spouse", "name": "王五", "csrf": csrf})
    assert r.status_code == 422 and 'value="王五"' in r.text
    assert session.scalars(select(FamilyLink)).all() == []


def test_narrow_decline_and_cancel_forms(two, session):
    me, mum, c_me, c_mum = two
    csrf_me = csrf_of(c_me.get("/app/family").text)
    c_me.post("/app/family/invite", data={"relation": "parent", "mobile": mum.mobile, "csrf": csrf_me})
    theirs = c_mum.get("/app/family").text
    first = re.search(r'data-testid="received" data-link-id="([^"]+)"', theirs).group(1)
    r = c_mum.post(f"/app/family/invitations/{first}/decline", data={"csrf": csrf_of(theirs)})
    assert r.headers["location"] == "/app/family?done=declined"

    c_me.post("/app/family/invite", data={"relation": "parent", "mobile": mum.mobile, "csrf": csrf_me})
    mine = c_me.get("/app/family").text
    second = re.search(r'data-testid="sent" data-link-id="([^"]+)"', mine).group(1)
    r = c_me.post(f"/app/family/invitations/{second}/cancel", data={"csrf": csrf_me})
    assert r.headers["location"] == "/app/family?done=cancelled"

    c_me.post("/app/family/invite", data={"relation": "parent", "mobile": mum.mobile,
                                          "scopes": ["pay_medical", "view_bills"], "csrf": csrf_me})
    theirs = c_mum.get("/app/family").text
    third = re.search(r'data-testid="received" data-link-id="([^"]+)"', theirs).group(1)
    c_mum.post(f"/app/family/invitations/{third}/accept",
               data={"scopes": ["pay_medical", "view_bills"], "csrf": csrf_of(theirs)})
    r = c_mum.post(f"/app/family/links/{third}/scopes", data={"scopes": ["view_bills"], "csrf": csrf_of(theirs)})
    assert r.headers["location"] == "/app/family?done=narrowed"
    statuses = sorted(x.status for x in session.scalars(select(FamilyLink)))
    assert statuses == ["accepted", "cancelled", "declined"]
    assert session.scalars(select(FamilyLink).where(FamilyLink.status == "accepted")).one().inviter_scopes == [
        "view_bills"]


def test_minor_flow_goes_through_face_verification_and_back(app, session):
    parent, kid = person(session, born=date(1985, 4, 10)), person(session, born=date(2014, 9, 1))
    c = signed_in(app, session, parent)
    home = c.get("/app/family").text
    assert 'href="/app/face?act=family.link_minor&amp;next=%2Fapp%2Ffamily%2Fminor"' in home
    r = c.get("/app/family/minor")
    assert r.status_code == 303 and r.headers["location"].startswith("/app/face?act=family.link_minor")
    grant = make_face_grant(session, parent.citizen)
    session.commit()
    form = c.get(f"/app/family/minor?face_grant={grant}")
    assert form.status_code == 200 and f'value="{grant}"' in form.text
    csrf = csrf_of(form.text)
    bad = c.post("/app/family/minor", data={"grant_id": grant, "name": "别人家", "id_number": kid.id_number,
                                            "scopes": ["pay_medical"], "csrf": csrf})
    assert bad.status_code == 404 and "没有与该姓名和身份证号码一致的实名用户" in bad.text
    assert kid.id_number not in bad.text  # the ID number is not echoed back
    r = c.post("/app/family/minor", data={"grant_id": grant, "name": kid.name, "id_number": kid.id_number,
                                          "scopes": ["pay_medical"], "csrf": csrf})
    assert r.status_code == 303 and r.headers["location"] == "/app/family?done=minor_linked"
    page = c.get("/app/family").text
    assert "监护" in page and "未成年" in page
