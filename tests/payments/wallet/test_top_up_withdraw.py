"""Top-up and withdrawal at the service level: pending until the bank confirms, face grants, retries
under one client key, and concurrency on PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy.orm import Session

from onecity.db import transaction
from onecity.errors import DomainError
from onecity.identity.face.service import FaceGrantInvalid
from onecity.ledger import service as ledger
from onecity.payments.wallet import service as wallet
from tests.conftest import DB_KIND
from tests.identity.factories import make_citizen
from tests.identity.family.factories import make_face_grant
from tests.payments.bank.factories import bind_card, install_bank, run_bank


def _setup(session: Session) -> tuple[Any, str, str]:
    citizen = make_citizen(session, verified=True)
    card, number = bind_card(session, citizen)
    session.commit()
    return citizen, card.card_id, number


def _race(n: int, fn: Callable[[int], Any]) -> list[Any]:
    """Run fn(i) for i < n in n threads released together; results or raised DomainErrors."""
    barrier = threading.Barrier(n)
    out: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait()
        try:
            out[i] = fn(i)
        except DomainError as exc:
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_top_up_is_spendable_only_after_the_bank_confirms(session: Session) -> None:
    sim = install_bank()
    citizen, card_id, number = _setup(session)
    cid = citizen.public_id
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


def test_same_client_key_is_one_top_up_and_another_body_is_refused(session: Session) -> None:
    citizen, card_id, _ = _setup(session)
    cid = citizen.public_id
    with transaction() as s:
        a = wallet.top_up(s, citizen_id=cid, card_id=card_id, amount=500, actor=cid, client_key="k1")
        b = wallet.top_up(s, citizen_id=cid, card_id=card_id, amount=500, actor=cid, client_key="k1")
        assert a.id == b.id
        with pytest.raises(wallet.WalletRequestConflict):
            wallet.top_up(s, citizen_id=cid, card_id=card_id, amount=501, actor=cid, client_key="k1")
    run_bank()
    with transaction() as s:
        assert wallet.wallet_balance(s, cid) == 500


def test_withdrawal_needs_a_grant_for_this_act_used_once(session: Session) -> None:
    citizen, card_id, _ = _setup(session)
    cid = citizen.public_id
    with transaction() as s:
        wallet.top_up(s, citizen_id=cid, card_id=card_id, amount=10_000, actor=cid)
    run_bank()
    other_act = make_face_grant(session, citizen, act="family.link_minor")
    grant = make_face_grant(session, citizen, act="wallet.withdraw")
    session.commit()
    for g in ("fgr_nope", other_act):
        with transaction() as s, pytest.raises(FaceGrantInvalid):
            wallet.withdraw(s, citizen_id=cid, card_id=card_id, amount=4_000, grant_id=g, actor=cid)
    with transaction() as s:
        w = wallet.withdraw(s, citizen_id=cid, card_id=card_id, amount=4_000, grant_id=grant, actor=cid,
                            client_key="w1")
        # The same form submitted again (double tap): the first withdrawal, not a refusal.
        assert wallet.withdraw(s, citizen_id=cid, card_id=card_id, amount=4_000, grant_id=grant, actor=cid,
                               client_key="w1").id == w.id
    with transaction() as s, pytest.raises(FaceGrantInvalid):
        wallet.withdraw(s, citizen_id=cid, card_id=card_id, amount=4_000, grant_id=grant, actor=cid, client_key="w2")
    run_bank()
    with transaction() as s:
        assert wallet.wallet_balance(s, cid) == 6_000


@pytest.mark.skipif(DB_KIND != "postgres", reason="real concurrency needs PostgreSQL (SQLite serialises writers)")
def test_concurrent_requests(session: Session) -> None:
    """5 taps of one top-up form (one key) make one top-up; 7 withdrawals of ¥30 racing for a ¥100
    balance: exactly 3 are accepted, the others are refused for insufficient funds."""
    citizen, card_id, _ = _setup(session)
    cid = citizen.public_id

    def tap(_i: int) -> str:
        with transaction() as s:
            return wallet.top_up(s, citizen_id=cid, card_id=card_id, amount=10_000, actor=cid, client_key="tap").id

    assert len(set(_race(5, tap))) == 1
    run_bank()
    grants = [make_face_grant(session, citizen, act="wallet.withdraw") for _ in range(7)]
    session.commit()

    def withdraw(i: int) -> str:
        with transaction() as s:
            return wallet.withdraw(s, citizen_id=cid, card_id=card_id, amount=3_000, grant_id=grants[i], actor=cid).id

    results = _race(7, withdraw)
    kinds = Counter(r.code if isinstance(r, DomainError) else "ok" for r in results)
    assert kinds == {"ok": 3, "insufficient_funds": 4}
    run_bank()
    with transaction() as s:
        assert wallet.wallet_balance(s, cid) == 1_000
