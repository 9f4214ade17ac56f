"""Two-phase transfers: pending reserves, post (all or less) or void, timeouts; every illegal transition."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onecity import clock, jobs
from onecity.ledger import service
from tests.ledger.factories import make_account, make_wallet


def _balances(session, acc):
    b = service.balance(session, acc)
    return (b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted)


def test_pending_reserves_then_post_less_releases_the_rest(session):
    wallet = make_wallet(session, 1_000)
    metro = make_account(session, code="transit")
    p = service.transfer(session, transfer_id="fare-hold", debit=wallet.id, credit=metro.id, amount=800,
                         code="fare", pending=True, ref="trip:1")
    assert (p.kind, p.status) == ("pending", "pending")
    # 1000 credited, 800 reserved: available 1000 - 0 - 800 = 200, posted still 1000
    b = service.balance(session, wallet.id)
    assert (b.posted_balance, b.available_balance) == (1_000, 200)
    assert _balances(session, metro.id) == (0, 0, 800, 0)
    with pytest.raises(service.InsufficientFunds):
        service.transfer(session, transfer_id="x", debit=wallet.id, credit=metro.id, amount=201, code="fare")
    post = service.post_pending(session, transfer_id="fare", pending_id="fare-hold", amount=350)
    assert (post.kind, post.status, post.amount, post.pending_id, post.ref) == ("post", "posted", 350, "fare-hold",
                                                                                  "trip:1")
    # posted 350 of 800: the other 450 is released -> available 1000 - 350 = 650
    assert _balances(session, wallet.id) == (0, 350, 0, 1_000)
    assert service.balance(session, wallet.id).available_balance == 650
    assert _balances(session, metro.id) == (0, 0, 0, 350)
    assert [t.status for t in service.transfers_by_ref(session, "trip:1")] == ["posted", "posted"]
    assert service.check(session) == []


def test_post_full_amount_by_default(session):
    wallet = make_wallet(session, 500)
    shop = make_account(session)
    service.transfer(session, transfer_id="p", debit=wallet.id, credit=shop.id, amount=500, code="pay", pending=True)
    assert service.post_pending(session, transfer_id="p:post", pending_id="p").amount == 500
    assert service.balance(session, wallet.id).available_balance == 0
    assert service.check(session) == []


def test_void_releases_everything(session):
    wallet = make_wallet(session, 500)
    shop = make_account(session)
    service.transfer(session, transfer_id="p", debit=wallet.id, credit=shop.id, amount=300, code="pay", pending=True)
    v = service.void_pending(session, transfer_id="p:void", pending_id="p")
    assert (v.kind, v.status, v.amount) == ("void", "voided", 300)
    assert _balances(session, wallet.id) == (0, 0, 0, 500)
    assert _balances(session, shop.id) == (0, 0, 0, 0)
    assert service.transfers_by_ref(session, "nothing") == []
    assert service.check(session) == []


@pytest.mark.parametrize("first", ["post", "void", "expire"])
@pytest.mark.parametrize("then", ["post", "void"])
def test_every_illegal_transition_is_refused(session, first, then):
    """pending -> posted | voided | expired; nothing leaves posted, voided or expired."""
    clock.freeze(clock.now())
    wallet = make_wallet(session, 500)
    shop = make_account(session)
    service.transfer(session, transfer_id="p", debit=wallet.id, credit=shop.id, amount=300, code="pay",
                     pending=True, timeout=timedelta(minutes=5))
    if first == "post":
        service.post_pending(session, transfer_id="first", pending_id="p")
    elif first == "void":
        service.void_pending(session, transfer_id="first", pending_id="p")
    else:
        clock.advance(timedelta(minutes=5))
        assert service.expire_pending(session) == 1
    before = [_balances(session, a) for a in (wallet.id, shop.id)]
    with pytest.raises(service.PendingNotPending) as e:
        if then == "post":
            service.post_pending(session, transfer_id="second", pending_id="p")
        else:
            service.void_pending(session, transfer_id="second", pending_id="p")
    assert e.value.status == 409
    assert [_balances(session, a) for a in (wallet.id, shop.id)] == before
    assert service.check(session) == []


def test_post_or_void_of_what_is_not_a_pending_transfer(session):
    wallet = make_wallet(session, 500)
    shop = make_account(session)
    service.transfer(session, transfer_id="single", debit=wallet.id, credit=shop.id, amount=100, code="pay")
    service.transfer(session, transfer_id="p", debit=wallet.id, credit=shop.id, amount=100, code="pay", pending=True)
    with pytest.raises(service.InvalidTransfer):
        service.post_pending(session, transfer_id="x", pending_id="single")
    with pytest.raises(service.TransferNotFound):
        service.void_pending(session, transfer_id="x", pending_id="missing")
    with pytest.raises(service.InvalidTransfer):  # more than reserved: 101 > 100
        service.post_pending(session, transfer_id="x", pending_id="p", amount=101)
    for bad in (0, -1):
        with pytest.raises(service.InvalidTransfer):
            service.post_pending(session, transfer_id="x", pending_id="p", amount=bad)
    with pytest.raises(service.TransferConflict):  # the id of another transfer
        service.post_pending(session, transfer_id="single", pending_id="p")
    assert service.balance(session, wallet.id).available_balance == 300
    assert service.check(session) == []


def test_post_and_void_replay_and_conflict(session):
    wallet = make_wallet(session, 500)
    shop = make_account(session)
    service.transfer(session, transfer_id="p", debit=wallet.id, credit=shop.id, amount=300, code="pay", pending=True)
    first = service.post_pending(session, transfer_id="post", pending_id="p", amount=200)
    again = service.post_pending(session, transfer_id="post", pending_id="p", amount=200)
    assert again.replayed and again.amount == 200 and not first.replayed
    with pytest.raises(service.TransferConflict):
        service.post_pending(session, transfer_id="post", pending_id="p", amount=250)
    with pytest.raises(service.TransferConflict):
        service.void_pending(session, transfer_id="post", pending_id="p")
    # The pending transfer itself replays with its current status.
    assert service.transfer(session, transfer_id="p", debit=wallet.id, credit=shop.id, amount=300, code="pay",
                            pending=True).status == "posted"
    assert service.balance(session, wallet.id).available_balance == 300
    assert service.check(session) == []


def test_post_after_timeout_is_refused_and_the_job_expires_it(session):
    clock.freeze(clock.now())
    wallet = make_wallet(session, 500)
    shop = make_account(session)
    service.transfer(session, transfer_id="p", debit=wallet.id, credit=shop.id, amount=300, code="pay",
                     pending=True, timeout=timedelta(seconds=60))
    again = service.transfer(session, transfer_id="p", debit=wallet.id, credit=shop.id, amount=300, code="pay",
                             pending=True, timeout=timedelta(seconds=60))
    assert again.replayed
    with pytest.raises(service.TransferConflict):  # a different timeout is a different transfer
        service.transfer(session, transfer_id="p", debit=wallet.id, credit=shop.id, amount=300, code="pay",
                         pending=True, timeout=timedelta(seconds=61))
    clock.advance(timedelta(seconds=59))
    assert service.expire_pending(session) == 0
    clock.advance(timedelta(seconds=1))
    with pytest.raises(service.PendingNotPending) as e:
        service.post_pending(session, transfer_id="late", pending_id="p")
    assert e.value.extra["status"] == "expired"
    session.commit()
    # The worker's job (its own transaction) releases the reservation.
    from onecity.ledger import jobs as ledger_jobs  # noqa: F401 - registers the job

    assert jobs.run_due(clock.now())["ledger.expire_pending"] == str({"expired": 1})
    session.expire_all()
    assert [t.status for t in service.history(session, wallet.id)[0]] == ["expired", "posted"]
    assert service.balance(session, wallet.id).available_balance == 500
    assert service.balance(session, shop.id).credits_pending == 0
    assert service.check(session) == []
