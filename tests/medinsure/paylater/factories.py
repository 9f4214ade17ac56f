"""Factories for pay-later tests. The settlement and refund transfer groups are the medinsure core's;
here a test institution account stands in for the institution's receivable so that the credit line
moves exactly as it does in a real settlement.

    citizen = allowed_citizen(session, balance=10_000)       # allowed by the city, wallet holds 100.00
    debt_id = settle_later(session, citizen.public_id, "stl_1", 12_345)
    refund_later(session, "stl_1", 2_000, refund_ref="rf_1")
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from onecity.identity.models import Citizen
from onecity.ledger import service as ledger
from onecity.medinsure.paylater import service as paylater
from onecity.payments.wallet import service as wallet
from tests.identity.factories import make_citizen
from tests.payments.trade.factories import fund_wallet

INSTITUTION_KEY = "test:institution:CNY"


def institution_account(session: Session) -> str:
    return ledger.open_account(session, key=INSTITUTION_KEY, code="test_institution", owner="test").id


def allowed_citizen(session: Session, *, balance: int = 0, allowed: bool = True) -> Citizen:
    c = make_citizen(session, verified=True)
    wallet.wallet_account_id(session, c.public_id)
    if balance:
        fund_wallet(session, c.public_id, balance)
    if allowed:
        paylater.allow(session, citizen_id=c.public_id, allowed=True, actor="test:factory", reason="test")
    session.flush()
    return c


def settle_later(session: Session, citizen_id: str, ref: str, amount: int) -> str:
    """A settlement whose self-pay the credit line advances: credit line → institution, and the debt."""
    ledger.transfer(session, transfer_id=f"test.settle.{ref}", debit=paylater.credit_line_account_id(session),
                    credit=institution_account(session), amount=amount, code="medinsure.settle")
    debt_id = paylater.open_debt(session, citizen_id=citizen_id, settlement_ref=ref, amount_fen=amount)
    session.flush()
    return debt_id


def refund_later(session: Session, ref: str, amount: int, *, refund_ref: str) -> None:
    """A refund of the credit line's share: institution → credit line, then the debt is reduced."""
    ledger.transfer(session, transfer_id=f"test.refund.{refund_ref}", debit=institution_account(session),
                    credit=paylater.credit_line_account_id(session), amount=amount, code="medinsure.refund")
    paylater.reduce_debt(session, settlement_ref=ref, amount_fen=amount, refund_ref=refund_ref)
    session.flush()


def wallet_fen(session: Session, citizen_id: str) -> int:
    return wallet.wallet_balance(session, citizen_id)


def assert_accounted(session: Session) -> None:
    """Every fen accounted: the credit line's ledger balance is the debts' outstanding sum, and the
    ledger's own invariants hold."""
    s = paylater.credit_line_summary(session)
    assert s.ledger_outstanding_fen == s.debts_outstanding_fen, s
    assert ledger.check(session) == []
