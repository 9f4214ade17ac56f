"""City services over HTTP: catalogue search over a realistic catalogue, and applications from many
citizens through the JSON API, against GET /healthz of the same server in the same run.

    .venv/bin/python bench/services.py [--seconds 6] [--items 3000] [--clients 32] [--workers 2]

Finds or starts PostgreSQL the way `make test` does (scripts/ensure-postgres.sh) and creates a scratch
database (dropped at the end). Seeds through the service functions (no HTTP): `--items` published
service items (the first `--real-items` through create_item + publish_item, the rest the same rows
inserted in bulk, for time) over three cities (half in the platform's city 440300, where the searches run) and eight
agencies per city, named by combining real Chinese service words (an action, a thing, a kind of
applicant: 企业营业执照变更, 遗失驾驶证补领…) with English names, descriptions and keywords, and each
with a small form; then an agency that issues certificates, two items of its own (workflow
`review_one_step` whose approval issues a skill certificate, and `instant`), `--citizens`
real-name verified citizens and `--reviewers` reviewers, each with a bearer token. Then it starts
`onecity.app` under uvicorn (`--workers`) and drives it with `--clients` concurrent clients
(asyncio + httpx), closed loop, each phase `--seconds` long:

1. reference: GET /healthz (no database), and GET /v1/services/catalogue/items/{code} (one item read);
2. search: GET /v1/services/catalogue/search?q=… with queries mixing Chinese and English (a few
   find nothing); searches per second, p50/p99, ratio to the reference;
3. in the database: each query's SQL as the search runs it (GIN index on to_tsvector('simple',
   search_text)) against the same words matched with ILIKE '%word%' (no index can serve it) over
   the same table, execution time from EXPLAIN ANALYZE (median of `--sql-reps` runs), and the plans'
   scans. The search SQL is also timed right after seeding, before the VACUUM ANALYZE that the HTTP
   phases run after: rows just written sit in the GIN index's pending list and the planner then
   prefers a scan of the city's rows that recomputes to_tsvector for each;
4. applications, `review_one_step`: a citizen submits (POST /v1/services/applications), a reviewer
   claims and approves (POST …/org/{id}/actions/claim, …/approve; approval issues a certificate);
   applications per second end to end, p50/p99 of each request and of the whole application;
5. applications, `instant`: submit only (the system approves at once, in the same request).

Each client uses its own citizens (never two requests of one citizen at once); every POST carries an
Idempotency-Key. Last line: one JSON object (search_per_s, search_p50_ms, search_p99_ms,
search_ratio_vs_healthz, sql_gin_ms, sql_ilike_ms, sql_ilike_over_gin, review_apps_per_s,
instant_apps_per_s, request p50/p99s, healthz_per_s, load average…).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import platform
import random
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from httpbench import free_port, p50_p99, scratch_env, start_server, stop_server  # noqa: E402
from pgserver import admin, ensure_postgres, url_of  # noqa: E402

DBNAME = f"onecity_bench_svc_{os.getpid()}"
URL = url_of(DBNAME)
TMP = scratch_env(URL)
APPS = "/v1/services/applications"
CATALOGUE = "/v1/services/catalogue"

CITIES = [("440300", "深圳市"), ("440100", "广州市"), ("441900", "东莞市")]
# agency (zh, en) -> the categories it handles
AGENCIES = [
    (("公安局", "Public Security Bureau"), ("household", "traffic")),
    (("人力资源和社会保障局", "Human Resources and Social Security Bureau"), ("social_security", "employment")),
    (("市场监督管理局", "Administration for Market Regulation"), ("business",)),
    (("税务局", "Tax Bureau"), ("tax",)),
    (("医疗保障局", "Healthcare Security Administration"), ("medical",)),
    (("民政局", "Civil Affairs Bureau"), ("civil", "disability")),
    (("住房公积金管理中心", "Housing Provident Fund Centre"), ("provident", "bills")),
    (("教育局", "Education Bureau"), ("education",)),
]
THINGS = [  # (zh, en, category, keywords)
    ("居住证", "residence permit", "household", ["居住登记", "permit"]),
    ("户籍证明", "household registration certificate", "household", ["户口", "hukou"]),
    ("身份证", "resident ID card", "household", ["证件", "ID"]),
    ("出生登记", "birth registration", "household", ["新生儿", "newborn"]),
    ("港澳通行证", "Hong Kong and Macao travel permit", "household", ["出入境", "travel"]),
    ("无犯罪记录证明", "certificate of no criminal record", "household", ["证明", "police"]),
    ("驾驶证", "driving licence", "traffic", ["驾照", "driver"]),
    ("机动车行驶证", "vehicle licence", "traffic", ["车辆", "car"]),
    ("机动车号牌", "number plate", "traffic", ["车牌", "plate"]),
    ("交通违法罚款", "traffic fine", "traffic", ["违章", "fine"]),
    ("营业执照", "business licence", "business", ["工商", "company"]),
    ("食品经营许可证", "food business permit", "business", ["餐饮", "restaurant"]),
    ("个体工商户登记", "sole trader registration", "business", ["个体户", "shop"]),
    ("社保卡", "social security card", "social_security", ["社会保障卡", "card"]),
    ("养老保险", "pension insurance", "social_security", ["退休", "pension"]),
    ("失业金", "unemployment benefit", "employment", ["失业保险", "jobless"]),
    ("职业技能等级证书", "skill level certificate", "employment", ["技能", "skills"]),
    ("就业登记", "employment registration", "employment", ["就业", "job"]),
    ("住房公积金", "housing provident fund", "provident", ["公积金", "housing"]),
    ("公积金贷款", "provident fund loan", "provident", ["贷款", "mortgage"]),
    ("个人所得税", "individual income tax", "tax", ["个税", "IIT"]),
    ("车船税", "vehicle and vessel tax", "tax", ["车辆", "vehicle"]),
    ("完税证明", "tax payment certificate", "tax", ["纳税", "receipt"]),
    ("医保关系", "medical insurance enrolment", "medical", ["医保", "healthcare"]),
    ("生育津贴", "maternity allowance", "medical", ["生育", "maternity"]),
    ("门诊特定病种", "outpatient special disease", "medical", ["慢性病", "chronic"]),
    ("义务教育入学", "school enrolment", "education", ["入学", "school"]),
    ("学位证明", "degree certificate", "education", ["学位", "degree"]),
    ("结婚登记", "marriage registration", "civil", ["婚姻", "marriage"]),
    ("离婚登记", "divorce registration", "civil", ["婚姻", "divorce"]),
    ("最低生活保障", "minimum living allowance", "civil", ["低保", "welfare"]),
    ("临时救助", "temporary assistance", "civil", ["救助", "relief"]),
    ("高龄津贴", "old-age allowance", "civil", ["老年人", "elderly"]),
    ("残疾人证", "disability certificate", "disability", ["残疾", "disabled"]),
    ("残疾人两项补贴", "disability subsidies", "disability", ["补贴", "subsidy"]),
    ("水费", "water bill", "bills", ["供水", "water"]),
    ("电费", "electricity bill", "bills", ["供电", "power"]),
    ("燃气开户", "gas account opening", "bills", ["燃气", "gas"]),
]
ACTIONS = [("申请", "apply for"), ("办理", "process"), ("变更", "change"), ("补领", "replace"), ("换领", "renew"),
           ("注销", "cancel"), ("查询", "look up"), ("备案", "file"), ("核发", "issue"), ("延期", "extend"),
           ("认定", "certify"), ("迁移", "transfer")]
WHO = [("", ""), ("个人", "individuals"), ("企业", "enterprises"), ("外籍人员", "foreign nationals"),
       ("港澳台居民", "Hong Kong, Macao and Taiwan residents"), ("首次", "first time"), ("遗失", "if lost"),
       ("到期", "on expiry"), ("跨省", "inter-provincial"), ("网上", "online")]
QUERIES = [  # what citizens type: Chinese, English, mixed; the last few find nothing
    "居住证", "驾驶证 换领", "营业执照变更", "社保卡补领", "住房公积金", "失业金申请", "残疾人证", "个人所得税",
    "结婚登记", "港澳通行证", "遗失身份证", "企业 食品经营许可证", "公积金 loan",
    "driving licence", "business licence change", "social security card", "provident fund", "income tax",
    "marriage registration", "residence permit renew", "disability", "water bill", "school enrolment",
    "passport", "护照签发", "tax refund overseas",
]
FORM = {
    "type": "object", "required": ["name", "phone"], "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "title": "姓名", "x-title-en": "Name", "minLength": 1, "maxLength": 40},
        "phone": {"type": "string", "title": "联系电话", "x-title-en": "Phone", "pattern": "^1[3-9][0-9]{9}$"},
        "note": {"type": "string", "title": "备注", "x-title-en": "Note", "maxLength": 500},
    },
}


@dataclass
class Seeded:
    codes: list[str]  # published codes of the searched city (for the one-item reference)
    citizens: list[str]  # bearer tokens
    reviewers: list[str]  # bearer tokens
    review_code: str
    instant_code: str
    form: dict[str, Any]
    items_in_city: int


def catalogue_items(n: int) -> list[tuple[str, dict[str, Any]]]:
    """n (city code, item fields) over the cities: half in the platform's city, the rest shared."""
    combos = list(itertools.product(THINGS, ACTIONS, WHO))
    random.Random(6).shuffle(combos)
    if n > len(combos):
        raise SystemExit(f"at most {len(combos)} distinct items")
    out = []
    for k, ((thing, thing_en, category, keywords), (act, act_en), (who, who_en)) in enumerate(combos[:n]):
        cc = CITIES[0][0] if k % 2 == 0 else CITIES[1 + (k // 2) % (len(CITIES) - 1)][0]
        name_en = f"{act_en.capitalize()} {thing_en}" + (f" ({who_en})" if who_en else "")
        out.append((cc, {
            "code": f"bench.{category}.{k:05d}", "city_code": cc, "category": category,
            "name": {"zh": f"{who}{thing}{act}", "en": name_en},
            "description": {"zh": f"为{who or '申请人'}办理{thing}{act}业务，网上提交材料，审核通过后结果送达。",
                            "en": f"{name_en}: submit the materials online; the result is sent once approved."},
            "keywords": keywords, "time_limit_days": k % 16, "trips": k % 3, "fee_fen": 0 if k % 5 else 2_000,
            "entry": "form", "form_schema": FORM, "workflow": "review_one_step", "recommended": k % 97 == 0,
        }))
    return out


def seed(items: int, real: int, citizens: int, reviewers: int) -> Seeded:
    """Everything the run needs, through the service functions (no HTTP)."""
    from onecity import clock, db
    from onecity.credentials import service as credentials
    from onecity.identity.orgs import service as orgs
    from onecity.migrate import upgrade
    from onecity.services.catalogue import service as catalogue
    from onecity.services.catalogue.models import SvcItem
    from onecity.services.catalogue.schemas import ServiceItemIn
    from onecity.services.catalogue.service import items as items_mod
    from tests.identity.factories import login_token, make_citizen
    from tests.identity.orgs.factories import fresh_uscc, make_staff, staff_token
    from tests.services.applications.factories import FORM_SCHEMA, GOOD_FORM, ISSUE_QUALIFICATION

    db.configure(URL)
    upgrade()
    actor = "bench"
    with db.transaction() as s:
        agency_of: dict[tuple[str, str], str] = {}
        for cc, city_name in CITIES:
            for (zh, en), cats in AGENCIES:
                org = orgs.create_org(s, kind="agency", name_zh=f"{city_name}{zh}", name_en=f"{en} ({cc})",
                                      uscc_code=fresh_uscc(), actor=actor)
                for cat in cats:
                    agency_of[(cc, cat)] = org.public_id
    t_orgs = time.monotonic()
    made = catalogue_items(items)
    for start in range(0, min(real, len(made)), 250):  # a few transactions, not one long one
        with db.transaction() as s:
            for cc, fields in made[start:min(start + 250, real)]:
                fields["agency_org_id"] = agency_of[(cc, fields["category"])]
                catalogue.create_item(s, item=ServiceItemIn.model_validate(fields), actor=actor)
                catalogue.publish_item(s, code=fields["code"], city_code=cc, actor=actor)
    t_real = time.monotonic() - t_orgs
    with db.transaction() as s:
        # the rest as the rows create_item + publish_item write (the same _fill: names, keywords and the
        # jieba-segmented search_text), inserted in bulk: ~20 statements an item would take a minute
        now = clock.now()
        rows = []
        for cc, fields in made[real:]:
            fields["agency_org_id"] = agency_of[(cc, fields["category"])]
            row = SvcItem(city_code=cc, code=fields["code"], version=1, status="published", created_by=actor,
                          created_at=now, updated_at=now, published_at=now)
            items_mod._fill(row, ServiceItemIn.model_validate(fields))
            rows.append(row)
        s.add_all(rows)
    codes = [f["code"] for cc, f in made if cc == CITIES[0][0]]
    n_real = min(real, len(made))
    print(f"  catalogue: {n_real} items through create_item + publish_item in {t_real:.1f} s "
          f"({t_real / max(1, n_real) * 1000:.1f} ms each), {len(made) - n_real} more in bulk; "
          f"{time.monotonic() - t_orgs:.1f} s in all")
    with db.transaction() as s:
        org = orgs.create_org(s, kind="agency", name_zh="深圳市职业技能鉴定中心", name_en="Skills Centre (bench)",
                              uscc_code=fresh_uscc(), actor=actor)
        credentials.register_issuer(s, org_id=org.public_id, name=org.name_zh, region="440300", alg="EdDSA",
                                    actor=actor)
        base: dict[str, Any] = {"agency_org_id": org.public_id, "category": "employment", "time_limit_days": 5, "trips": 0,
                "entry": "form", "form_schema": FORM_SCHEMA}
        review = {**base, "code": "bench.apply.review", "workflow": "review_one_step", "on_approve": [ISSUE_QUALIFICATION],
                  "name": {"zh": "职业技能等级认定", "en": "Skill level certification"},
                  "description": {"zh": "申领职业技能等级证书", "en": "Apply for a skill level certificate"}}
        instant = {**base, "code": "bench.apply.instant", "workflow": "instant", "time_limit_days": 0,
                   "name": {"zh": "职业技能等级认定信息登记", "en": "Skill certification record"},
                   "description": {"zh": "即时办结", "en": "Done on the spot"}}
        for own in (review, instant):
            catalogue.create_item(s, item=ServiceItemIn.model_validate(own), actor=actor)
            catalogue.publish_item(s, code=own["code"], actor=actor)
        staff = [staff_token(s, make_staff(s, org, roles=("reviewer",))) for _ in range(reviewers)]
        people = [login_token(s, make_citizen(s)) for _ in range(citizens)]
    with db.engine().connect() as c:  # statistics (planner estimates), not yet a VACUUM
        c.exec_driver_sql("ANALYZE")
        c.commit()
    db.engine().dispose()
    return Seeded(codes=codes, citizens=people, reviewers=staff, review_code="bench.apply.review",
                  instant_code="bench.apply.instant", form=dict(GOOD_FORM), items_in_city=len(codes))


# --- HTTP -------------------------------------------------------------------------------------------

Step = Callable[[Any, int, int], Awaitable[dict[str, float] | None]]  # (http, client, n) -> {kind: ms} | None


async def closed_loop(base: str, clients: int, seconds: float, step: Step, label: str, unit: str) -> dict[str, Any]:
    """`clients` clients each running `step` one after the other for `seconds`. A step returns the
    latency of each request it made by kind ("total" for the whole step), or None when it failed."""
    import httpx

    lat: dict[str, list[float]] = {}
    errors: dict[str, int] = {}
    done = [0]
    stop_at = time.monotonic() + seconds

    async def client(i: int, http: httpx.AsyncClient) -> None:
        for n in itertools.count():
            if time.monotonic() >= stop_at:
                return
            try:
                got = await step(http, i, n)
            except StepFailed as exc:
                errors[str(exc)] = errors.get(str(exc), 0) + 1
                continue
            if got is not None:
                done[0] += 1
                for k, v in got.items():
                    lat.setdefault(k, []).append(v)

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        t0 = time.monotonic()
        await asyncio.gather(*(client(i, http) for i in range(clients)))
        elapsed = time.monotonic() - t0
    out: dict[str, Any] = {"n": done[0], "per_s": round(done[0] / elapsed, 1), "errors": sum(errors.values())}
    for k, v in lat.items():
        out[f"{k}_p50_ms"], out[f"{k}_p99_ms"] = p50_p99(v, digits=1)
    requests = sum(len(v) for k, v in lat.items() if k != "total") or len(lat.get("total", []))
    out["requests_per_s"] = round(requests / elapsed, 1)
    parts = ", ".join(f"{k} p50 {out[f'{k}_p50_ms']} ms p99 {out[f'{k}_p99_ms']} ms" for k in lat)
    print(f"{label:>16}: {done[0]} {unit} in {elapsed:.1f} s = {out['per_s']}/s ({out['requests_per_s']} requests/s); "
          f"{parts}; errors {errors or 0}")
    return out


class StepFailed(Exception):
    pass


def _check(r: Any, status: int, what: str) -> Any:
    if r.status_code != status:
        code = r.json().get("code", "?") if r.headers.get("content-type", "").endswith("json") else "?"
        raise StepFailed(f"{what}:{r.status_code}:{code}")
    return r.json() if r.content else {}


def timed_get(path_of: Callable[[int, int], str], what: str) -> Step:
    async def step(http: Any, i: int, n: int) -> dict[str, float]:
        t0 = time.monotonic()
        r = await http.get(path_of(i, n))
        ms = (time.monotonic() - t0) * 1000
        _check(r, 200, what)
        return {"total": ms}
    return step


def apply_step(sd: Seeded, clients: int, *, code: str, review: bool) -> Step:
    """One application: the client's next citizen submits; for `review`, a reviewer claims and approves."""

    def h(token: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {token}", "Idempotency-Key": uuid.uuid4().hex}

    mine = [sd.citizens[i::clients] for i in range(clients)]

    async def step(http: Any, i: int, n: int) -> dict[str, float]:
        citizen = mine[i][n % len(mine[i])]
        t0 = time.monotonic()
        r = await http.post(APPS, json={"service_code": code, "form": sd.form}, headers=h(citizen))
        t1 = time.monotonic()
        app = _check(r, 201, "submit")
        out = {"submit": (t1 - t0) * 1000}
        if review:
            reviewer = sd.reviewers[i % len(sd.reviewers)]
            r = await http.post(f"{APPS}/org/{app['id']}/actions/claim", json={}, headers=h(reviewer))
            t2 = time.monotonic()
            _check(r, 200, "claim")
            r = await http.post(f"{APPS}/org/{app['id']}/actions/approve", json={}, headers=h(reviewer))
            t3 = time.monotonic()
            app = _check(r, 200, "approve")
            out |= {"claim": (t2 - t1) * 1000, "approve": (t3 - t2) * 1000}
        if app.get("state") != "approved":
            raise StepFailed(f"state:{app.get('state')}")
        out["total"] = (time.monotonic() - t0) * 1000
        return out
    return step


# --- in the database --------------------------------------------------------------------------------

def _scans(plan: dict[str, Any]) -> list[str]:
    node = plan["Node Type"]
    here = [f"{node} on {plan['Index Name']}" if "Index Name" in plan else node] if "Scan" in node else []
    return here + [s for p in plan.get("Plans", []) for s in _scans(p)]


def vacuum() -> None:
    """VACUUM ANALYZE, as autovacuum does some time after writes: it also moves the GIN index's pending
    list (rows written since, kept unsorted while fastupdate is on) into the index proper."""
    from sqlalchemy import create_engine

    engine = create_engine(URL, isolation_level="AUTOCOMMIT")
    with engine.connect() as c:
        c.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()


def sql_times(reps: int, kinds: tuple[str, ...] = ("gin", "ilike")) -> dict[str, Any]:
    """Execution time of each query's search SQL (GIN) and of an ILIKE scan for the same words."""
    from sqlalchemy import create_engine, text

    from onecity.services.catalogue.service import segment
    from onecity.services.catalogue.service.search import _PG

    ilike = ("SELECT i.id FROM svc_items i LEFT JOIN svc_item_uses u ON u.city_code = i.city_code "
             "AND u.code = i.code WHERE i.city_code = :city AND i.status = 'published' AND {words} "
             "ORDER BY coalesce(u.uses, 0) DESC, i.code LIMIT :cap")
    engine = create_engine(URL)
    gin_ms: list[float] = []
    ilike_ms: list[float] = []
    plans: dict[str, set[str]] = {"gin": set(), "ilike": set()}
    hits = []
    with engine.connect() as c:
        for q in QUERIES:
            words = segment.words(q)
            params: dict[str, Any] = {"city": CITIES[0][0], "cap": 20, "q": " ".join(f'"{w}"' for w in words)}
            like_sql = ilike.format(words=" AND ".join(f"i.search_text ILIKE :w{k}" for k in range(len(words))))
            params |= {f"w{k}": f"%{w}%" for k, w in enumerate(words)}
            for kind, sql, sink in (("gin", _PG.text, gin_ms), ("ilike", like_sql, ilike_ms)):
                if kind not in kinds:
                    continue
                runs = []
                for _ in range(reps):
                    row = c.execute(text(f"EXPLAIN (ANALYZE, FORMAT JSON) {sql}"), params).scalar_one()
                    doc = row[0] if isinstance(row, list) else json.loads(row)[0]
                    runs.append(float(doc["Execution Time"]))
                sink.append(statistics.median(runs))
                plans[kind].update(_scans(doc["Plan"]))
            hits.append(len(c.execute(text(_PG.text), params).all()))
    engine.dispose()
    gin, like = statistics.mean(gin_ms or [0.0]), statistics.mean(ilike_ms or [0.0])
    return {"gin_ms": round(gin, 3), "ilike_ms": round(like, 3), "ratio": round(like / gin, 1) if gin else 0.0,
            "gin_max_ms": round(max(gin_ms or [0.0]), 3), "ilike_max_ms": round(max(ilike_ms or [0.0]), 3),
            "gin_scans": sorted(plans["gin"]), "ilike_scans": sorted(plans["ilike"]),
            "hits_mean": round(statistics.mean(hits), 1), "no_hits": sum(1 for n in hits if n == 0)}


def main() -> None:  # noqa: PLR0915 - one linear script
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=6.0, help="length of each measured phase")
    ap.add_argument("--items", type=int, default=3000, help="service items in the catalogue (all cities)")
    ap.add_argument("--real-items", type=int, default=300,
                    help="of those, made through create_item + publish_item (the rest: the same rows in bulk)")
    ap.add_argument("--clients", type=int, default=32, help="concurrent clients")
    ap.add_argument("--citizens", type=int, default=256, help="applicants (spread over the clients)")
    ap.add_argument("--reviewers", type=int, default=8)
    ap.add_argument("--workers", type=int, default=2, help="uvicorn worker processes")
    ap.add_argument("--sql-reps", type=int, default=5, help="EXPLAIN ANALYZE runs per query and method")
    args = ap.parse_args()

    ensure_postgres()
    admin(f'CREATE DATABASE "{DBNAME}"')
    proc = None
    try:
        t0 = time.monotonic()
        sd = seed(args.items, args.real_items, max(args.citizens, args.clients), args.reviewers)
        print(f"seeded {args.items} service items in {len(CITIES)} cities ({sd.items_in_city} in {CITIES[0][0]}, "
              f"where the searches run), {len(CITIES) * len(AGENCIES) + 1} agencies, {len(sd.citizens)} citizens, "
              f"{len(sd.reviewers)} reviewers in {time.monotonic() - t0:.1f} s")
        fresh = sql_times(2, ("gin",))
        print(f"    SQL, just written (GIN pending list not yet merged): {fresh['gin_ms']} ms/query "
              f"(max {fresh['gin_max_ms']}); plan: {fresh['gin_scans']}")
        t0 = time.monotonic()
        vacuum()
        print(f"VACUUM ANALYZE in {time.monotonic() - t0:.1f} s; the rest runs on the vacuumed catalogue")
        port = free_port()
        proc = start_server(port, args.workers, TMP / "server.log")
        base = f"http://127.0.0.1:{port}"
        queries = QUERIES[:]

        def search_path(i: int, n: int) -> str:
            return f"{CATALOGUE}/search?q={quote(queries[(i * 7 + n) % len(queries)])}"

        def item_path(i: int, n: int) -> str:
            return f"{CATALOGUE}/items/{sd.codes[(i * 131 + n * 17) % len(sd.codes)]}"

        def run(step: Step, label: str, unit: str, seconds: float = args.seconds) -> dict[str, Any]:
            return asyncio.run(closed_loop(base, args.clients, seconds, step, label, unit))

        # warm-up: every worker loads jieba's dictionary and the workflow/schema caches
        run(timed_get(search_path, "search"), "warm-up search", "searches", 3)
        run(apply_step(sd, args.clients, code=sd.instant_code, review=False), "warm-up apply", "applications", 2)
        ref = run(timed_get(lambda i, n: "/healthz", "healthz"), "GET /healthz", "requests")
        one = run(timed_get(item_path, "item"), "GET item", "requests")
        search = run(timed_get(search_path, "search"), "search", "searches")
        review = run(apply_step(sd, args.clients, code=sd.review_code, review=True), "review_one_step", "applications")
        instant = run(apply_step(sd, args.clients, code=sd.instant_code, review=False), "instant", "applications")
        stop_server(proc)
        proc = None
        sql = sql_times(args.sql_reps)
        print(f"    SQL (in db): GIN full-text {sql['gin_ms']} ms/query (max {sql['gin_max_ms']}), ILIKE scan "
              f"{sql['ilike_ms']} ms/query (max {sql['ilike_max_ms']}) = {sql['ratio']}x; {len(QUERIES)} queries, "
              f"{sql['hits_mean']} hits on average, {sql['no_hits']} find nothing; plans: GIN {sql['gin_scans']}, "
              f"ILIKE {sql['ilike_scans']}")
    finally:
        if proc is not None:
            stop_server(proc)
        admin(f'DROP DATABASE IF EXISTS "{DBNAME}" WITH (FORCE)')
    load = os.getloadavg()
    ratio = round(search["per_s"] / ref["per_s"], 3) if ref["per_s"] else 0.0
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} "
          f"{load[2]:.2f}, Python {platform.python_version()}; server: {args.workers} uvicorn workers; "
          f"clients: {args.clients} (closed loop; latencies include the wait behind the other clients)")
    print(f"search/healthz = {ratio}; search/one-item read = "
          f"{round(search['per_s'] / one['per_s'], 3) if one['per_s'] else 0.0}; review_one_step requests/healthz = "
          f"{round(review['requests_per_s'] / ref['per_s'], 3) if ref['per_s'] else 0.0}; instant/healthz = "
          f"{round(instant['requests_per_s'] / ref['per_s'], 3) if ref['per_s'] else 0.0}")
    print(json.dumps({
        "search_per_s": search["per_s"], "search_p50_ms": search["total_p50_ms"], "search_p99_ms": search["total_p99_ms"],
        "healthz_per_s": ref["per_s"], "search_ratio_vs_healthz": ratio, "item_get_per_s": one["per_s"],
        "sql_gin_ms": sql["gin_ms"], "sql_ilike_ms": sql["ilike_ms"], "sql_ilike_over_gin": sql["ratio"],
        "sql_gin_before_vacuum_ms": fresh["gin_ms"],
        "review_apps_per_s": review["per_s"], "review_requests_per_s": review["requests_per_s"],
        "review_app_p50_ms": review.get("total_p50_ms"), "review_app_p99_ms": review.get("total_p99_ms"),
        "submit_p50_ms": review.get("submit_p50_ms"), "submit_p99_ms": review.get("submit_p99_ms"),
        "claim_p50_ms": review.get("claim_p50_ms"), "claim_p99_ms": review.get("claim_p99_ms"),
        "approve_p50_ms": review.get("approve_p50_ms"), "approve_p99_ms": review.get("approve_p99_ms"),
        "review_ratio_vs_healthz": round(review["requests_per_s"] / ref["per_s"], 3) if ref["per_s"] else 0.0,
        "instant_apps_per_s": instant["per_s"], "instant_p50_ms": instant.get("total_p50_ms"),
        "instant_p99_ms": instant.get("total_p99_ms"),
        "instant_ratio_vs_healthz": round(instant["requests_per_s"] / ref["per_s"], 3) if ref["per_s"] else 0.0,
        "items": args.items, "items_in_city": sd.items_in_city, "clients": args.clients, "workers": args.workers,
        "errors": search["errors"] + review["errors"] + instant["errors"] + ref["errors"] + one["errors"],
        "load_average_1m": round(load[0], 2),
    }, ensure_ascii=False))


if __name__ == "__main__":
    main()
