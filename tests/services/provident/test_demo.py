"""The demo seed for the provident fund: the centre, the items and the cast's accounts, idempotent."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy.orm import Session

from onecity.demo import cast, services_provident
from onecity.services.catalogue import service as catalogue
from onecity.services.provident import service
from tests.identity.family.factories import person
from tests.identity.orgs.factories import make_org


def test_seed_makes_the_accounts_once(session: Session) -> None:
    made = {"housing-fund": make_org(session, kind="agency"), "pc-hospital": make_org(session, kind="hospital"),
            "metro": make_org(session, kind="transit"), "nanshan-tcm": make_org(session, kind="hospital")}
    ids = {c.key: person(session).id for c in (cast.MAIN, cast.SPOUSE, cast.PARENT)}
    report = SimpleNamespace(money=[])
    services_provident.seed(session, report, ids, made)
    wang = service.get_account(session, citizen_id=ids["main"])
    assert (wang.balance_fen, wang.continuous_months, wang.status) == (8_640_000, 24, "normal")  # 24 × 3,600.00
    assert service.get_account(session, citizen_id=ids["spouse"]).balance_fen == 7_200_000  # 30 × 2,400.00
    father = service.get_account(session, citizen_id=ids["parent"])
    assert (father.balance_fen, father.status, father.last_month) == (2_160_000, "sealed", "2018-10")  # 36 × 600.00
    assert catalogue.get_item(session, code="hpf.withdraw.rent").status == "published"
    assert service.centre_org_id(session) == made["housing-fund"].public_id
    lines = len(report.money)
    services_provident.seed(session, report, ids, made)
    assert len(report.money) == lines  # nothing new
    assert service.get_account(session, citizen_id=ids["main"]).balance_fen == 8_640_000
