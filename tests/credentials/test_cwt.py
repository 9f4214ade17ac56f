"""COSE_Sign1 CWT certificates, purpose views and the "OC1:" QR text (onecity.credentials.cwt)."""

from __future__ import annotations

import string
import zlib
from datetime import date

import base45
import cbor2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onecity.credentials import algorithms, cwt
from tests.credentials.samples import (
    DRIVING_LICENCE,
    DRIVING_LICENCE_CODE,
    HOTEL_FIELDS,
    STATUS_URI,
    issue_driving_licence,
)

QR_ALPHANUMERIC = set(string.digits + string.ascii_uppercase + " $%*+-./:")


@pytest.mark.parametrize("alg", algorithms.ALGS)
def test_certificate_round_trip(alg: str) -> None:
    i = issue_driving_licence(alg)
    signed = cwt.parse(i.full)
    assert i.full[0] == 0xD2  # CBOR tag 18: COSE_Sign1
    assert signed.alg == alg and signed.kid == i.kid
    c = signed.certificate
    assert c.issuer is None  # the trust list names the issuer of the kid
    assert c.type_id == DRIVING_LICENCE_CODE
    assert dict(c.claims) == DRIVING_LICENCE
    assert c.claims[5] == date(1988, 7, 14)
    assert (c.holder_alg, c.holder_public) == (i.holder_key.alg, i.holder_key.public)
    assert (c.status_uri, c.status_idx) == (STATUS_URI, 48213)
    assert c.view is None and c.full_hash is None
    assert cwt.verify_signature(signed, alg=alg, public=i.issuer_key.public)
    other = algorithms.generate(alg)
    assert not cwt.verify_signature(signed, alg=alg, public=other.public)
    wrong = "SM2" if alg == "EdDSA" else "EdDSA"
    assert not cwt.verify_signature(signed, alg=wrong, public=i.issuer_key.public)


def test_wire_format_follows_rfc8392_and_the_status_list_draft() -> None:
    i = issue_driving_licence(carry_iss=True)
    tag = cbor2.loads(i.full)
    assert tag.tag == 18
    protected, unprotected, payload, _sig = tag.value
    assert cbor2.loads(protected) == {1: -8, 4: cwt.encode_kid(i.kid)}
    assert len(cwt.encode_kid(i.kid)) == 8  # the key id's raw bytes, not its text
    body = cbor2.loads(payload)
    assert body[1] == "iss_01JBJTMB7Q4XK2N9V3W8C5D6EF"
    assert body[8] == {1: {1: 1, -1: 6, -2: i.holder_key.public}}  # cnf: OKP Ed25519 COSE_Key
    assert body[65535] == {"status_list": {"idx": 48213, "uri": STATUS_URI}}
    assert body[-65537] == 2
    # dates as RFC 8943 tag 100 (days since the epoch): 1988-07-14 is day 6769
    assert cbor2.dumps(cbor2.CBORTag(100, 6769)) in payload
    assert body[-65538][5] == date(1988, 7, 14)


def test_kid_encoding() -> None:
    for kid in ("JqKlc4_SwYs", "issuer-key-2026-03", "k1"):
        assert cwt.decode_kid(cwt.encode_kid(kid)) == kid
    with pytest.raises(ValueError):
        cwt.encode_kid("8-bytes!")  # ambiguous with a raw key id


def test_views_hold_a_subset_and_the_full_hash() -> None:
    i = issue_driving_licence()
    hotel = cwt.parse(i.hotel).certificate
    assert hotel.view == "hotel"
    assert dict(hotel.claims) == {k: DRIVING_LICENCE[k] for k in HOTEL_FIELDS}
    assert hotel.full_hash == cwt.certificate_hash(i.full)[:16]
    assert cwt.verify_signature(cwt.parse(i.hotel), alg="EdDSA", public=i.issuer_key.public)
    police = cwt.parse(i.traffic_police).certificate
    assert sorted(police.claims) == [1, 7, 8, 9, 10] and police.view == "traffic_police"
    with pytest.raises(ValueError):
        cwt.sign_view(i.full, view="x", fields=[99], alg="EdDSA", private=i.issuer_key.private, kid=i.kid)


def test_edited_certificate_fails_its_signature() -> None:
    i = issue_driving_licence()
    tag = cbor2.loads(i.full)
    protected, unprotected, payload, sig = tag.value
    body = cbor2.loads(payload)
    body[-65538][8] = "A1"  # upgrade the licence class
    forged = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, cbor2.dumps(body), sig]))
    assert not cwt.verify_signature(cwt.parse(forged), alg="EdDSA", public=i.issuer_key.public)


def test_qr_text_round_trip_is_alphanumeric() -> None:
    i = issue_driving_licence()
    text = cwt.encode_qr(i.full)
    assert text.startswith("OC1:")
    assert set(text) <= QR_ALPHANUMERIC
    assert cwt.decode_qr(text) == i.full
    # a preset dictionary (RFC 1950 FDICT) is what makes zlib worth it here
    assert len(text) < len("OC1:" + base45.b45encode(zlib.compress(i.full, 9)).decode()) - 30


@pytest.mark.parametrize(
    "text",
    [
        "",
        "HC1:6BFOXN",
        "OC1:",
        "OC1:abc",
        "OC1:::::",
        "OC1:" + base45.b45encode(b"not zlib").decode(),
        "OC1:" + base45.b45encode(zlib.compress(b"x" * 100_000)).decode(),  # inflates past 16 KB
        "OC1:" + base45.b45encode(zlib.compress(b"truncated cbor")[:-3]).decode(),
        "OC1:" + "0" * 9000,
        "OC1:中文",
    ],
)
def test_decode_qr_rejects(text: str) -> None:
    with pytest.raises(cwt.MalformedCredential):
        cwt.decode_qr(text)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"\xff",
        cbor2.dumps([1, 2, 3]),
        cbor2.dumps(cbor2.CBORTag(17, [b"", {}, b"", b""])),
        cbor2.dumps([b"", {}, b"", b""]),
        cbor2.dumps([cbor2.dumps({1: -7, 4: b"k"}), {}, cbor2.dumps({}), b""]),  # ES256: not ours
        cbor2.dumps([cbor2.dumps({1: -8}), {}, cbor2.dumps({}), b""]),  # no kid
        cbor2.dumps([cbor2.dumps({1: -8, 4: b"k"}), {}, cbor2.dumps({-65537: 2}), b""]),
        bytes.fromhex("a20101" + "0102"),  # duplicate map key
        b"\x81" * 50 + b"\x00",  # nested too deep
    ],
)
def test_parse_rejects(data: bytes) -> None:
    with pytest.raises(cwt.MalformedCredential):
        cwt.parse(data)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:ab", max_size=40))
def test_b45decode_agrees_with_the_base45_package(text: str) -> None:
    try:
        expected: bytes | None = base45.b45decode(text)
    except ValueError:
        expected = None
    try:
        got: bytes | None = cwt.b45decode(text)
    except ValueError:
        got = None
    assert got == expected


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_qr_round_trip_any_bytes(data: bytes) -> None:
    assert cwt.decode_qr(cwt.encode_qr(data)) == data
