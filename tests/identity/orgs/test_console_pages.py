"""The console's server-rendered pages through HTTP (the browser test is tests/e2e/test_console.py)."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from onecity.crypto.signing import generate_ed25519
from onecity.db import session_factory
from onecity.identity.orgs.models import ApiKey, Org
from tests.identity.factories import login_token, make_citizen
from tests.identity.orgs.factories import DEFAULT_PASSWORD, fresh_uscc, make_admin, make_org, make_staff


def _login(client: TestClient, username: str, password: str = DEFAULT_PASSWORD) -> None:
    r = client.post("/console/login", data={"username": username, "password": password, "next": "/console"},
                    follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"] == "/console"


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert m
    return m.group(1)


def test_anonymous_and_citizens_are_sent_to_the_login(client, session):
    r = client.get("/console/orgs?x=1", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login?next=/console/orgs%3Fx%3D1"
    citizen = make_citizen(session, verified=False)
    token = login_token(session, citizen)
    session.commit()
    r = client.get("/console", headers={"Authorization": f"Bearer {token}"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")


def test_login_page_languages(client):
    zh = client.get("/console/login")
    assert zh.status_code == 200 and "机构控制台登录" in zh.text and 'lang="zh-CN"' in zh.text
    en = client.get("/console/login?lang=en")
    assert "Console sign-in" in en.text and 'lang="en"' in en.text


def test_wrong_password_shows_the_error(client, session):
    org = make_org(session)
    make_staff(session, org, username="shop.owner")
    session.commit()
    r = client.post("/console/login", data={"username": "shop.owner", "password": "nope-nope-nope"})
    assert r.status_code == 401 and "用户名或密码错误" in r.text and 'value="shop.owner"' in r.text


def test_owner_console_shows_org_staff_keys_and_audit(client, session):
    org = make_org(session, kind="pharmacy", name="南山大药房")
    make_staff(session, org, roles=["owner"], username="np.owner", name="林药师")
    make_staff(session, org, roles=["cashier"], username="np.cashier", name="黄收银")
    session.commit()
    _login(client, "np.owner")
    page = client.get("/console")
    assert page.status_code == 200
    html = page.text
    assert "南山大药房" in html and "药店" in html and "林药师" in html and "所有者" in html
    assert "黄收银" in html and "np.cashier" in html  # staff list
    assert 'data-testid="no-keys"' in html and "staff.create" in html  # keys section, audit entries
    # Register a key through the form.
    _, pub = generate_ed25519()
    r = client.post("/console/keys", data={"csrf": _csrf(html), "label": "收银系统", "public_key_pem": pub,
                                           "scopes": ["cashier"]}, follow_redirects=False)
    assert r.status_code == 303, r.text
    app_id = re.search(r"app_id=(app_[0-9A-Z]{26})", r.headers["location"]).group(1)  # type: ignore[union-attr]
    html = client.get(r.headers["location"]).text
    assert f"公钥已登记，应用 ID：{app_id}" in html and "收银系统" in html and "api_key.register" in html
    # Revoke it.
    r = client.post(f"/console/keys/{app_id}/revoke", data={"csrf": _csrf(html)}, follow_redirects=False)
    assert r.status_code == 303
    assert "已吊销" in client.get("/console").text


def test_forms_need_the_csrf_token(client, session):
    org = make_org(session)
    make_staff(session, org, roles=["owner"], username="csrf.owner")
    session.commit()
    _login(client, "csrf.owner")
    _, pub = generate_ed25519()
    r = client.post("/console/keys", data={"csrf": "0" * 32, "label": "x", "public_key_pem": pub})
    assert r.status_code == 403
    with session_factory()() as s:
        assert s.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_bad_key_form_keeps_input_and_changes_nothing(client, session):
    org = make_org(session)
    make_staff(session, org, roles=["developer"], username="dev.one")
    session.commit()
    _login(client, "dev.one")
    csrf = _csrf(client.get("/console").text)
    r = client.post("/console/keys", data={"csrf": csrf, "label": "坏钥匙", "public_key_pem": "not a key"})
    assert r.status_code == 422 and "公钥无效" in r.text and "坏钥匙" in r.text
    with session_factory()() as s:
        assert s.scalar(select(func.count()).select_from(ApiKey)) == 0


def test_cashier_sees_only_themselves(client, session):
    org = make_org(session)
    make_staff(session, org, roles=["cashier"], username="only.cashier", name="小周")
    session.commit()
    _login(client, "only.cashier")
    html = client.get("/console").text
    assert "小周" in html and 'data-testid="staff-card"' not in html and 'data-testid="keys-card"' not in html
    assert 'data-testid="audit-card"' not in html
    assert client.get("/console/orgs").status_code == 403  # signed in, not an admin
    r = client.post("/console/staff", data={"csrf": _csrf(html), "username": "x.y.z", "display_name": "x",
                                            "password": "a-long-passphrase", "roles": ["cashier"]})
    assert r.status_code == 403


def test_owner_adds_staff_in_the_console(client, session):
    org = make_org(session, kind="hospital")
    make_staff(session, org, roles=["owner"], username="hosp.owner")
    session.commit()
    _login(client, "hosp.owner")
    csrf = _csrf(client.get("/console").text)
    r = client.post("/console/staff", data={"csrf": csrf, "username": "nurse.wu", "display_name": "吴护士",
                                            "password": "nurse-password-1", "roles": ["operator", "reviewer"]},
                    follow_redirects=False)
    assert r.status_code == 303
    html = client.get("/console").text
    assert "吴护士" in html and "nurse.wu" in html and "员工已添加" not in html  # notice only after the redirect
    assert "员工已添加" in client.get("/console?done=staff_added").text


def test_admin_lists_and_creates_orgs(client, session):
    make_admin(session)
    admin = make_staff(session, make_org(session, kind="city"), roles=["admin"], username="city.admin")
    make_org(session, kind="transit", name="深圳地铁")
    session.commit()
    assert admin.public_id
    _login(client, "city.admin")
    html = client.get("/console").text
    assert "平台管理员" in html and 'href="/console/orgs"' in html
    html = client.get("/console/orgs").text
    assert "深圳地铁" in html and "公共交通运营方" in html
    csrf = _csrf(html)
    form = {"csrf": csrf, "kind": "insurer", "name_zh": "平安健康保险", "name_en": "Ping An Health",
            "uscc": "9144030071526726XH", "owner_username": "pa.owner", "owner_display_name": "马经理",
            "owner_password": "insurer-pass-01"}
    bad = client.post("/console/orgs", data=form)
    assert bad.status_code == 422 and "统一社会信用代码无效" in bad.text and "平安健康保险" in bad.text
    form["uscc"] = fresh_uscc()
    r = client.post("/console/orgs", data=form, follow_redirects=False)
    assert r.status_code == 303
    html = client.get("/console/orgs?done=org_created&lang=en").text
    assert "Organisation created" in html and "平安健康保险" in html and "Insurer" in html
    with session_factory()() as s:
        assert s.scalar(select(Org.status).where(Org.name_zh == "平安健康保险")) == "active"
        org_id = s.scalar(select(Org.public_id).where(Org.name_zh == "平安健康保险"))
    r = client.post(f"/console/orgs/{org_id}/status", data={"csrf": csrf, "status": "suspended"},
                    follow_redirects=False)
    assert r.status_code == 303
    with session_factory()() as s:
        assert s.scalar(select(Org.status).where(Org.public_id == org_id)) == "suspended"


def test_logout(client, session):
    org = make_org(session)
    make_staff(session, org, username="bye.owner")
    session.commit()
    _login(client, "bye.owner")
    csrf = _csrf(client.get("/console").text)
    r = client.post("/console/logout", data={"csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/console/login?done=signed_out"
    assert client.get("/console", follow_redirects=False).status_code == 303
