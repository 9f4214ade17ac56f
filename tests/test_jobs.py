"""Periodic jobs: due runs happen once across workers, failures are recorded and retried."""

from __future__ import annotations

from datetime import timedelta

import pytest

from onecity import clock, jobs
from onecity.db import transaction


@pytest.fixture
def counting_job():
    calls = {"n": 0, "fail": False}

    @jobs.periodic("test.count", every=timedelta(minutes=10))
    def count(session):
        calls["n"] += 1
        if calls["fail"]:
            raise RuntimeError("downstream down")
        return calls["n"]

    yield calls
    jobs._JOBS.pop("test.count", None)


def test_a_job_runs_once_per_period(counting_job):
    t0 = clock.now()
    clock.freeze(t0)
    assert jobs.run_due()["test.count"] == "1"
    assert "test.count" not in jobs.run_due()  # a second worker in the same period does not run it
    clock.advance(timedelta(minutes=9))
    assert "test.count" not in jobs.run_due()
    clock.advance(timedelta(minutes=1))
    assert jobs.run_due()["test.count"] == "2"
    assert counting_job["n"] == 2


def test_a_failing_job_is_recorded_and_tried_next_period(counting_job):
    clock.freeze(clock.now())
    counting_job["fail"] = True
    assert "RuntimeError: downstream down" in jobs.run_due()["test.count"]
    with transaction() as s:
        row = next(r for r in jobs.status(s) if r.name == "test.count")
        assert row.last_error and "downstream down" in row.last_error
    counting_job["fail"] = False
    clock.advance(timedelta(minutes=10))
    assert jobs.run_due()["test.count"] == "2"
    with transaction() as s:
        row = next(r for r in jobs.status(s) if r.name == "test.count")
        assert row.last_error is None and row.last_result == "2"


def test_the_modules_register_their_maintenance_jobs():
    from onecity.app import load_subscribers

    load_subscribers()
    names = {j.name for j in jobs.registered()}
    assert {"identity.prune_expired", "orgs.purge_used_nonces", "family.expire_invitations"} <= names
    ran = jobs.run_due()
    for name in ("identity.prune_expired", "orgs.purge_used_nonces", "family.expire_invitations"):
        assert name in ran and "Error" not in ran[name]
