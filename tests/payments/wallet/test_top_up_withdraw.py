"""Top-up and withdrawal through the simulated bank, on the ledger, end to end at the service level."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from onecity.db import transaction
from onecity.ledger import service as ledger
from onecity.payments.wallet import service as wallet
from tests.identity.factories import make_citizen
from tests.payments.bank.factories import bind_card, install_bank, run_bank


def _setup(session: Session) -> tuple[str, str, str]:
    citizen = make_citizen(session, verified=True)
    card, number = bind_card(session, citizen)
    session.commit()
    return citizen.public_id, card.card_id, number


def test_top_up_is_spendable_only_after_the_bank_confirms(session: Session) -> None:
    sim = install_bank()
    cid, card_id, number = _setup(session)
    with transaction() as s:
        t = wallet.top_up(s, citizen_id=cid, card_id=card_id, amount=12_345, actor=cid)
    assert t.status == "processing"
    with transaction() as s:
        w = wallet.wallet_summary(s, cid)
        assert (w.available, w.incoming) == (0, 12_345)  # pending: not spendable
    run_bank()
    with transaction() as s:
        w = wallet.wallet_summary(s, cid)
        assert (w.available, w.incoming, w.posted) == (12_345, 0, 12_345)
        assert wallet.get_bank_transfer(s, citizen_id=cid, transfer_id=t.id).status == "succeeded"
        assert ledger.check(s) == []
    assert sim.account_balance(number) == 10_000_000 - 12_345  # the bank debited the card


def test_withdrawal_needs_a_face_grant_and_holds_the_money(session: Session) -> None:
    install_bank()
    cid, card_id, number = _setup(session)
    with transaction() as s:
        wallet.top_up(s, citizen_id=cid, card_id=card_id, amount=10_000, actor=cid)
    run_bank()
    from onecity.identity.face.service import FaceGrantInvalid

    with transaction() as s, pytest.raises(FaceGrantInvalid):
        wallet.withdraw(s, citizen_id=cid, card_id=card_id, amount=4_000, grant_id="fgr_nope", actor=cid)
