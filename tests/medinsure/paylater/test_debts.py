"""Treat first, pay later: eligibility, debts falling due with the clock moved, arrears and paying
them back, refunds reducing a debt (or returning what was collected), and every fen in the ledger."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from onecity import clock
from onecity.config import get_settings
from onecity.ledger import service as ledger
from onecity.medinsure.paylater import service as paylater
from onecity.medinsure.paylater.errors import (
    DebtConflict,
    DebtInvalid,
    DebtNotFound,
    NoArrears,
    NotEligible,
    ReductionExceedsDebt,
    WalletInsufficient,
)
from onecity.outbox import OutboxEvent
from tests.medinsure.paylater.factories import (
    allowed_citizen,
    assert_accounted,
    refund_later,
    settle_later,
    wallet_fen,
)
from tests.payments.trade.factories import fund_wallet

T0 = datetime(2026, 4, 1, 2, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _clock():
    clock.freeze(T0)


def _status(session, citizen):
    return paylater.status_of(session, citizen_id=citizen.public_id)


def test_only_citizens_the_city_allows(session):
    c = allowed_citizen(session, allowed=False)
    assert not paylater.eligible(session, citizen_id=c.public_id)
    with pytest.raises(NotEligible):
        paylater.open_debt(session, citizen_id=c.public_id, settlement_ref="S0", amount_fen=100)
    paylater.allow(session, citizen_id=c.public_id, allowed=True, actor="adm_test", reason="低保户试点")
    assert paylater.eligible(session, citizen_id=c.public_id)
    paylater.allow(session, citizen_id=c.public_id, allowed=True, actor="adm_test", reason="again")  # no change
    paylater.allow(session, citizen_id=c.public_id, allowed=False, actor="adm_test", reason="停用")
    assert not paylater.eligible(session, citizen_id=c.public_id)
    topics = session.scalars(select(OutboxEvent.topic).where(
        OutboxEvent.topic == "medinsure.paylater.allowance_changed")).all()
    assert len(topics) == 2  # allowed, then disallowed (the repeat changed nothing)


def test_bad_debts(session):
    c = allowed_citizen(session)
    for amount in (0, -5, 1.5, True):
        with pytest.raises(DebtInvalid):
            paylater.open_debt(session, citizen_id=c.public_id, settlement_ref="S1", amount_fen=amount)
    first = settle_later(session, c.public_id, "S1", 1_000)
    assert paylater.open_debt(session, citizen_id=c.public_id, settlement_ref="S1", amount_fen=1_000) == first
    with pytest.raises(DebtConflict):
        paylater.open_debt(session, citizen_id=c.public_id, settlement_ref="S1", amount_fen=999)
    assert_accounted(session)


def test_collected_from_the_wallet_when_due_and_only_once(session):
    c = allowed_citizen(session, balance=50_000)
    debt_id = settle_later(session, c.public_id, "S1", 12_345)
    d = paylater.get_debt(session, debt_id=debt_id)
    assert d.due_at == T0 + timedelta(days=15) and d.status == "open"
    s = _status(session, c)
    assert (s.eligible, s.open_fen, s.arrears_fen, s.due_days) == (True, 12_345, 0, 15)
    assert_accounted(session)  # the credit line has advanced 123.45

    clock.advance(timedelta(days=15) - timedelta(seconds=1))
    assert paylater.collect_due(session).collected == 0
    assert wallet_fen(session, c.public_id) == 50_000
    clock.advance(timedelta(seconds=1))
    run = paylater.collect_due(session)
    assert (run.collected, run.collected_fen, run.arrears) == (1, 12_345, 0)
    assert wallet_fen(session, c.public_id) == 50_000 - 12_345
    d = paylater.get_debt(session, debt_id=debt_id)
    assert (d.status, d.collected_fen, d.outstanding_fen, d.settled_at) == ("collected", 12_345, 0, clock.now())
    assert [e.kind for e in d.entries or []] == ["open", "collect"]
    assert paylater.credit_line_summary(session).ledger_outstanding_fen == 0
    # A rerun (or a second worker) finds nothing: one collection transfer, the wallet unchanged.
    clock.advance(timedelta(days=1))
    assert paylater.collect_due(session).collected == 0
    assert wallet_fen(session, c.public_id) == 50_000 - 12_345
    assert [t.code for t in ledger.transfers_by_ref(session, "S1")] == [paylater.COLLECT_CODE]
    assert_accounted(session)


def test_the_number_of_days_is_a_setting(session, monkeypatch):
    monkeypatch.setattr(get_settings(), "paylater_due_days", 3)
    c = allowed_citizen(session, balance=1_000)
    debt_id = settle_later(session, c.public_id, "S1", 700)
    assert paylater.get_debt(session, debt_id=debt_id).due_at == T0 + timedelta(days=3)
    clock.advance(timedelta(days=3))
    assert paylater.collect_due(session).collected_fen == 700


def test_arrears_make_the_citizen_ineligible_until_paid(session):
    c = allowed_citizen(session, balance=5_000)
    settle_later(session, c.public_id, "S1", 12_345)
    settle_later(session, c.public_id, "S2", 3_000)
    clock.advance(timedelta(days=15))
    run = paylater.collect_due(session)
    # Oldest first: S1 (123.45) cannot be paid from 50.00 → arrears; S2 (30.00) can.
    assert (run.collected, run.collected_fen, run.arrears, run.arrears_fen) == (1, 3_000, 1, 12_345)
    assert wallet_fen(session, c.public_id) == 2_000
    assert not paylater.eligible(session, citizen_id=c.public_id)
    assert paylater.arrears_of(session, citizen_id=c.public_id) == 12_345
    with pytest.raises(NotEligible):
        settle_later(session, c.public_id, "S3", 100)
    # Arrears are not collected again by the job; the citizen pays them.
    clock.advance(timedelta(days=1))
    assert paylater.collect_due(session).arrears == 0
    with pytest.raises(WalletInsufficient):
        paylater.pay_arrears(session, citizen_id=c.public_id)
    assert wallet_fen(session, c.public_id) == 2_000 and paylater.arrears_of(session, citizen_id=c.public_id) == 12_345
    fund_wallet(session, c.public_id, 10_345)
    paid = paylater.pay_arrears(session, citizen_id=c.public_id)
    assert (paid.collected, paid.collected_fen) == (1, 12_345)
    assert wallet_fen(session, c.public_id) == 0
    assert paylater.eligible(session, citizen_id=c.public_id)
    assert paylater.arrears_of(session, citizen_id=c.public_id) == 0
    with pytest.raises(NoArrears):
        paylater.pay_arrears(session, citizen_id=c.public_id)
    settle_later(session, c.public_id, "S3", 100)  # eligible again
    assert_accounted(session)
    topics = session.scalars(select(OutboxEvent.topic).where(OutboxEvent.topic.like("medinsure.paylater.%"))
                             .order_by(OutboxEvent.id)).all()
    assert topics == ["medinsure.paylater.allowance_changed", "medinsure.paylater.debt_opened",
                      "medinsure.paylater.debt_opened", "medinsure.paylater.debt_in_arrears",
                      "medinsure.paylater.debt_collected", "medinsure.paylater.arrears_paid",
                      "medinsure.paylater.debt_opened"]


def test_refunds_reduce_the_debt_and_a_full_refund_closes_it(session):
    c = allowed_citizen(session, balance=100_000)
    debt_id = settle_later(session, c.public_id, "S1", 10_000)
    refund_later(session, "S1", 3_000, refund_ref="R1")
    d = paylater.get_debt(session, debt_id=debt_id)
    assert (d.status, d.refunded_fen, d.outstanding_fen) == ("open", 3_000, 7_000)
    assert_accounted(session)
    paylater.reduce_debt(session, settlement_ref="S1", amount_fen=3_000, refund_ref="R1")  # a retry: no change
    assert paylater.get_debt(session, debt_id=debt_id).outstanding_fen == 7_000
    with pytest.raises(ReductionExceedsDebt):
        paylater.reduce_debt(session, settlement_ref="S1", amount_fen=7_001, refund_ref="R2")
    refund_later(session, "S1", 7_000, refund_ref="R2")
    d = paylater.get_debt(session, debt_id=debt_id)
    assert (d.status, d.outstanding_fen) == ("closed", 0)
    clock.advance(timedelta(days=16))
    assert paylater.collect_due(session).collected == 0
    assert wallet_fen(session, c.public_id) == 100_000
    assert_accounted(session)


def test_a_refund_after_collection_goes_back_to_the_wallet(session):
    c = allowed_citizen(session, balance=20_000)
    debt_id = settle_later(session, c.public_id, "S1", 10_000)
    clock.advance(timedelta(days=15))
    paylater.collect_due(session)
    assert wallet_fen(session, c.public_id) == 10_000
    refund_later(session, "S1", 4_000, refund_ref="R1")
    d = paylater.get_debt(session, debt_id=debt_id)
    assert (d.status, d.returned_fen, d.outstanding_fen) == ("collected", 4_000, 0)
    assert wallet_fen(session, c.public_id) == 14_000
    refund_later(session, "S1", 6_000, refund_ref="R2")
    d = paylater.get_debt(session, debt_id=debt_id)
    assert (d.status, d.refunded_fen, d.returned_fen) == ("closed", 10_000, 10_000)
    assert wallet_fen(session, c.public_id) == 20_000
    assert [e.kind for e in d.entries or []] == ["open", "collect", "reduce", "return", "reduce", "return"]
    assert_accounted(session)


def test_refunding_an_overdue_debt_in_full_restores_eligibility(session):
    c = allowed_citizen(session, balance=0)
    settle_later(session, c.public_id, "S1", 8_000)
    clock.advance(timedelta(days=15))
    paylater.collect_due(session)
    assert not paylater.eligible(session, citizen_id=c.public_id)
    refund_later(session, "S1", 5_000, refund_ref="R1")  # part: still overdue, 30.00 left
    assert paylater.arrears_of(session, citizen_id=c.public_id) == 3_000
    assert not paylater.eligible(session, citizen_id=c.public_id)
    refund_later(session, "S1", 3_000, refund_ref="R2")
    assert paylater.eligible(session, citizen_id=c.public_id)
    assert_accounted(session)


def test_collection_runs_in_batches(session):
    citizens = [allowed_citizen(session, balance=10_000) for _ in range(2)]
    for i in range(5):
        settle_later(session, citizens[i % 2].public_id, f"S{i}", 1_000 + i)
    clock.advance(timedelta(days=15))
    runs = [paylater.collect_due(session, limit=2).collected for _ in range(4)]
    assert runs == [2, 2, 1, 0]
    assert sum(wallet_fen(session, c.public_id) for c in citizens) == 20_000 - (1_000 * 5 + 0 + 1 + 2 + 3 + 4)
    assert_accounted(session)


def test_every_fen_is_accounted_through_a_random_history(session):
    """A seeded walk of settlements, refunds, days passing, collections, top-ups and arrears payments:
    after every step the credit line's ledger balance equals the open debts' outstanding sum."""
    rnd = random.Random(20261126)
    citizens = [allowed_citizen(session, balance=rnd.randrange(0, 30_000)) for _ in range(4)]
    refs: list[tuple[str, int]] = []
    refunded: dict[str, int] = {}
    for step in range(80):
        op = rnd.choice(["settle", "settle", "refund", "days", "collect", "topup", "pay"])
        c = rnd.choice(citizens)
        if op == "settle" and paylater.eligible(session, citizen_id=c.public_id):
            amount = rnd.randrange(1, 20_000)
            refs.append((settle_later(session, c.public_id, f"S{step}", amount) and f"S{step}", amount))
        elif op == "refund" and refs:
            ref, amount = rnd.choice(refs)
            left = amount - refunded.get(ref, 0)
            if left:
                part = rnd.randrange(1, left + 1)
                refund_later(session, ref, part, refund_ref=f"R{step}")
                refunded[ref] = refunded.get(ref, 0) + part
        elif op == "days":
            clock.advance(timedelta(days=rnd.randrange(1, 10)))
        elif op == "collect":
            paylater.collect_due(session)
        elif op == "topup":
            fund_wallet(session, c.public_id, rnd.randrange(1, 20_000))
        elif op == "pay" and paylater.arrears_of(session, citizen_id=c.public_id):
            try:
                paylater.pay_arrears(session, citizen_id=c.public_id)
            except WalletInsufficient:
                pass
        session.flush()
        assert_accounted(session)
    assert len(refs) > 5 and refunded


def test_illegal_transitions_change_nothing(session):
    c = allowed_citizen(session, balance=10_000)
    settle_later(session, c.public_id, "OPEN", 1_000)
    settle_later(session, c.public_id, "CLOSED", 2_000)
    refund_later(session, "CLOSED", 2_000, refund_ref="R-closed")
    with pytest.raises(NoArrears):  # an open debt is not overdue: nothing to pay back yet
        paylater.pay_arrears(session, citizen_id=c.public_id)
    with pytest.raises(ReductionExceedsDebt):  # a closed debt cannot be refunded again
        paylater.reduce_debt(session, settlement_ref="CLOSED", amount_fen=1, refund_ref="R-again")
    with pytest.raises(DebtConflict):  # the same refund id for another amount
        paylater.reduce_debt(session, settlement_ref="OPEN", amount_fen=5, refund_ref="R-closed")
    with pytest.raises(DebtNotFound):
        paylater.reduce_debt(session, settlement_ref="NOPE", amount_fen=5)
    with pytest.raises(DebtInvalid):
        paylater.reduce_debt(session, settlement_ref="OPEN", amount_fen=0)
    clock.advance(timedelta(days=15))
    run = paylater.collect_due(session)  # the closed debt is not collected
    assert (run.collected, run.collected_fen) == (1, 1_000)
    with pytest.raises(ReductionExceedsDebt):  # a collected debt gives back at most what it was
        paylater.reduce_debt(session, settlement_ref="OPEN", amount_fen=1_001, refund_ref="R-big")
    statuses = {d.settlement_ref: d.status for d in paylater.debts_of(session, citizen_id=c.public_id)}
    assert statuses == {"OPEN": "collected", "CLOSED": "closed"}
    assert wallet_fen(session, c.public_id) == 9_000
    assert_accounted(session)
