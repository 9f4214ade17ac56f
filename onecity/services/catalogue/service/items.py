"""Service items (事项) and their categories: create, edit (a new version once published), publish,
retire, read and list; popularity.

Rules kept here:
- A code is unique within a city; its versions are numbered 1, 2, …; at most one version of a code
  is `published` in a city. Publishing a draft retires the version it replaces.
- Editing a draft changes it in place; editing a published or retired item adds a new draft version
  (the published one stays what citizens see until the new one is published).
- An item is refused whole, and nothing is written, when any field is wrong: its agency must be an
  active organisation of kind agency or biller, its workflow a shipped one, its form a valid JSON
  Schema (draft 2020-12) whose properties the pre-fill names, its fee not negative.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError
from sqlalchemy import func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.identity.orgs import service as orgs
from onecity.services.catalogue.models import SvcCategory, SvcItem, SvcItemUse
from onecity.services.catalogue.schemas import (
    CategoryOut,
    Eligibility,
    I18n,
    ItemVersionOut,
    Material,
    ServiceItemIn,
    ServiceItemOut,
)
from onecity.services.catalogue.service import segment
from onecity.services.catalogue.service.errors import (
    AgencyInvalid,
    CatalogueItemExists,
    CatalogueItemInvalid,
    CatalogueItemNotFound,
    CategoryUnknown,
    FormSchemaInvalid,
    StatusConflict,
    WorkflowUnknown,
)

PUBLISHED_TOPIC = "services.catalogue.published"
RETIRED_TOPIC = "services.catalogue.retired"
AGENCY_KINDS = ("agency", "biller")
UPLOAD_TYPES = frozenset({"application/pdf", "image/jpeg", "image/png"})
MAX_UPLOAD_BYTES = 20 * 1024 * 1024
MAX_TRIPS = 2  # 2 means "more than one"
PROFILE_FIELDS = frozenset({"name", "id_number_masked", "phone"})
_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{1,79}\Z")  # \Z: "$" would let a final newline in
_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}\Z")
_CLAIM_REF = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*\Z")
# A path on this site (whole string): "/" not followed by "/" or a backslash (browsers read "/\x" as
# "//x", another site), and no backslash, space or control character anywhere.
_SITE_PATH = re.compile(r"/(?![/\\])[^\s\\\x00-\x1f\x7f]*")


def city(city_code: str | None) -> str:
    return city_code or get_settings().city_code


def _actor_name(actor: Principal | str) -> str:
    if isinstance(actor, Principal):
        return actor.id or actor.kind
    return actor


# --- categories -----------------------------------------------------------------------------------

@cache
def default_categories() -> tuple[dict[str, Any], ...]:
    raw = (resources.files("onecity.services.catalogue") / "data" / "categories.json").read_text(encoding="utf-8")
    return tuple(json.loads(raw))


def _category_row(session: Session, code: str) -> SvcCategory:
    """The category (a shipped default one is added on first use)."""
    row = session.scalars(select(SvcCategory).where(SvcCategory.code == code)).one_or_none()
    if row is not None:
        return row
    for c in default_categories():
        if c["code"] == code:
            row = SvcCategory(code=code, name_zh=c["name"]["zh"], name_en=c["name"]["en"], icon=c["icon"],
                              sort_order=c["order"])
            session.add(row)
            session.flush()
            return row
    raise CategoryUnknown(detail=f"category {code!r}")


def ensure_categories(session: Session) -> None:
    """Add the shipped categories that are missing (idempotent)."""
    for c in default_categories():
        _category_row(session, c["code"])


def list_categories(session: Session, *, city_code: str | None = None) -> list[CategoryOut]:
    """Every category with the number of services published in it for the city (shipped ones included)."""
    counts = dict(session.execute(
        select(SvcItem.category, func.count()).where(SvcItem.city_code == city(city_code),
                                                     SvcItem.status == "published").group_by(SvcItem.category)
    ).all())
    rows = {r.code: r for r in session.scalars(select(SvcCategory))}
    out = [CategoryOut(code=r.code, name=I18n(zh=r.name_zh, en=r.name_en), icon=r.icon, order=r.sort_order,
                       count=counts.get(r.code, 0)) for r in rows.values()]
    out += [CategoryOut(code=c["code"], name=I18n(**c["name"]), icon=c["icon"], order=c["order"],
                        count=counts.get(c["code"], 0)) for c in default_categories() if c["code"] not in rows]
    return sorted(out, key=lambda c: (c.order, c.code))


def get_category(session: Session, *, code: str) -> CategoryOut:
    for c in list_categories(session):
        if c.code == code:
            return c
    raise CategoryUnknown(detail=f"category {code!r}")


# --- validation -----------------------------------------------------------------------------------

def _problems(item: ServiceItemIn) -> list[str]:
    """Field-level problems (everything except the look-ups: agency, workflow, category, schema)."""
    p: list[str] = []
    if not _CODE.match(item.code):
        p.append("code: 2-80 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit")
    for label, text in (("name", item.name), ("description", item.description)):
        if not text.zh.strip() or not text.en.strip():
            p.append(f"{label}: both zh and en are required")
    if len(item.name.zh) > 120 or len(item.name.en) > 200:
        p.append("name: at most 120 (zh) / 200 (en) characters")
    if item.fee_fen < 0:
        p.append("fee_fen: must not be negative")
    if item.fee_fen > 10**9:
        p.append("fee_fen: too large")
    if item.currency != "CNY":
        p.append("currency: only CNY")
    if not 0 <= item.time_limit_days <= 365:
        p.append("time_limit_days: 0-365 calendar days")
    if not 0 <= item.trips <= MAX_TRIPS:
        p.append("trips: 0, 1 or 2 (2 = more than one)")
    if item.trips == 0 and not item.online:
        p.append("trips: a service that is not online needs at least one trip")
    if item.entry == "page":
        if not item.entry_url or not _SITE_PATH.fullmatch(item.entry_url):
            p.append("entry_url: a dedicated page needs a path on this site, e.g. /app/services/provident")
        elif len(item.entry_url) > 200:
            p.append("entry_url: at most 200 characters")
    elif item.form_schema is None:
        p.append("form_schema: a service with entry 'form' needs a form (JSON Schema)")
    elif item.entry_url:
        p.append("entry_url: only for entry 'page'")
    e = item.eligibility
    if (e.min_age is not None and e.min_age < 0) or (e.max_age is not None and e.max_age < 0):
        p.append("eligibility: ages must not be negative")
    if e.min_age is not None and e.max_age is not None and e.min_age > e.max_age:
        p.append("eligibility: min_age is above max_age")
    keys: set[str] = set()
    for i, m in enumerate(item.materials):
        where = f"materials[{i}]"
        if not _KEY.match(m.key):
            p.append(f"{where}.key: a-z, 0-9 and '_', starting with a letter")
        if m.key in keys:
            p.append(f"{where}.key: {m.key!r} is used twice")
        keys.add(m.key)
        if not m.name.zh.strip() or not m.name.en.strip():
            p.append(f"{where}.name: both zh and en are required")
        if m.kind == "certificate":
            if not m.type_id:
                p.append(f"{where}.type_id: a certificate material names its certificate type")
            if m.accept or m.max_bytes is not None:
                p.append(f"{where}: accept and max_bytes are for uploads")
        else:
            if not m.accept or not set(m.accept) <= UPLOAD_TYPES:
                p.append(f"{where}.accept: one or more of {', '.join(sorted(UPLOAD_TYPES))}")
            if m.max_bytes is not None and not 0 < m.max_bytes <= MAX_UPLOAD_BYTES:
                p.append(f"{where}.max_bytes: 1 to {MAX_UPLOAD_BYTES} bytes")
            if m.type_id:
                p.append(f"{where}.type_id: only for certificates")
    props = (item.form_schema or {}).get("properties")
    for field_name, source in item.prefill.items():
        if not isinstance(props, dict) or field_name not in props:
            p.append(f"prefill.{field_name}: not a property of the form")
        if source.startswith("profile."):
            if source.removeprefix("profile.") not in PROFILE_FIELDS:
                p.append(f"prefill.{field_name}: profile.{{{', '.join(sorted(PROFILE_FIELDS))}}}")
        elif not _CLAIM_REF.match(source):
            p.append(f"prefill.{field_name}: '<certificate type>.<claim>' or 'profile.<field>'")
    for i, eff in enumerate(item.on_approve):
        if not isinstance(eff.get("effect"), str) or not eff["effect"]:
            p.append(f"on_approve[{i}]: names its 'effect'")
    if len(item.keywords) > 30 or any(len(k) > 40 for k in item.keywords):
        p.append("keywords: at most 30, each at most 40 characters")
    return p


def _certificate_types(item: ServiceItemIn) -> list[str]:
    wanted = {m.type_id for m in item.materials if m.kind == "certificate" and m.type_id}
    wanted |= set(item.eligibility.certificates)
    wanted |= {s.split(".", 1)[0] for s in item.prefill.values() if not s.startswith("profile.")}
    from onecity.credentials.types import load_types

    known = load_types()
    return [f"certificate type {t!r} does not exist" for t in sorted(wanted) if t not in known]


def validate(session: Session, item: ServiceItemIn) -> None:
    """Raise the first kind of problem found (each kind has its own code); writes nothing."""
    problems = _problems(item) + _certificate_types(item)
    if problems:
        raise CatalogueItemInvalid(detail="; ".join(problems)[:1000], errors=problems)
    if item.form_schema is not None:
        try:
            Draft202012Validator.check_schema(item.form_schema)
        except SchemaError as exc:
            path = "/".join(str(x) for x in exc.path)
            raise FormSchemaInvalid(detail=f"{path or '(root)'}: {exc.message}"[:500]) from None
        if item.form_schema.get("type") != "object" or not isinstance(item.form_schema.get("properties"), dict):
            raise FormSchemaInvalid(detail="the form must be an object with properties")
    from onecity.services.workflow import definitions

    if not definitions.exists(item.workflow):
        raise WorkflowUnknown(detail=f"workflow {item.workflow!r}; known: {', '.join(definitions.all_ids())}")
    try:
        org = orgs.get_org(session, item.agency_org_id)
    except orgs.OrgNotFound:
        raise AgencyInvalid(detail=f"no organisation {item.agency_org_id!r}") from None
    if org.kind not in AGENCY_KINDS or org.status != "active":
        raise AgencyInvalid(detail=f"{item.agency_org_id} is a {org.status} {org.kind}")
    known = {c.code for c in list_categories(session)}
    if item.category not in known:
        raise CategoryUnknown(detail=f"category {item.category!r}")


# --- reading --------------------------------------------------------------------------------------

def _uses(session: Session, city_code: str, codes: list[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = session.execute(select(SvcItemUse.code, SvcItemUse.uses).where(
        SvcItemUse.city_code == city_code, SvcItemUse.code.in_(codes))).all()
    return {c: int(u) for c, u in rows}


def to_out(row: SvcItem, popularity: int = 0) -> ServiceItemOut:
    return ServiceItemOut(
        code=row.code, city_code=row.city_code, version=row.version, agency_org_id=row.agency_org_id,
        name=I18n(zh=row.name_zh, en=row.name_en), category=row.category,
        description=I18n(zh=row.description_zh, en=row.description_en),
        eligibility=Eligibility.model_validate(row.eligibility),
        materials=[Material.model_validate(m) for m in row.materials], fee_fen=row.fee_fen,
        currency=row.currency, time_limit_days=row.time_limit_days, trips=row.trips, online=row.online,
        entry=row.entry, entry_url=row.entry_url, form_schema=row.form_schema,  # type: ignore[arg-type]
        prefill=dict(row.prefill), workflow=row.workflow, on_approve=list(row.on_approve),
        status=row.status, popularity=popularity, recommended=row.recommended,  # type: ignore[arg-type]
        keywords=list(row.keywords), created_at=row.created_at, updated_at=row.updated_at,
        published_at=row.published_at,
    )


def outs(session: Session, rows: list[SvcItem]) -> list[ServiceItemOut]:
    by_city: dict[str, list[str]] = {}
    for r in rows:
        by_city.setdefault(r.city_code, []).append(r.code)
    uses = {cc: _uses(session, cc, codes) for cc, codes in by_city.items()}
    return [to_out(r, uses[r.city_code].get(r.code, 0)) for r in rows]


def _versions(session: Session, city_code: str, code: str) -> list[SvcItem]:
    return list(session.scalars(select(SvcItem).where(SvcItem.city_code == city_code, SvcItem.code == code)
                                .order_by(SvcItem.version)))


def _row(session: Session, *, code: str, city_code: str | None, version: int | None, latest: bool) -> SvcItem:
    rows = _versions(session, city(city_code), code)
    if not rows:
        raise CatalogueItemNotFound(detail=code[:80])
    if version is not None:
        for r in rows:
            if r.version == version:
                return r
        raise CatalogueItemNotFound(detail=f"{code[:80]} version {version}")
    if not latest:
        for r in rows:
            if r.status == "published":
                return r
    return rows[-1]


def get_item(session: Session, *, code: str, city_code: str | None = None, version: int | None = None,
             latest: bool = False) -> ServiceItemOut:
    """The published version of `code` in the city (or, when none is published or `latest`, its newest
    version; or exactly `version`). CatalogueItemNotFound when the city has no such code."""
    row = _row(session, code=code, city_code=city_code, version=version, latest=latest)
    return outs(session, [row])[0]


def list_versions(session: Session, *, code: str, city_code: str | None = None) -> list[ItemVersionOut]:
    rows = _versions(session, city(city_code), code)
    if not rows:
        raise CatalogueItemNotFound(detail=code[:80])
    return [ItemVersionOut(version=r.version, status=r.status, updated_at=r.updated_at,  # type: ignore[arg-type]
                           published_at=r.published_at, created_by=r.created_by) for r in reversed(rows)]


def list_items(session: Session, *, city_code: str | None = None, agency_org_id: str | None = None,
               category: str | None = None, published_only: bool = True) -> list[ServiceItemOut]:
    """Published items of the city (or, with `published_only=False`, every code's newest version),
    ordered by category then code."""
    q = select(SvcItem).where(SvcItem.city_code == city(city_code))
    if agency_org_id:
        q = q.where(SvcItem.agency_org_id == agency_org_id)
    if category:
        q = q.where(SvcItem.category == category)
    if published_only:
        rows = list(session.scalars(q.where(SvcItem.status == "published")))
    else:
        newest: dict[str, SvcItem] = {}
        for r in session.scalars(q.order_by(SvcItem.version)):
            newest[r.code] = r
        rows = list(newest.values())
    rows.sort(key=lambda r: (r.category, r.code))
    return outs(session, rows)


def most_used(items: list[ServiceItemOut], limit: int) -> list[ServiceItemOut]:
    """`items` most used first (ties: recommended first, then code), at most `limit`."""
    return sorted(items, key=lambda i: (-i.popularity, not i.recommended, i.code))[:limit]


def recommended_of(items: list[ServiceItemOut], limit: int) -> list[ServiceItemOut]:
    """The recommended ones of `items`, most used first, at most `limit`."""
    return sorted((i for i in items if i.recommended), key=lambda i: (-i.popularity, i.code))[:limit]


def popular(session: Session, *, city_code: str | None = None, limit: int = 8) -> list[ServiceItemOut]:
    """The most used published services (ties: recommended first, then code)."""
    return most_used(list_items(session, city_code=city_code), limit)


def recommended(session: Session, *, city_code: str | None = None, limit: int = 8) -> list[ServiceItemOut]:
    """Published services the city recommends, most used first."""
    return recommended_of(list_items(session, city_code=city_code), limit)


# --- writing --------------------------------------------------------------------------------------

def _fill(row: SvcItem, item: ServiceItemIn) -> None:
    row.agency_org_id = item.agency_org_id
    row.category = item.category
    row.name_zh, row.name_en = item.name.zh.strip(), item.name.en.strip()
    row.description_zh, row.description_en = item.description.zh.strip(), item.description.en.strip()
    row.eligibility = item.eligibility.model_dump(mode="json")
    row.materials = [m.model_dump(mode="json") for m in item.materials]
    row.fee_fen, row.currency = item.fee_fen, item.currency
    row.time_limit_days, row.trips, row.online = item.time_limit_days, item.trips, item.online
    row.entry = item.entry
    row.entry_url = item.entry_url if item.entry == "page" else None
    row.form_schema = item.form_schema
    row.prefill = dict(item.prefill)
    row.workflow = item.workflow
    row.on_approve = list(item.on_approve)
    row.keywords = [k.strip() for k in item.keywords if k.strip()]
    row.recommended = item.recommended
    row.search_text = segment.document(row.name_zh, row.name_en, " ".join(row.keywords),
                                       row.description_zh, row.description_en)


def _insert(session: Session, row: SvcItem, taken: Exception) -> None:
    """Add a version row; `taken` when another request added the same (city, code, version) first
    (the unique constraint decides between racing editors: one wins, the other gets a problem)."""
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        raise taken from None


def create_item(session: Session, *, item: ServiceItemIn, actor: Principal | str) -> ServiceItemOut:
    """Add a new code to a city's catalogue as draft version 1 (CatalogueItemExists if the code is taken)."""
    validate(session, item)
    city_code = city(item.city_code)
    if _versions(session, city_code, item.code):
        raise CatalogueItemExists(detail=f"{item.code} in {city_code}")
    now = clock.now()
    row = SvcItem(city_code=city_code, code=item.code, version=1, status="draft", created_by=_actor_name(actor),
                  created_at=now, updated_at=now)
    _fill(row, item)
    _insert(session, row, CatalogueItemExists(detail=f"{item.code} in {city_code}"))
    audit.record(session, actor=actor, action="services.catalogue.create", subject_citizen_id=None,
                 resource=f"service/{city_code}/{item.code}/v1", reason="新增服务事项 new service item")
    return to_out(row)


def update_item(session: Session, *, code: str, item: ServiceItemIn, actor: Principal | str,
                city_code: str | None = None) -> ServiceItemOut:
    """Edit a draft in place; editing a published or retired item adds a new draft version."""
    if item.code != code:
        raise CatalogueItemInvalid(detail="the code of an item cannot change", errors=["code: cannot change"])
    city_code = city(city_code or item.city_code)
    rows = _versions(session, city_code, code)
    if not rows:
        raise CatalogueItemNotFound(detail=code[:80])
    validate(session, item)
    newest = rows[-1]
    now = clock.now()
    if newest.status == "draft":
        row = newest
    else:
        row = SvcItem(city_code=city_code, code=code, version=newest.version + 1, status="draft",
                      created_by=_actor_name(actor), created_at=now)
    _fill(row, item)
    row.updated_at = now
    if row is newest:
        session.flush()
    else:
        _insert(session, row, StatusConflict(detail=f"{code}: edited by someone else at the same time; reload"))
    audit.record(session, actor=actor, action="services.catalogue.update", subject_citizen_id=None,
                 resource=f"service/{city_code}/{code}/v{row.version}", reason="修改服务事项 service item edited")
    return get_item(session, code=code, city_code=city_code, version=row.version)


def publish_item(session: Session, *, code: str, actor: Principal | str, city_code: str | None = None,
                 version: int | None = None) -> ServiceItemOut:
    """Publish the newest draft (or `version`, which must be a draft); the version it replaces is retired."""
    city_code = city(city_code)
    row = _row(session, code=code, city_code=city_code, version=version, latest=True)
    if row.status != "draft":
        raise StatusConflict(detail=f"{code} v{row.version} is {row.status}, not a draft")
    now = clock.now()
    for other in _versions(session, city_code, code):
        if other.status == "published":
            other.status, other.retired_at, other.updated_at = "retired", now, now
    session.flush()
    row.status, row.published_at, row.updated_at = "published", now, now
    session.flush()
    audit.record(session, actor=actor, action="services.catalogue.publish", subject_citizen_id=None,
                 resource=f"service/{city_code}/{code}/v{row.version}", reason="发布服务事项 service item published")
    outbox.emit(session, PUBLISHED_TOPIC, {"city_code": city_code, "code": code, "version": row.version})
    return get_item(session, code=code, city_code=city_code, version=row.version)


def retire_item(session: Session, *, code: str, actor: Principal | str, city_code: str | None = None,
                reason: str = "停止办理 service withdrawn") -> ServiceItemOut:
    """Withdraw the published version (citizens no longer see the service)."""
    city_code = city(city_code)
    rows = [r for r in _versions(session, city_code, code) if r.status == "published"]
    if not _versions(session, city_code, code):
        raise CatalogueItemNotFound(detail=code[:80])
    if not rows:
        raise StatusConflict(detail=f"{code} has no published version")
    row = rows[0]
    now = clock.now()
    row.status, row.retired_at, row.updated_at = "retired", now, now
    session.flush()
    audit.record(session, actor=actor, action="services.catalogue.retire", subject_citizen_id=None,
                 resource=f"service/{city_code}/{code}/v{row.version}", reason=reason[:2000] or "retired")
    outbox.emit(session, RETIRED_TOPIC, {"city_code": city_code, "code": code, "version": row.version})
    return get_item(session, code=code, city_code=city_code, version=row.version)


def count_use(session: Session, *, code: str, city_code: str | None = None) -> int:
    """Count one more application of `code` (its popularity); returns the new count. Atomic upsert."""
    city_code = city(city_code)
    now = clock.now()
    values = {"city_code": city_code, "code": code, "uses": 1, "updated_at": now}
    dialect = session.get_bind().dialect.name
    ins = pg_insert(SvcItemUse) if dialect == "postgresql" else sqlite_insert(SvcItemUse)
    stmt = ins.values(**values).on_conflict_do_update(
        index_elements=["city_code", "code"], set_={"uses": SvcItemUse.uses + 1, "updated_at": now})
    session.execute(stmt)
    return int(session.scalar(select(SvcItemUse.uses).where(SvcItemUse.city_code == city_code,
                                                            SvcItemUse.code == code)) or 0)
