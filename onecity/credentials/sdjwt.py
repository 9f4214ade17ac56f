"""SD-JWT VC (选择性披露的电子证照): issue, present with key binding, verify.

Formats: RFC 9901 (Selective Disclosure for JWTs) and the SD-JWT VC draft
(draft-ietf-oauth-sd-jwt-vc): the Issuer-signed JWT has `typ` "dc+sd-jwt", `vct` (the certificate
type id), `iss`, `iat`, `exp`, `cnf.jwk` (the holder's public key) and optionally `status`
({"status_list": {"idx", "uri"}}, see `status_list`). Each selectively disclosable top-level claim
is replaced by the SHA-256 digest of its Disclosure, base64url(JSON [salt, name, value]) with a
128-bit salt from `secrets`, listed in `_sd` (sorted, so the order gives nothing away; decoy digests
optional). Claims outside `disclosable` stay in clear (always shown).

Serialisation: `<issuer JWT>~<disclosure>~...~` for an issued SD-JWT and, for a presentation, the
chosen disclosures followed by a Key Binding JWT (`typ` "kb+jwt", claims `aud`, `nonce`, `iat`,
`sd_hash` = base64url(SHA-256(everything before the KB-JWT, including the last '~'))), signed with
the key in `cnf.jwk`.

Algorithms: "EdDSA" (Ed25519) by default; "ES256" is accepted for issuer and holder keys because it
is what most wallets hold (and the only algorithm the reference `sd-jwt` verifier accepts for a
KB-JWT). SM2 has no JOSE registration and is not used here (SM2 issuers use the CWT/QR format).

`verify` never raises on bad input: it returns a `SdJwtVerdict` with `ok`, a stable `reason` (one
of `REASONS`) and only the claims the holder disclosed. It follows RFC 9901 §7 in full, so it also
accepts SD-JWTs from other issuers with nested selectively disclosable objects and array elements
(`{"...": digest}`); `issue` and `present` work on top-level claims, which is all the certificate
types need. With a `status_list.StatusCache` it also decides revoked / suspended.

Glossary: 选择性披露 selective disclosure · 披露项 disclosure · 持有者绑定 key binding (holder binding) ·
出示 presentation · 验证方 verifier (aud) · 随机数 nonce · 诱饵摘要 decoy digest.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from onecity.credentials.jose import (
    JoseError,
    SigningKey,
    VerifyingKey,
    b64url_decode,
    b64url_encode,
    key_from_jwk,
    parse_compact,
    public_jwk,
    raw_verify,
    sign_compact,
)
from onecity.credentials.status_list import INVALID, SUSPENDED, VALID, StatusCache, StatusListError

TYP = "dc+sd-jwt"
KB_TYP = "kb+jwt"
SD_ALG = "sha-256"
SEPARATOR = "~"

# Claims that are never selectively disclosable (RFC 9901 §9.7 and SD-JWT VC §3.2.2.2).
NEVER_DISCLOSABLE = frozenset({"iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status", "iat", "_sd", "_sd_alg", "..."})

REASONS = (
    "ok",
    "malformed",
    "unsupported_alg",
    "wrong_typ",
    "unknown_issuer",
    "bad_signature",
    "expired",
    "not_yet_valid",
    "tampered",
    "missing_key_binding",
    "wrong_holder",
    "wrong_audience",
    "wrong_nonce",
    "stale_presentation",
    "clock_skew",
    "unknown_type",
    "revoked",
    "suspended",
    "status_unknown",
)

IssuerKeyLookup = Callable[[str, Mapping[str, Any]], VerifyingKey | None]


@dataclass(frozen=True)
class Disclosure:
    """One salted claim: `encoded` is exactly what travels, `digest` what the issuer signed."""

    salt: str
    name: str
    value: Any
    encoded: str

    @property
    def digest(self) -> str:
        return sd_digest(self.encoded)

    @classmethod
    def make(cls, name: str, value: Any) -> Disclosure:
        salt = b64url_encode(secrets.token_bytes(16))
        text = json.dumps([salt, name, value], ensure_ascii=False, separators=(",", ":"))
        return cls(salt, name, value, b64url_encode(text.encode("utf-8")))

    @classmethod
    def decode(cls, encoded: str) -> Disclosure:
        """Parse an object-property Disclosure; ValueError when it is not one."""
        try:
            items = json.loads(b64url_decode(encoded))
        except (JoseError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            raise ValueError("disclosure is not base64url JSON") from exc
        if not (isinstance(items, list) and len(items) == 3 and isinstance(items[0], str) and isinstance(items[1], str)):
            raise ValueError("disclosure is not [salt, name, value]")
        if items[1] in NEVER_DISCLOSABLE:
            raise ValueError("disclosure names a reserved claim")
        return cls(items[0], items[1], items[2], encoded)


def sd_digest(text: str) -> str:
    """base64url(SHA-256(ASCII bytes of `text`)): the digest of a Disclosure and the KB-JWT's sd_hash."""
    return b64url_encode(hashlib.sha256(text.encode("ascii")).digest())


@dataclass(frozen=True)
class IssuedSdJwt:
    """An issued SD-JWT: the issuer-signed JWT and every Disclosure (the holder keeps all of them)."""

    jwt: str
    disclosures: tuple[Disclosure, ...]

    def serialize(self) -> str:
        return SEPARATOR.join([self.jwt, *(d.encoded for d in self.disclosures), ""])


@dataclass(frozen=True)
class SdJwtVerdict:
    ok: bool
    reason: str
    claims: dict[str, Any] = field(default_factory=dict)
    issuer: str | None = None
    vct: str | None = None
    status: dict[str, Any] | None = None


def _ts(when: datetime) -> int:
    return int(when.astimezone(UTC).timestamp())


def issue(
    *,
    issuer_key: SigningKey,
    iss: str,
    vct: str,
    claims: Mapping[str, Any],
    disclosable: Iterable[str],
    holder_jwk: Mapping[str, str],
    iat: datetime,
    exp: datetime | None,
    kid: str | None = None,
    status: Mapping[str, Any] | None = None,
    decoys: int = 0,
) -> IssuedSdJwt:
    """Sign an SD-JWT VC. Every name in `disclosable` must be a claim and not a reserved one;
    `exp` None for a certificate without an end of validity (e.g. a marriage certificate)."""
    hidden = set(disclosable)
    missing = hidden - set(claims)
    if missing:
        raise ValueError(f"disclosable claims not in claims: {sorted(missing)}")
    reserved = (hidden | set(claims)) & NEVER_DISCLOSABLE
    if reserved:
        raise ValueError(f"reserved claim names: {sorted(reserved)}")
    if exp is not None and exp <= iat:
        raise ValueError("exp must be after iat")
    key_from_jwk(dict(holder_jwk))  # refuse a holder key we could not verify a KB-JWT with
    disclosures = tuple(Disclosure.make(name, claims[name]) for name in claims if name in hidden)
    digests = [d.digest for d in disclosures]
    digests += [b64url_encode(hashlib.sha256(secrets.token_bytes(32)).digest()) for _ in range(decoys)]
    payload: dict[str, Any] = {
        "iss": iss,
        "iat": _ts(iat),
        **({"exp": _ts(exp)} if exp is not None else {}),
        "vct": vct,
        "cnf": {"jwk": dict(holder_jwk)},
        **{k: v for k, v in claims.items() if k not in hidden},
    }
    if status is not None:
        payload["status"] = dict(status)
    if digests:
        payload["_sd"] = sorted(digests)
        payload["_sd_alg"] = SD_ALG
    header: dict[str, Any] = {"typ": TYP}
    if kid is not None:
        header["kid"] = kid
    return IssuedSdJwt(sign_compact(issuer_key, header, payload), disclosures)


def split(sd_jwt: str) -> tuple[str, list[str], str]:
    """(issuer JWT, disclosures, KB-JWT or "") of a compact SD-JWT; ValueError when malformed."""
    if not isinstance(sd_jwt, str) or SEPARATOR not in sd_jwt:
        raise ValueError("an SD-JWT has at least one '~'")
    jwt, *disclosures, kb = sd_jwt.split(SEPARATOR)
    if any(not d for d in disclosures):
        raise ValueError("empty disclosure")
    return jwt, disclosures, kb


def present(
    sd_jwt: str,
    *,
    disclose: Iterable[str],
    holder_key: SigningKey,
    aud: str,
    nonce: str,
    iat: datetime,
) -> str:
    """The holder's presentation: the disclosures for the claim names in `disclose` and a KB-JWT."""
    jwt, encoded, _ = split(sd_jwt)
    wanted = set(disclose)
    # top-level object properties only; nested and array-element disclosures stay undisclosed
    chosen = [e for e in encoded if (d := _decode_any(e)) and len(d) == 3 and d[1] in wanted]
    unknown = wanted - {_decode_any(e)[1] for e in chosen}
    if unknown:
        raise ValueError(f"no disclosure for {sorted(unknown)}")
    head = SEPARATOR.join([jwt, *chosen, ""])
    kb = sign_compact(
        holder_key,
        {"typ": KB_TYP},
        {"iat": _ts(iat), "aud": aud, "nonce": nonce, "sd_hash": sd_digest(head)},
    )
    return head + kb


def verify(
    presentation: str,
    *,
    issuer_key: IssuerKeyLookup,
    now: datetime,
    aud: str | None,
    nonce: str | None,
    require_key_binding: bool = True,
    max_age: timedelta = timedelta(minutes=5),
    leeway: timedelta = timedelta(seconds=60),
    known_vct: Callable[[str], bool] | None = None,
    status_cache: StatusCache | None = None,
) -> SdJwtVerdict:
    """Check a presentation (RFC 9901 §7.1 and §7.3); never raises.

    `issuer_key(iss, header)` returns the issuer's verifying key or None when the issuer is unknown.
    With `require_key_binding` the KB-JWT must be there, signed by `cnf.jwk`, for `aud` and `nonce`,
    issued within `max_age` (older: stale_presentation; later than now + leeway: clock_skew).
    With a `status_cache`, a credential carrying a `status` claim is checked against its Token
    Status List: INVALID -> revoked, SUSPENDED -> suspended, no fresh list (or an index outside
    it) -> status_unknown, which the caller resolves by fetching the list again.
    """
    try:
        verdict = _verify(
            presentation,
            issuer_key=issuer_key,
            now=now,
            aud=aud,
            nonce=nonce,
            require_key_binding=require_key_binding,
            max_age=max_age,
            leeway=leeway,
            known_vct=known_vct,
        )
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, OverflowError):
        return SdJwtVerdict(False, "malformed")
    if verdict.ok and status_cache is not None and verdict.status is not None:
        return _with_status(verdict, status_cache, now)
    return verdict


def _with_status(verdict: SdJwtVerdict, cache: StatusCache, now: datetime) -> SdJwtVerdict:
    try:
        value = cache.status_of(verdict.status, now=now)
    except StatusListError:
        value = None
    reasons = {VALID: "ok", INVALID: "revoked", SUSPENDED: "suspended"}
    reason = "status_unknown" if value is None else reasons.get(value, "status_unknown")
    if reason == "ok":
        return verdict
    return SdJwtVerdict(False, reason, issuer=verdict.issuer, vct=verdict.vct, status=verdict.status)


def _verify(
    presentation: str,
    *,
    issuer_key: IssuerKeyLookup,
    now: datetime,
    aud: str | None,
    nonce: str | None,
    require_key_binding: bool,
    max_age: timedelta,
    leeway: timedelta,
    known_vct: Callable[[str], bool] | None,
) -> SdJwtVerdict:
    jwt, encoded, kb = split(presentation)
    try:
        header, payload, signing_input, signature = parse_compact(jwt)
    except JoseError as exc:
        return SdJwtVerdict(False, "unsupported_alg" if "alg" in str(exc) else "malformed")
    if header.get("typ") != TYP:
        return SdJwtVerdict(False, "wrong_typ")
    iss, vct = payload.get("iss"), payload.get("vct")
    if not isinstance(iss, str) or not isinstance(vct, str):
        return SdJwtVerdict(False, "malformed")
    key = issuer_key(iss, header)
    if key is None:
        return SdJwtVerdict(False, "unknown_issuer", issuer=iss, vct=vct)
    if not raw_verify(key, header["alg"], signing_input, signature):
        return SdJwtVerdict(False, "bad_signature", issuer=iss, vct=vct)
    if known_vct is not None and not known_vct(vct):
        return SdJwtVerdict(False, "unknown_type", issuer=iss, vct=vct)

    t = _ts(now)
    slack = int(leeway.total_seconds())
    times = {name: payload.get(name) for name in ("exp", "nbf", "iat")}
    if any(v is not None and not _is_number(v) for v in times.values()):
        return SdJwtVerdict(False, "malformed", issuer=iss, vct=vct)
    exp, nbf, iat = times["exp"], times["nbf"], times["iat"]
    if exp is not None and t >= exp + slack:
        return SdJwtVerdict(False, "expired", issuer=iss, vct=vct)
    if (nbf is not None and t + slack < nbf) or (iat is not None and t + slack < iat):
        return SdJwtVerdict(False, "not_yet_valid", issuer=iss, vct=vct)

    claims = _disclosed_claims(payload, encoded)
    if claims is None:
        return SdJwtVerdict(False, "tampered", issuer=iss, vct=vct)

    if kb or require_key_binding:
        reason = _check_key_binding(
            payload, jwt, encoded, kb, aud=aud, nonce=nonce, now=t, max_age=max_age, slack=slack
        )
        if reason != "ok":
            return SdJwtVerdict(False, reason, issuer=iss, vct=vct)
    status = payload.get("status")
    if status is not None and not isinstance(status, dict):
        return SdJwtVerdict(False, "malformed", issuer=iss, vct=vct)
    return SdJwtVerdict(True, "ok", claims, iss, vct, status)


class _Tampered(Exception):
    pass


def _decode_any(encoded: str) -> list[Any]:
    """A Disclosure as its JSON array: [salt, name, value] (object property) or [salt, value]
    (array element)."""
    try:
        items = json.loads(b64url_decode(encoded))
    except (JoseError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ValueError("disclosure is not base64url JSON") from exc
    if not isinstance(items, list) or len(items) not in (2, 3) or not isinstance(items[0], str):
        raise ValueError("disclosure is not [salt, (name,) value]")
    if len(items) == 3 and not isinstance(items[1], str):
        raise ValueError("disclosure claim name is not a string")
    return items


def _disclosed_claims(payload: dict[str, Any], encoded: list[str]) -> dict[str, Any] | None:
    """The payload with every disclosed claim put back in place and the digests removed, or None
    when a disclosure is not referenced by exactly one digest, a digest repeats, a disclosure of an
    object property sits in an array (or the reverse), or a disclosed name clashes with a clear
    claim (RFC 9901 §7.1 step 3). Nested `_sd` objects and `{"...": digest}` array elements are
    processed recursively; undisclosed and decoy digests simply vanish."""
    if payload.get("_sd_alg", SD_ALG) != SD_ALG:
        return None
    by_digest: dict[str, list[Any]] = {}
    for e in encoded:
        d = sd_digest(e)
        if d in by_digest:
            return None
        by_digest[d] = _decode_any(e)
    used: set[str] = set()
    seen: set[str] = set()

    def claim_digest(d: Any) -> str:
        if not isinstance(d, str) or d in seen:
            raise _Tampered
        seen.add(d)
        return d

    def walk(node: Any) -> Any:
        if isinstance(node, list):
            out = []
            for item in node:
                if isinstance(item, dict) and len(item) == 1 and "..." in item:
                    d = claim_digest(item["..."])
                    if d in by_digest:
                        disclosure = by_digest[d]
                        if len(disclosure) != 2:
                            raise _Tampered
                        used.add(d)
                        out.append(walk(disclosure[1]))
                else:
                    out.append(walk(item))
            return out
        if isinstance(node, dict):
            digests = node.get("_sd", [])
            if not isinstance(digests, list):
                raise _Tampered
            result = {k: walk(v) for k, v in node.items() if k != "_sd"}
            for raw in digests:
                d = claim_digest(raw)
                if d in by_digest:
                    disclosure = by_digest[d]
                    if len(disclosure) != 3 or disclosure[1] in ("_sd", "...") or disclosure[1] in result:
                        raise _Tampered
                    used.add(d)
                    result[disclosure[1]] = walk(disclosure[2])
            return result
        return node

    try:
        claims = walk({k: v for k, v in payload.items() if k != "_sd_alg"})
    except _Tampered:
        return None
    if used != set(by_digest):
        return None  # a disclosure the issuer never signed
    if any(name in claims and name not in payload for name in NEVER_DISCLOSABLE):
        return None  # iss, exp, cnf, status ... must come from the signed payload itself
    return dict(claims)


def _check_key_binding(
    payload: dict[str, Any],
    jwt: str,
    encoded: list[str],
    kb: str,
    *,
    aud: str | None,
    nonce: str | None,
    now: int,
    max_age: timedelta,
    slack: int,
) -> str:
    if not kb:
        return "missing_key_binding"
    cnf = payload.get("cnf")
    if not isinstance(cnf, dict) or "jwk" not in cnf:
        return "malformed"
    try:
        holder = key_from_jwk(cnf["jwk"])
        header, claims, signing_input, signature = parse_compact(kb)
    except JoseError:
        return "malformed"
    if header.get("typ") != KB_TYP:
        return "wrong_typ"
    if not raw_verify(holder, header["alg"], signing_input, signature):
        return "wrong_holder"
    if claims.get("sd_hash") != sd_digest(SEPARATOR.join([jwt, *encoded, ""])):
        return "tampered"
    if claims.get("aud") != aud:
        return "wrong_audience"
    if claims.get("nonce") != nonce:
        return "wrong_nonce"
    iat: Any = claims.get("iat")
    if not _is_number(iat):
        return "malformed"
    if iat > now + slack:
        return "clock_skew"
    if iat < now - int(max_age.total_seconds()):
        return "stale_presentation"
    return "ok"


def _is_number(value: Any) -> bool:
    """A JSON NumericDate: an int or a finite float, never a bool."""
    return isinstance(value, int | float) and not isinstance(value, bool) and value == value and abs(value) < 1e15


def holder_jwk(key: SigningKey | VerifyingKey) -> dict[str, str]:
    """The JWK to put in `cnf` for a holder key."""
    return public_jwk(key)
