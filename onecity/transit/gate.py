"""The gate and validator library (闸机/验票机): judges ride codes with no network.

A gate holds the platform's transit key set (`ridecode.keys.KeySet`), the deny-list
(`denylist.DenyList`), a replay window (`replay.ReplayWindow`) and its tap store
(`tapstore.TapStore`). `Gate.tap` judges one scanned code and stores the tap; `Gate.check` judges
without remembering or storing (a handheld inspector, the simulator's `verify`).

Checks, in order, each with its verdict:

    truncated / malformed   not a ride code of a known layout (cut-off scan, garbage, other QR)
    unknown_key             certificate signed by a kid the gate's key set does not hold
    forged                  platform signature over the certificate, or device signature over the code,
                            does not verify
    certificate_expired     the device certificate's validity ended (gate clock, with skew)
    not_yet_valid           certificate not valid yet, or code ts ahead of the gate clock by more than
                            CLOCK_SKEW_S (the phone's clock is wrong)
    expired                 code older than MAX_AGE_S (a screenshot, a copied code)
    denied                  rider in arrears or phone reported lost (deny-list)
    not_permitted           the certificate's flags do not cover this gate's network
    replayed                this very code was already accepted here
    ok

Nothing unsigned is trusted: dates and flags are read only after both signatures verified.

A rider shows a new code at every tap but the same certificate all day, so the gate remembers the
certificates whose platform signature it verified (`CertificateCache`): a known certificate costs one
Ed25519 verification per code (the device's) instead of two. The cache is keyed by the SHA-256 of the
whole certificate as carried (signature included), holds only certificates that verified, is
bounded (least recently used out first) and is emptied when the key set changes (rotation, a key
withdrawn). A forged certificate differs in its bytes, so it is never a hit and is verified, and
fails, every time.
Gates do not talk to each other offline: a copy shown at another gate within the same minute passes
there too; on upload both carry the same tap id (deterministic from the code), so the platform counts
one tap and sees the copy.
`check` and `tap` never raise on what a scanner hands them.

Glossary: 乘车码 ride code · 闸机 gate · 验票机 validator (bus) · 进站 tap in · 出站 tap out ·
设备证书 device certificate · 平台密钥 platform key · 密钥轮换 key rotation · 黑名单 deny-list ·
欠费 arrears · 重放 replay · 脱机 offline · 时钟偏差 clock skew.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from onecity.transit.denylist import DenyList
from onecity.transit.replay import ReplayWindow
from onecity.transit.ridecode import code as ridecode
from onecity.transit.ridecode.certificate import FLAG_BUS, FLAG_METRO, DeviceCertificate, MalformedRideCode
from onecity.transit.ridecode.keys import KeySet
from onecity.transit.tapstore import TapRecord, TapStore

MAX_AGE_S = 60
CLOCK_SKEW_S = 30
CERT_CACHE_SIZE = 4096  # certificates (riders' phones) a gate remembers as verified; ~0.5 MB

NETWORK_FLAGS = {"metro": FLAG_METRO, "bus": FLAG_BUS}
DIRECTIONS = ("in", "out")

MESSAGES: dict[str, tuple[str, str]] = {
    "ok": ("请通行", "Go ahead"),
    "truncated": ("乘车码不完整，请重新扫码", "Incomplete code; scan again"),
    "malformed": ("无法识别的乘车码", "Not a ride code"),
    "unknown_key": ("乘车码签发密钥未知，请刷新乘车码", "Unknown signing key; refresh the ride code"),
    "forged": ("乘车码无效（签名错误）", "Invalid ride code (bad signature)"),
    "certificate_expired": ("乘车码已过期，请联网刷新", "Ride code expired; go online to refresh it"),
    "not_yet_valid": ("手机时间不准，请校准时间", "The phone's clock is wrong"),
    "expired": ("乘车码已失效（截图或过期）", "Stale code (a screenshot or too old)"),
    "denied": ("账户欠费或设备已挂失，请在应用内处理", "Account in arrears or phone reported lost"),
    "not_permitted": ("此乘车码不可用于本线路", "This ride code does not cover this network"),
    "replayed": ("乘车码已使用", "This code was already used"),
}
REASONS = tuple(MESSAGES)


@dataclass(frozen=True)
class Verdict:
    reason: str
    tap_id: str | None = None
    rider_ref: bytes | None = None
    serial: int | None = None
    code_ts: int | None = None
    max_fare: int | None = None
    flags: int | None = None
    detail: str | None = None

    @property
    def ok(self) -> bool:
        return self.reason == "ok"

    @property
    def message(self) -> tuple[str, str]:
        """(zh-CN, en) text for the gate's screen."""
        return MESSAGES[self.reason]


@dataclass(frozen=True)
class GatePlace:
    gate_id: str
    stop_id: str
    network: str  # "metro" | "bus"
    direction: str  # "in" | "out" (a bus validator is "in")

    def __post_init__(self) -> None:
        if self.network not in NETWORK_FLAGS or self.direction not in DIRECTIONS:
            raise ValueError(f"network is one of {tuple(NETWORK_FLAGS)}, direction one of {DIRECTIONS}")


class CertificateCache:
    """The device keys of certificates whose platform signature verified under a key set, by the
    SHA-256 of the certificate's bytes; least recently used out first; emptied when the key set (the
    object, or its version) changes. `size` 0 remembers nothing."""

    def __init__(self, size: int = CERT_CACHE_SIZE) -> None:
        self.size = size
        self._devices: OrderedDict[bytes, Ed25519PublicKey] = OrderedDict()
        self._keys: KeySet | None = None
        self._keys_version = -1
        self.hits = self.misses = 0

    def __len__(self) -> int:
        return len(self._devices)

    def device_key(self, cert: DeviceCertificate, keys: KeySet) -> Ed25519PublicKey | None:
        """The certified device key, or None when the certificate's platform signature does not verify
        under `keys` (or its kid is not in them)."""
        if self._keys is not keys or self._keys_version != keys.version:
            self._devices.clear()
            self._keys, self._keys_version = keys, keys.version
        digest = cert.digest
        device = self._devices.get(digest)
        if device is not None:
            self._devices.move_to_end(digest)
            self.hits += 1
            return device
        self.misses += 1
        platform = keys.get(cert.kid)
        if platform is None:
            return None
        try:
            platform.verify(cert.signature, cert.signed_message())
            device = Ed25519PublicKey.from_public_bytes(cert.device_public)
        except (InvalidSignature, ValueError):
            return None
        if self.size > 0:
            self._devices[digest] = device
            if len(self._devices) > self.size:
                self._devices.popitem(last=False)
        return device


class Gate:
    def __init__(
        self,
        place: GatePlace,
        keys: KeySet,
        *,
        deny: DenyList | None = None,
        store: TapStore | None = None,
        max_age_s: int = MAX_AGE_S,
        clock_skew_s: int = CLOCK_SKEW_S,
        replay_capacity: int = 100_000,
        cert_cache_size: int = CERT_CACHE_SIZE,
        now: int | None = None,
    ) -> None:
        self.place = place
        self.keys = keys
        self.deny = deny or DenyList()
        self.store = store
        self.max_age_s = max_age_s
        self.clock_skew_s = clock_skew_s
        self.replay = ReplayWindow(replay_capacity)
        self.certificates = CertificateCache(cert_cache_size)
        if store is not None and now is not None:  # a restarted gate still refuses what it accepted
            for r in store.recent_accepted(now - max_age_s):
                if r.code_ts is not None:
                    self.replay.remember(r.tap_id, r.code_ts + max_age_s, now=now)

    @classmethod
    def in_directory(cls, place: GatePlace, keys: KeySet, directory: Path, **kw: object) -> Gate:
        return cls(place, keys, store=TapStore.in_directory(directory), **kw)  # type: ignore[arg-type]

    def check(self, data: str | bytes, *, now: int) -> Verdict:
        """Judge a scanned code without remembering it."""
        try:
            return self._judge(data, now)
        except MalformedRideCode as exc:
            return Verdict(exc.reason, detail=exc.detail)

    def tap(self, data: str | bytes, *, now: int) -> Verdict:
        """Judge a scanned code, remember it if accepted, and store the tap."""
        v = self.check(data, now=now)
        tap_id, code_ts = v.tap_id, v.code_ts
        if v.ok and tap_id is not None and code_ts is not None:
            if self.replay.seen(tap_id, code_ts + self.max_age_s):
                v = _as(v, "replayed")
            else:
                self.replay.remember(tap_id, code_ts + self.max_age_s, now=now)
        if self.store is not None:
            self.store.append(self.record(v, now=now, code=_code_text(data) if v.ok else None))
        return v

    def record(self, v: Verdict, *, now: int, code: str | None = None) -> TapRecord:
        """The tap as the gate stores it; `code` is the scanned ride code's text (kept for the upload)."""
        p = self.place
        return TapRecord(
            tap_id=v.tap_id or "tap_unreadable",
            gate_id=p.gate_id,
            stop_id=p.stop_id,
            network=p.network,
            direction=p.direction,
            at=now,
            code_ts=v.code_ts,
            rider_ref=v.rider_ref.hex() if v.rider_ref is not None else None,
            serial=v.serial,
            verdict=v.reason,
            detail=v.detail,
            code=code,
        )

    def _judge(self, data: str | bytes, now: int) -> Verdict:
        code = ridecode.parse_code(ridecode.decode_qr(data))
        cert = code.certificate
        if self.keys.get(cert.kid) is None:
            return Verdict("unknown_key", detail=f"kid {cert.kid.hex()}")
        device = self.certificates.device_key(cert, self.keys)
        if device is None:
            return Verdict("forged", detail="platform signature")
        try:
            device.verify(code.signature, code.signed_message())
        except InvalidSignature:
            return Verdict("forged", detail="device signature")
        seen = Verdict("ok", code.tap_id, cert.rider_ref, cert.serial, code.ts, cert.max_fare, cert.flags)
        skew = self.clock_skew_s
        if now > cert.not_after + skew or code.ts > cert.not_after + skew:
            return _as(seen, "certificate_expired")
        if now < cert.not_before - skew or code.ts < cert.not_before - skew:
            return _as(seen, "not_yet_valid", "certificate not valid yet")
        if code.ts > now + skew:
            return _as(seen, "not_yet_valid", f"code made {code.ts - now} s ahead of the gate clock")
        if now - code.ts > self.max_age_s:
            return _as(seen, "expired", f"code made {now - code.ts} s ago")
        why = self.deny.denies(rider_ref=cert.rider_ref, serial=cert.serial)
        if why is not None:
            return _as(seen, "denied", why)
        if not cert.flags & NETWORK_FLAGS[self.place.network]:
            return _as(seen, "not_permitted", self.place.network)
        return seen


def _code_text(data: str | bytes) -> str:
    """The Base45 text of a code the gate accepted, whichever form the scanner handed over."""
    if isinstance(data, str):
        return data.strip("\r\n\t")
    return ridecode.to_qr_text(ridecode.decode_qr(data))


def _as(v: Verdict, reason: str, detail: str | None = None) -> Verdict:
    return Verdict(reason, v.tap_id, v.rider_ref, v.serial, v.code_ts, v.max_fare, v.flags, detail)
