"""Pure tax rules: the tax items, their periods, the late-payment surcharge and deed tax.

- Late-payment surcharge (滞纳金, 税收征收管理法 §32): 0.05% of the unpaid tax per day from the day
  after the due date, rounded down to the fen. (No cap in the law; the bureau pursues it.)
- Deed tax (契税) on an individual's home purchase (财政部 税务总局 住房城乡建设部公告2024年第16号):
  the family's only home 1% up to 140 m², 1.5% above; a second home in Shenzhen 3% (the four
  first-tier cities were left out of the second-home relief); anything else the province's 3%.
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


def deed_tax(price_fen: int, area_dm2: int, *, first_home: bool) -> int:
    """Deed tax on a home bought by an individual in Shenzhen. `area_dm2` is the floor area in
    hundredths of a square metre (89.50 m² → 8950), so no float is needed."""
    if first_home:
        rate_bp = 100 if area_dm2 <= 140_00 else 150
    else:
        rate_bp = 300
    return price_fen * rate_bp // 10_000
