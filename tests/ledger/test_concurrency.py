"""Concurrency on PostgreSQL: no overdraft, no double application, no deadlock, a hot account stays exact.

Each thread runs its own transaction (its own session) the way concurrent requests do. SQLite
serialises every writer (BEGIN IMMEDIATE), so these races cannot happen there.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import sessionmaker

from onecity import db
from onecity.ledger import service
from onecity.ledger.schemas import TransferSpec
from tests.conftest import DB_KIND
from tests.ledger.factories import make_account, make_hot, make_wallet

pytestmark = pytest.mark.skipif(DB_KIND != "postgres",
                                reason="SQLite runs one writer at a time: there is no race to test")


def _race(n: int, fn: Callable[[int], Callable[[Any], Any]], workers: int = 24) -> list[Any]:
    """Run fn(i)(session) for i in 0..n-1, each in its own transaction, from `workers` threads released
    together; results or exceptions. Sixteen connections at most (the server is shared)."""
    barrier = threading.Barrier(min(n, workers))
    engine = create_engine(db.engine().url, pool_size=16, max_overflow=0, pool_timeout=60)
    factory = sessionmaker(bind=engine, expire_on_commit=False)

    def one(i: int) -> Any:
        if i < workers:
            barrier.wait()
        try:
            with factory() as s, s.begin():
                return fn(i)(s)
        except Exception as exc:  # noqa: BLE001 - the result we want to look at
            return exc

    try:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(one, range(n)))
    finally:
        engine.dispose()


def test_200_payments_against_a_wallet_that_affords_exactly_10(session):
    shop = make_hot(session)
    wallet = make_wallet(session, 10 * 1_234)
    session.commit()
    results = _race(200, lambda i: lambda s: service.transfer(
        s, transfer_id=f"pay-{i}", debit=wallet.id, credit=shop.id, amount=1_234, code="pay"), workers=200)
    ok = [r for r in results if not isinstance(r, Exception)]
    refused = [r for r in results if isinstance(r, service.InsufficientFunds)]
    others = [r for r in results if isinstance(r, Exception) and not isinstance(r, service.InsufficientFunds)]
    assert len(ok) == 10 and len(refused) == 190, others[:3]
    session.expire_all()
    assert service.balance(session, wallet.id).available_balance == 0
    assert service.balance(session, shop.id).posted_balance == 12_340
    assert service.check(session) == []


def test_the_same_transfer_submitted_50_times_concurrently_applies_once(session):
    shop = make_account(session)
    wallet = make_wallet(session, 10_000)
    session.commit()
    results = _race(50, lambda i: lambda s: service.transfer(
        s, transfer_id="pay-once", debit=wallet.id, credit=shop.id, amount=700, code="pay", ref="order-1"),
        workers=50)
    assert all(not isinstance(r, Exception) for r in results), results
    assert sum(not r.replayed for r in results) == 1
    assert {r.amount for r in results} == {700}
    session.expire_all()
    assert service.balance(session, wallet.id).available_balance == 9_300
    assert len(service.transfers_by_ref(session, "order-1")) == 1
    assert service.check(session) == []


def test_opposite_directions_never_deadlock(session):
    a, b = make_wallet(session, 100_000), make_wallet(session, 100_000)
    session.commit()

    def work(i: int) -> Callable[[Any], Any]:
        def run(s: Any) -> Any:
            if i % 3 == 0:
                return service.transfer(s, transfer_id=f"ab-{i}", debit=a.id, credit=b.id, amount=7, code="x")
            if i % 3 == 1:
                return service.transfer(s, transfer_id=f"ba-{i}", debit=b.id, credit=a.id, amount=5, code="x")
            first, second = (a, b) if i % 2 else (b, a)
            return service.transfer_group(s, [
                TransferSpec(transfer_id=f"g{i}:1", debit=first.id, credit=second.id, amount=3, code="x"),
                TransferSpec(transfer_id=f"g{i}:2", debit=second.id, credit=first.id, amount=2, code="x")])
        return run

    results = _race(300, work)
    errors = [r for r in results if isinstance(r, Exception)]
    assert errors == []
    session.expire_all()
    # a: -7 x 100 + 5 x 100; groups net zero over both directions (50 each way: -1 and +1)
    assert service.balance(session, a.id).posted_balance + service.balance(session, b.id).posted_balance == 200_000
    assert service.balance(session, a.id).posted_balance == 100_000 - 700 + 500
    assert service.check(session) == []


def test_a_hot_account_receiving_from_many_threads_stays_exact(session):
    metro = make_hot(session, code="transit")
    riders = [make_wallet(session, 1_000) for _ in range(20)]
    session.commit()

    def fare(i: int) -> Callable[[Any], Any]:
        rider = riders[i % len(riders)]
        if i % 4 == 3:  # some fares are reserved at the gate, then posted at the exit
            def two_phase(s: Any) -> Any:
                service.transfer(s, transfer_id=f"hold-{i}", debit=rider.id, credit=metro.id, amount=30,
                                 code="fare", pending=True)
                return service.post_pending(s, transfer_id=f"fare-{i}", pending_id=f"hold-{i}", amount=20)
            return two_phase
        return lambda s: service.transfer(s, transfer_id=f"fare-{i}", debit=rider.id, credit=metro.id, amount=20,
                                          code="fare")

    results = _race(400, fare)
    assert [r for r in results if isinstance(r, Exception)] == []
    session.expire_all()
    assert service.balance(session, metro.id).posted_balance == 400 * 20
    assert all(service.balance(session, r.id).available_balance == 1_000 - 20 * 20 for r in riders)
    assert service.check(session) == []


def test_racing_post_void_and_expiry_resolve_each_pending_transfer_once(session):
    from datetime import timedelta

    from onecity import clock

    wallet = make_wallet(session, 100_000)
    shop = make_account(session)
    for p in range(10):
        service.transfer(session, transfer_id=f"hold-{p}", debit=wallet.id, credit=shop.id, amount=1_000,
                         code="pay", pending=True, timeout=timedelta(minutes=10) if p % 2 else None)
    session.commit()
    clock.advance(timedelta(minutes=9, seconds=59))

    def resolve(i: int) -> Callable[[Any], Any]:
        p, how = i % 10, i // 10
        if how == 0:
            return lambda s: service.post_pending(s, transfer_id=f"post-{p}", pending_id=f"hold-{p}", amount=600)
        if how == 1:
            return lambda s: service.void_pending(s, transfer_id=f"void-{p}", pending_id=f"hold-{p}")
        if how == 2:
            return lambda s: service.post_pending(s, transfer_id=f"post-{p}", pending_id=f"hold-{p}", amount=600)
        return lambda s: service.expire_pending(s, now=clock.now() + timedelta(seconds=1))

    results = _race(40, resolve, workers=40)
    unexpected = [r for r in results if isinstance(r, Exception) and not isinstance(r, service.PendingNotPending)]
    assert unexpected == []
    session.expire_all()
    statuses = {t.transfer_id: t.status for t in service.history(session, wallet.id, limit=200)[0]}
    assert all(statuses[f"hold-{p}"] in ("posted", "voided", "expired") for p in range(10))
    posted = sum(statuses[f"hold-{p}"] == "posted" for p in range(10))
    # each posted hold moved 600; every other hold released all of its 1000
    assert service.balance(session, wallet.id).available_balance == 100_000 - 600 * posted
    assert service.balance(session, shop.id).credits_pending == 0
    assert service.check(session) == []
