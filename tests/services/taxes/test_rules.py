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
    # paid early → 0
    assert rules.late_surcharge(36_000, due, date(2026, 11, 1)) == 0


def test_deed_tax_worked_examples() -> None:
    # the family's only home, 89.50 m², 3,000,000.00 yuan: 1% → 30,000.00
    assert rules.deed_tax(300_000_000, 89_50, first_home=True) == 3_000_000
    # exactly 140 m² still 1%: 5,000,000.00 → 50,000.00
    assert rules.deed_tax(500_000_000, 140_00, first_home=True) == 5_000_000
    # 140.01 m²: 1.5% → 75,000.00
    assert rules.deed_tax(500_000_000, 140_01, first_home=True) == 7_500_000
    # a second home in Shenzhen: 3% of 4,000,000.00 → 120,000.00
    assert rules.deed_tax(400_000_000, 89_50, first_home=False) == 12_000_000


def test_periods_follow_the_item() -> None:
    assert rules.period_valid("vehicle_vessel", "2026")
    assert not rules.period_valid("vehicle_vessel", "2026-10")
    assert rules.period_valid("flexible_social_insurance", "2026-10")
    assert not rules.period_valid("flexible_social_insurance", "2026-13")
    assert not rules.period_valid("nope", "2026")
