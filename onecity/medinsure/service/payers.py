"""Who pays a visit's bill now: the split under the policy in force and every payer's share per line
(`compute`), as pre-settlement shows it and settlement applies it.

Payers (`PayerOut.payer`): `fund` (the pooled fund), `personal_account` (the insured's own),
`family:<cit_…>` (a relative's personal account, 家庭共济), `commercial:<policy id>` (a commercial
policy, see `medinsure.commercial`), then `wallet` (the paying citizen's wallet) or `credit_line`
(treat first, pay later: the city advances it, see `medinsure.paylater`).

Rules kept here:
- The policy in force on the city date applies, with the insured's accumulators of that year.
- Family aid: a relative's account pays only if the patient's scheme allows family aid, the relative is
  insured, and the relative holds the `pay_medical` scope over the patient (they look after them: a
  parent for a child, a grown child for a parent) — the scope they were granted or asked for is their
  consent. The citizen chooses which relatives at pre-settlement or confirmation.
- What is left after the fund, the covers and the accounts is paid from the wallet of the citizen who
  confirms (the patient, or the relative who showed the code or confirms for them), or advanced on their
  pay-later credit.
- The counter may settle without a confirmation in the app only when the code carried the citizen's
  consent and the self-pay (what the wallet pays) is within their small-amount limit (小额免密).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from onecity.errors import DomainError
from onecity.identity.family import service as family
from onecity.medinsure import rules
from onecity.medinsure.commercial import service as commercial
from onecity.medinsure.errors import (
    LINE_ERRORS,
    FamilyPayerInvalid,
    FeeLineInvalid,
    NotCovered,
    PayLaterNotAllowed,
    VisitStateInvalid,
)
from onecity.medinsure.models import MedAccumulator, MedFeeLine, MedInsured, MedVisit
from onecity.medinsure.paylater import service as paylater
from onecity.medinsure.schemas import LineSplitOut, PayerOut
from onecity.medinsure.service.codes import PAY_MEDICAL
from onecity.medinsure.service.insured import (
    accumulators,
    fund_account_id,
    insured_row,
    lock_accumulators,
    personal_balance,
    to_rules,
)
from onecity.medinsure.service.policies import policy_for, today
from onecity.medinsure.service.visits import as_bill_lines, fee_lines
from onecity.payments.codes import service as paycodes
from onecity.payments.wallet import service as wallet


def payer_kind(payer: str) -> str:
    return payer.split(":", 1)[0]


LABELS = {"fund": "统筹基金 pooled fund", "personal_account": "个人账户 personal account",
          "family": "家庭共济 family aid", "commercial": "商业保险 commercial insurance",
          "wallet": "钱包 wallet", "credit_line": "先诊疗后付费 pay later"}


def payer_out(payer: str, fen: int) -> PayerOut:
    kind = payer_kind(payer)
    return PayerOut(payer=payer, kind=kind, label=LABELS.get(kind, payer), fen=fen)  # type: ignore[arg-type]


def category_of(payer: str) -> str:
    """Which column of the fund's totals a payer counts in: fund | personal | commercial | self."""
    kind = payer_kind(payer)
    return {"fund": "fund", "personal_account": "personal", "family": "personal", "commercial": "commercial"}.get(
        kind, "self")


def totals_by_category(totals: dict[str, int]) -> dict[str, int]:
    """Payers' amounts summed by `category_of` (the fund's columns)."""
    out = {"fund": 0, "personal": 0, "commercial": 0, "self": 0}
    for payer, fen in totals.items():
        out[category_of(payer)] += fen
    return out


@dataclass
class Computation:
    """A bill's split and payers under the current figures (what pre-settlement shows, what settling applies)."""

    policy: rules.Policy
    day: date
    split: rules.BillSplit
    covers: list[tuple[commercial.ActiveCover, rules.CommercialCover]]
    allocation: rules.Allocation
    accounts: dict[str, str]
    family_payers: list[str]
    pay_later: bool
    acc_row: MedAccumulator | None = None
    fees: list[MedFeeLine] = field(default_factory=list)  # the visit's fee lines as read for this split
    balances: dict[str, int] = field(default_factory=dict)  # available balances read for this split, by payer

    @property
    def self_pay_fen(self) -> int:
        return sum(v for k, v in self.allocation.totals.items() if k in (rules.WALLET, rules.CREDIT_LINE))


def _split(policy: rules.Policy, v: MedVisit, ins: MedInsured, lines: list[rules.BillLine],
           ytd: rules.Accumulators) -> rules.BillSplit:
    try:
        return rules.split_bill(policy, scheme=ins.scheme, visit_type=v.visit_type, level=v.level,
                                retiree=ins.retiree, lines=lines, ytd=ytd)
    except rules.LineInvalid as exc:  # the catalogue changed since the upload (a new policy version)
        raise LINE_ERRORS.get(exc.reason, FeeLineInvalid)(detail=str(exc), reason=exc.reason, line_no=exc.line_no,
                                                          item_code=exc.code) from exc
    except rules.SplitInvalid as exc:
        if exc.reason == "not_covered":
            raise NotCovered(detail=str(exc)) from exc
        raise VisitStateInvalid(detail=str(exc)) from exc


def _relatives(session: Session, ins: MedInsured, family_payers: list[str],
               scheme_rules: rules.SchemeRules) -> tuple[list[tuple[str, int]], dict[str, str], dict[str, int]]:
    """The chosen relatives with what they can give (never below 0), their accounts and their available
    balances (as read), by payer."""
    if not family_payers:
        return [], {}, {}
    if len(set(family_payers)) != len(family_payers):
        raise FamilyPayerInvalid(detail="a relative is listed twice")
    if not scheme_rules.family_aid:
        raise FamilyPayerInvalid(detail=f"the {ins.scheme} scheme does not allow family aid")
    found: list[tuple[str, int]] = []
    accounts: dict[str, str] = {}
    balances: dict[str, int] = {}
    for pid in family_payers:
        if pid == ins.citizen_id or not family.has_scope(session, actor_citizen_id=pid,
                                                         subject_citizen_id=ins.citizen_id, scope=PAY_MEDICAL):
            raise FamilyPayerInvalid(detail=f"{pid} holds no pay_medical scope over the patient", citizen_id=pid)
        try:
            rel = insured_row(session, pid)
        except DomainError as exc:
            raise FamilyPayerInvalid(detail=f"{pid} is not insured", citizen_id=pid) from exc
        available = personal_balance(session, rel.personal_account_id)
        found.append((pid, max(0, available)))
        accounts[rules.family_payer(pid)] = rel.personal_account_id
        balances[rules.family_payer(pid)] = available
    return found, accounts, balances


def compute(session: Session, v: MedVisit, ins: MedInsured, *, family_payers: list[str], pay_later: bool,
            for_update: bool, payer_citizen_id: str | None = None) -> Computation:
    """The split and the payers of the visit's bill now; the rest is paid by `payer_citizen_id`'s wallet (or
    advanced on their pay-later credit), by default the citizen who showed the code. With `for_update` the
    insured's and the commercial policies' accumulator rows are locked until the transaction ends, and
    the ledger accounts of the fund and of the last payer are resolved (`accounts`; opened on first
    use) — a pre-settlement or a quote needs only the split, not where the money will move."""
    payer_citizen = payer_citizen_id or v.confirmer_id
    day = today()
    policy = policy_for(session, on=day)
    fees = fee_lines(session, v)
    lines = as_bill_lines(fees)
    if not lines:
        raise VisitStateInvalid(detail="the visit has no fee lines")
    acc_row = lock_accumulators(session, ins, policy.year) if for_update else None
    ytd = to_rules(acc_row, policy.year) if acc_row is not None else accumulators(session, ins, policy.year)
    split = _split(policy, v, ins, lines, ytd)

    covers: list[tuple[commercial.ActiveCover, rules.CommercialCover]] = []
    prior: list[rules.CommercialCover] = []
    for c in commercial.covers_for(session, citizen_id=ins.citizen_id, on=day, year=policy.year,
                                   for_update=for_update):
        cover = rules.commercial_cover(c.product, split, c.acc.for_year(policy.year), prior=prior)
        prior.append(cover)
        covers.append((c, cover))

    scheme_rules = policy.scheme(ins.scheme)
    accounts: dict[str, str] = {rules.FUND: fund_account_id(session)} if for_update else {}
    own = personal_balance(session, ins.personal_account_id) if scheme_rules.personal_account else None
    balances = {rules.PERSONAL_ACCOUNT: own} if own is not None else {}
    accounts[rules.PERSONAL_ACCOUNT] = ins.personal_account_id
    relatives, rel_accounts, rel_balances = _relatives(session, ins, family_payers, scheme_rules)
    accounts.update(rel_accounts)
    balances.update(rel_balances)
    sources = rules.account_sources(scheme_rules, own_fen=max(0, own) if own is not None else None,
                                    relatives=relatives)
    for c, _ in covers:
        accounts[c.payer] = c.ledger_account_id
    if pay_later:
        if not paylater.eligible(session, citizen_id=payer_citizen):
            raise PayLaterNotAllowed()
        last = rules.CREDIT_LINE
        if for_update:
            accounts[last] = paylater.credit_line_account_id(session)
    else:
        last = rules.WALLET
        if for_update:
            accounts[last] = wallet.wallet_account_id(session, payer_citizen)
    allocation = rules.allocate_payers(split, covers=[(c.payer, cover) for c, cover in covers], accounts=sources,
                                       last=last)
    return Computation(policy=policy, day=day, split=split, covers=covers, allocation=allocation, accounts=accounts,
                       family_payers=list(family_payers), pay_later=pay_later, acc_row=acc_row, fees=fees,
                       balances=balances)


def line_outs(split_lines: list[dict[str, Any]] | tuple[rules.LineSplit, ...],
              shares: list[tuple[str, int, int]]) -> list[LineSplitOut]:
    per_line: dict[int, dict[str, int]] = {}
    for payer, line_no, fen in shares:
        per_line.setdefault(line_no, {})[payer] = per_line.get(line_no, {}).get(payer, 0) + fen
    out = []
    for raw in split_lines:
        ln = raw if isinstance(raw, rules.LineSplit) else rules.LineSplit.from_json(raw)
        out.append(LineSplitOut(line_no=ln.line_no, code=ln.code, category=ln.category, amount_fen=ln.amount_fen,
                                fund_fen=ln.fund_fen, within_fen=ln.within_fen, outside_fen=ln.outside_fen,
                                self_pay_first_fen=ln.self_pay_first_fen, deductible_fen=ln.deductible_fen,
                                coinsurance_fen=ln.coinsurance_fen, over_cap_fen=ln.over_cap_fen,
                                payers=per_line.get(ln.line_no, {})))
    return out


def shares_of(allocation: rules.Allocation) -> list[tuple[str, int, int]]:
    return [(s.payer, s.line_no, s.fen) for s in allocation.shares]


def counter_allowed(session: Session, v: MedVisit, comp: Computation) -> bool:
    return (v.counter_consent and not comp.pay_later
            and comp.self_pay_fen <= paycodes.small_amount_limit(session, v.confirmer_id))

