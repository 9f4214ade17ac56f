"""Racing payments of one bill on PostgreSQL: however many requests pay the same bill at the same
moment (the holder twice, a relative at once), one payment stands, one wallet is debited once, and
the others get `bill_already_paid`."""

from __future__ import annotations

import os
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from onecity import clock
from onecity.db import transaction
from onecity.ledger import service as ledger
from onecity.services import collection
from onecity.services.bills import service
from onecity.services.bills.errors import BillAlreadyPaid
from onecity.services.bills.models import BillPayment
from tests.concurrency_helpers import run_all
from tests.services.bills.factories import WATER_NO, install_sim, make_biller, relatives, wallet_fen

pytestmark = pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                                reason="concurrent transactions are tested on PostgreSQL")


def test_the_same_bill_paid_at_once_is_paid_once(session):
    clock.freeze(datetime(2026, 11, 10, 2, tzinfo=UTC))
    org = make_biller(session, "water")
    sim = install_sim(org)
    child, parent = relatives(session, scopes=["view_bills", "pay_bills"], balance=50_000)
    from onecity.payments.wallet import service as wallet
    from tests.payments.trade.factories import fund_wallet

    wallet.wallet_account_id(session, parent.public_id)
    fund_wallet(session, parent.public_id, 50_000)
    session.commit()
    bill = sim.issue_bill(WATER_NO, period="2026-10", amount=8_640, due_date=date(2026, 11, 20))
    acc = service.add_account(session, citizen_id=parent.public_id, biller_org_id=org, account_no=WATER_NO,
                              alias="家", actor=parent.public_id)
    session.commit()
    targets = []
    with transaction() as s:
        for who in (parent, parent, parent, child, child, child):
            targets.append(service.locate(s, citizen_id=who.public_id, account_id=acc.account_id, scope="pay_bills"))
    bills = service.fetch_from_biller(targets[0])

    def pay(target: service.Target):  # type: ignore[no-untyped-def]
        def go():  # type: ignore[no-untyped-def]
            with transaction() as s:
                return service.pay_bill(s, target=target, bills=bills, bill_id=bill, amount=8_640,
                                        actor=target.actor_id).payment_id
        return go

    results = run_all([pay(t) for t in targets], workers=6)
    won = [r for r in results if isinstance(r, str)]
    lost = [r for r in results if isinstance(r, BillAlreadyPaid)]
    assert len(won) == 1 and len(lost) == 5, results
    session.rollback()
    assert session.scalar(select(func.count()).select_from(BillPayment)) == 1
    # One wallet paid 86.40 once: 500.00 + 500.00 − 86.40 = 913.60 between the two.
    assert wallet_fen(session, parent.public_id) + wallet_fen(session, child.public_id) == 100_000 - 8_640
    assert collection.received(session, org) == 8_640
    assert ledger.check(session) == []
