"""The wallet in a real browser: bind a card, top up and see the money arrive once the (simulated)
bank confirms; a top-up the bank refuses shows as failed; a withdrawal after face verification with
Chromium's fake camera (the head-turn video of tests/e2e/test_face.py).

The bank is moved along by running the worker's periodic jobs in the test (`jobs.run_due`), with the
clock advanced past the bank's delay — the server runs in this process, so it sees the same clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from onecity import clock, jobs, outbox
from onecity.db import transaction
from onecity.identity import service as identity
from onecity.identity.face import service as face_service
from onecity.identity.sessions import create_session
from onecity.payments.bank import service as bank
from onecity.payments.wallet import service as wallet
from tests.e2e.conftest import shot
from tests.e2e.steps import FIXED_STEPS, face_photo, pass_face_check
from tests.identity.factories import make_citizen
from tests.payments.bank.factories import card_number, install_bank

pytestmark = pytest.mark.e2e


@pytest.fixture
def sim() -> Iterator[bank.SimulatedBank]:
    s = install_bank()
    yield s
    bank.use_channel(None)


def run_worker(seconds: float = 10.0) -> None:
    """What `onecity worker` does meanwhile: periodic jobs (the bank dispatch and the simulated bank)
    and outbox delivery, twice, with the bank's delay in between."""
    for _ in range(2):
        jobs.run_due()
        outbox.run_once()
        clock.advance(timedelta(seconds=seconds))


def _signed_in(context: Any, live_server: str, *, photo: bytes | None = None) -> tuple[str, str]:
    with transaction() as s:
        c = make_citizen(s, verified=True, photo=photo)
        token, _ = create_session(s, kind="citizen", subject_id=c.public_id, credential="cookie", label="e2e")
        name = identity.real_name(s, c.public_id) or ""
        cid = c.public_id
    context.add_cookies([{"name": "oc_session", "value": token, "url": live_server}])
    return cid, name


def _bind(page: Any, number: str, name: str) -> None:
    page.goto("/app/bank-cards")
    page.get_by_test_id("card-number").fill(f"{number[:4]} {number[4:8]} {number[8:12]} {number[12:]}")
    page.get_by_test_id("holder-name").fill(name)
    page.get_by_test_id("bind").click()
    assert page.get_by_test_id("notice").inner_text() == "银行卡已绑定"
    assert page.get_by_test_id("card-masked").inner_text() == f"6225 **** **** {number[-4:]}"


def _top_up(page: Any, amount: str) -> None:
    page.goto("/app/wallet")
    page.get_by_test_id("go-top-up").click()
    page.wait_for_url("**/app/wallet/top-up")
    page.get_by_test_id("amount").fill(amount)
    page.get_by_test_id("submit").click()
    page.wait_for_url("**/app/wallet?done=top_up")


def test_top_up_arrives_when_the_bank_confirms(page: Any, live_server: str, sim: bank.SimulatedBank) -> None:
    _cid, name = _signed_in(page.context, live_server)
    page.goto("/app")
    page.get_by_test_id("svc-wallet").click()
    page.wait_for_url("**/app/wallet")
    assert page.get_by_test_id("available").inner_text() == "0.00"
    shot(page, "wallet-01-empty")
    number = card_number()
    _bind(page, number, name)
    shot(page, "wallet-02-card-bound")
    _top_up(page, "88.80")
    assert page.get_by_test_id("notice").inner_text() == "充值已提交，银行确认后到账。"
    assert page.get_by_test_id("incoming").get_attribute("data-fen") == "8880"
    assert page.get_by_test_id("available").inner_text() == "0.00"
    row = page.get_by_test_id("bank-transfer")
    assert row.get_attribute("data-status") == "processing" and "银行处理中" in row.inner_text()
    shot(page, "wallet-03-top-up-processing")
    run_worker()
    page.reload()
    assert page.get_by_test_id("available").inner_text() == "88.80"
    assert page.get_by_test_id("bank-transfer").get_attribute("data-status") == "succeeded"
    item = page.get_by_test_id("history-item")
    assert "充值" in item.inner_text() and item.get_by_test_id("history-amount").inner_text() == "+88.80"
    shot(page, "wallet-04-top-up-arrived")
    page.goto("/app/wallet?lang=en")
    assert page.get_by_test_id("history-item").inner_text().startswith("Top-up")
    shot(page, "wallet-05-english")
    page.goto("/app/wallet?lang=zh-CN")


def test_a_top_up_the_bank_refuses_shows_as_failed(page: Any, live_server: str, sim: bank.SimulatedBank) -> None:
    _cid, name = _signed_in(page.context, live_server)
    number = card_number()
    sim.open_account(number, holder=name, status="frozen")  # the bank froze this card
    _bind(page, number, name)
    _top_up(page, "50")
    run_worker()
    page.reload()
    row = page.get_by_test_id("bank-transfer")
    assert row.get_attribute("data-status") == "failed"
    assert row.get_by_test_id("failure").inner_text() == "银行卡已冻结，请联系发卡行"
    assert page.get_by_test_id("available").inner_text() == "0.00"
    assert page.get_by_test_id("incoming").get_attribute("data-fen") == "0"
    shot(page, "wallet-06-top-up-failed")


def test_withdraw_after_face_verification(camera_browser: Any, live_server: str, sim: bank.SimulatedBank,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(face_service, "choose_steps", lambda: FIXED_STEPS)
    ctx = camera_browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2,
                                     locale="zh-CN", base_url=live_server)
    try:
        cid, name = _signed_in(ctx, live_server, photo=face_photo())
        number = card_number()
        with transaction() as s:
            card = bank.bind_card(s, citizen_id=cid, card_number=number, holder_name=name, actor=cid)
            wallet.top_up(s, citizen_id=cid, card_id=card.card_id, amount=100_000, actor=cid)
        run_worker()
        page = ctx.new_page()
        page.goto("/app/wallet")
        assert page.get_by_test_id("available").inner_text() == "1000.00"
        page.get_by_test_id("go-withdraw").click()
        page.wait_for_url("**/app/wallet/withdraw")
        shot(page, "wallet-07-withdraw-face-needed")
        page.get_by_test_id("verify-face").click()
        page.wait_for_url("**/app/face?**")
        pass_face_check(page, act="用于：钱包提现")
        page.wait_for_url("**/app/wallet/withdraw?face_grant=fgr_*")
        assert page.get_by_test_id("face-verified").is_visible()
        page.get_by_test_id("amount").fill("300")
        shot(page, "wallet-08-withdraw-form")
        page.get_by_test_id("submit").click()
        page.wait_for_url("**/app/wallet?done=withdrawal")
        assert page.get_by_test_id("available").inner_text() == "700.00"
        assert page.get_by_test_id("held").get_attribute("data-fen") == "30000"
        shot(page, "wallet-09-withdrawing")
        run_worker()
        page.reload()
        assert page.get_by_test_id("held").get_attribute("data-fen") == "0"
        first = page.get_by_test_id("bank-transfer").first
        assert (first.get_attribute("data-kind"), first.get_attribute("data-status")) == ("withdrawal", "succeeded")
        assert page.get_by_test_id("history-amount").first.inner_text() == "-300.00"
        shot(page, "wallet-10-withdrawn")
        assert sim.account_balance(number) == 10_000_000 - 100_000 + 30_000
    finally:
        ctx.close()
