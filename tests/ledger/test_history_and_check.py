"""History pagination, the invariant check (and that it catches tampering), the CLI and the admin API."""

from __future__ import annotations

from sqlalchemy import text
from typer.testing import CliRunner

from onecity.ledger import service
from tests.ledger.factories import make_account, make_wallet


def test_history_is_newest_first_with_a_stable_cursor(session):
    wallet = make_wallet(session, 10_000)
    other = make_account(session)
    for i in range(7):
        service.transfer(session, transfer_id=f"t{i}", debit=wallet.id, credit=other.id, amount=i + 1, code="x")
    page1, cur = service.history(session, wallet.id, limit=3)
    assert [t.transfer_id for t in page1] == ["t6", "t5", "t4"]
    service.transfer(session, transfer_id="late", debit=other.id, credit=wallet.id, amount=1, code="x")
    page2, cur2 = service.history(session, wallet.id, after=cur, limit=3)
    assert [t.transfer_id for t in page2] == ["t3", "t2", "t1"]
    page3, cur3 = service.history(session, wallet.id, after=cur2, limit=3)
    assert [t.transfer_id for t in page3] == ["t0", f"topup:{wallet.id}"] and cur3 is None
    assert [t.transfer_id for t in service.history(session, other.id, limit=2)[0]] == ["late", "t6"]
    import pytest

    with pytest.raises(service.InvalidTransfer):
        service.history(session, wallet.id, after="garbage!")


def test_check_finds_tampering(session):
    wallet = make_wallet(session, 500)
    shop = make_account(session)
    service.transfer(session, transfer_id="t", debit=wallet.id, credit=shop.id, amount=100, code="x")
    assert service.check(session) == []
    session.execute(text("UPDATE ledger_account SET credits_posted = credits_posted + 1 WHERE id = :i"),
                    {"i": shop.id})
    problems = service.check(session)
    assert any("posted debits" in p for p in problems)
    assert any(shop.id in p and "credits_posted is 101" in p for p in problems)
    session.execute(text("UPDATE ledger_account SET credits_posted = 100 WHERE id = :i"), {"i": shop.id})
    session.execute(text("UPDATE ledger_account SET debits_posted = 600 WHERE id = :i"), {"i": wallet.id})
    assert any("overdrawn" in p for p in service.check(session))


def _runner_env():
    return {}


def test_cli_check_balance_history(session):
    from onecity.cli import app

    wallet = make_wallet(session, 500)
    session.commit()
    runner = CliRunner()
    r = runner.invoke(app, ["ledger", "check"])
    assert r.exit_code == 0, r.output
    assert "ledger OK" in r.output and "transfers: 1" in r.output
    r = runner.invoke(app, ["ledger", "balance", wallet.id])
    assert r.exit_code == 0 and "available 500" in r.output
    r = runner.invoke(app, ["ledger", "history", wallet.key])
    assert r.exit_code == 0 and f"topup:{wallet.id}" in r.output and "+500" in r.output
    session.execute(text("UPDATE ledger_account SET debits_posted = 7 WHERE id = :i"), {"i": wallet.id})
    session.commit()
    r = runner.invoke(app, ["ledger", "check"])
    assert r.exit_code == 1 and "VIOLATION" in r.output and "ledger BROKEN" in r.output
