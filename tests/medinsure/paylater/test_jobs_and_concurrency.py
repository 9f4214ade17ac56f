"""The collection job through the worker's scheduler, and collection runs racing on PostgreSQL: every
due debt is collected exactly once, whichever run takes it."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from onecity import clock, jobs
from onecity.db import transaction
from onecity.medinsure.paylater import service as paylater
from onecity.medinsure.paylater.models import PayLaterDebt
from tests.medinsure.paylater.factories import allowed_citizen, assert_accounted, settle_later, wallet_fen

T0 = datetime(2026, 4, 1, 2, tzinfo=UTC)


def test_the_worker_runs_the_collection_job_once_per_period(session):
    from onecity.app import load_subscribers

    load_subscribers()
    assert "medinsure.paylater.collect_due" in {j.name for j in jobs.registered()}
    clock.freeze(T0)
    c = allowed_citizen(session, balance=9_000)
    settle_later(session, c.public_id, "S1", 4_321)
    session.commit()
    clock.advance(timedelta(days=15))
    ran = jobs.run_due()
    assert "'collected': 1" in ran["medinsure.paylater.collect_due"]
    assert "medinsure.paylater.collect_due" not in jobs.run_due()  # same period: not again
    clock.advance(timedelta(minutes=5))
    assert "'collected': 0" in jobs.run_due()["medinsure.paylater.collect_due"]
    session.rollback()
    assert wallet_fen(session, c.public_id) == 9_000 - 4_321
    assert_accounted(session)


@pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                    reason="row locks and concurrent transactions are tested on PostgreSQL")
def test_concurrent_collection_runs_collect_each_debt_once(session):
    clock.freeze(T0)
    rich = [allowed_citizen(session, balance=1_000_000) for _ in range(5)]
    poor = allowed_citizen(session, balance=500)
    expected: dict[str, int] = {c.public_id: 0 for c in rich}
    for i in range(40):
        c = rich[i % 5]
        settle_later(session, c.public_id, f"S{i}", 1_000 + i)
        expected[c.public_id] += 1_000 + i
    settle_later(session, poor.public_id, "P1", 600)
    session.commit()
    clock.advance(timedelta(days=15))
    barrier = threading.Barrier(4)

    def run() -> tuple[int, int]:
        barrier.wait(timeout=10)
        total = arrears = 0
        while True:
            with transaction() as s:
                out = paylater.collect_due(s, limit=7)
            if out.collected + out.arrears == 0:
                return total, arrears
            total += out.collected
            arrears += out.arrears

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: run(), range(4)))
    assert sum(r[0] for r in results) == 40 and sum(r[1] for r in results) == 1
    assert sum(1 for r in results if r[0]) >= 2  # the runs really shared the work
    session.rollback()
    for c in rich:
        assert wallet_fen(session, c.public_id) == 1_000_000 - expected[c.public_id]
    assert wallet_fen(session, poor.public_id) == 500
    statuses = dict(session.execute(select(PayLaterDebt.status, func.count()).group_by(PayLaterDebt.status)).all())
    assert statuses == {"collected": 40, "arrears": 1}
    from onecity.ledger import service as ledger

    collections = [t for i in range(40) for t in ledger.transfers_by_ref(session, f"S{i}")
                   if t.code == paylater.COLLECT_CODE]
    assert len(collections) == 40
    assert_accounted(session)
