"""Transit's pages through the ASGI app: the ride code screen (states), trips with fares and caps,
arrears payment, the e-bus card, and the operator console (taps, trips and corrections, revenue,
deny-list), with their guards and CSRF. Figures on the demo fare system (see
tests/transit/platform/test_platform_fares.py: metro 0–6 km ¥2, 6–12 km ¥3, maximum fare ¥25;
bus 600 ¥2 with ¥1 off after the metro; daily cap ¥30)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from onecity import clock
from onecity.identity.sessions import create_session
from onecity.payments.wallet import service as wallet
from onecity.transit import service
from onecity.transit.ridecode.certificate import parse_certificate
from tests.conftest import _wipe
from tests.console_steps import console_login, csrf_of
from tests.identity.factories import make_citizen
from tests.identity.orgs.factories import make_org, make_staff
from tests.payments.trade.factories import fund_wallet
from tests.transit.platform.factories import (
    Network,
    Rider,
    at,
    make_network,
    make_rider,
    rider_ref,
    set_clock,
    upload,
)


@pytest.fixture(autouse=True)
def _clean_state(database: str) -> Iterator[None]:
    """These tests use the database: the suite's per-test wipe (whatever tests/transit/conftest.py does)."""
    _wipe()
    clock.reset()
    yield
    clock.reset()


@pytest.fixture
def citizen_client(app: Any) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as c:
        yield c


def _as_citizen(c: TestClient, session: Session, citizen: Any) -> str:
    """Sign `citizen` in on `c`; returns the citizen id. The test's session ends its transaction
    here (on SQLite an open one would hold the app's requests back)."""
    citizen_id = str(citizen.public_id)
    token, _ = create_session(session, kind="citizen", subject_id=citizen_id, credential="cookie", label="t")
    session.commit()
    c.cookies.set("oc_session", token)
    return citizen_id


def _read(session: Session, fn: Any, *args: Any) -> Any:
    """Read through the test's session between requests, then end its transaction."""
    try:
        return fn(session, *args)
    finally:
        session.commit()


def _staff_login(c: TestClient, session: Session, org: Any, roles: list[str], username: str) -> None:
    make_staff(session, org, roles=roles, username=username)
    session.commit()
    console_login(c, username, next="/console/transit")


def _config(html: str) -> dict[str, Any]:
    m = re.search(r'<script type="application/json" id="ride-config">(.*?)</script>', html, re.S)
    assert m
    return dict(json.loads(m.group(1)))


def _day_of_rides(session: Session, net: Network, r: Rider) -> None:
    """Monday: S01 → S04 (¥2.00), S04 → S06 (¥2.00), bus 600 at 18:40 (¥2.00 − ¥1.00 transfer),
    uploaded at 23:00 (the platform refuses taps from its future)."""
    set_clock(at(0, "23:00"))
    metro = r.ride(at(0, "08:00"), "S01", at(0, "08:20"), "S04") + r.ride(at(0, "18:00"), "S04", at(0, "18:30"), "S06")
    assert upload(session, net.metro, metro).accepted == 4
    assert upload(session, net.bus, [r.tap(at(0, "18:40"), "B600-01", network="bus")]).accepted == 1


# --- citizen app ------------------------------------------------------------------------------------

def test_ride_page_guards_and_config(citizen_client: TestClient, session: Session) -> None:
    assert citizen_client.get("/app/transit/ride", follow_redirects=False).headers["location"].startswith("/app/login")
    unverified = make_citizen(session, verified=False)
    _as_citizen(citizen_client, session, unverified)
    r = citizen_client.get("/app/transit/ride", follow_redirects=False)
    assert r.status_code == 303 and "/app/real-name" in r.headers["location"]

    set_clock(at(0, "07:00"))
    rider = make_rider(session, balance=1_000, certify=False)
    cid = _as_citizen(citizen_client, session, rider.citizen)
    page = citizen_client.get("/app/transit/ride")
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    cfg = _config(page.text)
    assert cfg["citizenId"] == cid and cfg["blocked"] is False
    assert cfg["serverNow"] == at(0, "07:00") and cfg["certificateUrl"] == "/v1/transit/certificates"
    assert "/static/paycode/qrcode-generator.js" in page.text and "/static/transit/ride.js" in page.text
    assert 'data-state="loading"' in page.text and "乘车码" in page.text
    assert "Ride code" in citizen_client.get("/app/transit/ride?lang=en").text
    sw = citizen_client.get("/app/transit/sw.js")
    assert sw.status_code == 200 and sw.headers["content-type"].startswith("text/javascript")
    assert '"/app/transit/ride"' in sw.text
    assert citizen_client.get("/static/transit/ride.js").status_code == 200


def test_arrears_block_the_ride_code_until_paid(citizen_client: TestClient, session: Session) -> None:
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=0)  # an empty wallet: the debit fails
    _day_of_rides(session, net, r)
    set_clock(at(1, "05:00"))
    service.price_due(session)
    assert service.debit_due(session).failed == 1
    cid = _as_citizen(citizen_client, session, r.citizen)

    page = citizen_client.get("/app/transit/ride")
    assert _config(page.text)["blocked"] is True and 'data-state="blocked"' in page.text
    # ¥2.00 + ¥2.00 metro + ¥1.00 bus = ¥5.00 owed
    assert re.search(r'data-testid="arrears-amount">¥5\.00<', page.text)
    token = csrf_of(page.text)
    # the certificate API refuses a new certificate while in arrears
    refused = citizen_client.post("/v1/transit/certificates", json={"device_public_key": "A" * 43 + "="})
    assert refused.status_code in (409, 422)

    assert citizen_client.post("/app/transit/arrears/pay", data={"csrf": "forged", "back": "ride"},
                               follow_redirects=False).status_code == 403
    still = citizen_client.post("/app/transit/arrears/pay", data={"csrf": token, "back": "ride"}, follow_redirects=False)
    assert still.status_code == 409 and 'data-testid="error"' in still.text  # still no money
    fund_wallet(session, cid, 1_000)
    session.commit()
    paid = citizen_client.post("/app/transit/arrears/pay", data={"csrf": token, "back": "ride"}, follow_redirects=False)
    assert paid.status_code == 303 and paid.headers["location"] == "/app/transit/ride?done=paid"
    assert _read(session, wallet.wallet_balance, cid) == 1_000 - 500
    again = citizen_client.get("/app/transit/ride?done=paid")
    assert _config(again.text)["blocked"] is False and 'data-testid="notice"' in again.text


def test_trips_page_shows_fares_transfers_and_caps(citizen_client: TestClient, session: Session) -> None:
    set_clock(at(2, "05:00"))
    net = make_network(session)
    r = make_rider(session, balance=100_000)
    records = []
    for k in range(11):  # 11 rides S01 → S06 (¥3.00 each) on Wednesday: ¥33.00 capped at ¥30.00
        records += r.ride(at(2, f"{6 + k:02d}:00"), "S01", at(2, f"{6 + k:02d}:30"), "S06")
    set_clock(at(2, "23:30"))
    assert upload(session, net.metro, records).accepted == 22
    service.price_due(session)
    session.commit()
    _as_citizen(citizen_client, session, r.citizen)
    page = citizen_client.get("/app/transit/trips").text
    day = page.split('data-day="2026-11-25"', 1)[1]
    assert re.search(r'data-testid="day-uncapped">¥33\.00<', day) and re.search(r'data-testid="day-fares">¥30\.00<', day)
    assert page.count('data-testid="trip-leg"') == 11
    assert re.findall(r'data-testid="leg-charged">¥([\d.]+)<', page).count("3.00") == 10
    assert page.count('data-testid="leg-capped"') == 1 and "日封顶" in page
    assert "纺织城" in page and "开远门" in page  # stop names from the fare configuration
    assert "已计费 ¥30.00 · 已支付 ¥0.00" in page and "待支付 ¥30.00" in page
    assert 'data-testid="arrears"' in page  # due, not yet debited: shown with its pay button


def test_transfer_and_missing_tap_out_on_the_trips_page(citizen_client: TestClient, session: Session) -> None:
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=10_000)
    _day_of_rides(session, net, r)
    # never taps out (21:00: after the transfer window)
    lone = upload(session, net.metro, [r.tap(at(0, "21:00"), "S01")]).results[0].tap_id
    set_clock(at(1, "02:00"))
    service.price_due(session)
    session.commit()
    _as_citizen(citizen_client, session, r.citizen)
    page = citizen_client.get("/app/transit/trips?lang=en").text
    # ¥2.00 + ¥2.00 + (¥2.00 − ¥1.00) + ¥25.00 maximum fare = ¥30.00 (just at the daily cap)
    assert re.search(r'data-testid="day-fares">¥30\.00<', page)
    assert page.count('data-testid="leg-transfer"') == 1 and page.count('data-testid="leg-missing"') == 1
    assert "no tap out" in page and page.count('data-testid="claim-form"') == 1
    assert "已计费 ¥30.00" not in page and "Charged ¥30.00" in page
    # the rider says they left at 钟楼 S04 (5,200 m, ¥2.00): the day becomes ¥7.00 at once
    form = {"csrf": csrf_of(page), "tap_id": lone, "stop_id": "S04"}
    assert citizen_client.post("/app/transit/claims", data={**form, "csrf": "x"},
                               follow_redirects=False).status_code == 403
    done = citizen_client.post("/app/transit/claims", data=form, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == "/app/transit/trips?done=claimed"
    after = citizen_client.get(done.headers["location"]).text
    assert re.search(r'data-testid="day-fares">¥7\.00<', after) and 'data-testid="leg-corrected"' in after
    assert "Charged ¥7.00" in after and 'data-testid="claim-form"' not in after
    again = citizen_client.post("/app/transit/claims", data={**form, "tap_id": "tap_other"})
    assert again.status_code == 404 and 'data-testid="error"' in again.text


def test_e_bus_card_top_up_once_and_payment_mode(citizen_client: TestClient, session: Session) -> None:
    set_clock(at(0, "07:00"))
    r = make_rider(session, balance=10_000, certify=False)
    cid = _as_citizen(citizen_client, session, r.citizen)
    page = citizen_client.get("/app/transit/card").text
    assert re.search(r'data-testid="card-balance">¥0\.00<', page)
    form = {"csrf": csrf_of(page), "request_id": re.search(r'name="request_id" value="([^"]+)"', page).group(1),
            "amount": "50.00"}
    assert citizen_client.post("/app/transit/card/top-up", data={**form, "csrf": "x"},
                               follow_redirects=False).status_code == 403
    assert citizen_client.post("/app/transit/card/top-up", data=form, follow_redirects=False).status_code == 303
    assert citizen_client.post("/app/transit/card/top-up", data=form, follow_redirects=False).status_code == 303
    assert _read(session, wallet.wallet_balance, cid) == 5_000  # one top-up of ¥50.00, not two
    shown = citizen_client.get("/app/transit/card?done=topped_up").text
    assert re.search(r'data-testid="card-balance">¥50\.00<', shown)
    too_much = citizen_client.post("/app/transit/card/top-up", data={**form, "request_id": "web-2", "amount": "80.00"})
    assert too_much.status_code == 409 and 'data-testid="error"' in too_much.text
    assert citizen_client.post("/app/transit/card/mode", data={"csrf": form["csrf"], "mode": "card"},
                               follow_redirects=False).status_code == 303
    assert _read(session, service.rider_summary, cid).payment_mode == "card"
    assert 'value="card" checked' in citizen_client.get("/app/transit/card").text


# --- operator console -------------------------------------------------------------------------------

def test_console_taps_trips_and_correction(client: TestClient, session: Session) -> None:
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=10_000)
    ref = rider_ref(session, r)
    _day_of_rides(session, net, r)
    # 21:00: after the bus-to-metro transfer window (18:40 + 90 min), never taps out
    lone = upload(session, net.metro, [r.tap(at(0, "21:00"), "S01")]).results[0].tap_id
    set_clock(at(1, "01:30"))  # 4 h 30 min later: no tap out, the maximum fare
    service.price_due(session)
    session.commit()
    assert client.get("/console/transit/taps", follow_redirects=False).headers["location"].startswith("/console/login")
    _staff_login(client, session, net.metro.org, ["operator"], "metro.op")

    taps = client.get("/console/transit/taps").text
    assert taps.count('data-testid="tap-row"') == 5
    only_out = client.get("/console/transit/taps?direction=out").text
    assert only_out.count('data-testid="tap-row"') == 2
    assert client.get("/console/transit/taps?stop=S06&day=2026-11-23").text.count('data-testid="tap-row"') == 1
    assert client.get(f"/console/transit/taps?rider={ref}").text.count('data-testid="tap-row"') == 5

    trips = client.get("/console/transit/trips?day=2026-11-23").text
    # the metro's legs only: ¥2.00 + ¥2.00 + ¥25.00 (no tap out)
    assert trips.count('data-testid="trip-row"') == 3
    assert re.search(r'data-testid="trips-total">¥29\.00<', trips)
    token = csrf_of(trips)
    form = {"csrf": token, "tap_id": lone, "stop_id": "S04", "reason": "闸机记录", "day": "2026-11-23"}
    assert client.post("/console/transit/corrections", data={**form, "csrf": "x"},
                       follow_redirects=False).status_code == 403
    done = client.post("/console/transit/corrections", data=form, follow_redirects=False)
    assert done.status_code == 303 and "done=corrected" in done.headers["location"]
    after = client.get(done.headers["location"]).text
    # S01 → S04 is ¥2.00: ¥2.00 + ¥2.00 + ¥2.00
    assert re.search(r'data-testid="trips-total">¥6\.00<', after) and 'data-testid="notice"' in after
    bad = client.post("/console/transit/corrections", data={**form, "tap_id": "tap_nope"})
    assert bad.status_code == 404 and 'data-testid="error"' in bad.text
    # the operator role sees no revenue
    assert client.get("/console/transit/revenue", follow_redirects=False).status_code == 403


def test_console_revenue_per_day(client: TestClient, session: Session) -> None:
    set_clock(at(0, "07:00"))
    net = make_network(session)
    paying = make_rider(session, balance=10_000)
    broke = make_rider(session, balance=0)
    _day_of_rides(session, net, paying)
    assert upload(session, net.metro, broke.ride(at(0, "09:00"), "S01", at(0, "09:30"), "S06")).accepted == 2
    set_clock(at(1, "05:00"))
    service.price_due(session)
    run = service.debit_due(session)
    assert (run.paid, run.failed) == (1, 1)
    session.commit()
    _staff_login(client, session, net.metro.org, ["finance"], "metro.fin")
    page = client.get("/console/transit/revenue?since=2026-11-20&until=2026-11-24").text
    row = page.split('data-day="2026-11-23"', 1)[1].split("</tr>", 1)[0]
    # metro taps: 4 + 2; fares ¥4.00 paid + ¥3.00 failed (S01 → S06, 9,500 m)
    assert re.search(r'data-testid="rev-taps">6<', row)
    assert re.search(r'data-testid="rev-fares">¥7\.00<', row) and re.search(r'data-testid="rev-paid">¥4\.00<', row)
    assert re.search(r'data-testid="rev-failed">¥3\.00<', row) and re.search(r'data-testid="rev-due">¥0\.00<', row)
    # the rider in arrears is on the deny-list; finance may look but not change it
    deny = client.get("/console/transit/deny-list").text
    assert deny.count('data-testid="deny-row"') == 1 and 'data-kind="rider"' in deny
    assert 'data-testid="deny-add-form"' not in deny
    assert client.post("/console/transit/deny-list/add", data={"csrf": csrf_of(deny), "serial": "1"},
                       follow_redirects=False).status_code == 403


def test_console_deny_list_lost_phone(client: TestClient, session: Session) -> None:
    set_clock(at(0, "07:00"))
    net = make_network(session)
    r = make_rider(session, balance=1_000)
    serial = parse_certificate(r.certify(session)).serial
    set_clock(at(0, "07:05"))
    fresh = r.code_text(at(0, "07:05") - 5)  # shown 5 s ago
    stale = r.code_text(at(0, "07:05") - 61)  # a screenshot a minute old
    session.commit()
    _staff_login(client, session, net.bus.org, ["admin"], "bus.admin")
    page = client.get("/console/transit/deny-list").text
    assert 'data-testid="deny-empty"' in page
    token = csrf_of(page)

    def check(text: str, network: str = "metro") -> str:
        r = client.post("/console/transit/check", data={"csrf": token, "code": text, "network": network})
        assert r.status_code == 200
        m = re.search(r'data-testid="check-result" data-reason="(\w+)"', r.text)
        assert m
        return m.group(1)

    assert check(fresh) == "ok" and check(fresh, "bus") == "ok"
    assert check(stale) == "expired" and check(fresh[:100]) == "truncated" and check("HELLO") == "malformed"
    assert client.post("/console/transit/check", data={"csrf": "x", "code": fresh}).status_code == 403
    unknown = client.post("/console/transit/deny-list/add", data={"csrf": token, "serial": "12345"})
    assert unknown.status_code == 422 and 'data-testid="error"' in unknown.text
    assert client.post("/console/transit/deny-list/add", data={"csrf": "x", "serial": str(serial)},
                       follow_redirects=False).status_code == 403
    added = client.post("/console/transit/deny-list/add", data={"csrf": token, "serial": str(serial), "reason": "乘客来电挂失"},
                        follow_redirects=False)
    assert added.status_code == 303
    assert _read(session, service.deny.whole)["serials"] == [serial]
    listed = client.get("/console/transit/deny-list").text
    assert f'data-value="{serial}"' in listed and "挂失" in listed
    assert check(fresh) == "denied"  # gates refuse the lost phone's codes
    removed = client.post("/console/transit/deny-list/remove", data={"csrf": token, "serial": str(serial)},
                          follow_redirects=False)
    assert removed.status_code == 303
    wl = _read(session, service.deny.whole)
    assert wl["serials"] == [] and wl["version"] == 2
    assert check(fresh) == "ok"


def test_console_refuses_staff_of_other_organisations(client: TestClient, session: Session) -> None:
    shop = make_org(session, kind="merchant")
    _staff_login(client, session, shop, ["owner"], "shop.owner")
    r = client.get("/console/transit/taps")
    assert r.status_code == 404
