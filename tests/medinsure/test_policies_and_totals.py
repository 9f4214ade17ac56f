"""Policies are versioned per city and year and each settlement records the one it used; the year's
policy and accumulators change at midnight on 31 December (city time); the fund's daily totals."""

from __future__ import annotations

import copy
from datetime import date, datetime, timedelta

import pytest

from onecity import clock
from onecity.medinsure import errors
from onecity.medinsure import service as med
from tests.medinsure.factories import accumulators, make_insured, open_visit, set_accumulators

VISIT = [{"code": "110200003", "quantity": 1, "unit_price_fen": 6000}]


def test_publishing_a_new_version_applies_to_new_settlements(session, city):
    p = make_insured(session, wallet=50_000)
    set_accumulators(session, p, outpatient=150_000)
    h3 = city.hospital3.public_id
    v1 = open_visit(session, city, p, lines=VISIT)
    assert med.presettle(session, institution_org_id=h3, visit_id=v1).fund_fen == 4_200  # 70 %
    current = med.policy_for(session, on=date(2026, 6, 15))
    doc = copy.deepcopy(current.to_json())
    doc["version"] = 2
    doc["schemes"]["employee"]["ratio_bp"]["outpatient"]["3"] = 7_500
    with pytest.raises(errors.PolicyRejected):
        med.publish_policy(session, document={**doc, "schemes": {"employee": {"ratio_bp": "lots"}}}, actor="test")
    with pytest.raises(errors.PolicyVersionTaken):
        med.publish_policy(session, document={**doc, "version": 1}, actor="test")
    out = med.publish_policy(session, document=doc, actor="test")
    assert out.policy_key == "pengcheng/2026/v2"
    # the visit pre-settled under v1 is refused at settlement (its figures changed), then shown again
    with pytest.raises(errors.PresettlementStale):
        med.confirm(session, citizen_id=p.id, visit_id=v1)
    pre = med.presettle(session, institution_org_id=h3, visit_id=v1)
    assert (pre.policy_key, pre.fund_fen) == ("pengcheng/2026/v2", 4_500)  # round(6000 × 75 %)
    s = med.confirm(session, citizen_id=p.id, visit_id=v1)
    assert s.policy_key == "pengcheng/2026/v2" and s.receipt["policy_key"] == "pengcheng/2026/v2"
    assert [x.policy_key for x in med.list_policies(session)] == [
        "pengcheng/2025/v1", "pengcheng/2026/v1", "pengcheng/2026/v2"]


def test_year_rollover_starts_new_accumulators_under_the_new_years_policy(session, city):
    clock.freeze(datetime(2025, 12, 31, 23, 58, tzinfo=clock.CITY_TZ))
    p = make_insured(session, wallet=100_000)
    set_accumulators(session, p, year=2025, outpatient=180_000)  # 2025: ¥1,800 deductible
    h3 = city.hospital3.public_id
    december = open_visit(session, city, p, lines=VISIT)
    med.presettle(session, institution_org_id=h3, visit_id=december)
    s25 = med.confirm(session, citizen_id=p.id, visit_id=december)
    assert s25.policy_key == "pengcheng/2025/v1"
    dec_fund = s25.fund_fen
    assert dec_fund == 4_200  # round(6000 × 70 %)
    assert accumulators(session, p, 2025) == ({"outpatient": 180_000}, dec_fund, 1)

    clock.advance(timedelta(minutes=3))  # 1 January 2026, 00:01 in the city
    january = open_visit(session, city, p, lines=VISIT)
    pre = med.presettle(session, institution_org_id=h3, visit_id=january)
    # a new year: the ¥1,500 deductible applies again, so all 6 000 is deductible and the fund pays nothing
    assert (pre.policy_key, pre.fund_fen, pre.within_fen) == ("pengcheng/2026/v1", 0, 6_000)
    med.confirm(session, citizen_id=p.id, visit_id=january)
    assert accumulators(session, p, 2026) == ({"outpatient": 6_000}, 0, 1)
    # the December bill refunded in January moves the 2025 figures back, not the 2026 ones
    med.refund(session, institution_org_id=h3, settlement_id=s25.settlement_id)
    assert accumulators(session, p, 2025) == ({"outpatient": 180_000}, 0, 1)
    assert accumulators(session, p, 2026) == ({"outpatient": 6_000}, 0, 1)
    # the fund's totals count the refund on the day it happened
    jan1 = med.fund_daily_totals(session, day=date(2026, 1, 1))
    assert (jan1.settlements, jan1.fund_fen, jan1.self_pay_fen, jan1.refunds, jan1.refunded_fund_fen) == (
        1, 0, 6_000, 1, dec_fund)
    dec31 = med.fund_daily_totals(session, day=date(2025, 12, 31))
    assert (dec31.settlements, dec31.fund_fen, dec31.refunds) == (1, dec_fund, 0)


def test_fund_daily_totals(session, city):
    a = make_insured(session, personal=1_000, wallet=50_000)
    b = make_insured(session, wallet=50_000)
    for p in (a, b):
        set_accumulators(session, p, outpatient=150_000)
    h3 = city.hospital3.public_id
    sa = None
    for p in (a, b):
        vid = open_visit(session, city, p, lines=VISIT)
        med.presettle(session, institution_org_id=h3, visit_id=vid)
        s = med.confirm(session, citizen_id=p.id, visit_id=vid)
        sa = sa or s
    assert sa is not None
    med.refund(session, institution_org_id=h3, settlement_id=sa.settlement_id)
    # each: 6000 → fund 4200, within 1800 (a: account 1000 + wallet 800; b: wallet 1800)
    t = med.fund_daily_totals(session, day=date(2026, 6, 15))
    assert (t.settlements, t.total_fen, t.fund_fen, t.personal_fen, t.commercial_fen, t.self_pay_fen) == (
        2, 12_000, 8_400, 1_000, 0, 2_600)
    assert (t.refunds, t.refunded_fen, t.refunded_fund_fen, t.net_fund_fen) == (1, 6_000, 4_200, 4_200)
    empty = med.fund_daily_totals(session, day=date(2026, 6, 14))
    assert (empty.settlements, empty.fund_fen, empty.refunds) == (0, 0, 0)
