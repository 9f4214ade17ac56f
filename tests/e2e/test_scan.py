"""Scan-to-pay in a real browser: Chromium's fake camera plays a video of a merchant's dynamic QR
(made with segno), the page decodes it with jsQR and pays after confirmation; and a static QR sent as
an uploaded picture (decoded on the server with zxing-cpp), with the amount typed by the citizen."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import segno
from PIL import Image

from onecity.db import transaction
from onecity.identity.sessions import create_session
from onecity.payments.trade import service as trade
from onecity.payments.wallet import service as wallet
from tests.e2e.conftest import shot
from tests.payments.trade.factories import make_buyer, make_merchant

pytestmark = pytest.mark.e2e

SIZE = (640, 480)


def qr_image(payload: str, size: tuple[int, int] = SIZE) -> Image.Image:
    """The QR drawn on a grey counter top, as a camera would see a printed sign."""
    buf = io.BytesIO()
    segno.make(payload, error="m", micro=False).save(buf, kind="png", scale=7, border=4)
    qr = Image.open(buf).convert("RGB")
    canvas = Image.new("RGB", size, (150, 150, 150))
    canvas.paste(qr, ((size[0] - qr.width) // 2, (size[1] - qr.height) // 2))
    return canvas


def y4m(img: Image.Image, path: Path, *, frames: int = 10, fps: int = 5) -> Path:
    """A still video in YUV4MPEG2 (4:2:0, full-range BT.601), what --use-file-for-fake-video-capture plays."""
    ycc = np.asarray(img.convert("YCbCr"), dtype=np.float64)
    h, w = ycc.shape[:2]
    y = ycc[..., 0].round().astype(np.uint8)
    cb = ycc[..., 1].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8)
    cr = ycc[..., 2].reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)).round().astype(np.uint8)
    frame = y.tobytes() + cb.tobytes() + cr.tobytes()
    with path.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + frame)
    return path


@pytest.fixture
def shop() -> dict[str, Any]:
    with transaction() as s:
        merchant = make_merchant(s, name="西湖茶馆")
        buyer = make_buyer(s, balance=10_000)  # 100.00 yuan
        token, _ = create_session(
            s, kind="citizen", subject_id=buyer.public_id, credential="cookie", label="e2e"
        )
        order = trade.precreate(
            s, merchant_id=merchant.public_id, out_trade_no="TEA-1", amount=2_550, subject="龙井茶"
        )
        static = trade.static_qr_payload(s, merchant.public_id)
    return {
        "merchant": merchant.public_id,
        "buyer": buyer.public_id,
        "token": token,
        "order": order,
        "static": static,
    }


def _phone(browser: Any, live_server: str, token: str) -> Any:
    ctx = browser.new_context(
        viewport={"width": 390, "height": 844}, device_scale_factor=2, locale="zh-CN", base_url=live_server
    )
    ctx.add_cookies([{"name": "oc_session", "value": token, "url": live_server}])
    return ctx


@pytest.fixture
def camera_phone(
    launch_browser: Any, live_server: str, shop: dict[str, Any], tmp_path: Path
) -> Iterator[Any]:
    video = y4m(qr_image(shop["order"].qr_code), tmp_path / "merchant-qr.y4m")
    browser = launch_browser(
        extra_args=[
            "--use-fake-ui-for-media-stream",
            "--use-fake-device-for-media-stream",
            f"--use-file-for-fake-video-capture={video}",
        ]
    )
    ctx = _phone(browser, live_server, shop["token"])
    yield ctx.new_page()
    ctx.close()
    browser.close()


def test_scan_a_dynamic_qr_with_the_camera_and_pay(camera_phone: Any, shop: dict[str, Any]) -> None:
    page = camera_phone
    page.goto("/app")
    page.get_by_test_id("svc-scan").click()
    # The camera finds the code and the page posts it: the confirmation shows the order's amount.
    page.get_by_test_id("scan-confirm").wait_for(timeout=20_000)
    assert page.get_by_test_id("merchant-name").inner_text() == "西湖茶馆"
    assert page.get_by_test_id("scan-amount").inner_text() == "¥25.50"
    shot(page, "scan-01-confirm")
    page.get_by_test_id("scan-pay").click()
    result = page.get_by_test_id("pay-result")
    assert result.get_attribute("data-status") == "TRADE_SUCCESS"
    assert result.get_attribute("data-trade-no") == shop["order"].trade_no
    shot(page, "scan-02-paid")
    with transaction() as s:  # 100.00 − 25.50 = 74.50
        assert wallet.wallet_balance(s, shop["buyer"]) == 7_450
        assert trade.query(s, merchant_id=shop["merchant"], out_trade_no="TEA-1").status == "TRADE_SUCCESS"


def test_upload_a_static_qr_type_the_amount_and_pay(
    browser: Any, live_server: str, shop: dict[str, Any], tmp_path: Path
) -> None:
    picture = tmp_path / "sign.jpg"
    qr_image(shop["static"]).rotate(8, expand=True, fillcolor=(150, 150, 150)).save(picture, quality=85)
    ctx = _phone(browser, live_server, shop["token"])
    page = ctx.new_page()
    try:
        page.goto("/app/scan")  # no camera in this browser: the upload is the way
        page.get_by_test_id("scan-upload").set_input_files(str(picture))
        page.get_by_test_id("scan-upload-submit").click()
        assert page.get_by_test_id("merchant-name").inner_text() == "西湖茶馆"
        page.get_by_test_id("scan-amount-input").fill("200.00")  # more than the wallet holds
        page.get_by_test_id("scan-pay").click()
        assert page.get_by_test_id("error").is_visible()
        shot(page, "scan-03-insufficient")
        page.get_by_test_id("scan-amount-input").fill("18.80")
        page.get_by_test_id("scan-note").fill("茶点")
        page.get_by_test_id("scan-pay").click()
        assert page.get_by_test_id("pay-result").get_attribute("data-status") == "TRADE_SUCCESS"
        assert page.get_by_test_id("result-amount").inner_text() == "¥18.80"
        shot(page, "scan-04-static-paid")
    finally:
        ctx.close()
    with transaction() as s:  # 100.00 − 18.80 = 81.20
        assert wallet.wallet_balance(s, shop["buyer"]) == 8_120
