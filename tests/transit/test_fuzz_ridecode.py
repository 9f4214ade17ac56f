"""Fuzzing the ride-code parser and the gate (Hypothesis): whatever a scanner hands them, the parser
raises nothing but MalformedRideCode, the gate returns a verdict, and only the genuine code (or one
signed by the genuine keys) is ever accepted."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity.transit.gate import REASONS, Gate, GatePlace
from onecity.transit.ridecode import code
from onecity.transit.ridecode.certificate import CERT_BYTES, MalformedRideCode
from onecity.transit.ridecode.keys import KeySet
from tests.transit.pure import _clean_state  # noqa: F401 - no database: no table wipe
from tests.transit.ride_helpers import NOW, PLATFORM, phone

FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PHONE = phone()
GENUINE = PHONE.code()
GATE = Gate(GatePlace("g", "S01", "metro", "in"), KeySet([PLATFORM.public]))
BASE45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def parse_any(data: object) -> None:
    try:
        code.parse_code(code.decode_qr(data))  # type: ignore[arg-type]
    except MalformedRideCode as exc:
        assert exc.reason in ("truncated", "malformed")


@given(st.one_of(st.binary(max_size=400), st.text(max_size=400), st.text(alphabet=BASE45, max_size=400),
                 st.integers(), st.none(), st.lists(st.integers())))  # fmt: skip
@FUZZ
def test_the_parser_raises_only_its_typed_error(data: object) -> None:
    parse_any(data)


@given(st.binary(min_size=1, max_size=400))
@FUZZ
def test_any_bytes_as_base45_text_parse_or_fail_typed(raw: bytes) -> None:
    parse_any(code.to_qr_text(b"\x01" + raw))


@given(st.binary(min_size=195, max_size=195))
@FUZZ
def test_text_form_round_trips_every_code_shaped_byte_string(tail: bytes) -> None:
    raw = b"\x01" + tail
    assert code.decode_qr(code.to_qr_text(raw)) == raw
    assert code.decode_qr(code.to_qr_text(raw) + "\r\n") == raw


@given(st.lists(st.tuples(st.integers(0, len(GENUINE) - 1), st.integers(1, 255)), min_size=1, max_size=4))
@FUZZ
def test_any_flipped_byte_is_refused(flips: list[tuple[int, int]]) -> None:
    raw = bytearray(GENUINE)
    for i, x in flips:
        raw[i] ^= x
    if bytes(raw) == GENUINE:
        return
    v = GATE.check(code.to_qr_text(bytes(raw)), now=NOW)
    assert v.reason in REASONS and not v.ok
    # changing anything signed by the platform or the device is forgery, not a date problem
    if all(3 <= i < len(GENUINE) for i, _ in flips) and bytes(raw)[:1] == b"\x01":
        assert v.reason in ("forged", "malformed")


@given(st.integers(0, len(GENUINE)))
@FUZZ
def test_every_truncation_is_refused_as_such(n: int) -> None:
    v = GATE.check(code.to_qr_text(GENUINE[:n]), now=NOW)
    assert v.reason == "truncated" if n < len(GENUINE) else v.ok
    text = code.to_qr_text(GENUINE)
    for cut in (text[: n + n // 2], text[:n]):  # a scan cut anywhere in the text
        assert (
            GATE.check(cut, now=NOW).reason == "truncated"
            if len(cut) < len(text)
            else GATE.check(cut, now=NOW).ok
        )


@given(st.binary(min_size=CERT_BYTES, max_size=CERT_BYTES))
@FUZZ
def test_a_random_certificate_under_a_genuine_device_signature_is_refused(cert: bytes) -> None:
    forged = code.make_code(b"\x01" + cert[1:], PHONE.device, ts=NOW, counter=1)
    v = GATE.check(forged, now=NOW)
    assert v.reason in ("unknown_key", "forged", "malformed")


@given(
    st.one_of(st.text(alphabet=BASE45, max_size=60), st.binary(max_size=40).map(lambda b: code.to_qr_text(b)))
)
@FUZZ
def test_the_fast_base45_decoder_agrees_with_the_base45_package(text: str) -> None:
    import base45

    try:
        expected: bytes | None = bytes(base45.b45decode(text))
    except ValueError:
        expected = None
    try:
        got: bytes | None = code.b45decode(text)
    except ValueError:
        got = None
    assert got == expected
