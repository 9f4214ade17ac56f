"""Factories for trade tests, built through the real services (orgs, ledger, wallet, payment codes).

    merchant = make_merchant(session)                    # a merchant org with its trade profile
    buyer = make_buyer(session, balance=10_000)          # a verified citizen whose wallet holds 100.00
    code = payment_code(session, buyer)                  # the buyer's current 18-digit payment code
    session.commit()
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onecity.identity.models import Citizen
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.payments.codes import service as codes
from onecity.payments.trade import service as trade
from onecity.payments.wallet import service as wallet
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_org

FUNDING_KEY = "test:funding:CNY"


def funding_account(session: Session) -> str:
    """A test-only source of money (no flags: may go negative), standing in for a bank top-up."""
    return ledger.open_account(session, key=FUNDING_KEY, code="test_funding", owner="test", flags=0).id


def fund_wallet(session: Session, citizen_id: str, amount: int) -> None:
    ledger.transfer(session, transfer_id=new_id("tst"), debit=funding_account(session),
                    credit=wallet.wallet_account_id(session, citizen_id), amount=amount, code="test.topup")
    session.flush()


def make_merchant(session: Session, *, name: str | None = None, fee_rate_bp: int | None = None) -> Any:
    org = make_org(session, kind="merchant", name=name)
    trade.merchant_account_id(session, org.public_id)
    if fee_rate_bp is not None:
        trade.set_fee_rate(session, merchant_id=org.public_id, fee_rate_bp=fee_rate_bp, actor="test:factory")
    session.flush()
    return org


def make_buyer(session: Session, *, balance: int = 0, small_limit: int | None = None) -> Citizen:
    c = make_citizen(session, verified=True)
    if balance:
        fund_wallet(session, c.public_id, balance)
    if small_limit is not None:
        codes.set_small_amount_limit(session, citizen_id=c.public_id, limit_fen=small_limit)
    session.flush()
    return c


def payment_code(session: Session, buyer: Citizen) -> str:
    """A fresh device's current code (each device's code pays once per minute)."""
    device = codes.provision_device(session, citizen_id=buyer.public_id, session_id=None, label="test")
    session.flush()
    return codes.current_code(session, device_id=device.device_id)


def balance(session: Session, account_id: str) -> int:
    return ledger.balance(session, account_id).posted_balance
