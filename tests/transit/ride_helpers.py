"""Keys, certificates and ride codes for the ride-code and gate tests."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from onecity.transit.ridecode import certificate, code
from onecity.transit.ridecode.keys import SigningKey

NOW = 1_795_000_000  # a Tuesday in November 2026, epoch seconds


def seeded(name: str) -> SigningKey:
    return SigningKey.from_seed(hashlib.sha256(name.encode()).digest())


PLATFORM = seeded("platform-2026a")
PLATFORM_NEXT = seeded("platform-2026b")


@dataclass(frozen=True)
class Phone:
    device: SigningKey
    cert: bytes
    rider_ref: bytes
    serial: int

    def code(self, *, ts: int = NOW, counter: int = 1) -> bytes:
        return code.make_code(self.cert, self.device, ts=ts, counter=counter)

    def text(self, *, ts: int = NOW, counter: int = 1) -> str:
        return code.to_qr_text(self.code(ts=ts, counter=counter))


def phone(n: int = 1, *, platform: SigningKey = PLATFORM, not_before: int = NOW - 3600,
          validity_s: int = certificate.VALIDITY_S, flags: int = certificate.FLAG_METRO | certificate.FLAG_BUS,
          max_fare: int = 5000) -> Phone:  # fmt: skip
    device = seeded(f"device-{n}")
    rider = hashlib.sha256(f"rider-{n}".encode()).digest()[:8]
    cert = certificate.issue_certificate(platform, serial=1000 + n, rider_ref=rider, device_public=device.public,
                                         not_before=not_before, validity_s=validity_s, max_fare=max_fare,
                                         flags=flags)  # fmt: skip
    return Phone(device, cert, rider, 1000 + n)
