"""Taxes through the real app: the office issues (console form, signed upload), the citizen pays in
the app and gets a receipt with a QR; the public verify page checks it; paying twice is refused.
Concurrency on PostgreSQL: the same assessment paid from two sessions at once is paid once."""

from __future__ import annotations

import io
import json
import os
import re
from collections import Counter
from datetime import date
from typing import Any

import pytest
import zxingcpp
from PIL import Image

from onecity.db import transaction
from onecity.errors import DomainError
from onecity.identity.orgs.signatures import sign_request
from onecity.identity.sessions import create_session
from onecity.payments.wallet import service as wallet
from onecity.services.taxes import service
from tests.concurrency_helpers import run_all
from tests.console_steps import console_login, csrf_of
from tests.identity.factories import login_token
from tests.identity.family.factories import person
from tests.identity.orgs.factories import make_api_key
from tests.payments.trade.factories import fund_wallet
from tests.services.taxes.factories import Bureau, assess


def test_issue_in_the_console_pay_in_the_app_verify_in_public(client: Any, session: Any, bureau: Bureau) -> None:
    p = person(session)
    fund_wallet(session, p.id, 100_000)
    token, _ = create_session(session, kind="citizen", subject_id=p.id, credential="cookie", label="test")
    session.commit()
    console_login(client, bureau.staff.username, next="/console/services/taxes")
    form = client.get("/console/services/taxes")
    r = client.post("/console/services/taxes/assessments", follow_redirects=False,
                    data={"csrf": csrf_of(form.text), "id_number": p.id_number, "item": "vehicle_vessel",
                          "period": "2026", "amount": "360.00", "due_on": "2026-12-31"})
    assert r.status_code == 303, r.text
    bad = client.post("/console/services/taxes/assessments",
                      data={"csrf": csrf_of(form.text), "id_number": p.id_number, "item": "vehicle_vessel",
                            "period": "2026-10", "amount": "360.00", "due_on": "2026-12-31"})
    assert bad.status_code == 422 and 'data-testid="error"' in bad.text
    client.cookies.clear()
    client.cookies.set("oc_session", token)
    home = client.get("/app/services/taxes")
    assert home.status_code == 200 and "车船税" in home.text and "360.00" in home.text
    aid = re.search(r'data-assessment="(txa_[^"]+)"', home.text).group(1)  # type: ignore[union-attr]
    paid = client.post("/app/services/taxes/pay", data={"csrf": csrf_of(home.text), "assessment_id": aid},
                       follow_redirects=False)
    assert paid.status_code == 303
    receipt = client.get(paid.headers["location"])
    assert 'data-testid="receipt-total">360.00<' in receipt.text and "<svg" in receipt.text
    twice = client.post("/app/services/taxes/pay", data={"csrf": csrf_of(home.text), "assessment_id": aid})
    assert twice.status_code == 409 and "已缴纳" in twice.text
    with transaction() as s:
        assert wallet.wallet_balance(s, p.id) == 64_000  # 1,000.00 − 360.00
        number = service.my_taxes(s, citizen_id=p.id).receipts[0].receipt_no
    verify_link = re.search(r'href="(/verify/tax-receipt/[^"]+)" data-testid="receipt-verify"', receipt.text)
    assert verify_link is not None
    client.cookies.clear()
    ok = client.get(verify_link.group(1).replace("&amp;", "&"))  # anyone, signed in or not
    assert ok.status_code == 200 and 'data-valid="true"' in ok.text
    assert client.get(f"/verify/tax-receipt/{number}?s=AAAA").status_code == 404
    assert client.get("/verify/tax-receipt/44030020261126999999").status_code == 404
    api = client.get(f"/v1/services/taxes/receipts/{number}/verify").json()
    assert api["valid"] is True and api["receipt"]["total_fen"] == 36_000
    # the public answer names the payer only masked: no platform citizen id, nothing to link people by
    assert "citizen_id" not in api["receipt"] and p.id not in json.dumps(api)
    assert p.id not in ok.text


def test_the_receipt_qr_points_at_the_verify_page(client: Any, session: Any, bureau: Bureau) -> None:
    p = person(session)
    fund_wallet(session, p.id, 100_000)
    r = service.pay(session, citizen_id=p.id, assessment_ids=[assess(session, bureau, p).assessment_id])
    token, _ = create_session(session, kind="citizen", subject_id=p.id, credential="cookie", label="test")
    session.commit()
    client.cookies.set("oc_session", token)
    page = client.get(f"/app/services/taxes/receipts/{r.receipt_no}")
    text = re.search(r'data-qr-text="([^"]+)"', page.text).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    assert text.endswith(f"/verify/tax-receipt/{r.receipt_no}?s={r.signature}")
    png = client.get(f"/app/services/taxes/receipts/{r.receipt_no}/qr.png")
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))[0].text == text
    client.cookies.clear()
    assert 'data-valid="true"' in client.get(text.split("testserver", 1)[1]).text


def test_signed_upload_and_api_payment(client: Any, session: Any, bureau: Bureau) -> None:
    p = person(session)
    fund_wallet(session, p.id, 400_000)
    app_id, pem = make_api_key(session, bureau.org, scopes=["operator"])
    token = login_token(session, p.citizen)
    session.commit()
    body = json.dumps({"assessments": [
        {"id_number": p.id_number, "item": "deed", "period": "2026-11", "amount_fen": 3_000_000 // 10,
         "due_on": "2026-12-10", "source_ref": "DEED-1"},
        {"id_number": p.id_number, "item": "iit_annual", "period": "2025", "amount_fen": 12_345,
         "due_on": "2027-06-30", "source_ref": "IIT-1"}]}).encode()
    path = "/v1/services/taxes/org/assessments"
    up = client.post(path, content=body, headers={**sign_request(pem, app_id, "POST", path, body),
                                                  "content-type": "application/json"})
    assert up.status_code == 200, up.text
    ids = [a["assessment_id"] for a in up.json()]
    auth = {"authorization": f"Bearer {token}"}
    r = client.post("/v1/services/taxes/payments", json={"assessment_ids": ids, "expected_fen": 312_345},
                    headers={**auth, "idempotency-key": "t1"})
    assert r.status_code == 201, r.text  # 3,000.00 + 123.45 = 3,123.45
    again = client.post("/v1/services/taxes/payments", json={"assessment_ids": ids}, headers={**auth,
                                                                                               "idempotency-key": "t2"})
    assert (again.status_code, again.json()["code"]) == (409, "tax_already_paid")
    with transaction() as s:
        assert wallet.wallet_balance(s, p.id) == 87_655  # 4,000.00 − 3,123.45


@pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                    reason="row locks and concurrent transactions are tested on PostgreSQL")
def test_the_same_assessment_paid_at_once_is_paid_once(session: Any, bureau: Bureau) -> None:
    p = person(session)
    fund_wallet(session, p.id, 100_000)
    a = assess(session, bureau, p, due_on=date(2026, 12, 31))
    session.commit()

    def call() -> Any:
        with transaction() as s:
            return service.pay(s, citizen_id=p.id, assessment_ids=[a.assessment_id])

    results = run_all([call for _ in range(4)], workers=4)
    codes = Counter(r.code if isinstance(r, DomainError) else "ok" for r in results)
    assert codes == {"ok": 1, "tax_already_paid": 3}, codes
    with transaction() as s:
        assert wallet.wallet_balance(s, p.id) == 64_000
