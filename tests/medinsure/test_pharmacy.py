"""Pharmacy: the counter flow at a pharmacy, and an online order at the pharmacy's prices paid with the
split after the citizen confirms. Demo 2026 policy, employee: pharmacy shares the outpatient deductible
(¥1,500, used up here) and the fund pays 50 % at a designated pharmacy (level 0)."""

from __future__ import annotations

import pytest

from onecity.ledger import service as ledger
from onecity.medinsure import errors
from onecity.medinsure import service as med
from onecity.payments.wallet import service as wallet
from tests.medinsure.factories import accumulators, balance, make_insured, open_visit, set_accumulators


def test_pharmacy_counter_visit(session, city):
    p = make_insured(session, personal=300, wallet=5_000)
    set_accumulators(session, p, outpatient=150_000)
    ph = city.pharmacy.public_id
    # 阿司匹林 甲 2 × 1500 = 3000 → fund 1500, within 1500: account 300, wallet 1200
    vid = open_visit(session, city, p, org=city.pharmacy, visit_type="pharmacy", consent=True,
                     lines=[{"code": "XB01ACA001A001", "quantity": 2, "unit_price_fen": 1500}])
    pre = med.presettle(session, institution_org_id=ph, visit_id=vid)
    assert {x.payer: x.fen for x in pre.payers} == {"fund": 1_500, "personal_account": 300, "wallet": 1_200}
    s = med.settle(session, institution_org_id=ph, visit_id=vid)
    assert s.receipt["institution"]["level"] == 0 and s.receipt["policy_key"].endswith("/v1")
    assert balance(session, med.institution_account_id(session, ph)) == 3_000


def test_online_order_at_the_pharmacys_prices(session, city):
    p = make_insured(session, personal=0, wallet=20_000)
    set_accumulators(session, p, outpatient=150_000)
    ph = city.pharmacy.public_id
    with pytest.raises(errors.PriceMismatch):  # 普通门诊诊查费 has the government price 2500
        med.set_pharmacy_prices(session, org_id=ph, items=[("XB01ACA001A001", 1_480), ("110200001", 2_600)],
                                actor="test")
    with pytest.raises(errors.UnknownCatalogueCode):
        med.set_pharmacy_prices(session, org_id=ph, items=[("NOPE", 350)], actor="test")
    assert med.pharmacy_catalogue(session, org_id=ph) == []
    med.set_pharmacy_prices(session, org_id=ph, items=[("XB01ACA001A001", 1_480), ("XA11GAV001A001", 2_600)],
                            actor="test")
    with pytest.raises(errors.PharmacyPriceMissing):
        med.place_order(session, citizen_id=p.id, pharmacy_id=ph, items=[("XC10AAR001A001", 1)])
    with pytest.raises(errors.QuantityInvalid):
        med.place_order(session, citizen_id=p.id, pharmacy_id=ph, items=[("XB01ACA001A001", 0)])
    with pytest.raises(errors.NotAnInstitution):
        med.place_order(session, citizen_id=p.id, pharmacy_id=city.hospital3.public_id,
                        items=[("XB01ACA001A001", 1)])
    # 阿司匹林 甲 3 × 1480 = 4440 → fund round(4440 × 50 %) = 2220, within 2220
    # 维生素C 丙 1 × 2600 = 2600 → outside                       wallet 2220 + 2600 = 4820
    order = med.place_order(session, citizen_id=p.id, pharmacy_id=ph,
                            items=[("XB01ACA001A001", 3), ("XA11GAV001A001", 1)])
    assert order.channel == "online" and order.status == "presettled" and order.total_fen == 7_040
    assert {x.payer: x.fen for x in order.presettlement.payers} == {"fund": 2_220, "wallet": 4_820}
    assert [x.visit_id for x in med.pending_confirmations(session, citizen_id=p.id)] == [order.visit_id]
    s = med.confirm(session, citizen_id=p.id, visit_id=order.visit_id)
    assert (s.fund_fen, s.self_fen) == (2_220, 4_820)
    assert wallet.wallet_balance(session, p.id) == 20_000 - 4_820
    assert accumulators(session, p)[1:] == (2_220, 1)
    assert ledger.check(session) == []
