"""Plain factories for ledger tests."""

from __future__ import annotations

from itertools import count

from sqlalchemy.orm import Session

from onecity.ledger import service
from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS, HOT, AccountOut

_n = count(1)


def make_account(session: Session, *, code: str = "test", flags: int = 0, currency: str = "CNY",
                 key: str | None = None, owner: str = "test") -> AccountOut:
    return service.open_account(session, key=key or f"{code}:{next(_n)}:{currency}", code=code,
                                owner=owner, currency=currency, flags=flags)


def make_wallet(session: Session, funded: int = 0, *, source: AccountOut | None = None) -> AccountOut:
    """A no-overdraft (credit-normal) wallet, topped up with `funded` fen from a plain bank account."""
    wallet = make_account(session, code="wallet", flags=DEBITS_MUST_NOT_EXCEED_CREDITS)
    if funded:
        bank = source or make_account(session, code="bank_clearing")
        service.transfer(session, transfer_id=f"topup:{wallet.id}", debit=bank.id, credit=wallet.id,
                         amount=funded, code="topup")
    return wallet


def make_hot(session: Session, *, code: str = "merchant") -> AccountOut:
    return make_account(session, code=code, flags=DEBITS_MUST_NOT_EXCEED_CREDITS | HOT)
