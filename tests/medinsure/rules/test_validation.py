"""Every validation error of the rules engine: policy documents, bill lines, splits, covers, allocations
and refunds. Each bad input gets a clear message and a stable reason."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from onecity.medinsure.rules import (
    MAX_QUANTITY,
    MAX_UNIT_PRICE_FEN,
    Accumulators,
    AllocationInvalid,
    BillLine,
    CommercialAccumulators,
    CommercialCover,
    CommercialProduct,
    CoverInvalid,
    LineInvalid,
    PayerShare,
    PayerSource,
    Policy,
    PolicyInvalid,
    ReverseInvalid,
    SplitInvalid,
    allocate_payers,
    commercial_cover,
    demo_policies,
    demo_policy,
    load_policy,
    policy_for,
    reverse,
    split_bill,
)
from onecity.medinsure.rules.policies import DATA_DIR

Doc = dict[str, Any]


def base() -> Doc:
    return copy.deepcopy(demo_policy(2026).to_json())


def emp(d: Doc) -> Doc:
    return d["schemes"]["employee"]


def item(d: Doc, code: str) -> Doc:
    return next(it for it in d["catalogue"] if it["code"] == code)


def _set(path: list[Any], value: Any) -> Callable[[Doc], None]:
    def f(d: Doc) -> None:
        node = d
        for k in path[:-1]:
            node = node[k]
        node[path[-1]] = value
    return f


def _del(path: list[Any]) -> Callable[[Doc], None]:
    def f(d: Doc) -> None:
        node = d
        for k in path[:-1]:
            node = node[k]
        del node[path[-1]]
    return f


def _chronic_deductible_without_ratio(d: Doc) -> None:
    del emp(d)["ratio_bp"]["chronic"]
    del emp(d)["retiree_ratio_bp"]["chronic"]
    emp(d)["deductible"]["chronic"] = {"amount_fen": 100, "per": "year"}


def _dup_code(d: Doc) -> None:
    d["catalogue"].append(dict(d["catalogue"][0]))


def _pool_mismatch(d: Doc) -> None:
    emp(d)["deductible"]["pharmacy"]["amount_fen"] = 100


def _item_field(code: str, field: str, value: Any) -> Callable[[Doc], None]:
    def f(d: Doc) -> None:
        item(d, code)[field] = value
    return f


def _no_pa_but_pays(d: Doc) -> None:
    d["schemes"]["resident"]["personal_account_pays"] = ["self_pay_within"]


def _no_family_but_pays(d: Doc) -> None:
    emp(d)["family_aid"] = False


BAD: list[tuple[str, Callable[[Doc], None], str]] = [
    ("missing city", _del(["city"]), "missing field 'city'"),
    ("unknown top field", _set(["currency"], "CNY"), "unknown field 'currency'"),
    ("bad city", _set(["city"], "Peng Cheng"), "city: is not a valid value"),
    ("year bool", _set(["year"], True), "year: must be a whole number"),
    ("year range", _set(["year"], 1999), "year: must be between 2000 and 2100"),
    ("version zero", _set(["version"], 0), "version: must be between 1"),
    ("year as text", _set(["year"], "2026"), "year: must be a whole number"),
    ("no schemes", _set(["schemes"], {}), "schemes: must be a non-empty object"),
    ("unknown scheme", _set(["schemes", "student"], {}), "schemes.student: must be one of employee, resident"),
    ("scheme missing field", _del(["schemes", "employee", "annual_cap_fen"]),
     "schemes.employee: missing field 'annual_cap_fen'"),
    ("scheme unknown field", _set(["schemes", "employee", "ratio"], 1), "schemes.employee: unknown field 'ratio'"),
    ("unknown visit type", _set(["schemes", "employee", "ratio_bp", "dental"], {"1": 5000}),
     "schemes.employee.ratio_bp.dental: must be one of outpatient"),
    ("level 4", _set(["schemes", "employee", "ratio_bp", "outpatient", "4"], 5000),
     "schemes.employee.ratio_bp.outpatient.4: level must be one of 0, 1, 2, 3"),
    ("level text", _set(["schemes", "employee", "ratio_bp", "outpatient", "top"], 5000),
     "ratio_bp.outpatient.top: level must be one of"),
    ("pharmacy at a hospital", _set(["schemes", "employee", "ratio_bp", "pharmacy", "1"], 5000),
     "ratio_bp.pharmacy.1: level 0 (a retail pharmacy) is for the pharmacy visit type only"),
    ("outpatient at a pharmacy", _set(["schemes", "employee", "ratio_bp", "outpatient", "0"], 5000),
     "ratio_bp.outpatient.0: level 0"),
    ("empty level table", _set(["schemes", "employee", "ratio_bp", "chronic"], {}),
     "ratio_bp.chronic: must be a non-empty object of levels"),
    ("ratio over 100 %", _set(["schemes", "employee", "ratio_bp", "inpatient", "1"], 10001),
     "ratio_bp.inpatient.1: must be between 0 and 10000, got 10001"),
    ("negative ratio", _set(["schemes", "employee", "ratio_bp", "inpatient", "1"], -1), "must be between 0 and 10000"),
    ("ratio float", _set(["schemes", "employee", "ratio_bp", "inpatient", "1"], 0.9), "must be a whole number"),
    ("no ratios", _set(["schemes", "employee", "ratio_bp"], {}), "schemes.employee.ratio_bp: must cover at least one"),
    ("retiree level not covered", _del(["schemes", "employee", "ratio_bp", "chronic", "3"]),
     "schemes.employee.retiree_ratio_bp.chronic.3: has no matching entry in ratio_bp"),
    ("retiree below normal", _set(["schemes", "employee", "retiree_ratio_bp", "inpatient", "3"], 7000),
     "a retiree's ratio (7000) must not be below the normal one (8000)"),
    ("deductible without ratio", _chronic_deductible_without_ratio,
     "schemes.employee.deductible.chronic: a deductible for a visit type the scheme does not cover"),
    ("deductible per month", _set(["schemes", "employee", "deductible", "outpatient", "per"], "month"),
     "deductible.outpatient.per: must be one of year, admission"),
    ("negative deductible", _set(["schemes", "employee", "deductible", "outpatient", "amount_fen"], -1),
     "deductible.outpatient.amount_fen: must be between 0"),
    ("deductible level not covered", _set(["schemes", "employee", "deductible", "inpatient", "by_level", "0"], 1),
     "deductible.inpatient.by_level.0: level 0 is not covered for inpatient"),
    ("pool on admission", _set(["schemes", "employee", "deductible", "inpatient", "pool"], "ward"),
     "deductible.inpatient.pool: only a per-year deductible has a pool"),
    ("pool amounts differ", _pool_mismatch, "shares the pool 'outpatient' with outpatient but not its amount"),
    ("deductible unknown field", _set(["schemes", "employee", "deductible", "outpatient", "cap"], 1),
     "deductible.outpatient: unknown field 'cap'"),
    ("cap zero", _set(["schemes", "employee", "annual_cap_fen"], 0), "annual_cap_fen: must be between 1"),
    ("personal account text", _set(["schemes", "employee", "personal_account"], "yes"),
     "personal_account: must be true or false"),
    ("unknown account part", _set(["schemes", "employee", "personal_account_pays"], ["cash"]),
     "personal_account_pays[0]: must be one of self_pay_within, self_pay_outside"),
    ("account part twice", _set(["schemes", "employee", "personal_account_pays"], ["self_pay_within"] * 2),
     "personal_account_pays: lists a part twice"),
    ("account pays not a list", _set(["schemes", "employee", "personal_account_pays"], "self_pay_within"),
     "personal_account_pays: must be a list"),
    ("pays without account", _no_pa_but_pays,
     "schemes.resident.personal_account_pays: must be empty when the scheme has no personal account"),
    ("family pays without family aid", _no_family_but_pays,
     "schemes.employee.family_aid_pays: must be empty when family aid is off"),
    ("empty catalogue", _set(["catalogue"], []), "catalogue: must be a non-empty list"),
    ("catalogue not a list", _set(["catalogue"], {}), "catalogue: must be a non-empty list"),
    ("item missing unit", _del(["catalogue", 0, "unit"]), "catalogue[0]: missing field 'unit'"),
    ("duplicate code", _dup_code, "code 'XJ01CAA040A001' appears twice"),
    ("bad code", _item_field("110200001", "code", "11 02"), "catalogue[37].code: is not a valid value"),
    ("bad kind", _item_field("110200001", "kind", "food"), "(110200001).kind: must be one of drug, service, material"),
    ("bad category", _item_field("110200001", "category", "D"), "(110200001).category: must be one of A, B, C"),
    ("zero list price", _item_field("110200001", "list_price_fen", 0), "(110200001).list_price_fen: must be between 1"),
    ("standard on a C item", _item_field("110200006", "standard_price_fen", 100),
     "(110200006).standard_price_fen: a 丙 (C) item is outside the policy and has no payment standard"),
    ("self-pay-first on an A item", _item_field("110200001", "self_pay_first_bp", 1000),
     "(110200001).self_pay_first_bp: only a 乙 (B) item has a self-pay-first share"),
    ("self-pay-first over 100 %", _item_field("210300001", "self_pay_first_bp", 10001),
     "(210300001).self_pay_first_bp: must be between 0 and 10000"),
    ("empty name", _item_field("210300001", "name_zh", " "), "(210300001).name_zh: must be a non-empty text"),
]


@pytest.mark.parametrize(("why", "mutate", "message"), BAD, ids=[b[0] for b in BAD])
def test_policy_invalid(why: str, mutate: Callable[[Doc], None], message: str) -> None:
    d = base()
    mutate(d)
    with pytest.raises(PolicyInvalid) as e:
        Policy.from_json(d)
    assert message in str(e.value), str(e.value)
    assert e.value.reason == "policy_invalid"


def test_not_an_object() -> None:
    with pytest.raises(PolicyInvalid, match="must be an object, got list"):
        Policy.from_json([])


def test_demo_policies_round_trip_and_differ() -> None:
    p25, p26 = demo_policies()
    assert (p25.key, p26.key) == ("pengcheng/2025/v1", "pengcheng/2026/v1")
    for p in (p25, p26):
        assert Policy.from_json(json.loads(json.dumps(p.to_json()))) == p
        assert len(p.catalogue) >= 60
        assert {i.category for i in p.catalogue.values()} == {"A", "B", "C"}
        assert {i.kind for i in p.catalogue.values()} == {"drug", "service", "material"}
        assert sum(i.list_price_fen is not None for i in p.catalogue.values()) >= 20
        assert sum(i.standard_price_fen is not None for i in p.catalogue.values()) >= 10
    e25, e26 = p25.scheme("employee"), p26.scheme("employee")
    assert e25.deductible["outpatient"].amount_fen == 180000 and e26.deductible["outpatient"].amount_fen == 150000
    assert (e25.annual_cap_fen, e26.annual_cap_fen) == (30_000_000, 32_000_000)
    assert (p25.scheme("resident").annual_cap_fen, p26.scheme("resident").annual_cap_fen) == (20_000_000, 22_000_000)
    assert policy_for(demo_policies(), 2026) is p26 and policy_for(demo_policies(), 2024) is None


def test_load_policy_names_the_file(tmp_path: Path) -> None:
    bad = tmp_path / "city_2030.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(PolicyInvalid, match="city_2030.json: cannot read the policy"):
        load_policy(bad)
    with pytest.raises(PolicyInvalid, match="missing.json: cannot read the policy"):
        load_policy(tmp_path / "missing.json")
    d = base()
    d["year"] = 1900
    bad.write_text(json.dumps(d), encoding="utf-8")
    with pytest.raises(PolicyInvalid, match="city_2030.json: year: must be between 2000 and 2100"):
        load_policy(bad)
    assert load_policy(DATA_DIR / "pengcheng_2026.json") == demo_policy(2026)


LINES = [
    (BillLine(1, "NOPE", 1, 100), "unknown_code", "unknown catalogue code 'NOPE'"),
    (BillLine(2, "110200001", 0, 2500), "bad_quantity", "line 2: quantity must be a whole number"),
    (BillLine(3, "110200001", -1, 2500), "bad_quantity", "got -1"),
    (BillLine(4, "110200001", True, 2500), "bad_quantity", "got True"),
    (BillLine(5, "110200001", MAX_QUANTITY + 1, 2500), "bad_quantity", "from 1 to 10000"),
    (BillLine(6, "XM01AEB001A002", 1, 0), "bad_price", "unit price must be whole fen"),
    (BillLine(7, "XM01AEB001A002", 1, 12.5), "bad_price", "got 12.5"),  # type: ignore[arg-type]
    (BillLine(8, "XM01AEB001A002", 1, MAX_UNIT_PRICE_FEN + 1), "bad_price", "from 1 to 100000000"),
    (BillLine(9, "110200001", 1, 2600), "price_mismatch",
     "110200001 has the government price 2500 fen, the bill says 2600 fen"),
]


@pytest.mark.parametrize(("line", "reason", "message"), LINES, ids=[x[1] + str(x[0].line_no) for x in LINES])
def test_line_invalid(line: BillLine, reason: str, message: str) -> None:
    p = demo_policy(2026)
    with pytest.raises(LineInvalid) as e:
        split_bill(p, scheme="employee", visit_type="outpatient", level=1, retiree=False,
                   lines=[BillLine(10, "110200001", 1, 2500), line], ytd=Accumulators.zero(2026))
    assert e.value.reason == reason and e.value.line_no == line.line_no
    assert message in str(e.value)


def test_a_code_of_2026_is_unknown_in_2025() -> None:
    with pytest.raises(LineInvalid, match="unknown catalogue code 'XN02CDR001A001' in pengcheng/2025/v1"):
        split_bill(demo_policy(2025), scheme="employee", visit_type="pharmacy", level=0, retiree=False,
                   lines=[BillLine(1, "XN02CDR001A001", 1, 9800)], ytd=Accumulators.zero(2025))


SPLITS: list[tuple[dict[str, Any], str]] = [
    ({"scheme": "student"}, "unknown_scheme"),
    ({"visit_type": "dental"}, "unknown_visit_type"),
    ({"visit_type": "pharmacy", "level": 3}, "not_covered"),
    ({"visit_type": "inpatient", "level": 0}, "not_covered"),
    ({"level": 7}, "not_covered"),
    ({"ytd": Accumulators.zero(2025)}, "year_mismatch"),
    ({"ytd": Accumulators(2026, {}, -1)}, "bad_accumulators"),
    ({"ytd": Accumulators(2026, {"outpatient": -5}, 0)}, "bad_accumulators"),
    ({"admission_deductible_used_fen": -1}, "bad_accumulators"),
    ({"lines": []}, "empty_bill"),
    ({"lines": [BillLine(1, "110200001", 1, 2500), BillLine(1, "250102001", 1, 1000)]}, "duplicate_line"),
]


@pytest.mark.parametrize(("change", "reason"), SPLITS, ids=[f"{r}-{i}" for i, (_, r) in enumerate(SPLITS)])
def test_split_invalid(change: dict[str, Any], reason: str) -> None:
    kw: dict[str, Any] = {"scheme": "employee", "visit_type": "outpatient", "level": 1, "retiree": False,
                          "lines": [BillLine(1, "110200001", 1, 2500)], "ytd": Accumulators.zero(2026)}
    kw.update(change)
    with pytest.raises(SplitInvalid) as e:
        split_bill(demo_policy(2026), **kw)
    assert e.value.reason == reason


def _split() -> Any:
    return split_bill(demo_policy(2026), scheme="employee", visit_type="outpatient", level=1, retiree=False,
                      lines=[BillLine(1, "110200001", 1, 2500), BillLine(2, "110200006", 1, 5000)],
                      ytd=Accumulators(2026, {"outpatient": 150000}, 0))


def test_cover_invalid() -> None:
    s = _split()
    good = CommercialProduct("p", 5000, 0, 100000, covers_outside=True)
    with pytest.raises(CoverInvalid, match="ratio_bp must be 0..10000") as e:
        commercial_cover(CommercialProduct("p", 10001, 0, 100), s, CommercialAccumulators.zero(2026))
    assert e.value.reason == "bad_product"
    with pytest.raises(CoverInvalid, match="deductible_fen must not be negative; annual_limit_fen"):
        commercial_cover(CommercialProduct("p", 100, -1, -1), s, CommercialAccumulators.zero(2026))
    with pytest.raises(CoverInvalid, match="excluded_categories"):
        commercial_cover(CommercialProduct("p", 100, 0, 1, excluded_categories=frozenset({"Z"})), s,
                         CommercialAccumulators.zero(2026))
    with pytest.raises(CoverInvalid, match="visit_types"):
        commercial_cover(CommercialProduct("p", 100, 0, 1, visit_types=frozenset({"spa"})), s,
                         CommercialAccumulators.zero(2026))
    with pytest.raises(CoverInvalid, match="of 2025 given for a 2026 bill") as e:
        commercial_cover(good, s, CommercialAccumulators.zero(2025))
    assert e.value.reason == "year_mismatch"
    with pytest.raises(CoverInvalid) as e:
        commercial_cover(good, s, CommercialAccumulators(2026, -1, 0))
    assert e.value.reason == "bad_accumulators"
    assert CommercialProduct.from_json(good.to_json()) == good


def test_allocation_invalid() -> None:
    s = _split()
    acc = CommercialAccumulators.zero(2026)
    cover = commercial_cover(CommercialProduct("p", 10000, 0, 10**6, covers_outside=True), s, acc)
    w = frozenset({"self_pay_within"})
    cases: list[tuple[dict[str, Any], str]] = [
        ({"last": "cash"}, "bad_payer"),
        ({"covers": [("insurer", cover)]}, "bad_payer"),
        ({"covers": [("commercial:", cover)]}, "bad_payer"),
        ({"accounts": [PayerSource("mum", 10, w)]}, "bad_payer"),
        ({"accounts": [PayerSource("family:", 10, w)]}, "bad_payer"),
        ({"accounts": [PayerSource("personal_account", 10, frozenset({"cash"}))]}, "bad_payer"),
        ({"accounts": [PayerSource("personal_account", -1, w)]}, "bad_balance"),
        ({"accounts": [PayerSource("personal_account", 1, w), PayerSource("personal_account", 1, w)]},
         "duplicate_payer"),
        ({"covers": [("commercial:A", cover), ("commercial:A", cover)]}, "duplicate_payer"),
        # two covers that each pay everything: more than the citizen's part
        ({"covers": [("commercial:A", cover), ("commercial:B", cover)]}, "over_covered"),
    ]
    for kw, reason in cases:
        with pytest.raises(AllocationInvalid) as e:
            allocate_payers(s, **kw)
        assert e.value.reason == reason, kw
    bad = CommercialCover("p", {1: (0, -5)}, -5, acc)
    with pytest.raises(AllocationInvalid, match="negative payment"):
        allocate_payers(s, covers=[("commercial:A", bad)])
    with pytest.raises(AllocationInvalid, match="names line 5 that the bill does not have") as e:
        allocate_payers(s, covers=[("commercial:A", CommercialCover("p", {5: (0, 1)}, 1, acc))])
    assert e.value.reason == "bad_cover"
    with pytest.raises(AllocationInvalid, match="do not add up to its total"):
        allocate_payers(s, covers=[("commercial:A", CommercialCover("p", {1: (0, 1)}, 2, acc))])


def test_reverse_invalid() -> None:
    s = _split()
    a = allocate_payers(s)
    ytd = s.accumulators_after
    with pytest.raises(ReverseInvalid, match="the bill has no line 9") as e:
        reverse(s.lines, a.shares, line_nos=[1, 9], ytd=ytd)
    assert e.value.reason == "unknown_line"
    with pytest.raises(ReverseInvalid) as e:
        reverse(s.lines, a.shares, line_nos=[], ytd=ytd)
    assert e.value.reason == "unknown_line"
    with pytest.raises(ReverseInvalid, match="listed twice") as e:
        reverse(s.lines, a.shares, line_nos=[1, 1], ytd=ytd)
    assert e.value.reason == "duplicate_line"
    with pytest.raises(ReverseInvalid, match="repeats a line number"):
        reverse([*s.lines, s.lines[0]], a.shares, ytd=ytd)
    with pytest.raises(ReverseInvalid, match="do not add up") as e:
        reverse(s.lines, a.shares[1:], ytd=ytd)
    assert e.value.reason == "bad_shares"
    with pytest.raises(ReverseInvalid, match="names line 7"):
        reverse(s.lines, [*a.shares, PayerShare("wallet", 7, 1)], ytd=ytd)
    moved = [PayerShare("wallet" if sh.payer == "fund" else sh.payer, sh.line_no, sh.fen) for sh in a.shares]
    with pytest.raises(ReverseInvalid, match="fund's shares"):
        reverse(s.lines, moved, ytd=ytd)
    # accumulators that do not contain the bill (e.g. the 2026 bill against fresh accumulators)
    with pytest.raises(ReverseInvalid, match="do not contain") as e:
        reverse(s.lines, a.shares, ytd=Accumulators.zero(2026))
    assert e.value.reason == "negative_accumulator"
    cover = CommercialCover("p", {1: (0, 100)}, 100, CommercialAccumulators(2026, 0, 100))
    with pytest.raises(ReverseInvalid, match="commercial:X: its shares do not match"):
        reverse(s.lines, a.shares, ytd=ytd, commercial={"commercial:X": (cover, CommercialAccumulators(2026, 0, 100))})
