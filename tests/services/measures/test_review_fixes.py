"""Found in review: asking for one agency's measures labelled that agency's figures as the whole
city's (`city`, agency_org_id None). Now `city` is always the whole city and `agencies` the one asked."""

from __future__ import annotations

from sqlalchemy.orm import Session

from onecity.services.measures import service as measures
from tests.identity.orgs.factories import make_org
from tests.services.catalogue.factories import make_item


def test_one_agencys_measures_keep_the_whole_city_beside_them(session: Session) -> None:
    a, b = make_org(session, kind="agency"), make_org(session, kind="agency")
    make_item(session, a, code="a.zero", trips=0)
    make_item(session, b, code="b.one", trips=1)
    make_item(session, b, code="b.two", trips=2, online=True)
    r = measures.measure(session, agency_org_id=a.public_id)
    # The city: 3 services, 1 with zero trips (1000 // 3 = 333 ‰); agency a: 1 of 1 (1000 ‰).
    assert r.city.agency_org_id is None and r.city.services_published == 3
    assert r.city.services_zero_trips.permille == 333
    assert [(m.agency_org_id, m.services_published, m.services_zero_trips.permille) for m in r.agencies] == [
        (a.public_id, 1, 1000)]
    nobody = measures.measure(session, agency_org_id="org_none")
    assert [(m.agency_org_id, m.services_published) for m in nobody.agencies] == [("org_none", 0)]
