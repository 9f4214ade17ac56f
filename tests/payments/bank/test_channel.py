"""The bank channel's failure modes, with the simulated bank behaving like a real one: late answers,
timeouts (the caller does not know whether the bank took the request), lost and repeated callbacks,
cards the bank refuses. Whatever happens, each instruction's pending transfer is posted or voided
exactly once, and the ledger stays clean (checked after every test by conftest)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit.models import AuditEntry
from onecity.db import transaction
from onecity.identity import service as identity
from onecity.ledger import service as ledger
from onecity.outbox import OutboxEvent
from onecity.payments.bank import service as bank
from onecity.payments.bank.models import BankInstruction
from onecity.payments.wallet import service as wallet
from tests.identity.factories import make_citizen
from tests.identity.family.factories import make_face_grant
from tests.payments.bank.factories import bind_card, install_bank, run_bank


def _citizen_with_card(session: Session) -> tuple[str, str, str]:
    c = make_citizen(session, verified=True)
    card, number = bind_card(session, c)
    session.commit()
    return c.public_id, card.card_id, number


def _holder(cid: str) -> str:
    with transaction() as s:
        return identity.real_name(s, cid) or ""


def _top_up(cid: str, card_id: str, amount: int) -> str:
    with transaction() as s:
        return wallet.top_up(s, citizen_id=cid, card_id=card_id, amount=amount, actor=cid).id


def _instruction(client_ref: str) -> BankInstruction:
    with transaction() as s:
        row = s.scalars(select(BankInstruction).where(BankInstruction.client_ref == client_ref)).one()
        s.expunge(row)
        return row


def _events(topic: str) -> list[dict]:
    with transaction() as s:
        return [e.payload for e in s.scalars(select(OutboxEvent).where(OutboxEvent.topic == topic))]


def _available(cid: str) -> tuple[int, int, int]:
    with transaction() as s:
        w = wallet.wallet_summary(s, cid)
        return w.available, w.incoming, w.held


def test_the_bank_answers_later_and_the_top_up_waits_for_it(session: Session) -> None:
    cid, card_id, _ = _citizen_with_card(session)
    tid = _top_up(cid, card_id, 5_000)
    assert bank.dispatch() == {"submitted": 1}
    assert _instruction(tid).state == "submitted"
    assert bank.run_channel()["decided"] == 0  # the bank takes its time (3 s here)
    assert _available(cid) == (0, 5_000, 0)
    clock.advance(timedelta(seconds=3))
    assert bank.run_channel() == {"decided": 1, "callbacks": 1, "callback_failures": 0}
    inst = _instruction(tid)
    assert (inst.state, inst.resolved_by) == ("succeeded", "callback")
    assert inst.bank_ref and inst.bank_ref.startswith("SB")
    assert _available(cid) == (5_000, 0, 0)
    assert [e["collection_id"] for e in _events("bank.collection.succeeded")] == [tid]


def test_timeout_taken_by_the_bank_is_unknown_until_a_query_resolves_it(session: Session) -> None:
    sim = install_bank(timeout_bp=10000, timeout_taken_bp=10000, lost_callback_bp=10000)
    cid, card_id, _ = _citizen_with_card(session)
    tid = _top_up(cid, card_id, 7_000)
    assert bank.dispatch() == {"timeout": 1}
    assert _instruction(tid).state == "unknown"
    clock.advance(timedelta(seconds=10))
    assert bank.run_channel()["decided"] == 1  # the bank did take it; its callback is lost
    assert bank.dispatch() == {}  # not yet time to ask
    clock.advance(timedelta(seconds=30))
    assert bank.dispatch() == {"succeeded": 1}
    inst = _instruction(tid)
    assert (inst.state, inst.resolved_by) == ("succeeded", "query")
    assert _available(cid) == (7_000, 0, 0)
    assert [x["outcome"] for x in sim.submissions(inst.public_id)] == ["taken"]


def test_timeout_lost_on_the_way_is_sent_again_under_the_same_id(session: Session) -> None:
    sim = install_bank(timeout_bp=10000, timeout_taken_bp=0)
    cid, card_id, number = _citizen_with_card(session)
    tid = _top_up(cid, card_id, 3_000)
    assert bank.dispatch() == {"timeout": 1}
    sim.config.timeout_bp = 0  # the network recovers
    clock.advance(timedelta(seconds=30))
    assert bank.dispatch() == {"submitted": 1}  # query: never arrived → submitted again
    run_bank(seconds=5)
    inst = _instruction(tid)
    assert inst.state == "succeeded"
    assert [x["outcome"] for x in sim.submissions(inst.public_id)] == ["lost", "taken"]
    assert sim.account_balance(number) == 10_000_000 - 3_000  # debited once


def test_a_resubmission_the_bank_already_has_is_not_taken_twice(session: Session) -> None:
    sim = install_bank(timeout_bp=10000, timeout_taken_bp=10000)
    cid, card_id, number = _citizen_with_card(session)
    tid = _top_up(cid, card_id, 3_000)
    bank.dispatch()
    inst = _instruction(tid)
    sim.config.timeout_bp = 0
    result = sim.submit(bank.BankRequest(inst.public_id, "collect", number, "whoever", 3_000))
    assert result.status == "processing"
    assert [x["outcome"] for x in sim.submissions(inst.public_id)] == ["taken", "repeat"]
    run_bank(seconds=5, rounds=2)
    assert sim.account_balance(number) == 10_000_000 - 3_000


def test_duplicate_callbacks_are_applied_once(session: Session) -> None:
    install_bank(duplicate_callback_bp=10000)
    cid, card_id, _ = _citizen_with_card(session)
    tid = _top_up(cid, card_id, 2_500)
    (out,) = run_bank(seconds=5)
    assert out["channel"]["callbacks"] == 2
    assert _available(cid) == (2_500, 0, 0)
    assert len(_events("bank.collection.succeeded")) == 1
    with transaction() as s:
        kinds = [t.kind for t in ledger.transfers_by_ref(s, tid)]
        audits = s.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "bank.collect.succeeded"))
    assert kinds == ["pending", "post"] and audits == 1
    # And a callback arriving after a query already resolved it changes nothing either.
    inst = _instruction(tid)
    assert bank.handle_bank_result(bank.BankResult(inst.public_id, "succeeded", amount=2_500)) == "duplicate"


def test_a_frozen_card_fails_the_top_up_and_the_hold_is_voided(session: Session) -> None:
    sim = install_bank()
    cid, card_id, number = _citizen_with_card(session)
    sim.open_account(number, holder=_holder(cid), status="frozen")
    tid = _top_up(cid, card_id, 9_900)
    run_bank()
    inst = _instruction(tid)
    assert (inst.state, inst.failure_code) == ("failed", "card_frozen")
    assert _available(cid) == (0, 0, 0)
    with transaction() as s:
        assert [t.status for t in ledger.transfers_by_ref(s, tid)] == ["voided", "voided"]
        assert wallet.get_bank_transfer(s, citizen_id=cid, transfer_id=tid).status == "failed"
    (event,) = _events("bank.collection.failed")
    assert event["failure_code"] == "card_frozen" and event["purpose"] == "wallet.top_up"


def test_insufficient_funds_at_the_bank(session: Session) -> None:
    sim = install_bank()
    cid, card_id, number = _citizen_with_card(session)
    sim.open_account(number, holder=_holder(cid), balance=1_000)
    ok, too_much = _top_up(cid, card_id, 1_000), _top_up(cid, card_id, 1)
    run_bank()
    assert _instruction(ok).state == "succeeded"  # decided first: the card had exactly 1,000
    assert (_instruction(too_much).state, _instruction(too_much).failure_code) == ("failed", "bank_insufficient_funds")
    assert _available(cid) == (1_000, 0, 0)


def test_a_failed_withdrawal_gives_the_money_back(session: Session) -> None:
    sim = install_bank()
    citizen = make_citizen(session, verified=True)
    card, number = bind_card(session, citizen)
    session.commit()
    cid = citizen.public_id
    _top_up(cid, card.card_id, 10_000)
    run_bank()
    sim.open_account(number, holder=_holder(cid), status="frozen")
    grant = make_face_grant(session, citizen, act="wallet.withdraw")
    session.commit()
    with transaction() as s:
        w = wallet.withdraw(s, citizen_id=cid, card_id=card.card_id, amount=6_000, grant_id=grant, actor=cid)
    assert _available(cid) == (4_000, 0, 6_000)  # held while the bank works on it
    run_bank()
    assert _instruction(w.id).state == "failed"
    assert _available(cid) == (10_000, 0, 0)  # voided: all back
    (event,) = _events("bank.payout.failed")
    assert event["payout_id"] == w.id and event["purpose"] == "wallet.withdraw"


def test_a_receiver_that_fails_gets_the_callback_again(session: Session) -> None:
    sim = install_bank()
    cid, card_id, _ = _citizen_with_card(session)
    tid = _top_up(cid, card_id, 1_200)
    calls: list[str] = []

    def flaky(result: bank.BankResult) -> str:
        calls.append(result.status)
        if len(calls) == 1:
            raise RuntimeError("our callback endpoint is down")
        return bank.handle_bank_result(result)

    sim.set_callback(flaky)
    (out,) = run_bank(seconds=5)
    assert out["channel"]["callback_failures"] == 1 and _instruction(tid).state == "submitted"
    clock.advance(timedelta(seconds=10))
    assert sim.run()["callbacks"] == 1
    assert _instruction(tid).state == "succeeded" and calls == ["succeeded", "succeeded"]


def test_payout_for_settlement_is_idempotent_and_checks_the_holder(session: Session) -> None:
    """request_payout as H-TRADE's settlement calls it: a merchant's account to its bank account."""
    sim = install_bank()
    with transaction() as s:
        merchant = ledger.open_account(s, key="test:merchant:CNY", code="merchant", owner="org_test",
                                       flags=1, name="商户 merchant").id
        ledger.transfer(s, transfer_id="seed-merchant", debit=bank.system_account(s, "bank_clearing"),
                        credit=merchant, amount=50_000, code="test")
    sim.open_account("6222020000000001", holder="深圳某某商贸有限公司", balance=0)
    with transaction() as s:
        p = bank.request_payout(s, payout_id="stl_1", from_account=merchant, bank_account="6222 0200 0000 0001",
                                holder_name="深圳某某商贸有限公司", amount=30_000, purpose="trade.settlement")
        again = bank.request_payout(s, payout_id="stl_1", from_account=merchant, bank_account="6222020000000001",
                                    holder_name="深圳某某商贸有限公司", amount=30_000, purpose="trade.settlement")
        assert again.instruction_id == p.instruction_id and p.payout_id == "stl_1" and p.status == "processing"
        with pytest.raises(bank.InstructionConflict):
            bank.request_payout(s, payout_id="stl_1", from_account=merchant, bank_account="6222020000000001",
                                holder_name="深圳某某商贸有限公司", amount=30_001, purpose="trade.settlement")
        wrong = bank.request_payout(s, payout_id="stl_2", from_account=merchant, bank_account="6222020000000001",
                                    holder_name="别人", amount=10_000, purpose="trade.settlement")
        assert ledger.balance(s, merchant).available_balance == 10_000
    run_bank()
    with transaction() as s:
        assert bank.get_payout(s, "stl_1").status == "succeeded"
        assert (bank.get_payout(s, wrong.payout_id).failure_code) == "holder_mismatch"
        assert ledger.balance(s, merchant).available_balance == 20_000
    assert sim.account_balance("6222020000000001") == 30_000
    assert [e["payout_id"] for e in _events("bank.payout.succeeded")] == ["stl_1"]


def test_chaos_under_a_seed_every_instruction_ends_once_and_the_books_agree(session: Session) -> None:
    """Timeouts, lost and repeated callbacks and random refusals at once: after enough time, every
    top-up and withdrawal is final, and the wallet, the ledger and the bank agree to the fen."""
    sim = install_bank(seed=11, timeout_bp=3000, timeout_taken_bp=5000, duplicate_callback_bp=3000,
                       lost_callback_bp=2000, failure_bp=3000, min_delay_ms=1000, max_delay_ms=20000)
    people = []
    for _ in range(3):
        c = make_citizen(session, verified=True)
        card, number = bind_card(session, c)
        people.append((c, card.card_id, number))
    session.commit()
    refs = []
    for c, card_id, _ in people:
        for amount in (1_000, 2_000, 3_000, 4_000):
            refs.append(_top_up(c.public_id, card_id, amount))
    for _ in range(12):
        run_bank(seconds=45)
        clock.advance(timedelta(minutes=10))
    with transaction() as s:
        states = [bank.get_instruction(s, r).state for r in refs]
    assert set(states) <= {"succeeded", "failed"} and "succeeded" in states and "failed" in states
    for c, _card_id, number in people:
        with transaction() as s:
            tops = [t for t in wallet.list_bank_transfers(s, c.public_id)]
        got = sum(t.amount for t in tops if t.status == "succeeded")
        assert _available(c.public_id) == (got, 0, 0)
        assert sim.account_balance(number) == 10_000_000 - got
    assert len(_events("bank.collection.succeeded")) + len(_events("bank.collection.failed")) == len(refs)


def test_results_for_a_final_instruction_change_nothing(session: Session) -> None:
    """The state machine's illegal transitions: succeeded → failed, failed → succeeded, and a second
    success or failure; and results that are not final (processing, not_found) finish nothing."""
    sim = install_bank()
    cid, card_id, number = _citizen_with_card(session)
    ok, bad = _top_up(cid, card_id, 100), _top_up(cid, card_id, 200)
    run_bank(seconds=0.5)  # sent, not yet decided
    for ref in (ok, bad):
        iid = _instruction(ref).public_id
        assert bank.handle_bank_result(bank.BankResult(iid, "processing")) == "ignored"
        assert bank.handle_bank_result(bank.BankResult(iid, "not_found")) == "ignored"
        assert _instruction(ref).state == "submitted"
    assert bank.handle_bank_result(bank.BankResult(_instruction(ok).public_id, "succeeded", amount=100)) == "succeeded"
    assert bank.handle_bank_result(bank.BankResult(_instruction(bad).public_id, "failed",
                                                   failure_code="bank_declined")) == "failed"
    before = _available(cid)
    for ref, status in ((ok, "failed"), (ok, "succeeded"), (bad, "succeeded"), (bad, "failed")):
        iid = _instruction(ref).public_id
        got = bank.handle_bank_result(bank.BankResult(iid, status, amount=_instruction(ref).amount))  # type: ignore[arg-type]
        assert got == ("duplicate" if status == _instruction(ref).state else "contradiction")
    assert (_instruction(ok).state, _instruction(bad).state) == ("succeeded", "failed")
    assert _available(cid) == before == (100, 0, 0)
    assert bank.handle_bank_result(bank.BankResult("bki_unknown", "succeeded")) == "unknown"
    del sim, number


def test_a_result_with_another_amount_is_not_applied(session: Session) -> None:
    install_bank()
    cid, card_id, _ = _citizen_with_card(session)
    ref = _top_up(cid, card_id, 300)
    bank.dispatch()
    iid = _instruction(ref).public_id
    assert bank.handle_bank_result(bank.BankResult(iid, "succeeded", amount=301)) == "amount_mismatch"
    assert _instruction(ref).state == "submitted" and _available(cid) == (0, 300, 0)
    run_bank()
    assert _instruction(ref).state == "succeeded"
