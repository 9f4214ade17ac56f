"""The administrators' ledger routes: an account's balance and its history with a cursor."""

from __future__ import annotations

from onecity.ledger import service
from tests.identity.factories import login_token, make_citizen
from tests.identity.orgs.factories import make_admin, staff_token
from tests.ledger.factories import make_account, make_wallet


def test_admin_reads_balance_and_history(client, session):
    wallet = make_wallet(session, 1_000)
    shop = make_account(session)
    for i in range(3):
        service.transfer(session, transfer_id=f"t{i}", debit=wallet.id, credit=shop.id, amount=100, code="pay")
    h = {"Authorization": f"Bearer {staff_token(session, make_admin(session))}"}
    session.commit()
    r = client.get(f"/v1/ledger/accounts/{wallet.id}", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    # 1000 in, 3 x 100 out = 700
    assert (body["posted_balance"], body["available_balance"], body["debits_posted"]) == (700, 700, 300)
    assert body["account"]["key"] == wallet.key
    r = client.get(f"/v1/ledger/accounts/{wallet.id}/transfers?limit=2", headers=h)
    page = r.json()
    assert [t["transfer_id"] for t in page["items"]] == ["t2", "t1"]
    r = client.get(f"/v1/ledger/accounts/{wallet.id}/transfers?limit=2&after={page['next_cursor']}", headers=h)
    assert [t["transfer_id"] for t in r.json()["items"]] == ["t0", f"topup:{wallet.id}"]
    assert r.json()["next_cursor"] is None
    r = client.get("/v1/ledger/accounts/acc_missing", headers=h)
    assert r.status_code == 404 and r.json()["code"] == "ledger_account_not_found"


def test_citizens_may_not_read_the_ledger(client, session):
    wallet = make_wallet(session, 1)
    token = login_token(session, make_citizen(session))
    session.commit()
    r = client.get(f"/v1/ledger/accounts/{wallet.id}", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 403
    assert client.get(f"/v1/ledger/accounts/{wallet.id}/transfers").status_code == 401
