"""The bills pages through the real app: a citizen adds an account, sees the bill fetched from the
biller, pays it (CSRF checked), sees it paid, is refused a second payment; sets autopay; a relative's
accounts show under theirs; bad input shows an error and changes nothing."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime

from sqlalchemy import func, select

from onecity import clock
from onecity.identity.sessions import create_session
from onecity.services.bills.models import BillAccount, BillPayment
from tests.services.bills.factories import (
    WATER_NO,
    citizen,
    install_sim,
    make_biller,
    relatives,
    run_dispatch,
    wallet_fen,
)

HOME = "/app/services/bills"


def _sign_in(client, session, c) -> str:  # type: ignore[no-untyped-def]
    token, sess = create_session(session, kind="citizen", subject_id=c.public_id, credential="cookie", label="t")
    session.commit()
    client.cookies.set("oc_session", token)
    page = client.get(HOME)
    return re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]


def _count(session, model) -> int:  # type: ignore[no-untyped-def]
    try:
        return session.scalar(select(func.count()).select_from(model)) or 0
    finally:
        session.commit()


def test_add_fetch_pay_and_see_it_paid(client, session):
    clock.freeze(datetime(2026, 11, 10, 2, tzinfo=UTC))
    org = make_biller(session, "water")
    sim = install_sim(org)
    c = citizen(session, balance=20_000)
    session.commit()
    bill = sim.issue_bill(WATER_NO, period="2026-10", amount=8_640, due_date=date(2026, 11, 20), holder_masked="*芳")
    csrf = _sign_in(client, session, c)

    r = client.post(f"{HOME}/accounts", data={"biller_org_id": org, "account_no": WATER_NO, "alias": "家里水费",
                                              "csrf": csrf}, follow_redirects=False)
    assert r.status_code == 303, r.text
    page = client.get(r.headers["location"])
    assert page.status_code == 200 and "家里水费" in page.text and "86.40" in page.text
    assert f'data-bill-id="{bill}" data-status="unpaid"' in page.text
    assert WATER_NO not in page.text  # the number is masked

    account_url = r.headers["location"].split("?")[0]
    bad = client.post(f"{account_url}/pay", data={"bill_id": bill, "amount": "86.40", "csrf": "nope"})
    assert bad.status_code == 403 and _count(session, BillPayment) == 0
    paid = client.post(f"{account_url}/pay", data={"bill_id": bill, "amount": "86.40", "csrf": csrf},
                       follow_redirects=False)
    assert paid.status_code == 303
    assert wallet_fen(session, c.public_id) == 11_360
    session.commit()
    run_dispatch()
    page = client.get(account_url)
    assert 'data-testid="bill-paid"' in page.text and 'data-state="confirmed"' in page.text
    again = client.post(f"{account_url}/pay", data={"bill_id": bill, "amount": "86.40", "csrf": csrf})
    assert again.status_code == 409 and "已缴清" in again.text
    assert _count(session, BillPayment) == 1 and wallet_fen(session, c.public_id) == 11_360
    session.commit()

    auto = client.post(f"{account_url}/autopay", data={"enabled": "on", "limit": "150.00", "csrf": csrf},
                       follow_redirects=False)
    assert auto.status_code == 303
    home = client.get(HOME)
    assert 'data-testid="autopay-on"' in home.text and "150.00" in home.text
    wrong = client.post(f"{account_url}/autopay", data={"enabled": "on", "limit": "abc", "csrf": csrf})
    assert wrong.status_code == 422


def test_bad_account_numbers_show_an_error_and_change_nothing(client, session):
    org = make_biller(session, "water")
    install_sim(org)
    c = citizen(session)
    session.commit()
    csrf = _sign_in(client, session, c)
    r = client.post(f"{HOME}/accounts", data={"biller_org_id": org, "account_no": "123", "alias": "x", "csrf": csrf})
    assert r.status_code == 422 and "户号格式不正确" in r.text
    r = client.post(f"{HOME}/accounts", data={"biller_org_id": org, "account_no": WATER_NO, "alias": "x", "csrf": "bad"})
    assert r.status_code == 403
    assert _count(session, BillAccount) == 0


def test_relatives_accounts_show_with_view_bills(client, session):
    org = make_biller(session, "water")
    install_sim(org)
    child, parent = relatives(session, scopes=["view_bills"])
    from onecity.services.bills import service

    acc = service.add_account(session, citizen_id=parent.public_id, biller_org_id=org, account_no=WATER_NO,
                              alias="爸爸家", actor=parent.public_id)
    session.commit()
    _sign_in(client, session, child)
    home = client.get(HOME)
    assert 'data-testid="relative-account"' in home.text and "爸爸家" in home.text
    page = client.get(f"{HOME}/accounts/{acc.account_id}")
    assert page.status_code == 200 and 'data-testid="pay"' not in page.text and 'data-testid="autopay"' not in page.text
    stranger = citizen(session)
    session.commit()
    _sign_in(client, session, stranger)
    assert client.get(f"{HOME}/accounts/{acc.account_id}").status_code == 404
