"""`onecity seed`: create the demo city through the modules' own services (never their tables).

What it makes (see `cast` for the people and organisations, `population` for the registry):
- the population registry (人口库), `residents` entries: the demo cast plus generated residents;
- the demo citizens' accounts (mobile + password), real-name verified against the registry except
  the newcomer, and the family links a browser-free seed can make (spouse, elderly parent: invite
  and accept). The minor is not linked: a parent links a child only after a face verification
  (`family.link_minor` consumes a face grant, made only from live camera frames), so that is left
  for the demo itself — 王芳's registry photo is the portrait the fake camera can show;
- the organisations of every kind, each with an owner's console login, and (except the city) an
  Ed25519 API key whose private half is written to `<key dir>/demo-orgs/<username>.key`.

Idempotent: everything is looked up before it is made, so a second run changes nothing and says so.
One transaction: the city appears whole or not at all.

Glossary: 演示城市 demo city · 人口库 population registry · 实名认证 real-name verification ·
亲情账户 family link · 机构 organisation · 应用密钥 API key.
"""

from __future__ import annotations

import csv
import importlib
import io
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import partial
from pathlib import Path
from typing import TypeVar

from cryptography.hazmat.primitives import serialization
from sqlalchemy.orm import Session

from onecity import clock
from onecity.config import get_settings
from onecity.crypto.signing import generate_ed25519
from onecity.demo import cast, population
from onecity.errors import DomainError
from onecity.identity import service as identity
from onecity.identity.family import service as family
from onecity.identity.orgs import service as orgs
from onecity.identity.resident_id import age_on, parse_id_number
from onecity.identity.schemas import RegistryLoadReport, RegistryRow

ACTOR = "cli:seed"
DEFAULT_RESIDENTS = 1200
REFERENCE_PHOTO = Path(__file__).parent / "data" / "reference.jpg"
KEY_LABEL = "演示密钥 demo key"
KEYS_SUBDIR = "demo-orgs"

T = TypeVar("T")


@dataclass
class SeedReport:
    """What one run did; `changed` is False when the city was already there."""

    residents: int = 0
    registry: RegistryLoadReport = field(default_factory=RegistryLoadReport)
    ages: dict[str, int] = field(default_factory=dict)
    citizens_created: int = 0
    passwords_set: int = 0
    verified: int = 0
    links_made: list[str] = field(default_factory=list)
    links_present: list[str] = field(default_factory=list)
    minor_linked: bool = False
    orgs_created: int = 0
    orgs_by_kind: dict[str, int] = field(default_factory=dict)
    staff_created: int = 0
    keys_registered: int = 0
    key_dir: Path | None = None
    apps: list[tuple[str, str, str, str]] = field(default_factory=list)  # (name, kind, app id, key file)
    problems: list[str] = field(default_factory=list)
    money: list[str] = field(default_factory=list)  # wallets, merchant profiles, the gateway app
    credentials_issued: int = 0  # issuers registered and certificates issued by `seed_credentials`

    @property
    def changed(self) -> bool:
        return bool(self.registry.created or self.registry.updated or self.citizens_created or self.passwords_set
                    or self.verified or self.links_made or self.orgs_created or self.staff_created
                    or self.keys_registered or self.credentials_issued)

    def lines(self) -> list[str]:
        r = self.registry
        kinds = ", ".join(f"{k} {n}" for k, n in self.orgs_by_kind.items())
        out = [
            f"Demo city {get_settings().city_name}: " + ("seeded." if self.changed else
                                                          "already seeded — nothing changed."),
            f"  population registry: {self.residents} residents (created {r.created}, updated {r.updated}, "
            f"unchanged {r.unchanged}, rejected {len(r.rejected)}); ages "
            + ", ".join(f"{band}: {n}" for band, n in self.ages.items()),
            f"  demo citizens: {len(cast.CITIZENS)} (created {self.citizens_created}, passwords set "
            f"{self.passwords_set}, newly verified {self.verified})",
            "  family links: " + "; ".join(
                [f"{x} (made)" for x in self.links_made] + [f"{x} (already linked)" for x in self.links_present]
            ),
            f"  {cast.CHILD.name} (minor): " + ("linked to her mother." if self.minor_linked else
                                              "not linked — a parent links a child only after face verification: "
                                              f"sign in as {cast.MAIN.mobile} and add her under 亲情账户"),
            f"  organisations: {sum(self.orgs_by_kind.values())} (created {self.orgs_created}; {kinds}); "
            f"staff logins created {self.staff_created}",
        ]
        if self.key_dir is not None:
            out.append(f"  API keys: {len(self.apps)} (registered {self.keys_registered}); private keys and "
                       f"apps.csv in {self.key_dir}")
        out += [f"  {line}" for line in self.money]
        out += [f"  problem: {p}" for p in self.problems]
        return out


# --- the steps ------------------------------------------------------------------------------------

def _attempt(session: Session, report: SeedReport, what: str, step: Callable[[], T]) -> T | None:
    """Run a step that depends on state a demo user may have changed (a verification, a link, a
    username); when the platform refuses it, note why and go on with the rest of the city."""
    try:
        with session.begin_nested():
            return step()
    except DomainError as exc:
        report.problems.append(f"{what}: {exc.code}")
        return None


def registry_rows(residents: int, *, seed: int = population.DEFAULT_SEED) -> list[RegistryRow]:
    """The registry as the city hands it over: the demo cast first, then generated residents."""
    if residents < len(cast.CITIZENS):
        raise ValueError(f"the registry needs at least {len(cast.CITIZENS)} residents (the demo cast)")
    photo = REFERENCE_PHOTO.read_bytes()
    rows = [RegistryRow(name=c.name, id_number=c.id_number, photo=photo if c.photo else None)
            for c in cast.CITIZENS]
    generated = population.generate(residents - len(cast.CITIZENS), seed=seed,
                                     taken={c.id_number for c in cast.CITIZENS})
    rows += [RegistryRow(name=p.name, id_number=p.id_number, status=p.status) for p in generated]
    return rows


def _age_bands(rows: list[RegistryRow]) -> dict[str, int]:
    today = clock.today_local().date()
    bands = {"0-17": 0, "18-59": 0, "60+": 0}
    for row in rows:
        age = age_on(parse_id_number(row.id_number).birth_date, today)
        bands["0-17" if age < 18 else "18-59" if age < 60 else "60+"] += 1
    return bands


def seed_citizens(session: Session, report: SeedReport) -> dict[str, str]:
    """The demo accounts, by cast key → citizen public id."""
    ids: dict[str, str] = {}
    for c in cast.CITIZENS:
        citizen = identity.get_citizen_by_mobile(session, c.mobile)
        if citizen is None:
            citizen = identity.register_citizen(session, mobile=c.mobile)
            report.citizens_created += 1
        ids[c.key] = citizen.public_id
        profile = identity.citizen_profile(session, citizen.public_id)
        if not profile.has_password:
            identity.set_password(session, citizen_id=citizen.public_id, password=cast.CITIZEN_PASSWORD)
            report.passwords_set += 1
        if c.verified and not profile.verified:
            done = _attempt(session, report, f"verify {c.name}", partial(
                identity.verify_real_name, session, citizen_id=citizen.public_id, name=c.name,
                id_number=c.id_number, actor=ACTOR))
            report.verified += done is not None
    return ids


def seed_links(session: Session, report: SeedReport, ids: dict[str, str]) -> None:
    """Spouse and parent: an invitation by mobile, accepted by the relative. The minor is left for the
    demo (a parent links a child with a face-verification grant, which only live frames produce)."""
    for link in cast.LINKS:
        inviter, invitee = ids[link.inviter.key], ids[link.invitee.key]
        label = f"{link.inviter.name} ↔ {link.invitee.name} ({link.relation})"
        if any(x.other is not None and x.other.citizen_id == invitee for x in family.list_links(session, inviter)):
            report.links_present.append(label)
            continue

        if _attempt(session, report, f"link {label}", partial(_link, session, link, inviter, invitee)):
            report.links_made.append(label)
    report.minor_linked = any(x.other is not None and x.other.citizen_id == ids[cast.CHILD.key]
                              for x in family.list_links(session, ids[cast.MAIN.key]))


def _link(session: Session, link: cast.DemoLink, inviter: str, invitee: str) -> bool:
    """Accept the inviter's invitation waiting for the invitee, or invite and accept."""
    waiting = [x for x in family.list_invitations(session, invitee).received
               if x.other is not None and x.other.citizen_id == inviter]
    link_id = waiting[0].id if waiting else family.invite(
        session, inviter_id=inviter, relation=link.relation, mobile=link.invitee.mobile,
        scopes=link.scopes, offered_scopes=link.offered_scopes).id
    family.accept(session, citizen_id=invitee, link_id=link_id)
    return True


def _all_orgs(session: Session) -> list[orgs.Org]:
    found: list[orgs.Org] = []
    after: str | None = None
    while True:
        page, after = orgs.list_orgs(session, after=after, limit=200)
        found += page
        if after is None:
            return found


def seed_orgs(session: Session, report: SeedReport) -> dict[str, orgs.Org]:
    """The organisations (by username of their demo owner) and their owners' console logins."""
    existing = {o.uscc: o for o in _all_orgs(session)}
    made: dict[str, orgs.Org] = {}
    for d in cast.ORGS:
        org = existing.get(d.uscc)
        if org is None and d.kind == "city":
            org = orgs.city_org(session)  # the operator made the city another way: staff it
        if org is None:
            created = _attempt(session, report, f"create {d.name_zh}", partial(
                orgs.create_org_with_owner, session, kind=d.kind, name_zh=d.name_zh, name_en=d.name_en,
                uscc_code=d.uscc, owner_username=d.username, owner_display_name=d.staff_name,
                owner_password=cast.STAFF_PASSWORD, actor=ACTOR))
            if created is None:
                continue
            org = created[0]
            report.orgs_created += 1
            report.staff_created += 1
        elif d.username not in {s.username for s in orgs.list_staff(session, org_id=org.public_id)}:
            added = _attempt(session, report, f"add staff {d.username}", partial(
                orgs.add_staff, session, org_id=org.public_id, username=d.username, display_name=d.staff_name,
                password=cast.STAFF_PASSWORD, roles=["owner"], actor=ACTOR))
            report.staff_created += added is not None
        made[d.username] = org
        report.orgs_by_kind[d.kind] = report.orgs_by_kind.get(d.kind, 0) + 1
    return made


def _public_pem(private_pem: str) -> str:
    key = serialization.load_pem_private_key(private_pem.encode(), password=None)
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _write_private(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)


def seed_api_keys(session: Session, report: SeedReport, made: dict[str, orgs.Org], key_dir: Path) -> None:
    """One signing key per organisation but the city: the private key in `key_dir/<username>.key`,
    the public one registered with the organisation. A key file already registered is reused."""
    report.key_dir = key_dir
    for d in cast.ORGS:
        org = made.get(d.username)
        if d.kind == "city" or org is None:
            continue
        path = key_dir / f"{d.username}.key"
        registered = {k.public_key_pem.strip(): k for k in orgs.list_api_keys(session, org_id=org.public_id)
                      if k.status == "active"}
        private = path.read_text() if path.exists() else None
        key = registered.get(_public_pem(private).strip()) if private else None
        if key is None:
            if private is None:
                private, _ = generate_ed25519()
                _write_private(path, private)
            key = _attempt(session, report, f"API key of {d.name_zh}", partial(
                orgs.register_api_key, session, org_id=org.public_id, public_key_pem=_public_pem(private),
                label=KEY_LABEL, actor=ACTOR))
            if key is None:
                continue
            report.keys_registered += 1
        report.apps.append((d.name_zh, d.kind, key.app_id, str(path)))
    listing = io.StringIO()
    writer = csv.writer(listing, lineterminator="\n")
    writer.writerow(["org", "kind", "app_id", "private_key"])
    writer.writerows(report.apps)
    apps_csv = key_dir / "apps.csv"
    if not apps_csv.exists() or apps_csv.read_text(encoding="utf-8") != listing.getvalue():
        key_dir.mkdir(parents=True, exist_ok=True)
        apps_csv.write_text(listing.getvalue(), encoding="utf-8")


def seed(session: Session, *, residents: int = DEFAULT_RESIDENTS, seed: int = population.DEFAULT_SEED,
         key_dir: Path | None = None, api_keys: bool = True) -> SeedReport:
    """Create (or confirm) the whole demo city in the caller's transaction."""
    report = SeedReport(residents=residents)
    rows = registry_rows(residents, seed=seed)
    report.registry = identity.load_registry(session, rows)
    report.ages = _age_bands(rows)
    ids = seed_citizens(session, report)
    seed_links(session, report, ids)
    made = seed_orgs(session, report)
    key_dir = key_dir or get_settings().key_dir / KEYS_SUBDIR
    if api_keys:
        seed_api_keys(session, report, made, key_dir)
    seed_money(session, report, ids, made, key_dir)
    seed_medinsure(session, report, ids, made)
    seed_transit(session, report, ids, made)
    seed_credentials(session, report, ids, made, key_dir)
    seed_services(session, report, ids, made)
    return report


# The city services' demo data, in dependency order: the catalogue first (every other area's service
# items), then each area's records, then sample applications, then a past month of them.
SERVICES_AREAS = ("catalogue", "provident", "traffic", "taxes", "bills", "applications", "history")


def seed_services(session: Session, report: SeedReport, ids: dict[str, str], made: dict[str, orgs.Org]) -> None:
    """City services (一网通办): the catalogue of the demo city's services across its agencies and
    billers, provident-fund accounts with contribution history, vehicles, violations and fines,
    tax assessments, utility accounts with bills, applications in the agencies' queues, and a past
    month of applications decided by the agencies' staff (what the zero-trip measures are computed from)."""
    for area in SERVICES_AREAS:
        importlib.import_module(f"onecity.demo.services_{area}").seed(session, report, ids, made)


def seed_transit(session: Session, report: SeedReport, ids: dict[str, str], made: dict[str, orgs.Org]) -> None:
    """Transit: the demo fare system, 鹏城地铁 (metro) and 鹏城公交 (buses) as its operators, the
    verified adult demo citizens as riders, and three days of rides for the main demo citizen (trip
    history, the operators' taps, trips and revenue per day)."""
    from onecity.transit.service import demo as transit_demo

    metro, bus = made.get("metro"), made.get("bus-group")
    riders = [ids[c.key] for c in (cast.MAIN, cast.SPOUSE, cast.PARENT) if c.verified and c.key in ids]
    report.money += transit_demo.seed_demo(session, metro_org_id=metro.public_id if metro else None,
                                           bus_org_id=bus.public_id if bus else None, citizen_ids=riders)
    if metro is not None and ids.get(cast.MAIN.key) in riders:
        report.money += transit_demo.seed_demo_rides(session, citizen_id=ids[cast.MAIN.key],
                                                     metro_org_id=metro.public_id,
                                                     bus_org_id=bus.public_id if bus else None)


def seed_medinsure(session: Session, report: SeedReport, ids: dict[str, str], made: dict[str, orgs.Org]) -> None:
    """Medical insurance: the policies, the first two hospitals (levels 3 and 2) and the pharmacies
    designated, and the verified adults enrolled with personal-account money (王芳 may pay her father's
    bills from hers: she holds pay_medical over him)."""
    from onecity.medinsure import service as medinsure

    hospitals = [made[d.username].public_id for d in cast.ORGS if d.kind == "hospital" and d.username in made]
    pharmacies = [made[d.username].public_id for d in cast.ORGS if d.kind == "pharmacy" and d.username in made]
    insured = [(ids[cast.MAIN.key], "employee", False, 80_000), (ids[cast.SPOUSE.key], "employee", False, 50_000),
               (ids[cast.PARENT.key], "employee", True, 30_000), (ids[cast.CHILD.key], "resident", False, 0)]
    report.money += medinsure.seed_city(session, hospitals=list(zip(hospitals[:2], (3, 2), strict=False)),
                                        pharmacies=pharmacies, insured=insured, actor=ACTOR)
    report.money += seed_commercial_and_pay_later(session, ids, made)


def seed_commercial_and_pay_later(session: Session, ids: dict[str, str], made: dict[str, orgs.Org]) -> list[str]:
    """医保、商保一站付 in the demo: 鹏安健康 sells a city supplementary health product (80 % of the
    within-policy self-pay above ¥500 a year, up to ¥1,000,000) and 王芳 holds a policy for this year;
    the city lets 王芳 and 张伟 treat first and pay later (先诊后付)."""
    from onecity.medinsure.commercial import service as commercial
    from onecity.medinsure.paylater import service as paylater

    done: list[str] = []
    insurer = made.get("pengan-health")
    if insurer is not None:
        product = next((p for p in commercial.list_products(session, insurer_org_id=insurer.public_id)
                        if p.code == "PC-HUIMIN-2026"), None)
        if product is None:
            product = commercial.define_product(
                session, insurer_org_id=insurer.public_id, code="PC-HUIMIN-2026", name_zh="鹏城惠民保",
                name_en="Pengcheng Huiminbao", ratio_bp=8_000, deductible_fen=50_000,
                annual_limit_fen=100_000_000, actor=ACTOR)
            done.append(f"commercial product {product.product_id} (鹏城惠民保) by pengan-health")
        today = clock.now().date()
        commercial.issue_policy(session, insurer_org_id=insurer.public_id, citizen_id=ids[cast.MAIN.key],
                                product_id=product.product_id, start=date(today.year, 1, 1),
                                end=date(today.year, 12, 31), policy_no=f"PA-DEMO-{today.year}-0001", actor=ACTOR)
    for person in (cast.MAIN, cast.SPOUSE):
        if not paylater.eligible(session, citizen_id=ids[person.key]):
            paylater.allow(session, citizen_id=ids[person.key], allowed=True, actor=ACTOR)
            done.append(f"pay later allowed for {person.name}")
    return done


def seed_money(session: Session, report: SeedReport, ids: dict[str, str], made: dict[str, orgs.Org],
               key_dir: Path) -> None:
    """Wallets (a bound card and a ¥2,000 top-up the worker completes), each merchant's trade profile
    with a settlement account, and a gateway app for the first merchant whose RSA private key is
    written to `key_dir/<username>-gateway.pem` (for alipay-sdk-python, see the README)."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from onecity.gateway import service as gateway
    from onecity.payments.trade import service as trade
    from onecity.payments.wallet import service as wallet

    report.money = wallet.seed_demo_wallets(session, [ids[c.key] for c in cast.CITIZENS if c.verified])
    for i, d in enumerate(d for d in cast.ORGS if d.kind == "merchant"):
        org = made.get(d.username)
        if org is None:
            continue
        profile = trade.get_profile(session, org.public_id)
        if profile.bank_account_masked is None:
            trade.update_profile(session, merchant_id=org.public_id, actor=ACTOR,
                                 bank_account=f"62148301000{i:05d}", holder_name=d.name_zh)
        if i == 0 and not gateway.list_apps(session, merchant_id=org.public_id):
            key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
            public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                                   serialization.PublicFormat.SubjectPublicKeyInfo).decode()
            app = gateway.register_app(session, merchant_id=org.public_id, name=f"{d.name_zh} 收银台",
                                       rsa_public_pem=public, notify_url=None, actor=ACTOR)
            _write_private(key_dir / f"{d.username}-gateway.pem", private)
            report.money.append(f"gateway app {app.app_id} for {d.name_zh}: private key "
                                f"{key_dir / (d.username + '-gateway.pem')}")


def _demo_certificates() -> list[tuple[cast.DemoCitizen, str, dict[str, str]]]:
    """(holder, type, claims) of the certificates issued to the demo family, waiting to be claimed."""
    main, spouse = cast.MAIN, cast.SPOUSE
    police = "深圳市公安局交通警察支队"
    licence = {"name": main.name, "gender": "女", "nationality": "中国", "address": "深圳市福田区莲花北村12栋502",
               "birth_date": main.birth_date.isoformat(), "first_issue_date": "2012-08-20",
               "licence_number": main.id_number, "licence_class": "C1", "valid_from": "2022-08-20",
               "valid_until": "2032-08-20", "issuing_authority": police, "file_number": "440300123456"}
    marriage = {"certificate_number": "J440304-2013-004512", "registration_date": "2013-10-01",
                "issuing_authority": "深圳市福田区民政局"}
    return [
        (main, "driving_licence", licence),
        (main, "vehicle_licence", {
            "plate_number": "粤BD12345", "vehicle_type": "小型轿车", "owner": main.name,
            "address": licence["address"], "use_character": "非营运", "model": "比亚迪牌BYD7152WT6HEVC2",
            "vin": "LGXCE4CB5N0123456", "engine_number": "BYD472QA2203456", "register_date": "2022-09-01",
            "issue_date": "2022-09-01", "issuing_authority": police, "inspection_valid_until": "2028-09-30"}),
        (main, "social_security_card", {
            "name": main.name, "id_number": main.id_number, "card_number": "S44030012345A",
            "issue_date": "2021-03-15", "valid_until": "2031-03-15", "issuing_authority": "深圳市人力资源和社会保障局"}),
        (main, "marriage_certificate", dict(marriage, holder_name=main.name, holder_id_number=main.id_number,
                                            spouse_name=spouse.name, spouse_id_number=spouse.id_number)),
        (main, "medical_insurance_card", {
            "name": main.name, "id_number": main.id_number, "insured_number": "440300000123456",
            "insurance_type": "职工基本医疗保险", "insured_region": "440300", "enrolled_since": "2012-07-01"}),
        (spouse, "marriage_certificate", dict(marriage, holder_name=spouse.name, holder_id_number=spouse.id_number,
                                              spouse_name=main.name, spouse_id_number=main.id_number)),
    ]


REPLACED_CLASS = "C2"  # 王芳's first driving licence, replaced (增驾换证) by the C1 one: revoked
VERIFIER_CACHE = "verifier-cache"


def seed_credentials(session: Session, report: SeedReport, ids: dict[str, str], made: dict[str, orgs.Org],
                     key_dir: Path) -> None:
    """Electronic certificates (电子证照): the agencies of `cast.ISSUERS` registered as issuers (one with
    SM2 keys), the demo family's certificates issued and waiting to be claimed — 王芳's first driving
    licence (class C2) re-issued as C1, so the old one is revoked with its reason — and the platform's
    trust list and the issuers' status lists written to `key_dir/verifier-cache` for `onecity verify`.
    A type a citizen already holds (in any status) is not issued again."""
    from onecity.credentials import platform_key
    from onecity.credentials import service as credentials
    from onecity.credentials.jose import b64url_encode

    city = get_settings().city_code
    issuer_of: dict[str, str] = {}  # type id -> issuer id
    registered = 0
    for d in cast.ISSUERS:
        org = made.get(d.username)
        if org is None:
            continue
        issuer = credentials.issuer_of_org(session, org.public_id)
        if issuer is None:
            issuer = _attempt(session, report, f"issuer {org.name_zh}", partial(
                credentials.register_issuer, session, org_id=org.public_id, name=org.name_zh, region=city,
                alg=d.alg, actor=ACTOR))
            if issuer is None:
                continue
            registered += 1
        issuer_of.update(dict.fromkeys(d.type_ids, issuer.issuer_id))
    issued = revoked = 0
    held: dict[str, set[str]] = {}  # citizen id -> the types they held before this run
    for holder, type_id, claims in _demo_certificates():
        citizen_id, issuer_id = ids.get(holder.key), issuer_of.get(type_id)
        if citizen_id is None or issuer_id is None:
            continue
        if citizen_id not in held:
            held[citizen_id] = {c.type_id for c in credentials.list_for_citizen(session, citizen_id=citizen_id)}
        if type_id in held[citizen_id]:
            continue
        if type_id == "driving_licence":  # the first licence, then its replacement
            old = credentials.issue_credential(session, issuer_id=issuer_id, type_id=type_id, citizen_id=citizen_id,
                                               claims=dict(claims, licence_class=REPLACED_CLASS), actor=ACTOR)
            credentials.reissue_credential(session, issuer_id=issuer_id, credential_id=old.credential_id,
                                           claims=claims, actor=ACTOR,
                                           reason="增驾换证：准驾车型 C2 → C1 (class upgraded, licence replaced)")
            revoked += 1
        else:
            credentials.issue_credential(session, issuer_id=issuer_id, type_id=type_id, claims=claims,
                                         citizen_id=citizen_id, actor=ACTOR)
        issued += 1
    cache = key_dir / VERIFIER_CACHE
    (cache / "status").mkdir(parents=True, exist_ok=True)
    (cache / "trust-list.jwt").write_text(credentials.build_trust_list(
        session, scope=city, recognised=credentials.recognised_lists(session)) + "\n")
    (cache / "platform.pub").write_text(b64url_encode(platform_key.platform_public()) + "\n")
    for issuer in credentials.list_issuers(session, scope=city):
        if issuer.alg in credentials.jose_algs():
            (cache / "status" / f"{issuer.issuer_id}.jwt").write_text(
                credentials.publish_status_list(session, issuer_id=issuer.issuer_id) + "\n")
        else:
            (cache / "status" / f"{issuer.issuer_id}.cwt").write_bytes(
                credentials.publish_status_list(session, issuer_id=issuer.issuer_id, form="cwt"))
    report.money.append(f"certificates: {len(set(issuer_of.values()))} issuers (registered "
                        f"{registered}), {issued} certificates issued and waiting to be claimed, {revoked} "
                        f"revoked (re-issued); trust list and status lists for `onecity verify` in {cache}")
    report.credentials_issued += issued + revoked + registered


def seed_demo_city(residents: int = DEFAULT_RESIDENTS) -> list[str]:
    """The `onecity seed` command: seed in one transaction and describe what happened."""
    from onecity.db import transaction

    with transaction() as session:
        report = seed(session, residents=residents)
    return report.lines()


def demo_logins() -> list[str]:
    """How to sign in as the demo people (printed by `onecity demo`)."""
    today = clock.today_local().date()
    out = [f"citizens (mobile / password {cast.CITIZEN_PASSWORD}, at /app):"]
    for c in cast.CITIZENS:
        line = f"  {c.mobile} / {cast.CITIZEN_PASSWORD}  {c.name}, {age_on(c.birth_date, today)}: {c.role}"
        if not c.verified:
            line += f" — name {c.name}, ID number {c.id_number}"
        out.append(line)
    out.append(f"staff (username / password {cast.STAFF_PASSWORD}, at /console):")
    width = max(len(d.username) for d in cast.ORGS)
    for d in cast.ORGS:
        out.append(f"  {d.username:<{width}} / {cast.STAFF_PASSWORD}  {d.name_zh} ({d.kind}"
                   + (", platform admin)" if d.kind == "city" else ")"))
    out.append(f"certificate issuers (username / password {cast.STAFF_PASSWORD}, at /console/credentials):")
    for i in cast.ISSUERS:
        out.append(f"  {i.username:<{width}} / {cast.STAFF_PASSWORD}  {i.alg:5} " + ", ".join(i.type_ids))
    return out
