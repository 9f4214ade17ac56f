"""Concurrency on PostgreSQL, each call in its own transaction as a request would be: settlements of one
person racing cannot both cross the deductible (the accumulator row lock serialises them, and a bill whose
figures moved is refused, not mis-settled); the same visit settled at once by many is settled once; the
same line refunded at once by many is refunded once."""

from __future__ import annotations

import os
from collections import Counter
from typing import Any

import pytest

from onecity import clock
from onecity.db import transaction
from onecity.errors import DomainError
from onecity.ledger import service as ledger
from onecity.medinsure import service as med
from tests.concurrency_helpers import run_all
from tests.medinsure.factories import accumulators, make_insured, open_visit, set_accumulators

pytestmark = pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                                reason="row locks and concurrent transactions are tested on PostgreSQL")

WORKERS = 8
BILL = [{"code": "110200003", "quantity": 1, "unit_price_fen": 6000}]


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

    results = run_all([_settle(h3, vid) for vid in visits], workers=WORKERS)
    codes = Counter(getattr(r, "code", "ok") for r in results)
    assert codes == {"ok": 1, "medinsure_presettlement_stale": 7}, codes
    assert accumulators(session, p) == ({"outpatient": 150_000}, 700, 1)
    session.rollback()

    stale = [vid for vid, r in zip(visits, results, strict=True) if isinstance(r, DomainError)]
    for vid in stale:
        assert med.presettle(session, institution_org_id=h3, visit_id=vid).fund_fen == 4_200
    session.commit()
    results = run_all([_settle(h3, vid) for vid in stale], workers=WORKERS)
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
    results = run_all([_settle(h3, vid)] * 12, workers=WORKERS)
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

    results = run_all([refund] * 10, workers=WORKERS)
    codes = Counter(getattr(r, "code", "ok") for r in results)
    assert codes["ok"] == 1 and sum(codes.values()) == 10, codes
    assert ledger.balance(session, med.institution_account_id(session, h3)).posted_balance == 6_000
    assert ledger.check(session) == []


def test_many_people_at_many_institutions_at_once(session, city):
    """16 people pre-settle and settle at once at three hospitals and a pharmacy (all of them lock the fund's
    account and the audit chain): no deadlock, every settlement applied, the day's totals add up."""
    people = [make_insured(session, personal=2_000, wallet=100_000) for _ in range(16)]
    for p in people:
        set_accumulators(session, p, outpatient=150_000)
    orgs = [city.hospital3, city.hospital2, city.pharmacy]
    visits = []
    for i, p in enumerate(people):
        org = orgs[i % 3]
        kind = "pharmacy" if org is city.pharmacy else "outpatient"
        line = {"code": "XB01ACA001A001", "quantity": 2, "unit_price_fen": 1500}
        visits.append((org.public_id, open_visit(session, city, p, org=org, visit_type=kind, consent=True,
                                                 lines=[line, {**line, "line_no": 2}])))
    session.commit()

    def flow(org: str, vid: str) -> Any:
        def call() -> Any:
            with transaction() as s:
                med.presettle(s, institution_org_id=org, visit_id=vid)
            with transaction() as s:
                return med.settle(s, institution_org_id=org, visit_id=vid)
        return call

    results = run_all([flow(org, vid) for org, vid in visits], workers=WORKERS)
    assert all(not isinstance(r, DomainError) for r in results), results
    totals = med.fund_daily_totals(session, day=results[0].settled_at.astimezone(clock.CITY_TZ).date())
    assert totals.settlements == 16 and totals.total_fen == 16 * 6_000
    # 6000 each: level 3 (6 people) fund 70 % = 4200, account 1800; level 2 (5) 80 % = 4800, account 1200;
    # pharmacy (5) 50 % = 3000, account 2000 + wallet 1000
    assert totals.fund_fen == 6 * 4_200 + 5 * 4_800 + 5 * 3_000
    assert (totals.personal_fen, totals.self_pay_fen) == (6 * 1_800 + 5 * 1_200 + 5 * 2_000, 5 * 1_000)
    assert ledger.check(session) == []
