"""Settlements of one citizen racing on PostgreSQL, each in its own transaction: the policy's
accumulator row is locked by `covers_for(for_update=True)`, so each cover is computed on the figures
the previous one left and the annual limit is never exceeded."""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest

from onecity import clock
from onecity.db import transaction
from onecity.medinsure.commercial import service as commercial
from tests.identity.factories import make_citizen
from tests.medinsure.commercial.factories import acc, bill, make_insurer, make_policy, make_product, settle

pytestmark = pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                                reason="row locks and concurrent transactions are tested on PostgreSQL")


def test_racing_settlements_share_the_deductible_and_the_limit(session):
    clock.freeze(datetime(2026, 3, 10, 2, tzinfo=UTC))
    insurer = make_insurer(session)
    product = make_product(session, insurer, ratio_bp=8000, deductible_fen=10_000, annual_limit_fen=50_000)
    citizen = make_citizen(session)
    policy = make_policy(session, insurer, citizen.public_id, product, start=date(2026, 1, 1), end=date(2026, 12, 31))
    session.commit()
    barrier = threading.Barrier(8)

    def one(i: int) -> int:
        barrier.wait(timeout=10)
        with transaction() as s:
            covers = settle(s, citizen.public_id, date(2026, 3, 10),
                            bill(2026, "outpatient", [(1, "A01", "A", 20_000, 0, 0)]), f"R{i}")
            return next(iter(covers.values())).total_fen

    with ThreadPoolExecutor(max_workers=8) as pool:
        paid = list(pool.map(one, range(8)))
    # In whatever order they ran: the first uses the 10_000 deductible and pays 80 % of 10_000 = 8_000;
    # the next three 80 % of 20_000 = 16_000, 16_000, then 10_000 (the limit's last 50_000 − 40_000); the rest 0.
    assert sorted(paid) == [0, 0, 0, 0, 8_000, 10_000, 16_000, 16_000]
    assert acc(session, policy, 2026) == (10_000, 50_000)
    claims, _ = commercial.list_claims(session, insurer_org_id=insurer.public_id)
    assert len(claims) == 8 and sum(c.paid_fen for c in claims) == 50_000
