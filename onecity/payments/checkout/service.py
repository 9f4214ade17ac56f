"""Checkout (收银台): the citizen's side of paying in person, over the payment code and trade.

It sits beside `codes` and `trade` (and depends on both) because trade consumes payment codes while
these pages show trade's orders: keeping them here keeps `codes` and `trade` free of a cycle.

- Scan-to-pay (扫码付): the citizen scans a merchant's EMVCo QR — with the camera (decoded in the
  browser) or as an uploaded image (decoded here with zxing-cpp) — sees the merchant's registered
  name and, for a dynamic code, the order's amount, confirms, and the wallet pays through trade.

Glossary: 收银台 checkout · 扫码付 scan to pay · 收款码 merchant QR · 待确认 awaiting confirmation.
"""

from __future__ import annotations

import io

from sqlalchemy.orm import Session

from onecity.errors import InvalidInput
from onecity.payments.checkout.schemas import ScanOut
from onecity.payments.codes.emvco import InvalidMerchantQr, MerchantQr, parse_merchant_qr
from onecity.payments.trade import service as trade
from onecity.payments.trade.schemas import OrderOut

MAX_IMAGE_BYTES = 8 * 1024 * 1024


class NotOneCityMerchant(InvalidMerchantQr):
    code = "merchant_qr_foreign"
    message_zh = "该收款码不属于本平台商户"
    message_en = "This merchant QR code belongs to another platform"


class NoQrInImage(InvalidInput):
    code = "scan_no_qr_found"
    message_zh = "图片中没有找到二维码"
    message_en = "No QR code was found in the image"


class AmountRequired(InvalidInput):
    code = "scan_amount_required"
    message_zh = "请输入付款金额"
    message_en = "Enter the amount to pay"


def read_merchant_qr(payload: str) -> MerchantQr:
    """A OneCity merchant's QR, or InvalidMerchantQr / NotOneCityMerchant."""
    qr = parse_merchant_qr(payload)
    if qr.merchant_id is None:
        raise NotOneCityMerchant()
    return qr


def decode_qr_image(data: bytes) -> str:
    """The text of the first QR code in an uploaded image (PNG, JPEG, …), decoded with zxing-cpp."""
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    if not data or len(data) > MAX_IMAGE_BYTES:
        raise NoQrInImage()
    try:
        opened = Image.open(io.BytesIO(data))
        opened.load()
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise NoQrInImage(detail="not an image") from exc
    image = opened.convert("L")
    if max(image.size) > 2000:  # phone photos: smaller is faster and decodes as well
        image.thumbnail((2000, 2000))
    for result in zxingcpp.read_barcodes(
        image, formats=zxingcpp.BarcodeFormats(zxingcpp.BarcodeFormat.QRCode)
    ):
        if result.valid and result.text:
            return str(result.text)
    raise NoQrInImage()


def describe_scan(session: Session, *, payload: str) -> ScanOut:
    """What the citizen is about to pay: the merchant's registered name (not the one printed in the
    QR) and, for a dynamic code, the order's amount as trade holds it."""
    qr = read_merchant_qr(payload)
    assert qr.merchant_id is not None
    name = trade.get_profile(session, qr.merchant_id).merchant_name
    amount = qr.amount_fen
    if qr.dynamic and qr.order_ref:
        order = trade.query(session, merchant_id=qr.merchant_id, trade_no=qr.order_ref)
        amount = order.amount
    return ScanOut(
        merchant_id=qr.merchant_id,
        merchant_name=name,
        city=qr.city,
        dynamic=qr.dynamic,
        amount_fen=amount,
        order_ref=qr.order_ref,
    )


def pay_scanned(
    session: Session, *, citizen_id: str, payload: str, amount_fen: int | None = None, note: str | None = None
) -> OrderOut:
    """Pay a scanned merchant QR from the wallet: a dynamic code pays its order (of that merchant);
    a static code pays `amount_fen` as a new order."""
    qr = read_merchant_qr(payload)
    assert qr.merchant_id is not None
    if qr.dynamic and qr.order_ref:
        order = trade.query(session, merchant_id=qr.merchant_id, trade_no=qr.order_ref)
        return trade.pay_as_citizen(session, citizen_id=citizen_id, trade_no=order.trade_no)
    amount = qr.amount_fen or amount_fen
    if not amount or amount <= 0:
        raise AmountRequired()
    return trade.pay_static_qr(
        session, citizen_id=citizen_id, merchant_id=qr.merchant_id, amount=amount, note=note
    )


def pending_confirmations(session: Session, *, citizen_id: str) -> list[OrderOut]:
    """Orders awaiting the citizen's confirmation (paid by code above the small-amount limit, …)."""
    return trade.pending_for_citizen(session, citizen_id)


def confirm(session: Session, *, citizen_id: str, trade_no: str) -> OrderOut:
    return trade.pay_as_citizen(session, citizen_id=citizen_id, trade_no=trade_no)
