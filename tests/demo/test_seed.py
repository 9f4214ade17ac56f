"""`onecity seed` on the database under test: a 60-resident city, used through the real API."""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import func, select

from onecity import clock, db
from onecity.config import get_settings
from onecity.crypto.fields import decrypt_str
from onecity.db import transaction
from onecity.demo import cast, seed
from onecity.identity import service as identity
from onecity.identity.models import PopulationRegistryEntry
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs import uscc
from onecity.identity.orgs.signatures import sign_request
from onecity.identity.resident_id import is_valid_id_number
from tests.conftest import _wipe

RESIDENTS = 60


@dataclass
class City:
    report: seed.SeedReport
    key_dir: Path


@pytest.fixture(scope="module")
def first_run(database: str) -> City:
    _wipe()
    clock.reset()
    key_dir = get_settings().key_dir / seed.KEYS_SUBDIR
    shutil.rmtree(key_dir, ignore_errors=True)
    with transaction() as s:
        report = seed.seed(s, residents=RESIDENTS)
    return City(report, key_dir)


@pytest.fixture
def city(first_run: City) -> City:
    """The module's seeded city. Every other test module wipes the database before each test, so if
    one ran in between (pytest-xdist interleaves modules), the city is gone: seed it again."""
    with transaction() as s:
        present = identity.get_citizen_by_mobile(s, cast.MAIN.mobile) is not None
    if not present:
        _wipe()
        with transaction() as s:
            seed.seed(s, residents=RESIDENTS)
    return first_run


def _snapshot() -> dict[str, list[str]]:
    """Every row of every table, to compare before and after."""
    from onecity.migrate import import_all_models

    import_all_models()
    with db.engine().connect() as conn:
        return {t.name: sorted(repr(tuple(r)) for r in conn.execute(select(t)))
                for t in db.Base.metadata.sorted_tables}


def _printed_login(pattern: str) -> tuple[str, str]:
    for line in seed.demo_logins():
        m = re.search(pattern, line)
        if m:
            return m.group(1), m.group(2)
    raise AssertionError(f"no printed login matches {pattern!r}")


def test_the_first_run_reports_what_it_made(city):
    r = city.report
    assert r.changed and not r.problems
    assert (r.registry.created, r.registry.updated, r.registry.rejected) == (RESIDENTS, 0, [])
    assert (r.citizens_created, r.passwords_set, r.verified) == (5, 5, 4)
    assert len(r.links_made) == 2 and not r.minor_linked
    assert r.orgs_created == len(cast.ORGS) == r.staff_created
    assert r.keys_registered == len(cast.ORGS) - 1
    lines = r.lines()
    assert "seeded." in lines[0]
    assert any(f"{RESIDENTS} residents" in line for line in lines)


def test_registry_holds_the_residents_with_valid_id_numbers(city, session):
    rows = session.scalars(select(PopulationRegistryEntry)).all()
    assert len(rows) == RESIDENTS
    numbers = [decrypt_str(r.id_number_enc, purpose=identity.ENC_REGISTRY_ID_NUMBER) for r in rows]
    assert all(is_valid_id_number(n) for n in numbers)
    assert len(set(numbers)) == RESIDENTS
    assert {c.id_number for c in cast.CITIZENS} <= set(numbers)
    with_photo = [n for r, n in zip(rows, numbers, strict=True) if r.photo_enc is not None]
    assert with_photo == [cast.MAIN.id_number]
    ages = city.report.ages
    assert sum(ages.values()) == RESIDENTS and all(ages[b] > 0 for b in ("0-17", "18-59", "60+"))


def test_every_kind_of_organisation_is_there_with_a_valid_code(city, session):
    found, _ = orgs.list_orgs(session, limit=200)
    assert {o.kind for o in found} == set(orgs.ORG_KINDS)
    assert {o.uscc for o in found} == {d.uscc for d in cast.ORGS}
    assert all(uscc.is_valid(o.uscc) for o in found)
    assert {o.name_zh for o in found} >= {"深圳市政务服务数据管理局", "鹏城便利店", "鹏城市第一人民医院", "鹏城地铁"}


def test_the_main_demo_citizen_signs_in_with_the_printed_password(city, client):
    mobile, password = _printed_login(r"(1\d{10}) / (\S+)\s+王芳")
    r = client.post("/v1/auth/login", json={"mobile": mobile, "password": password})
    assert r.status_code == 200, r.text
    headers = {"Authorization": f"Bearer {r.json()['token']}"}
    me = client.get("/v1/me", headers=headers).json()
    assert me["verified"] is True and me["masked_name"] == "王*" and me["sex"] == "F"
    assert me["region_code"] == "440304"
    links = client.get("/v1/family/links", headers=headers)
    assert links.status_code == 200, links.text
    relations = sorted(x["relation"] for x in links.json()["links"])
    assert relations == ["parent", "spouse"]


def test_the_child_and_the_parent_are_verified_the_newcomer_is_not(city, session):
    for c in cast.CITIZENS:
        citizen = identity.get_citizen_by_mobile(session, c.mobile)
        assert citizen is not None
        summary = identity.citizen_summary(session, citizen.public_id)
        assert summary.verified is c.verified, c.name
    child = identity.get_citizen_by_mobile(session, cast.CHILD.mobile)
    assert child is not None and identity.citizen_summary(session, child.public_id).is_minor is True


def test_the_newcomer_verifies_with_the_printed_name_and_id_number(city, client):
    line = next(x for x in seed.demo_logins() if "NOT verified" in x)
    m = re.search(r"(1\d{10}) / (\S+).*name (\S+), ID number ([0-9X]{18})", line)
    assert m, line
    mobile, password, name, id_number = m.groups()
    token = client.post("/v1/auth/login", json={"mobile": mobile, "password": password}).json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/v1/me", headers=headers).json()["verified"] is False
    r = client.post("/v1/me/real-name", json={"name": name, "id_number": id_number}, headers=headers)
    assert r.status_code == 200, r.text
    assert r.json()["verified"] is True


@pytest.mark.parametrize(("username", "kind"), [("city-admin", "admin"), ("pengcheng-store", "staff"),
                                                ("metro", "staff")])
def test_staff_sign_in_through_the_console_api(city, client, username, kind):
    user, password = _printed_login(rf"({re.escape(username)})\s+/ (\S+)")
    r = client.post("/v1/console/login", json={"username": user, "password": password})
    assert r.status_code == 200, r.text
    assert r.json()["principal_kind"] == kind
    me = client.get("/v1/orgs/me", headers={"Authorization": f"Bearer {r.json()['token']}"})
    assert me.status_code == 200, me.text
    expected = next(d for d in cast.ORGS if d.username == username)
    assert me.json()["org"]["name_zh"] == expected.name_zh


def test_the_written_api_keys_sign_requests_as_their_organisation(city, client):
    with (city.key_dir / "apps.csv").open(encoding="utf-8") as f:
        apps = list(csv.DictReader(f))
    assert len(apps) == len(cast.ORGS) - 1
    assert (Path(apps[0]["private_key"]).stat().st_mode & 0o777) == 0o600
    for app in (apps[0], next(a for a in apps if a["kind"] == "hospital")):
        private = Path(app["private_key"]).read_text()
        headers = sign_request(private, app["app_id"], "GET", "/v1/orgs/me", b"")
        r = client.get("/v1/orgs/me", headers=headers)
        assert r.status_code == 200, r.text
        assert r.json()["org"]["name_zh"] == app["org"]


def test_the_main_citizen_has_a_reference_photo_for_face_verification(city, session):
    from onecity.identity.face import service as face

    main = identity.get_citizen_by_mobile(session, cast.MAIN.mobile)
    spouse = identity.get_citizen_by_mobile(session, cast.SPOUSE.mobile)
    assert main is not None and spouse is not None
    challenge = face.create_challenge(session, citizen_id=main.public_id, act="family.link_minor")
    assert challenge.steps[0] == "center"
    with pytest.raises(face.FaceNoReference):
        face.create_challenge(session, citizen_id=spouse.public_id, act="family.link_minor")
    session.rollback()


def test_running_again_changes_nothing_and_says_so(city):
    before = _snapshot()
    apps_before = (city.key_dir / "apps.csv").read_bytes()
    lines = seed.seed_demo_city(residents=RESIDENTS)  # the `onecity seed` entry point
    assert "nothing changed" in lines[0], lines
    assert not any("problem" in line for line in lines), lines
    assert _snapshot() == before
    assert (city.key_dir / "apps.csv").read_bytes() == apps_before


def test_a_larger_registry_adds_only_the_new_residents(city, session):
    report = seed.seed(session, residents=RESIDENTS + 15)
    assert (report.registry.created, report.registry.unchanged) == (15, RESIDENTS)
    assert report.orgs_created == report.citizens_created == report.keys_registered == 0
    assert session.scalar(select(func.count()).select_from(PopulationRegistryEntry)) == RESIDENTS + 15
    session.rollback()


def test_a_registry_smaller_than_the_cast_is_refused(session):
    with pytest.raises(ValueError, match="at least"):
        seed.seed(session, residents=len(cast.CITIZENS) - 1)


# --- electronic certificates (seed_credentials) -----------------------------------------------------

def _citizen_id(session, who: cast.DemoCitizen) -> str:
    citizen = identity.get_citizen_by_mobile(session, who.mobile)
    assert citizen is not None
    return citizen.public_id


def test_the_agencies_are_issuers_one_with_sm2_keys(city, session):
    from onecity.credentials import service as credentials

    by_user = {d.username: d for d in cast.ORGS}
    algs = {}
    for i in cast.ISSUERS:
        org = next(o for o in seed._all_orgs(session) if o.uscc == by_user[i.username].uscc)
        issuer = credentials.issuer_of_org(session, org.public_id)
        assert issuer is not None and issuer.name == org.name_zh and issuer.region == "440300", i
        assert credentials.active_key(session, issuer_id=issuer.issuer_id).alg == i.alg
        algs[i.username] = issuer.alg
    assert len(algs) == len(cast.ISSUERS) == 9 and list(algs.values()).count("SM2") == 1
    covered = {t for i in cast.ISSUERS for t in i.type_ids}
    assert covered == {"resident_id", "household_register", "driving_licence", "vehicle_licence",
                       "marriage_certificate", "divorce_certificate", "social_security_card",
                       "medical_insurance_card", "student_card", "business_licence", "disability_certificate",
                       "professional_qualification"}  # all 12 types have an issuer in the demo city


def test_the_family_has_certificates_to_claim_and_one_revoked(city, session):
    from onecity.credentials import service as credentials
    from onecity.credentials.service import claims

    main, spouse = _citizen_id(session, cast.MAIN), _citizen_id(session, cast.SPOUSE)
    waiting = claims.claimable(session, citizen_id=main)
    assert sorted(c.type_id for c in waiting) == ["driving_licence", "marriage_certificate",
                                                  "medical_insurance_card", "social_security_card",
                                                  "vehicle_licence"]
    assert [c.type_id for c in claims.claimable(session, citizen_id=spouse)] == ["marriage_certificate"]
    issued = credentials.list_for_citizen(session, citizen_id=main)
    assert sorted(c.status for c in issued) == ["revoked"] + ["valid"] * 5
    old = next(c for c in issued if c.status == "revoked")
    new = next(c for c in waiting if c.type_id == "driving_licence")
    assert old.type_id == "driving_licence" and old.replaced_by == new.credential_id
    assert old.status_reason is not None and "C2 → C1" in old.status_reason
    detail = claims.claimable_detail(session, citizen_id=main, credential_id=new.credential_id)
    assert detail.claims is not None and detail.claims["licence_class"] == "C1"
    assert detail.claims["licence_number"] == cast.MAIN.id_number
    marriage = next(c for c in waiting if c.type_id == "marriage_certificate")
    m = claims.claimable_detail(session, citizen_id=main, credential_id=marriage.credential_id).claims
    assert m is not None and (m["holder_name"], m["spouse_name"]) == (cast.MAIN.name, cast.SPOUSE.name)
    session.rollback()


def test_the_written_verifier_cache_verifies_a_seeded_licence_offline(city, session):
    from onecity.credentials import algorithms, presentation, verifier
    from onecity.credentials import service as credentials
    from onecity.credentials.service import claims

    v = verifier.Verifier.from_dir(city.key_dir / seed.VERIFIER_CACHE)
    listed = {i.issuer_id for i in v.trust.root.issuers}
    assert len(listed) == len(cast.ISSUERS)
    main = _citizen_id(session, cast.MAIN)
    licence = next(c for c in claims.claimable(session, citizen_id=main) if c.type_id == "driving_licence")
    assert licence.issuer_id in listed
    status_files = sorted(p.suffix for p in (city.key_dir / seed.VERIFIER_CACHE / "status").iterdir())
    assert status_files == [".cwt"] + [".jwt"] * 8  # the SM2 issuer publishes the CWT form only
    holder = algorithms.generate("EdDSA")
    cert = credentials.signed_certificate(session, credential_id=licence.credential_id, holder_public=holder.public,
                                          holder_alg="EdDSA")
    text = presentation.present(cert, holder_alg="EdDSA", holder_private=holder.private, holder_public=holder.public,
                                now=int(clock.now().timestamp()))
    verdict = v.verify(text)
    assert verdict.ok and verdict.status_checked, verdict
    assert verdict.issuer == licence.issuer_id and len(text) <= 700
    print(f"\nseeded driving licence, full QR (Python): {len(text)} characters")
    card = next(c for c in claims.claimable(session, citizen_id=main) if c.type_id == "medical_insurance_card")
    assert credentials.get_issuer(session, card.issuer_id).alg == "SM2"
    cert = credentials.signed_certificate(session, credential_id=card.credential_id, holder_public=holder.public,
                                          holder_alg="EdDSA")
    sm2 = v.verify(presentation.present(cert, holder_alg="EdDSA", holder_private=holder.private,
                                        holder_public=holder.public, now=int(clock.now().timestamp())))
    assert sm2.ok and sm2.status_checked and sm2.issuer == card.issuer_id, sm2  # its status list: the CWT file
    session.rollback()


def test_the_printed_issuer_login_opens_the_certificates_console(city, client):
    user, password = _printed_login(r"^\s+(traffic-police)\s+/ (\S+)\s+EdDSA")
    r = client.post("/console/login", data={"username": user, "password": password,
                                            "next": "/console/credentials"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get("/console/credentials")
    assert page.status_code == 200 and "深圳市公安局交通警察支队" in page.text
    revoked = client.get("/console/credentials?status=revoked")
    assert revoked.status_code == 200 and revoked.text.count('data-testid="credential-row"') == 1
    r = client.post("/v1/console/login", json={"username": user, "password": password})
    issued = client.get("/v1/issuer/credentials", headers={"Authorization": f"Bearer {r.json()['token']}"})
    assert issued.status_code == 200, issued.text
    pairs = [(c["type_id"], c["status"]) for c in issued.json()]
    # 王芳's revoked and re-issued licence and her vehicle licence, besides the licences of the residents
    # in the city services' past month (onecity/demo/services_history.py), all valid
    assert pairs.count(("driving_licence", "revoked")) == 1
    assert {("driving_licence", "valid"), ("vehicle_licence", "valid")} <= set(pairs)
    assert {status for _, status in pairs} == {"valid", "revoked"}


# --- transit (seed_transit) -------------------------------------------------------------------------

def test_the_main_citizen_has_three_days_of_rides_priced_for_the_operators(city, session):
    from datetime import timedelta

    from onecity.transit import service as transit

    main = _citizen_id(session, cast.MAIN)
    today = clock.today_local().date()
    days = [today - timedelta(days=n) for n in (3, 2, 1)]
    trips = transit.trips(session, rider_ref=transit.rider(session, main).rider_ref, since=days[0], until=today)
    by_day = {d.service_day: d for d in trips.days}
    assert sorted(by_day) == days and trips.open_legs == []
    # ¥2 + ¥2 + (¥2 bus − ¥1 transfer) · ¥3 + ¥3 · ¥4 + ¥4 + (¥2 − ¥1): worked out in transit.service.demo
    assert [(by_day[d].fares, len(by_day[d].legs)) for d in days] == [(500, 3), (600, 2), (900, 3)]
    assert all(by_day[d].charged == by_day[d].fares for d in days)  # priced at seed time
    assert sum(leg.transfer for d in days for leg in by_day[d].legs) == 2
    metro, bus = (next(o for o in seed._all_orgs(session) if o.uscc == d.uscc).public_id
                  for d in cast.ORGS if d.username in ("metro", "bus-group"))
    revenue = transit.revenue(session, operator_org_id=metro, since=days[0], until=today)
    assert sorted((r.service_day, r.taps, r.fares) for r in revenue) == [(days[0], 4, 400), (days[1], 4, 600),
                                                                          (days[2], 4, 800)]
    assert all(r.paid + r.due == r.fares and r.failed == 0 for r in revenue)
    bus_revenue = transit.revenue(session, operator_org_id=bus, since=days[0], until=today)
    assert sorted((r.service_day, r.taps, r.fares) for r in bus_revenue) == [(days[0], 1, 100), (days[2], 1, 100)]
    assert not transit.rider_summary(session, main).in_arrears
    session.rollback()


def test_the_main_citizen_has_health_insurance_a_commercial_policy_and_pay_later(city, session):
    from onecity.medinsure import service as medinsure
    from onecity.medinsure.commercial import service as commercial
    from onecity.medinsure.paylater import service as paylater

    main, spouse, parent, child = (_citizen_id(session, c) for c in (cast.MAIN, cast.SPOUSE, cast.PARENT, cast.CHILD))
    assert [(medinsure.get_insured(session, citizen_id=c).scheme, medinsure.get_insured(session, citizen_id=c).retiree)
            for c in (main, spouse, parent, child)] == [("employee", False), ("employee", False), ("employee", True),
                                                         ("resident", False)]
    policies = commercial.policies_of_citizen(session, citizen_id=main)
    assert [p.policy_no for p in policies] == [f"PA-DEMO-{clock.now().year}-0001"]
    assert commercial.covers_for(session, citizen_id=main, on=clock.now().date())  # active today
    assert paylater.eligible(session, citizen_id=main) and paylater.eligible(session, citizen_id=spouse)
    assert not paylater.eligible(session, citizen_id=parent)
    session.rollback()
