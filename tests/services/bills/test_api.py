"""The bills JSON API through the real app: a citizen adds an account, fetches and pays a bill (an
Idempotency-Key makes a retried payment answered, not repeated); bad input gets problem+json and
changes nothing; relatives use their family scopes; admins set biller profiles."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import func, select

from onecity import clock
from onecity.services.bills.models import BillAccount, BillPayment
from tests.identity.factories import login_token
from tests.identity.orgs.factories import make_admin, make_org, staff_token
from tests.services.bills.factories import (
    PHONE_NO,
    WATER_NO,
    citizen,
    install_sim,
    make_biller,
    relatives,
    run_dispatch,
    wallet_fen,
)

BASE = "/v1/services/bills"


def _auth(token: str, key: str | None = None) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", **({"idempotency-key": key} if key else {})}


def _counts(session) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    session.rollback()
    counts = (session.scalar(select(func.count()).select_from(BillAccount)) or 0,
              session.scalar(select(func.count()).select_from(BillPayment)) or 0)
    session.rollback()  # SQLite: hold no transaction while the app serves the next request
    return counts


def test_add_fetch_pay_and_refuse_a_second_payment(client, session):
    clock.freeze(datetime(2026, 11, 10, 2, tzinfo=UTC))
    org = make_biller(session, "water")
    sim = install_sim(org)
    c = citizen(session, balance=20_000)
    token = login_token(session, c)
    session.commit()
    bill = sim.issue_bill(WATER_NO, period="2026-10", amount=8_640, due_date=date(2026, 11, 20))

    billers = client.get(f"{BASE}/billers?product=water").json()
    assert [b["org_id"] for b in billers] == [org]
    r = client.post(f"{BASE}/accounts", json={"biller_org_id": org, "account_no": WATER_NO, "alias": "家里"},
                    headers=_auth(token, "add-1"))
    assert r.status_code == 201, r.text
    acc = r.json()
    assert acc["number_masked"] != WATER_NO and WATER_NO not in r.text
    bills = client.get(f"{BASE}/accounts/{acc['account_id']}/bills", headers=_auth(token)).json()
    assert [(b["bill_id"], b["amount"], b["status"]) for b in bills] == [(bill, 8_640, "unpaid")]

    pay = {"bill_id": bill, "amount": 8_640}
    first = client.post(f"{BASE}/accounts/{acc['account_id']}/pay", json=pay, headers=_auth(token, "pay-1"))
    assert first.status_code == 200 and first.json()["state"] == "pending"
    retried = client.post(f"{BASE}/accounts/{acc['account_id']}/pay", json=pay, headers=_auth(token, "pay-1"))
    assert retried.json() == first.json()  # the same key: the first answer, nothing repeated
    again = client.post(f"{BASE}/accounts/{acc['account_id']}/pay", json=pay, headers=_auth(token, "pay-2"))
    assert again.status_code == 409 and again.json()["code"] == "bill_already_paid"
    assert again.headers["content-type"].startswith("application/problem+json")
    assert wallet_fen(session, c.public_id) == 20_000 - 8_640 and _counts(session) == (1, 1)

    session.commit()
    run_dispatch()
    mine = client.get(f"{BASE}/payments", headers=_auth(token)).json()
    assert [(p["payment_id"], p["state"]) for p in mine] == [(first.json()["payment_id"], "confirmed")]
    assert client.get(f"{BASE}/accounts/{acc['account_id']}/bills", headers=_auth(token)).json()[0]["status"] == "paid"


def test_bad_input_is_a_clear_problem_and_changes_nothing(client, session):
    clock.freeze(datetime(2026, 11, 10, 2, tzinfo=UTC))
    org = make_biller(session, "water")
    phone = make_biller(session, "phone")
    sim = install_sim(org)
    install_sim(phone)
    c = citizen(session, balance=20_000)
    token = login_token(session, c)
    session.commit()
    bill = sim.issue_bill(WATER_NO, period="2026-10", amount=8_640, due_date=date(2026, 11, 20))
    acc = client.post(f"{BASE}/accounts", json={"biller_org_id": org, "account_no": WATER_NO, "alias": "家"},
                      headers=_auth(token, "a")).json()
    before = _counts(session)
    bad_number = WATER_NO[:-1] + str((int(WATER_NO[-1]) + 1) % 10)
    cases = [
        ("post", f"{BASE}/accounts", {"biller_org_id": org, "account_no": bad_number, "alias": "x"}, 422,
         "bill_account_number_invalid"),
        ("post", f"{BASE}/accounts", {"biller_org_id": org, "account_no": WATER_NO, "alias": "x"}, 409,
         "bill_account_exists"),
        ("post", f"{BASE}/accounts", {"biller_org_id": org, "account_no": "0755000001", "alias": " "}, 422,
         None),
        ("post", f"{BASE}/accounts", {"biller_org_id": "org_nope", "account_no": WATER_NO, "alias": "x"}, 404,
         "biller_not_found"),
        ("post", f"{BASE}/accounts/{acc['account_id']}/pay", {"bill_id": bill, "amount": 8_639}, 409,
         "bill_amount_mismatch"),
        ("post", f"{BASE}/accounts/{acc['account_id']}/pay", {"bill_id": "nope", "amount": 8_640}, 404,
         "bill_not_found"),
        ("post", f"{BASE}/accounts/{acc['account_id']}/pay", {"bill_id": bill, "amount": "86.40"}, 422, None),
        ("post", f"{BASE}/accounts/{acc['account_id']}/topup", {"amount": 5_000}, 422, "bill_product_mismatch"),
        ("post", f"{BASE}/accounts/{acc['account_id']}/autopay", {"enabled": True, "limit": 10}, 422,
         "bill_autopay_limit_invalid"),
        ("post", f"{BASE}/accounts/bac_nope/pay", {"bill_id": bill, "amount": 8_640}, 404, "bill_account_not_found"),
        ("get", f"{BASE}/payments/bpy_nope", None, 404, "bill_payment_not_found"),
    ]
    for i, (method, url, body, status, code) in enumerate(cases):
        r = getattr(client, method)(url, **({"json": body} if body is not None else {}),
                                    headers=_auth(token, f"bad-{i}" if method == "post" else None))
        assert r.status_code == status, (url, body, r.text)
        assert r.headers["content-type"].startswith("application/problem+json")
        if code:
            assert r.json()["code"] == code, r.json()
    assert _counts(session) == before and wallet_fen(session, c.public_id) == 20_000
    assert client.get(f"{BASE}/accounts").status_code == 401


def test_phone_top_up_and_a_relative_paying(client, session):
    clock.freeze(datetime(2026, 11, 10, 2, tzinfo=UTC))
    phone = make_biller(session, "phone")
    child, parent = relatives(session, scopes=["view_bills", "pay_bills"], balance=30_000)
    ptoken, ctoken = login_token(session, parent), login_token(session, child)
    session.commit()
    install_sim(phone).open_account(PHONE_NO)
    acc = client.post(f"{BASE}/accounts", json={"biller_org_id": phone, "account_no": PHONE_NO, "alias": "爸爸手机"},
                      headers=_auth(ptoken, "a")).json()
    session.commit()
    theirs = client.get(f"{BASE}/accounts?owner={parent.public_id}", headers=_auth(ctoken)).json()
    assert [a["account_id"] for a in theirs] == [acc["account_id"]]
    bad = client.post(f"{BASE}/accounts/{acc['account_id']}/topup", json={"amount": 4_000}, headers=_auth(ctoken, "t0"))
    assert bad.status_code == 422 and bad.json()["code"] == "bill_topup_amount_invalid"
    r = client.post(f"{BASE}/accounts/{acc['account_id']}/topup", json={"amount": 10_000}, headers=_auth(ctoken, "t1"))
    assert r.status_code == 200, r.text
    assert (r.json()["payer_id"], r.json()["owner_id"], r.json()["via"]) == (child.public_id, parent.public_id, "family")
    # 300.00 − 100.00 = 200.00 from the child's wallet; the parent's is untouched.
    assert wallet_fen(session, child.public_id) == 20_000 and wallet_fen(session, parent.public_id) == 0
    session.rollback()
    # Autopay is the holder's own decision.
    r = client.post(f"{BASE}/accounts/{acc['account_id']}/autopay", json={"enabled": False},
                    headers=_auth(ctoken, "ap"))
    assert r.status_code == 404


def test_admins_set_biller_profiles(client, session):
    admin = staff_token(session, make_admin(session))
    biller = make_org(session, kind="biller")
    merchant = make_org(session, kind="merchant")
    c = citizen(session)
    token = login_token(session, c)
    session.commit()
    body = {"product": "gas", "account_pattern": r"\d{8}[0-9X]", "check_digit": "mod11"}
    r = client.post(f"{BASE}/billers/{biller.public_id}/profile", json=body, headers=_auth(admin, "p1"))
    assert r.status_code == 200 and r.json()["product"] == "gas"
    for org_id, payload, code in [
        (merchant.public_id, body, "biller_profile_invalid"),
        (biller.public_id, {**body, "account_pattern": "(("}, "biller_profile_invalid"),
        (biller.public_id, {**body, "topup_amounts": [5_000]}, "biller_profile_invalid"),
        (biller.public_id, {**body, "product": "phone", "topup_amounts": [4_000]}, "biller_profile_invalid"),
        (biller.public_id, {**body, "connector": "http"}, "biller_profile_invalid"),
    ]:
        bad = client.post(f"{BASE}/billers/{org_id}/profile", json=payload, headers=_auth(admin, f"p-{code}-{payload}"))
        assert bad.status_code == 422 and bad.json()["code"] == code, bad.text
    assert client.get(f"{BASE}/billers?product=gas").json()[0]["check_digit"] == "mod11"
    assert client.post(f"{BASE}/billers/{biller.public_id}/profile", json=body,
                       headers=_auth(token, "x")).status_code == 403
