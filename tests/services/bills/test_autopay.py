"""Autopay: on the due date a bill within the holder's limit is paid from their wallet; over the limit
they are told and nothing is paid; every (account, bill) is decided once, however often the job runs."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from onecity import clock, jobs
from onecity.db import transaction
from onecity.errors import DomainError
from onecity.services.applications import service as applications
from onecity.services.bills import service
from onecity.services.bills.models import AutopayRun, BillPayment
from tests.services.bills.factories import (
    PHONE_NO,
    POWER_NO,
    WATER_NO,
    citizen,
    install_sim,
    make_biller,
    run_dispatch,
    wallet_fen,
)

DUE = date(2026, 11, 20)
BEFORE = datetime(2026, 11, 19, 2, 0, tzinfo=UTC)  # 10:00 on the 19th in Shenzhen
ON_THE_DAY = datetime(2026, 11, 19, 16, 30, tzinfo=UTC)  # 00:30 on the 20th in Shenzhen


def _autopay_setup(session, *, limit: int, balance: int = 50_000):  # type: ignore[no-untyped-def]
    clock.freeze(BEFORE)
    water, power = make_biller(session, "water"), make_biller(session, "electricity")
    sims = install_sim(water), install_sim(power)
    c = citizen(session, balance=balance)
    session.commit()
    w_bill = sims[0].issue_bill(WATER_NO, period="2026-10", amount=8_640, due_date=DUE)
    p_bill = sims[1].issue_bill(POWER_NO, period="2026-10", amount=23_580, due_date=DUE)
    accounts = []
    for org, no in ((water, WATER_NO), (power, POWER_NO)):
        acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=no, alias="家",
                                  actor=c.public_id)
        service.set_autopay(session, citizen_id=c.public_id, account_id=acc.account_id, enabled=True, limit=limit,
                            actor=c.public_id)
        accounts.append(acc.account_id)
    session.commit()
    return c, (w_bill, p_bill), accounts


def test_autopay_pays_within_the_limit_on_the_due_date_and_only_tells_over_it(session):
    c, (w_bill, p_bill), _ = _autopay_setup(session, limit=10_000)
    early = service.run_autopay()
    assert (early.accounts, early.paid, early.over_limit) == (2, 0, 0)  # not due yet
    clock.freeze(ON_THE_DAY)
    out = service.run_autopay()
    # Water 86.40 ≤ 100.00: paid. Electricity 235.80 > 100.00: a notice, no payment.
    assert (out.paid, out.over_limit, out.failed) == (1, 1, 0)
    assert wallet_fen(session, c.public_id) == 50_000 - 8_640  # 500.00 − 86.40 = 413.60
    pays = session.scalars(select(BillPayment)).all()
    assert [(p.bill_id, p.via, p.amount) for p in pays] == [(w_bill, "autopay", 8_640)]
    notices = applications.list_notices(session, citizen_id=c.public_id)
    assert any("上限" in n.title.zh and "235.80" in n.body.zh for n in notices)
    session.commit()
    # Running again (or once more the next hour) decides nothing anew.
    again = service.run_autopay()
    assert (again.paid, again.over_limit) == (0, 0)
    assert session.scalar(select(func.count()).select_from(AutopayRun)) == 2
    assert session.scalar(select(func.count()).select_from(BillPayment)) == 1
    session.commit()
    run_dispatch()
    session.expire_all()
    assert session.scalars(select(BillPayment.state)).one() == "confirmed"


def test_autopay_with_too_little_in_the_wallet_fails_once_and_tells(session):
    c, _, _ = _autopay_setup(session, limit=50_000, balance=5_000)
    clock.freeze(ON_THE_DAY)
    out = service.run_autopay()
    assert (out.paid, out.failed) == (0, 2)
    assert wallet_fen(session, c.public_id) == 5_000
    assert session.scalar(select(func.count()).select_from(BillPayment)) == 0
    assert len([n for n in applications.list_notices(session, citizen_id=c.public_id) if "自动缴费" in n.title.zh]) == 2
    session.commit()
    assert service.run_autopay().failed == 0  # decided: not tried again every hour


def test_autopay_runs_as_the_workers_periodic_job(session):
    import onecity.services.bills.jobs  # noqa: F401 - registers the jobs, as the worker's start-up does

    _autopay_setup(session, limit=50_000)
    clock.freeze(ON_THE_DAY)
    ran = jobs.run_due()
    assert "paid=2" in ran["services.bills.autopay"]
    with transaction() as s:
        assert s.scalar(select(func.count()).select_from(BillPayment)) == 2


def test_autopay_settings_are_checked(session):
    clock.freeze(BEFORE)
    phone = make_biller(session, "phone")
    c, _, (water_acc, _) = _autopay_setup(session, limit=10_000)
    for limit in (None, 0, 99, 500_001, True):
        with pytest.raises(DomainError) as e:
            service.set_autopay(session, citizen_id=c.public_id, account_id=water_acc, enabled=True, limit=limit,  # type: ignore[arg-type]
                                actor=c.public_id)
        assert e.value.code == "bill_autopay_limit_invalid"
    session.rollback()
    install_sim(phone).open_account(PHONE_NO)
    acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=phone, account_no=PHONE_NO, alias="手机",
                              actor=c.public_id)
    with pytest.raises(DomainError) as e:
        service.set_autopay(session, citizen_id=c.public_id, account_id=acc.account_id, enabled=True, limit=5_000,
                            actor=c.public_id)
    assert e.value.code == "bill_product_mismatch"
    off = service.set_autopay(session, citizen_id=c.public_id, account_id=water_acc, enabled=False, limit=None,
                              actor=c.public_id)
    assert (off.autopay, off.autopay_limit) == (False, None)
    stranger = citizen(session)
    with pytest.raises(DomainError) as e:
        service.set_autopay(session, citizen_id=stranger.public_id, account_id=water_acc, enabled=True, limit=5_000,
                            actor=stranger.public_id)
    assert e.value.code == "bill_account_not_found"
