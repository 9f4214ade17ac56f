"""Concurrency on PostgreSQL: gates (or a retrying uploader) sending the same taps at once through the
upload API leave one row per tap; pricing and debit runs at once add one charge and one transfer."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select

from onecity.db import transaction
from onecity.ledger import service as ledger
from onecity.payments.wallet import service as wallet
from onecity.transit import service
from onecity.transit.models import TransitCharge, TransitTap
from tests.transit.platform.factories import at, make_network, make_rider, rider_ref, set_clock

pytestmark = pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                                reason="row locks and concurrent transactions are tested on PostgreSQL")

WORKERS = 8
PATH = "/v1/transit/operator/taps"


def _at_once(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(len(calls))

    def one(fn: Any) -> Any:
        barrier.wait(timeout=10)
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - reported to the test
            return exc

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(one, calls))


def test_concurrent_uploads_of_the_same_taps(live_server, session):
    set_clock(at(0, "07:00"))
    net = make_network(session)
    riders = [make_rider(session, balance=10_000) for _ in range(5)]
    refs = [rider_ref(session, r) for r in riders]
    session.commit()
    records = [rec for r in riders for rec in r.ride(at(0, "08:00"), "S01", at(0, "08:20"), "S06")]
    set_clock(at(0, "09:00"))  # the gates upload after their taps

    def upload(k: int) -> Any:
        # every worker sends all the taps, each in its own order (as overlapping gate batches would)
        batch = records[k % len(records):] + records[:k % len(records)]
        req = net.metro.signed("POST", PATH, {"taps": batch})
        r = httpx.post(live_server + PATH, content=req["content"], headers=req["headers"], timeout=60)
        assert r.status_code == 200, r.text
        return r.json()

    results = _at_once([lambda k=k: upload(k) for k in range(WORKERS)])
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["accepted"] for r in results) == len(records)  # each tap accepted exactly once …
    assert sum(r["duplicates"] for r in results) == len(records) * (WORKERS - 1)  # … and a duplicate elsewhere
    session.rollback()
    assert session.scalar(select(func.count()).select_from(TransitTap)) == len(records)

    # two pricing workers and then two debit workers at once: one charge and one transfer per rider
    set_clock(at(1, "05:00"))

    def price() -> Any:
        with transaction() as s:
            return service.price_due(s).charges

    def debit() -> Any:
        with transaction() as s:
            return service.debit_due(s).paid

    priced = _at_once([price, price])
    assert sum(priced) == 5, priced
    paid = _at_once([debit, debit])
    assert sum(paid) == 5, paid
    session.rollback()
    for ref, r in zip(refs, riders, strict=True):
        amounts = list(session.scalars(select(TransitCharge.amount).where(TransitCharge.rider_ref == ref)))
        assert amounts == [300]  # S01 → S06, 9,500 m: ¥3.00, charged once
        assert wallet.wallet_balance(session, r.citizen_id) == 10_000 - 300
    assert ledger.check(session) == []
