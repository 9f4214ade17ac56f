"""Claims: a policy's accumulators across settlements and refunds, exclusions, the annual limit, the
year boundary, stale covers and retried settlements. Figures are worked out in the comments.

The product of every test (unless said): 80 % (8000 bp) of the within-policy self-pay (自付) after the
fund, outside-policy (自费) not covered, annual deductible 100.00 (10_000 fen), annual limit 500.00
(50_000 fen), code X01 and category C (丙类) excluded."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from onecity import clock
from onecity.medinsure import rules
from onecity.medinsure.commercial import service as commercial
from onecity.medinsure.commercial.errors import (
    AccumulatorsMoved,
    ClaimConflict,
    ClaimInvalid,
    ClaimNotFound,
    ReversalExceedsClaim,
)
from onecity.outbox import OutboxEvent
from tests.identity.factories import make_citizen
from tests.medinsure.commercial.factories import acc, bill, make_insurer, make_policy, make_product, settle

TERMS = dict(ratio_bp=8000, deductible_fen=10_000, annual_limit_fen=50_000, excluded_codes=["X01"],
             excluded_categories=["C"])


@pytest.fixture
def world(session):
    clock.freeze(datetime(2026, 3, 10, 2, tzinfo=UTC))  # 2026-03-10 10:00 in Shenzhen
    insurer = make_insurer(session)
    product = make_product(session, insurer, **TERMS)
    citizen = make_citizen(session)
    policy = make_policy(session, insurer, citizen.public_id, product, start=date(2026, 1, 1), end=date(2027, 12, 31))
    return insurer, product, citizen, policy


def _reverse(session, policy, ref, year, line_nos=None):
    """What the medinsure refund does for a commercial payer: take back the recorded cover's lines."""
    payer = f"commercial:{policy.policy_id}"
    cover = commercial.recorded_cover(session, payer=payer, settlement_ref=ref)
    now = commercial.accumulators_of(session, payer=payer, year=year)
    chosen = set(cover.per_line) if line_nos is None else set(line_nos)
    ded = sum(cover.deductible_on(n) for n in chosen)
    paid = sum(cover.paid_on(n) for n in chosen)
    after = rules.CommercialAccumulators(year, now.deductible_used_fen - ded, now.paid_fen - paid)
    return commercial.reverse_claim(session, payer=payer, settlement_ref=ref, acc_after=after, refund_fen=paid)


def test_deductible_then_ratio_then_limit_then_refunds(session, world):
    insurer, product, citizen, policy = world
    day = date(2026, 3, 10)
    # Bill 1: line 1 within 60.00, outside 10.00 (not covered) → base 6_000, all of it deductible.
    c1 = settle(session, citizen.public_id, day, bill(2026, "outpatient", [(1, "A01", "A", 6_000, 1_000, 20_000)]), "S1")
    (cover1,) = c1.values()
    assert dict(cover1.per_line) == {1: (6_000, 0)} and cover1.total_fen == 0
    assert acc(session, policy, 2026) == (6_000, 0)
    # Bill 2: line 1 within 90.00 → deductible left 4_000, then 80 % of 5_000 = 4_000;
    # line 2 code X01 and line 3 丙类 are excluded (nothing, no deductible either).
    c2 = settle(session, citizen.public_id, day, bill(2026, "outpatient", [
        (1, "B01", "B", 9_000, 0, 30_000), (2, "X01", "A", 3_000, 0, 0), (3, "C01", "C", 2_000, 0, 0)]), "S2")
    (cover2,) = c2.values()
    assert dict(cover2.per_line) == {1: (4_000, 4_000)} and cover2.total_fen == 4_000
    assert acc(session, policy, 2026) == (10_000, 4_000)
    # Bill 3: within 700.00 → 80 % = 56_000, but only 50_000 − 4_000 = 46_000 of the limit is left.
    c3 = settle(session, citizen.public_id, day, bill(2026, "inpatient", [(1, "A02", "A", 70_000, 0, 100_000)]), "S3")
    assert next(iter(c3.values())).total_fen == 46_000
    assert acc(session, policy, 2026) == (10_000, 50_000)
    # Bill 4: the limit is used up: nothing more.
    c4 = settle(session, citizen.public_id, day, bill(2026, "outpatient", [(1, "A01", "A", 5_000, 0, 0)]), "S4")
    assert next(iter(c4.values())).total_fen == 0
    # Refund bill 3 in full: paid 50_000 − 46_000 = 4_000, deductible unchanged.
    r3 = _reverse(session, policy, "S3", 2026)
    assert (r3.status, r3.refunded_fen) == ("reversed", 46_000)
    assert acc(session, policy, 2026) == (10_000, 4_000)
    # Refund bill 2 line 1: deductible 10_000 − 4_000 = 6_000, paid 4_000 − 4_000 = 0.
    r2 = _reverse(session, policy, "S2", 2026, line_nos=[1])
    assert (r2.status, r2.refunded_fen) == ("reversed", 4_000)
    assert acc(session, policy, 2026) == (6_000, 0)
    with pytest.raises(ReversalExceedsClaim):
        commercial.reverse_claim(session, payer=f"commercial:{policy.policy_id}", settlement_ref="S2",
                                 acc_after=rules.CommercialAccumulators(2026, 6_000, -1), refund_fen=1)
    assert acc(session, policy, 2026) == (6_000, 0)
    claims, _ = commercial.list_claims(session, insurer_org_id=insurer.public_id)
    assert [(c.settlement_ref, c.paid_fen, c.refunded_fen) for c in claims] == [
        ("S4", 0, 0), ("S3", 46_000, 46_000), ("S2", 4_000, 4_000), ("S1", 0, 0)]
    page, cursor = commercial.list_claims(session, insurer_org_id=insurer.public_id, limit=3)
    assert len(page) == 3 and cursor == page[-1].claim_id
    rest, end = commercial.list_claims(session, insurer_org_id=insurer.public_id, after=cursor)
    assert [c.settlement_ref for c in rest] == ["S1"] and end is None
    events = session.scalars(select(OutboxEvent).where(OutboxEvent.topic.like("medinsure.commercial.claim_%"))
                             .order_by(OutboxEvent.id)).all()
    assert [(e.topic.rsplit(".", 1)[1], e.payload["settlement_ref"]) for e in events] == [
        ("claim_recorded", "S1"), ("claim_recorded", "S2"), ("claim_recorded", "S3"), ("claim_recorded", "S4"),
        ("claim_reversed", "S3"), ("claim_reversed", "S2")]
    assert events[-1].payload["refund_fen"] == 4_000 and events[-1].payload["deductible_returned_fen"] == 4_000


def test_partial_refund_of_a_two_line_claim(session, world):
    _, _, citizen, policy = world
    # Line 1 within 150.00: deductible 10_000, 80 % of 5_000 = 4_000. Line 2 within 50.00: 80 % = 4_000.
    settle(session, citizen.public_id, date(2026, 3, 10), bill(2026, "outpatient", [
        (1, "A01", "A", 15_000, 0, 0), (2, "A03", "A", 5_000, 0, 0)]), "S1")
    assert acc(session, policy, 2026) == (10_000, 8_000)
    r = _reverse(session, policy, "S1", 2026, line_nos=[2])
    assert (r.status, r.refunded_fen, r.paid_fen) == ("partly_reversed", 4_000, 8_000)
    assert acc(session, policy, 2026) == (10_000, 4_000)
    r = _reverse(session, policy, "S1", 2026, line_nos=[1])
    assert (r.status, r.refunded_fen) == ("reversed", 8_000)
    assert acc(session, policy, 2026) == (0, 0)


def test_covers_outside_policy_when_the_product_says_so(session):
    clock.freeze(datetime(2026, 3, 10, 2, tzinfo=UTC))
    insurer = make_insurer(session)
    product = make_product(session, insurer, ratio_bp=5000, deductible_fen=0, annual_limit_fen=1_000_000,
                           covers_outside=True)
    citizen = make_citizen(session)
    policy = make_policy(session, insurer, citizen.public_id, product, start=date(2026, 1, 1), end=date(2026, 12, 31))
    # within 33.33 + outside 10.01 = 4_334 → 50 % = 2_167.
    covers = settle(session, citizen.public_id, date(2026, 3, 10),
                    bill(2026, "pharmacy", [(1, "D01", "B", 3_333, 1_001, 6_666)]), "P1")
    assert next(iter(covers.values())).total_fen == 2_167
    assert acc(session, policy, 2026) == (0, 2_167)


def test_visit_type_not_covered(session):
    clock.freeze(datetime(2026, 3, 10, 2, tzinfo=UTC))
    insurer = make_insurer(session)
    product = make_product(session, insurer, visit_types=["inpatient"])
    citizen = make_citizen(session)
    policy = make_policy(session, insurer, citizen.public_id, product, start=date(2026, 1, 1), end=date(2026, 12, 31))
    covers = settle(session, citizen.public_id, date(2026, 3, 10),
                    bill(2026, "outpatient", [(1, "A01", "A", 50_000, 0, 0)]), "O1")
    assert next(iter(covers.values())).total_fen == 0
    assert acc(session, policy, 2026) == (0, 0)


def test_year_boundary_restarts_the_accumulators_and_a_january_refund_moves_december(session, world):
    insurer, _, citizen, policy = world
    clock.freeze(datetime(2026, 12, 31, 15, 30, tzinfo=UTC))  # 23:30 on 31 December in Shenzhen
    today = clock.today_local().date()
    assert today == date(2026, 12, 31)
    # December: within 200.00 → deductible 10_000, 80 % of 10_000 = 8_000.
    settle(session, citizen.public_id, today, bill(2026, "outpatient", [(1, "A01", "A", 20_000, 0, 0)]), "DEC")
    assert acc(session, policy, 2026) == (10_000, 8_000)
    clock.advance(timedelta(hours=1))  # 00:30 on 1 January 2027
    jan = clock.today_local().date()
    assert jan == date(2027, 1, 1)
    (cover,) = commercial.covers_for(session, citizen_id=citizen.public_id, on=jan)
    assert (cover.acc.year, cover.acc.deductible_used_fen, cover.acc.paid_fen) == (2027, 0, 0)
    # January: the deductible starts again: within 120.00 → 10_000 deductible, 80 % of 2_000 = 1_600.
    settle(session, citizen.public_id, jan, bill(2027, "outpatient", [(1, "A01", "A", 12_000, 0, 0)]), "JAN")
    assert acc(session, policy, 2027) == (10_000, 1_600)
    # Refunding December's bill in January moves 2026's figures, not 2027's.
    with pytest.raises(ClaimInvalid):
        commercial.reverse_claim(session, payer=cover.payer, settlement_ref="DEC",
                                 acc_after=rules.CommercialAccumulators(2027, 0, 0), refund_fen=8_000)
    _reverse(session, policy, "DEC", 2026)
    assert acc(session, policy, 2026) == (0, 0)
    assert acc(session, policy, 2027) == (10_000, 1_600)
    # Daily totals are by city date: 31 Dec has the December claim; 1 Jan has the January claim and
    # December's refund.
    d31 = commercial.daily_total(session, insurer_org_id=insurer.public_id, day=date(2026, 12, 31))
    d1 = commercial.daily_total(session, insurer_org_id=insurer.public_id, day=date(2027, 1, 1))
    assert (d31.claims, d31.paid_fen, d31.refunded_fen, d31.net_fen) == (1, 8_000, 0, 8_000)
    assert (d1.claims, d1.paid_fen, d1.reversals, d1.refunded_fen, d1.net_fen) == (1, 1_600, 1, 8_000, -6_400)


def test_a_cover_computed_on_stale_figures_is_refused(session, world):
    _, _, citizen, policy = world
    day = date(2026, 3, 10)
    (stale,) = commercial.covers_for(session, citizen_id=citizen.public_id, on=day)
    settle(session, citizen.public_id, day, bill(2026, "outpatient", [(1, "A01", "A", 20_000, 0, 0)]), "FIRST")
    # A concurrent settlement computed its cover on the figures before FIRST (deductible not used):
    split = bill(2026, "outpatient", [(1, "A01", "A", 20_000, 0, 0)])
    cover = rules.commercial_cover(stale.product, split, stale.acc)
    with pytest.raises(AccumulatorsMoved):
        commercial.record_claim(session, payer=stale.payer, settlement_ref="SECOND", cover=cover)
    assert acc(session, policy, 2026) == (10_000, 8_000)
    assert [c.settlement_ref for c in commercial.claims_for_settlement(session, settlement_ref="SECOND")] == []


def test_a_retried_settlement_records_the_claim_once(session, world):
    _, _, citizen, policy = world
    split = bill(2026, "outpatient", [(1, "A01", "A", 20_000, 0, 0)])
    (c,) = commercial.covers_for(session, citizen_id=citizen.public_id, on=date(2026, 3, 10))
    cover = rules.commercial_cover(c.product, split, c.acc)
    first = commercial.record_claim(session, payer=c.payer, settlement_ref="S1", cover=cover)
    again = commercial.record_claim(session, payer=c.payer, settlement_ref="S1", cover=cover)
    assert again.replayed and again.claim_id == first.claim_id
    assert acc(session, policy, 2026) == (10_000, 8_000)
    other = rules.CommercialCover(cover.product_id, {1: (10_000, 7_999)}, 7_999,
                                  rules.CommercialAccumulators(2026, 10_000, 7_999))
    with pytest.raises(ClaimConflict):
        commercial.record_claim(session, payer=c.payer, settlement_ref="S1", cover=other)


def test_bad_claims(session, world):
    _, _, citizen, policy = world
    (c,) = commercial.covers_for(session, citizen_id=citizen.public_id, on=date(2026, 3, 10))
    after = rules.CommercialAccumulators(2026, 0, 100)
    with pytest.raises(ClaimInvalid):  # total is not the sum of the lines
        commercial.record_claim(session, payer=c.payer, settlement_ref="B1",
                                cover=rules.CommercialCover(c.product.product_id, {1: (0, 99)}, 100, after))
    with pytest.raises(ClaimInvalid):  # another product's cover
        commercial.record_claim(session, payer=c.payer, settlement_ref="B1",
                                cover=rules.CommercialCover("mcp_other", {1: (0, 100)}, 100, after))
    with pytest.raises(ClaimInvalid):  # above the annual limit (50_000)
        commercial.record_claim(session, payer=c.payer, settlement_ref="B1", cover=rules.CommercialCover(
            c.product.product_id, {1: (10_000, 50_001)}, 50_001, rules.CommercialAccumulators(2026, 10_000, 50_001)))
    with pytest.raises(ClaimInvalid):  # not a commercial payer
        commercial.record_claim(session, payer="wallet", settlement_ref="B1",
                                cover=rules.CommercialCover(c.product.product_id, {}, 0, after))
    with pytest.raises(ClaimNotFound):
        commercial.reverse_claim(session, payer=c.payer, settlement_ref="nope", acc_after=after, refund_fen=0)
    assert acc(session, policy, 2026) == (0, 0)
