"""Token Status List: the draft's examples byte for byte, both token forms, the index allocator,
the verifier's cache with its time-to-live, and refusals of bad lists and tokens."""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from hypothesis import given, settings
from hypothesis import strategies as st

from onecity.credentials import jose
from onecity.credentials import status_list as sl

# draft-ietf-oauth-status-list §4.1 / §4.2: 16 one-bit statuses ...
ONE_BIT = [1, 0, 0, 1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 1, 0, 1]
ONE_BIT_BYTES = bytes([0xB9, 0xA3])
ONE_BIT_LST = "eNrbuRgAAhcBXQ"
# ... and the "Further Examples" list of 12 two-bit statuses
TWO_BIT = [1, 2, 0, 3, 0, 1, 0, 1, 1, 2, 3, 3]
TWO_BIT_BYTES = bytes([0xC9, 0x44, 0xF9])
TWO_BIT_LST = "eNo76fITAAPfAgc"
# §4.3 the CBOR StatusList of the one-bit example
ONE_BIT_CBOR = bytes.fromhex("a2646269747301636c73744a78dadbb918000217015d")
# §5.2 the example Status List Token in CWT form (ES256, kid "12", signed by the draft's authors)
EXAMPLE_CWT = bytes.fromhex(
    "d2845820a2012610781a6170706c69636174696f6e2f7374617475736c6973742b63"
    "7774a1044231325850a502782168747470733a2f2f6578616d706c652e636f6d2f73"
    "74617475736c697374732f31061a648c5bea041a8898dfea19fffe19a8c019fffda2"
    "646269747301636c73744a78dadbb918000217015d584093fa4d01032b18c35e2fe1"
    "101b77fd6cc9440022caa4694450c4e4e9feab4e99d1fa6d9772ce2bf3a12e0323de"
    "d7c982c5e101a5e67f0cbc1e2b6f57ce99c279"
)
# §5.1 the example Status List Token in JWT form (decoded header and payload)
EXAMPLE_JWT_HEADER = {"alg": "ES256", "kid": "12", "typ": "statuslist+jwt"}
EXAMPLE_JWT_PAYLOAD = {
    "exp": 2291720170,
    "iat": 1686920170,
    "status_list": {"bits": 1, "lst": "eNrbuRgAAhcBXQ"},
    "sub": "https://example.com/statuslists/1",
    "ttl": 43200,
}
EXAMPLE_URI = "https://example.com/statuslists/1"
EXAMPLE_IAT = datetime.fromtimestamp(1686920170, UTC)
EXAMPLE_EXP = datetime.fromtimestamp(2291720170, UTC)

KEY = Ed25519PrivateKey.generate()
NOW = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
URI = "https://onecity.example/status/shenzhen-traffic-police/1"


@pytest.mark.parametrize(
    ("statuses", "bits", "raw", "lst"),
    [(ONE_BIT, 1, ONE_BIT_BYTES, ONE_BIT_LST), (TWO_BIT, 2, TWO_BIT_BYTES, TWO_BIT_LST)],
    ids=["1-bit", "2-bit"],
)
def test_draft_examples_encode_and_decode_byte_for_byte(statuses: list[int], bits: int, raw: bytes, lst: str) -> None:
    built = sl.StatusList.from_statuses(statuses, bits)
    assert bytes(built.data) == raw  # LSB first: status[0] is bit 0 of byte 0
    assert built.to_json() == {"bits": bits, "lst": lst}
    decoded = sl.StatusList.from_json({"bits": bits, "lst": lst})
    assert bytes(decoded.data) == raw
    assert [decoded.get(i) for i in range(len(statuses))] == statuses


# Appendix "Test vectors for Status List encoding": 2^20 entries, these set, all others 0 (VALID)
LONG_1 = "".join(
    [
        "eNrt3AENwCAMAEGogklACtKQPg9LugC9k_ACvreiogE",
        "AAKkeCQAAAAAAAAAAAAAAAAAAAIBylgQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAXG9IAAAAAAAAAPwsJAAAAAAAAAAAAAAAvhsSAAAAAAAAAAA",
        "A7KpLAAAAAAAAAAAAAAAAAAAAAJsLCQAAAAAAAAAAADjelAAAAAAAAAAAKjDMAQAAA",
        "ACAZC8L2AEb",
    ]
)
LONG_1_SET = dict.fromkeys([0, 1993, 25460, 159495, 495669, 554353, 645645, 723232, 854545, 934534, 1000345], 1)
LONG_2 = "".join(
    [
        "eNrt2zENACEQAEEuoaBABP5VIO01fCjIHTMStt9ovGV",
        "IAAAAAABAbiEBAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAEB5WwIAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAID0ugQAAAAAAAAAAAAAAAAAQG12SgAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAOCSIQEAAAAAAAAAAAAAAAAAAAAAAAD8ExIAAAAAAAA",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAwJEuAQAAAAAAAAAAAAAAAAAAAAAAAMB9S",
        "wIAAAAAAAAAAAAAAAAAAACoYUoAAAAAAAAAAAAAAEBqH81gAQw",
    ]
)
LONG_2_SET = {0: 1, 1993: 2, 25460: 1, 159495: 3, 495669: 1, 554353: 1, 645645: 2, 723232: 1, 854545: 1,
              934534: 2, 1000345: 3}


@pytest.mark.parametrize(("bits", "lst", "entries"), [(1, LONG_1, LONG_1_SET), (2, LONG_2, LONG_2_SET)],
                         ids=["1-bit", "2-bit"])
def test_draft_test_vectors_of_a_million_entries(bits: int, lst: str, entries: dict[int, int]) -> None:
    built = sl.StatusList.new(2**20, bits)
    for idx, value in entries.items():
        built.set(idx, value)
    assert built.to_json() == {"bits": bits, "lst": lst}  # byte for byte, ZLIB level 9
    decoded = sl.StatusList.from_json({"bits": bits, "lst": lst})
    assert decoded.size == 2**20 and decoded.data == built.data
    assert {i: decoded.get(i) for i in entries} == entries
    assert decoded.get(1) == decoded.get(1992) == decoded.get(2**20 - 1) == sl.VALID


def test_lsb_first_packing_worked_example() -> None:
    # 2 bits per entry, four entries per byte: byte 0 = s3 s2 s1 s0 from the high bits down
    # [1, 2, 0, 3] -> 0b11_00_10_01 = 0xC9
    assert bytes(sl.StatusList.from_statuses([1, 2, 0, 3], 2).data) == b"\xc9"
    # 4 bits: [0x1, 0xA] -> 0xA1; 8 bits: [7, 255] -> 07 ff
    assert bytes(sl.StatusList.from_statuses([1, 10], 4).data) == b"\xa1"
    assert bytes(sl.StatusList.from_statuses([7, 255], 8).data) == b"\x07\xff"


def test_cbor_status_list_matches_the_draft() -> None:
    assert cbor2.dumps(sl.StatusList.from_statuses(ONE_BIT, 1).to_cbor()) == ONE_BIT_CBOR
    assert bytes(sl.StatusList.from_cbor(cbor2.loads(ONE_BIT_CBOR)).data) == ONE_BIT_BYTES


def test_draft_cwt_example_parses_and_our_encoder_reproduces_its_signed_bytes() -> None:
    cwt = sl.parse_cwt(EXAMPLE_CWT)
    assert cwt.protected == {1: -7, 16: "application/statuslist+cwt"}
    assert cwt.unprotected == {4: b"12"}
    assert cwt.claims[sl.CWT_SUB] == EXAMPLE_URI and cwt.claims[sl.CWT_TTL] == 43200
    assert cwt.claims[sl.CWT_IAT] == 1686920170 and cwt.claims[sl.CWT_EXP] == 2291720170
    listed = sl.StatusList.from_cbor(cwt.claims[sl.CWT_STATUS_LIST])
    assert [listed.get(i) for i in range(16)] == ONE_BIT
    # Our claims set and protected header encode to exactly the bytes the draft's signature covers.
    ours = sl.cwt_claims(listed, sub=EXAMPLE_URI, iat=EXAMPLE_IAT, exp=EXAMPLE_EXP, ttl=43200)
    assert cbor2.dumps(ours) == cwt.payload_raw
    p256 = ec.generate_private_key(ec.SECP256R1())
    token = sl.sign_cwt(listed, key=p256, sub=EXAMPLE_URI, iat=EXAMPLE_IAT, exp=EXAMPLE_EXP, ttl=43200, kid=b"12")
    mine = sl.parse_cwt(token)
    assert mine.protected_raw == cwt.protected_raw and mine.payload_raw == cwt.payload_raw
    assert token[: len(token) - 64] == EXAMPLE_CWT[: len(EXAMPLE_CWT) - 64]  # all but the signature
    verified = sl.verify_cwt(token, key=p256.public_key(), now=NOW, expected_uri=EXAMPLE_URI)
    assert verified.ttl == 43200 and verified.exp == EXAMPLE_EXP
    # The draft's signature is by a key we do not have: refused, never accepted by accident.
    with pytest.raises(sl.StatusListError, match="signature"):
        sl.verify_cwt(EXAMPLE_CWT, key=p256.public_key(), now=NOW)


def test_our_jwt_matches_the_draft_example_header_and_payload() -> None:
    p256 = ec.generate_private_key(ec.SECP256R1())
    token = sl.sign_jwt(
        sl.StatusList.from_statuses(ONE_BIT, 1), key=p256, sub=EXAMPLE_URI, iat=EXAMPLE_IAT,
        exp=EXAMPLE_EXP, ttl=43200, kid="12",
    )
    head, payload, _ = token.split(".")
    assert json.loads(jose.b64url_decode(head)) == EXAMPLE_JWT_HEADER
    assert json.loads(jose.b64url_decode(payload)) == EXAMPLE_JWT_PAYLOAD
    verified = sl.verify_jwt(token, key=p256.public_key(), now=NOW, expected_uri=EXAMPLE_URI)
    assert verified.sub == EXAMPLE_URI and verified.iat == EXAMPLE_IAT and verified.ttl == 43200
    assert [verified.status_list.get(i) for i in range(16)] == ONE_BIT


@pytest.mark.parametrize("form", ["jwt", "cwt"])
def test_revoke_and_suspend_round_trip_through_both_forms(form: str) -> None:
    lst = sl.StatusList.new(100_000, bits=2)
    lst.set(42, sl.INVALID)
    lst.set(99_999, sl.SUSPENDED)
    sign = sl.sign_jwt if form == "jwt" else sl.sign_cwt
    verify: Any = sl.verify_jwt if form == "jwt" else sl.verify_cwt
    kid: Any = "k1" if form == "jwt" else b"k1"
    token = sign(lst, key=KEY, sub=URI, iat=NOW, exp=NOW + timedelta(days=1), ttl=300, kid=kid, iss="https://onecity.example")
    got = verify(token, key=KEY.public_key(), now=NOW, expected_uri=URI)
    assert got.iss == "https://onecity.example"
    assert (got.status_list.get(42), got.status_list.get(99_999), got.status_list.get(0)) == (1, 2, 0)
    assert len(lst.data) == 25_000 and len(lst.compressed()) < 100  # 25 kB of statuses -> a few dozen bytes
    assert len(token) < 600

    other = Ed25519PrivateKey.generate().public_key()
    with pytest.raises(sl.StatusListError, match="signature"):
        verify(token, key=other, now=NOW)
    with pytest.raises(sl.StatusListError, match="another uri"):
        verify(token, key=KEY.public_key(), now=NOW, expected_uri=URI + "x")
    with pytest.raises(sl.StatusListError, match="expired"):
        verify(token, key=KEY.public_key(), now=NOW + timedelta(days=2))
    with pytest.raises(sl.StatusListError, match="future"):
        verify(token, key=KEY.public_key(), now=NOW - timedelta(hours=1))


def test_jwt_with_the_wrong_typ_or_alg_is_refused() -> None:
    lst = sl.StatusList.new(8)
    wrong_typ = jose.sign_compact(KEY, {"typ": "JWT"}, {"sub": URI, "iat": 1, "status_list": lst.to_json()})
    with pytest.raises(sl.StatusListError, match="typ"):
        sl.verify_jwt(wrong_typ, key=KEY.public_key(), now=NOW)
    unsigned = jose.json_b64({"alg": "none", "typ": "statuslist+jwt"}) + "." + jose.json_b64({"sub": URI}) + "."
    with pytest.raises(sl.StatusListError, match="alg"):
        sl.verify_jwt(unsigned, key=KEY.public_key(), now=NOW)


def test_cwt_with_the_wrong_type_is_refused() -> None:
    protected = cbor2.dumps({1: -8, 16: "application/cwt"})
    payload = cbor2.dumps(sl.cwt_claims(sl.StatusList.new(8), sub=URI, iat=NOW))
    sig = jose.raw_sign(KEY, cbor2.dumps(["Signature1", protected, b"", payload]))
    token = cbor2.dumps(cbor2.CBORTag(18, [protected, {}, payload, sig]))
    with pytest.raises(sl.StatusListError, match="type"):
        sl.verify_cwt(token, key=KEY.public_key(), now=NOW)


def test_bad_lists_are_refused() -> None:
    with pytest.raises(sl.StatusListError):
        sl.StatusList.new(8, bits=3)
    with pytest.raises(sl.StatusListError):
        sl.StatusList.from_json({"bits": 1, "lst": "eNrbuRgAAhcBXQ=="})  # padded base64
    with pytest.raises(sl.StatusListError):
        sl.StatusList.from_json({"bits": True, "lst": ONE_BIT_LST})
    with pytest.raises(sl.StatusListError):
        sl.StatusList.from_compressed(1, zlib.compress(b"\xff" * 10)[:-3])  # truncated
    with pytest.raises(sl.StatusListError):
        sl.StatusList.from_compressed(1, zlib.compress(b"\x01") + b"junk")
    with pytest.raises(sl.StatusListError, match="too large"):
        sl.StatusList.from_compressed(1, zlib.compress(bytes(sl.MAX_BYTES + 1), 9))  # a zip bomb
    lst = sl.StatusList.new(16, bits=1)
    with pytest.raises(sl.StatusListError):
        lst.set(0, 2)  # SUSPENDED needs 2 bits
    with pytest.raises(sl.StatusListError):
        lst.get(16)
    with pytest.raises(sl.StatusListError):
        lst.get(-1)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(sl.BITS).flatmap(lambda b: st.tuples(st.just(b), st.lists(st.integers(0, (1 << b) - 1), min_size=1, max_size=300))))
def test_any_list_round_trips(case: tuple[int, list[int]]) -> None:
    bits, statuses = case
    decoded = sl.StatusList.from_json(sl.StatusList.from_statuses(statuses, bits).to_json())
    assert [decoded.get(i) for i in range(len(statuses))] == statuses
    assert all(decoded.get(i) == 0 for i in range(len(statuses), decoded.size))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_fuzz_cwt_parser_only_raises_status_list_error(data: bytes) -> None:
    try:
        sl.verify_cwt(data, key=KEY.public_key(), now=NOW)
    except sl.StatusListError:
        pass


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=300))
def test_fuzz_jwt_parser_only_raises_status_list_error(text: str) -> None:
    try:
        sl.verify_jwt(text, key=KEY.public_key(), now=NOW)
    except sl.StatusListError:
        pass


def test_allocator_hands_out_every_index_once_in_random_order() -> None:
    alloc = sl.IndexAllocator(1000, used=[5, 6])
    got = [alloc.allocate() for _ in range(998)]
    assert sorted(got) == [i for i in range(1000) if i not in (5, 6)]
    assert got != sorted(got)  # random, not sequential (probability of sorted: 1/998!)
    assert alloc.free == 0
    with pytest.raises(sl.StatusListError, match="full"):
        alloc.allocate()
    with pytest.raises(sl.StatusListError):
        sl.IndexAllocator(10, used=[10])


def test_allocator_spreads_indexes_over_the_whole_list() -> None:
    alloc = sl.IndexAllocator(1_000_000)
    got = [alloc.allocate() for _ in range(2000)]
    assert len(set(got)) == 2000
    # uniform over [0, 1e6): each half holds about 1000 ± 3 sigma (sigma ≈ 22)
    assert 900 < sum(1 for i in got if i < 500_000) < 1100


def test_cache_honours_ttl_and_exp_so_a_revocation_arrives_within_ttl() -> None:
    lst = sl.StatusList.new(1024)
    cache = sl.StatusCache(default_ttl=timedelta(minutes=10))
    cache.put(sl.verify_jwt(sl.sign_jwt(lst, key=KEY, sub=URI, iat=NOW, ttl=300), key=KEY.public_key(), now=NOW), fetched_at=NOW)
    claim = sl.status_claim(URI, 7)
    assert cache.status_of(claim, now=NOW) == sl.VALID
    lst.set(7, sl.INVALID)  # the issuer revokes; the verifier still holds the old list ...
    assert cache.status_of(claim, now=NOW + timedelta(seconds=299)) == sl.VALID
    # ... until its ttl runs out: then the cache asks for a fresh copy instead of answering
    assert cache.needs_refresh(URI, now=NOW + timedelta(seconds=300))
    assert cache.status_of(claim, now=NOW + timedelta(seconds=300)) is None
    later = NOW + timedelta(seconds=300)
    cache.put(sl.verify_jwt(sl.sign_jwt(lst, key=KEY, sub=URI, iat=later, ttl=300), key=KEY.public_key(), now=later), fetched_at=later)
    assert cache.status_of(claim, now=later) == sl.INVALID
    assert cache.lookup("https://unknown.example/1", 0, now=later) is None

    # exp earlier than fetched_at + ttl wins; a list without ttl uses the default
    short = sl.verify_jwt(
        sl.sign_jwt(lst, key=KEY, sub=URI + "/2", iat=NOW, exp=NOW + timedelta(seconds=60), ttl=3600),
        key=KEY.public_key(), now=NOW,
    )
    cache.put(short, fetched_at=NOW)
    assert cache.needs_refresh(URI + "/2", now=NOW + timedelta(seconds=60))
    no_ttl = sl.verify_jwt(sl.sign_jwt(lst, key=KEY, sub=URI + "/3", iat=NOW), key=KEY.public_key(), now=NOW)
    cache.put(no_ttl, fetched_at=NOW)
    assert not cache.needs_refresh(URI + "/3", now=NOW + timedelta(minutes=9))
    assert cache.needs_refresh(URI + "/3", now=NOW + timedelta(minutes=10))


def test_status_claim_shapes() -> None:
    assert sl.status_claim(URI, 3) == {"status_list": {"idx": 3, "uri": URI}}
    assert sl.reference_of({"status_list": {"idx": 0, "uri": URI}}) == (URI, 0)
    for bad in (None, {}, {"status_list": {"idx": -1, "uri": URI}}, {"status_list": {"idx": True, "uri": URI}},
                {"status_list": {"idx": 1}}):
        with pytest.raises(sl.StatusListError):
            sl.reference_of(bad)


def test_cache_answers_the_qr_verifiers_is_revoked_question_on_the_platform_clock() -> None:
    from onecity import clock

    clock.freeze(NOW)
    lst = sl.StatusList.new(64, bits=2)
    lst.set(1, sl.INVALID)
    lst.set(2, sl.SUSPENDED)
    cache = sl.StatusCache()
    cache.put(sl.verify_cwt(sl.sign_cwt(lst, key=KEY, sub=URI, iat=NOW, ttl=60), key=KEY.public_key(), now=NOW),
              fetched_at=NOW)
    assert [cache.is_revoked(URI, i) for i in (0, 1, 2)] == [False, True, True]
    assert cache.is_revoked(URI, 64) is None and cache.is_revoked("https://other.example/1", 0) is None
    clock.advance(timedelta(seconds=60))
    assert cache.is_revoked(URI, 1) is None  # stale after ttl: not known until fetched again


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.integers(-2, 9), st.text(max_size=3), st.none()), st.text(max_size=200), st.binary(max_size=200))
def test_fuzz_list_decoders_only_raise_status_list_error(bits: Any, lst: str, blob: bytes) -> None:
    for decode, arg in ((sl.StatusList.from_json, {"bits": bits, "lst": lst}), (sl.StatusList.from_cbor, {"bits": bits, "lst": blob}),
                        (sl.StatusList.from_cbor, {"bits": 1, "lst": zlib.compress(blob)})):
        try:
            decoded = decode(arg)
        except sl.StatusListError:
            continue
        assert decoded.bits in sl.BITS and decoded.size >= 1
