"""The agency console hub (/console/services): each demo-like organisation's staff see exactly the
consoles their organisation has and their roles open; the console nav links it; every link opens."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onecity.authz import Principal
from onecity.identity.orgs.models import Org
from onecity.services.applications.pages import console as applications_pages
from onecity.services.bills import pages as bills_pages
from onecity.services.hub import service as hub
from onecity.services.provident.pages import console as provident_pages
from onecity.services.taxes import pages as taxes_pages
from onecity.services.traffic import pages as traffic_pages
from tests.console_steps import console_login
from tests.identity.orgs.factories import make_org, make_staff
from tests.services.bills.factories import make_biller
from tests.services.provident.factories import make_centre
from tests.services.taxes.factories import make_bureau
from tests.services.traffic.factories import make_traffic


def _links(html: str) -> list[str]:
    return re.findall(r'data-testid="hub-([a-z]+)"', html)


def _orgs(session: Session) -> dict[str, Org]:
    """Like the demo's: traffic police, tax bureau, fund centre, an agency without its own console
    (human resources), a water biller, a merchant."""
    from sqlalchemy import select

    from onecity.identity.orgs.models import Org as OrgModel

    biller_id = make_biller(session, "water")
    return {
        "traffic-police": make_traffic(session).org,
        "tax-bureau": make_bureau(session).org,
        "housing-fund": make_centre(session),
        "hrss": make_org(session, kind="agency", name="深圳市人力资源和社会保障局"),
        "water-group": session.scalars(select(OrgModel).where(OrgModel.public_id == biller_id)).one(),
        "merchant": make_org(session, kind="merchant"),
    }


EXPECTED = {
    "traffic-police": ["applications", "traffic"],
    "tax-bureau": ["applications", "taxes"],
    "housing-fund": ["applications", "provident"],
    "hrss": ["applications"],
    "water-group": ["bills"],
    "merchant": [],
}


def test_each_organisation_sees_exactly_its_consoles(client: TestClient, session: Session) -> None:
    orgs = _orgs(session)
    users = {key: make_staff(session, org, roles=("owner",)).username for key, org in orgs.items()}
    session.commit()
    for key, username in users.items():
        client.cookies.clear()
        console_login(client, username, next="/console/services")
        page = client.get("/console/services")
        assert page.status_code == 200, (key, page.text)
        assert _links(page.text) == EXPECTED[key], key
        if not EXPECTED[key]:
            assert 'data-testid="services-hub-empty"' in page.text
        for console in EXPECTED[key]:  # no dead ends: each console opens for this member
            assert client.get(f"/console/services/{console}").status_code == 200, (key, console)
        home = client.get("/console").text  # the console nav links the hub for agencies and billers
        assert ('href="/console/services" data-testid="nav-services"' in home) == (key != "merchant"), key
    en = client.get("/console/services?lang=en")
    assert en.status_code == 200 and "City services" in en.text


def test_roles_that_cannot_open_a_console_do_not_see_it(session: Session) -> None:
    orgs = _orgs(session)
    def seen(key: str, *roles: str) -> list[str]:
        p = Principal(kind="staff", id="stf_x", org_id=orgs[key].public_id, roles=frozenset(roles))
        return [c.key for c in hub.consoles_for(session, principal=p)]

    assert seen("housing-fund", "developer") == ["provident"]  # read-only fund console, no queue
    assert seen("traffic-police", "developer") == []
    assert seen("water-group", "finance") == ["bills"]
    assert seen("tax-bureau", "reviewer") == ["applications", "taxes"]
    admin = Principal(kind="admin", id="adm_x")
    assert hub.consoles_for(session, principal=admin) == []


@pytest.mark.parametrize(("key", "guard"), [
    ("applications", applications_pages.STAFF), ("traffic", traffic_pages.STAFF), ("taxes", taxes_pages.STAFF),
    ("provident", provident_pages.READ), ("bills", bills_pages.STAFF),
])
def test_the_role_sets_mirror_the_consoles_guards(key: str, guard: Any) -> None:
    assert hub.CONSOLE_ROLES[key] == guard.roles


def test_visitors_are_sent_to_the_console_login(client: TestClient) -> None:
    r = client.get("/console/services", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/console/login")
