"""The demo's applications: after the city and its catalogue are seeded, 王芳 has filed the demo
cases (one waiting, one sent back for correction with a reason, one approved at once), and seeding again files nothing twice."""

from __future__ import annotations

from onecity.demo import cast, seed
from onecity.demo import services_applications as demo_applications
from onecity.demo import services_catalogue as demo_catalogue
from onecity.identity import service as identity
from onecity.services.applications import service as applications


def test_the_demo_citizen_has_applications(session):  # type: ignore[no-untyped-def]
    seed.seed(session, residents=40, api_keys=False)
    report = seed.SeedReport(residents=40)
    made = seed.seed_orgs(session, report)
    main = identity.get_citizen_by_mobile(session, cast.MAIN.mobile)
    assert main is not None
    ids = {cast.MAIN.key: main.public_id}
    demo_catalogue.seed(session, report, ids, made)
    demo_applications.seed(session, report, ids, made)
    filed = applications.list_for_citizen(session, citizen_id=main.public_id)
    states = {a.service_code: a.state for a in filed}
    assert states == {"ps.hk.macau.endorse": "submitted", "edu.student.aid": "needs_info",
                      "tax.iit.record": "approved"}, [x for x in report.money if "application" in x]
    demo_applications.seed(session, report, ids, made)
    assert len(applications.list_for_citizen(session, citizen_id=main.public_id)) == len(filed)
