"""The provident pages through the ASGI app with web-session cookies: the citizen's account and the
withdrawal (rules check → face page → confirm → result), a refused amount that changes nothing, and
the fund centre's console (only its staff; look-up, posting, opening, sealing)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlparse

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity.crypto.fields import blind_index
from onecity.identity.sessions import create_session
from onecity.payments.wallet import service as wallet
from onecity.services.provident import service
from onecity.services.provident.models import HpfDraft
from onecity.services.provident.service import WITHDRAW_ACT
from tests.identity.family.factories import Person, make_face_grant, person
from tests.identity.orgs.factories import make_org, make_staff
from tests.services.provident.factories import last_months, make_account, make_centre


def _cookie(client: TestClient, session: Session, kind: str, subject_id: str) -> str:
    token, row = create_session(session, kind=kind, subject_id=subject_id, credential="cookie", label="t")  # type: ignore[arg-type]
    session.commit()
    client.cookies.set("oc_session", token)
    return blind_index(row.public_id, purpose="csrf")[:32]


def _wang(session: Session) -> Person:
    make_centre(session)
    p = person(session)
    make_account(session, p.id, months=24)
    return p


def test_home_shows_balance_and_contributions(client: TestClient, session: Session) -> None:
    p = _wang(session)
    _cookie(client, session, "citizen", p.id)
    html = client.get("/app/services/provident").text
    assert 'data-testid="hpf-balance">¥86400.00<' in html
    assert html.count('data-testid="contribution-row"') == 24
    assert "连续缴存 24 个月" in html
    en = client.get("/app/services/provident?lang=en").text
    assert "24 months of continuous contributions" in en


def test_withdraw_rent_through_face_and_confirm(client: TestClient, session: Session) -> None:
    p = _wang(session)
    csrf = _cookie(client, session, "citizen", p.id)
    r = client.post("/app/services/provident/withdraw", data={"csrf": csrf, "reason": "rent", "amount": "1500.00"},
                    follow_redirects=False)
    assert r.status_code == 303
    target = urlparse(r.headers["location"])
    assert target.path == "/app/face" and parse_qs(target.query)["act"] == [WITHDRAW_ACT]
    nxt = parse_qs(target.query)["next"][0]
    grant = make_face_grant(session, p.citizen, act=WITHDRAW_ACT)
    session.commit()
    page = client.get(f"{nxt}&face_grant={grant}").text
    assert 'data-testid="confirm-amount">¥1500.00<' in page
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    r = client.post("/app/services/provident/withdraw/confirm", data=fields, follow_redirects=False)
    assert r.status_code == 303, r.text
    result = client.get(r.headers["location"]).text
    assert 'data-status="paid"' in result and "1500.00" in result
    session.expire_all()
    assert wallet.wallet_balance(session, p.id) == 150_000
    assert service.get_account(session, citizen_id=p.id).balance_fen == 8_640_000 - 150_000


def test_an_over_limit_amount_shows_the_error_and_changes_nothing(client: TestClient, session: Session) -> None:
    p = _wang(session)
    csrf = _cookie(client, session, "citizen", p.id)
    r = client.post("/app/services/provident/withdraw", data={"csrf": csrf, "reason": "rent", "amount": "2000.00"})
    assert r.status_code == 409
    assert "超过本期提取额度" in r.text and "最多可提取 ¥1500.00" in r.text
    r = client.post("/app/services/provident/withdraw", data={"csrf": csrf, "reason": "rent", "amount": "abc"})
    assert r.status_code == 422 and "请输入正确的金额" in r.text
    r = client.post("/app/services/provident/withdraw", data={"csrf": "wrong", "reason": "rent", "amount": "100"})
    assert r.status_code == 403
    # a forged confirmation without a face grant is refused too (the draft is real, the grant is not)
    r = client.post("/app/services/provident/withdraw", data={"csrf": csrf, "reason": "rent", "amount": "1500.00"},
                    follow_redirects=False)
    draft = parse_qs(urlparse(parse_qs(urlparse(r.headers["location"]).query)["next"][0]).query)["draft"][0]
    r = client.post("/app/services/provident/withdraw/confirm", data={
        "csrf": csrf, "draft": draft, "face_grant": "fgr_forged"})
    assert r.status_code == 403 and 'data-testid="error"' in r.text
    # and a confirmation without a (live) draft
    r = client.post("/app/services/provident/withdraw/confirm", data={
        "csrf": csrf, "draft": "hpd_nosuchdraft", "face_grant": "fgr_forged"})
    assert r.status_code == 404 and 'data-testid="error"' in r.text
    session.expire_all()
    assert service.withdrawals(session, citizen_id=p.id) == []
    assert service.get_account(session, citizen_id=p.id).available_fen == 8_640_000


def test_console_is_for_the_centres_staff(client: TestClient, session: Session) -> None:
    centre = make_centre(session)
    outsider = make_staff(session, make_org(session, kind="agency"), roles=["operator"])
    _cookie(client, session, "staff", outsider.public_id)
    r = client.get("/console/services/provident")
    assert r.status_code == 404 and "不是本市住房公积金管理中心" in r.text
    clerk = make_staff(session, centre, roles=["operator"])
    csrf = _cookie(client, session, "staff", clerk.public_id)
    assert client.get("/console/services/provident").status_code == 200

    p, employer = person(session), make_org(session)
    uscc, employer_name = employer.uscc, employer.name_zh
    session.commit()
    r = client.post("/console/services/provident/accounts", data={
        "csrf": csrf, "id_number": p.id_number, "employer_name": employer_name, "employer_uscc": uscc,
        "base": "10000", "employee_rate": "7.5", "employer_rate": "12"}, follow_redirects=False)
    assert r.status_code == 303, r.text
    no = r.headers["location"].split("/")[-1].split("?")[0]
    session.expire_all()
    acc = service.get_account(session, account_no=no)
    assert (acc.employee_rate_bp, acc.employer_rate_bp) == (750, 1200)
    session.rollback()
    page = client.get(f"/console/services/provident/accounts/{no}").text
    assert p.id_number not in page and acc.id_number_masked in page  # type: ignore[operator]

    r = client.post("/console/services/provident/postings", data={
        "csrf": csrf, "employer_uscc": uscc, "month": last_months(1)[0], "lines": f"{no}\n"},
        follow_redirects=False)
    assert r.status_code == 303, r.text
    # 10,000.00 × 7.5% = 750.00 and × 12% = 1,200.00: 1,950.00
    assert 'data-testid="console-balance">¥1950.00<' in client.get(f"/console/services/provident/accounts/{no}").text
    r = client.post("/console/services/provident/postings", data={
        "csrf": csrf, "employer_uscc": uscc, "month": last_months(2)[0], "lines": "000000000000"})
    assert r.status_code == 422 and "hpf_account_not_found" in r.text

    r = client.post("/console/services/provident/lookup", data={"csrf": csrf, "id_number": p.id_number},
                    follow_redirects=False)
    assert r.headers["location"] == f"/console/services/provident/accounts/{no}"
    r = client.post(f"/console/services/provident/accounts/{no}/status", data={
        "csrf": csrf, "status": "sealed", "reason": "离职 left"}, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/console/services/provident/accounts/{no}/status", data={
        "csrf": csrf, "status": "sealed", "reason": "again"})
    assert r.status_code == 409


def test_a_card_that_is_not_bound_is_refused_not_swapped_for_the_wallet(client: TestClient, session: Session) -> None:
    p = _wang(session)
    csrf = _cookie(client, session, "citizen", p.id)
    r = client.post("/app/services/provident/withdraw", follow_redirects=False,
                    data={"csrf": csrf, "reason": "rent", "amount": "1500.00", "card": "bcd_not_mine"})
    assert r.status_code == 422 and "银行卡" in r.text
    session.expire_all()
    assert int(session.scalar(select(func.count()).select_from(HpfDraft)) or 0) == 0
