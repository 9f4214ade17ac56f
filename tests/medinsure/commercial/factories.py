"""Factories for commercial insurance tests, through the real services (orgs, identity, commercial).

    insurer = make_insurer(session)
    product = make_product(session, insurer, ratio_bp=8000, deductible_fen=10_000, annual_limit_fen=50_000)
    policy = make_policy(session, insurer, citizen, product, start=date(2026, 1, 1), end=date(2026, 12, 31))
    split = bill(2026, "outpatient", [(1, "A01", "A", 6_000, 1_000, 20_000)])   # hand-made basic split
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from onecity.identity.orgs.models import Org
from onecity.medinsure import rules
from onecity.medinsure.commercial import service as commercial
from onecity.medinsure.commercial.schemas import PolicyOut, ProductOut
from tests.identity.orgs.factories import make_org


def make_insurer(session: Session) -> Org:
    return make_org(session, kind="insurer")


def make_product(session: Session, insurer: Org, *, code: str = "HUIMIN", **terms: Any) -> ProductOut:
    values: dict[str, Any] = dict(name_zh="惠民保", name_en="Huiminbao", ratio_bp=8000, deductible_fen=10_000,
                                  annual_limit_fen=50_000)
    values.update(terms)
    out = commercial.define_product(session, insurer_org_id=insurer.public_id, code=code, actor="test:factory",
                                    **values)
    session.flush()
    return out


def make_policy(session: Session, insurer: Org, citizen_id: str, product: ProductOut, *, start: date, end: date,
                policy_no: str | None = None) -> PolicyOut:
    out = commercial.issue_policy(session, insurer_org_id=insurer.public_id, citizen_id=citizen_id,
                                  product_id=product.product_id, start=start, end=end, policy_no=policy_no,
                                  actor="test:factory")
    session.flush()
    return out


Line = tuple[int, str, str, int, int, int]  # line_no, code, category, within (自付), outside (自费), fund


def bill(year: int, visit_type: str, lines: Sequence[Line]) -> rules.BillSplit:
    """A basic split written out by hand: each line's amount = within + outside + fund (the within part
    as coinsurance, which is all the commercial cover reads)."""
    splits = tuple(rules.LineSplit(line_no=n, code=code, amount_fen=w + o + f, outside_fen=o, self_pay_first_fen=0,
                                   deductible_fen=0, coinsurance_fen=w, over_cap_fen=0, fund_fen=f, category=cat)
                   for n, code, cat, w, o, f in lines)
    return rules.BillSplit(policy_key=f"demo/{year}/v1", scheme="employee", visit_type=visit_type, level=3,
                           retiree=False, lines=splits, fund_fen=sum(s.fund_fen for s in splits),
                           within_fen=sum(s.within_fen for s in splits),
                           outside_fen=sum(s.outside_fen for s in splits),
                           total_fen=sum(s.amount_fen for s in splits),
                           accumulators_after=rules.Accumulators(year), year=year)


def settle(session: Session, citizen_id: str, on: date, split: rules.BillSplit, ref: str) -> dict[str, rules.CommercialCover]:
    """What the medinsure settlement does with commercial cover: read the covers in force (locked),
    compute each with the rules engine (later ones on what earlier ones left) and record the claims."""
    covers: dict[str, rules.CommercialCover] = {}
    for c in commercial.covers_for(session, citizen_id=citizen_id, on=on, year=split.year, for_update=True):
        cover = rules.commercial_cover(c.product, split, c.acc, prior=list(covers.values()))
        commercial.record_claim(session, payer=c.payer, settlement_ref=ref, cover=cover)
        covers[c.payer] = cover
    session.flush()
    return covers


def acc(session: Session, policy: PolicyOut, year: int) -> tuple[int, int]:
    a = commercial.accumulators_of(session, payer=f"commercial:{policy.policy_id}", year=year, for_update=False)
    return a.deductible_used_fen, a.paid_fen
