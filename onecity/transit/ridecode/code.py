"""The ride code (乘车码): what the phone shows and the gate scans.

    ride code = certificate (126 bytes) || ts (uint32) || counter (uint16) || device signature (64)

196 bytes. The device key (bound in the certificate) signs

    "OCT1-ride" || SHA-256(certificate) || ts || counter

so the phone makes codes offline, one per screen refresh: `ts` is the phone's clock (epoch seconds)
and `counter` a per-device number that goes up with every code (it wraps at 65536; with `ts` it keeps
two codes made in the same second apart). The gate accepts a code for MAX_AGE_S after `ts` (and up to
CLOCK_SKEW_S before it), so a copied code dies within a minute, and refuses one it has already seen.

On screen it is a QR in alphanumeric mode holding the Base45 text (RFC 9285) of those bytes:
294 characters, QR version 10 at level M, the same version as the 196 raw bytes in byte mode
(tests/transit/test_ridecode.py::test_qr_versions measures both), so the text form wins: it survives
every scanner, clipboard and web page that would mangle binary, as the EU DCC found.

`parse_code` and `decode_qr` raise nothing but MalformedRideCode, whatever they are given.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass

import base45
import numpy as np

from onecity.transit.ridecode.certificate import (
    CERT_BYTES,
    SIG_BYTES,
    VERSION,
    DeviceCertificate,
    MalformedRideCode,
    check_frame,
    parse_certificate,
)
from onecity.transit.ridecode.keys import SigningKey

_TAIL = struct.Struct(">IH")
CODE_BYTES = CERT_BYTES + _TAIL.size + SIG_BYTES  # 196
CODE_DOMAIN = b"OCT1-ride"
MAX_TEXT_CHARS = 512
TEXT_CHARS = CODE_BYTES // 2 * 3  # 294
_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_BASE45 = frozenset(_ALPHABET)
_DIGITS = bytes(_ALPHABET.index(chr(i)) if chr(i) in _ALPHABET else 255 for i in range(256))
_WEIGHTS = np.array([1, 45, 2025], dtype=np.uint32)


@dataclass(frozen=True)
class RideCode:
    certificate: DeviceCertificate
    ts: int
    counter: int
    signature: bytes

    def signed_message(self) -> bytes:
        return signed_message(self.certificate.digest, self.ts, self.counter)

    @property
    def replay_key(self) -> tuple[int, int, int]:
        """What makes a code one tap: (certificate serial, ts, counter), all under the signatures."""
        return (self.certificate.serial, self.ts, self.counter)

    @property
    def tap_id(self) -> str:
        """Deterministic from the signed content, so a tap uploaded twice is one tap."""
        h = hashlib.sha256(b"OCT1-tap" + self.certificate.digest + _TAIL.pack(self.ts, self.counter))
        return "tap_" + h.hexdigest()[:26]


def signed_message(cert_digest: bytes, ts: int, counter: int) -> bytes:
    return CODE_DOMAIN + cert_digest + _TAIL.pack(ts, counter)


def make_code(certificate: bytes, device: SigningKey, *, ts: int, counter: int) -> bytes:
    """The phone's side: sign one ride code with the device key."""
    digest = hashlib.sha256(certificate).digest()
    return (
        certificate
        + _TAIL.pack(ts, counter & 0xFFFF)
        + device.sign(signed_message(digest, ts, counter & 0xFFFF))
    )


def parse_code(raw: bytes) -> RideCode:
    """Split ride-code bytes into their fields (no signature check)."""
    if not isinstance(raw, bytes | bytearray | memoryview):
        raise MalformedRideCode("malformed", "a ride code is bytes")
    raw = bytes(raw)
    check_frame(raw, size=CODE_BYTES, what="ride code", version_of="ride-code")
    cert = parse_certificate(raw[:CERT_BYTES])
    ts, counter = _TAIL.unpack_from(raw, CERT_BYTES)
    return RideCode(cert, ts, counter, raw[CERT_BYTES + _TAIL.size :])


def to_qr_text(code: bytes) -> str:
    return base45.b45encode(code).decode("ascii")


def decode_qr(data: str | bytes) -> bytes:
    """The code bytes from what a scanner read: the Base45 text (as str or ASCII bytes), or the raw
    binary code (a byte-mode QR)."""
    if isinstance(data, bytes | bytearray):
        if data[:1] == bytes([VERSION]):
            return bytes(data)
        try:
            data = bytes(data).decode("ascii")
        except UnicodeDecodeError as exc:
            raise MalformedRideCode("malformed", "not ASCII") from exc
    if not isinstance(data, str):
        raise MalformedRideCode("malformed", "a ride code is text or bytes")
    text = data.strip("\r\n\t")  # a scanner's line end; never spaces: " " is a Base45 digit
    if not text:
        raise MalformedRideCode("truncated", "empty ride code")
    if len(text) > MAX_TEXT_CHARS:
        raise MalformedRideCode("malformed", "too long for a ride code")
    if not _BASE45.issuperset(text):
        raise MalformedRideCode("malformed", "not Base45")
    try:
        return b45decode(text)
    except ValueError as exc:
        # the start of a ride code that stops short of a whole one is what a cut-off scan looks like
        reason = "truncated" if len(text) < TEXT_CHARS and _starts_like_a_code(text) else "malformed"
        raise MalformedRideCode(reason, "not Base45") from exc


def _starts_like_a_code(text: str) -> bool:
    if len(text) < 3:
        return True
    try:
        return b45decode(text[:3])[:1] == bytes([VERSION])
    except ValueError:
        return False


def b45decode(text: str) -> bytes:
    """RFC 9285 Base45 decoding, vectorised (a fifth of the `base45` package's time on a ride code,
    which is a fifth of a gate's verification); raises ValueError on anything not canonical Base45.
    tests/transit/test_fuzz_ridecode.py checks it against the `base45` package."""
    digits = np.frombuffer(text.encode("ascii").translate(_DIGITS), dtype=np.uint8)
    if digits.size and int(digits.max()) == 255:
        raise ValueError("not a Base45 character")
    whole, rest = divmod(digits.size, 3)
    if rest == 1:
        raise ValueError("a Base45 text cannot end with one character")
    values = digits[: whole * 3].reshape(-1, 3).astype(np.uint32) @ _WEIGHTS
    if values.size and int(values.max()) > 0xFFFF:
        raise ValueError("Base45 triple out of range")
    out = values.astype(">u2").tobytes()
    if rest == 2:
        last = int(digits[-2]) + int(digits[-1]) * 45
        if last > 0xFF:
            raise ValueError("Base45 pair out of range")
        out += bytes([last])
    return out
