"""The device certificate (设备证书): the platform's transit key vouches for one phone's device key
for a day.

Fixed binary layout, big-endian, 126 bytes (version 1):

    offset size  field
         0    1  version (1)
         1    2  kid of the platform transit key that signed it
         3    8  serial (uint64; the deny-list names lost or replaced phones by it)
        11    8  rider reference (opaque: the platform maps it to the account; no personal data)
        19   32  device public key (Ed25519, raw)
        51    4  not_before (uint32, epoch seconds)
        55    4  not_after (uint32, epoch seconds)
        59    2  max_fare (uint16, fen; the most one ride may cost on post-pay, 0 = no rides)
        61    1  flags (FLAG_*: networks the rider may use, concession)
        62   64  platform signature (Ed25519) over "OCT1-cert" || bytes 0..61

Why fixed binary rather than CBOR with integer keys: every field has a fixed width, so CBOR would add
only headers (map headers, one key byte per field, bstr headers for the keys and signatures, integer
type bytes). The same ride code as CBOR (certificate a map under its signature, the code a map around
it) is 218–226 bytes (as the serial grows) instead of 196, which takes the QR from version 10 to 11
at level M (tests/transit/test_ridecode.py::test_fixed_layout_is_smaller_than_cbor measures it),
and parses slower. The version byte leaves room to change the layout.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from functools import cached_property

from onecity.errors import DomainError
from onecity.transit.ridecode.keys import KID_BYTES, SigningKey

VERSION = 1
_BODY = struct.Struct(">B2sQ8s32sIIHB")
BODY_BYTES = _BODY.size  # 62
SIG_BYTES = 64
CERT_BYTES = BODY_BYTES + SIG_BYTES  # 126
RIDER_REF_BYTES = 8
CERT_DOMAIN = b"OCT1-cert"
VALIDITY_S = 24 * 3600

FLAG_METRO = 0x01
FLAG_BUS = 0x02
FLAG_CONCESSION = 0x04  # e.g. seniors ride buses free: the fare rules decide, the gate only carries it
FLAGS_ALL = FLAG_METRO | FLAG_BUS | FLAG_CONCESSION


class MalformedRideCode(DomainError):
    """Bytes or text that are not a ride code (or certificate) of a known layout. `reason` is
    "truncated" (too short for its layout) or "malformed" (anything else)."""

    code = "ride_code_malformed"
    status = 422
    message_zh = "无法识别的乘车码"
    message_en = "Not a readable ride code"

    def __init__(self, reason: str, detail: str | None = None) -> None:
        super().__init__(detail or reason)
        self.reason = reason


@dataclass(frozen=True)
class DeviceCertificate:
    kid: bytes
    serial: int
    rider_ref: bytes
    device_public: bytes
    not_before: int
    not_after: int
    max_fare: int
    flags: int
    signature: bytes
    raw: bytes  # the 126 bytes as signed and carried

    @property
    def body(self) -> bytes:
        return self.raw[:BODY_BYTES]

    def signed_message(self) -> bytes:
        return CERT_DOMAIN + self.body

    @cached_property
    def digest(self) -> bytes:
        """SHA-256 of the whole certificate: what the device signs each code over."""
        return hashlib.sha256(self.raw).digest()


def issue_certificate(
    platform: SigningKey,
    *,
    serial: int,
    rider_ref: bytes,
    device_public: bytes,
    not_before: int,
    validity_s: int = VALIDITY_S,
    max_fare: int = 5000,
    flags: int = FLAG_METRO | FLAG_BUS,
) -> bytes:
    """Sign a device certificate; returns its 126 bytes."""
    if len(rider_ref) != RIDER_REF_BYTES:
        raise ValueError(f"a rider reference is {RIDER_REF_BYTES} bytes")
    if len(device_public) != 32:
        raise ValueError("a device key is a raw 32-byte Ed25519 public key")
    if not 0 <= max_fare <= 0xFFFF or flags & ~FLAGS_ALL:
        raise ValueError("max_fare is 0..65535 fen and flags only FLAG_* bits")
    body = _BODY.pack(VERSION, platform.kid, serial, rider_ref, device_public, not_before,
                      not_before + validity_s, max_fare, flags)  # fmt: skip
    return body + platform.sign(CERT_DOMAIN + body)


def check_frame(raw: bytes, *, size: int, what: str, version_of: str) -> None:
    """`raw` is one `what` of exactly `size` bytes whose first byte is VERSION: if not, MalformedRideCode
    ("truncated" when it is empty or short, "malformed" otherwise)."""
    if len(raw) < 1:
        raise MalformedRideCode("truncated", f"empty {what}")
    if raw[0] != VERSION:
        raise MalformedRideCode("malformed", f"unknown {version_of} version {raw[0]}")
    if len(raw) != size:
        raise MalformedRideCode("truncated" if len(raw) < size else "malformed",
                                f"{what} of {len(raw)} bytes, {size} expected")


def parse_certificate(raw: bytes) -> DeviceCertificate:
    """Split a certificate into its fields (no signature check). Raises only MalformedRideCode."""
    check_frame(raw, size=CERT_BYTES, what="certificate", version_of="certificate")
    _, kid, serial, rider, device, nb, na, max_fare, flags = _BODY.unpack_from(raw)
    if na <= nb or flags & ~FLAGS_ALL:
        raise MalformedRideCode("malformed", "certificate validity or flags out of range")
    assert len(kid) == KID_BYTES
    return DeviceCertificate(
        kid, serial, rider, device, nb, na, max_fare, flags, raw[BODY_BYTES:], bytes(raw)
    )
