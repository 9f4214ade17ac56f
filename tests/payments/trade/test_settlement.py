"""T+1 settlement and the reconciliation file, with the arithmetic written out, checked against the
ledger's own history and balances to the fen."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

import pytest

from onecity import clock, outbox
from onecity.app import load_subscribers
from onecity.clock import CITY_TZ
from onecity.ledger import service as ledger
from onecity.payments.bank import service as bank
from onecity.payments.trade import service as trade
from tests.payments.trade.factories import make_buyer, make_merchant

D = date(2026, 11, 25)


def at(day: date, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=CITY_TZ)


def pay(session, m, buyer, out_trade_no: str, amount: int) -> str:
    o = trade.create_order(session, merchant_id=m.public_id, out_trade_no=out_trade_no, amount=amount, subject=out_trade_no)
    trade.pay_as_citizen(session, citizen_id=buyer.public_id, trade_no=o.trade_no)
    return o.trade_no


def drive_bank(session, settlement_ids: list[str], merchant_id: str, days: list[date]) -> list[str]:
    """Run the bank channel and the worker (moving the clock) until every payout has an outcome."""
    load_subscribers()
    for _ in range(60):
        bank.dispatch()
        bank.run_channel()
        outbox.run_once()
        statuses = [trade.get_settlement(session, merchant_id=merchant_id, day=d).status for d in days]
        session.rollback()
        if all(s in ("paid", "failed") for s in statuses):
            return statuses
        clock.advance(timedelta(seconds=5))
    raise AssertionError(f"payouts still pending: {statuses}")


@pytest.fixture
def day_of_trading(session):
    """Day D (Asia/Shanghai) and the morning after, for a merchant charging 38 bp:

    D 10:00  A paid 12.34          fee 1234 × 38 / 10000 = 4.69  → 0.05
    D 10:05  B paid 100.00         fee 10000 × 38 / 10000 = 38   → 0.38
    D 11:00  A refunded 3.00       fee back 5 × 300 / 1234 = 1.2 → 0.01
    D 23:59:59 C paid 1.00         fee 0.38 → 0.00
    D+1 00:00:30 E paid 2.00       fee 0.76 → 0.01               (day D+1)
    D+1 08:00 B refunded 0.50      fee back 38 × 50 / 10000 = 0.19 → 0.00 (day D+1)
    """
    clock.freeze(at(D, 9))
    m = make_merchant(session, fee_rate_bp=38)
    trade.update_profile(session, merchant_id=m.public_id, actor="test", bank_account="6222 0202 0011 2233 445",
                         holder_name=m.name_zh)
    buyer = make_buyer(session, balance=100_000)
    clock.freeze(at(D, 10))
    a = pay(session, m, buyer, "A", 1234)
    clock.freeze(at(D, 10, 5))
    b = pay(session, m, buyer, "B", 10_000)
    clock.freeze(at(D, 11))
    trade.refund(session, merchant_id=m.public_id, trade_no=a, refund_amount=300, out_request_no="A-r1")
    clock.freeze(at(D, 23, 59, 59))
    pay(session, m, buyer, "C", 100)
    clock.freeze(at(D + timedelta(days=1), 0, 0, 30))
    pay(session, m, buyer, "E", 200)
    clock.freeze(at(D + timedelta(days=1), 8))
    trade.refund(session, merchant_id=m.public_id, trade_no=b, refund_amount=50, out_request_no="B-r1")
    session.commit()
    return m


def test_a_day_is_settled_once_and_matches_the_ledger(session, day_of_trading):
    m = day_of_trading
    account = trade.merchant_account_id(session, m.public_id)
    for too_early in (at(D, 23, 30), at(D + timedelta(days=1), 0, 5)):  # the day is not over (+10 min grace)
        clock.freeze(too_early)
        with pytest.raises(trade.SettlementDayOpen):
            trade.settle_day(session, merchant_id=m.public_id, day=D)
        assert trade.last_settleable_day() == D - timedelta(days=1)
    clock.freeze(at(D + timedelta(days=1), 9))
    s = trade.settle_day(session, merchant_id=m.public_id, day=D)
    # payments 12.34 + 100.00 + 1.00 = 113.34; refunds 3.00; fees 0.05 + 0.38 + 0.00 − 0.01 = 0.42
    # due = 113.34 − 3.00 − 0.42 = 109.92, paid out (the account holds 115.34 − 3.50 − 0.42 = 111.42).
    assert (s.payments_count, s.payments_amount, s.refunds_count, s.refunds_amount) == (3, 11_334, 1, 300)
    assert (s.fees, s.carried_in, s.payout_amount, s.carried_out, s.status) == (42, 0, 10_992, 0, "paying")
    assert trade.settle_day(session, merchant_id=m.public_id, day=D).settlement_id == s.settlement_id
    assert trade.settle_all(session, day=D) == {"settled": 1, "failed": 0}
    session.commit()

    # The reconciliation file.
    rows = list(csv.reader(io.StringIO(trade.reconciliation_csv(session, merchant_id=m.public_id, day=D))))
    assert rows[0] == ["type", "time", "trade_no", "out_trade_no", "out_request_no", "subject", "amount", "fee", "net"]
    body = {(r[0], r[3]): r for r in rows[1:] if r[0] in ("payment", "refund")}
    assert body[("payment", "A")][6:] == ["12.34", "0.05", "12.29"]
    assert body[("payment", "B")][6:] == ["100.00", "0.38", "99.62"]
    assert body[("payment", "C")][6:] == ["1.00", "0.00", "1.00"]
    assert body[("refund", "A")][4:5] + body[("refund", "A")][6:] == ["A-r1", "-3.00", "-0.01", "-2.99"]
    assert ("payment", "E") not in body and len(body) == 4
    totals = {r[0]: r for r in rows if r[0] in ("total", "carried_in", "payout", "carried_out")}
    assert totals["total"][6:] == ["110.34", "0.42", "109.92"]
    assert totals["payout"][8] == "109.92" and totals["carried_out"][8] == "0.00"

    # The same totals from the ledger: the merchant account's transfers made during D …
    start, end = trade.day_bounds(D)
    history, cursor = ledger.history(session, account, limit=200)
    assert cursor is None
    on_d = [t for t in history if start <= t.created_at < end]
    received = sum(t.amount for t in on_d if t.code == "trade.pay" and t.credit == account)
    refunded = sum(t.amount for t in on_d if t.code == "trade.refund" and t.debit == account)
    assert received - refunded == 11_034  # = the "total" line's amount, 110.34
    # … the fee transfer and the payout's pending transfer, both made by the settlement.
    fee = next(t for t in history if t.transfer_id == trade.fee_transfer_id(s.settlement_id))
    assert (fee.amount, fee.debit, fee.credit) == (42, account, bank.system_account(session, "fee_income"))
    payout = [t for t in history if t.debit == account and t.kind == "pending"]
    assert [t.amount for t in payout] == [10_992]
    # What is left in the account is exactly day D+1's business: 2.00 − 0.50 = 1.50.
    assert ledger.balance(session, account).available_balance == 150
    session.rollback()

    # D+1: payments 2.00 (fee 0.01), refunds 0.50 (fee back 0.00): due 2.00 − 0.50 − 0.01 = 1.49.
    clock.freeze(at(D + timedelta(days=2), 9))
    s2 = trade.settle_day(session, merchant_id=m.public_id, day=D + timedelta(days=1))
    assert (s2.payments_amount, s2.refunds_amount, s2.fees, s2.payout_amount, s2.carried_out) == (200, 50, 1, 149, 0)
    session.commit()
    statuses = drive_bank(session, [s.settlement_id, s2.settlement_id], m.public_id, [D, D + timedelta(days=1)])
    assert statuses == ["paid", "paid"]
    # Both payouts posted: the payable account is empty, fee income holds the 0.43 of fees.
    assert ledger.balance(session, account).posted_balance == 0
    assert ledger.check(session) == []


def test_without_a_bank_account_the_money_is_held_and_carried(session):
    clock.freeze(at(D, 12))
    m = make_merchant(session, fee_rate_bp=0)
    buyer = make_buyer(session, balance=10_000)
    pay(session, m, buyer, "H-1", 1_000)
    clock.freeze(at(D + timedelta(days=1), 9))
    s = trade.settle_day(session, merchant_id=m.public_id, day=D)
    assert (s.payout_amount, s.carried_out, s.status) == (0, 1_000, "held")
    # The account is added; the next day's settlement pays the carried amount with that day's (none).
    trade.update_profile(session, merchant_id=m.public_id, actor="test", bank_account="622202020011223344",
                         holder_name=m.name_zh)
    clock.freeze(at(D + timedelta(days=2), 9))
    s2 = trade.settle_day(session, merchant_id=m.public_id, day=D + timedelta(days=1))
    assert (s2.carried_in, s2.payments_amount, s2.payout_amount, s2.carried_out) == (1_000, 0, 1_000, 0)


def test_settle_command(session, day_of_trading):
    from typer.testing import CliRunner

    from onecity.cli import app

    m = day_of_trading
    session.rollback()
    clock.freeze(at(D + timedelta(days=1), 9))
    r = CliRunner().invoke(app, ["trade", "settle", "--date", D.isoformat()])
    assert r.exit_code == 0, r.output
    r2 = CliRunner().invoke(app, ["trade", "settle", "--date", D.isoformat(), "--merchant", m.public_id])
    assert "payout 10992 fen (paying)" in r2.output


def test_a_payout_failed_after_the_next_settlement_is_carried_by_the_one_after(session):
    clock.freeze(at(D, 12))
    m = make_merchant(session, fee_rate_bp=0)
    trade.update_profile(session, merchant_id=m.public_id, actor="test", bank_account="622202020011223344",
                         holder_name=m.name_zh)
    buyer = make_buyer(session, balance=10_000)
    pay(session, m, buyer, "P-1", 1_000)
    clock.freeze(at(D + timedelta(days=1), 9))
    s1 = trade.settle_day(session, merchant_id=m.public_id, day=D)
    clock.freeze(at(D + timedelta(days=1), 12))
    pay(session, m, buyer, "P-2", 200)
    clock.freeze(at(D + timedelta(days=2), 9))
    s2 = trade.settle_day(session, merchant_id=m.public_id, day=D + timedelta(days=1))
    assert (s1.payout_amount, s2.carried_in, s2.payout_amount) == (1_000, 0, 200)
    # Only now does the bank fail D's payout (its pending transfer is voided: the 10.00 is back).
    assert s1.payout_id is not None
    ledger.void_pending(session, transfer_id=f"{s1.payout_id}:test-void",
                        pending_id=next(t.transfer_id for t in ledger.history(session, trade.merchant_account_id(
                            session, m.public_id))[0] if t.kind == "pending" and t.amount == 1_000))
    failed = trade.payout_finished(session, payout_id=s1.payout_id, succeeded=False)
    assert failed is not None and (failed.status, failed.carried_out) == ("failed", 1_000)
    clock.freeze(at(D + timedelta(days=3), 9))
    s3 = trade.settle_day(session, merchant_id=m.public_id, day=D + timedelta(days=2))
    # Nothing was sold on D+2: the settlement pays out the returned 10.00.
    assert (s3.payments_amount, s3.carried_in, s3.payout_amount, s3.carried_out) == (0, 1_000, 1_000, 0)
