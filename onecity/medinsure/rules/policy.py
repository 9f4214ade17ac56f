"""A city's medical-insurance policy for one year: schemes, deductibles, ratios, caps and the catalogue.

A policy is versioned (`city/year/vN`); a settlement records the key of the policy it used. Policies are
plain JSON documents (see onecity/medinsure/data/) validated by `Policy.from_json`.

Document shape (amounts in integer fen, ratios in basis points, level keys as strings "0".."3")::

    {"city": "pengcheng", "year": 2026, "version": 1, "name_zh": "...", "name_en": "...",
     "schemes": {"employee": {
         "deductible": {"outpatient": {"amount_fen": 150000, "per": "year", "pool": "outpatient"},
                        "inpatient": {"amount_fen": 120000, "per": "admission", "by_level": {"1": 40000}}},
         "ratio_bp": {"outpatient": {"1": 9000, "2": 8000, "3": 7000}, "pharmacy": {"0": 5000}},
         "retiree_ratio_bp": {"outpatient": {"1": 9500}},
         "annual_cap_fen": 32000000, "personal_account": true,
         "personal_account_pays": ["self_pay_within"], "family_aid": true,
         "family_aid_pays": ["self_pay_within"]}},
     "catalogue": [{"code": "...", "name_zh": "...", "name_en": "...", "kind": "drug", "category": "B",
                    "unit": "盒", "list_price_fen": null, "standard_price_fen": 2350, "self_pay_first_bp": 1000}]}
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from typing import Any

from onecity.medinsure.rules.errors import PolicyInvalid

VISIT_TYPES: tuple[str, ...] = ("outpatient", "chronic", "inpatient", "pharmacy")
SCHEMES: tuple[str, ...] = ("employee", "resident")
CATEGORIES: tuple[str, ...] = ("A", "B", "C")  # 甲 / 乙 / 丙
CATEGORY_ZH: Mapping[str, str] = {"A": "甲", "B": "乙", "C": "丙"}
LEVELS: tuple[int, ...] = (0, 1, 2, 3)  # 0 = designated retail pharmacy, 1-3 = hospital grades
KINDS: tuple[str, ...] = ("drug", "service", "material")
ACCOUNT_PARTS: tuple[str, ...] = ("self_pay_within", "self_pay_outside")  # what a personal account may pay
DEDUCTIBLE_PER: tuple[str, ...] = ("year", "admission")
BP = 10_000  # basis points: 10000 bp = 100 %


@dataclass(frozen=True)
class CatalogueItem:
    """One drug, service or material of the city's catalogue (医保目录).

    `list_price_fen`: a fixed government price per unit the bill must match (None = free pricing).
    `standard_price_fen`: the payment standard per unit (支付标准); the part of a unit price above it is
    self-paid outside the policy (自费). `self_pay_first_bp`: for 乙类 items, the share the citizen pays
    first (先行自付) before the deductible and the ratio apply; 0 for 甲 and 丙.
    """

    code: str
    name_zh: str
    name_en: str
    kind: str  # drug | service | material
    category: str  # A | B | C
    unit: str
    list_price_fen: int | None = None
    standard_price_fen: int | None = None
    self_pay_first_bp: int = 0


@dataclass(frozen=True)
class DeductibleRule:
    """A deductible (起付线): `amount_fen` per "year" or per "admission"; `by_level` overrides the amount
    for some institution levels (e.g. inpatient ¥1,200 at level 3, ¥400 at level 1). `pool` names the
    year-to-date accumulator a per-year deductible consumes; visit types sharing a pool share one deductible
    (e.g. pharmacy and outpatient). Empty pool = the visit type's own name."""

    amount_fen: int
    per: str = "year"  # year | admission
    by_level: Mapping[int, int] = field(default_factory=dict)
    pool: str = ""

    def amount_for(self, level: int) -> int:
        """The deductible amount at an institution level."""
        return self.by_level.get(level, self.amount_fen)


@dataclass(frozen=True)
class SchemeRules:
    """The rules of one basic scheme (employee 职工 or resident 居民) in one year.

    `ratio_bp[visit_type][level]`: the pooled fund's share (bp) of the policy-eligible amount above the
    deductible; a (visit type, level) missing from the table is not covered. `retiree_ratio_bp`: the same
    for retirees; where it has no entry the normal ratio applies. `annual_cap_fen`: the most the fund pays
    for one insured person in a year (封顶线). `personal_account_pays`: the parts of a bill the insured's own
    personal account may pay; `family_aid_pays`: the parts a relative's personal account may pay (家庭共济)
    when `family_aid` is on."""

    scheme: str
    deductible: Mapping[str, DeductibleRule]
    ratio_bp: Mapping[str, Mapping[int, int]]
    retiree_ratio_bp: Mapping[str, Mapping[int, int]]
    annual_cap_fen: int
    personal_account: bool
    personal_account_pays: frozenset[str]
    family_aid: bool
    family_aid_pays: frozenset[str] = frozenset()

    def covers(self, visit_type: str, level: int) -> bool:
        """Whether the fund covers this visit type at this institution level."""
        return level in self.ratio_bp.get(visit_type, {})

    def ratio_for(self, visit_type: str, level: int, retiree: bool) -> int:
        """The fund ratio (bp) for a visit; KeyError if not covered."""
        if retiree:
            r = self.retiree_ratio_bp.get(visit_type, {}).get(level)
            if r is not None:
                return r
        return self.ratio_bp[visit_type][level]

    def deductible_rule(self, visit_type: str) -> DeductibleRule | None:
        """The deductible rule of a visit type (None = no deductible)."""
        return self.deductible.get(visit_type)

    def deductible_key(self, visit_type: str) -> str:
        """The year-to-date accumulator a per-year deductible of this visit type uses ("" = none)."""
        rule = self.deductible.get(visit_type)
        if rule is None or rule.per != "year":
            return ""
        return rule.pool or visit_type


@dataclass(frozen=True)
class Policy:
    """A city's policy for one year and version. `key` ("pengcheng/2026/v1") is what a settlement records."""

    city: str
    year: int
    version: int
    schemes: Mapping[str, SchemeRules]
    catalogue: Mapping[str, CatalogueItem]
    name_zh: str = ""
    name_en: str = ""

    @property
    def key(self) -> str:
        return f"{self.city}/{self.year}/v{self.version}"

    def scheme(self, scheme: str) -> SchemeRules:
        """The rules of a scheme; KeyError if the policy has no such scheme."""
        return self.schemes[scheme]

    def item(self, code: str) -> CatalogueItem | None:
        """A catalogue item by code, None if unknown."""
        return self.catalogue.get(code)

    @classmethod
    def from_json(cls, doc: Any) -> Policy:
        """Build and validate a policy from its JSON document; raises PolicyInvalid with the path of the
        first bad field."""
        return policy_from_json(doc)

    def to_json(self) -> dict[str, Any]:
        """The JSON document of this policy (`Policy.from_json(p.to_json()) == p`)."""
        return policy_to_json(self)


# ---- JSON documents ----

MAX_FEN = 10**12  # ¥10 billion: anything above is a typo
_CITY = re.compile(r"^[a-z][a-z0-9-]{1,31}$")
_CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,39}$")


def _fail(path: str, msg: str) -> PolicyInvalid:
    return PolicyInvalid(f"{path}: {msg}" if path else msg)


def _obj(v: Any, path: str, required: set[str], optional: Collection[str] = ()) -> Mapping[str, Any]:
    if not isinstance(v, Mapping):
        raise _fail(path, f"must be an object, got {type(v).__name__}")
    missing = sorted(required - set(v))
    if missing:
        raise _fail(path, f"missing field {missing[0]!r}")
    unknown = sorted(set(v) - required - set(optional))
    if unknown:
        raise _fail(path, f"unknown field {unknown[0]!r}")
    return v


def _int(v: Any, path: str, lo: int, hi: int) -> int:
    if not isinstance(v, int) or isinstance(v, bool):
        raise _fail(path, f"must be a whole number, got {v!r}")
    if not lo <= v <= hi:
        raise _fail(path, f"must be between {lo} and {hi}, got {v}")
    return v


def _str(v: Any, path: str, *, choices: tuple[str, ...] | None = None, pattern: re.Pattern[str] | None = None) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _fail(path, f"must be a non-empty text, got {v!r}")
    if choices is not None and v not in choices:
        raise _fail(path, f"must be one of {', '.join(choices)}, got {v!r}")
    if pattern is not None and not pattern.match(v):
        raise _fail(path, f"is not a valid value: {v!r}")
    return v


def _bool(v: Any, path: str) -> bool:
    if not isinstance(v, bool):
        raise _fail(path, f"must be true or false, got {v!r}")
    return v


def _level(k: Any, path: str) -> int:
    if isinstance(k, int) and not isinstance(k, bool):
        lv = k
    elif isinstance(k, str) and k.isdigit():
        lv = int(k)
    else:
        raise _fail(path, f"level must be one of {', '.join(map(str, LEVELS))}")
    if lv not in LEVELS:
        raise _fail(path, f"level must be one of {', '.join(map(str, LEVELS))}")
    return lv


def _parts(v: Any, path: str) -> frozenset[str]:
    if not isinstance(v, list | tuple):
        raise _fail(path, "must be a list")
    for i, p in enumerate(v):
        _str(p, f"{path}[{i}]", choices=ACCOUNT_PARTS)
    if len(set(v)) != len(v):
        raise _fail(path, "lists a part twice")
    return frozenset(v)


def _ratio_table(v: Any, path: str) -> dict[str, dict[int, int]]:
    if not isinstance(v, Mapping):
        raise _fail(path, "must be an object of visit types")
    out: dict[str, dict[int, int]] = {}
    for vt, levels in v.items():
        _str(vt, f"{path}.{vt}", choices=VISIT_TYPES)
        if not isinstance(levels, Mapping) or not levels:
            raise _fail(f"{path}.{vt}", "must be a non-empty object of levels")
        row: dict[int, int] = {}
        for k, bp in levels.items():
            lv = _level(k, f"{path}.{vt}.{k}")
            if (vt == "pharmacy") != (lv == 0):
                raise _fail(f"{path}.{vt}.{k}", "level 0 (a retail pharmacy) is for the pharmacy visit type only")
            if lv in row:
                raise _fail(f"{path}.{vt}.{k}", "level given twice")
            row[lv] = _int(bp, f"{path}.{vt}.{k}", 0, BP)
        out[vt] = row
    return out


def _scheme(name: str, v: Any, path: str) -> SchemeRules:
    d = _obj(v, path, {"deductible", "ratio_bp", "annual_cap_fen", "personal_account", "personal_account_pays",
                       "family_aid"}, {"retiree_ratio_bp", "family_aid_pays"})
    ratio = _ratio_table(d["ratio_bp"], f"{path}.ratio_bp")
    if not ratio:
        raise _fail(f"{path}.ratio_bp", "must cover at least one visit type")
    retiree = _ratio_table(d.get("retiree_ratio_bp", {}), f"{path}.retiree_ratio_bp")
    for vt, row in retiree.items():
        for lv, bp in row.items():
            if lv not in ratio.get(vt, {}):
                raise _fail(f"{path}.retiree_ratio_bp.{vt}.{lv}", "has no matching entry in ratio_bp")
            if bp < ratio[vt][lv]:
                raise _fail(f"{path}.retiree_ratio_bp.{vt}.{lv}",
                            f"a retiree's ratio ({bp}) must not be below the normal one ({ratio[vt][lv]})")
    ded_doc = d["deductible"]
    if not isinstance(ded_doc, Mapping):
        raise _fail(f"{path}.deductible", "must be an object of visit types")
    deductible: dict[str, DeductibleRule] = {}
    pools: dict[str, tuple[int, dict[int, int], str]] = {}
    for vt, rd in ded_doc.items():
        p = f"{path}.deductible.{vt}"
        _str(vt, p, choices=VISIT_TYPES)
        if vt not in ratio:
            raise _fail(p, "a deductible for a visit type the scheme does not cover")
        r = _obj(rd, p, {"amount_fen", "per"}, {"by_level", "pool"})
        amount = _int(r["amount_fen"], f"{p}.amount_fen", 0, MAX_FEN)
        per = _str(r["per"], f"{p}.per", choices=DEDUCTIBLE_PER)
        by_level_doc = r.get("by_level", {})
        if not isinstance(by_level_doc, Mapping):
            raise _fail(f"{p}.by_level", "must be an object of levels")
        by_level: dict[int, int] = {}
        for k, amt in by_level_doc.items():
            lv = _level(k, f"{p}.by_level.{k}")
            if lv not in ratio[vt]:
                raise _fail(f"{p}.by_level.{k}", f"level {lv} is not covered for {vt}")
            by_level[lv] = _int(amt, f"{p}.by_level.{k}", 0, MAX_FEN)
        pool = r.get("pool", "")
        if pool != "":
            _str(pool, f"{p}.pool", pattern=_CITY)
            if per != "year":
                raise _fail(f"{p}.pool", "only a per-year deductible has a pool")
        if per == "year":
            key = pool or vt
            seen = pools.get(key)
            if seen is not None and (seen[0], seen[1]) != (amount, by_level):
                raise _fail(p, f"shares the pool {key!r} with {seen[2]} but not its amount")
            pools[key] = (amount, by_level, vt)
        deductible[vt] = DeductibleRule(amount, per, by_level, pool)
    cap = _int(d["annual_cap_fen"], f"{path}.annual_cap_fen", 1, MAX_FEN)
    has_pa = _bool(d["personal_account"], f"{path}.personal_account")
    pa_pays = _parts(d["personal_account_pays"], f"{path}.personal_account_pays")
    if pa_pays and not has_pa:
        raise _fail(f"{path}.personal_account_pays", "must be empty when the scheme has no personal account")
    fam = _bool(d["family_aid"], f"{path}.family_aid")
    fam_pays = _parts(d.get("family_aid_pays", []), f"{path}.family_aid_pays")
    if fam_pays and not fam:
        raise _fail(f"{path}.family_aid_pays", "must be empty when family aid is off")
    return SchemeRules(scheme=name, deductible=deductible, ratio_bp=ratio, retiree_ratio_bp=retiree,
                       annual_cap_fen=cap, personal_account=has_pa, personal_account_pays=pa_pays,
                       family_aid=fam, family_aid_pays=fam_pays)


def _item(v: Any, path: str) -> CatalogueItem:
    d = _obj(v, path, {"code", "name_zh", "name_en", "kind", "category", "unit"},
             {"list_price_fen", "standard_price_fen", "self_pay_first_bp"})
    code = _str(d["code"], f"{path}.code", pattern=_CODE)
    path = f"{path} ({code})"
    cat = _str(d["category"], f"{path}.category", choices=CATEGORIES)
    lp = d.get("list_price_fen")
    sp = d.get("standard_price_fen")
    if lp is not None:
        _int(lp, f"{path}.list_price_fen", 1, MAX_FEN)
    if sp is not None:
        _int(sp, f"{path}.standard_price_fen", 1, MAX_FEN)
        if cat == "C":
            raise _fail(f"{path}.standard_price_fen", "a 丙 (C) item is outside the policy and has no payment standard")
    spf = _int(d.get("self_pay_first_bp", 0), f"{path}.self_pay_first_bp", 0, BP)
    if spf and cat != "B":
        raise _fail(f"{path}.self_pay_first_bp", "only a 乙 (B) item has a self-pay-first share")
    return CatalogueItem(code=code, name_zh=_str(d["name_zh"], f"{path}.name_zh"),
                         name_en=_str(d["name_en"], f"{path}.name_en"),
                         kind=_str(d["kind"], f"{path}.kind", choices=KINDS), category=cat,
                         unit=_str(d["unit"], f"{path}.unit"), list_price_fen=lp, standard_price_fen=sp,
                         self_pay_first_bp=spf)


def policy_from_json(doc: Any) -> Policy:
    """Validate a policy document and build the Policy; PolicyInvalid names the first bad field."""
    d = _obj(doc, "", {"city", "year", "version", "schemes", "catalogue"}, {"name_zh", "name_en"})
    city = _str(d["city"], "city", pattern=_CITY)
    year = _int(d["year"], "year", 2000, 2100)
    version = _int(d["version"], "version", 1, 10_000)
    schemes_doc = d["schemes"]
    if not isinstance(schemes_doc, Mapping) or not schemes_doc:
        raise _fail("schemes", "must be a non-empty object of schemes")
    schemes = {}
    for name, sd in schemes_doc.items():
        _str(name, f"schemes.{name}", choices=SCHEMES)
        schemes[name] = _scheme(name, sd, f"schemes.{name}")
    cat_doc = d["catalogue"]
    if not isinstance(cat_doc, list) or not cat_doc:
        raise _fail("catalogue", "must be a non-empty list of items")
    catalogue: dict[str, CatalogueItem] = {}
    for i, it in enumerate(cat_doc):
        item = _item(it, f"catalogue[{i}]")
        if item.code in catalogue:
            raise _fail(f"catalogue[{i}].code", f"code {item.code!r} appears twice")
        catalogue[item.code] = item
    name_zh = d.get("name_zh", "")
    name_en = d.get("name_en", "")
    if not isinstance(name_zh, str) or not isinstance(name_en, str):
        raise _fail("name_zh", "names must be text")
    return Policy(city=city, year=year, version=version, schemes=schemes, catalogue=catalogue,
                  name_zh=name_zh, name_en=name_en)


def _table_json(t: Mapping[str, Mapping[int, int]]) -> dict[str, dict[str, int]]:
    return {vt: {str(lv): bp for lv, bp in sorted(row.items())} for vt, row in t.items()}


def policy_to_json(p: Policy) -> dict[str, Any]:
    """The JSON document of a policy; `policy_from_json(policy_to_json(p)) == p`."""
    schemes: dict[str, Any] = {}
    for name, s in p.schemes.items():
        ded: dict[str, Any] = {}
        for vt, r in s.deductible.items():
            rd: dict[str, Any] = {"amount_fen": r.amount_fen, "per": r.per}
            if r.by_level:
                rd["by_level"] = {str(lv): a for lv, a in sorted(r.by_level.items())}
            if r.pool:
                rd["pool"] = r.pool
            ded[vt] = rd
        schemes[name] = {"deductible": ded, "ratio_bp": _table_json(s.ratio_bp),
                         "retiree_ratio_bp": _table_json(s.retiree_ratio_bp), "annual_cap_fen": s.annual_cap_fen,
                         "personal_account": s.personal_account,
                         "personal_account_pays": sorted(s.personal_account_pays), "family_aid": s.family_aid,
                         "family_aid_pays": sorted(s.family_aid_pays)}
    catalogue = []
    for it in p.catalogue.values():
        catalogue.append({"code": it.code, "name_zh": it.name_zh, "name_en": it.name_en, "kind": it.kind,
                          "category": it.category, "unit": it.unit, "list_price_fen": it.list_price_fen,
                          "standard_price_fen": it.standard_price_fen, "self_pay_first_bp": it.self_pay_first_bp})
    return {"city": p.city, "year": p.year, "version": p.version, "name_zh": p.name_zh, "name_en": p.name_en,
            "schemes": schemes, "catalogue": catalogue}
