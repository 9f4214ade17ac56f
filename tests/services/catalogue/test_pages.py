"""The citizen's services home, search and detail pages, and the administrators' catalogue editor."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onecity.services.catalogue import service
from tests.console_steps import csrf_of
from tests.identity.orgs.factories import DEFAULT_PASSWORD, make_admin, make_org, make_staff
from tests.services.catalogue.factories import FORM, make_item


def console(app: Any, username: str) -> TestClient:
    c = TestClient(app, base_url="http://testserver", follow_redirects=False)
    r = c.post("/console/login", data={"username": username, "password": DEFAULT_PASSWORD, "next": "/console"})
    assert r.status_code == 303, r.text
    return c


def by_testid(html: str, testid: str) -> list[str]:
    return re.findall(rf'data-testid="{testid}"[^>]*>([^<]*)<', html)


def _seed(session: Session) -> Any:
    hpf = make_org(session, kind="agency", name="深圳市住房公积金管理中心")
    make_item(session, hpf, code="hpf.withdraw.rent", category="provident", recommended=True,
              name=("住房公积金租房提取", "Provident fund withdrawal for rent"), entry="page",
              entry_url="/app/services/provident/withdraw", form_schema=None, prefill={})
    make_item(session, hpf, code="hpf.certificate", category="provident", trips=1, fee_fen=500,
              time_limit_days=3, name=("住房公积金缴存证明", "Provident fund contribution certificate"),
              materials=[{"kind": "certificate", "key": "id", "type_id": "resident_id",
                          "name": {"zh": "居民身份证", "en": "Resident ID"}}])
    session.commit()
    return hpf


def test_home_search_and_detail(client: TestClient, session: Session) -> None:
    _seed(session)
    home = client.get("/app/services")
    assert home.status_code == 200
    assert 'data-code="provident"' in home.text and 'data-testid="recommended"' in home.text
    assert "零跑动" in home.text
    cat = client.get("/app/services?category=provident")
    assert cat.text.count('data-testid="service-link"') >= 2
    found = client.get("/app/services/search", params={"q": "公积金 提取"})
    assert re.findall(r'data-testid="service-link" data-code="([^"]+)"', found.text) == ["hpf.withdraw.rent"]
    nothing = client.get("/app/services/search", params={"q": "xyzzy"})
    assert 'data-testid="results-empty"' in nothing.text
    page = client.get("/app/services/item/hpf.withdraw.rent")
    assert by_testid(page.text, "service-name") == ["住房公积金租房提取"]
    assert 'href="/app/services/provident/withdraw" data-testid="service-apply"' in page.text
    other = client.get("/app/services/item/hpf.certificate?lang=en")
    assert by_testid(other.text, "service-fee") == ["¥5.00"] and "At most one trip" in other.text
    assert 'href="/app/services/apply/hpf.certificate"' in other.text
    assert "Resident ID" in other.text and "3 calendar days" in other.text
    missing = client.get("/app/services/item/no.such")
    assert missing.status_code == 404


def test_search_too_long_shows_an_error(client: TestClient) -> None:
    r = client.get("/app/services/search", params={"q": "x" * 101})
    assert r.status_code == 422 and 'data-testid="error"' in r.text


def _form(agency: str, **kw: str) -> dict[str, str]:
    import json

    data = {"code": "civil.marriage.record", "city_code": "", "agency_org_id": agency, "category": "civil",
            "name_zh": "婚姻登记记录证明", "name_en": "Marriage registration record", "description_zh": "开具婚姻登记记录证明。",
            "description_en": "A certificate of the marriage records.", "fee": "0", "time_limit_days": "1",
            "trips": "0", "workflow": "review_one_step", "entry": "form", "entry_url": "", "online": "on",
            "keywords": "婚姻, 证明", "form_schema": json.dumps(FORM), "prefill": '{"name": "profile.name"}',
            "materials": "[]", "eligibility": "{}", "on_approve": "[]"}
    data.update(kw)
    return data


def test_admin_editor_round_trip(app: Any, session: Session) -> None:
    agency = make_org(session, kind="agency", name="深圳市民政局")
    admin = make_admin(session)
    session.commit()
    c = console(app, admin.username)
    agency_id = agency.public_id
    session.rollback()  # SQLite: every transaction takes the write lock, so the test holds none
    new = c.get("/console/services/catalogue/new")
    assert new.status_code == 200
    token = csrf_of(new.text)
    # a broken form schema: shown, nothing saved
    bad = c.post("/console/services/catalogue/new",
                 data={**_form(agency_id, form_schema='{"type": "object", "properties": {"x": {"type": 5}}}',
                               prefill="{}"), "csrf": token})
    assert bad.status_code == 422 and 'data-testid="error"' in bad.text and "JSON Schema" in bad.text
    not_json = c.post("/console/services/catalogue/new", data={**_form(agency_id, materials="[oops"), "csrf": token})
    assert not_json.status_code == 422 and "materials" in not_json.text
    negative = c.post("/console/services/catalogue/new", data={**_form(agency_id, fee="-1.00"), "csrf": token})
    assert negative.status_code == 422 and "fee_fen" in negative.text
    session.rollback()
    assert service.list_items(session, published_only=False) == []
    session.rollback()
    # created, then published
    ok = c.post("/console/services/catalogue/new", data={**_form(agency_id), "csrf": token})
    assert ok.status_code == 303, ok.text
    editor = c.get(ok.headers["location"])
    assert "婚姻登记记录证明" in editor.text and 'data-testid="editor-publish"' in editor.text
    pub = c.post("/console/services/catalogue/item/civil.marriage.record/publish", data={"csrf": token, "city_code": "440300"})
    assert pub.status_code == 303
    session.rollback()
    assert service.get_item(session, code="civil.marriage.record").status == "published"
    session.rollback()
    # edited: a new draft version, the published one still live
    edit = c.post("/console/services/catalogue/item/civil.marriage.record",
                  data={**_form(agency_id, fee="12.50", city_code="440300"), "csrf": token})
    assert edit.status_code == 303
    session.rollback()
    assert service.get_item(session, code="civil.marriage.record").fee_fen == 0
    assert service.get_item(session, code="civil.marriage.record", latest=True).fee_fen == 1250
    session.rollback()
    listing = c.get("/console/services/catalogue")
    assert 'data-code="civil.marriage.record" data-status="draft"' in listing.text
    # a bad CSRF token changes nothing
    forged = c.post("/console/services/catalogue/item/civil.marriage.record/publish", data={"csrf": "x"})
    assert forged.status_code == 403
    measures = c.get("/console/services/measures")
    assert measures.status_code == 200 and 'data-testid="measures-city"' in measures.text


def test_agency_staff_cannot_open_the_editor(app: Any, session: Session) -> None:
    agency = make_org(session, kind="agency")
    staff = make_staff(session, agency, roles=["owner"])
    session.commit()
    c = console(app, staff.username)
    assert c.get("/console/services/catalogue").status_code == 403
    assert c.get("/console/services/measures").status_code == 403
