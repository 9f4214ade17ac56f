"""The citizen's payment code (付款码) — pure rules: HOTP/TOTP and the 18-digit layout.

A payment code is 18 decimal digits, derived OFFLINE on the phone from a device secret that the server
provisioned at sign-in:

    28 DDDDDDDD TTTTTTTT
    │  │        └ 8 TOTP digits: RFC 6238 (HMAC-SHA-256, 60-second steps from the Unix epoch,
    │  │          RFC 4226 dynamic truncation, mod 10^8) of the device secret
    │  └ 8-digit device number: random, unique, assigned at provisioning; it carries no citizen
    │    data and lets the server find the one secret to check without trying every device
    └ "28": OneCity's prefix (China's wallets use 25–30; a cashier's scanner routes on it)

The server accepts the code of the current step and of the step before or after it (a phone clock up
to about a minute off), each code at most once, and never a step at or before one that device has
already paid with.

Guessing odds. An attacker who does not know a device number hits a live one with probability
(devices / 10^8) and then the TOTP with 3 / 10^8 (three accepted steps): below 3·10^-8 per try even
with every number in use. One who has seen a victim's earlier code knows the device number and
still faces 3 / 10^8 = 1 in 33 million per try, and a merchant gets only a few wrong codes per ten
minutes (see service.GUESS_LIMIT) before it is refused: years of guessing per expected success.

Glossary: 付款码 payment code · 设备 device · 时间步 time step · 小额免密 small-amount limit.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import struct

PREFIX = "28"
DEVICE_DIGITS = 8
TOTP_DIGITS = 8
PERIOD_SECONDS = 60
CODE_LENGTH = len(PREFIX) + DEVICE_DIGITS + TOTP_DIGITS  # 18
ALGORITHM = "SHA256"

_HASHES = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}
_CODE_RE = re.compile(rf"^{PREFIX}[0-9]{{{DEVICE_DIGITS + TOTP_DIGITS}}}$")


def hotp(secret: bytes, counter: int, *, digits: int = 6, algorithm: str = "SHA1") -> str:
    """RFC 4226 HOTP: HMAC over the 8-byte big-endian counter, dynamic truncation, mod 10^digits."""
    mac = hmac.new(secret, struct.pack(">Q", counter), _HASHES[algorithm]).digest()
    offset = mac[-1] & 0x0F
    binary = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(binary % 10**digits).zfill(digits)


def time_step(unix_seconds: int, *, period: int = PERIOD_SECONDS) -> int:
    """The RFC 6238 time step of whole Unix seconds."""
    return unix_seconds // period


def totp(
    secret: bytes, unix_seconds: int, *, digits: int = 8, algorithm: str = "SHA1", period: int = 30
) -> str:
    """RFC 6238 TOTP with T0 = 0."""
    return hotp(secret, time_step(unix_seconds, period=period), digits=digits, algorithm=algorithm)


def payment_code(secret: bytes, device_number: str, step: int) -> str:
    """The 18-digit code a device shows during `step` (what the phone's JavaScript computes too)."""
    return PREFIX + device_number + hotp(secret, step, digits=TOTP_DIGITS, algorithm=ALGORITHM)


def split_code(code: str) -> tuple[str, str] | None:
    """(device number, TOTP digits) of a well-formed code, else None."""
    code = code.strip()
    if not _CODE_RE.match(code):
        return None
    body = code[len(PREFIX) :]
    return body[:DEVICE_DIGITS], body[DEVICE_DIGITS:]
