"""The ride-code chain: layout, sizes, QR versions, round trips (onecity.transit.ridecode)."""

from __future__ import annotations

import cbor2
import pytest
import segno
import zxingcpp

from onecity.transit.ridecode import certificate, code
from onecity.transit.ridecode.certificate import MalformedRideCode
from onecity.transit.ridecode.keys import KeySet, KeySetError, kid_of
from tests.transit.pure import _clean_state  # noqa: F401 - no database: no table wipe
from tests.transit.ride_helpers import NOW, PLATFORM, PLATFORM_NEXT, phone


def test_layout_and_round_trip():
    p = phone()
    raw = p.code(counter=7)
    assert (len(p.cert), len(raw)) == (certificate.CERT_BYTES, code.CODE_BYTES) == (126, 196)
    parsed = code.parse_code(code.decode_qr(code.to_qr_text(raw)))
    c = parsed.certificate
    assert (c.kid, c.serial, c.rider_ref, c.device_public) == (
        PLATFORM.kid,
        p.serial,
        p.rider_ref,
        p.device.public,
    )
    assert (c.not_after - c.not_before, c.max_fare, c.flags) == (24 * 3600, 5000, 3)
    assert (parsed.ts, parsed.counter) == (NOW, 7)
    # the tap id depends on what is signed, not on the text: the same code gives the same id
    assert parsed.tap_id == code.parse_code(raw).tap_id != code.parse_code(p.code(counter=8)).tap_id


def test_fixed_layout_is_smaller_than_cbor():
    """Why the fixed layout: the same content as CBOR with integer keys is 22–30 bytes (as the serial
    grows) and one QR version more (see ridecode/certificate.py)."""
    rc = code.parse_code(phone().code())
    c = rc.certificate
    cert_map = cbor2.dumps({1: 1, 2: c.kid, 3: c.serial, 4: c.rider_ref, 5: c.device_public, 6: c.not_before,
                            7: c.not_after, 8: c.max_fare, 9: c.flags, 10: c.signature})  # fmt: skip
    as_cbor = cbor2.dumps({1: cert_map, 2: rc.ts, 3: rc.counter, 4: rc.signature})
    assert (len(as_cbor), code.CODE_BYTES) == (220, 196)  # serial 1001: 3 CBOR bytes
    assert segno.make_qr(as_cbor, error="m", boost_error=False).version == 11
    assert segno.make_qr(phone().code(), error="m", boost_error=False).version == 10


def test_qr_versions():
    """Base45 text in alphanumeric mode vs the raw bytes in byte mode: the same version at M (10) and
    at Q (12), so the text form is used (ridecode/code.py)."""
    raw = phone().code()
    text = code.to_qr_text(raw)
    assert len(text) == 294
    versions = {}
    for err in ("m", "q"):
        t = segno.make_qr(text, error=err, boost_error=False)
        b = segno.make_qr(raw, error=err, boost_error=False)
        assert (t.mode, b.mode) == ("alphanumeric", "byte")
        versions[err] = (t.version, b.version)
    assert versions == {"m": (10, 10), "q": (12, 12)}


def test_a_qr_image_scans_back_to_the_same_code(tmp_path):
    text = phone().text()
    path = tmp_path / "code.png"
    segno.make_qr(text, error="m", boost_error=False).save(path, scale=4, border=4)
    from PIL import Image

    found = zxingcpp.read_barcodes(Image.open(path))
    assert [r.text for r in found] == [text]


def test_truncation_and_garbage_are_typed_errors():
    raw = phone().code()
    text = code.to_qr_text(raw)
    for bad, reason in ((raw[:100], "truncated"), (raw[:1], "truncated"), (b"", "truncated"), (raw + b"x", "malformed"),
                        (b"\x02" + raw[1:], "malformed")):  # fmt: skip
        with pytest.raises(MalformedRideCode) as e:
            code.parse_code(bad)
        assert e.value.reason == reason
    with pytest.raises(MalformedRideCode) as e:
        code.decode_qr(text[:-2])  # a cut-off scan: 292 chars, 292 % 3 == 1
    assert e.value.reason == "truncated"
    for junk in ("https://example.com/pay?x=1", "", "  ", "::::", "A" * 600):
        with pytest.raises(MalformedRideCode):
            code.parse_code(code.decode_qr(junk))


def test_issue_refuses_bad_fields():
    with pytest.raises(ValueError):
        certificate.issue_certificate(
            PLATFORM, serial=1, rider_ref=b"short", device_public=bytes(32), not_before=NOW
        )
    with pytest.raises(ValueError):
        certificate.issue_certificate(PLATFORM, serial=1, rider_ref=bytes(8), device_public=bytes(32),
                                      not_before=NOW, flags=0x80)  # fmt: skip


def test_key_set_rotation_and_file_form():
    ks = KeySet([PLATFORM.public])
    assert ks.add(PLATFORM_NEXT.public) == kid_of(PLATFORM_NEXT.public) == PLATFORM_NEXT.kid
    assert len(ks) == 2 and ks.get(PLATFORM.kid) is not None
    again = KeySet.from_json(ks.to_json())
    assert again.kids() == ks.kids()
    ks.remove(PLATFORM.kid)
    assert ks.get(PLATFORM.kid) is None and len(ks) == 1
    with pytest.raises(KeySetError):
        KeySet([b"\x00" * 31])
    with pytest.raises(KeySetError):
        KeySet.from_json('{"keys": ["not base64!"]}')
