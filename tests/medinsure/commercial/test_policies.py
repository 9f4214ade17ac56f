"""Policies: dates, the insurer's own numbers, cancellation, and which covers are in force on a day."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from onecity import clock
from onecity.identity.service import CitizenNotFound
from onecity.medinsure.commercial import service as commercial
from onecity.medinsure.commercial.errors import (
    PolicyConflict,
    PolicyInvalid,
    PolicyNotFound,
    PolicyStateInvalid,
    ProductNotFound,
)
from tests.identity.factories import make_citizen
from tests.medinsure.commercial.factories import make_insurer, make_policy, make_product


@pytest.fixture
def setup(session):
    clock.freeze(datetime(2026, 6, 1, 2, tzinfo=UTC))  # 10:00 in Shenzhen
    insurer = make_insurer(session)
    return insurer, make_product(session, insurer), make_citizen(session)


@pytest.mark.parametrize(("start", "end", "why"), [
    (date(2026, 7, 1), date(2026, 6, 30), "ends before it starts"),
    (date(2026, 1, 1), date(2029, 1, 1), "at most three years"),  # 2026-01-01 .. 2028-12-31 is the most
    (date(2025, 1, 1), date(2026, 5, 31), "already have ended"),
])
def test_bad_dates(session, setup, start, end, why):
    insurer, product, citizen = setup
    with pytest.raises(PolicyInvalid, match=why):
        make_policy(session, insurer, citizen.public_id, product, start=start, end=end)
    assert commercial.policies_of_citizen(session, citizen_id=citizen.public_id) == []


def test_unknown_citizen_and_product_of_another_insurer(session, setup):
    insurer, product, citizen = setup
    with pytest.raises(CitizenNotFound):
        make_policy(session, insurer, "cit_nobody", product, start=date(2026, 6, 1), end=date(2027, 5, 31))
    with pytest.raises(ProductNotFound):
        make_policy(session, make_insurer(session), citizen.public_id, product, start=date(2026, 6, 1),
                    end=date(2027, 5, 31))


def test_covers_in_force_from_start_to_end_day_included(session, setup):
    insurer, product, citizen = setup
    p = make_policy(session, insurer, citizen.public_id, product, start=date(2026, 6, 15), end=date(2027, 6, 14))
    def payers(on: date) -> list[str]:
        return [c.payer for c in commercial.covers_for(session, citizen_id=citizen.public_id, on=on)]
    assert payers(date(2026, 6, 14)) == []
    assert payers(date(2026, 6, 15)) == [f"commercial:{p.policy_id}"]
    assert payers(date(2027, 6, 14)) == [f"commercial:{p.policy_id}"]
    assert payers(date(2027, 6, 15)) == []
    (c,) = commercial.covers_for(session, citizen_id=citizen.public_id, on=date(2027, 1, 5))
    assert (c.acc.year, c.acc.deductible_used_fen, c.acc.paid_fen) == (2027, 0, 0)
    assert c.ledger_account_id == commercial.insurer_account_id(session, insurer.public_id)
    assert c.insurer_org_id == insurer.public_id and c.policy_id == p.policy_id
    assert commercial.covers_for(session, citizen_id=make_citizen(session).public_id, on=date(2026, 7, 1)) == []


def test_policy_no_is_idempotent(session, setup):
    insurer, product, citizen = setup
    a = make_policy(session, insurer, citizen.public_id, product, start=date(2026, 6, 1), end=date(2027, 5, 31),
                    policy_no="PA-0001")
    again = make_policy(session, insurer, citizen.public_id, product, start=date(2026, 6, 1), end=date(2027, 5, 31),
                        policy_no="PA-0001")
    assert again.policy_id == a.policy_id
    with pytest.raises(PolicyConflict):
        make_policy(session, insurer, citizen.public_id, product, start=date(2026, 6, 2), end=date(2027, 5, 31),
                    policy_no="PA-0001")
    assert len(commercial.policies_of_citizen(session, citizen_id=citizen.public_id)) == 1


def test_cancelled_policy_pays_nothing_more(session, setup):
    insurer, product, citizen = setup
    p = make_policy(session, insurer, citizen.public_id, product, start=date(2026, 6, 1), end=date(2027, 5, 31))
    out = commercial.cancel_policy(session, insurer_org_id=insurer.public_id, policy_id=p.policy_id,
                                   reason="投保人退保")
    assert out.status == "cancelled" and out.cancelled_at is not None
    assert commercial.covers_for(session, citizen_id=citizen.public_id, on=date(2026, 7, 1)) == []
    with pytest.raises(PolicyStateInvalid):
        commercial.cancel_policy(session, insurer_org_id=insurer.public_id, policy_id=p.policy_id, reason="again")
    with pytest.raises(PolicyNotFound):  # another insurer cannot see it
        commercial.cancel_policy(session, insurer_org_id=make_insurer(session).public_id, policy_id=p.policy_id,
                                 reason="x")


def test_two_policies_both_cover_in_issue_order(session, setup):
    insurer, product, citizen = setup
    other = make_insurer(session)
    p2 = make_product(session, other, code="ZHONGAN", ratio_bp=10_000, covers_outside=True)
    a = make_policy(session, insurer, citizen.public_id, product, start=date(2026, 6, 1), end=date(2027, 5, 31))
    b = make_policy(session, other, citizen.public_id, p2, start=date(2026, 6, 1), end=date(2027, 5, 31))
    covers = commercial.covers_for(session, citizen_id=citizen.public_id, on=date(2026, 6, 1))
    assert [c.policy_id for c in covers] == [a.policy_id, b.policy_id]
    assert covers[0].ledger_account_id != covers[1].ledger_account_id
    mine = commercial.policies_of_citizen(session, citizen_id=citizen.public_id)
    assert {m.policy_id for m in mine} == {a.policy_id, b.policy_id}
    assert all(m.this_year is not None and m.this_year.year == 2026 for m in mine)


def test_three_years_is_the_longest_policy(session, setup):
    insurer, product, citizen = setup
    p = make_policy(session, insurer, citizen.public_id, product, start=date(2026, 1, 1), end=date(2028, 12, 31))
    assert (p.start, p.end, p.status) == (date(2026, 1, 1), date(2028, 12, 31), "active")
