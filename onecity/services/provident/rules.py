"""The fund centre's rules, pure (no database): what a month's contribution is, and whether a
withdrawal may be paid, must go to staff, or is refused — with a stable code saying why.

The rules are data: `data/<city code>.json`, versioned (`version`, `effective_from`), read once.

Deposit arithmetic (缴存额): each part (employee, employer) = base × rate, rounded half-up to whole
yuan (元以下四舍五入), as most fund centres do: base 8,765.43 yuan at 7% is 613.5801 → 614.00 yuan.
Rates are integer basis points (500 = 5%).

A withdrawal (提取) is decided from the request (`Ask`) and what the account shows (`Facts`), checks
in this order: amount, account status, continuous contributions, age (retirement), how often
(times per period), the period limit (rent), the property (purchase: certificate number, once per
property, at most the price less what was withdrawn for it before), the balance (less the minimum to
keep; retirement takes the whole balance). Passing every check, it is paid automatically when the
rule says `auto` and the amount is within `auto_limit_fen` and nothing needs a person's eye (a
registered lease is checked by staff); otherwise it is referred to the fund centre's staff.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from onecity.errors import NotFound

DATA = Path(__file__).parent / "data"
Outcome = Literal["auto", "refer", "refuse"]
REASONS = ("rent", "purchase", "retirement")


class I18nText(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str


class DepositRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    rounding: Literal["yuan_half_up"]
    min_base_fen: int = Field(gt=0)
    max_base_fen: int = Field(gt=0)
    min_rate_bp: int = Field(ge=0, le=10_000)
    max_rate_bp: int = Field(ge=0, le=10_000)


class WithdrawalRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: I18nText
    service_code: str
    account_status: list[Literal["normal", "sealed"]]
    min_continuous_months: int = Field(ge=0)
    period: Literal["month", "quarter", "year"] | None = None
    max_times_per_period: int | None = Field(default=None, ge=1)
    limit_per_period_fen: int | None = Field(default=None, ge=0)
    limit_per_period_with_lease_fen: int | None = Field(default=None, ge=0)
    auto_limit_fen: int | None = Field(default=None, ge=0)
    keep_min_balance_fen: int = Field(default=0, ge=0)
    requires_property: bool = False
    once_per_property: bool = False
    min_age_male: int | None = None
    min_age_female: int | None = None
    whole_balance: bool = False
    auto: bool = False


class CityRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    city_code: str
    version: str
    effective_from: date
    centre: I18nText
    note: I18nText
    deposit: DepositRule
    withdrawals: dict[Literal["rent", "purchase", "retirement"], WithdrawalRule]


class RulesNotFound(NotFound):
    code = "hpf_rules_not_found"
    message_zh = "该城市未发布公积金提取规则"
    message_en = "This city has published no provident fund rules"


@lru_cache
def load(city_code: str) -> CityRules:
    """The city's published rules (RulesNotFound when it has none)."""
    if not city_code.isdigit():
        raise RulesNotFound()
    path = DATA / f"{city_code}.json"
    if not path.is_file():
        raise RulesNotFound()
    return CityRules.model_validate(json.loads(path.read_text(encoding="utf-8")))


# --- deposits --------------------------------------------------------------------------------------

def deposit_part(base_fen: int, rate_bp: int) -> int:
    """base × rate, in fen, rounded half-up to whole yuan: base_fen × rate_bp / 10,000 fen is
    base_fen × rate_bp / 1,000,000 yuan."""
    whole, rest = divmod(base_fen * rate_bp, 1_000_000)
    return (whole + (1 if rest * 2 >= 1_000_000 else 0)) * 100


# --- periods and continuity ------------------------------------------------------------------------

def month_key(d: date) -> str:
    return f"{d.year:04d}-{d.month:02d}"


def previous_month(month: str) -> str:
    y, m = int(month[:4]), int(month[5:7])
    return f"{y - 1:04d}-12" if m == 1 else f"{y:04d}-{m - 1:02d}"


def period_key(period: str | None, d: date) -> str:
    """The calendar period `d` falls in: "2026-11" (month), "2026-Q4" (quarter), "2026" (year)."""
    if period == "month":
        return month_key(d)
    if period == "quarter":
        return f"{d.year:04d}-Q{(d.month - 1) // 3 + 1}"
    return f"{d.year:04d}"


def continuous_months(months: set[str], today: date) -> int:
    """How many months in a row were contributed, ending with this month or the one before (this
    month's posting may not have come yet)."""
    current = month_key(today)
    m = current if current in months else previous_month(current)
    n = 0
    while m in months:
        n += 1
        m = previous_month(m)
    return n


# --- withdrawals -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Ask:
    reason: str
    amount_fen: int
    registered_lease: bool = False
    price_fen: int | None = None
    property_no: str | None = None


@dataclass(frozen=True)
class Facts:
    status: str  # normal | sealed
    available_fen: int  # the balance less what pending withdrawals hold
    continuous_months: int
    times_this_period: int = 0
    withdrawn_this_period_fen: int = 0
    property_withdrawals: int = 0  # earlier withdrawals (pending or paid) for this property
    property_withdrawn_fen: int = 0
    age: int | None = None
    sex: str | None = None


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    code: str  # refusal code, or why it was referred ("auto" when paid automatically)
    max_fen: int  # the most this request could have asked for (0 when refused before amounts)


def evaluate(rule: WithdrawalRule, facts: Facts, ask: Ask) -> Decision:
    """Decide one withdrawal (see the module docstring for the order of the checks)."""
    def refuse(code: str, max_fen: int = 0) -> Decision:
        return Decision("refuse", code, max(0, max_fen))

    if not isinstance(ask.amount_fen, int) or isinstance(ask.amount_fen, bool) or ask.amount_fen <= 0:
        return refuse("hpf_amount_invalid")
    if facts.status not in rule.account_status:
        return refuse("hpf_account_status")
    if facts.continuous_months < rule.min_continuous_months:
        return refuse("hpf_not_continuous")
    if rule.min_age_male is not None or rule.min_age_female is not None:
        need = {"M": rule.min_age_male, "F": rule.min_age_female}.get(facts.sex or "")  # unknown sex: no age applies
        if facts.age is None or need is None or facts.age < need:
            return refuse("hpf_not_retired")
    if rule.max_times_per_period is not None and facts.times_this_period >= rule.max_times_per_period:
        return refuse("hpf_too_frequent")
    spendable = facts.available_fen - rule.keep_min_balance_fen
    most = spendable
    if rule.limit_per_period_fen is not None:
        limit = rule.limit_per_period_fen
        if ask.registered_lease and rule.limit_per_period_with_lease_fen is not None:
            limit = rule.limit_per_period_with_lease_fen
        left = limit - facts.withdrawn_this_period_fen
        most = min(most, left)
        if ask.amount_fen > left:
            return refuse("hpf_over_limit", most)
    if rule.requires_property:
        if not ask.property_no or ask.price_fen is None or ask.price_fen <= 0:
            return refuse("hpf_property_required")
        if rule.once_per_property and facts.property_withdrawals > 0:
            return refuse("hpf_property_used")
        left = ask.price_fen - facts.property_withdrawn_fen
        most = min(most, left)
        if ask.amount_fen > left:
            return refuse("hpf_over_price", most)
    if ask.amount_fen > spendable:
        return refuse("hpf_over_balance", most)
    if rule.whole_balance and ask.amount_fen != facts.available_fen:
        return refuse("hpf_whole_balance", facts.available_fen)
    if not rule.auto:
        return Decision("refer", "staff_review", most)
    if ask.registered_lease:
        return Decision("refer", "lease_check", most)
    if rule.auto_limit_fen is not None and ask.amount_fen > rule.auto_limit_fen:
        return Decision("refer", "above_auto_limit", most)
    return Decision("auto", "auto", most)
