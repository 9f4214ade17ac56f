"""Concurrency on PostgreSQL, each call in its own transaction as a request would be: settlements of one
person racing cannot both cross the deductible (the accumulator row lock serialises them, and a bill whose
figures moved is refused, not mis-settled); the same visit settled at once by many is settled once; the
same line refunded at once by many is refunded once."""

from __future__ import annotations

import os
import threading
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from onecity.db import transaction
from onecity.errors import DomainError
from onecity.ledger import service as ledger
from onecity.medinsure import service as med
from tests.medinsure.factories import accumulators, make_insured, open_visit, set_accumulators

pytestmark = pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                                reason="row locks and concurrent transactions are tested on PostgreSQL")

WORKERS = 8
BILL = [{"code": "110200003", "quantity": 1, "unit_price_fen": 6000}]


def run_all(calls: list[Any]) -> list[Any]:
    barrier = threading.Barrier(min(len(calls), WORKERS))

    def one(fn: Any) -> Any:
        try:
            barrier.wait(timeout=10)
        except threading.BrokenBarrierError:
            pass
        try:
            return fn()
        except DomainError as exc:
            return exc

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return list(pool.map(one, calls))


def _settle(org: str, vid: str) -> Any:
    def call() -> Any:
        with transaction() as s:
            return med.settle(s, institution_org_id=org, visit_id=vid)
    return call


def test_racing_settlements_of_one_person_keep_the_accumulators_right(session, city):
    p = make_insured(session, wallet=1_000_000)
    set_accumulators(session, p, outpatient=145_000)  # 5 000 of the deductible left
    h3 = city.hospital3.public_id
    visits = [open_visit(session, city, p, consent=True, lines=BILL) for _ in range(8)]
    for vid in visits:
        assert med.presettle(session, institution_org_id=h3, visit_id=vid).fund_fen == 700  # 6000 − 5000 → 70 %
    session.commit()

    results = run_all([_settle(h3, vid) for vid in visits])
    codes = Counter(getattr(r, "code", "ok") for r in results)
    assert codes == {"ok": 1, "medinsure_presettlement_stale": 7}, codes
    assert accumulators(session, p) == ({"outpatient": 150_000}, 700, 1)
    session.rollback()

    stale = [vid for vid, r in zip(visits, results, strict=True) if isinstance(r, DomainError)]
    for vid in stale:
        assert med.presettle(session, institution_org_id=h3, visit_id=vid).fund_fen == 4_200
    session.commit()
    results = run_all([_settle(h3, vid) for vid in stale])
    assert all(not isinstance(r, DomainError) for r in results), results
    assert accumulators(session, p) == ({"outpatient": 150_000}, 700 + 7 * 4_200, 8)
    assert ledger.balance(session, med.institution_account_id(session, h3)).posted_balance == 8 * 6_000
    assert ledger.check(session) == []


def test_one_visit_settled_by_many_at_once_is_settled_once(session, city):
    p = make_insured(session, wallet=100_000)
    h3 = city.hospital3.public_id
    vid = open_visit(session, city, p, consent=True, lines=BILL)
    med.presettle(session, institution_org_id=h3, visit_id=vid)
    session.commit()
    results = run_all([_settle(h3, vid)] * 12)
    assert len({r.settlement_id for r in results}) == 1
    assert accumulators(session, p)[2] == 1
    assert ledger.balance(session, med.institution_account_id(session, h3)).posted_balance == 6_000
    assert ledger.check(session) == []


def test_one_line_refunded_by_many_at_once_is_refunded_once(session, city):
    p = make_insured(session, wallet=100_000)
    h3 = city.hospital3.public_id
    vid = open_visit(session, city, p, consent=True, lines=[*BILL, {**BILL[0], "line_no": 2}])
    med.presettle(session, institution_org_id=h3, visit_id=vid)
    sid = med.settle(session, institution_org_id=h3, visit_id=vid).settlement_id
    session.commit()

    def refund() -> Any:
        with transaction() as s:
            return med.refund(s, institution_org_id=h3, settlement_id=sid, line_nos=[2])

    results = run_all([refund] * 10)
    codes = Counter(getattr(r, "code", "ok") for r in results)
    assert codes["ok"] == 1 and sum(codes.values()) == 10, codes
    assert ledger.balance(session, med.institution_account_id(session, h3)).posted_balance == 6_000
    assert ledger.check(session) == []
