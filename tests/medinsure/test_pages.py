"""The medical-insurance pages through HTTP (the ASGI app, a web-session cookie): who gets in, CSRF,
the figures each page shows, masking of the patient at the institution, and every form's error path
(the browser walk-through is tests/e2e/test_medinsure_flow.py).

The bill is the worked one of tests/medinsure/test_settlement.py (employee, outpatient, level 3,
145 000 of the 150 000 deductible already used, personal account 8 000):
  total 24 300 = fund 10 395 + personal account 8 000 + wallet 5 905; line 3 (丙类 维生素C, 2 800) is
  paid by the wallet alone, so refunding it returns 2 800 to the wallet.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onecity import clock, db
from onecity.identity.sessions import create_session
from onecity.medinsure import service as med
from onecity.medinsure.pages.console import parse_fee_lines
from onecity.payments.wallet import service as wallet
from tests.identity.family.factories import make_face_grant, person
from tests.identity.orgs.factories import DEFAULT_PASSWORD, make_admin, make_staff
from tests.medinsure.factories import code_for, link_pay_medical, make_insured, set_accumulators
from tests.medinsure.test_settlement import BILL, FUND, PERSONAL, WALLET

FORM_BILL = {"code": [x["code"] for x in BILL], "quantity": [str(x["quantity"]) for x in BILL],
             "price": ["60.00", "45.00", "28.00", "10.00"]}


def citizen_client(app: Any, session: Session, who: Any) -> TestClient:
    token, _ = create_session(session, kind="citizen", subject_id=who.id, credential="cookie", label="test")
    session.commit()
    c = TestClient(app, base_url="http://testserver", follow_redirects=False)
    c.cookies.set("oc_session", token)
    return c


def staff_client(app: Any, username: str) -> TestClient:
    c = TestClient(app, base_url="http://testserver", follow_redirects=False)
    r = c.post("/console/login", data={"username": username, "password": DEFAULT_PASSWORD, "next": "/console"})
    assert r.status_code == 303, r.text
    return c


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf" value="([^"]+)"', html)
    assert m, "no CSRF token in the page"
    return m.group(1)


@pytest.fixture(autouse=True)
def _keep_loaded(session: Session) -> None:
    """Factories' objects stay readable after a commit without a new transaction (on SQLite an open
    transaction of the test would lock the app out)."""
    session.expire_on_commit = False


def now(read: Any) -> Any:
    """Read what the app committed, in a session of its own (closed at once)."""
    with db.session_factory()() as s:
        return read(s)


def by_testid(html: str, name: str) -> str:
    m = re.search(rf'data-testid="{name}"[^>]*>([^<]*)<', html)
    assert m, name
    return m.group(1).strip()


@pytest.fixture
def patient(session, city):
    p = make_insured(session, personal=8_000, wallet=50_000)
    set_accumulators(session, p, outpatient=145_000, fund_paid=20_000)
    make_staff(session, city.hospital3, roles=["cashier"], username="h3.cashier")
    make_staff(session, city.hospital3, roles=["finance"], username="h3.finance")
    session.commit()
    return p


def test_signed_out_visitors_go_to_the_right_login(app, session):
    anon = TestClient(app, base_url="http://testserver", follow_redirects=False)
    for path in ("/app/medinsure", "/app/medinsure/code", "/app/medinsure/visits"):
        r = anon.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/app/login?next="), path
    for path in ("/console/medinsure", "/console/medinsure/fund"):
        r = anon.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/console/login?next="), path


def test_overview_shows_account_year_to_date_and_cover(app, session, city):
    p = make_insured(session, personal=8_000)
    set_accumulators(session, p, outpatient=30_000, fund_paid=123_456)
    c = citizen_client(app, session, p)
    page = c.get("/app/medinsure")
    assert page.status_code == 200
    assert by_testid(page.text, "personal-balance") == "¥80.00"
    # Employee 2026: the outpatient/pharmacy deductible is ¥1,500.00 a year, the cap ¥320,000.00.
    assert by_testid(page.text, "deductible-used") == "¥300.00 / ¥1500.00"
    assert by_testid(page.text, "fund-paid") == "¥1234.56 / ¥320000.00"
    assert "距封顶线还有 ¥318765.44" in page.text
    assert by_testid(page.text, "code-status") == "已激活" and by_testid(page.text, "paylater-status") == "未开通"
    assert 'data-testid="no-commercial"' in page.text
    en = c.get("/app/medinsure?lang=en")
    assert "Personal account" in en.text and "¥1234.56 / ¥320000.00" in en.text

    stranger = citizen_client(app, session, person(session))
    assert 'data-testid="not-insured"' in stranger.get("/app/medinsure").text


def test_code_is_activated_after_face_verification_and_refreshes(app, session, city):
    p = make_insured(session, activated=False)
    c = citizen_client(app, session, p)
    page = c.get("/app/medinsure/code")
    assert page.status_code == 200 and 'data-testid="activate-needed"' in page.text
    assert "/app/face?act=medinsure.activate_code&amp;next=%2Fapp%2Fmedinsure%2Factivate" in page.text
    face = c.get("/app/face?act=medinsure.activate_code")
    assert "激活医保码" in face.text

    grant = make_face_grant(session, p.citizen, act="medinsure.activate_code")
    session.commit()
    form = c.get(f"/app/medinsure/activate?face_grant={grant}")
    assert form.status_code == 200 and 'data-testid="activate"' in form.text
    refused = c.post("/app/medinsure/activate", data={"csrf": "forged", "face_grant": grant})
    assert refused.status_code == 403 and not now(lambda s: med.get_insured(s, citizen_id=p.id).code_activated)
    r = c.post("/app/medinsure/activate", data={"csrf": csrf_of(form.text), "face_grant": grant})
    assert r.status_code == 303 and r.headers["location"] == "/app/medinsure/code?done=activated"
    assert now(lambda s: med.get_insured(s, citizen_id=p.id).code_activated)
    again = c.post("/app/medinsure/activate", data={"csrf": csrf_of(form.text), "face_grant": grant})
    assert again.status_code >= 400 and "data-testid=\"error\"" in again.text  # a grant works once

    shown = c.get("/app/medinsure/code?done=activated")
    assert "医保码已激活" in shown.text and "<svg" in shown.text
    text = by_testid(shown.text, "code-text")
    claims = med.verify_code(text)
    assert claims.insured_id == now(lambda s: med.get_insured(s, citizen_id=p.id).insured_id) and not claims.counter_consent
    assert shown.headers["cache-control"] == "no-store"
    nxt = c.get("/app/medinsure/code/next?consent=1").json()
    assert nxt["text"] != text and nxt["svg"].startswith("<svg") and nxt["refresh_seconds"] == 60
    assert med.verify_code(nxt["text"]).counter_consent


def test_a_guardian_shows_and_activates_a_linked_relatives_code(app, session, city):
    mum = make_insured(session, born=date(1962, 8, 1))
    son = make_insured(session, activated=False, born=date(1990, 3, 7))
    link_pay_medical(session, mum, son, relation="child")
    c = citizen_client(app, session, mum)
    page = c.get("/app/medinsure/code")
    assert f'data-citizen-id="{son.id}"' in page.text
    need = c.get(f"/app/medinsure/code?for={son.id}")
    assert 'data-testid="activate-needed"' in need.text
    grant = make_face_grant(session, mum.citizen, act="medinsure.activate_code")
    session.commit()
    form = c.get(f"/app/medinsure/activate?face_grant={grant}&for={son.id}")
    r = c.post("/app/medinsure/activate", data={"csrf": csrf_of(form.text), "face_grant": grant, "subject": son.id})
    assert r.status_code == 303 and son.id in r.headers["location"]
    shown = c.get(f"/app/medinsure/code?for={son.id}")
    assert med.verify_code(by_testid(shown.text, "code-text")).insured_id == \
        now(lambda s: med.get_insured(s, citizen_id=son.id).insured_id)
    # Without a link: refused.
    stranger = citizen_client(app, session, make_insured(session))
    assert stranger.get(f"/app/medinsure/code?for={son.id}").status_code == 403
    assert stranger.get(f"/app/medinsure/code/next?for={son.id}").status_code == 403


def test_counter_to_confirmation_to_refund(app, session, city, patient):
    staff = staff_client(app, "h3.cashier")
    home = staff.get("/console/medinsure")
    assert home.status_code == 200 and "鹏城市第一人民医院" in home.text
    text = code_for(session, patient)
    session.commit()
    assert staff.post("/console/medinsure/scan", data={"csrf": "x", "code": text,
                                                        "visit_type": "outpatient"}).status_code == 403
    r = staff.post("/console/medinsure/scan", data={"csrf": csrf_of(home.text), "code": text,
                                                    "visit_type": "outpatient"})
    assert r.status_code == 303
    visit_url = r.headers["location"].split("?")[0]
    visit_id = visit_url.rsplit("/", 1)[1]
    replay = staff.post("/console/medinsure/scan", data={"csrf": csrf_of(home.text), "code": text,
                                                         "visit_type": "outpatient"})
    assert replay.status_code == 409 and "data-testid=\"error\"" in replay.text  # the code was used up

    page = staff.get(r.headers["location"])
    assert "已建立就诊" in page.text and 'data-testid="fees-form"' in page.text
    csrf = csrf_of(page.text)
    bad = staff.post(f"{visit_url}/fees", data={**FORM_BILL, "code": ["NOPE", *FORM_BILL["code"][1:]], "csrf": csrf})
    assert bad.status_code == 422 and "第 1 行" in bad.text and "医保目录中没有该项目编码" in bad.text
    assert 'value="NOPE"' in bad.text  # what was typed stays in the form
    assert now(lambda s: med.get_visit(s, visit_id=visit_id).status) == "open"
    ok = staff.post(f"{visit_url}/fees", data={**FORM_BILL, "csrf": csrf})
    assert ok.status_code == 303
    r = staff.post(f"{visit_url}/presettle", data={"csrf": csrf})
    assert r.status_code == 303
    pre = staff.get(r.headers["location"])
    assert 'data-testid="waiting"' in pre.text and 'data-testid="settle"' not in pre.text
    assert "¥103.95" in pre.text and "¥80.00" in pre.text and "¥59.05" in pre.text
    assert staff.post(f"{visit_url}/settle", data={"csrf": csrf}).status_code == 403  # no counter consent

    # The citizen confirms on the confirmation screen.
    c = citizen_client(app, session, patient)
    assert [x["visit_id"] for x in c.get("/app/medinsure/updates").json()["pending"]] == [visit_id]
    screen = c.get(f"/app/medinsure/confirm/{visit_id}")
    assert screen.status_code == 200 and by_testid(screen.text, "confirm-total") == "¥243.00"
    assert by_testid(screen.text, "confirm-self-pay") == "¥59.05"
    payers = dict(re.findall(r'data-payer="(\w+)">\s*<span>[^<]*</span><strong data-testid="payer-fen">¥([\d.]+)',
                             screen.text))
    assert payers == {"fund": "103.95", "personal_account": "80.00", "wallet": "59.05"}
    assert "确认支付 ¥59.05" in screen.text
    forged = c.post(f"/app/medinsure/confirm/{visit_id}", data={"csrf": "nope", "chosen": "1"})
    assert forged.status_code == 403 and now(lambda s: med.get_visit(s, visit_id=visit_id).status) == "presettled"
    done = c.post(f"/app/medinsure/confirm/{visit_id}", data={"csrf": csrf_of(screen.text), "chosen": "1"})
    assert done.status_code == 303 and done.headers["location"] == f"/app/medinsure/visits/{visit_id}?done=settled"
    assert now(lambda s: wallet.wallet_balance(s, patient.id)) == 50_000 - WALLET
    detail = c.get(done.headers["location"])
    assert "结算成功" in detail.text and 'data-testid="receipt-id"' in detail.text
    receipt = c.get(f"/app/medinsure/visits/{visit_id}/receipt.json").json()
    assert med.verify_receipt(receipt["receipt"], receipt["signature"]).valid
    assert receipt["receipt"]["total_fen"] == FUND + PERSONAL + WALLET

    # The finance staff refunds line 3; a cashier may not refund.
    settled = staff.get(visit_url)
    assert 'data-testid="settlement-card"' in settled.text and 'data-testid="refund-form"' not in settled.text
    fin = staff_client(app, "h3.finance")
    page = fin.get(visit_url)
    assert 'data-testid="refund-form"' in page.text
    assert fin.post(f"{visit_url}/refund", data={"csrf": csrf_of(page.text)}).status_code == 422  # no line ticked
    r = fin.post(f"{visit_url}/refund", data={"csrf": csrf_of(page.text), "line": "3", "reason": "未取药"})
    assert r.status_code == 303
    after = fin.get(r.headers["location"])
    assert "退费成功" in after.text and by_testid(after.text, "refund-total") == "¥28.00"
    twice = fin.post(f"{visit_url}/refund", data={"csrf": csrf_of(page.text), "line": "3"})
    assert twice.status_code == 409  # a line is refunded once
    assert now(lambda s: wallet.wallet_balance(s, patient.id)) == 50_000 - WALLET + 2_800
    history = c.get("/app/medinsure/visits")
    assert by_testid(history.text, "visit-status") == "部分退费" and by_testid(history.text, "visit-refunded") == "已退 ¥28.00"
    mine = c.get(f"/app/medinsure/visits/{visit_id}")
    assert by_testid(mine.text, "refund-total") == "¥28.00" and 'class="refunded"' in mine.text


def test_counter_settles_with_consent_and_patient_is_masked(app, session, city, patient):
    staff = staff_client(app, "h3.cashier")
    home = staff.get("/console/medinsure")
    csrf = csrf_of(home.text)
    from onecity.payments.codes import service as paycodes

    paycodes.set_small_amount_limit(session, citizen_id=patient.id, limit_fen=10_000)
    text = code_for(session, patient, consent=True)
    session.commit()
    r = staff.post("/console/medinsure/scan", data={"csrf": csrf, "code": text, "visit_type": "outpatient"})
    visit_url = r.headers["location"].split("?")[0]
    csv_text = "code,quantity,unit_price\n" + "\n".join(
        f'{x["code"]},{x["quantity"]},{f}' for x, f in zip(BILL, FORM_BILL["price"], strict=True))
    assert staff.post(f"{visit_url}/fees", data={"csrf": csrf, "csv_text": csv_text}).status_code == 303
    staff.post(f"{visit_url}/presettle", data={"csrf": csrf})
    page = staff.get(visit_url)
    assert 'data-testid="settle"' in page.text and "窗口结算（个人支付 ¥59.05）" in page.text
    r = staff.post(f"{visit_url}/settle", data={"csrf": csrf})
    assert r.status_code == 303
    done = staff.get(r.headers["location"])
    assert "窗口结算" in done.text and 'data-testid="settlement-id"' in done.text
    # The whole bill back: every payer gets its share again.
    r = staff_client(app, "h3.finance").post(f"{visit_url}/refund", data={"csrf": csrf, "whole": "1"})
    assert r.status_code == 403  # another session's form token
    fin = staff_client(app, "h3.finance")
    r = fin.post(f"{visit_url}/refund", data={"csrf": csrf_of(fin.get(visit_url).text), "whole": "1"})
    assert r.status_code == 303
    assert by_testid(fin.get(visit_url).text, "visit-status") == "已退费"
    assert now(lambda s: wallet.wallet_balance(s, patient.id)) == 50_000
    assert now(lambda s: med.get_insured(s, citizen_id=patient.id).personal_balance_fen) == 8_000
    en = staff.get("/console/medinsure?lang=en")
    assert "Scan an insurance code" in en.text and "Refunded" in en.text
    # The institution sees the masked name and the insured number, never the citizen or the full name.
    for html in (done.text, staff.get("/console/medinsure").text):
        assert patient.name not in html and patient.id not in html and patient.id_number not in html
        assert patient.name[0] + "*" in html


def test_fee_lines_from_rows_and_csv():
    lines = parse_fee_lines(["A1", "", "B2"], ["2", "", "1"], ["1.50", "", "30"], "")
    assert lines == [{"line_no": 1, "code": "A1", "quantity": 2, "unit_price_fen": 150},
                     {"line_no": 2, "code": "B2", "quantity": 1, "unit_price_fen": 3000}]
    assert parse_fee_lines([], [], [], "code,quantity,unit_price\nA1, 3 ,0.05\n\n") == [
        {"line_no": 1, "code": "A1", "quantity": 3, "unit_price_fen": 5}]
    from onecity.errors import DomainError

    for bad in ("A1,x,1.00", "A1,1", "A1,1,1.234", ""):
        with pytest.raises(DomainError):
            parse_fee_lines([], [], [], bad)


def test_fund_page_for_administrators_only(app, session, city, patient):
    admin = make_admin(session)
    session.commit()
    h3 = city.hospital3.public_id
    v = med.scan_code(session, institution_org_id=h3, code=code_for(session, patient), visit_type="outpatient")
    med.upload_fees(session, institution_org_id=h3, visit_id=v.visit_id, lines=BILL)
    med.presettle(session, institution_org_id=h3, visit_id=v.visit_id)
    med.confirm(session, citizen_id=patient.id, visit_id=v.visit_id)
    session.commit()
    staff = staff_client(app, "h3.cashier")
    assert staff.get("/console/medinsure/fund").status_code == 403
    c = staff_client(app, admin.username)
    day = clock.today_local().date()
    page = c.get("/console/medinsure/fund")
    assert page.status_code == 200 and f'data-day="{day.isoformat()}"' in page.text
    assert by_testid(page.text, "fund-settlements") == "1" and by_testid(page.text, "fund-total") == "¥243.00"
    assert by_testid(page.text, "fund-fund") == "¥103.95" and by_testid(page.text, "fund-personal") == "¥80.00"
    assert by_testid(page.text, "fund-self") == "¥59.05" and by_testid(page.text, "fund-net") == "¥103.95"
    assert page.text.count('data-testid="fund-row"') == 7 and f"pengcheng/{day.year}/v1" in page.text
    yesterday = c.get(f"/console/medinsure/fund?day={(day - timedelta(days=1)).isoformat()}")
    assert by_testid(yesterday.text, "fund-settlements") == "0" and by_testid(yesterday.text, "fund-total") == "¥0.00"
    bad = c.get("/console/medinsure/fund?day=2026-13-40")
    assert bad.status_code == 422 and 'data-testid="error"' in bad.text
    # Administrators are not an institution: the counter pages say so.
    assert c.get("/console/medinsure").status_code == 403


def test_family_aid_and_pay_later_on_the_confirmation_screen(app, session, city):
    """The bill of tests/medinsure/test_family_and_counter.py (resident, level 2, deductible used): fund
    22.00, the rest 18.00; the daughter's personal account (10.00) pays 10.00 of it by family aid."""
    from onecity.medinsure.paylater import service as paylater
    from tests.medinsure.factories import open_visit
    from tests.medinsure.test_family_and_counter import RESIDENT_BILL
    from tests.payments.trade.factories import fund_wallet

    parent = make_insured(session, scheme="resident", born=date(1958, 11, 8))
    daughter = make_insured(session, personal=1_000)
    link_pay_medical(session, daughter, parent, relation="parent")
    set_accumulators(session, parent, outpatient=20_000)
    paylater.allow(session, citizen_id=parent.id, allowed=True, actor="test")
    vid = open_visit(session, city, parent, org=city.hospital2, lines=RESIDENT_BILL)
    med.presettle(session, institution_org_id=city.hospital2.public_id, visit_id=vid)
    c = citizen_client(app, session, parent)
    home = c.get("/app/medinsure")
    assert by_testid(home.text, "paylater-status") == "已开通，可在确认账单时选择先诊疗后付费"
    assert f'data-visit-id="{vid}"' in home.text  # waiting for confirmation

    screen = c.get(f"/app/medinsure/confirm/{vid}")
    assert f'value="{daughter.id}"' in screen.text and 'data-testid="pay-later-choice"' in screen.text
    chosen = c.get(f"/app/medinsure/confirm/{vid}?choose=1&family={daughter.id}&pay_later=1")
    masked = daughter.name[0] + "*"
    assert f"家庭共济（{masked}）" in chosen.text
    fens = dict(re.findall(r'data-payer="(\w+)">\s*<span>[^<]*</span><strong data-testid="payer-fen">¥([\d.]+)',
                           chosen.text))
    assert fens == {"fund": "22.00", "family": "10.00", "credit_line": "8.00"}
    r = c.post(f"/app/medinsure/confirm/{vid}", data={"csrf": csrf_of(chosen.text), "chosen": "1",
                                                       "family": daughter.id, "pay_later": "1"})
    assert r.status_code == 303
    detail = c.get(r.headers["location"])
    assert "先诊疗后付费" in detail.text and f"家庭共济（{masked}）" in detail.text
    home = c.get("/app/medinsure")
    assert by_testid(home.text, "paylater-open") == "¥8.00" and 'data-testid="pay-arrears"' not in home.text

    # Nothing in the wallet when the debt falls due: arrears, pay later suspended, then paid from the page.
    clock.advance(timedelta(days=paylater.due_days()))
    paylater.collect_due(session)
    c = citizen_client(app, session, parent)  # signed in again: a fortnight later the old session expired
    home = c.get("/app/medinsure")
    assert by_testid(home.text, "paylater-arrears") == "¥8.00" and "有逾期欠款" in home.text
    assert c.post("/app/medinsure/paylater/pay", data={"csrf": "x"}).status_code == 403
    fund_wallet(session, parent.id, 1_000)
    session.commit()
    r = c.post("/app/medinsure/paylater/pay", data={"csrf": csrf_of(home.text)})
    assert r.status_code == 303
    home = c.get(r.headers["location"])
    assert "欠款已还清" in home.text and by_testid(home.text, "paylater-arrears") == "¥0.00"
    assert now(lambda s: wallet.wallet_balance(s, parent.id)) == 200


def test_online_pharmacy_order_through_the_pages(app, session, city):
    """tests/medinsure/test_pharmacy.py's order: 阿司匹林 3 × 14.80 (fund 50 % = 22.20) and 维生素C 26.00
    outside the policy; the wallet pays 48.20 of 70.40."""
    p = make_insured(session, wallet=20_000)
    set_accumulators(session, p, outpatient=150_000)
    ph = city.pharmacy.public_id
    med.set_pharmacy_prices(session, org_id=ph, items=[("XB01ACA001A001", 1_480), ("XA11GAV001A001", 2_600)],
                            actor="test")
    c = citizen_client(app, session, p)
    assert f'href="/app/medinsure/pharmacy/{ph}"' in c.get("/app/medinsure/pharmacy").text
    shop = c.get(f"/app/medinsure/pharmacy/{ph}")
    assert shop.text.count('data-testid="item"') == 2 and "¥14.80" in shop.text
    bad = c.post(f"/app/medinsure/pharmacy/{ph}", data={"csrf": csrf_of(shop.text), "qty_XB01ACA001A001": "x"})
    assert bad.status_code == 422 and 'value="x"' in bad.text
    assert c.post(f"/app/medinsure/pharmacy/{ph}", data={"csrf": "x", "qty_XB01ACA001A001": "3"}).status_code == 403
    r = c.post(f"/app/medinsure/pharmacy/{ph}", data={"csrf": csrf_of(shop.text), "qty_XB01ACA001A001": "3",
                                                      "qty_XA11GAV001A001": "1"})
    assert r.status_code == 303 and r.headers["location"].startswith("/app/medinsure/confirm/vis_")
    screen = c.get(r.headers["location"])
    assert by_testid(screen.text, "confirm-total") == "¥70.40" and by_testid(screen.text, "confirm-self-pay") == "¥48.20"
    done = c.post(r.headers["location"], data={"csrf": csrf_of(screen.text), "chosen": "1"})
    assert done.status_code == 303
    assert now(lambda s: wallet.wallet_balance(s, p.id)) == 20_000 - 4_820


def test_commercial_cover_on_the_overview_and_the_confirmation_screen(app, session, city, patient):
    """A 惠民保 policy (80 % of the self-pay within the policy, no deductible, limit 500.00) on the worked
    bill: it pays 80 % of each line's within part — 5 300 → 4 240, 4 995 → 3 996, 510 → 408, together
    8 644; the personal account the remaining 24 300 − 10 395 − 8 644 = 5 261; the wallet nothing."""
    from tests.medinsure.commercial.factories import make_insurer, make_policy, make_product

    day = clock.today_local().date()
    insurer = make_insurer(session)
    product = make_product(session, insurer, deductible_fen=0)
    make_policy(session, insurer, patient.id, product, start=day.replace(month=1, day=1),
                end=day.replace(month=12, day=31))
    c = citizen_client(app, session, patient)
    home = c.get("/app/medinsure")
    assert "惠民保" in home.text and by_testid(home.text, "limit-left") == "¥500.00"
    h3 = city.hospital3.public_id
    v = med.scan_code(session, institution_org_id=h3, code=code_for(session, patient), visit_type="outpatient")
    med.upload_fees(session, institution_org_id=h3, visit_id=v.visit_id, lines=BILL)
    med.presettle(session, institution_org_id=h3, visit_id=v.visit_id)
    session.commit()
    screen = c.get(f"/app/medinsure/confirm/{v.visit_id}")
    fens = dict(re.findall(r'data-payer="(\w+)">\s*<span>[^<]*</span><strong data-testid="payer-fen">¥([\d.]+)',
                           screen.text))
    assert fens == {"fund": "103.95", "commercial": "86.44", "personal_account": "52.61"}
    assert "商业保险（惠民保）" in screen.text
    r = c.post(f"/app/medinsure/confirm/{v.visit_id}", data={"csrf": csrf_of(screen.text), "chosen": "1"})
    assert r.status_code == 303
    home = c.get("/app/medinsure")
    assert by_testid(home.text, "limit-left") == "¥413.56"  # 500.00 − 86.44
