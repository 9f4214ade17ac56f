"""Daily reconciliation of the bank's statement against our instructions: matched, fixed where safe,
reported otherwise; and the `onecity bank reconcile --date` command."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from onecity import clock
from onecity.db import transaction
from onecity.payments.bank import service as bank
from onecity.payments.wallet import service as wallet
from tests.identity.factories import make_citizen
from tests.payments.bank.factories import bind_card, install_bank, run_bank

DAY = date(2026, 11, 26)


@pytest.fixture(autouse=True)
def _morning() -> Iterator[None]:
    clock.freeze(datetime(2026, 11, 26, 2, 0, tzinfo=UTC))  # 10:00 in Shenzhen: one business day
    yield


def _top_ups(session: Session, *amounts: int) -> tuple[str, list[str]]:
    c = make_citizen(session, verified=True)
    card, _ = bind_card(session, c)
    session.commit()
    refs = []
    for amount in amounts:
        with transaction() as s:
            refs.append(wallet.top_up(s, citizen_id=c.public_id, card_id=card.card_id, amount=amount,
                                      actor=c.public_id).id)
    return c.public_id, refs



def test_a_clean_day_matches_every_line(session: Session) -> None:
    _cid, refs = _top_ups(session, 100, 200)
    run_bank()
    out = bank.reconcile(day=DAY)
    assert (out.statement_lines, out.matched, out.resolved, out.open) == (2, 2, 0, 0)
    assert bank.reconcile(day=DAY - timedelta(days=1)).statement_lines == 0


def test_bank_done_we_pending_is_resolved_by_posting(session: Session) -> None:
    install_bank(lost_callback_bp=10000)
    cid, (ref,) = _top_ups(session, 4_200)
    run_bank()  # decided at the bank; the callback is lost; our query is not due for 10 minutes
    with transaction() as s:
        assert bank.get_instruction(s, ref).state == "submitted"
    out = bank.reconcile(day=DAY)
    (item,) = out.items
    assert (item.kind, item.resolution, item.our_amount, item.bank_amount) == ("bank_done_we_pending", "resolved",
                                                                             4_200, 4_200)
    with transaction() as s:
        assert bank.get_instruction(s, ref).state == "succeeded"
        assert wallet.wallet_balance(s, cid) == 4_200
    # Running it again finds everything matched; the late query changes nothing.
    assert (bank.reconcile(day=DAY).matched, bank.dispatch()) == (1, {})


def test_mismatches_that_are_not_safe_to_fix_stay_open(session: Session) -> None:
    sim = install_bank()
    _cid, (missing, differs, fine) = _top_ups(session, 100, 200, 300)
    run_bank()
    with transaction() as s:
        ids = {r: bank.get_instruction(s, r).instruction_id for r in (missing, differs, fine)}
    sim.tamper(ids[missing], statement_date=None)  # the bank's statement lost it
    sim.tamper(ids[differs], amount=250)
    out = bank.reconcile(day=DAY)
    kinds = {(i.kind, i.instruction_id, i.resolution) for i in out.items}
    assert kinds == {("missing_at_bank", ids[missing], "open"), ("amount_mismatch", ids[differs], "open")}
    assert (out.matched, out.open) == (1, 2)


def test_bank_done_we_failed_and_unknown_requests_are_reported(session: Session) -> None:
    sim = install_bank(failure_bp=10000)
    _cid, (ref,) = _top_ups(session, 500)
    run_bank()
    with transaction() as s:
        inst = bank.get_instruction(s, ref)
    assert inst.state == "failed"
    sim.tamper(inst.instruction_id, status="succeeded", failure_code=None, statement_date=DAY)
    sim.config.failure_bp = 0
    sim.submit(bank.BankRequest("bki_not_ours", "payout", "6222020000000002", "某人", 999))
    clock.advance(timedelta(seconds=5))
    sim.run()
    out = bank.reconcile(day=DAY)
    assert sorted((i.kind, i.resolution) for i in out.items) == [("bank_done_we_failed", "open"),
                                                                  ("unknown_to_us", "open")]


def test_reconcile_command_prints_and_exits_1_on_open_items(session: Session) -> None:
    from onecity.cli import app

    sim = install_bank()
    _cid, (a, b) = _top_ups(session, 100, 200)
    run_bank()
    runner = CliRunner()
    ok = runner.invoke(app, ["bank", "reconcile", "--date", DAY.isoformat()])
    assert ok.exit_code == 0 and "2 matched, 0 resolved, 0 open" in ok.output
    with transaction() as s:
        iid = bank.get_instruction(s, b).instruction_id
    sim.tamper(iid, amount=201)
    bad = runner.invoke(app, ["bank", "reconcile", "--date", DAY.isoformat()])
    assert bad.exit_code == 1 and "amount_mismatch" in bad.output and "ours=200 bank=201" in bad.output
    assert runner.invoke(app, ["bank", "reconcile", "--date", "26/11/2026"]).exit_code == 2
