"""The EMVCo merchant-presented QR codec: spec vectors, round trips, and a fuzzed parser."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onecity.payments.codes.emvco import (
    GUID,
    InvalidMerchantQr,
    crc16_ccitt_false,
    encode_merchant_qr,
    parse_merchant_qr,
)

# The example payload of EMV QRCPS Merchant-Presented Mode v1.1 (Appendix, "BEST TRANSPORT",
# with a Chinese merchant information language template 64). Its CRC is A13A.
SPEC_EXAMPLE = (
    "00020101021229300012D156000000000510A93FO3230Q31280012D15600000001030812345678"
    "520441115802CN5914BEST TRANSPORT6007BEIJING64200002ZH0104最佳运输0202北京"
    "540523.7253031565502016233030412340603***0708A60086670902ME"
    "91320016A0112233449988770708123456786304A13A"
)


def _with_crc(body: str) -> str:
    body += "6304"
    return body + f"{crc16_ccitt_false(body.encode()):04X}"


def test_crc16_ccitt_false_check_value() -> None:
    # The catalogue check value of CRC-16/CCITT-FALSE over the ASCII digits "123456789".
    assert crc16_ccitt_false(b"123456789") == 0x29B1
    assert crc16_ccitt_false(b"") == 0xFFFF


def test_parses_the_emvco_specification_example() -> None:
    qr = parse_merchant_qr(SPEC_EXAMPLE)
    assert qr.dynamic is True
    assert qr.merchant_name == "BEST TRANSPORT"
    assert qr.city == "BEIJING"
    assert qr.mcc == "4111"
    assert qr.currency == "156"
    assert qr.country == "CN"
    assert qr.amount_fen == 2372  # "23.72" yuan
    assert qr.merchant_id is None  # not a OneCity merchant
    assert qr.guid == "D15600000000"
    assert qr.fields["64"] == "0002ZH0104最佳运输0202北京"


def test_encode_static_code_field_by_field() -> None:
    payload = encode_merchant_qr(merchant_id="org_01ABC", merchant_name="Corner Shop", city="Hangzhou")
    assert (
        payload
        == (
            "000201"  # payload format indicator 01
            "010211"  # point of initiation: static
            "2627"
            "0010cn.onecity"
            "0109org_01ABC"  # merchant account information template
            "52045411"  # MCC grocery
            "5303156"  # CNY
            "5802CN"
            "5911Corner Shop"
            "6008Hangzhou"
            "6304" + payload[-4:]
        )
    )
    assert payload[-4:] == f"{crc16_ccitt_false(payload[:-4].encode()):04X}"
    qr = parse_merchant_qr(payload)
    assert (qr.dynamic, qr.amount_fen, qr.order_ref, qr.merchant_id) == (False, None, None, "org_01ABC")


def test_encode_dynamic_code_round_trip_with_chinese_name() -> None:
    payload = encode_merchant_qr(
        merchant_id="org_01XYZ",
        merchant_name="城东便利店",
        city="杭州",
        mcc="5499",
        amount_fen=1205,
        order_ref="2026112622001",
    )
    assert "010212" in payload and "540512.05" in payload and "5905城东便利店" in payload
    qr = parse_merchant_qr(payload)
    assert qr.dynamic and qr.amount_fen == 1205 and qr.order_ref == "2026112622001"
    assert (qr.merchant_name, qr.city, qr.mcc, qr.guid) == ("城东便利店", "杭州", "5499", GUID)


@pytest.mark.parametrize(
    ("payload", "why"),
    [
        ("", "empty"),
        ("hello", "format"),
        (SPEC_EXAMPLE[:-1] + ("B" if SPEC_EXAMPLE[-1] != "B" else "C"), "CRC check failed"),
        (SPEC_EXAMPLE.replace("BEST TRANSPORT", "BEST TRANSPORX"), "CRC check failed"),
        (_with_crc("000202010211"), "unknown payload format"),
        (_with_crc("000201010213"), "point of initiation"),
        (_with_crc("0002010102115204541153031565802CN5901A6001B"), "merchant account"),
        (_with_crc("000201010211261400100123456789"), "mandatory data object 52"),
        (_with_crc("0002010102112699"), "runs past the end"),
        (_with_crc("00020101021126"), "runs past the end"),
        (_with_crc("0002010100"), "bad length"),
        (_with_crc("000201AB02"), "bad data object id"),
        (_with_crc("000201000201"), "repeated"),
        (
            _with_crc("00020126140010cn.onecity5204541153031565404-1.05802CN5901A6001B"),
            "amount",
        ),
        (
            _with_crc("00020126140010cn.onecity52045411530315654040.005802CN5901A6001B"),
            "amount must be positive",
        ),
        (_with_crc("00020126140010cn.onecity52045411530315658023N5901A6001B")[:-8] + "6305ABCDE", "CRC"),
        ("x" * 600, "512"),
    ],
)
def test_parser_rejects_with_a_clear_reason(payload: str, why: str) -> None:
    with pytest.raises(InvalidMerchantQr) as info:
        parse_merchant_qr(payload)
    assert why in str(info.value)
    assert info.value.code == "merchant_qr_invalid"


def test_onecity_template_without_merchant_id_is_rejected() -> None:
    payload = _with_crc("00020126140010cn.onecity52045411530315658 02CN5901A6001B".replace(" ", ""))
    with pytest.raises(InvalidMerchantQr, match="without merchant id"):
        parse_merchant_qr(payload)


def test_encoder_refuses_bad_input() -> None:
    with pytest.raises(ValueError):
        encode_merchant_qr(merchant_id="org_1", merchant_name="A", city="B", amount_fen=0)
    with pytest.raises(ValueError):
        encode_merchant_qr(merchant_id="org_1", merchant_name="A", city="B", mcc="54")
    with pytest.raises(ValueError):
        encode_merchant_qr(merchant_id="x" * 100, merchant_name="A", city="B")


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp")), min_size=1, max_size=30
).filter(lambda s: s.strip() != "")


@settings(max_examples=200, deadline=None)
@given(
    merchant_id=st.from_regex(r"org_[0-9A-Z]{1,26}", fullmatch=True),
    name=_text,
    city=_text,
    mcc=st.from_regex(r"[0-9]{4}", fullmatch=True),
    amount=st.none() | st.integers(min_value=1, max_value=99_999_999_99),
    ref=st.none() | st.from_regex(r"[0-9A-Za-z_-]{1,25}", fullmatch=True),
)
def test_round_trip(
    merchant_id: str, name: str, city: str, mcc: str, amount: int | None, ref: str | None
) -> None:
    payload = encode_merchant_qr(
        merchant_id=merchant_id, merchant_name=name, city=city, mcc=mcc, amount_fen=amount, order_ref=ref
    )
    qr = parse_merchant_qr(payload)
    assert qr.merchant_id == merchant_id
    assert qr.merchant_name == name.strip()[:25]
    assert qr.city == city.strip()[:15]
    assert qr.mcc == mcc
    assert qr.amount_fen == amount
    assert qr.dynamic is (amount is not None)
    assert qr.order_ref == ref


@settings(max_examples=500, deadline=None)
@given(st.text(max_size=300) | st.binary(max_size=300).map(lambda b: b.decode("latin-1")))
def test_fuzz_parser_only_raises_invalid_merchant_qr(data: str) -> None:
    try:
        parse_merchant_qr(data)
    except InvalidMerchantQr:
        pass


@settings(max_examples=300, deadline=None)
@given(
    base=st.sampled_from(
        [
            SPEC_EXAMPLE,
            encode_merchant_qr(merchant_id="org_1", merchant_name="店", city="杭州", amount_fen=1),
        ]
    ),
    cut=st.integers(min_value=0, max_value=200),
    junk=st.text(max_size=8),
)
def test_fuzz_mutated_valid_payloads(base: str, cut: int, junk: str) -> None:
    """Splicing junk into a valid payload and fixing the CRC must parse or fail cleanly."""
    body = base[:-8]
    cut = min(cut, len(body))
    mutated = _with_crc(body[:cut] + junk + body[cut:])
    try:
        parse_merchant_qr(mutated)
    except InvalidMerchantQr:
        pass
