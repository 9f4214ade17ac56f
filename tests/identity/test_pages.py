"""The citizen app's account pages, through HTTP (the browser walk-through is in tests/e2e)."""
# ruff: noqa: S106, S107 - test passwords and token kinds are data, not secrets

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from onecity import clock
from onecity.db import transaction
from onecity.identity import sms
from onecity.identity.models import AuthSession, Citizen
from tests.identity.factories import (
    deliver_code,
    fresh_mobile,
    make_citizen,
    make_registry_entry,
    sms_gateway,
)

NOW = datetime(2026, 11, 26, 2, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _setup():
    clock.freeze(NOW)
    yield
    sms.use_sender(None)
    clock.reset()


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert m, "no csrf field in the page"
    return m.group(1)


def _sign_in_through_pages(client, mobile: str) -> None:
    gateway = sms_gateway()
    r = client.post("/app/login", data={"action": "send_code", "mobile": mobile, "next": "/app/profile"})
    assert r.status_code == 200 and 'data-testid="code"' in r.text
    assert mobile[:3] + "****" + mobile[-4:] in r.text
    code = deliver_code(gateway, mobile)
    r = client.post("/app/login", data={"action": "login", "mobile": mobile, "code": code, "next": "/app/profile"},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/app/profile"
    assert "oc_session=" in r.headers["set-cookie"] and "httponly" in r.headers["set-cookie"].lower()


def test_root_redirects_to_the_app(client):
    r = client.get("/", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == "/app"


def test_home_for_visitors_and_tabs(client):
    r = client.get("/app")
    assert r.status_code == 200 and 'lang="zh-CN"' in r.text
    assert "欢迎使用一网通城" in r.text and 'href="/app/login"' in r.text
    for href in ("/app", "/app/cards", "/app/profile", "/app/real-name", "/app/family", "/app/face"):
        assert f'href="{href}"' in r.text
    assert "首页" in r.text and "证照" in r.text and "我的" in r.text
    en = client.get("/app?lang=en")
    assert 'lang="en"' in en.text and "Welcome to OneCity" in en.text and "Cards" in en.text
    assert "lang=en" in en.headers["set-cookie"]


def test_pages_use_nothing_from_the_internet(client):
    for path in ("/app", "/app/login", "/app/login?mode=password"):
        html = client.get(path).text
        assert not re.search(r'(src|href)="(https?:)?//', html), path


def test_signed_out_visitors_are_sent_to_login(client):
    for path in ("/app/profile", "/app/real-name", "/app/cards"):
        r = client.get(path, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"].startswith("/app/login?next=")


def test_sign_up_verify_and_profile_through_pages(client):
    mobile = fresh_mobile()
    _sign_in_through_pages(client, mobile)
    with transaction() as s:
        entry = make_registry_entry(s, name="刘洋")
    page = client.get("/app/real-name")
    assert page.status_code == 200
    csrf = _csrf(page.text)
    bad = client.post("/app/real-name", data={"name": "刘洋", "id_number": "123", "csrf": csrf})
    assert bad.status_code == 422 and "身份证号码应为18位" in bad.text
    r = client.post("/app/real-name", data={"name": "刘洋", "id_number": entry.id_number, "csrf": csrf},
                    follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/app/profile?done=verified"
    profile = client.get("/app/profile?done=verified")
    assert "实名认证成功" in profile.text and 'data-testid="verified-badge"' in profile.text
    assert "刘*" in profile.text and entry.id_number[:4] + "**********" + entry.id_number[-4:] in profile.text
    assert entry.id_number not in profile.text and mobile not in profile.text and "刘洋" not in profile.text
    assert 'href="/app/family"' in profile.text and 'href="/app/face"' in profile.text
    home = client.get("/app")
    assert "您好，刘*" in home.text


def test_real_name_errors_in_english_and_csrf(client):
    _sign_in_through_pages(client, fresh_mobile())
    with transaction() as s:
        entry = make_registry_entry(s, name="赵磊")
    page = client.get("/app/real-name?lang=en")
    csrf = _csrf(page.text)
    r = client.post("/app/real-name", data={"name": "赵雷", "id_number": entry.id_number, "csrf": csrf})
    assert r.status_code == 422 and "do not match a resident" in r.text and 'lang="en"' in r.text
    forged = client.post("/app/real-name", data={"name": "赵磊", "id_number": entry.id_number, "csrf": "0" * 32})
    assert forged.status_code == 403
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(Citizen).where(Citizen.verified_at.is_not(None))) == 0


def test_login_page_errors_change_nothing(client):
    r = client.post("/app/login", data={"action": "send_code", "mobile": "12345"})
    assert r.status_code == 422 and "请输入有效的11位手机号码" in r.text
    mobile = fresh_mobile()
    sms_gateway()
    client.post("/app/login", data={"action": "send_code", "mobile": mobile})
    r = client.post("/app/login", data={"action": "login", "mobile": mobile, "code": "abc"})
    assert r.status_code == 422
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(Citizen)) == 0
        assert s.scalar(select(func.count()).select_from(AuthSession)) == 0


def test_open_redirects_are_refused(client):
    mobile = fresh_mobile()
    gateway = sms_gateway()
    client.post("/app/login", data={"action": "send_code", "mobile": mobile})
    code = deliver_code(gateway, mobile)
    r = client.post("/app/login", data={"action": "login", "mobile": mobile, "code": code,
                                        "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/app"


def test_password_sign_in_page(client):
    with transaction() as s:
        citizen = make_citizen(s, verified=False, password="tiger2026")
        from onecity.identity import service

        mobile = service.citizen_mobile(s, citizen.public_id)
    form = client.get("/app/login?mode=password")
    assert 'data-testid="password"' in form.text
    bad = client.post("/app/login", data={"mode": "password", "mobile": mobile, "password": "nope12345"})
    assert bad.status_code == 401 and "手机号或密码错误" in bad.text
    ok = client.post("/app/login", data={"mode": "password", "mobile": mobile, "password": "tiger2026"},
                     follow_redirects=False)
    assert ok.status_code == 303 and ok.headers["location"] == "/app"


def test_revoke_another_session_and_log_out(client):
    with transaction() as s:
        citizen = make_citizen(s)
        from tests.identity.factories import login_token

        api_token = login_token(s, citizen)
        from onecity.identity import service

        mobile = service.citizen_mobile(s, citizen.public_id)
    _sign_in_through_pages(client, mobile)
    profile = client.get("/app/profile")
    assert profile.text.count('data-testid="session"') == 2
    csrf = _csrf(profile.text)
    with transaction() as s:
        api_session = s.scalars(select(AuthSession).where(AuthSession.credential == "bearer")).one().public_id
    r = client.post(f"/app/sessions/{api_session}/revoke", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/v1/me", headers={"Authorization": f"Bearer {api_token}"}).status_code == 401
    assert client.get("/app/logout").status_code == 200
    out = client.post("/app/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/app?done=signed_out"
    client.cookies.clear()
    assert client.get("/app/profile", follow_redirects=False).status_code == 303
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuthSession).where(AuthSession.revoked_at.is_(None))) == 0


def test_real_name_verification_returns_to_the_page_that_asked_for_it(client, session):
    """A page that needs a verified citizen sends them to /app/real-name?next=…, and back after."""
    from onecity.identity.sessions import create_session
    from tests.identity.factories import make_citizen, make_registry_entry

    citizen = make_citizen(session, verified=False)
    entry = make_registry_entry(session)
    token, _ = create_session(session, kind="citizen", subject_id=citizen.public_id, credential="cookie")
    session.commit()
    client.cookies.set("oc_session", token)
    r = client.get("/app/family", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/app/real-name?next=/app/family"
    page = client.get(r.headers["location"])
    assert 'action="/app/real-name?next=/app/family"' in page.text
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    done = client.post("/app/real-name?next=/app/family", data={
        "name": entry.name, "id_number": entry.id_number, "csrf": csrf}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/app/family"
    evil = client.get("/app/real-name?next=//evil.example/x")
    assert "evil.example" not in evil.text


def test_citizen_sees_who_accessed_their_data(client, session):
    """Real-name verification is audited; the citizen's page lists it, and an org's access by name."""
    import re

    from onecity.audit import service as audit
    from onecity.identity.sessions import create_session
    from tests.identity.factories import make_citizen, make_registry_entry
    from tests.identity.orgs.factories import make_org

    citizen = make_citizen(session, verified=False)
    entry = make_registry_entry(session)
    token, _ = create_session(session, kind="citizen", subject_id=citizen.public_id, credential="cookie")
    hospital = make_org(session, kind="hospital", name="鹏城市第一人民医院")
    session.commit()
    client.cookies.set("oc_session", token)
    before = client.get("/app/access-log").text.count("<li>")  # e.g. the account's creation
    page = client.get("/app/real-name")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    client.post("/app/real-name", data={"name": entry.name, "id_number": entry.id_number, "csrf": csrf})
    audit.record(session, actor=hospital.public_id, action="medinsure.record.read",
                 subject_citizen_id=citizen.public_id, resource="visit", reason="门诊结算")
    session.commit()
    html = client.get("/app/access-log").text
    assert "鹏城市第一人民医院" in html and "门诊结算" in html
    assert html.count("<li>") == before + 2  # the verification and the hospital's read
    assert "access-log-link" in client.get("/app/profile").text
