"""Commercial insurance (商保) on top of the basic split: what an insurer's product pays of a bill.

A product pays `ratio_bp` of the citizen's remaining share of each line after the fund — the self-pay
within the policy (自付), plus the self-pay outside it (自费) if `covers_outside` — for the visit types it
covers, except excluded codes and categories, once its annual deductible is used, up to its annual limit.
Shares are rounded half up to the fen per line (`round_bp`). When a citizen has several policies, each
later cover is computed on what the earlier ones left (`prior`). A cover's payment on a line is taken
from the outside part first (if it covers outside), then from the within part.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from onecity.medinsure.rules.errors import CoverInvalid
from onecity.medinsure.rules.policy import BP, CATEGORIES, VISIT_TYPES
from onecity.medinsure.rules.split import BillSplit, round_bp


@dataclass(frozen=True)
class CommercialProduct:
    """An insurer's product: pays `ratio_bp` of the self-pay left after the fund, above `deductible_fen`
    (per year), up to `annual_limit_fen` a year; `covers_outside` adds the 自费 part; exclusions by code and
    category; only the listed visit types."""

    product_id: str
    ratio_bp: int
    deductible_fen: int
    annual_limit_fen: int
    covers_outside: bool = False
    excluded_codes: frozenset[str] = frozenset()
    excluded_categories: frozenset[str] = frozenset()
    visit_types: frozenset[str] = frozenset(VISIT_TYPES)

    def validate(self) -> None:
        """Raise CoverInvalid(reason="bad_product") if a figure is out of range."""
        problems = []
        if not 0 <= self.ratio_bp <= BP:
            problems.append("ratio_bp must be 0..10000")
        if self.deductible_fen < 0:
            problems.append("deductible_fen must not be negative")
        if self.annual_limit_fen < 0:
            problems.append("annual_limit_fen must not be negative")
        if not self.excluded_categories <= set(CATEGORIES):
            problems.append(f"excluded_categories must be among {CATEGORIES}")
        if not self.visit_types <= set(VISIT_TYPES):
            problems.append(f"visit_types must be among {VISIT_TYPES}")
        if problems:
            raise CoverInvalid(f"product {self.product_id}: " + "; ".join(problems), reason="bad_product")

    def to_json(self) -> dict[str, Any]:
        return {"product_id": self.product_id, "ratio_bp": self.ratio_bp, "deductible_fen": self.deductible_fen,
                "annual_limit_fen": self.annual_limit_fen, "covers_outside": self.covers_outside,
                "excluded_codes": sorted(self.excluded_codes), "excluded_categories": sorted(self.excluded_categories),
                "visit_types": sorted(self.visit_types)}

    @classmethod
    def from_json(cls, doc: Mapping[str, Any]) -> CommercialProduct:
        p = cls(product_id=str(doc["product_id"]), ratio_bp=int(doc["ratio_bp"]),
                deductible_fen=int(doc["deductible_fen"]), annual_limit_fen=int(doc["annual_limit_fen"]),
                covers_outside=bool(doc.get("covers_outside", False)),
                excluded_codes=frozenset(doc.get("excluded_codes", ())),
                excluded_categories=frozenset(doc.get("excluded_categories", ())),
                visit_types=frozenset(doc.get("visit_types", VISIT_TYPES)))
        p.validate()
        return p


@dataclass(frozen=True)
class CommercialAccumulators:
    """A commercial policy's year-to-date figures: deductible consumed and paid against the limit."""

    year: int
    deductible_used_fen: int = 0
    paid_fen: int = 0

    @classmethod
    def zero(cls, year: int) -> CommercialAccumulators:
        return cls(year=year)

    def for_year(self, year: int) -> CommercialAccumulators:
        return self if self.year == year else CommercialAccumulators.zero(year)


@dataclass(frozen=True)
class CommercialCover:
    """What one product pays of one bill: per line (deductible consumed, paid), the total, and the
    product's accumulators after the bill."""

    product_id: str
    per_line: Mapping[int, tuple[int, int]]
    total_fen: int
    accumulators_after: CommercialAccumulators
    covers_outside: bool = False
    accumulators_before: CommercialAccumulators | None = field(default=None, compare=False)

    def paid_on(self, line_no: int) -> int:
        return self.per_line.get(line_no, (0, 0))[1]

    def deductible_on(self, line_no: int) -> int:
        return self.per_line.get(line_no, (0, 0))[0]


def take(paid: int, within_left: int, outside_left: int, covers_outside: bool) -> tuple[int, int]:
    """Where a commercial payment of `paid` comes from on a line: (from within, from outside) — outside
    first when the cover includes it, then within."""
    from_outside = min(paid, outside_left) if covers_outside else 0
    from_within = paid - from_outside
    if from_within > within_left:
        raise CoverInvalid("a commercial cover pays more than the citizen's part of a line", reason="over_covered")
    return from_within, from_outside


def commercial_cover(product: CommercialProduct, split: BillSplit, acc: CommercialAccumulators, *,
                     prior: Sequence[CommercialCover] = ()) -> CommercialCover:
    """What `product` pays of `split` given its year-to-date accumulators `acc` (of the bill's year —
    `acc.for_year(split.year)` at rollover). `prior`: covers of the same bill computed before this one (they
    pay first). A visit type the product does not cover gives an empty cover."""
    product.validate()
    if split.year and acc.year != split.year:
        raise CoverInvalid(f"commercial accumulators of {acc.year} given for a {split.year} bill",
                           reason="year_mismatch")
    if acc.deductible_used_fen < 0 or acc.paid_fen < 0:
        raise CoverInvalid("commercial accumulators must not be negative", reason="bad_accumulators")
    per_line: dict[int, tuple[int, int]] = {}
    if split.visit_type not in product.visit_types:
        return CommercialCover(product.product_id, per_line, 0, acc, product.covers_outside, acc)
    ded_left = max(0, product.deductible_fen - acc.deductible_used_fen)
    limit_left = max(0, product.annual_limit_fen - acc.paid_fen)
    ded_total = paid_total = 0
    for ln in split.lines:
        within_left, outside_left = ln.within_fen, ln.outside_fen
        for c in prior:
            w, o = take(c.paid_on(ln.line_no), within_left, outside_left, c.covers_outside)
            within_left -= w
            outside_left -= o
        if ln.code in product.excluded_codes or ln.category in product.excluded_categories:
            continue
        base = within_left + (outside_left if product.covers_outside else 0)
        ded = min(base, ded_left)
        ded_left -= ded
        pay = min(round_bp(base - ded, product.ratio_bp), limit_left)
        limit_left -= pay
        if ded or pay:
            per_line[ln.line_no] = (ded, pay)
        ded_total += ded
        paid_total += pay
    after = CommercialAccumulators(acc.year, acc.deductible_used_fen + ded_total, acc.paid_fen + paid_total)
    return CommercialCover(product.product_id, per_line, paid_total, after, product.covers_outside, acc)
