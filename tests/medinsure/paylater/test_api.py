"""Pay-later routes through the real app: the city allows a citizen; the citizen sees their standing
and debts and pays what is overdue (Idempotency-Key: a retried payment is answered, not repeated)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from onecity import clock
from onecity.medinsure.paylater import service as paylater
from tests.identity.factories import login_token
from tests.identity.orgs.factories import make_admin, staff_token
from tests.medinsure.paylater.factories import allowed_citizen, assert_accounted, settle_later, wallet_fen
from tests.payments.trade.factories import fund_wallet


def _auth(token: str, **extra: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", **extra}


def test_admin_allows_and_citizen_pays_arrears(client, session):
    clock.freeze(datetime(2026, 4, 1, 2, tzinfo=UTC))
    c = allowed_citizen(session, balance=1_000, allowed=False)
    admin = staff_token(session, make_admin(session))
    session.commit()
    url = f"/v1/admin/medinsure/paylater/citizens/{c.public_id}"
    r = client.post(url, json={"allowed": True, "reason": "慢病患者试点"}, headers=_auth(admin, **{"idempotency-key": "a1"}))
    assert r.status_code == 200, r.text
    assert (r.json()["allowed"], r.json()["eligible"]) == (True, True)
    assert client.get(url, headers=_auth(admin)).json()["allowed"] is True
    assert client.post("/v1/admin/medinsure/paylater/citizens/cit_nobody", json={"allowed": True, "reason": "x"},
                       headers=_auth(admin)).status_code == 404

    settle_later(session, c.public_id, "S1", 2_500)
    session.commit()
    clock.advance(timedelta(days=15))
    paylater.collect_due(session)
    token = login_token(session, c)  # signed in after the clock moved: sessions last a week
    admin = staff_token(session, make_admin(session))
    session.commit()

    status = client.get("/v1/medinsure/paylater", headers=_auth(token)).json()
    assert (status["eligible"], status["arrears_fen"], status["open_fen"]) == (False, 2_500, 0)
    debts = client.get("/v1/medinsure/paylater/debts", headers=_auth(token)).json()
    assert [(d["settlement_ref"], d["status"], d["outstanding_fen"]) for d in debts] == [("S1", "arrears", 2_500)]
    one = client.get(f"/v1/medinsure/paylater/debts/{debts[0]['debt_id']}", headers=_auth(token)).json()
    assert [e["kind"] for e in one["entries"]] == ["open", "arrears"]

    short = client.post("/v1/medinsure/paylater/arrears/pay", headers=_auth(token, **{"idempotency-key": "pay-1"}))
    assert short.status_code == 409 and short.json()["code"] == "paylater_wallet_insufficient"
    fund_wallet(session, c.public_id, 1_500)
    session.commit()
    paid = client.post("/v1/medinsure/paylater/arrears/pay", headers=_auth(token, **{"idempotency-key": "pay-2"}))
    assert paid.status_code == 200 and paid.json()["collected_fen"] == 2_500
    again = client.post("/v1/medinsure/paylater/arrears/pay", headers=_auth(token, **{"idempotency-key": "pay-2"}))
    assert again.status_code == 200 and again.json() == paid.json()
    nothing = client.post("/v1/medinsure/paylater/arrears/pay", headers=_auth(token, **{"idempotency-key": "pay-3"}))
    assert nothing.status_code == 409 and nothing.json()["code"] == "paylater_no_arrears"
    assert client.get("/v1/medinsure/paylater", headers=_auth(token)).json()["eligible"] is True
    line = client.get("/v1/admin/medinsure/paylater/credit-line", headers=_auth(admin)).json()
    assert line["ledger_outstanding_fen"] == line["debts_outstanding_fen"] == 0
    session.rollback()
    assert wallet_fen(session, c.public_id) == 0
    assert_accounted(session)
