"""Showing a certificate (亮证) as a rotating QR, and verifying it offline (验证).

A presentation is the CBOR array

    [certificate: bstr, ts: uint, holder_hint: bstr(2), holder_sig: bstr (, nonce: bstr)]

where `certificate` is the issuer-signed COSE_Sign1 (the full certificate or a purpose view),
`ts` the phone's clock in epoch seconds, `holder_hint` the first 2 bytes of SHA-256 of the holder's
public key (diagnostic: it tells "wrong holder" from "tampered"), and `holder_sig` the holder key's
signature over

    CBOR(["OC1-show", ts, SHA-256(certificate), holder_hint, nonce or null])

(every member is signed, so no byte of a presentation can change without failing it)

with the key bound in the certificate's `cnf`. The app draws a new one every `ROTATE_S` seconds; a
verifier accepts it for `MAX_AGE_S` seconds after `ts` (and up to `CLOCK_SKEW_S` seconds before), so a
screenshot dies within a minute. A verifier online may send a nonce to make replay impossible.

`verify_presentation` never raises: any input gives a `Verdict` with one of `REASONS`. It checks the
signatures first (nothing unsigned is trusted), then validity, freshness and revocation, and
discloses the claims only when the verdict is ok.
"""

from __future__ import annotations

import hashlib
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import cbor2

from onecity.credentials import algorithms, cwt
from onecity.credentials.cwt import MalformedCredential

ROTATE_S = 30
HINT_BYTES = 2
MAX_AGE_S = 60
CLOCK_SKEW_S = 30
_DOMAIN = "OC1-show"

REASONS = (
    "ok",
    "malformed",
    "bad_signature",
    "unknown_issuer",
    "expired",
    "not_yet_valid",
    "revoked",
    "wrong_holder",
    "tampered",
    "stale_presentation",
    "clock_skew",
    "unknown_type",
)

MESSAGES: dict[str, tuple[str, str]] = {
    "ok": ("证照有效", "Valid"),
    "malformed": ("无法识别的出示码", "Not a readable certificate code"),
    "bad_signature": ("签发机构签名无效", "The issuer's signature is invalid"),
    "unknown_issuer": ("签发机构不在信任列表中", "The issuer is not in the trust list"),
    "expired": ("证照已过期", "The certificate has expired"),
    "not_yet_valid": ("证照尚未生效", "The certificate is not valid yet"),
    "revoked": ("证照已吊销或暂停", "The certificate is revoked or suspended"),
    "wrong_holder": ("出示人不是持证人", "Shown by someone other than the holder"),
    "tampered": ("出示码被篡改", "The code was altered"),
    "stale_presentation": ("出示码已失效（截图或重放）", "The code is stale (a screenshot or a replay)"),
    "clock_skew": ("出示设备时间不准", "The showing phone's clock is wrong"),
    "unknown_type": ("未知的证照类型", "Unknown certificate type"),
}


class TrustedKeyLike(Protocol):
    """A trusted issuer key (e.g. `trust.TrustedSigner`). When it also has `covers(at: datetime)`,
    the certificate's iat must fall in the key's signing period (a retired key stays valid for what it
    signed, and signs nothing new)."""

    @property
    def issuer_id(self) -> str: ...
    @property
    def alg(self) -> str: ...
    @property
    def public_key(self) -> bytes: ...


class TrustStore(Protocol):
    """What the verifier needs from a trust list (`trust.TrustStore` fits): the key of a kid, as a
    `TrustedKeyLike` or an (issuer id, alg, public key) tuple, or None."""

    def lookup(self, kid: str) -> TrustedKeyLike | tuple[str, str, bytes] | None: ...


class StatusCache(Protocol):
    """Cached status lists: True revoked/suspended, False valid, None not known (not cached/expired)."""

    def is_revoked(self, uri: str, idx: int) -> bool | None: ...


@dataclass(frozen=True)
class Verdict:
    ok: bool
    reason: str
    issuer: str | None = None
    type_id: int | str | None = None
    view: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)  # disclosed claims, only when ok
    expires_at: int | None = None
    presented_at: int | None = None
    status_checked: bool = False  # False when offline without a cached status list for it

    @property
    def message(self) -> tuple[str, str]:
        """(zh-CN, en) text for the verifier's screen."""
        return MESSAGES[self.reason]


@dataclass(frozen=True)
class Presentation:
    certificate: bytes
    ts: int
    holder_hint: bytes
    holder_sig: bytes
    nonce: bytes | None


def holder_hint(public: bytes) -> bytes:
    return hashlib.sha256(public).digest()[:HINT_BYTES]


def signed_message(certificate: bytes, ts: int, hint: bytes, nonce: bytes | None) -> bytes:
    return cbor2.dumps([_DOMAIN, ts, cwt.certificate_hash(certificate), hint, nonce])


def _epoch(now: datetime | int) -> int:
    return now if isinstance(now, int) else int(now.timestamp())


def present(
    certificate: bytes,
    *,
    holder_alg: str,
    holder_private: bytes,
    holder_public: bytes,
    now: datetime | int,
    nonce: bytes | None = None,
) -> str:
    """The QR text the holder's phone shows now (draw a new one every ROTATE_S seconds)."""
    ts = _epoch(now)
    hint = holder_hint(holder_public)
    sig = algorithms.sign(
        holder_alg, holder_private, signed_message(certificate, ts, hint, nonce), public=holder_public
    )
    items: list[Any] = [certificate, ts, hint, sig]
    if nonce is not None:
        items.append(nonce)
    return cwt.encode_qr(cbor2.dumps(items))


def parse_presentation(data: bytes) -> Presentation:
    items = cwt.loads(data)
    if not isinstance(items, list) or len(items) not in (4, 5):
        raise MalformedCredential("a presentation is an array of four or five")
    certificate, ts, hint, sig = items[:4]
    nonce = items[4] if len(items) == 5 else None
    if not isinstance(certificate, bytes) or type(ts) is not int or ts < 0:
        raise MalformedCredential("presentation certificate / timestamp")
    if not isinstance(hint, bytes) or len(hint) != HINT_BYTES or not isinstance(sig, bytes):
        raise MalformedCredential("presentation holder hint / signature")
    if len(items) == 5 and not isinstance(nonce, bytes):
        raise MalformedCredential("presentation nonce")
    return Presentation(certificate, ts, hint, sig, nonce)


def _trusted(trust: TrustStore, kid: str, issued_at: int) -> tuple[str, str, bytes] | None:
    entry = trust.lookup(kid)
    if entry is None:
        return None
    if isinstance(entry, tuple):
        issuer, alg, public = entry
        return str(issuer), str(alg), bytes(public)
    covers = getattr(entry, "covers", None)
    if covers is not None:
        try:
            signed_at = datetime.fromtimestamp(issued_at, UTC)
        except (OverflowError, ValueError, OSError) as e:
            raise MalformedCredential("iat out of range") from e
        if not covers(signed_at):
            return None  # signed outside the key's signing period
    return str(entry.issuer_id), str(entry.alg), bytes(entry.public_key)


def verify_presentation(
    text: str,
    *,
    trust: TrustStore,
    status: StatusCache | None,
    now: datetime | int,
    nonce: bytes | None = None,
    types: Mapping[Any, Mapping[int, str]] | None = None,
) -> Verdict:
    """Verify a presentation QR text offline. `types` maps a type (as the CWT carries it: its
    code or id) to its field names (key -> name); given, an unknown type fails and claims come back by name, otherwise by str(key). Never raises."""
    try:
        return _verify(text, trust=trust, status=status, now=now, nonce=nonce, types=types)
    except MalformedCredential:
        return Verdict(False, "malformed")
    except Exception:  # a bug must not crash a verifier at a hotel counter; the fuzz tests call _verify
        return Verdict(False, "malformed")


def _verify(
    text: str,
    *,
    trust: TrustStore,
    status: StatusCache | None,
    now: datetime | int,
    nonce: bytes | None,
    types: Mapping[Any, Mapping[int, str]] | None,
) -> Verdict:
    p = parse_presentation(cwt.decode_qr(text))
    signed = cwt.parse(p.certificate)
    cert = signed.certificate

    entry = _trusted(trust, signed.kid, cert.issued_at)
    if entry is None:
        return Verdict(False, "unknown_issuer")
    issuer, alg, public = entry
    if not cwt.verify_signature(signed, alg=alg, public=public):
        return Verdict(False, "bad_signature")
    if cert.issuer is not None and cert.issuer != issuer:  # a trusted key signing for another issuer
        return Verdict(False, "unknown_issuer")

    def fail(reason: str) -> Verdict:
        return Verdict(False, reason, issuer=issuer, type_id=cert.type_id, view=cert.view,
                       expires_at=cert.expires_at, presented_at=p.ts)  # fmt: skip

    if not algorithms.verify(
        cert.holder_alg,
        cert.holder_public,
        signed_message(p.certificate, p.ts, p.holder_hint, p.nonce),
        p.holder_sig,
    ):
        return fail("tampered" if p.holder_hint == holder_hint(cert.holder_public) else "wrong_holder")

    names: Mapping[int, str] | None = None
    if types is not None:
        names = types.get(cert.type_id)
        if names is None:
            return fail("unknown_type")

    t = _epoch(now)
    if cert.not_before is not None and t < cert.not_before:
        return fail("not_yet_valid")
    if cert.expires_at is not None and t >= cert.expires_at:
        return fail("expired")
    if p.ts > t + CLOCK_SKEW_S:
        return fail("clock_skew")
    if t - p.ts > MAX_AGE_S:
        return fail("stale_presentation")
    if nonce is not None and p.nonce != nonce:
        return fail("stale_presentation")

    checked = False
    if cert.status_uri is not None and cert.status_idx is not None and status is not None:
        revoked = status.is_revoked(cert.status_uri, cert.status_idx)
        if revoked:
            return fail("revoked")
        checked = revoked is not None

    claims = {(names.get(k, str(k)) if names is not None else str(k)): v for k, v in cert.claims.items()}
    return Verdict(
        True,
        "ok",
        issuer=issuer,
        type_id=cert.type_id,
        view=cert.view,
        claims=claims,
        expires_at=cert.expires_at,
        presented_at=p.ts,
        status_checked=checked,
    )


def deflate_prefix(certificate: bytes) -> bytes:
    """The start of a presentation's zlib stream, for a holder app that compresses without the preset
    dictionary (a browser's CompressionStream has none): the zlib header naming `cwt.QR_DICTIONARY`
    and the dictionary-compressed CBOR `[` + certificate, ended by a sync flush (byte-aligned).

    The app appends a raw-deflate final block of the rest of the CBOR (timestamp, holder hint,
    holder signature: no dictionary needed, they do not compress) and the Adler-32 of the whole CBOR;
    `cwt.decode_qr` reads the result as any other "OC1:" text. For a full driving licence it costs 14
    QR characters over `present` (675 against 661, both version 20 at level Q), where leaving the
    dictionary out costs 84 (745, version 22); for a small purpose view the app keeps whichever of
    the two streams is shorter."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, cwt.QR_DICTIONARY)
    return packer.compress(b"\x84" + cbor2.dumps(certificate)) + packer.flush(zlib.Z_SYNC_FLUSH)
