"""Atomic groups: all transfers or none, limits on each account's final amounts."""

from __future__ import annotations

import pytest

from onecity.ledger import service
from onecity.ledger.schemas import TransferSpec
from tests.ledger.factories import make_account, make_hot, make_wallet


def test_medical_bill_paid_by_four_payers_is_one_group(session):
    hospital = make_hot(session, code="hospital")
    insurer, fund, family, patient = (make_wallet(session, n) for n in (100_000, 5_000, 3_000, 2_000))
    # bill 12345 fen = insurer 8000 + personal fund 2345 + family 1000 + patient 1000
    parts = [(insurer, 8_000), (fund, 2_345), (family, 1_000), (patient, 1_000)]
    specs = [TransferSpec(transfer_id=f"bill-1:{i}", debit=a.id, credit=hospital.id, amount=n, code="medical",
                          ref="bill-1") for i, (a, n) in enumerate(parts)]
    out = service.transfer_group(session, specs)
    assert [t.amount for t in out] == [8_000, 2_345, 1_000, 1_000]
    assert sum(t.amount for t in out) == 12_345
    assert service.balance(session, hospital.id).posted_balance == 12_345
    assert [t.transfer_id for t in service.transfers_by_ref(session, "bill-1")] == [s.transfer_id for s in specs]
    again = service.transfer_group(session, specs)
    assert all(t.replayed for t in again)
    assert service.balance(session, hospital.id).posted_balance == 12_345
    assert service.check(session) == []


def test_group_is_all_or_none(session):
    hospital = make_account(session)
    rich, poor = make_wallet(session, 10_000), make_wallet(session, 999)
    specs = [TransferSpec(transfer_id="g:1", debit=rich.id, credit=hospital.id, amount=5_000, code="m"),
             TransferSpec(transfer_id="g:2", debit=poor.id, credit=hospital.id, amount=1_000, code="m")]
    with pytest.raises(service.InsufficientFunds) as e:
        service.transfer_group(session, specs)
    assert e.value.extra["account_id"] == poor.id
    assert service.balance(session, rich.id).available_balance == 10_000
    assert service.balance(session, hospital.id).credits_posted == 0
    assert service.transfers_by_ref(session, "g") == []
    assert len(service.history(session, rich.id)[0]) == 1  # only its top-up
    assert service.check(session) == []


def test_limits_are_checked_on_final_amounts(session):
    a, b = make_wallet(session, 100), make_wallet(session, 0)
    # a pays 150 but receives 100 back first... order inside a group does not matter:
    # a: 100 + 100 - 150 = 50 >= 0; b: 0 + 150 - 100 = 50 >= 0
    out = service.transfer_group(session, [
        TransferSpec(transfer_id="1", debit=a.id, credit=b.id, amount=150, code="x"),
        TransferSpec(transfer_id="2", debit=b.id, credit=a.id, amount=100, code="x"),
    ])
    assert len(out) == 2
    assert service.balance(session, a.id).available_balance == 50
    assert service.balance(session, b.id).available_balance == 50
    assert service.check(session) == []


def test_group_with_a_reused_id_is_refused_whole(session):
    a, b = make_wallet(session, 1_000), make_account(session)
    service.transfer(session, transfer_id="used", debit=a.id, credit=b.id, amount=10, code="x")
    with pytest.raises(service.TransferConflict):
        service.transfer_group(session, [
            TransferSpec(transfer_id="new", debit=a.id, credit=b.id, amount=10, code="x"),
            TransferSpec(transfer_id="used", debit=a.id, credit=b.id, amount=10, code="x"),
        ])
    with pytest.raises(service.TransferConflict):  # same id, different amount
        service.transfer_group(session, [TransferSpec(transfer_id="used", debit=a.id, credit=b.id, amount=11,
                                                      code="x")])
    with pytest.raises(service.InvalidTransfer):
        service.transfer_group(session, [
            TransferSpec(transfer_id="twice", debit=a.id, credit=b.id, amount=1, code="x"),
            TransferSpec(transfer_id="twice", debit=a.id, credit=b.id, amount=1, code="x"),
        ])
    assert service.balance(session, a.id).available_balance == 990
    assert service.transfer_group(session, []) == []
    assert service.check(session) == []


def test_group_mixing_pending_and_posted(session):
    a, shop = make_wallet(session, 1_000), make_account(session)
    service.transfer_group(session, [
        TransferSpec(transfer_id="hold", debit=a.id, credit=shop.id, amount=600, code="x", pending=True),
        TransferSpec(transfer_id="pay", debit=a.id, credit=shop.id, amount=400, code="x"),
    ])
    # 1000 - 400 posted - 600 reserved = 0
    assert service.balance(session, a.id).available_balance == 0
    with pytest.raises(service.InsufficientFunds):
        service.transfer_group(session, [
            TransferSpec(transfer_id="more", debit=a.id, credit=shop.id, amount=1, code="x", pending=True)])
    service.void_pending(session, transfer_id="unhold", pending_id="hold")
    assert service.balance(session, a.id).available_balance == 600
    assert service.check(session) == []


def test_accounts_are_locked_in_one_order_with_hot_accounts_last(session):
    from onecity.ledger.schemas import HOT
    from onecity.ledger.service import engine

    accounts = [make_account(session, flags=HOT if i in (0, 3) else 0) for i in range(6)]
    ids = [a.id for a in accounts]
    order = list(engine.lock(session, reversed(ids)))
    plain = sorted(i for n, i in enumerate(ids) if n not in (0, 3))
    hot = sorted([ids[0], ids[3]])
    assert order == plain + hot  # (is HOT, id) ascending, whatever order the caller names them in
