"""Signing out on a shared browser (Chromium) leaves nothing that rides on the citizen's account.

1. A citizen signs in with their password, opens the ride screen (device key and certificate in
   IndexedDB, the screen cached by the service worker) and signs out on the sign-out page. The ride
   code's database, the service worker and its caches, the ride counters and the wallet's cached
   certificates are gone (the wallet's holder key stays: claimed certificates are bound to it); with the
   network cut the ride screen no longer opens. The worker delivers the sign-out: the certificate's
   serial is on the gates' deny-list delta and a gate refuses the last code the screen showed.
2. Another citizen signs in on the same browser: the ride screen provisions a new key and certificate
   carrying the new rider reference, and their codes open the gate.
3. Without a sign-out (the first citizen's session ended elsewhere), the second citizen's ride screen
   drops the key and certificate kept for the first before provisioning its own.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
import zxingcpp
from PIL import Image
from playwright.sync_api import Error as PlaywrightError

from onecity import outbox
from onecity.app import load_subscribers
from onecity.db import transaction
from onecity.transit import service
from onecity.transit.gate import Gate, GatePlace
from onecity.transit.ridecode import code as ridecode
from onecity.transit.ridecode.keys import KeySet
from tests.e2e.conftest import shot
from tests.e2e.steps import citizen_context
from tests.identity.factories import fresh_mobile, make_citizen
from tests.payments.trade.factories import fund_wallet
from tests.transit.platform.factories import make_network

pytestmark = pytest.mark.e2e

PASSWORD = "ride2026home"  # noqa: S105 - a test citizen's password

# What the browser keeps for the ride code and the wallet (read without the pages' own scripts).
BROWSER_STATE = """async () => {
  const names = (await indexedDB.databases()).map((d) => d.name);
  function request(r) { return new Promise((ok, no) => { r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); }); }
  async function keys(name, store) {
    if (!names.includes(name)) return null;
    const db = await request(indexedDB.open(name));
    try {
      if (!db.objectStoreNames.contains(store)) return [];
      return await request(db.transaction(store).objectStore(store).getAllKeys());
    } finally { db.close(); }
  }
  return {
    rideKeys: await keys("onecity-transit", "keys"), rideCerts: await keys("onecity-transit", "certs"),
    walletKeys: await keys("onecity-wallet", "keys"), walletCerts: await keys("onecity-wallet", "certs"),
    caches: await caches.keys(),
    workers: (await navigator.serviceWorker.getRegistrations()).map((r) => new URL(r.scope).pathname),
    counters: Object.keys(localStorage).filter((k) => k.startsWith("oc.transit.counter:")).sort(),
  };
}"""


@pytest.fixture
def city() -> Iterator[dict[str, Any]]:
    load_subscribers()
    with transaction() as s:
        make_network(s)
        people = {}
        for who in ("first", "second"):
            mobile = fresh_mobile()
            c = make_citizen(s, verified=True, mobile=mobile, password=PASSWORD)
            fund_wallet(s, c.public_id, 2_000)
            people[who] = {"id": c.public_id, "mobile": mobile}
    yield people


def _sign_in(page: Any, mobile: str) -> None:
    """The citizen app's password sign-in, straight back to the ride screen."""
    page.goto("/app/login?mode=password&next=/app/transit/ride")
    page.get_by_test_id("mobile").fill(mobile)
    page.get_by_test_id("password").fill(PASSWORD)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/app/transit/ride")


def _ready(page: Any) -> dict[str, str]:
    page.wait_for_function(
        "(() => { const r = document.getElementById('ride'); "
        "return r && r.dataset.state === 'ready' && Number(r.dataset.seq) > 0; })()"
    )
    ride = page.get_by_test_id("ride")
    return {k: ride.get_attribute(f"data-{k}") or "" for k in ("serial", "rider-ref", "code-serial")}


def _shown(page: Any) -> tuple[str, ridecode.RideCode]:
    found = zxingcpp.read_barcodes(
        Image.open(io.BytesIO(page.get_by_test_id("ride-qr").screenshot())),
        formats=zxingcpp.BarcodeFormat.QRCode,
    )
    assert found, "no QR code in the screenshot"
    text = str(found[0].text)
    return text, ridecode.parse_code(ridecode.decode_qr(text))


def _gate(since: int | None = None) -> Gate:
    """A gate holding the platform's keys and the deny-list (whole, or the delta since `since` applied
    to the whole list at that version, as a gate does)."""
    with transaction() as s:
        gate = Gate(
            GatePlace("g-S01-in", "S01", "metro", "in"),
            KeySet([k.public_key for k in service.keys.published_keys(s)]),
        )
        gate.deny.update(service.deny.whole(s))
    return gate


def _rider_ref(citizen_id: str) -> str:
    with transaction() as s:
        return service.rider_summary(s, citizen_id).rider_ref


def test_signing_out_forgets_the_ride_code_and_the_gates_refuse_it(
    browser: Any, live_server: str, city: dict[str, Any]
) -> None:
    first, second = city["first"], city["second"]
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN", base_url=live_server
    )
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    _sign_in(page, first["mobile"])
    shown = _ready(page)
    assert shown["rider-ref"] == _rider_ref(first["id"]) and shown["serial"] == shown["code-serial"]
    text, code = _shown(page)
    assert str(code.certificate.serial) == shown["serial"]
    gate_before = _gate()
    assert gate_before.check(text, now=code.ts + 1).ok
    page.evaluate("navigator.serviceWorker.ready")
    # the wallet on this phone holds a claimed certificate too (its cached copy and its holder key)
    page.evaluate(
        """async (cid) => {
        const db = OneCityDevice.database("onecity-wallet", ["keys", "certs"]);
        await OneCityDevice.deviceKey(db, "holder:" + cid);
        await db.put("certs", "cred_e2e", { credential_id: "cred_e2e", certificates: { full: "AAAA" } });
      }""",
        first["id"],
    )
    before = page.evaluate(BROWSER_STATE)
    assert before["rideKeys"] == [first["id"]] and before["rideCerts"] == [first["id"]]
    assert before["caches"] == ["onecity-transit-v2"] and before["workers"] == ["/app/transit/"]
    assert before["counters"] == [f"oc.transit.counter:{first['id']}"]
    assert before["walletCerts"] == ["cred_e2e"]
    with transaction() as s:
        version_before = service.deny.current_version(s)

    # Sign out on the sign-out page.
    page.goto("/app/logout")
    shot(page, "transit-signout-01-confirm")
    page.get_by_test_id("logout").click()
    page.wait_for_url("**/app?done=signed_out")
    after = page.evaluate(BROWSER_STATE)
    assert after["rideKeys"] is None and after["rideCerts"] is None  # the ride code's database is gone
    assert after["caches"] == [] and after["workers"] == [] and after["counters"] == []
    assert after["walletCerts"] == [] and after["walletKeys"] == [f"holder:{first['id']}"]
    # with the network cut, the ride screen no longer opens from a cache
    ctx.set_offline(True)
    with pytest.raises(PlaywrightError):
        page.goto("/app/transit/ride")
    ctx.set_offline(False)

    # The worker delivers the sign-out: the gates' next delta carries the certificate's serial.
    outbox.run_once()
    with transaction() as s:
        delta = service.deny.delta(s, since=version_before)
        entry = next(e for e in service.deny.entries(s) if e.value == shown["serial"])
    assert delta["to_version"] == version_before + 1 and delta["add"]["serials"] == [int(shown["serial"])]
    assert entry.reason == "signed_out"
    gate_before.deny.update(delta)
    refused = gate_before.check(text, now=code.ts + 2)
    assert not refused.ok and refused.reason == "denied"

    # Another citizen signs in on the same browser: a new key and a certificate with their rider reference.
    _sign_in(page, second["mobile"])
    theirs = _ready(page)
    assert theirs["rider-ref"] == _rider_ref(second["id"]) != shown["rider-ref"]
    assert theirs["serial"] != shown["serial"]
    text2, code2 = _shown(page)
    assert code2.certificate.rider_ref.hex() == theirs["rider-ref"]
    assert code2.certificate.device_public != code.certificate.device_public
    assert gate_before.check(text2, now=code2.ts + 1).ok
    state = page.evaluate(BROWSER_STATE)
    assert state["rideKeys"] == [second["id"]] and state["rideCerts"] == [second["id"]]
    shot(page, "transit-signout-02-next-citizen")
    ctx.close()
    assert errors == [], errors


def test_the_ride_screen_drops_another_citizens_key_and_certificate(
    browser: Any, live_server: str, city: dict[str, Any]
) -> None:
    first, second = city["first"], city["second"]
    with transaction() as s:
        ctx = citizen_context(browser, live_server, s, first["id"])
    page = ctx.new_page()
    page.goto("/app/transit/ride")
    mine = _ready(page)
    # The first citizen's session ends elsewhere (no sign-out here); the second signs in on this browser.
    ctx.clear_cookies()
    with transaction() as s:
        other = citizen_context(browser, live_server, s, second["id"])
        ctx.add_cookies(other.cookies())
        other.close()
    page.goto("/app/transit/ride")
    theirs = _ready(page)
    assert theirs["rider-ref"] == _rider_ref(second["id"]) != mine["rider-ref"]
    assert theirs["serial"] != mine["serial"]
    state = page.evaluate(BROWSER_STATE)
    assert state["rideKeys"] == [second["id"]] and state["rideCerts"] == [second["id"]]
    assert state["counters"] == [f"oc.transit.counter:{second['id']}"]
    ctx.close()
