"""The wallet account (contract with the other payment modules), its opening on verification, the
shared system accounts, the demo seeding, and the daily reconciliation job."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from onecity import clock, jobs, outbox
from onecity.authz import RealNameRequired
from onecity.db import transaction
from onecity.ledger import service as ledger
from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS, HOT
from onecity.payments.bank import service as bank
from onecity.payments.wallet import service as wallet
from tests.identity.factories import make_citizen
from tests.payments.bank.factories import run_bank


def test_wallet_account_opens_once_for_verified_citizens_only(session: Session) -> None:
    unverified = make_citizen(session, verified=False)
    with pytest.raises(RealNameRequired):
        wallet.wallet_account_id(session, unverified.public_id)
    c = make_citizen(session, verified=True)
    acc = wallet.wallet_account_id(session, c.public_id)
    assert acc.startswith("acc_") and wallet.wallet_account_id(session, c.public_id) == acc
    account = ledger.get_account(session, acc)
    assert (account.key, account.code, account.owner, account.flags) == (
        f"wallet:{c.public_id}:CNY", "wallet", c.public_id, DEBITS_MUST_NOT_EXCEED_CREDITS)
    assert wallet.wallet_balance(session, c.public_id) == 0


def test_the_verified_event_opens_the_wallet(session: Session) -> None:
    c = make_citizen(session, verified=True)  # emits identity.citizen.verified
    session.commit()
    with transaction() as s:
        assert ledger.account_by_key(s, wallet.wallet_key(c.public_id)) is None
    from onecity.app import load_subscribers

    load_subscribers()
    outbox.run_once()
    with transaction() as s:
        assert ledger.account_by_key(s, wallet.wallet_key(c.public_id)) is not None


def test_system_accounts(session: Session) -> None:
    clearing = bank.system_account(session, "bank_clearing")
    assert bank.system_account(session, "bank_clearing") == clearing
    assert ledger.get_account(session, clearing).flags == HOT
    assert ledger.get_account(session, bank.system_account(session, "fee_income")).flags == HOT
    with pytest.raises(bank.UnknownSystemAccount):
        bank.system_account(session, "petty_cash")


def test_seed_demo_wallets_twice_binds_once_and_tops_up_once(session: Session) -> None:
    a = make_citizen(session, verified=True)
    b = make_citizen(session, verified=False)
    session.commit()
    for _ in range(2):
        with transaction() as s:
            lines = wallet.seed_demo_wallets(s, [a.public_id, b.public_id])
        assert len(lines) == 1 and "6225 ****" in lines[0]
    run_bank()
    with transaction() as s:
        assert len(bank.list_cards(s, a.public_id)) == 1
        assert len(wallet.list_bank_transfers(s, a.public_id)) == 1
        assert wallet.wallet_balance(s, a.public_id) == wallet.DEMO_TOP_UP
    assert bank.luhn_ok(wallet.demo_card_number(a.public_id))


def test_the_daily_job_reconciles_yesterday_once(session: Session) -> None:
    clock.freeze(datetime(2026, 11, 25, 3, 0, tzinfo=UTC))  # 11:00 in Shenzhen on the 25th
    c = make_citizen(session, verified=True)
    session.commit()
    with transaction() as s:
        wallet.seed_demo_wallets(s, [c.public_id])
    run_bank()
    clock.advance(timedelta(days=1))
    from onecity.payments.bank import jobs as bank_jobs  # noqa: F401 - registers the jobs

    ran = jobs.run_due()
    assert ran["bank.reconcile_daily"] == "2026-11-25: 1 matched, 0 resolved, 0 open"
    clock.advance(timedelta(hours=2))
    assert jobs.run_due()["bank.reconcile_daily"] == "2026-11-25 already reconciled"
