"""Found in review: a phone number never sits in clear in a payment row, the history, the biller's
console or the reconciliation file (a top-up used to be recorded under `TOPUP:<whole number>`), and
autopay does not tell the holder it "did not go through" for a bill they have just paid themselves."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select

from onecity import clock
from onecity.db import transaction
from onecity.services.applications import service as applications
from onecity.services.bills import service
from onecity.services.bills.models import AutopayRun, BillPayment
from tests.services.bills.factories import (
    PHONE_NO,
    WATER_NO,
    citizen,
    install_sim,
    make_biller,
    phone_account,
    run_dispatch,
)

T0 = datetime(2026, 11, 25, 2, 0, tzinfo=UTC)  # 10:00 in Shenzhen


def test_a_top_up_keeps_the_phone_number_masked_and_still_reaches_the_biller(session):
    clock.freeze(T0)
    org, c, target = phone_account(session, balance=20_000)
    paid = service.top_up(session, target=target, amount=5_000, allowed=[5_000], actor=c.public_id)
    session.commit()
    assert run_dispatch().confirmed == 1  # the biller got the whole number: it topped up 13812345678
    session.expire_all()
    row = session.scalars(select(BillPayment)).one()
    assert row.state == "confirmed"
    masked = "13*****5678"  # first 2 and last 4 of 13812345678 kept
    assert row.bill_id == f"TOPUP:{masked}" and PHONE_NO not in row.bill_id
    assert PHONE_NO not in service.get_payment(session, payment_id=paid.payment_id).model_dump_json()
    assert all(PHONE_NO not in p.model_dump_json() for p in service.history(session, citizen_id=c.public_id))
    session.commit()
    with transaction() as s:
        f = service.generate(s, biller_org_id=org, day=date(2026, 11, 25))
        _, text = service.get_file(s, biller_org_id=org, file_id=f.file_id)
    assert f.count == 1 and f.total == 5_000
    assert PHONE_NO not in text and masked in text


def test_autopay_leaves_a_bill_the_holder_just_paid_without_a_failure_notice(session):
    due = date(2026, 11, 25)
    clock.freeze(T0 - timedelta(days=1))
    org = make_biller(session, "water")
    sim = install_sim(org)
    c = citizen(session, balance=50_000)
    session.commit()
    bill = sim.issue_bill(WATER_NO, period="2026-10", amount=8_640, due_date=due)
    acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=WATER_NO, alias="家",
                              actor=c.public_id)
    service.set_autopay(session, citizen_id=c.public_id, account_id=acc.account_id, enabled=True, limit=10_000,
                        actor=c.public_id)
    target = service.locate(session, citizen_id=c.public_id, account_id=acc.account_id, scope="pay_bills")
    session.commit()
    clock.freeze(T0)  # the due date, 10:00: the holder pays by hand; the advice has not gone out yet
    bills = service.fetch_from_biller(target)
    service.pay_bill(session, target=target, bills=bills, bill_id=bill, amount=8_640, actor=c.public_id)
    session.commit()
    before = len(applications.list_notices(session, citizen_id=c.public_id))
    session.commit()
    out = service.run_autopay()  # the biller still says "unpaid"; the platform knows it is paid here
    assert (out.paid, out.failed) == (0, 0)
    assert len(applications.list_notices(session, citizen_id=c.public_id)) == before
    assert session.scalar(select(AutopayRun.id)) is None  # not decided: a refused payment is paid next run
    # 500.00 − 86.40 = 413.60: paid once, by hand.
    from tests.services.bills.factories import wallet_fen

    assert wallet_fen(session, c.public_id) == 50_000 - 8_640


def test_an_agency_is_not_a_biller_on_the_biller_routes(session, client):
    from onecity.identity.orgs.signatures import sign_request
    from tests.identity.orgs.factories import make_api_key, make_org, make_staff, staff_token

    clock.freeze(T0)
    agency = make_org(session, kind="agency")
    app_id, pem = make_api_key(session, agency, scopes=["operator"])
    token = staff_token(session, make_staff(session, agency, roles=("owner",)))
    session.commit()
    url = "/v1/services/bills/org/payments"
    r = client.get(url, headers=sign_request(pem, app_id, "GET", url))
    assert r.status_code == 404 and r.json()["code"] == "biller_not_found", r.text
    for url in ("/v1/services/bills/org/payments", "/v1/services/bills/org/recon-files"):
        r = client.get(url, headers={"authorization": f"Bearer {token}"})
        assert r.status_code == 404 and r.json()["code"] == "biller_not_found", r.text
    body = '{"ref": "bpy_x", "accepted": true}'
    url = "/v1/services/bills/org/acks"
    r = client.post(url, content=body, headers={**sign_request(pem, app_id, "POST", url, body),
                                                "content-type": "application/json"})
    assert r.status_code == 404 and r.json()["code"] == "biller_not_found"


def test_a_malformed_answer_from_an_http_biller_is_a_retry_not_a_crash(session):
    import httpx
    import pytest

    from onecity.services.bills.errors import BillerUnavailable

    clock.freeze(T0)
    org = make_biller(session, "water", connector="http", endpoint="https://biller.example/api")
    c = citizen(session, balance=20_000)
    session.commit()
    route = service.Route(org, "water", "http", "https://biller.example/api")
    target = service.Target(0, "bac_x", c.public_id, c.public_id, WATER_NO, route)
    for answer in ({"nope": []}, {"bills": [{"bill_id": "b"}]}, {"bills": [{"bill_id": "b", "period": "p",
                                                                             "amount": 1, "due_date": "soon"}]}):
        service.use_connector(org, service.HttpBiller("https://biller.example/api", transport=httpx.MockTransport(
            lambda r, a=answer: httpx.Response(200, json=a))))
        with pytest.raises(BillerUnavailable):  # was KeyError / ValueError: a 500 in the citizen's request
            service.fetch_from_biller(target)
    service.use_connector(org, service.HttpBiller("https://biller.example/api", transport=httpx.MockTransport(
        lambda r: httpx.Response(200, text="<html>maintenance</html>"))))
    with pytest.raises(service.BillerDown):
        service.connector(route).pay("B1", 100, "bpy_1")
    with pytest.raises(service.BillerDown):
        service.connector(route).status("bpy_1")


def test_the_account_limit_has_its_own_code_and_adds_nothing(session):
    # The 31st account was refused as `bill_account_exists` ("already in your list"), which it is not.
    import pytest
    from sqlalchemy import func

    from onecity.errors import DomainError
    from onecity.services.bills.models import BillAccount
    from onecity.services.bills.service.accounts import MAX_ACCOUNTS

    phone = make_biller(session, "phone")
    c = citizen(session)
    for n in range(MAX_ACCOUNTS):
        service.add_account(session, citizen_id=c.public_id, biller_org_id=phone, account_no=f"1380000{n:04d}",
                            alias=f"号码{n}", actor=c.public_id)
    with pytest.raises(DomainError) as e:
        service.add_account(session, citizen_id=c.public_id, biller_org_id=phone, account_no="13900000000",
                            alias="多一个", actor=c.public_id)
    assert e.value.code == "bill_accounts_too_many" and e.value.status == 409
    assert session.scalar(select(func.count()).select_from(BillAccount)) == MAX_ACCOUNTS


def test_one_advice_that_fails_unexpectedly_does_not_stop_the_others(session):
    # Before: the exception left `dispatch` and, the failing advice being first by due time, every run
    # stopped at it: no other payment of any biller reached its biller.
    from tests.services.bills.factories import add_and_pay

    clock.freeze(T0)
    broken, water = make_biller(session, "water"), make_biller(session, "water")
    sims = install_sim(broken), install_sim(water)
    c = citizen(session, balance=50_000)
    session.commit()
    b1 = sims[0].issue_bill(WATER_NO, period="2026-10", amount=1_000, due_date=date(2026, 12, 1))
    b2 = sims[1].issue_bill(WATER_NO, period="2026-10", amount=2_000, due_date=date(2026, 12, 1))
    first = add_and_pay(session, citizen_id=c.public_id, org_id=broken, account_no=WATER_NO, bill_id=b1, amount=1_000)
    clock.advance(timedelta(seconds=1))
    second = add_and_pay(session, citizen_id=c.public_id, org_id=water, account_no=WATER_NO, bill_id=b2, amount=2_000,
                         alias="公司")

    class Broken:
        kind = "simulator"

        def fetch(self, account_no: str) -> list:  # type: ignore[type-arg]
            return []

        def pay(self, bill_id: str, amount: int, ref: str) -> service.Ack:
            raise RuntimeError("a bug in the connector")

        def status(self, ref: str) -> service.AdviceStatus:
            raise RuntimeError("a bug in the connector")

    service.use_connector(broken, Broken())  # type: ignore[arg-type]
    out = service.dispatch()
    assert (out.sent, out.acknowledged, out.retried) == (1, 1, 1)
    session.expire_all()
    rows = {p.public_id: p for p in session.scalars(select(BillPayment))}
    assert rows[second].state == "acknowledged"
    assert (rows[first].state, rows[first].attempts, rows[first].last_error) == ("pending", 1, "unexpected RuntimeError")
    assert clock.aware(rows[first].next_action_at) > clock.now()  # backed off, not first in line forever
