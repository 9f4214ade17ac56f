"""Splitting a bill line by line into fund / self-pay within the policy (自付) / self-pay outside (自费).

Per line, in this order (all integer fen):

1. amount = quantity × unit price.
2. 丙类 items: the whole amount is outside the policy (自费).
3. Over-standard price: if the item has a payment standard and the unit price is above it, the part above
   it (quantity × (price − standard)) is outside the policy. The rest is the eligible amount.
4. 乙类 self-pay-first (先行自付): round_bp(eligible, self_pay_first_bp) is paid by the citizen first.
5. Deductible (起付线): what is left consumes the remaining deductible (per year: the year-to-date
   accumulator of its pool; per admission: `admission_deductible_used_fen`).
6. Ratio: the fund's share is round_bp(left, ratio) — the ratio of a retiree if the scheme has one; the
   citizen's coinsurance is the remainder (left − fund share).
7. Cap (封顶线): the fund pays at most what is left under the annual cap; the rest of its share is paid by
   the citizen as over_cap.

Rounding rule: every percentage share (self-pay-first, fund share, commercial share) is rounded half up to
the fen, per line (`round_bp`); the remainder goes to the citizen's other part, so each line adds up
exactly: amount = outside + self_pay_first + deductible + coinsurance + over_cap + fund.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from onecity.medinsure.rules.errors import SplitInvalid
from onecity.medinsure.rules.lines import BillLine, check_line
from onecity.medinsure.rules.policy import BP, LEVELS, VISIT_TYPES, Policy


def round_bp(amount_fen: int, bp: int) -> int:
    """`amount × bp / 10000` rounded half up to the fen (amount, bp ≥ 0)."""
    return (amount_fen * bp + BP // 2) // BP


@dataclass(frozen=True)
class Accumulators:
    """An insured person's year-to-date figures under one year's policy: per-year deductible consumed per
    pool (`deductible_used`, e.g. {"outpatient": 180000}) and what the fund paid against the annual cap.
    A new year starts at zero (`Accumulators.zero(year)`)."""

    year: int
    deductible_used: Mapping[str, int] = field(default_factory=dict)
    fund_paid_fen: int = 0

    @classmethod
    def zero(cls, year: int) -> Accumulators:
        return cls(year=year)

    def for_year(self, year: int) -> Accumulators:
        """These accumulators if they are of `year`, else zero ones for `year` (year rollover)."""
        return self if self.year == year else Accumulators.zero(year)

    def used(self, pool: str) -> int:
        return self.deductible_used.get(pool, 0)

    def to_json(self) -> dict[str, Any]:
        return {"year": self.year, "deductible_used": {k: v for k, v in sorted(self.deductible_used.items()) if v},
                "fund_paid_fen": self.fund_paid_fen}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> Accumulators:
        return cls(year=int(doc["year"]), deductible_used={str(k): int(v) for k, v in
                                                           dict(doc.get("deductible_used") or {}).items()},
                   fund_paid_fen=int(doc.get("fund_paid_fen", 0)))

    def __eq__(self, other: object) -> bool:
        # zero entries are the same as missing ones
        if not isinstance(other, Accumulators):
            return NotImplemented
        return self.to_json() == other.to_json()

    def __hash__(self) -> int:
        return hash((self.year, tuple(sorted(self.to_json()["deductible_used"].items())), self.fund_paid_fen))


@dataclass(frozen=True)
class LineSplit:
    """How one line splits. amount = outside + within + fund, within (自付) = self_pay_first + deductible
    + coinsurance + over_cap. `deductible_key` is the year accumulator the deductible came from ("" = per
    admission or none), so `reverse` can give it back."""

    line_no: int
    code: str
    amount_fen: int
    outside_fen: int
    self_pay_first_fen: int
    deductible_fen: int
    coinsurance_fen: int
    over_cap_fen: int
    fund_fen: int
    category: str = "A"
    deductible_key: str = ""
    ratio_bp: int = 0
    quantity: int = 1
    unit_price_fen: int = 0

    @property
    def within_fen(self) -> int:
        return self.self_pay_first_fen + self.deductible_fen + self.coinsurance_fen + self.over_cap_fen

    @property
    def citizen_fen(self) -> int:
        """What is left for the citizen's side after the fund (within + outside)."""
        return self.within_fen + self.outside_fen

    def to_json(self) -> dict[str, Any]:
        return {"line_no": self.line_no, "code": self.code, "amount_fen": self.amount_fen,
                "outside_fen": self.outside_fen, "self_pay_first_fen": self.self_pay_first_fen,
                "deductible_fen": self.deductible_fen, "coinsurance_fen": self.coinsurance_fen,
                "over_cap_fen": self.over_cap_fen, "fund_fen": self.fund_fen, "category": self.category,
                "deductible_key": self.deductible_key, "ratio_bp": self.ratio_bp, "quantity": self.quantity,
                "unit_price_fen": self.unit_price_fen}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> LineSplit:
        return cls(**{k: doc[k] for k in cls.__dataclass_fields__ if k in doc})


@dataclass(frozen=True)
class BillSplit:
    """A bill's split: the lines, the totals, and the accumulators after it (to store on settlement)."""

    policy_key: str
    scheme: str
    visit_type: str
    level: int
    retiree: bool
    lines: tuple[LineSplit, ...]
    fund_fen: int
    within_fen: int
    outside_fen: int
    total_fen: int
    accumulators_after: Accumulators
    admission_deductible_used_after_fen: int = 0
    year: int = 0

    @property
    def citizen_fen(self) -> int:
        return self.within_fen + self.outside_fen

    @property
    def deductible_fen(self) -> int:
        return sum(ln.deductible_fen for ln in self.lines)

    @property
    def self_pay_first_fen(self) -> int:
        return sum(ln.self_pay_first_fen for ln in self.lines)

    @property
    def over_cap_fen(self) -> int:
        return sum(ln.over_cap_fen for ln in self.lines)

    def line(self, line_no: int) -> LineSplit:
        for ln in self.lines:
            if ln.line_no == line_no:
                return ln
        raise KeyError(line_no)


def split_bill(policy: Policy, *, scheme: str, visit_type: str, level: int, retiree: bool,
               lines: Sequence[BillLine], ytd: Accumulators, admission_deductible_used_fen: int = 0) -> BillSplit:
    """Split a bill under `policy` for an insured of `scheme` (retiree or not) at an institution of `level`.

    `ytd` are the insured's accumulators of the policy's year (use `Accumulators.zero(year)` or
    `stored.for_year(year)` at year rollover); `admission_deductible_used_fen` is what earlier bills of the
    same admission consumed of a per-admission deductible. Every line is checked (`check_line`); raises
    LineInvalid or SplitInvalid. Lines are split in the order given; nothing is mutated."""
    if scheme not in policy.schemes:
        raise SplitInvalid(f"{policy.key} has no scheme {scheme!r}", reason="unknown_scheme")
    if visit_type not in VISIT_TYPES:
        raise SplitInvalid(f"unknown visit type {visit_type!r}", reason="unknown_visit_type")
    rules = policy.schemes[scheme]
    if level not in LEVELS or not rules.covers(visit_type, level):
        raise SplitInvalid(f"{scheme} {visit_type} is not covered at level {level} in {policy.key}",
                           reason="not_covered")
    if ytd.year != policy.year:
        raise SplitInvalid(f"accumulators of {ytd.year} given for the {policy.year} policy", reason="year_mismatch")
    if ytd.fund_paid_fen < 0 or any(v < 0 for v in ytd.deductible_used.values()) or admission_deductible_used_fen < 0:
        raise SplitInvalid("accumulators must not be negative", reason="bad_accumulators")
    if not lines:
        raise SplitInvalid("a bill needs at least one line", reason="empty_bill")
    seen: set[int] = set()
    for bl in lines:
        if bl.line_no in seen:
            raise SplitInvalid(f"line number {bl.line_no} appears twice", reason="duplicate_line")
        seen.add(bl.line_no)
        check_line(policy, bl)

    ratio = rules.ratio_for(visit_type, level, retiree)
    rule = rules.deductible_rule(visit_type)
    key = rules.deductible_key(visit_type)
    if rule is None:
        ded_left = 0
    elif rule.per == "year":
        ded_left = max(0, rule.amount_for(level) - ytd.used(key))
    else:
        ded_left = max(0, rule.amount_for(level) - admission_deductible_used_fen)
    cap_left = max(0, rules.annual_cap_fen - ytd.fund_paid_fen)

    out: list[LineSplit] = []
    ded_total = 0
    fund_total = 0
    for bl in lines:
        item = policy.catalogue[bl.code]
        amount = bl.quantity * bl.unit_price_fen
        if item.category == "C":
            outside, eligible = amount, 0
        elif item.standard_price_fen is not None and bl.unit_price_fen > item.standard_price_fen:
            eligible = bl.quantity * item.standard_price_fen
            outside = amount - eligible
        else:
            outside, eligible = 0, amount
        spf = round_bp(eligible, item.self_pay_first_bp) if item.category == "B" else 0
        left = eligible - spf
        ded = min(left, ded_left)
        ded_left -= ded
        left -= ded
        share = round_bp(left, ratio)
        coins = left - share
        fund = min(share, cap_left)
        cap_left -= fund
        over_cap = share - fund
        ded_total += ded
        fund_total += fund
        out.append(LineSplit(line_no=bl.line_no, code=bl.code, amount_fen=amount, outside_fen=outside,
                             self_pay_first_fen=spf, deductible_fen=ded, coinsurance_fen=coins,
                             over_cap_fen=over_cap, fund_fen=fund, category=item.category,
                             deductible_key=key, ratio_bp=ratio, quantity=bl.quantity,
                             unit_price_fen=bl.unit_price_fen))

    used = dict(ytd.deductible_used)
    adm_after = admission_deductible_used_fen
    if key:
        used[key] = used.get(key, 0) + ded_total
    elif rule is not None:
        adm_after += ded_total
    after = replace(ytd, deductible_used=used, fund_paid_fen=ytd.fund_paid_fen + fund_total)
    return BillSplit(policy_key=policy.key, scheme=scheme, visit_type=visit_type, level=level, retiree=retiree,
                     lines=tuple(out), fund_fen=fund_total, within_fen=sum(ln.within_fen for ln in out),
                     outside_fen=sum(ln.outside_fen for ln in out), total_fen=sum(ln.amount_fen for ln in out),
                     accumulators_after=after, admission_deductible_used_after_fen=adm_after, year=policy.year)
