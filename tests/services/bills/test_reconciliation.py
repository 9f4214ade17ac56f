"""The daily reconciliation file: one per biller and Asia/Shanghai day, the day's confirmed payments
with a header and a footer total that match the ledger, signed (Ed25519, detached), downloadable by
the biller's finance staff in the console and through the signed org API."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from onecity import clock, jobs
from onecity.db import transaction
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.signatures import sign_request
from onecity.ledger import service as ledger
from onecity.services import collection
from onecity.services.bills import rules, service
from onecity.services.bills.service import signing
from tests.identity.orgs.factories import make_api_key, make_staff, staff_token
from tests.services.bills.factories import WATER_NO, citizen, install_sim, make_biller, run_dispatch

D = date(2026, 11, 25)


def _local(day: date, hh: int, mm: int) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=clock.CITY_TZ).astimezone(UTC)


def _pay(session, target, bill_id: str, amount: int) -> str:  # type: ignore[no-untyped-def]
    session.commit()
    bills = service.fetch_from_biller(target)
    pid = service.pay_bill(session, target=target, bills=bills, bill_id=bill_id, amount=amount,
                           actor=target.actor_id).payment_id
    session.commit()
    return pid


def _a_day_of_payments(session):  # type: ignore[no-untyped-def]
    clock.freeze(_local(D, 9, 0))
    org = make_biller(session, "water")
    sim = install_sim(org)
    c = citizen(session, balance=100_000)
    session.commit()
    bills = {p: sim.issue_bill(WATER_NO, period=p, amount=a, due_date=date(2026, 12, 1))
             for p, a in (("2026-07", 5_000), ("2026-08", 3_550), ("2026-09", 12_000), ("2026-10", 8_640))}
    acc = service.add_account(session, citizen_id=c.public_id, biller_org_id=org, account_no=WATER_NO, alias="家",
                              actor=c.public_id)
    target = service.locate(session, citizen_id=c.public_id, account_id=acc.account_id, scope="pay_bills")
    session.commit()
    # A: 86.40 paid at 10:00 on D, posted a few seconds later.
    a = _pay(session, target, bills["2026-10"], 8_640)
    run_dispatch()
    # E: 50.00 paid on D but the customer had paid it at the counter: refused and refunded.
    stale = service.fetch_from_biller(target)
    sim.pay_at_counter(bills["2026-07"])
    service.pay_bill(session, target=target, bills=stale, bill_id=bills["2026-07"], amount=5_000, actor=c.public_id)
    session.commit()
    run_dispatch()
    # B: 120.00 paid at 23:45 on D, posted before midnight.
    clock.freeze(_local(D, 23, 45))
    b = _pay(session, target, bills["2026-09"], 12_000)
    run_dispatch()
    # C: 35.50 paid at 00:05 on D+1: the next day's file.
    clock.freeze(_local(D + timedelta(days=1), 0, 5))
    c_id = _pay(session, target, bills["2026-08"], 3_550)
    run_dispatch()
    return org, c, (a, b, c_id)


def test_the_days_file_totals_match_the_ledger(session):
    import onecity.services.bills.jobs  # noqa: F401 - registers the jobs, as the worker's start-up does

    org, _, (a, b, c_id) = _a_day_of_payments(session)
    clock.freeze(_local(D + timedelta(days=1), 2, 0))
    ran = jobs.run_due()
    assert f"{org} {D}: 2 / 20640 fen" in ran["services.bills.reconcile"]
    clock.freeze(_local(D + timedelta(days=2), 2, 0))
    with transaction() as s:
        service.generate_due(s)
    files = {f.business_date: f for f in service.list_files(session, biller_org_id=org)}
    # D: A 86.40 + B 120.00 = 206.40 (8640 + 12000 = 20640 fen, 2 lines); E was refunded: not in it.
    # D+1: C 35.50 (3550 fen, 1 line).
    assert (files[D].count, files[D].total) == (2, 20_640)
    assert (files[D + timedelta(days=1)].count, files[D + timedelta(days=1)].total) == (1, 3_550)
    # The ledger agrees: the biller's payee account holds 86.40 + 120.00 + 35.50 (+ 50.00 − 50.00) = 241.90.
    assert collection.received(session, org) == 20_640 + 3_550 == 24_190
    assert ledger.check(session) == []
    meta, text = service.get_file(session, biller_org_id=org, file_id=files[D].file_id)
    assert rules.parse_recon_totals(text) == (2, 20_640)
    lines = [ln.split(",") for ln in text.splitlines()[2:-1]]
    assert [(ln[0], ln[3]) for ln in lines] == [(a, "8640"), (b, "12000")]
    assert all(ln[2] == WATER_NO[:2] + "****" + WATER_NO[-4:] for ln in lines)  # the account is masked
    assert lines[1][4].startswith("2026-11-25T23:4") and lines[1][4].endswith("+08:00")
    assert signing.verify(text.encode(), meta.signature, signing.public_pem())
    assert not signing.verify(text.replace("12000", "12001").encode(), meta.signature, signing.public_pem())
    # Made once: asking again returns the same file.
    again = service.generate(session, biller_org_id=org, day=D)
    assert again.file_id == files[D].file_id and again.signature == meta.signature


def test_billers_download_their_files_by_signed_api_and_in_the_console(session, client):
    org, _, _ = _a_day_of_payments(session)
    clock.freeze(_local(D + timedelta(days=1), 2, 0))
    other = make_biller(session, "gas")
    f = service.generate(session, biller_org_id=org, day=D)
    app_id, pem = make_api_key(session, orgs.get_org(session, org), scopes=["finance"])
    other_app, other_pem = make_api_key(session, orgs.get_org(session, other), scopes=["finance"])
    finance = staff_token(session, make_staff(session, orgs.get_org(session, org), roles=("finance",)), credential="cookie")
    operator = staff_token(session, make_staff(session, orgs.get_org(session, org), roles=("operator",)),
                           credential="cookie")
    session.commit()

    url = "/v1/services/bills/org/recon-files"
    listed = client.get(url, headers=sign_request(pem, app_id, "GET", url))
    assert listed.status_code == 200, listed.text
    assert [(x["business_date"], x["count"], x["total"]) for x in listed.json()] == [(D.isoformat(), 2, 20_640)]
    one = f"{url}/{f.file_id}"
    r = client.get(one, headers=sign_request(pem, app_id, "GET", one))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    key = client.get("/v1/services/bills/key").json()
    assert signing.verify(r.content, r.headers["x-onecity-recon-signature"], key["public_key_pem"])
    assert r.headers["x-onecity-recon-key-id"] == key["key_id"]
    # Another biller cannot see it; nobody unsigned can.
    assert client.get(one, headers=sign_request(other_pem, other_app, "GET", one)).status_code == 404
    assert client.get(url, headers=sign_request(other_pem, other_app, "GET", url)).json() == []
    assert client.get(one).status_code == 401

    client.cookies.set("oc_session", finance)
    page = client.get("/console/services/bills?day=2026-11-25")
    assert page.status_code == 200 and 'data-testid="recon-file"' in page.text and "206.40" in page.text
    csv = client.get(f"/console/services/bills/recon/{f.file_id}")
    assert csv.status_code == 200 and csv.content == r.content
    client.cookies.set("oc_session", operator)
    page = client.get("/console/services/bills?day=2026-11-25")
    assert page.status_code == 200 and 'data-testid="recon-file"' not in page.text  # payments only
    assert client.get(f"/console/services/bills/recon/{f.file_id}").status_code == 403
