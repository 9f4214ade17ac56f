"""Refunds: the exact reverse of what a settlement recorded, whole lines only.

Every payer gets back exactly the shares it paid on the refunded lines; the year-to-date accumulators go
back by the refunded lines' per-year deductible and fund amounts; each commercial policy's accumulators
go back by what its cover recorded on those lines. Nothing is recomputed, so a refund never depends on
the policy or on later bills. The caller passes the accumulators of the settlement's year (a December
bill refunded in January moves the December year's accumulators), and checks that a line is not refunded
twice.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass

from onecity.medinsure.rules.commercial import CommercialAccumulators, CommercialCover
from onecity.medinsure.rules.errors import ReverseInvalid
from onecity.medinsure.rules.payers import PayerShare
from onecity.medinsure.rules.split import Accumulators, LineSplit


@dataclass(frozen=True)
class Reversal:
    """A refund: the refunded lines, what each payer gets back (non-zero only), the accumulators after it,
    each commercial policy's accumulators after it, and what a per-admission deductible gives back."""

    lines: tuple[LineSplit, ...]
    refund_by_payer: Mapping[str, int]
    accumulators_after: Accumulators
    commercial_after: Mapping[str, CommercialAccumulators]
    admission_deductible_fen: int = 0

    @property
    def total_fen(self) -> int:
        return sum(ln.amount_fen for ln in self.lines)


def reverse(split_lines: Sequence[LineSplit], shares: Sequence[PayerShare], *,
            line_nos: Collection[int] | None = None, ytd: Accumulators,
            commercial: Mapping[str, tuple[CommercialCover, CommercialAccumulators]] | None = None) -> Reversal:
    """Reverse the lines `line_nos` (None = the whole bill) of a settled bill given its recorded line splits
    and payer shares. `ytd`: the insured's accumulators of the bill's year now; `commercial`: per commercial
    payer, the cover recorded at settlement and the policy's accumulators now. Raises ReverseInvalid for an
    unknown or repeated line, shares that do not add up to the lines, or accumulators that would go
    negative (they do not contain what the bill added)."""
    by_no = {ln.line_no: ln for ln in split_lines}
    if len(by_no) != len(split_lines):
        raise ReverseInvalid("the recorded bill repeats a line number", reason="duplicate_line")
    if line_nos is None:
        wanted = [ln.line_no for ln in split_lines]
    else:
        wanted = list(line_nos)
        if len(set(wanted)) != len(wanted):
            raise ReverseInvalid("a line is listed twice in the refund", reason="duplicate_line")
        unknown = sorted(n for n in wanted if n not in by_no)
        if unknown:
            raise ReverseInvalid(f"the bill has no line {unknown[0]}", reason="unknown_line")
        if not wanted:
            raise ReverseInvalid("a refund needs at least one line", reason="unknown_line")
    chosen = set(wanted)
    lines = tuple(ln for ln in split_lines if ln.line_no in chosen)

    per_line_paid: dict[int, int] = {}
    refund: dict[str, int] = {}
    for s in shares:
        if s.line_no not in by_no:
            raise ReverseInvalid(f"a share names line {s.line_no} that the bill does not have", reason="bad_shares")
        per_line_paid[s.line_no] = per_line_paid.get(s.line_no, 0) + s.fen
        if s.line_no in chosen and s.fen:
            refund[s.payer] = refund.get(s.payer, 0) + s.fen
    for ln in lines:
        if per_line_paid.get(ln.line_no, 0) != ln.amount_fen:
            raise ReverseInvalid(f"the shares of line {ln.line_no} do not add up to its amount", reason="bad_shares")

    used = dict(ytd.deductible_used)
    adm = 0
    fund = 0
    for ln in lines:
        fund += ln.fund_fen
        if ln.deductible_key:
            used[ln.deductible_key] = used.get(ln.deductible_key, 0) - ln.deductible_fen
        else:
            adm += ln.deductible_fen
    if refund.get("fund", 0) != fund:
        raise ReverseInvalid("the fund's shares do not match the lines' fund part", reason="bad_shares")
    fund_after = ytd.fund_paid_fen - fund
    if fund_after < 0 or any(v < 0 for v in used.values()):
        raise ReverseInvalid(f"the accumulators of {ytd.year} do not contain what the refunded lines added",
                             reason="negative_accumulator")
    after = Accumulators(ytd.year, {k: v for k, v in used.items() if v}, fund_after)

    commercial_after: dict[str, CommercialAccumulators] = {}
    for payer, (cover, acc) in (commercial or {}).items():
        ded = sum(cover.deductible_on(n) for n in chosen)
        paid = sum(cover.paid_on(n) for n in chosen)
        if paid != refund.get(payer, 0):
            raise ReverseInvalid(f"{payer}: its shares do not match its recorded cover", reason="bad_shares")
        new = CommercialAccumulators(acc.year, acc.deductible_used_fen - ded, acc.paid_fen - paid)
        if new.deductible_used_fen < 0 or new.paid_fen < 0:
            raise ReverseInvalid(f"{payer}: its accumulators do not contain what the refunded lines added",
                                 reason="negative_accumulator")
        commercial_after[payer] = new
    return Reversal(lines, refund, after, commercial_after, adm)
