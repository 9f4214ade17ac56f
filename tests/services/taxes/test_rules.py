"""Pure tax rules with worked examples."""

from __future__ import annotations

from datetime import date

from onecity.services.taxes import rules


def test_late_surcharge_worked_examples() -> None:
    due = date(2026, 12, 31)
    # paid on the due date → 0
    assert rules.late_surcharge(36_000, due, date(2026, 12, 31)) == 0
    # one day late: 360.00 × 0.05% = 0.18 → 18 fen
    assert rules.late_surcharge(36_000, due, date(2027, 1, 1)) == 18
    # 30 days late: 360.00 × 0.05% × 30 = 5.40 → 540 fen
    assert rules.late_surcharge(36_000, due, date(2027, 1, 30)) == 540
    # rounding down: 123.45 × 0.05% × 1 = 0.061725 → 6 fen
    assert rules.late_surcharge(12_345, due, date(2027, 1, 1)) == 6
    # rounding is down, once, on the total: 199.99 × 0.05% × 2 = 0.19999 → 19 fen (rounding half-up
    # would give 20; rounding each day down would give 9 + 9 = 18)
    assert rules.late_surcharge(19_999, due, date(2027, 1, 2)) == 19
    # paid early → 0
    assert rules.late_surcharge(36_000, due, date(2026, 11, 1)) == 0


def test_periods_follow_the_item() -> None:
    assert rules.period_valid("vehicle_vessel", "2026")
    assert not rules.period_valid("vehicle_vessel", "2026-10")
    assert rules.period_valid("flexible_social_insurance", "2026-10")
    assert not rules.period_valid("flexible_social_insurance", "2026-13")
    assert not rules.period_valid("nope", "2026")
