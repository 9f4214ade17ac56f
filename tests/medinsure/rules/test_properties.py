"""Properties of the rules engine on random bills of the demo city's catalogue: every line adds up, no part
is negative, the fund never passes the cap, payers' shares add up to each line, refunds restore exactly."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity.medinsure.rules import (
    ACCOUNT_PARTS,
    VISIT_TYPES,
    Accumulators,
    Allocation,
    BillLine,
    BillSplit,
    CommercialAccumulators,
    CommercialCover,
    CommercialProduct,
    PayerSource,
    Policy,
    allocate_payers,
    commercial_cover,
    demo_policies,
    reverse,
    round_bp,
    split_bill,
)

POLICIES = demo_policies()
COMBOS = [(p, scheme, vt, lv) for p in POLICIES for scheme, rules in p.schemes.items()
          for vt, row in rules.ratio_bp.items() for lv in row]
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@dataclass
class Case:
    policy: Policy
    kw: dict[str, Any]
    ytd: Accumulators
    adm: int

    def split(self, ytd: Accumulators | None = None) -> BillSplit:
        return split_bill(self.policy, ytd=ytd or self.ytd, admission_deductible_used_fen=self.adm, **self.kw)


@st.composite
def cases(draw: st.DrawFn) -> Case:
    p, scheme, vt, lv = draw(st.sampled_from(COMBOS))
    codes = sorted(p.catalogue)
    bill = []
    for i in range(draw(st.integers(1, 8))):
        item = p.catalogue[draw(st.sampled_from(codes))]
        if item.list_price_fen is not None:
            price = item.list_price_fen
        elif item.standard_price_fen is not None:
            price = draw(st.integers(max(1, item.standard_price_fen - 500), item.standard_price_fen * 3))
        else:
            price = draw(st.one_of(st.integers(1, 9999), st.integers(1, 3_000_000)))
        bill.append(BillLine(i + 1, item.code, draw(st.integers(1, 30)), price))
    rules = p.schemes[scheme]
    key = rules.deductible_key(vt)
    used = draw(st.integers(0, 250_000))
    cap = rules.annual_cap_fen
    fund = draw(st.one_of(st.just(0), st.integers(0, cap), st.integers(max(0, cap - 400_000), cap)))
    ytd = Accumulators(p.year, {key: used} if key else {}, fund)
    kw = {"scheme": scheme, "visit_type": vt, "level": lv, "retiree": draw(st.booleans()), "lines": bill}
    return Case(p, kw, ytd, draw(st.integers(0, 150_000)))


products = st.builds(
    CommercialProduct, product_id=st.text("abc", min_size=1, max_size=3), ratio_bp=st.integers(0, 10_000),
    deductible_fen=st.integers(0, 50_000), annual_limit_fen=st.integers(0, 2_000_000), covers_outside=st.booleans(),
    excluded_codes=st.frozensets(st.sampled_from(sorted(POLICIES[0].catalogue)), max_size=5),
    excluded_categories=st.frozensets(st.sampled_from(["A", "B", "C"]), max_size=1),
    visit_types=st.frozensets(st.sampled_from(VISIT_TYPES), min_size=1))
accounts = st.lists(st.tuples(st.integers(0, 200_000), st.frozensets(st.sampled_from(ACCOUNT_PARTS))), max_size=3)


def pay(split: BillSplit, prods: list[CommercialProduct], accs: list[tuple[int, frozenset[str]]], last: str
        ) -> tuple[list[tuple[str, CommercialCover]], Allocation, list[PayerSource]]:
    covers: list[tuple[str, CommercialCover]] = []
    for i, prod in enumerate(prods):
        c = commercial_cover(prod, split, CommercialAccumulators(split.year, 1000 * i, 0), prior=[c for _, c in covers])
        covers.append((f"commercial:P{i}", c))
    sources = [PayerSource("personal_account" if i == 0 else f"family:R{i}", bal, pays)
               for i, (bal, pays) in enumerate(accs)]
    return covers, allocate_payers(split, covers=covers, accounts=sources, last=last), sources


@SETTINGS
@given(cases())
def test_split_invariants(case: Case) -> None:
    s = case.split()
    rules = case.policy.schemes[case.kw["scheme"]]
    for ln in s.lines:
        parts = (ln.outside_fen, ln.self_pay_first_fen, ln.deductible_fen, ln.coinsurance_fen, ln.over_cap_fen,
                 ln.fund_fen)
        assert min(parts) >= 0
        assert ln.amount_fen == ln.outside_fen + ln.within_fen + ln.fund_fen
        assert ln.fund_fen <= round_bp(ln.amount_fen, ln.ratio_bp)
        if ln.category == "C":
            assert ln.outside_fen == ln.amount_fen
    assert s.total_fen == s.fund_fen + s.within_fen + s.outside_fen == sum(ln.amount_fen for ln in s.lines)
    after = s.accumulators_after
    assert after.fund_paid_fen == case.ytd.fund_paid_fen + s.fund_fen <= rules.annual_cap_fen
    key = rules.deductible_key(case.kw["visit_type"])
    rule = rules.deductible_rule(case.kw["visit_type"])
    if key:
        assert after.used(key) == case.ytd.used(key) + s.deductible_fen
        assert after.used(key) <= max(case.ytd.used(key), rule.amount_for(case.kw["level"]) if rule else 0)
        assert s.admission_deductible_used_after_fen == case.adm
    else:
        assert after.deductible_used == case.ytd.deductible_used
        assert s.admission_deductible_used_after_fen == case.adm + s.deductible_fen


@SETTINGS
@given(cases(), st.lists(products, max_size=2), accounts, st.sampled_from(["wallet", "credit_line"]))
def test_payers_add_up_per_line(case: Case, prods: list[CommercialProduct],
                                accs: list[tuple[int, frozenset[str]]], last: str) -> None:
    s = case.split()
    covers, a, sources = pay(s, prods, accs, last)
    for ln in s.lines:
        shares = a.for_line(ln.line_no)
        assert sum(shares.values()) == ln.amount_fen
        assert shares.get("fund", 0) == ln.fund_fen
        for payer, c in covers:
            assert shares.get(payer, 0) == c.paid_on(ln.line_no)
        for src in sources:
            allowed = (ln.within_fen if "self_pay_within" in src.pays else 0) + (
                ln.outside_fen if "self_pay_outside" in src.pays else 0)
            assert shares.get(src.payer, 0) <= allowed
    assert all(sh.fen > 0 for sh in a.shares)
    for src in sources:
        assert a.totals.get(src.payer, 0) <= src.available_fen
    for payer, c in covers:
        assert a.totals.get(payer, 0) == c.total_fen
        prod = prods[int(payer.removeprefix("commercial:P"))]
        assert c.total_fen <= prod.annual_limit_fen
        assert c.accumulators_after.paid_fen == c.total_fen
    assert sum(a.totals.values()) == s.total_fen


@SETTINGS
@given(cases(), st.lists(products, max_size=2), accounts)
def test_reverse_whole_bill_restores_and_split_again_is_the_same(
        case: Case, prods: list[CommercialProduct], accs: list[tuple[int, frozenset[str]]]) -> None:
    s = case.split()
    covers, a, _ = pay(s, prods, accs, "wallet")
    r = reverse(s.lines, a.shares, line_nos=None, ytd=s.accumulators_after,
                commercial={p: (c, c.accumulators_after) for p, c in covers})
    assert r.accumulators_after == case.ytd
    assert dict(r.refund_by_payer) == dict(a.totals)
    assert r.admission_deductible_fen == s.admission_deductible_used_after_fen - case.adm
    for p, c in covers:
        assert r.commercial_after[p] == c.accumulators_before
    assert case.split(r.accumulators_after) == s


@SETTINGS
@given(cases(), st.data())
def test_two_partial_refunds_make_the_whole(case: Case, data: st.DataObject) -> None:
    s = case.split()
    _, a, _ = pay(s, [], [(50_000, frozenset({"self_pay_within"}))], "wallet")
    nos = [ln.line_no for ln in s.lines]
    first = data.draw(st.lists(st.sampled_from(nos), unique=True, min_size=1, max_size=len(nos)))
    second = [n for n in nos if n not in first]
    r1 = reverse(s.lines, a.shares, line_nos=first, ytd=s.accumulators_after)
    assert min([r1.accumulators_after.fund_paid_fen, *r1.accumulators_after.deductible_used.values()]) >= 0
    if second:
        r2 = reverse(s.lines, a.shares, line_nos=second, ytd=r1.accumulators_after)
        final = r2.accumulators_after
        back = {p: r1.refund_by_payer.get(p, 0) + r2.refund_by_payer.get(p, 0) for p in a.totals}
    else:
        final, back = r1.accumulators_after, dict(r1.refund_by_payer)
    assert final == case.ytd
    assert back == dict(a.totals)


@SETTINGS
@given(st.lists(cases(), min_size=1, max_size=5), st.randoms(use_true_random=False))
def test_a_year_of_bills_refunded_in_any_order_goes_back_to_zero(bills: list[Case], rnd: Any) -> None:
    # All the bills of one insured (the first bill's policy, scheme and year), settled one after the other.
    p, scheme = bills[0].policy, bills[0].kw["scheme"]
    rules = p.schemes[scheme]
    ytd = Accumulators.zero(p.year)
    settled = []
    for b in bills:
        if not rules.covers(b.kw["visit_type"], b.kw["level"]):
            continue
        bill = [ln for ln in b.kw["lines"] if ln.code in p.catalogue]
        if not bill:
            continue
        kw = {**b.kw, "scheme": scheme, "lines": bill}
        s = split_bill(p, ytd=ytd, **kw)
        assert s.accumulators_after.fund_paid_fen <= rules.annual_cap_fen
        ytd = s.accumulators_after
        _, a, _ = pay(s, [], [], "wallet")
        settled.append((s, a))
    rnd.shuffle(settled)
    for s, a in settled:
        ytd = reverse(s.lines, a.shares, ytd=ytd).accumulators_after
        assert ytd.fund_paid_fen >= 0 and all(v >= 0 for v in ytd.deductible_used.values())
    assert ytd == Accumulators.zero(p.year)
