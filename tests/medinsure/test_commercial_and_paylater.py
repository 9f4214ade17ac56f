"""A commercial insurer and treat-first-pay-later as payers of the same settlement, and their exact
reversal by refunds. Demo 2026 policy, employee, outpatient at level 3, deductible already used."""

from __future__ import annotations

from datetime import date

import pytest

from onecity.ledger import service as ledger
from onecity.medinsure import errors
from onecity.medinsure import service as med
from onecity.medinsure.commercial import service as commercial
from onecity.medinsure.paylater import service as paylater
from onecity.payments.wallet import service as wallet
from tests.identity.orgs.factories import make_org
from tests.medinsure.factories import balance, make_insured, open_visit, set_accumulators

# 1  110200003 主任医师诊查费 6000 → fund round(6000 × 70 %) = 4200, within 1800
# 2  XA11GAV001A001 维生素C 丙 2800 → outside 2800
BILL = [{"code": "110200003", "quantity": 1, "unit_price_fen": 6000},
        {"code": "XA11GAV001A001", "quantity": 1, "unit_price_fen": 2800}]


def test_a_commercial_policy_pays_in_the_same_settlement_and_gets_it_back(session, city):
    insurer = make_org(session, kind="insurer")
    product = commercial.define_product(session, insurer_org_id=insurer.public_id, code="HUIMIN-1", name_zh="惠民保",
                                        name_en="Huiminbao", ratio_bp=8_000, deductible_fen=1_000,
                                        annual_limit_fen=100_000, covers_outside=False)
    p = make_insured(session, wallet=20_000)
    set_accumulators(session, p, outpatient=150_000)
    pol = commercial.issue_policy(session, insurer_org_id=insurer.public_id, citizen_id=p.id,
                                  product_id=product.product_id, start=date(2026, 1, 1), end=date(2026, 12, 31))
    payer = f"commercial:{pol.policy_id}"
    h3 = city.hospital3.public_id
    vid = open_visit(session, city, p, lines=BILL)
    pre = med.presettle(session, institution_org_id=h3, visit_id=vid)
    # line 1: within 1800; the product's deductible takes 1000, it pays round(800 × 80 %) = 640;
    # line 2 is outside the policy, which the product does not cover: the wallet pays 1160 + 2800
    assert {x.payer: x.fen for x in pre.payers} == {"fund": 4_200, payer: 640, "wallet": 3_960}
    s = med.confirm(session, citizen_id=p.id, visit_id=vid)
    assert (s.fund_fen, s.commercial_fen, s.self_fen) == (4_200, 640, 3_960)
    acc = commercial.accumulators_of(session, payer=payer, year=2026, for_update=False)
    assert (acc.deductible_used_fen, acc.paid_fen) == (1_000, 640)
    assert ledger.check(session) == []

    r = med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id, line_nos=[1])
    assert r.by_payer == {"fund": 4_200, payer: 640, "wallet": 1_160}
    acc = commercial.accumulators_of(session, payer=payer, year=2026, for_update=False)
    assert (acc.deductible_used_fen, acc.paid_fen) == (0, 0)
    assert wallet.wallet_balance(session, p.id) == 20_000 - 3_960 + 1_160
    assert ledger.check(session) == []


def test_pay_later_advances_the_self_pay_and_a_refund_reduces_the_debt(session, city):
    p = make_insured(session, wallet=0)
    set_accumulators(session, p, outpatient=150_000)
    h3 = city.hospital3.public_id
    vid = open_visit(session, city, p, lines=BILL)
    med.presettle(session, institution_org_id=h3, visit_id=vid)
    with pytest.raises(errors.PayLaterNotAllowed):
        med.confirm(session, citizen_id=p.id, visit_id=vid, pay_later=True)
    with pytest.raises(errors.BalanceInsufficient):  # an empty wallet cannot pay 4 600
        med.confirm(session, citizen_id=p.id, visit_id=vid)
    paylater.allow(session, citizen_id=p.id, allowed=True, actor="test")
    quote = med.quote(session, citizen_id=p.id, visit_id=vid, pay_later=True)
    assert {x.payer: x.fen for x in quote.payers} == {"fund": 4_200, "credit_line": 4_600}
    s = med.confirm(session, citizen_id=p.id, visit_id=vid, pay_later=True)
    assert (s.fund_fen, s.self_fen) == (4_200, 4_600)
    debt = paylater.debt_for_settlement(session, settlement_ref=s.settlement_id)
    assert debt is not None and debt.amount_fen == 4_600
    assert balance(session, med.institution_account_id(session, h3)) == 8_800
    med.refund(session, institution_org_id=h3, settlement_id=s.settlement_id)
    debt = paylater.debt_for_settlement(session, settlement_ref=s.settlement_id)
    assert debt is not None and debt.status == "closed"
    assert balance(session, med.institution_account_id(session, h3)) == 0
    assert ledger.check(session) == []
