"""The pure rules: plates, decision numbers, the late penalty (worked examples), the points cycle."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity.services.traffic import rules

# pure properties: no time limits (a loaded machine must not fail them)
STEADY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize(("text", "kind"), [
    ("粤B12345", "ordinary"), ("粤b·a1234", "ordinary"), ("京A 8888学", "ordinary"),
    ("粤BD12345", "new_energy"), ("粤BFA1234", "new_energy"), ("粤B12345D", "new_energy"),
    ("沪AD00001", "new_energy"),
])
def test_plates_that_are_valid(text: str, kind: str) -> None:
    assert rules.plate_kind(rules.normalise_plate(text)) == kind


@pytest.mark.parametrize("text", [
    "", "粤B1234", "粤BI2345", "粤BO2345", "XB12345", "粤112345", "粤BX12345", "粤B12345X6", "粤BD1234I",
    "粤BDO1234", "粤B123456", "A粤12345",
])
def test_plates_that_are_not(text: str) -> None:
    assert rules.plate_kind(rules.normalise_plate(text)) is None


def test_a_plate_is_masked_to_its_office_and_last_two() -> None:
    assert rules.mask_plate("粤BD12345") == "粤B·****45"
    assert rules.mask_plate("粤B12345") == "粤B·***45"


def test_decision_number_worked_example() -> None:
    # 4403 | 26 | 000000123 → body 440326000000123. Luhn from the right, doubling positions 0, 2, 4…
    # of the body (the check digit will sit at position 0 of the whole number):
    # reversed body 3,2,1,0,0,0,0,0,0,6,2,3,0,4,4
    # doubled (even positions) 3→6, 1→2, 0, 0, 0, 2→4, 0, 4→8 = 20; the others 2+0+0+0+6+3+4 = 15
    # sum = 35 → check = (10 − 35 mod 10) mod 10 = 5
    assert rules.decision_number("4403", 2026, 123) == "4403260000001235"
    assert rules.decision_number_valid("4403260000001235")
    assert not rules.decision_number_valid("4403260000001238")  # wrong check digit
    assert not rules.decision_number_valid("440326000000123")  # 15 digits
    assert not rules.decision_number_valid("44032600000012a8")


@STEADY
@given(st.integers(min_value=0, max_value=10**9 - 1), st.integers(min_value=0, max_value=14),
       st.integers(min_value=1, max_value=9))
def test_any_single_digit_change_breaks_the_check(serial: int, pos: int, delta: int) -> None:
    number = rules.decision_number("4403", 2026, serial)
    changed = number[:pos] + str((int(number[pos]) + delta) % 10) + number[pos + 1:]
    assert rules.decision_number_valid(number)
    assert not rules.decision_number_valid(changed)


def test_late_penalty_worked_examples() -> None:
    decided = date(2026, 1, 1)
    fine = 20_000  # 200.00 yuan
    # day 15 (16 January): still within the 15 days → 0
    assert rules.late_penalty(fine, decided, date(2026, 1, 16)) == 0
    # day 16 (17 January): the first charged day → 3% × 20000 = 600
    assert rules.late_penalty(fine, decided, date(2026, 1, 17)) == 600
    # day 20: 5 charged days → 15% × 20000 = 3000
    assert rules.late_penalty(fine, decided, date(2026, 1, 21)) == 3_000
    # day 48: 33 charged days → 99% × 20000 = 19800
    assert rules.late_penalty(fine, decided, date(2026, 2, 18)) == 19_800
    # day 49: 34 charged days → 102% → capped at the fine, 20000
    assert rules.late_penalty(fine, decided, date(2026, 2, 19)) == 20_000
    # a year later: still the fine, never more
    assert rules.late_penalty(fine, decided, date(2027, 1, 1)) == 20_000
    # rounding down to the fen: 150.33 yuan on day 16 → 15033 × 3% = 450.99 → 450
    assert rules.late_penalty(15_033, decided, date(2026, 1, 17)) == 450


@STEADY
@given(st.integers(min_value=0, max_value=10**8), st.integers(min_value=-5, max_value=400))
def test_late_penalty_never_exceeds_the_fine(fine: int, days: int) -> None:
    decided = date(2026, 1, 1)
    on = date.fromordinal(decided.toordinal() + days)
    p = rules.late_penalty(fine, decided, on)
    assert 0 <= p <= fine


def test_scoring_cycles_start_on_the_anniversary() -> None:
    first = date(2020, 3, 1)
    assert rules.current_cycle_start(first, date(2026, 2, 28)) == date(2025, 3, 1)
    assert rules.current_cycle_start(first, date(2026, 3, 1)) == date(2026, 3, 1)
    assert rules.current_cycle_start(first, date(2020, 3, 1)) == date(2020, 3, 1)
    # 29 February: in common years the cycle starts on 28 February
    assert rules.current_cycle_start(date(2020, 2, 29), date(2026, 2, 28)) == date(2026, 2, 28)
