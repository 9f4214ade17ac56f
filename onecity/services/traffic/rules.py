"""Pure rules of traffic enforcement: no database, no clock.

- Plates (号牌): the ordinary 7-character plate (province, issuing-office letter, five characters)
  and the new-energy 8-character plate (small cars: D/A/B/C/E pure electric or F/G/H/J/K other,
  then a letter or digit and four digits; large vehicles: five digits then D/F…). I and O are never
  used (they look like 1 and 0).
- Decision numbers (决定书编号): 16 digits = the city's 4-digit prefix (4403 Shenzhen), the 2-digit
  year of the decision, a 9-digit serial and one Luhn check digit over the first 15.
- Late penalty (加处罚款, 行政处罚法 §72): 3% of the fine for each day from the 16th day after the
  decision, never more than the fine itself.
- Points (记分): a 12-month scoring cycle that starts on the licence's anniversary; 12 points or
  more in a cycle suspends the licence (满分).
"""

from __future__ import annotations

import re
from datetime import date

PROVINCES = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_L = "A-HJ-NP-Z"  # letters without I and O
_ORDINARY = re.compile(rf"^[{PROVINCES}][{_L}][{_L}0-9]{{4}}[{_L}0-9挂学警港澳]$")
_NEV_SMALL = re.compile(rf"^[{PROVINCES}][{_L}][DABCEFGHJK][{_L}0-9][0-9]{{4}}$")
_NEV_LARGE = re.compile(rf"^[{PROVINCES}][{_L}][0-9]{{5}}[DABCEFGHJK]$")
_DECISION = re.compile(r"^[0-9]{16}$")

FULL_SCORE = 12
PENALTY_FREE_DAYS = 15
PENALTY_BP_PER_DAY = 300  # 3% in basis points


def normalise_plate(text: str) -> str:
    """粤b·d12345 → 粤BD12345 (spaces, dots and case are how people type it, not part of the plate)."""
    return re.sub(r"[\s·.\-]", "", text or "").upper()


def plate_kind(plate: str) -> str | None:
    """"new_energy" for an 8-character new-energy plate, "ordinary" for a 7-character one, None if
    the (normalised) text is not a plate."""
    if _NEV_SMALL.match(plate) or _NEV_LARGE.match(plate):
        return "new_energy"
    if _ORDINARY.match(plate):
        return "ordinary"
    return None


def mask_plate(plate: str) -> str:
    """粤BD12345 → 粤B·****45: the province and office letter, then only the last two characters."""
    return f"{plate[:2]}·{'*' * (len(plate) - 4)}{plate[-2:]}"


def luhn_digit(digits: str) -> str:
    """The Luhn check digit of `digits` (from the right, every second digit doubled)."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return str((10 - total % 10) % 10)


def decision_number(prefix: str, year: int, serial: int) -> str:
    """4403 + 26 + 000000123 + check: the number printed on the decision."""
    if not re.fullmatch(r"[0-9]{4}", prefix) or not 0 <= serial < 10**9:
        raise ValueError("prefix must be 4 digits and serial below 10^9")
    body = f"{prefix}{year % 100:02d}{serial:09d}"
    return body + luhn_digit(body)


def decision_number_valid(number: str) -> bool:
    return bool(_DECISION.match(number or "")) and luhn_digit(number[:15]) == number[15]


def days_after(decided_on: date, on: date) -> int:
    """Day N after the decision: the day of the decision is day 0, the next day is day 1."""
    return (on - decided_on).days


def late_penalty(fine_fen: int, decided_on: date, on: date) -> int:
    """加处罚款 owed on `on`: 3% of the fine per day from day 16 (day 16 is the first charged day),
    rounded down to the fen, capped at the fine. Paid by day 15 → nothing."""
    charged_days = max(0, days_after(decided_on, on) - PENALTY_FREE_DAYS)
    return min(fine_fen, fine_fen * PENALTY_BP_PER_DAY * charged_days // 10_000)


def add_years(d: date, years: int) -> date:
    """The same day `years` later; 29 February becomes 28 February in a common year."""
    try:
        return d.replace(year=d.year + years)
    except ValueError:
        return d.replace(year=d.year + years, day=28)


def current_cycle_start(first_start: date, on: date) -> date:
    """The start of the 12-month scoring cycle that contains `on` (cycles begin on the licence's
    anniversary of `first_start`)."""
    if on < first_start:
        return first_start
    years = on.year - first_start.year
    start = add_years(first_start, years)
    return start if start <= on else add_years(first_start, years - 1)
