"""Trust lists (信任列表) and the trust store a verifier builds from them. Pure: no database, no clock
(callers pass `now`).

A trust list is a compact JWS (RFC 7515), `typ` "oc-trust-list+jwt", signed with the platform's
Ed25519 key (`alg` EdDSA, `kid` = the key's RFC 7638 thumbprint id, see `algorithms.key_id`):

    {"scope": "440000", "name": "广东省", "iat": 1795000000, "exp": 1795604800,
     "issuers": [{"id": "iss_…", "org": "org_…", "name": "深圳市公安局交通警察支队", "region": "440300",
                  "keys": [{"kid": "…", "jwk": {…}, "status": "active", "nbf": 1795000000},
                           {"kid": "…", "jwk": {…}, "status": "retired", "nbf": …, "exp": …}]}],
     "recognised": [{"scope": "310000", "platform_jwk": {…}, "list": "<another platform's trust list>"}]}

Why JWS and not COSE: a trust list is fetched online and cached, never squeezed into a QR code, so
its size hardly matters; JSON is readable by the people who audit it, the issuer keys it carries as
JWKs are what SD-JWT verifiers use as they are, and a nested list is a plain string inside it.
The QR-sized data (certificates, presentations) is COSE/CBOR.

Rules kept here:
- `scope` is a six-digit region code (GB/T 2260); its prefix without trailing "00" pairs is what it
  covers (440000 → 44…, 440300 → 4403…). A platform vouches only for issuers in its own scope: a
  list naming an issuer outside it is refused.
- A key's `kid` must be the thumbprint id of its JWK (a list cannot give a known kid another key).
- A retired key is listed with `exp`, the end of its signing period: certificates it signed before
  then keep verifying; a revoked key is simply not listed.
- Mutual recognition (互认): `recognised` embeds another region's list together with the platform
  key that signed it. The outer signature covers both, so the outer platform vouches for that key;
  the nested list is verified under it (recursively, at most `MAX_DEPTH` deep). A nested list that
  no longer verifies (typically: expired) is left out and named in `TrustList.dropped`; the outer
  list still stands.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from onecity.credentials import algorithms, jose
from onecity.credentials.schemas import TrustedIssuer, TrustedKey, TrustList
from onecity.errors import InvalidInput

TYP = "oc-trust-list+jwt"
PLATFORM_ALG = "EdDSA"
MAX_DEPTH = 4
MAX_TEXT = 8 * 1024 * 1024
CLOCK_SKEW = timedelta(minutes=5)


class TrustListMalformed(InvalidInput):
    code = "trust_list_malformed"
    message_zh = "信任列表格式有误"
    message_en = "The trust list is malformed"


class TrustListSignatureInvalid(InvalidInput):
    code = "trust_list_signature_invalid"
    message_zh = "信任列表签名无效或签名密钥不受信任"
    message_en = "The trust list's signature is invalid or its signing key is not trusted"


class TrustListExpired(InvalidInput):
    code = "trust_list_expired"
    message_zh = "信任列表已过期，请更新"
    message_en = "The trust list has expired; fetch a new one"


class TrustListNotYetValid(InvalidInput):
    code = "trust_list_not_yet_valid"
    message_zh = "信任列表的签发时间晚于当前时间（请检查时钟）"
    message_en = "The trust list is issued in the future (check the clock)"


# --- regions --------------------------------------------------------------------------------------

def is_region(code: Any) -> bool:
    return isinstance(code, str) and len(code) == 6 and code.isdigit() and code.isascii()


def region_prefix(code: str) -> str:
    """What a region code covers: 440000 → "44", 440300 → "4403", 440305 → "440305", 000000 → ""."""
    if not is_region(code):
        raise ValueError("a region is a six-digit GB/T 2260 code")
    p = code
    while p.endswith("00"):
        p = p[:-2]
    return p


def in_scope(region: Any, scope: str) -> bool:
    return is_region(region) and region.startswith(region_prefix(scope))


# --- signing --------------------------------------------------------------------------------------

def _ts(dt: datetime) -> int:
    return math.floor(dt.timestamp())


def _dt(value: Any) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**40:
        raise ValueError("not a NumericDate")
    return datetime.fromtimestamp(value, UTC)


def _key_entry(k: TrustedKey) -> dict[str, Any]:
    entry: dict[str, Any] = {"kid": k.kid, "jwk": algorithms.public_jwk(k.alg, k.public_key), "status": k.status,
                             "nbf": _ts(k.not_before)}
    if k.not_after is not None:
        entry["exp"] = _ts(k.not_after)
    return entry


def sign_trust_list(*, scope: str, name: str, issuers: Sequence[TrustedIssuer],
                    recognised: Sequence[tuple[str, bytes, str]], issued_at: datetime, expires_at: datetime,
                    platform_private: bytes) -> str:
    """The signed list. `recognised` holds (scope, platform public key, list text) of other regions'
    lists; the caller has verified them (`verify_trust_list`) before vouching for them here."""
    region_prefix(scope)
    for i in issuers:
        if not in_scope(i.region, scope):
            raise ValueError(f"issuer {i.issuer_id} ({i.region}) is outside the scope {scope}")
    key = Ed25519PrivateKey.from_private_bytes(platform_private)
    public = algorithms.public_from_private(PLATFORM_ALG, platform_private)
    payload = {
        "scope": scope,
        "name": name,
        "iat": _ts(issued_at),
        "exp": _ts(expires_at),
        "issuers": [{"id": i.issuer_id, "org": i.org_id, "name": i.name, "region": i.region,
                     "keys": [_key_entry(k) for k in i.keys]} for i in issuers],
        "recognised": [{"scope": s, "platform_jwk": algorithms.public_jwk(PLATFORM_ALG, pub), "list": text}
                       for s, pub, text in recognised],
    }
    header = {"typ": TYP, "kid": algorithms.key_id(PLATFORM_ALG, public)}
    return jose.sign_compact(key, header, payload)


# --- verifying ------------------------------------------------------------------------------------

def _parse_key(raw: Any) -> TrustedKey:
    if not isinstance(raw, dict):
        raise ValueError("a key entry is an object")
    alg, public = algorithms.public_from_jwk(raw.get("jwk"))  # type: ignore[arg-type]
    kid = raw.get("kid")
    if kid != algorithms.key_id(alg, public):
        raise ValueError("a key's kid is not its thumbprint id")
    status = raw.get("status")
    if status not in ("active", "retired"):
        raise ValueError("a key's status is active or retired")
    not_after = _dt(raw["exp"]) if "exp" in raw else None
    if status == "retired" and not_after is None:
        raise ValueError("a retired key has an end of signing period")
    return TrustedKey(kid=kid, alg=alg, public_key=public, status=status, not_before=_dt(raw.get("nbf")),
                      not_after=not_after)


def _text(raw: Any, limit: int) -> str:
    if not isinstance(raw, str) or not 0 < len(raw) <= limit:
        raise ValueError("expected a short text")
    return raw


def _parse_issuer(raw: Any, scope: str) -> TrustedIssuer:
    if not isinstance(raw, dict) or not isinstance(raw.get("keys"), list):
        raise ValueError("an issuer entry is an object with keys")
    region = raw.get("region")
    if not in_scope(region, scope):
        raise ValueError(f"issuer region {region!r} is outside the list's scope {scope}")
    return TrustedIssuer(issuer_id=_text(raw.get("id"), 40), org_id=_text(raw.get("org"), 40),
                         name=_text(raw.get("name"), 200), region=region,
                         keys=tuple(_parse_key(k) for k in raw["keys"]))


def _platform_keys(platform_public: bytes | Iterable[bytes]) -> dict[str, bytes]:
    keys = [platform_public] if isinstance(platform_public, bytes | bytearray) else list(platform_public)
    out = {}
    for k in keys:
        try:
            out[algorithms.key_id(PLATFORM_ALG, bytes(k))] = bytes(k)
        except ValueError:
            continue
    return out


def verify_trust_list(text: str, platform_public: bytes | Iterable[bytes], *, now: datetime,
                      _depth: int = 0) -> TrustList:
    """The list's content once its signature verifies under one of the trusted platform keys and it is
    in date; raises TrustListMalformed / TrustListSignatureInvalid / TrustListExpired /
    TrustListNotYetValid otherwise (never anything else, whatever the input)."""
    if not isinstance(text, str) or len(text) > MAX_TEXT:
        raise TrustListMalformed()
    try:
        header, payload, signing_input, signature = jose.parse_compact(text.strip())
    except (jose.JoseError, ValueError, RecursionError) as exc:
        raise TrustListMalformed(detail="not a compact JWS") from exc
    if header.get("typ") != TYP or header.get("alg") != PLATFORM_ALG:
        raise TrustListMalformed(detail="not a OneCity trust list")
    kid = header.get("kid")
    public = _platform_keys(platform_public).get(kid) if isinstance(kid, str) else None
    if public is None or not algorithms.verify(PLATFORM_ALG, public, signing_input, signature):
        raise TrustListSignatureInvalid()
    try:
        scope = payload.get("scope")
        region_prefix(scope)  # type: ignore[arg-type]
        issued_at, expires_at = _dt(payload.get("iat")), _dt(payload.get("exp"))
        issuers = payload.get("issuers")
        nested = payload.get("recognised", [])
        if not isinstance(issuers, list) or not isinstance(nested, list):
            raise ValueError("issuers and recognised are arrays")
        parsed = tuple(_parse_issuer(i, scope) for i in issuers)  # type: ignore[arg-type]
        name = _text(payload.get("name"), 200)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise TrustListMalformed(detail=str(exc)[:200]) from exc
    if issued_at > now + CLOCK_SKEW:
        raise TrustListNotYetValid()
    if expires_at <= now:
        raise TrustListExpired(detail=f"{scope} expired {expires_at.isoformat()}")
    recognised: list[TrustList] = []
    dropped: list[str] = []
    for entry in nested:
        label = str(entry.get("scope"))[:6] if isinstance(entry, dict) else "?"
        try:
            if _depth + 1 >= MAX_DEPTH:
                raise TrustListMalformed(detail="trust lists nested too deep")
            if not isinstance(entry, dict):
                raise TrustListMalformed()
            alg, foreign = algorithms.public_from_jwk(entry.get("platform_jwk"))  # type: ignore[arg-type]
            if alg != PLATFORM_ALG:
                raise TrustListMalformed(detail="platform keys are Ed25519")
            inner = verify_trust_list(entry.get("list"), foreign, now=now, _depth=_depth + 1)  # type: ignore[arg-type]
            if inner.scope != entry.get("scope"):
                raise TrustListMalformed(detail="the nested list's scope is not the one announced")
            recognised.append(inner)
        except (TrustListMalformed, TrustListSignatureInvalid, TrustListExpired, TrustListNotYetValid) as exc:
            dropped.append(f"{label}: {exc.code}")
        except (ValueError, TypeError, AttributeError):
            dropped.append(f"{label}: {TrustListMalformed.code}")
    return TrustList(scope=scope, name=name, platform_kid=str(kid), issued_at=issued_at,  # type: ignore[arg-type]
                     expires_at=expires_at, issuers=parsed, recognised=tuple(recognised), dropped=tuple(dropped))


# --- the trust store --------------------------------------------------------------------------------

@dataclass(frozen=True)
class TrustedSigner:
    """What a verifier knows about a key it trusts: the key, its issuer, and the chain of lists that
    vouched for it (`via`: scopes from the root list down, e.g. ("440000", "310000"))."""

    kid: str
    alg: str
    public_key: bytes
    status: str
    not_before: datetime
    not_after: datetime | None
    issuer_id: str
    issuer_name: str
    org_id: str
    region: str
    via: tuple[str, ...]

    def covers(self, at: datetime) -> bool:
        """True when a signature made at `at` (a certificate's iat) falls in the key's signing period."""
        return self.not_before <= at and (self.not_after is None or at <= self.not_after)


class TrustStore:
    """The keys a verifier accepts, flattened from a verified trust list and every list it recognises.
    When two lists carry the same kid (a kid is its key's thumbprint, so it is the same key), the one
    nearest the root list is kept."""

    def __init__(self, trust_list: TrustList) -> None:
        self.root = trust_list
        self._keys: dict[str, TrustedSigner] = {}
        self._issuers: dict[str, TrustedIssuer] = {}
        self._scopes: list[str] = []
        level: list[tuple[TrustList, tuple[str, ...]]] = [(trust_list, (trust_list.scope,))]
        while level:  # breadth first: nearer lists win
            nxt: list[tuple[TrustList, tuple[str, ...]]] = []
            for tl, via in level:
                self._scopes.append(tl.scope)
                for issuer in tl.issuers:
                    self._issuers.setdefault(issuer.issuer_id, issuer)
                    for k in issuer.keys:
                        self._keys.setdefault(k.kid, TrustedSigner(
                            kid=k.kid, alg=k.alg, public_key=k.public_key, status=k.status,
                            not_before=k.not_before, not_after=k.not_after, issuer_id=issuer.issuer_id,
                            issuer_name=issuer.name, org_id=issuer.org_id, region=issuer.region, via=via))
                nxt.extend((inner, (*via, inner.scope)) for inner in tl.recognised)
            level = nxt

    @classmethod
    def from_text(cls, text: str, platform_public: bytes | Iterable[bytes], *, now: datetime) -> TrustStore:
        return cls(verify_trust_list(text, platform_public, now=now))

    def lookup(self, kid: str) -> TrustedSigner | None:
        """The trusted key with this kid, or None (unknown issuer)."""
        return self._keys.get(kid) if isinstance(kid, str) else None

    def accepts(self, kid: str, *, signed_at: datetime) -> TrustedSigner | None:
        """The key when it is trusted and `signed_at` falls in its signing period, else None."""
        k = self.lookup(kid)
        return k if k is not None and k.covers(signed_at) else None

    def issuer(self, issuer_id: str) -> TrustedIssuer | None:
        return self._issuers.get(issuer_id)

    @property
    def scopes(self) -> tuple[str, ...]:
        """Every region whose list this store holds, root first."""
        return tuple(self._scopes)

    def __contains__(self, kid: object) -> bool:
        return isinstance(kid, str) and kid in self._keys

    def __len__(self) -> int:
        return len(self._keys)
