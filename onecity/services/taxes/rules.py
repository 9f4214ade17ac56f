"""Pure tax rules: the tax items, their periods and the late-payment surcharge.

- Late-payment surcharge (滞纳金, 税收征收管理法 §32): 0.05% of the unpaid tax per day from the day
  after the due date, rounded down to the fen. (No cap in the law; the bureau pursues it.)
  Worked: 360.00 yuan one day late → 36,000 × 5 / 10,000 = 18 fen; 199.99 yuan two days late →
  19,999 × 5 × 2 // 10,000 = 19 fen (rounded down once, on the total).
- The amounts themselves (deed tax, vehicle and vessel tax…) are the bureau's: an assessment arrives
  with its amount; the platform does not recompute it.
"""

from __future__ import annotations

import re
from datetime import date

ITEMS: dict[str, dict[str, str]] = {
    "vehicle_vessel": {"zh": "车船税", "en": "Vehicle and vessel tax", "period": "year"},
    "deed": {"zh": "契税", "en": "Deed tax", "period": "month"},
    "flexible_social_insurance": {"zh": "灵活就业人员社会保险费", "en": "Social insurance (flexible employment)",
                                  "period": "month"},
    "iit_annual": {"zh": "个人所得税综合所得年度汇算补税", "en": "Individual income tax annual settlement (balance due)",
                   "period": "year"},
}
_PERIOD = {"year": re.compile(r"^(19|20)[0-9]{2}$"), "month": re.compile(r"^(19|20)[0-9]{2}-(0[1-9]|1[0-2])$")}
SURCHARGE_BP_PER_DAY = 5  # 0.05%


def period_valid(item: str, period: str) -> bool:
    spec = ITEMS.get(item)
    return spec is not None and bool(_PERIOD[spec["period"]].match(period))


def late_surcharge(amount_fen: int, due_on: date, on: date) -> int:
    """滞纳金 owed on `on`: 0.05% of the tax for each day after `due_on` (paid on the due date → 0)."""
    days = max(0, (on - due_on).days)
    return amount_fen * SURCHARGE_BP_PER_DAY * days // 10_000

