"""Single-phase transfers: worked examples, limits, idempotency, validation, atomicity."""

from __future__ import annotations

import pytest

from onecity.ledger import service
from onecity.ledger.schemas import CREDITS_MUST_NOT_EXCEED_DEBITS, DEBITS_MUST_NOT_EXCEED_CREDITS
from tests.ledger.factories import make_account, make_wallet


def test_open_account_is_idempotent_by_key(session):
    a = service.open_account(session, key="wallet:cit_1:CNY", code="wallet", owner="cit_1",
                             flags=DEBITS_MUST_NOT_EXCEED_CREDITS, name="钱包")
    again = service.open_account(session, key="wallet:cit_1:CNY", code="wallet", owner="cit_1",
                                 flags=DEBITS_MUST_NOT_EXCEED_CREDITS)
    assert a.id == again.id and a.id.startswith("acc_")
    assert service.account_by_key(session, "wallet:cit_1:CNY") == a
    assert service.account_by_key(session, "wallet:nobody:CNY") is None
    assert service.get_account(session, a.id) == a
    with pytest.raises(service.LedgerConflict):
        service.open_account(session, key="wallet:cit_1:CNY", code="wallet", owner="cit_1", flags=0)
    with pytest.raises(service.LedgerConflict):
        service.open_account(session, key="wallet:cit_1:CNY", code="wallet", owner="cit_1",
                             currency="USD", flags=DEBITS_MUST_NOT_EXCEED_CREDITS)
    with pytest.raises(service.AccountNotFound):
        service.get_account(session, "acc_nope")


@pytest.mark.parametrize("kwargs", [
    {"currency": "cny"}, {"flags": 8}, {"flags": 3}, {"flags": -1}, {"key": ""}, {"code": ""},
])
def test_open_account_refuses_bad_fields(session, kwargs):
    fields = {"key": "k:1", "code": "wallet", "owner": "o"} | kwargs
    with pytest.raises(service.InvalidTransfer):
        service.open_account(session, **fields)


def test_transfer_moves_posted_balances(session):
    bank = make_account(session, code="bank_clearing")
    wallet = make_wallet(session)
    t = service.transfer(session, transfer_id="t1", debit=bank.id, credit=wallet.id, amount=10_000,
                         code="topup", ref="order:1")
    assert (t.kind, t.status, t.amount, t.replayed, t.ref) == ("single", "posted", 10_000, False, "order:1")
    # bank: debits_posted 10000; wallet: credits_posted 10000 -> posted = 10000 - 0 = 100.00 yuan
    b = service.balance(session, wallet.id)
    assert (b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted) == (0, 0, 0, 10_000)
    assert b.posted_balance == b.available_balance == 10_000
    assert service.balance(session, bank.id).debits_posted == 10_000
    shop = make_account(session, code="merchant", flags=DEBITS_MUST_NOT_EXCEED_CREDITS)
    service.transfer(session, transfer_id="t2", debit=wallet.id, credit=shop.id, amount=2_550, code="pay")
    # wallet: 10000 credited - 2550 debited = 7450
    assert service.balance(session, wallet.id).available_balance == 7_450
    assert service.balance(session, shop.id).posted_balance == 2_550
    assert service.check(session) == []


def test_overdraft_is_refused_and_changes_nothing(session):
    wallet = make_wallet(session, 500)
    shop = make_account(session, code="merchant")
    service.transfer(session, transfer_id="ok", debit=wallet.id, credit=shop.id, amount=300, code="pay")
    with pytest.raises(service.InsufficientFunds) as e:
        # 500 - 300 = 200 left; 201 is one fen too many
        service.transfer(session, transfer_id="too-much", debit=wallet.id, credit=shop.id, amount=201, code="pay")
    assert e.value.code == "insufficient_funds" and e.value.status == 409
    # The same transaction continues: nothing of the failed transfer remains.
    assert service.transfers_by_ref(session, "none") == []
    assert [t.transfer_id for t in service.history(session, wallet.id)[0]] == ["ok", f"topup:{wallet.id}"]
    assert service.balance(session, wallet.id).available_balance == 200
    service.transfer(session, transfer_id="exact", debit=wallet.id, credit=shop.id, amount=200, code="pay")
    assert service.balance(session, wallet.id).available_balance == 0
    assert service.check(session) == []


def test_credit_limit_on_debit_normal_account(session):
    asset = make_account(session, code="receivable", flags=CREDITS_MUST_NOT_EXCEED_DEBITS)
    other = make_account(session)
    service.transfer(session, transfer_id="a", debit=asset.id, credit=other.id, amount=100, code="x")
    assert service.balance(session, asset.id).posted_balance == 100  # debit-normal: 100 - 0
    with pytest.raises(service.CreditLimitExceeded):
        service.transfer(session, transfer_id="b", debit=other.id, credit=asset.id, amount=101, code="x")
    service.transfer(session, transfer_id="c", debit=other.id, credit=asset.id, amount=100, code="x")
    assert service.balance(session, asset.id).posted_balance == 0
    assert service.check(session) == []


def test_same_transfer_id_replays_or_conflicts(session):
    wallet = make_wallet(session, 1_000)
    shop = make_account(session)
    first = service.transfer(session, transfer_id="pay-1", debit=wallet.id, credit=shop.id, amount=600,
                             code="pay", ref="o1")
    again = service.transfer(session, transfer_id="pay-1", debit=wallet.id, credit=shop.id, amount=600,
                             code="pay", ref="o1")
    assert again.replayed and not first.replayed
    assert again.model_dump(exclude={"replayed", "created_at"}) == first.model_dump(
        exclude={"replayed", "created_at"})
    # Replayed even though the wallet could not afford it again (400 left).
    assert service.balance(session, wallet.id).available_balance == 400
    for changed in ({"amount": 601}, {"ref": "o2"}, {"code": "refund"}, {"credit": wallet.id, "debit": shop.id},
                    {"pending": True}):
        fields = {"transfer_id": "pay-1", "debit": wallet.id, "credit": shop.id, "amount": 600,
                  "code": "pay", "ref": "o1"} | changed
        with pytest.raises(service.TransferConflict) as e:
            service.transfer(session, **fields)
        assert e.value.code == "transfer_id_reused"
    assert service.balance(session, wallet.id).available_balance == 400
    assert service.check(session) == []


def test_currency_must_match_both_accounts(session):
    cny = make_account(session)
    usd = make_account(session, currency="USD")
    usd2 = make_account(session, currency="USD")
    with pytest.raises(service.CurrencyMismatch) as e:
        service.transfer(session, transfer_id="x", debit=cny.id, credit=usd.id, amount=1, code="fx")
    assert e.value.status == 422
    with pytest.raises(service.CurrencyMismatch):
        service.transfer(session, transfer_id="y", debit=usd.id, credit=usd2.id, amount=1, code="fx")
    service.transfer(session, transfer_id="z", debit=usd.id, credit=usd2.id, amount=1, code="fx", currency="USD")
    assert service.check(session) == []


@pytest.mark.parametrize("bad", [
    {"amount": 0}, {"amount": -5}, {"amount": 1.5}, {"amount": "10"}, {"amount": True},
    {"transfer_id": ""}, {"code": ""}, {"currency": "rmb"}, {"same": True}, {"timeout_without_pending": True},
])
def test_invalid_transfers_are_refused(session, bad):
    from datetime import timedelta

    a, b = make_account(session), make_account(session)
    fields: dict[str, object] = {"transfer_id": "t", "debit": a.id, "credit": b.id, "amount": 1, "code": "x"}
    if bad.pop("same", False):
        fields["credit"] = a.id
    if bad.pop("timeout_without_pending", False):
        fields["timeout"] = timedelta(minutes=1)
    fields |= bad
    with pytest.raises(service.InvalidTransfer) as e:
        service.transfer(session, **fields)  # type: ignore[arg-type]
    assert e.value.status == 422


def test_unknown_account(session):
    a = make_account(session)
    with pytest.raises(service.AccountNotFound) as e:
        service.transfer(session, transfer_id="t", debit=a.id, credit="acc_missing", amount=1, code="x")
    assert e.value.status == 404
    with pytest.raises(service.AccountNotFound):
        service.balance(session, "acc_missing")
    with pytest.raises(service.AccountNotFound):
        service.history(session, "acc_missing")


def test_open_accounts_in_bulk_is_idempotent(session):
    from onecity.ledger.schemas import AccountSpec

    specs = [AccountSpec(key=f"bulk:{i}", code="wallet", owner=f"o{i}", flags=DEBITS_MUST_NOT_EXCEED_CREDITS)
             for i in range(5)]
    first = service.open_accounts(session, specs[:3])
    both = service.open_accounts(session, specs)
    assert [a.id for a in both[:3]] == [a.id for a in first] and len({a.id for a in both}) == 5
    assert service.account_by_key(session, "bulk:4") == both[4]
    with pytest.raises(service.LedgerConflict):
        service.open_accounts(session, [AccountSpec(key="bulk:9", code="w", owner="o"),
                                        AccountSpec(key="bulk:0", code="wallet", owner="o0")])
    assert service.account_by_key(session, "bulk:9") is None  # nothing of a refused batch was opened
