"""HOTP/TOTP against the RFC test vectors, and the 18-digit layout."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from onecity.payments.codes import totp

RFC4226_SECRET = b"12345678901234567890"
# RFC 4226 Appendix D: HOTP values for counters 0..9 (6 digits, HMAC-SHA-1).
RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]

SEED = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
# RFC 6238 Appendix B: 8-digit TOTP, 30-second steps, T0 = 0.
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize(("counter", "expected"), list(enumerate(RFC4226)))
def test_hotp_rfc4226_vectors(counter: int, expected: str) -> None:
    assert totp.hotp(RFC4226_SECRET, counter) == expected


@pytest.mark.parametrize(("t", "sha1", "sha256", "sha512"), RFC6238)
def test_totp_rfc6238_vectors(t: int, sha1: str, sha256: str, sha512: str) -> None:
    for algorithm, expected in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        assert totp.totp(SEED[algorithm], t, digits=8, algorithm=algorithm, period=30) == expected


def test_payment_code_layout() -> None:
    secret = SEED["SHA256"]
    step = totp.time_step(1111111111)  # 60-second steps: 18518518
    assert step == 18518518
    code = totp.payment_code(secret, "00012345", step)
    assert len(code) == totp.CODE_LENGTH == 18
    assert code[:2] == "28" and code[2:10] == "00012345"
    assert code[10:] == totp.hotp(secret, step, digits=8, algorithm="SHA256")
    assert totp.split_code(code) == ("00012345", code[10:])


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "28",
        "2800012345123456",
        "290001234512345678",
        "28000123451234567a",
        "2800012345123456789",
        "２８00012345123456",
    ],
)
def test_split_code_rejects_malformed(bad: str) -> None:
    assert totp.split_code(bad) is None


@settings(max_examples=200, deadline=None)
@given(
    secret=st.binary(min_size=32, max_size=32),
    number=st.from_regex(r"[0-9]{8}", fullmatch=True),
    unix=st.integers(min_value=0, max_value=2**40),
)
def test_code_layout_holds_for_any_secret_and_time(secret: bytes, number: str, unix: int) -> None:
    step = totp.time_step(unix)
    code = totp.payment_code(secret, number, step)
    assert len(code) == 18 and code.isdigit() and code.startswith("28")
    assert totp.split_code(code) == (number, totp.hotp(secret, step, digits=8, algorithm="SHA256"))
    # The same secret at the same step gives the same code (the phone and the server agree).
    assert code == totp.payment_code(secret, number, totp.time_step(step * 60 + 59))
