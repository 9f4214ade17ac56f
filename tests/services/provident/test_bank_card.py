"""A withdrawal paid to the citizen's bound bank card through the bank channel (a simulated bank):
sent when approved, the money leaves when the bank confirms; a payout the bank returns puts the
money back in the provident account and the withdrawal reads refused."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy.orm import Session

from onecity import outbox
from onecity.db import transaction
from onecity.payments.bank import service as bank
from onecity.payments.wallet import service as wallet
from onecity.services.provident import service
from onecity.services.provident.service import WITHDRAW_ACT
from tests.identity.family.factories import make_face_grant, person
from tests.payments.bank.factories import bind_card, install_bank, run_bank
from tests.services.provident.factories import make_account, make_centre, withdrawal


@pytest.fixture(autouse=True)
def _subscribers() -> None:
    from onecity.app import load_subscribers

    load_subscribers()


def _setup(session: Session) -> tuple[str, str]:
    make_centre(session)
    p = person(session)
    make_account(session, p.id, months=24)
    card, _ = bind_card(session, p.citizen)
    grant = make_face_grant(session, p.citizen, act=WITHDRAW_ACT)
    session.commit()
    with transaction() as s:
        w = service.request_withdrawal(s, citizen_id=p.id, data=withdrawal(grant=grant, card_id=card.card_id),
                                       actor="t")
    return p.id, w.withdrawal_id


def _after_bank(session: Session) -> Any:
    run_bank(seconds=10, rounds=2)
    outbox.run_once()
    session.rollback()


def test_paid_to_the_card_when_the_bank_confirms(session: Session) -> None:
    install_bank()
    try:
        cid, wid = _setup(session)
        w = service.get_withdrawal(session, withdrawal_id=wid)
        assert (w.status, w.payout_to) == ("paid", "card")
        acc = service.get_account(session, citizen_id=cid)
        # 86,400.00: 1,500.00 is on its way to the bank (held) until it confirms
        assert (acc.balance_fen, acc.available_fen) == (8_640_000, 8_640_000 - 150_000)
        session.rollback()
        _after_bank(session)
        acc = service.get_account(session, citizen_id=cid)
        assert (acc.balance_fen, acc.held_fen) == (8_640_000 - 150_000, 0)
        assert bank.get_payout(session, wid).status == "succeeded"
        assert wallet.wallet_balance(session, cid) == 0  # not through the wallet
    finally:
        bank.use_channel(None)


def test_a_payout_the_bank_returns_puts_the_money_back(session: Session) -> None:
    install_bank(failure_bp=10_000)
    try:
        cid, wid = _setup(session)
        _after_bank(session)
        w = service.get_withdrawal(session, withdrawal_id=wid)
        assert w.status == "refused" and w.refusal and "bank" in w.refusal
        acc = service.get_account(session, citizen_id=cid)
        assert (acc.balance_fen, acc.held_fen) == (8_640_000, 0)
    finally:
        bank.use_channel(None)
