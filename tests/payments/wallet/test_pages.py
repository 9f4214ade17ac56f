"""The wallet's pages through the ASGI app with a web-session cookie (the browser flows are in
tests/e2e/test_wallet.py)."""

from __future__ import annotations

import re
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onecity.crypto.fields import blind_index
from onecity.db import transaction
from onecity.identity import service as identity
from onecity.identity.sessions import create_session
from onecity.payments.bank import service as bank
from onecity.payments.wallet import service as wallet
from tests.identity.factories import make_citizen
from tests.identity.family.factories import make_face_grant
from tests.payments.bank.factories import card_number, run_bank


def _signed_in(client: TestClient, session: Session, *, verified: bool = True) -> tuple[Any, str, str]:
    c = make_citizen(session, verified=verified)
    token, row = create_session(session, kind="citizen", subject_id=c.public_id, credential="cookie", label="t")
    name = identity.real_name(session, c.public_id) or ""
    session.commit()
    client.cookies.set("oc_session", token)
    return c, blind_index(row.public_id, purpose="csrf")[:32], name


def _token(html: str) -> str:
    m = re.search(r'name="token" value="([^"]+)"', html)
    assert m
    return m.group(1)


def test_bind_top_up_twice_tapped_and_see_it_arrive(client: TestClient, session: Session) -> None:
    c, csrf, name = _signed_in(client, session)
    r = client.get("/app/wallet/top-up")
    assert r.status_code == 200 and 'data-testid="no-cards"' in r.text
    number = card_number()
    r = client.post("/app/bank-cards", data={"card_number": number, "holder_name": name, "csrf": csrf,
                                             "next_url": "/app/wallet/top-up"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/app/wallet/top-up"
    page = client.get("/app/bank-cards").text
    assert f"6225 **** **** {number[-4:]}" in page and number not in page
    form = client.get("/app/wallet/top-up").text
    card_id = re.search(r'option value="([^"]+)"', form).group(1)  # type: ignore[union-attr]
    data = {"card_id": card_id, "amount": "66.60", "token": _token(form), "csrf": csrf}
    for _ in range(2):  # a double tap: one top-up
        r = client.post("/app/wallet/top-up", data=data, follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/app/wallet?done=top_up"
    home = client.get("/app/wallet?done=top_up").text
    assert "充值已提交" in home and 'data-testid="incoming" data-fen="6660"' in home
    assert home.count('data-testid="bank-transfer"') == 1
    run_bank()
    home = client.get("/app/wallet").text
    assert 'data-testid="available" data-fen="6660"' in home and "66.60" in home
    assert 'data-status="succeeded"' in home
    en = client.get("/app/wallet?lang=en").text
    assert "Available balance" in en and "Top-up" in en


def test_withdraw_page_asks_for_the_face_first_then_withdraws(client: TestClient, session: Session) -> None:
    c, csrf, name = _signed_in(client, session)
    client.post("/app/bank-cards", data={"card_number": card_number(), "holder_name": name, "csrf": csrf})
    with transaction() as s:
        card = bank.list_cards(s, c.public_id)[0]
        wallet.top_up(s, citizen_id=c.public_id, card_id=card.card_id, amount=5_000, actor=c.public_id)
    run_bank()
    page = client.get("/app/wallet/withdraw").text
    assert 'data-testid="face-needed"' in page
    assert "/app/face?act=wallet.withdraw&amp;next=%2Fapp%2Fwallet%2Fwithdraw" in page
    grant = make_face_grant(session, c, act="wallet.withdraw")
    session.commit()
    form = client.get(f"/app/wallet/withdraw?face_grant={grant}").text
    assert 'data-testid="face-verified"' in form
    data = {"card_id": card.card_id, "amount": "60.00", "grant_id": grant, "token": _token(form), "csrf": csrf}
    r = client.post("/app/wallet/withdraw", data=data)
    assert r.status_code == 409 and "余额不足" in r.text  # the grant is still good
    r = client.post("/app/wallet/withdraw", data={**data, "amount": "20.00"}, follow_redirects=False)
    assert r.status_code == 303
    home = client.get("/app/wallet").text
    assert 'data-testid="available" data-fen="3000"' in home and 'data-testid="held" data-fen="2000"' in home
    r = client.post("/app/wallet/withdraw", data={**data, "amount": "20.00", "csrf": "forged"})
    assert r.status_code == 403
    r = client.post("/app/wallet/withdraw", data={**data, "amount": "10.00", "token": "another form"})
    assert r.status_code == 403 and 'data-testid="verify-face"' in r.text  # the grant was used: verify again


def test_pages_need_a_verified_citizen(client: TestClient, session: Session) -> None:
    r = client.get("/app/wallet", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/app/login")
    _signed_in(client, session, verified=False)
    r = client.get("/app/wallet", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/app/real-name")


def test_home_links_the_wallet(client: TestClient, session: Session) -> None:
    _signed_in(client, session)
    assert 'href="/app/wallet"' in client.get("/app").text
