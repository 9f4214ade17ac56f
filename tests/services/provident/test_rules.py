"""The provident fund's pure rules: deposit arithmetic and withdrawal decisions, with worked examples
(arithmetic in the comments) and properties (never more than the balance or the limits)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity.services.provident import rules
from onecity.services.provident.rules import Ask, Facts

CITY = rules.load("440300")
RENT = CITY.withdrawals["rent"]
PURCHASE = CITY.withdrawals["purchase"]
RETIREMENT = CITY.withdrawals["retirement"]

# pure properties: no time limits (a loaded machine must not fail them)
STEADY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def facts(**kw: object) -> Facts:
    base: dict[str, object] = {"status": "normal", "available_fen": 8_600_000, "continuous_months": 24}
    return Facts(**(base | kw))  # type: ignore[arg-type]


# --- deposits ----------------------------------------------------------------------------------------

@pytest.mark.parametrize(("base_fen", "rate_bp", "part_fen"), [
    (1_000_000, 500, 50_000),  # 10,000.00 × 5% = 500.00 yuan exactly
    (876_543, 700, 61_400),  # 8,765.43 × 7% = 613.5801 → 614 yuan (half-up to whole yuan)
    (876_543, 1200, 105_200),  # 8,765.43 × 12% = 1,051.8516 → 1,052 yuan
    (252_000, 500, 12_600),  # 2,520.00 × 5% = 126.00
    (1_010_000, 500, 50_500),  # 10,100.00 × 5% = 505.00
    (1_001_000, 500, 50_100),  # 10,010.00 × 5% = 500.50 → 501 (exactly half goes up)
    (1_000_990, 500, 50_000),  # 10,009.90 × 5% = 500.495 → 500 (below half goes down)
    (2_000_000, 1200, 240_000),  # 20,000.00 × 12% = 2,400.00
])
def test_deposit_part_rounds_half_up_to_whole_yuan(base_fen: int, rate_bp: int, part_fen: int) -> None:
    assert rules.deposit_part(base_fen, rate_bp) == part_fen


@STEADY
@given(st.integers(1, 10**9), st.integers(0, 10_000))
def test_deposit_part_is_within_half_a_yuan_of_the_exact_amount(base_fen: int, rate_bp: int) -> None:
    part = rules.deposit_part(base_fen, rate_bp)
    assert part % 100 == 0
    # |part − base × rate| ≤ 0.5 yuan, in units of 1/10,000 fen: 50 fen × 10,000
    assert abs(part * 10_000 - base_fen * rate_bp) <= 50 * 10_000


# --- periods and continuity --------------------------------------------------------------------------

def test_periods() -> None:
    d = date(2026, 11, 26)
    assert rules.period_key("month", d) == "2026-11"
    assert rules.period_key("quarter", d) == "2026-Q4"
    assert rules.period_key("year", d) == "2026"
    assert rules.period_key("quarter", date(2026, 1, 1)) == "2026-Q1"
    assert rules.previous_month("2026-01") == "2025-12"


def test_continuous_months_ends_this_month_or_the_one_before() -> None:
    today = date(2026, 11, 26)
    assert rules.continuous_months({"2026-09", "2026-10", "2026-11"}, today) == 3
    assert rules.continuous_months({"2026-08", "2026-09", "2026-10"}, today) == 3  # November not posted yet
    assert rules.continuous_months({"2026-07", "2026-09", "2026-10"}, today) == 2  # August missing: the run restarts
    assert rules.continuous_months({"2026-08", "2026-09"}, today) == 0  # nothing in October or November
    assert rules.continuous_months({"2025-12", "2026-01"}, date(2026, 1, 5)) == 2  # across the year
    assert rules.continuous_months(set(), today) == 0


def test_rules_load_and_unknown_city() -> None:
    assert CITY.city_code == "440300" and CITY.version == "2026.1"
    assert RENT.limit_per_period_fen == 150_000 and RENT.limit_per_period_with_lease_fen == 250_000
    with pytest.raises(rules.RulesNotFound):
        rules.load("999999")
    with pytest.raises(rules.RulesNotFound):
        rules.load("../etc")


# --- rent --------------------------------------------------------------------------------------------

def test_rent_1500_is_paid_automatically() -> None:
    d = rules.evaluate(RENT, facts(), Ask("rent", 150_000))
    assert (d.outcome, d.code, d.max_fen) == ("auto", "auto", 150_000)  # min(limit 1,500.00, balance 86,000.00)


def test_rent_over_the_monthly_limit_is_refused() -> None:
    d = rules.evaluate(RENT, facts(), Ask("rent", 150_001))  # 1,500.01 > 1,500.00 without a registered lease
    assert (d.outcome, d.code, d.max_fen) == ("refuse", "hpf_over_limit", 150_000)


def test_rent_with_a_registered_lease_goes_to_staff_up_to_2500() -> None:
    d = rules.evaluate(RENT, facts(), Ask("rent", 250_000, registered_lease=True))
    assert (d.outcome, d.code) == ("refer", "lease_check")  # 2,500.00 ≤ 2,500.00, but the lease is checked by a person
    d = rules.evaluate(RENT, facts(), Ask("rent", 250_001, registered_lease=True))
    assert (d.outcome, d.code, d.max_fen) == ("refuse", "hpf_over_limit", 250_000)


def test_rent_once_a_month() -> None:
    d = rules.evaluate(RENT, facts(times_this_period=1, withdrawn_this_period_fen=50_000), Ask("rent", 50_000))
    assert (d.outcome, d.code) == ("refuse", "hpf_too_frequent")


def test_rent_needs_three_continuous_months_and_a_normal_account() -> None:
    assert rules.evaluate(RENT, facts(continuous_months=2), Ask("rent", 100_000)).code == "hpf_not_continuous"
    assert rules.evaluate(RENT, facts(continuous_months=3), Ask("rent", 100_000)).outcome == "auto"
    assert rules.evaluate(RENT, facts(status="sealed"), Ask("rent", 100_000)).code == "hpf_account_status"


def test_rent_not_over_the_balance() -> None:
    d = rules.evaluate(RENT, facts(available_fen=120_000), Ask("rent", 150_000))
    # limit 1,500.00 but only 1,200.00 in the account: at most 1,200.00
    assert (d.outcome, d.code, d.max_fen) == ("refuse", "hpf_over_balance", 120_000)
    assert rules.evaluate(RENT, facts(available_fen=120_000), Ask("rent", 120_000)).outcome == "auto"


def test_bad_amounts_are_refused() -> None:
    for amount in (0, -1):
        assert rules.evaluate(RENT, facts(), Ask("rent", amount)).code == "hpf_amount_invalid"


# --- purchase ----------------------------------------------------------------------------------------

def test_purchase_up_to_the_price_keeping_ten_yuan_goes_to_staff() -> None:
    # price 500,000.00, nothing withdrawn for it before; balance 86,000.00 less 10.00 kept = 85,990.00
    d = rules.evaluate(PURCHASE, facts(), Ask("purchase", 8_599_000, price_fen=50_000_000, property_no="粤2026深圳0001"))
    assert (d.outcome, d.code, d.max_fen) == ("refer", "staff_review", 8_599_000)
    d = rules.evaluate(PURCHASE, facts(), Ask("purchase", 8_599_001, price_fen=50_000_000, property_no="粤2026深圳0001"))
    assert (d.outcome, d.code) == ("refuse", "hpf_over_balance")


def test_purchase_not_over_the_price() -> None:
    # a garage bought for 50,000.00: at most 50,000.00 although 86,000.00 is in the account
    d = rules.evaluate(PURCHASE, facts(), Ask("purchase", 5_000_001, price_fen=5_000_000, property_no="粤2026深圳0002"))
    assert (d.outcome, d.code, d.max_fen) == ("refuse", "hpf_over_price", 5_000_000)


def test_purchase_needs_the_property_and_once_per_property() -> None:
    assert rules.evaluate(PURCHASE, facts(), Ask("purchase", 100_000)).code == "hpf_property_required"
    assert rules.evaluate(PURCHASE, facts(property_withdrawals=1, property_withdrawn_fen=100_000),
                          Ask("purchase", 100_000, price_fen=50_000_000, property_no="粤2026深圳0001")
                          ).code == "hpf_property_used"


# --- retirement --------------------------------------------------------------------------------------

def test_retirement_takes_the_whole_balance_at_the_age() -> None:
    old = facts(age=61, sex="M", available_fen=8_600_000)
    assert rules.evaluate(RETIREMENT, old, Ask("retirement", 8_600_000)).outcome == "refer"
    assert rules.evaluate(RETIREMENT, old, Ask("retirement", 100_000)).code == "hpf_whole_balance"
    assert rules.evaluate(RETIREMENT, facts(age=59, sex="M"), Ask("retirement", 8_600_000)).code == "hpf_not_retired"
    assert rules.evaluate(RETIREMENT, facts(age=55, sex="F"), Ask("retirement", 8_600_000)).outcome == "refer"
    # sex unknown: neither age applies (not the lower one by default) → refused
    assert rules.evaluate(RETIREMENT, facts(age=58, sex=None), Ask("retirement", 8_600_000)).code == "hpf_not_retired"


# --- invariants --------------------------------------------------------------------------------------

@STEADY
@given(
    reason=st.sampled_from(["rent", "purchase", "retirement"]),
    amount=st.integers(-10, 10**8),
    available=st.integers(0, 10**8),
    times=st.integers(0, 3),
    withdrawn=st.integers(0, 300_000),
    lease=st.booleans(),
    price=st.one_of(st.none(), st.integers(1, 10**8)),
    prop_withdrawn=st.integers(0, 10**7),
    status=st.sampled_from(["normal", "sealed"]),
    months=st.integers(0, 30),
    age=st.integers(18, 80),
)
def test_never_pays_more_than_the_balance_or_the_limits(reason: str, amount: int, available: int, times: int,
                                                        withdrawn: int, lease: bool, price: int | None,
                                                        prop_withdrawn: int, status: str, months: int,
                                                        age: int) -> None:
    rule = CITY.withdrawals[reason]  # type: ignore[index]
    f = facts(status=status, available_fen=available, continuous_months=months, times_this_period=times,
              withdrawn_this_period_fen=withdrawn, property_withdrawn_fen=prop_withdrawn, age=age, sex="F")
    d = rules.evaluate(rule, f, Ask(reason, amount, registered_lease=lease, price_fen=price, property_no="X-0001"))
    if d.outcome == "refuse":
        return
    assert 0 < amount <= available - rule.keep_min_balance_fen
    assert status in rule.account_status and months >= rule.min_continuous_months
    if rule.limit_per_period_fen is not None:
        limit = rule.limit_per_period_with_lease_fen if lease else rule.limit_per_period_fen
        assert limit is not None and withdrawn + amount <= limit
        assert times < (rule.max_times_per_period or 10**9)
    if rule.requires_property:
        assert price is not None and amount <= price - prop_withdrawn
    if d.outcome == "auto":
        assert rule.auto and not lease and amount <= (rule.auto_limit_fen or 10**12)
    assert amount <= d.max_fen
