"""Who pays each line: fund → commercial covers → personal accounts → the wallet (or the credit line).

Per line, in line order: the fund pays its part; each commercial cover pays what it computed (taken from
the outside part first if it covers outside, then within); then each personal account in the order given
(the insured's own first, then relatives' under family aid) pays from the parts it may pay (within first,
then outside) as far as its balance goes — balances are consumed line by line; the `last` payer ("wallet"
or "credit_line") pays the rest. The shares of a line always add up to its amount.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from onecity.medinsure.rules.commercial import CommercialCover, take
from onecity.medinsure.rules.errors import AllocationInvalid
from onecity.medinsure.rules.policy import ACCOUNT_PARTS, SchemeRules
from onecity.medinsure.rules.split import BillSplit

FUND = "fund"
PERSONAL_ACCOUNT = "personal_account"
WALLET = "wallet"
CREDIT_LINE = "credit_line"
LAST_PAYERS = (WALLET, CREDIT_LINE)


def family_payer(citizen_public_id: str) -> str:
    """The payer name of a relative's personal account."""
    return f"family:{citizen_public_id}"


def commercial_payer(policy_public_id: str) -> str:
    """The payer name of a commercial policy."""
    return f"commercial:{policy_public_id}"


@dataclass(frozen=True)
class PayerSource:
    """A personal account that may pay: payer "personal_account" or "family:<citizen public id>", its
    balance, and the parts of a bill it may pay (subset of {"self_pay_within", "self_pay_outside"})."""

    payer: str
    available_fen: int
    pays: frozenset[str]


@dataclass(frozen=True)
class PayerShare:
    """What one payer pays of one line (only non-zero shares are listed)."""

    payer: str
    line_no: int
    fen: int


@dataclass(frozen=True)
class Allocation:
    """Every payer's share per line, and totals per payer (non-zero payers only)."""

    shares: tuple[PayerShare, ...]
    totals: Mapping[str, int]

    def for_line(self, line_no: int) -> dict[str, int]:
        return {s.payer: s.fen for s in self.shares if s.line_no == line_no}


def account_sources(rules: SchemeRules, *, own_fen: int | None,
                    relatives: Sequence[tuple[str, int]] = ()) -> list[PayerSource]:
    """The personal accounts that may pay a bill under `rules`: the insured's own (if the scheme has one and
    `own_fen` is not None), then each relative's (public id, balance) if the scheme allows family aid."""
    out: list[PayerSource] = []
    if rules.personal_account and own_fen is not None and rules.personal_account_pays:
        out.append(PayerSource(PERSONAL_ACCOUNT, own_fen, rules.personal_account_pays))
    if rules.family_aid and rules.family_aid_pays:
        out.extend(PayerSource(family_payer(pid), bal, rules.family_aid_pays) for pid, bal in relatives)
    return out


def allocate_payers(split: BillSplit, *, covers: Sequence[tuple[str, CommercialCover]] = (),
                    accounts: Sequence[PayerSource] = (), last: str = WALLET) -> Allocation:
    """Allocate each line of `split` to payers (see the module doc). `covers`: (payer "commercial:<id>",
    cover) in the order they pay; `accounts`: own account first, then relatives; `last`: "wallet" or
    "credit_line". Raises AllocationInvalid on a bad payer name, a duplicate payer, a negative balance or
    covers paying more than the citizen's part of a line (``over_covered``), or a cover that is not of this
    bill (``bad_cover``)."""
    if last not in LAST_PAYERS:
        raise AllocationInvalid(f"the last payer must be one of {LAST_PAYERS}, got {last!r}", reason="bad_payer")
    names = [FUND, last]
    for payer, _ in covers:
        if not payer.startswith("commercial:") or payer == "commercial:":
            raise AllocationInvalid(f"a commercial payer is named 'commercial:<policy id>', got {payer!r}",
                                    reason="bad_payer")
        names.append(payer)
    for src in accounts:
        if src.payer != PERSONAL_ACCOUNT and (not src.payer.startswith("family:") or src.payer == "family:"):
            raise AllocationInvalid(f"an account payer is 'personal_account' or 'family:<citizen id>', "
                                    f"got {src.payer!r}", reason="bad_payer")
        if src.available_fen < 0:
            raise AllocationInvalid(f"{src.payer}: balance must not be negative", reason="bad_balance")
        if not src.pays <= set(ACCOUNT_PARTS):
            raise AllocationInvalid(f"{src.payer}: pays must be among {ACCOUNT_PARTS}", reason="bad_payer")
        names.append(src.payer)
    if len(set(names)) != len(names):
        raise AllocationInvalid("a payer appears twice", reason="duplicate_payer")
    line_nos = {ln.line_no for ln in split.lines}
    for payer, cover in covers:
        stray = sorted(set(cover.per_line) - line_nos)
        if stray:
            raise AllocationInvalid(f"{payer}: its cover names line {stray[0]} that the bill does not have",
                                    reason="bad_cover")
        if sum(paid for _, paid in cover.per_line.values()) != cover.total_fen:
            raise AllocationInvalid(f"{payer}: its cover's lines do not add up to its total", reason="bad_cover")

    balances = [src.available_fen for src in accounts]
    shares: list[PayerShare] = []
    totals: dict[str, int] = {}

    def add(payer: str, line_no: int, fen: int) -> None:
        if fen:
            shares.append(PayerShare(payer, line_no, fen))
            totals[payer] = totals.get(payer, 0) + fen

    for ln in split.lines:
        add(FUND, ln.line_no, ln.fund_fen)
        within_left, outside_left = ln.within_fen, ln.outside_fen
        for payer, cover in covers:
            paid = cover.paid_on(ln.line_no)
            if paid < 0:
                raise AllocationInvalid(f"{payer}: negative payment on line {ln.line_no}", reason="bad_payer")
            try:
                w, o = take(paid, within_left, outside_left, cover.covers_outside)
            except ValueError:
                raise AllocationInvalid(f"commercial covers pay more than the citizen's part of line {ln.line_no}",
                                        reason="over_covered") from None
            within_left -= w
            outside_left -= o
            add(payer, ln.line_no, paid)
        for i, src in enumerate(accounts):
            w = min(within_left, balances[i]) if "self_pay_within" in src.pays else 0
            balances[i] -= w
            o = min(outside_left, balances[i]) if "self_pay_outside" in src.pays else 0
            balances[i] -= o
            within_left -= w
            outside_left -= o
            add(src.payer, ln.line_no, w + o)
        add(last, ln.line_no, within_left + outside_left)
    return Allocation(tuple(shares), totals)
