"""The provident fund's JSON API through the ASGI app: a citizen's account and withdrawals (refusals
as problem+json with a stable code, nothing changed), the employer's signed monthly posting, and the
fund centre's staff routes (only the centre's staff)."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onecity.identity.orgs.signatures import sign_request
from onecity.payments.wallet import service as wallet
from onecity.services.provident import service
from onecity.services.provident.service import WITHDRAW_ACT
from tests.identity.factories import login_token
from tests.identity.family.factories import make_face_grant, person
from tests.identity.orgs.factories import make_api_key, make_org, make_staff, staff_token
from tests.services.provident.factories import last_months, make_account, make_centre


def _bearer(token: str, key: str | None = None) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"} | ({"Idempotency-Key": key} if key else {})


def test_citizen_reads_account_and_withdraws(client: TestClient, session: Session) -> None:
    make_centre(session)
    p = person(session)
    make_account(session, p.id, months=24)
    token = login_token(session, p.citizen)
    grant = make_face_grant(session, p.citizen, act=WITHDRAW_ACT)
    session.commit()
    h = _bearer(token)
    acc = client.get("/v1/services/provident/account", headers=h).json()
    assert acc["balance_fen"] == 8_640_000 and acc["continuous_months"] == 24
    assert len(client.get("/v1/services/provident/contributions", headers=h).json()) == 24
    q = client.post("/v1/services/provident/withdrawals/quote", headers=h, json={"reason": "rent", "amount_fen": 150_000})
    assert q.json()["outcome"] == "auto"

    r = client.post("/v1/services/provident/withdrawals", headers=_bearer(token, "k-over"),
                    json={"reason": "rent", "amount_fen": 200_000, "face_grant": grant})
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")
    assert r.json()["code"] == "hpf_over_limit" and r.json()["max_fen"] == 150_000
    session.expire_all()
    assert service.get_account(session, citizen_id=p.id).available_fen == 8_640_000  # nothing changed
    session.rollback()  # end the read (SQLite: the app's request needs the write lock)

    r = client.post("/v1/services/provident/withdrawals", headers=_bearer(token, "k-ok"),
                    json={"reason": "rent", "amount_fen": 150_000, "face_grant": grant})
    assert r.status_code == 201, r.text
    assert r.json()["status"] == "paid"
    again = client.post("/v1/services/provident/withdrawals", headers=_bearer(token, "k-ok"),
                        json={"reason": "rent", "amount_fen": 150_000, "face_grant": grant})
    assert again.json()["withdrawal_id"] == r.json()["withdrawal_id"]  # the Idempotency-Key replays it
    session.expire_all()
    assert wallet.wallet_balance(session, p.id) == 150_000
    session.rollback()
    listed = client.get("/v1/services/provident/withdrawals", headers=h).json()
    assert [w["withdrawal_id"] for w in listed] == [r.json()["withdrawal_id"]]
    st = client.get("/v1/services/provident/statement", headers=h).json()
    assert st["lines"][-1]["balance_after_fen"] == 8_640_000 - 150_000


def test_bad_input_is_a_problem(client: TestClient, session: Session) -> None:
    p = person(session)
    token = login_token(session, p.citizen)
    session.commit()
    r = client.get("/v1/services/provident/account", headers=_bearer(token))
    assert r.status_code == 404 and r.json()["code"] == "hpf_account_not_found"
    r = client.post("/v1/services/provident/withdrawals", headers=_bearer(token, "k1"),
                    json={"reason": "gambling", "amount_fen": 1, "face_grant": "x"})
    assert r.status_code == 422
    r = client.post("/v1/services/provident/withdrawals", headers=_bearer(token, "k2"),
                    json={"reason": "rent", "amount_fen": 1.5, "face_grant": "x"})
    assert r.status_code == 422


def test_employer_posts_its_month_by_signed_request(client: TestClient, session: Session) -> None:
    employer = make_org(session)
    app_id, priv = make_api_key(session, employer)
    p = person(session)
    acc = make_account(session, p.id, employer=employer, months=0)
    stranger = make_account(session, person(session).id, months=0)
    session.commit()
    month = last_months(1)[0]
    url = "/v1/services/provident/org/contributions"

    def post(body: dict[str, object]):  # type: ignore[no-untyped-def]
        raw = json.dumps(body).encode()
        return client.post(url, content=raw, headers=sign_request(priv, app_id, "POST", url, raw)
                           | {"Content-Type": "application/json"})

    r = post({"month": month, "lines": [{"account_no": acc.account_no}]})
    assert r.status_code == 200, r.text
    assert r.json()["total_fen"] == 360_000 and not r.json()["replayed"]  # 15,000.00 × 12% × 2
    assert post({"month": month, "lines": [{"account_no": acc.account_no}]}).json()["replayed"]
    r = post({"month": month, "lines": [{"account_no": stranger.account_no}]})
    assert r.status_code == 409 and r.json()["code"] == "hpf_posting_conflict"
    other_month = last_months(2)[0]
    r = post({"month": other_month, "lines": [{"account_no": stranger.account_no}]})
    assert r.status_code == 403 and r.json()["code"] == "hpf_not_the_employer"
    url2 = "/v1/services/provident/org/accounts"
    mine = client.get(url2, headers=sign_request(priv, app_id, "GET", url2, b"")).json()
    assert [a["account_no"] for a in mine] == [acc.account_no]


def test_only_the_centres_staff_use_the_centre_routes(client: TestClient, session: Session) -> None:
    centre = make_centre(session)
    clerk = staff_token(session, make_staff(session, centre, roles=["operator"]))
    outsider = staff_token(session, make_staff(session, make_org(session, kind="agency"), roles=["operator"]))
    p = person(session)
    employer = make_org(session)
    session.commit()
    body = {"citizen_id": p.id, "employer_name": employer.name_zh, "employer_uscc": employer.uscc,
            "base_fen": 1_000_000, "employee_rate_bp": 500, "employer_rate_bp": 500}
    r = client.post("/v1/services/provident/centre/accounts", headers=_bearer(outsider, "o1"), json=body)
    assert r.status_code == 404 and r.json()["code"] == "hpf_not_the_centre"
    r = client.post("/v1/services/provident/centre/accounts", headers=_bearer(clerk, "c1"), json=body)
    assert r.status_code == 201, r.text
    no = r.json()["account_no"]
    r = client.post(f"/v1/services/provident/centre/accounts/{no}/status", headers=_bearer(clerk, "c2"),
                    json={"status": "normal", "reason": "already normal"})
    assert r.status_code == 409 and r.json()["code"] == "hpf_illegal_status_change"
    r = client.post("/v1/services/provident/centre/contributions", headers=_bearer(clerk, "c3"),
                    json={"employer_uscc": employer.uscc, "month": last_months(1)[0], "lines": [{"account_no": no}]})
    assert r.status_code == 200 and r.json()["total_fen"] == 100_000  # 10,000.00 × 5% × 2
    assert client.get(f"/v1/services/provident/centre/accounts/{no}", headers=_bearer(clerk)).json()[
        "balance_fen"] == 100_000
    assert client.get("/v1/services/provident/centre/withdrawals?status=held", headers=_bearer(clerk)).json() == []
