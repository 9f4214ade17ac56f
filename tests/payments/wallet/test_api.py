"""The wallet's JSON API through the ASGI app, as a citizen's phone calls it (bearer token)."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onecity.identity import service as identity
from tests.identity.factories import login_token, make_citizen
from tests.identity.family.factories import make_face_grant
from tests.payments.bank.factories import card_number, run_bank


def _phone(session: Session, *, verified: bool = True) -> tuple[Any, dict[str, str], str]:
    c = make_citizen(session, verified=verified)
    token = login_token(session, c)
    name = identity.real_name(session, c.public_id) or ""
    session.commit()
    return c, {"Authorization": f"Bearer {token}"}, name


def test_cards_top_up_balance_history_and_withdrawal(client: TestClient, session: Session) -> None:
    citizen, h, name = _phone(session)
    number = card_number("622700")
    r = client.post("/v1/bank-cards", json={"card_number": number, "holder_name": name}, headers=h)
    assert r.status_code == 201, r.text
    card = r.json()
    assert card["bank_code"] == "CCB" and card["masked"] == f"6227 **** **** {number[-4:]}"
    assert number not in r.text
    assert [c["card_id"] for c in client.get("/v1/bank-cards", headers=h).json()["items"]] == [card["card_id"]]

    key = {**h, "Idempotency-Key": "top-up-1"}
    first = client.post("/v1/wallet/top-ups", json={"card_id": card["card_id"], "amount": 8_800}, headers=key)
    again = client.post("/v1/wallet/top-ups", json={"card_id": card["card_id"], "amount": 8_800}, headers=key)
    assert first.status_code == 201 and again.status_code == 201
    assert again.headers.get("idempotent-replayed") == "true" and again.json()["id"] == first.json()["id"]
    assert first.json()["status"] == "processing"
    assert client.get("/v1/wallet", headers=h).json() | {"account_id": ""} == {
        "account_id": "", "currency": "CNY", "available": 0, "posted": 0, "incoming": 8_800, "held": 0}

    run_bank()
    assert client.get(f"/v1/wallet/top-ups/{first.json()['id']}", headers=h).json()["status"] == "succeeded"
    wallet = client.get("/v1/wallet", headers=h).json()
    assert (wallet["available"], wallet["incoming"]) == (8_800, 0)
    (item,) = client.get("/v1/wallet/transfers", headers=h).json()["items"]
    assert (item["direction"], item["amount"], item["purpose_zh"], item["status"]) == ("in", 8_800, "充值", "succeeded")
    assert item["counterparty_zh"] == f"银行卡 中国建设银行 {number[-4:]}"

    body = {"card_id": card["card_id"], "amount": 800, "face_grant": "fgr_none"}
    r = client.post("/v1/wallet/withdrawals", json=body, headers=h)
    assert r.status_code == 403 and r.json()["code"] == "face_grant_invalid"
    grant = make_face_grant(session, citizen, act="wallet.withdraw")
    session.commit()
    r = client.post("/v1/wallet/withdrawals", json={**body, "amount": 9_000, "face_grant": grant}, headers=h)
    assert r.status_code == 409 and r.json()["code"] == "insufficient_funds"  # and the grant is still unused
    r = client.post("/v1/wallet/withdrawals", json={**body, "face_grant": grant}, headers=h)
    assert r.status_code == 201, r.text
    wd = r.json()
    assert client.get("/v1/wallet", headers=h).json()["held"] == 800
    run_bank()
    assert client.get(f"/v1/wallet/withdrawals/{wd['id']}", headers=h).json()["status"] == "succeeded"
    assert client.get("/v1/wallet", headers=h).json()["available"] == 8_000
    assert client.get(f"/v1/wallet/top-ups/{wd['id']}", headers=h).status_code == 404  # not a top-up
    r = client.post("/v1/wallet/withdrawals", json={**body, "face_grant": grant}, headers=h)
    assert r.status_code == 403  # the grant was used up


def test_history_pages_with_a_cursor(client: TestClient, session: Session) -> None:
    _citizen, h, name = _phone(session)
    card = client.post("/v1/bank-cards", json={"card_number": card_number(), "holder_name": name}, headers=h).json()
    for amount in (100, 200, 300):
        assert client.post("/v1/wallet/top-ups", json={"card_id": card["card_id"], "amount": amount},
                           headers=h).status_code == 201
    run_bank()
    page1 = client.get("/v1/wallet/transfers?limit=2", headers=h).json()
    assert [i["amount"] for i in page1["items"]] == [300, 200] and page1["next_cursor"]
    page2 = client.get(f"/v1/wallet/transfers?limit=2&after={page1['next_cursor']}", headers=h).json()
    assert [i["amount"] for i in page2["items"]] == [100]
    assert len(client.get("/v1/wallet/top-ups", headers=h).json()["items"]) == 3


def test_unverified_citizens_and_other_peoples_cards_are_refused(client: TestClient, session: Session) -> None:
    _c, h_unverified, _ = _phone(session, verified=False)
    r = client.get("/v1/wallet", headers=h_unverified)
    assert r.status_code == 403 and r.json()["code"] == "real_name_required"
    _a, h_a, name_a = _phone(session)
    _b, h_b, _ = _phone(session)
    card = client.post("/v1/bank-cards", json={"card_number": card_number(), "holder_name": name_a},
                       headers=h_a).json()
    r = client.post("/v1/wallet/top-ups", json={"card_id": card["card_id"], "amount": 100}, headers=h_b)
    assert r.status_code == 404 and r.json()["code"] == "card_not_found"
    assert client.delete(f"/v1/bank-cards/{card['card_id']}", headers=h_b).status_code == 404
    assert client.delete(f"/v1/bank-cards/{card['card_id']}", headers=h_a).json()["status"] == "unbound"
    r = client.post("/v1/bank-cards", json={"card_number": "6222021234567890127", "holder_name": name_a},
                    headers={**h_a, "Accept-Language": "en"})
    assert r.status_code == 422 and r.json()["code"] == "card_number_invalid"
    assert r.json()["title"] == "The card number is not valid; check it and try again"


def test_history_names_the_merchant_and_the_purpose(client: TestClient, session: Session) -> None:
    from onecity.ledger import service as ledger
    from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS
    from onecity.payments.bank import service as bank
    from onecity.payments.wallet import service as wallet
    from tests.identity.orgs.factories import make_org

    citizen, h, _name = _phone(session)
    org = make_org(session, kind="merchant")
    merchant = ledger.open_account(session, key=f"test:{org.public_id}", code="merchant", owner=org.public_id,
                                   flags=DEBITS_MUST_NOT_EXCEED_CREDITS, name="merchant payable").id
    mine = wallet.wallet_account_id(session, citizen.public_id)
    ledger.transfer(session, transfer_id="seed", debit=bank.system_account(session, "bank_clearing"), credit=mine,
                    amount=1_000, code="test.seed")
    ledger.transfer(session, transfer_id="pay-1", debit=mine, credit=merchant, amount=350, code="trade.pay",
                    ref="T1")
    session.commit()
    pay, seed = client.get("/v1/wallet/transfers", headers=h).json()["items"]
    assert (pay["direction"], pay["amount"], pay["purpose_zh"], pay["purpose_en"]) == ("out", 350, "付款", "Payment")
    assert (pay["counterparty_zh"], pay["counterparty_en"]) == (org.name_zh, org.name_en or org.name_zh)
    assert (seed["purpose_zh"], seed["counterparty_en"]) == ("test.seed", "bank clearing")
