"""The demo city's past month of applications (办件历史), so the 一网通办 measures and the agencies'
queues show real figures: some 80 applications over the previous 30 days to the agencies' form
services, by verified residents (the demo family's adults and a dozen residents of the population
registry who get verified accounts here, as `seed_citizens` does for the cast).

Everything goes through the public services (identity, catalogue, applications) with the clock moved
into the past, one step at a time in the order the steps happened: staff of each agency claim and
approve most applications, reject some with a reason, ask for more information on some (most of those
are corrected and approved), record an in-person visit (到现场) on about one in ten; a few are decided
after their due time; about two per agency are left in the queue (one unclaimed, one claimed — some
past due). Deterministic (a fixed random seed, times relative to now).

Idempotent: when an applicant of the history already has an application older than a day, nothing is
made. A step a service refuses (conditions not met, a material not held, a fee the wallet cannot pay)
is skipped: the application stays where it was, or another applicant is tried for a submission.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.authz import Principal
from onecity.credentials import service as credentials
from onecity.credentials import types as credential_types
from onecity.demo import cast, population
from onecity.errors import DomainError
from onecity.identity import service as identity
from onecity.identity.orgs import service as orgs
from onecity.identity.resident_id import make_id_number
from onecity.services.applications import service as applications
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import ServiceItemOut

ACTOR = "demo:seed"
SEED = 20_260_6
DAYS = 30
PER_AGENCY = 8  # applications per agency (11 agencies with form services in the demo catalogue → ~88)
OPEN_PER_AGENCY = 2
RESIDENTS = 12  # generated residents given verified accounts for the history
MOBILE_BASE = 13_900_006_000  # their mobiles: 13900006001, 13900006002, …
# A 1×1 PNG: an upload slot's file (photos, receipts, certificates of health…).
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                    "1f15c4890000000d49444154789c6360000002000100e221bc330000000049454e44ae426082")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"

REJECT_REASONS = ("申请人不符合该事项的申请条件", "所附证明材料与申请信息不一致，无法核实",
                  "同一事项已有办理中的申请，请勿重复提交")
INFO_REASONS = ("请补充上传清晰的证件照片", "请补充近三个月的居住证明材料", "请核对并补充完整的联系地址")
VISIT_NOTE = "申请人到窗口现场核验原件"
NOTES = ("", "工作日白天可电话联系", "请尽快办理，谢谢")


@dataclass
class Case:
    """One application's life: its steps as (offset from submission, what is done)."""

    item: ServiceItemOut
    citizens: list[str]
    at: datetime
    plan: str  # approve, reject, info, info_fixed, open_new, open_claimed
    visit: bool = False
    late: bool = False
    application_id: str | None = None
    citizen_id: str | None = None
    done: list[str] = field(default_factory=list)


def _value(rng: random.Random, key: str, spec: dict[str, Any], today: datetime) -> Any:
    """A plausible value valid for the field's JSON Schema."""
    if "enum" in spec:
        return rng.choice(spec["enum"])
    kind = spec.get("type", "string")
    if kind == "boolean":
        return rng.random() < 0.5
    if kind in ("integer", "number"):
        low, high = int(spec.get("minimum", 1)), int(spec.get("maximum", 1_000_000))
        return rng.randint(max(low, 1), max(min(high, 2_000_000), max(low, 1)))
    if spec.get("format") == "date":
        return (today - timedelta(days=rng.randint(10, 400))).date().isoformat()
    if key == "plate_number":
        return "粤B" + "".join(rng.choice("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789") for _ in range(5))
    if key == "uscc":
        return "91440300" + "".join(rng.choice("0123456789ABCDEFGH") for _ in range(10))
    if key in ("phone", "mobile", "contact_phone"):
        return f"139{rng.randint(10_000_000, 99_999_999)}"
    text = {"address": "深圳市南山区科技园路1号", "reason": "个人办理需要", "note": rng.choice(NOTES)}.get(key, "见附件说明")
    return text[: int(spec.get("maxLength", 200))]


def _form(session: Session, rng: random.Random, citizen_id: str, item: ServiceItemOut) -> dict[str, Any]:
    """The required fields and a few optional ones: the citizen's own data where the item pre-fills it,
    else a value typed in (certificate fields the citizen has not shared are typed in too)."""
    schema = item.form_schema or {}
    props: dict[str, Any] = schema.get("properties") or {}
    required = list(schema.get("required") or [])
    found = applications.prefill(session, citizen_id=citizen_id, service_code=item.code).values
    today = clock.today_local()
    form: dict[str, Any] = {}
    for key, spec in props.items():
        if key in required or rng.random() < 0.5:
            value = found.get(key)
            form[key] = value if value is not None else _value(rng, key, spec or {}, today)
    return {k: v for k, v in form.items() if v != "" or k in required}


def _attachments(session: Session, citizen_id: str, item: ServiceItemOut) -> dict[str, str]:
    out: dict[str, str] = {}
    for m in item.materials:
        if m.kind != "upload" or not m.required:
            continue
        png = not m.accept or "image/png" in m.accept
        a = applications.store_attachment(session, citizen_id=citizen_id, filename=f"{m.key}.{'png' if png else 'pdf'}",
                                          data=PNG if png else PDF)
        out[m.key] = a.id
    return out


# The certificates a history resident holds (with the share of residents holding each), issued by
# the agency registered as its issuer: what the services' materials and conditions ask for.
HELD: tuple[tuple[str, int], ...] = (
    ("resident_id", 100), ("household_register", 100), ("social_security_card", 100),
    ("medical_insurance_card", 100), ("driving_licence", 60), ("vehicle_licence", 40),
    ("professional_qualification", 40), ("disability_certificate", 30), ("marriage_certificate", 50),
    ("business_licence", 40),
)
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
SPOUSES = ("李娟", "陈磊", "刘洋", "黄静", "周杰")


def _uscc(rng: random.Random) -> str:
    """An individual business's unified social credit code (统一社会信用代码) with its GB 32100 check character."""
    body = "92440300" + "".join(rng.choice("0123456789") for _ in range(9))
    total = sum(USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(body))
    return body + USCC_ALPHABET[(31 - total % 31) % 31]
ADDRESSES = ("深圳市南山区桃园路88号", "深圳市福田区红荔路1002号", "深圳市罗湖区东门中路215号",
             "深圳市宝安区新安街道创业二路36号", "深圳市龙岗区龙城大道99号")


def _claims(rng: random.Random, type_id: str, p: population.Resident, today: datetime) -> dict[str, Any]:
    """Plausible claims of every field of the certificate type, for resident `p`."""
    address = rng.choice(ADDRESSES)
    text = {"name": p.name, "owner": p.name, "nationality": "中国", "ethnicity": "汉", "address": address,
            "licence_number": p.id_number, "licence_class": "C1", "relationship_to_head": "户主",
            "birth_place": "广东省深圳市", "native_place": "广东省深圳市", "plate_number": f"粤B{rng.randint(10000, 99999)}",
            "vehicle_type": "小型轿车", "model": "比亚迪牌BYD7152WT6HEVC2", "qualification": "电工",
            "vin": f"LGXCE4CB5N{rng.randint(100000, 999999)}", "engine_number": f"BYD472QA{rng.randint(1000000, 9999999)}",
            "guardian_name": "无", "holder_name": p.name, "spouse_name": rng.choice(SPOUSES),
            "legal_representative": p.name, "entity_type": "个体工商户", "business_scope": "日用百货零售",
            "certificate_number": f"J440304-{rng.randint(2000, 2024)}-{rng.randint(100000, 999999)}"}
    if type_id == "business_licence":
        text["name"] = f"深圳市{p.name}便利店"
    spouse_id = make_id_number("440305", date(p.birth_date.year, 3, 1), rng.randint(10, 499), "M" if p.sex == "F" else "F")
    claims: dict[str, Any] = {}
    for f in credential_types.get_type(type_id).fields:
        if f.type == "enum":
            value: Any = ("男" if p.sex == "M" else "女") if f.name == "gender" and "男" in f.values else f.values[0]
        elif f.type == "id_number":
            value = spouse_id if f.name == "spouse_id_number" else p.id_number
        elif f.type == "uscc":
            value = _uscc(rng)
        elif f.type == "integer":
            value = 100_000
        elif f.type == "date":
            value = (p.birth_date.isoformat() if f.name == "birth_date"
                     else (today + timedelta(days=3650)).date().isoformat() if "until" in f.name
                     else (today - timedelta(days=rng.randint(400, 3000))).date().isoformat())
        elif f.type == "string":
            value = text.get(f.name) or ("深圳市" + f.label.zh if "authority" in f.name
                                         else f"44{rng.randint(10**9, 10**10 - 1)}")
            value = value[: f.max_length] if f.max_length else value
        else:
            continue
        claims[f.name] = value
    return claims


def _certificates(session: Session, rng: random.Random, report: Any, citizen_id: str, p: population.Resident,
                  issuers: dict[str, str]) -> None:
    today = clock.today_local()
    for type_id, percent in HELD:
        issuer_id = issuers.get(type_id)
        if issuer_id is None or rng.randint(1, 100) > percent:
            continue
        try:
            with session.begin_nested():
                credentials.issue_credential(session, issuer_id=issuer_id, type_id=type_id, citizen_id=citizen_id,
                                             claims=_claims(rng, type_id, p, today), actor=ACTOR)
        except DomainError as exc:
            report.problems.append(f"history: {type_id} for {p.name}: {exc.code}")


def _issuers(session: Session, made: dict[str, Any]) -> dict[str, str]:
    """type id → the issuer id of the demo agency that issues it."""
    out: dict[str, str] = {}
    for d in cast.ISSUERS:
        org = made.get(d.username)
        issuer = credentials.issuer_of_org(session, org.public_id) if org is not None else None
        if issuer is not None:
            out.update(dict.fromkeys(d.type_ids, issuer.issuer_id))
    return out


def _residents(session: Session, rng: random.Random, report: Any, made: dict[str, Any]) -> list[str]:
    """Verified accounts for the first adult residents of the generated population found in the registry."""
    ids: list[str] = []
    issuers = _issuers(session, made)
    today = clock.today_local().date()
    people = population.generate(RESIDENTS * 3, taken={c.id_number for c in cast.CITIZENS})
    for p in people:
        if len(ids) >= RESIDENTS:
            break
        age = today.year - p.birth_date.year - ((today.month, today.day) < (p.birth_date.month, p.birth_date.day))
        if age < 18 or p.status != "active" or identity.registry_entry_by_id_number(session, p.id_number) is None:
            continue
        citizen = identity.register_citizen(session, mobile=str(MOBILE_BASE + len(ids) + 1))
        try:
            with session.begin_nested():
                identity.verify_real_name(session, citizen_id=citizen.public_id, name=p.name, id_number=p.id_number,
                                          actor=ACTOR)
        except DomainError as exc:
            report.problems.append(f"history: verify {p.name}: {exc.code}")
            continue
        _certificates(session, rng, report, citizen.public_id, p, issuers)
        ids.append(citizen.public_id)
    return ids


def _already(session: Session, citizens: list[str], now: datetime) -> bool:
    first = identity.get_citizen_by_mobile(session, str(MOBILE_BASE + 1))
    for c in citizens + ([first.public_id] if first is not None else []):
        for a in applications.list_for_citizen(session, citizen_id=c, limit=200):
            if clock.aware(a.submitted_at) < now - timedelta(days=1):
                return True
    return False


def _working_time(rng: random.Random, day: datetime) -> datetime:
    """A moment in the city's office hours (09:00–17:30 local) of that day."""
    local = day.astimezone(clock.CITY_TZ).replace(hour=9, minute=0, second=0, microsecond=0)
    return local + timedelta(minutes=rng.randint(0, 510))


@dataclass
class Applicant:
    citizen_id: str
    held: set[str]  # certificate types held (valid)
    age: int | None
    has_wallet: bool  # the demo family: their wallets can pay a fee


def _applicant(session: Session, citizen_id: str, *, has_wallet: bool) -> Applicant:
    now = clock.now()
    held = {c.type_id for c in credentials.list_for_citizen(session, citizen_id=citizen_id)
            if c.status == "valid" and (c.valid_until is None or clock.aware(c.valid_until) > now)}
    return Applicant(citizen_id, held, identity.citizen_summary(session, citizen_id).age, has_wallet)


def _may_apply(a: Applicant, item: ServiceItemOut) -> bool:
    """The item's conditions and required certificates, as applications will check them at submit."""
    e = item.eligibility
    needed = set(e.certificates) | {m.type_id for m in item.materials if m.kind == "certificate" and m.required
                                    and m.type_id}
    if not needed <= a.held:
        return False
    if a.age is None:
        return e.min_age is None and e.max_age is None
    return (e.min_age is None or a.age >= e.min_age) and (e.max_age is None or a.age <= e.max_age)


def _plans(rng: random.Random, items: list[ServiceItemOut], applicants: list[Applicant], now: datetime) -> list[Case]:
    """Each agency's applications: who applies for what, when, and how it ends."""
    by_agency: dict[str, list[tuple[ServiceItemOut, list[Applicant]]]] = {}
    for i in items:
        able = [a for a in applicants if _may_apply(a, i)]
        if i.fee_fen > 0:
            able = [a for a in able if a.has_wallet]
        if able:
            by_agency.setdefault(i.agency_org_id, []).append((i, able))
    cases: list[Case] = []
    for k, agency in enumerate(sorted(by_agency)):
        offered = by_agency[agency]
        reviewed = [x for x in offered if x[0].workflow != "instant"]
        for n in range(PER_AGENCY):
            item, able = rng.choice(reviewed if reviewed and (n < OPEN_PER_AGENCY or rng.random() < 0.8) else offered)
            order = [a.citizen_id for a in able]
            rng.shuffle(order)
            if n < OPEN_PER_AGENCY and item.workflow != "instant":
                # left in the queue: one waiting to be claimed, one claimed; in every other agency the
                # unclaimed one is past its due time
                overdue = n == 0 and k % 2 == 0
                days_ago = item.time_limit_days + 2 if overdue else 0
                plan = "open_new" if n == 0 else "open_claimed"
            else:
                days_ago = rng.randint(3, DAYS)
                roll = rng.random()
                plan = ("reject" if roll < 0.12 else "info" if roll < 0.16 else "info_fixed" if roll < 0.24
                        else "approve")
            at = _working_time(rng, now - timedelta(days=min(days_ago, DAYS)))
            if at > now - timedelta(hours=3):
                at = now - timedelta(hours=3, minutes=rng.randint(0, 600))
            cases.append(Case(item=item, citizens=order, at=at, plan=plan, visit=rng.random() < 0.1,
                              late=plan == "approve" and rng.random() < 0.12))
    return cases


Step = tuple[datetime, int, Callable[[], None]]


def seed(session: Session, report: Any, ids: dict[str, str], made: dict[str, Any]) -> None:
    now = clock.now()
    family = [ids[c.key] for c in (cast.SPOUSE, cast.PARENT) if c.key in ids]
    if _already(session, family, now):
        report.money.append("history: already there")
        return
    items = [i for i in catalogue.list_items(session) if i.entry == "form" and i.online]
    if not items:
        return
    staff: dict[str, Principal] = {}
    for org_id in {i.agency_org_id for i in items}:
        members = [s for s in orgs.list_staff(session, org_id=org_id) if s.status == "active"]
        if members:
            staff[org_id] = orgs.staff_principal(session, members[0].public_id)
    items = [i for i in items if i.agency_org_id in staff]
    rng = random.Random(SEED)
    try:
        applicants = [_applicant(session, c, has_wallet=True) for c in family]
        applicants += [_applicant(session, c, has_wallet=False) for c in _residents(session, rng, report, made)]
        if not applicants:
            return
        cases = _plans(rng, items, applicants, now)
        steps: list[Step] = []
        problems: list[str] = []
        for n, case in enumerate(cases):
            steps += [(t, n, f) for t, f in _steps(session, rng, case, staff[case.item.agency_org_id], now, problems)]
        steps.sort(key=lambda s: (s[0], s[1]))
        for at, _n, step in steps:
            clock.freeze(at)
            step()
    finally:
        clock.reset()
    filed = [c for c in cases if c.application_id is not None]
    by_state: dict[str, int] = {}
    for c in filed:
        a = applications.get_application(session, application_id=c.application_id or "")
        by_state[a.state] = by_state.get(a.state, 0) + 1
    agencies = {c.item.agency_org_id for c in filed}
    states = ", ".join(f"{k} {v}" for k, v in sorted(by_state.items()))
    report.money.append(f"history: {len(filed)} applications over the past {DAYS} days to {len(agencies)} agencies "
                        f"by {len(applicants)} residents ({states})"
                        + (f"; {len(problems)} steps refused ({', '.join(sorted(set(problems)))[:200]})" if problems else ""))


def _steps(session: Session, rng: random.Random, case: Case, officer: Principal,
           now: datetime, problems: list[str]) -> list[tuple[datetime, Callable[[], None]]]:
    """When and what: submit, claim, a visit, the decision, a correction — in hours after submission."""

    def attempt(what: str, fn: Callable[[], Any]) -> None:
        if case.application_id is None and what != "submit":
            return
        if case.done and case.done[-1] == "failed":
            return
        try:
            with session.begin_nested():
                fn()
            case.done.append(what)
        except DomainError as exc:
            case.done.append("failed")
            problems.append(f"{case.item.code} {what}: {exc.code}")

    def submit() -> None:
        for citizen_id in case.citizens:
            try:
                with session.begin_nested():
                    me = Principal(kind="citizen", id=citizen_id, real_name_verified=True)
                    a = applications.submit(session, citizen_id=citizen_id, service_code=case.item.code,
                                            form=_form(session, rng, citizen_id, case.item),
                                            attachments=_attachments(session, citizen_id, case.item), actor=me)
            except DomainError as exc:
                problems.append(f"{case.item.code} submit: {exc.code}")
                continue
            case.application_id, case.citizen_id = a.id, citizen_id
            return

    def staff(action: str, reason: str | None = None) -> Callable[[], None]:
        def go() -> None:
            attempt(action, lambda: applications.act(session, application_id=case.application_id or "",
                                                     action=action, principal=officer, reason=reason))
        return go

    def decide(action: str, reason: str | None = None) -> Callable[[], None]:
        """Approve (through recommend on a two-step review), reject, or ask for more information."""
        def go() -> None:
            if case.item.workflow == "review_two_step" and action == "approve":
                staff("recommend")()
            staff(action, reason)()
            if case.item.workflow == "review_then_pay" and action == "approve":
                clock.advance(timedelta(hours=rng.randint(1, 20)))
                citizen = Principal(kind="citizen", id=case.citizen_id, real_name_verified=True)
                attempt("pay", lambda: applications.act(session, application_id=case.application_id or "",
                                                        action="pay", principal=citizen))
        return go

    def visit() -> None:
        attempt("visit", lambda: applications.record_visit(session, application_id=case.application_id or "",
                                                           principal=officer, note=VISIT_NOTE))

    def resubmit() -> None:
        citizen = Principal(kind="citizen", id=case.citizen_id, real_name_verified=True)
        attempt("resubmit", lambda: applications.act(
            session, application_id=case.application_id or "", action="resubmit", principal=citizen,
            data={"form": _form(session, rng, case.citizen_id or "", case.item)}))

    at = case.at
    out: list[tuple[datetime, Callable[[], None]]] = [(at, submit)]
    if case.item.workflow == "instant":
        return out
    limit_hours = max(case.item.time_limit_days, 1) * 24
    claim_at = at + timedelta(hours=rng.randint(1, 20), minutes=rng.randint(0, 59))
    if case.plan == "open_new":
        return out
    out.append((claim_at, staff("claim")))
    if case.visit:
        out.append((claim_at + timedelta(hours=rng.randint(1, 6)), visit))
    if case.plan == "open_claimed":
        return out
    span = (limit_hours + rng.randint(24, 60) if case.late
            else rng.randint(2, max(3, limit_hours * 2 // 3)))
    decided = min(claim_at + timedelta(hours=span, minutes=rng.randint(0, 59)), now - timedelta(minutes=30))
    if case.plan == "reject":
        out.append((decided, decide("reject", rng.choice(REJECT_REASONS))))
    elif case.plan in ("info", "info_fixed"):
        out.append((decided, decide("request_info", rng.choice(INFO_REASONS))))
        if case.plan == "info_fixed":
            fixed = min(decided + timedelta(hours=rng.randint(4, 48)), now - timedelta(minutes=20))
            out.append((fixed, resubmit))
            out.append((min(fixed + timedelta(hours=1), now - timedelta(minutes=15)), staff("claim")))
            out.append((min(fixed + timedelta(hours=rng.randint(2, 30)), now - timedelta(minutes=10)),
                        decide("approve")))
    else:
        out.append((decided, decide("approve")))
    return out
