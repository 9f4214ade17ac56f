"""EMVCo merchant-presented QR (收款码) — a pure codec, no I/O, safe for any module to import.

Format: EMV QR Code Specification for Payment Systems, Merchant-Presented Mode (EMV QRCPS-MPM).
A payload is a flat string of TLV data objects: ID (2 digits), length (2 digits, the number of
characters of the value, 01–99), value. Data objects used here:

    00 Payload Format Indicator          "01"                                   mandatory, first
    01 Point of Initiation Method        "11" static (reusable) / "12" dynamic (one order)
    26–51 Merchant Account Information   template; we write ID 26 with
                                         00 = globally unique id "cn.onecity", 01 = merchant id
    52 Merchant Category Code (MCC)      4 digits                               mandatory
    53 Transaction Currency              ISO 4217 numeric, "156" = CNY          mandatory
    54 Transaction Amount                "12.34" (yuan); only in dynamic codes
    58 Country Code                      ISO 3166-1 alpha-2, "CN"               mandatory
    59 Merchant Name                     mandatory
    60 Merchant City                     mandatory
    62 Additional Data Field Template    01 = bill number (our order reference, e.g. trade_no)
    63 CRC                               4 upper-case hex digits, CRC-16/CCITT-FALSE (poly 0x1021,
                                         init 0xFFFF, no reflection, no xor-out) over the whole
                                         payload up to and including "6304"; mandatory, last

No maintained PyPI package implements EMV MPM encoding *and* strict parsing (the ones found are
single-country helpers such as Brazil's Pix or Singapore's PayNow, or BER-TLV for chip cards),
so this small codec is written from the specification and checked against its published
example payload in the tests.

Glossary: 收款码 merchant QR · 静态码 static code (citizen types the amount) · 动态码 dynamic code
(amount and order fixed) · 商户类别码 merchant category code (MCC).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from onecity.errors import DomainError
from onecity.money import yuan

GUID = "cn.onecity"
MERCHANT_TEMPLATE_ID = "26"
STATIC = "11"
DYNAMIC = "12"

_MANDATORY = ("00", "52", "53", "58", "59", "60", "63")
_MAX_PAYLOAD = 512  # EMV MPM allows at most 512 characters in a payload


class InvalidMerchantQr(DomainError):
    code = "merchant_qr_invalid"
    status = 400
    message_zh = "无法识别的收款码"
    message_en = "This is not a valid merchant QR code"


@dataclass(frozen=True)
class MerchantQr:
    """A parsed merchant-presented QR. `merchant_id` is None for a code of another platform."""

    dynamic: bool
    merchant_id: str | None
    merchant_name: str
    city: str
    mcc: str
    currency: str
    country: str
    amount_fen: int | None
    order_ref: str | None
    guid: str | None
    fields: dict[str, str]  # every top-level data object, by ID (including "63")


def crc16_ccitt_false(data: bytes) -> int:
    """CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF, MSB first. Check value of b"123456789" is 0x29B1."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def _tlv(tag: str, value: str) -> str:
    if not value:
        raise ValueError(f"EMV data object {tag} may not be empty")
    if len(value) > 99:
        raise ValueError(f"EMV data object {tag} is longer than 99 characters")
    return f"{tag}{len(value):02d}{value}"


_AMOUNT_RE = re.compile(r"^(0|[1-9][0-9]{0,9})(\.[0-9]{1,2})?$")


def _parse_amount(text: str) -> int:
    if not _AMOUNT_RE.match(text):
        raise InvalidMerchantQr(f"bad amount {text!r}")
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def encode_merchant_qr(
    *,
    merchant_id: str,
    merchant_name: str,
    city: str,
    mcc: str = "5411",
    amount_fen: int | None = None,
    order_ref: str | None = None,
    currency: str = "156",
    country: str = "CN",
) -> str:
    """A static code when `amount_fen` is None, else a dynamic one. Names are cut to the
    specification's maxima (name 25, city 15 characters)."""
    if amount_fen is not None and amount_fen <= 0:
        raise ValueError("amount_fen must be positive")
    if not re.fullmatch(r"[0-9]{4}", mcc):
        raise ValueError("mcc must be 4 digits")
    if not re.fullmatch(r"[0-9]{3}", currency):
        raise ValueError("currency must be an ISO 4217 numeric code")
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise ValueError("country must be an ISO 3166-1 alpha-2 code")
    account = _tlv("00", GUID) + _tlv("01", merchant_id)
    parts = [
        _tlv("00", "01"),
        _tlv("01", STATIC if amount_fen is None else DYNAMIC),
        _tlv(MERCHANT_TEMPLATE_ID, account),
        _tlv("52", mcc),
        _tlv("53", currency),
    ]
    if amount_fen is not None:
        parts.append(_tlv("54", yuan(amount_fen)))
    parts += [
        _tlv("58", country),
        _tlv("59", merchant_name.strip()[:25] or "-"),
        _tlv("60", city.strip()[:15] or "-"),
    ]
    if order_ref:
        parts.append(_tlv("62", _tlv("01", order_ref)))
    body = "".join(parts) + "6304"
    return body + f"{crc16_ccitt_false(body.encode('utf-8')):04X}"


def _split_tlv(text: str, where: str) -> dict[str, str]:
    """Split a TLV string into {id: value}; duplicates, bad ids or lengths are errors."""
    out: dict[str, str] = {}
    i = 0
    while i < len(text):
        if i + 4 > len(text):
            raise InvalidMerchantQr(f"truncated data object in {where} at {i}")
        tag, length = text[i : i + 2], text[i + 2 : i + 4]
        if not (tag.isascii() and tag.isdigit()):
            raise InvalidMerchantQr(f"bad data object id {tag!r} in {where} at {i}")
        if not (length.isascii() and length.isdigit()) or length == "00":
            raise InvalidMerchantQr(f"bad length {length!r} of {where} data object {tag}")
        end = i + 4 + int(length)
        if end > len(text):
            raise InvalidMerchantQr(f"data object {tag} of {where} runs past the end")
        if tag in out:
            raise InvalidMerchantQr(f"data object {tag} repeated in {where}")
        out[tag] = text[i + 4 : end]
        i = end
    return out


def parse_merchant_qr(payload: str) -> MerchantQr:
    """Parse and validate a merchant-presented payload; every defect raises InvalidMerchantQr."""
    if not isinstance(payload, str):
        raise InvalidMerchantQr("payload must be text")
    payload = payload.strip()
    if not payload:
        raise InvalidMerchantQr("empty payload")
    if len(payload) > _MAX_PAYLOAD:
        raise InvalidMerchantQr("payload longer than 512 characters")
    if not payload.startswith("000201"):
        raise InvalidMerchantQr("unknown payload format (must start with 000201)")
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise InvalidMerchantQr("CRC (data object 63) missing or not last")
    expected = crc16_ccitt_false(payload[:-4].encode("utf-8", "surrogatepass"))
    if payload[-4:].upper() != f"{expected:04X}":
        raise InvalidMerchantQr("CRC check failed")
    fields = _split_tlv(payload, "payload")
    if list(fields)[-1] != "63" or len(fields["63"]) != 4:
        raise InvalidMerchantQr("CRC (data object 63) must be the last data object")
    if fields.get("00") != "01":
        raise InvalidMerchantQr(f"unknown payload format {fields.get('00')!r}")
    initiation = fields.get("01", STATIC)
    if initiation not in (STATIC, DYNAMIC):
        raise InvalidMerchantQr(f"unknown point of initiation {initiation!r}")
    for tag in _MANDATORY:
        if tag not in fields:
            raise InvalidMerchantQr(f"mandatory data object {tag} missing")
    accounts = [t for t in fields if "02" <= t <= "51"]
    if not accounts:
        raise InvalidMerchantQr("no merchant account information (IDs 02–51)")
    if not re.fullmatch(r"[0-9]{4}", fields["52"]):
        raise InvalidMerchantQr("merchant category code must be 4 digits")
    if not re.fullmatch(r"[0-9]{3}", fields["53"]):
        raise InvalidMerchantQr("currency must be 3 digits")
    if len(fields["58"]) != 2:
        raise InvalidMerchantQr("country code must be 2 characters")
    amount = _parse_amount(fields["54"]) if "54" in fields else None
    if amount is not None and amount <= 0:
        raise InvalidMerchantQr("amount must be positive")
    guid: str | None = None
    merchant_id: str | None = None
    for tag in accounts:
        if "26" <= tag <= "51":
            sub = _split_tlv(fields[tag], f"template {tag}")
            if "00" not in sub:
                raise InvalidMerchantQr(f"template {tag} has no globally unique identifier")
            if sub["00"].lower() == GUID:
                guid, merchant_id = sub["00"], sub.get("01")
                if not merchant_id:
                    raise InvalidMerchantQr("OneCity template without merchant id")
                break
            guid = guid or sub["00"]
    order_ref: str | None = None
    if "62" in fields:
        order_ref = _split_tlv(fields["62"], "template 62").get("01")
    return MerchantQr(
        dynamic=initiation == DYNAMIC,
        merchant_id=merchant_id,
        merchant_name=fields["59"],
        city=fields["60"],
        mcc=fields["52"],
        currency=fields["53"],
        country=fields["58"],
        amount_fen=amount,
        order_ref=order_ref,
        guid=guid,
        fields=fields,
    )
