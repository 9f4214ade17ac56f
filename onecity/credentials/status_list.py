"""IETF Token Status List (状态列表, draft-ietf-oauth-status-list): revocation and suspension.

Each issuer keeps one or more lists. A credential carries `status: {"status_list": {"idx": n,
"uri": u}}` and its status is entry `n` of the list published at `u`:

- Entries are `bits` wide (1, 2, 4 or 8), packed into bytes least-significant bit first: entry i is
  in byte i*bits // 8 at bit offset i*bits % 8. The byte array is ZLIB (RFC 1950, DEFLATE) compressed
  at level 9, which reproduces the draft's example bytes exactly.
- Status values: 0 VALID (有效), 1 INVALID (吊销, final), 2 SUSPENDED (暂停, reversible), 3 application
  specific; 2 and 3 need bits ≥ 2.
- JWT form: header `typ` "statuslist+jwt", claims `sub` (= the list's uri), `iat`, `exp`, `ttl`,
  `status_list` {bits, lst = base64url(zlib(bytes))}, optional `iss`.
- CWT form: COSE_Sign1 (tag 18) with protected header {1: alg, 16: "application/statuslist+cwt"}
  (alg EdDSA -8, ES256 -7, or any other COSE alg through `sign_cwt_with`/`verify_cwt_with`, e.g.
  OneCity's private-use SM2-with-SM3 id),
  kid (4) unprotected, claims {1 iss, 2 sub, 6 iat, 4 exp, 65534 ttl, 65533 {"bits", "lst" (raw zlib
  bytes)}}.
- Indexes are allocated at random (`IndexAllocator`, `secrets`), never reused, so neighbouring
  entries say nothing about issue order (herd privacy).
- Verifiers keep verified lists in a `StatusCache` for at most `ttl` seconds (and never past `exp`);
  after that a lookup answers None ("fetch again"), so a revocation reaches every verifier within ttl.

Pure code: no database; callers pass the time.
"""

from __future__ import annotations

import secrets
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypedDict, Unpack

import cbor2

from onecity import clock
from onecity.credentials.jose import (
    JoseError,
    SigningKey,
    VerifyingKey,
    alg_of,
    b64url_decode,
    b64url_encode,
    parse_compact,
    raw_sign,
    raw_verify,
    sign_compact,
)

VALID, INVALID, SUSPENDED, APPLICATION_SPECIFIC = 0, 1, 2, 3
BITS = (1, 2, 4, 8)
JWT_TYP = "statuslist+jwt"
CWT_TYP = "application/statuslist+cwt"
MAX_BYTES = 16 * 1024 * 1024  # a decompressed list larger than this is refused (zip bombs)

# CWT claim keys (RFC 8392 and the draft's IANA section)
CWT_ISS, CWT_SUB, CWT_EXP, CWT_IAT = 1, 2, 4, 6
CWT_STATUS_LIST, CWT_TTL, CWT_STATUS = 65533, 65534, 65535
# COSE header labels and algorithms (RFC 9052/9053)
_H_ALG, _H_KID, _H_TYP = 1, 4, 16
_COSE_ALG = {"EdDSA": -8, "ES256": -7}
_JOSE_ALG = {v: k for k, v in _COSE_ALG.items()}
_COSE_SIGN1_TAG = 18


class StatusListError(ValueError):
    """A list or token that is malformed, wrongly signed, expired or not the one asked for."""


@dataclass
class StatusList:
    """The decompressed list: `data` holds len(data) * 8 // bits entries."""

    bits: int
    data: bytearray

    def __post_init__(self) -> None:
        if self.bits not in BITS:
            raise StatusListError(f"bits must be one of {BITS}")

    @classmethod
    def new(cls, size: int, bits: int = 1) -> StatusList:
        """An all-VALID list with room for `size` entries (rounded up to whole bytes)."""
        if size < 1:
            raise StatusListError("a status list holds at least one entry")
        return cls(bits, bytearray((size * bits + 7) // 8))

    @classmethod
    def from_statuses(cls, statuses: Iterable[int], bits: int = 1) -> StatusList:
        values = list(statuses)
        sl = cls.new(len(values), bits)
        for i, v in enumerate(values):
            sl.set(i, v)
        return sl

    @property
    def size(self) -> int:
        return len(self.data) * 8 // self.bits

    def _locate(self, idx: int) -> tuple[int, int]:
        if not isinstance(idx, int) or isinstance(idx, bool) or not 0 <= idx < self.size:
            raise StatusListError(f"index {idx!r} outside the list (size {self.size})")
        pos = idx * self.bits
        return pos // 8, pos % 8

    def get(self, idx: int) -> int:
        byte, shift = self._locate(idx)
        return (self.data[byte] >> shift) & ((1 << self.bits) - 1)

    def set(self, idx: int, status: int) -> None:
        if not 0 <= status < (1 << self.bits):
            raise StatusListError(f"status {status} does not fit in {self.bits} bits")
        byte, shift = self._locate(idx)
        mask = ((1 << self.bits) - 1) << shift
        self.data[byte] = (self.data[byte] & ~mask) | (status << shift)

    def compressed(self) -> bytes:
        return zlib.compress(bytes(self.data), 9)

    @classmethod
    def from_compressed(cls, bits: int, blob: bytes) -> StatusList:
        """Inflate at most MAX_BYTES; anything larger, truncated or trailing is refused."""
        try:
            d = zlib.decompressobj()
            data = d.decompress(blob, MAX_BYTES)
            if d.unconsumed_tail or not d.eof or d.unused_data:
                raise StatusListError("status list is truncated, too large or has trailing bytes")
        except zlib.error as exc:
            raise StatusListError("status list is not ZLIB data") from exc
        if not data:
            raise StatusListError("empty status list")
        return cls(bits, bytearray(data))

    def to_json(self) -> dict[str, Any]:
        """The JSON `status_list` object {bits, lst}."""
        return {"bits": self.bits, "lst": b64url_encode(self.compressed())}

    @classmethod
    def from_json(cls, obj: Any) -> StatusList:
        if not isinstance(obj, dict) or not isinstance(obj.get("lst"), str):
            raise StatusListError("status_list must be {bits, lst}")
        try:
            blob = b64url_decode(obj["lst"])
        except JoseError as exc:
            raise StatusListError("lst is not base64url") from exc
        return cls.from_compressed(_bits(obj.get("bits")), blob)

    def to_cbor(self) -> dict[str, Any]:
        """The CBOR `StatusList` map {"bits": uint, "lst": bstr}."""
        return {"bits": self.bits, "lst": self.compressed()}

    @classmethod
    def from_cbor(cls, obj: Any) -> StatusList:
        if not isinstance(obj, dict) or not isinstance(obj.get("lst"), bytes):
            raise StatusListError("StatusList must be {bits, lst}")
        return cls.from_compressed(_bits(obj.get("bits")), obj["lst"])


def _bits(value: Any) -> int:
    if isinstance(value, bool) or value not in BITS:
        raise StatusListError(f"bits must be one of {BITS}")
    return int(value)


class IndexAllocator:
    """Hands out unused indexes of a list of `size` entries at random (`secrets`), never one twice.

    `used` are the indexes already given out (e.g. loaded from the issuer's table); when the list is
    full `allocate` raises and the issuer opens a new list.
    """

    def __init__(self, size: int, used: Iterable[int] = ()) -> None:
        if size < 1:
            raise StatusListError("a status list holds at least one entry")
        self.size = size
        self.used: set[int] = set(used)
        if any(not 0 <= i < size for i in self.used):
            raise StatusListError("used index outside the list")

    @property
    def free(self) -> int:
        return self.size - len(self.used)

    def allocate(self) -> int:
        if self.free == 0:
            raise StatusListError("status list is full")
        if len(self.used) * 2 < self.size:  # mostly empty: rejection sampling is quick
            while True:
                idx = secrets.randbelow(self.size)
                if idx not in self.used:
                    break
        else:  # mostly full: pick uniformly among the free ones
            free = [i for i in range(self.size) if i not in self.used]
            idx = free[secrets.randbelow(len(free))]
        self.used.add(idx)
        return idx


@dataclass(frozen=True)
class StatusListToken:
    """A verified Status List Token (either form)."""

    sub: str
    iat: datetime
    status_list: StatusList = field(compare=False)
    exp: datetime | None = None
    ttl: int | None = None
    iss: str | None = None


def _ts(when: datetime) -> int:
    return int(when.astimezone(UTC).timestamp())


def _dt(value: Any, name: str) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise StatusListError(f"{name} must be an integer NumericDate")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise StatusListError(f"{name} out of range") from exc


def _ttl(value: Any) -> int | None:
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise StatusListError("ttl must be a positive integer")
    return value


def _check_time(token: StatusListToken, now: datetime, leeway: timedelta) -> None:
    if token.exp is not None and now >= token.exp + leeway:
        raise StatusListError("status list token expired")
    if token.iat > now + leeway:
        raise StatusListError("status list token issued in the future")


# ---- JWT form ---------------------------------------------------------------------------------


def sign_jwt(
    status_list: StatusList,
    *,
    key: SigningKey,
    sub: str,
    iat: datetime,
    exp: datetime | None = None,
    ttl: int | None = None,
    kid: str | None = None,
    iss: str | None = None,
) -> str:
    """The Status List Token in JWT form (claims in the draft's example order)."""
    payload: dict[str, Any] = {}
    if exp is not None:
        payload["exp"] = _ts(exp)
    payload["iat"] = _ts(iat)
    if iss is not None:
        payload["iss"] = iss
    payload["status_list"] = status_list.to_json()
    payload["sub"] = sub
    if ttl is not None:
        payload["ttl"] = _ttl(ttl)
    header: dict[str, Any] = {"typ": JWT_TYP}
    if kid is not None:
        header = {"kid": kid, "typ": JWT_TYP}
    return sign_compact(key, header, payload)


def verify_jwt(
    token: str,
    *,
    key: VerifyingKey,
    now: datetime,
    expected_uri: str | None = None,
    leeway: timedelta = timedelta(seconds=60),
) -> StatusListToken:
    """Verify a JWT Status List Token (typ, signature, sub = the uri asked for, iat/exp)."""
    try:
        header, payload, signing_input, signature = parse_compact(token)
    except JoseError as exc:
        raise StatusListError(f"malformed status list token: {exc}") from exc
    if header.get("typ") != JWT_TYP:
        raise StatusListError("typ must be statuslist+jwt")
    if not raw_verify(key, header["alg"], signing_input, signature):
        raise StatusListError("bad signature on status list token")
    sub = payload.get("sub")
    if not isinstance(sub, str) or (expected_uri is not None and sub != expected_uri):
        raise StatusListError("status list token is for another uri")
    iss = payload.get("iss")
    result = StatusListToken(
        sub=sub,
        iat=_dt(payload.get("iat"), "iat"),
        status_list=StatusList.from_json(payload.get("status_list")),
        exp=_dt(payload["exp"], "exp") if "exp" in payload else None,
        ttl=_ttl(payload.get("ttl")),
        iss=iss if isinstance(iss, str) else None,
    )
    _check_time(result, now, leeway)
    return result


# ---- CWT form ---------------------------------------------------------------------------------


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def cwt_claims(
    status_list: StatusList,
    *,
    sub: str,
    iat: datetime,
    exp: datetime | None = None,
    ttl: int | None = None,
    iss: str | None = None,
) -> dict[int, Any]:
    """The CWT claims set, keys in the draft's example order."""
    claims: dict[int, Any] = {}
    if iss is not None:
        claims[CWT_ISS] = iss
    claims[CWT_SUB] = sub
    claims[CWT_IAT] = _ts(iat)
    if exp is not None:
        claims[CWT_EXP] = _ts(exp)
    if ttl is not None:
        claims[CWT_TTL] = _ttl(ttl)
    claims[CWT_STATUS_LIST] = status_list.to_cbor()
    return claims


class CwtOptions(TypedDict, total=False):
    """The optional fields of a CWT-form token (see `sign_cwt_with`)."""

    exp: datetime | None
    ttl: int | None
    kid: bytes | None
    iss: str | None


def sign_cwt(
    status_list: StatusList, *, key: SigningKey, sub: str, iat: datetime, **options: Unpack[CwtOptions]
) -> bytes:
    """The Status List Token in CWT form: a tagged COSE_Sign1."""
    return sign_cwt_with(status_list, cose_alg=_COSE_ALG[alg_of(key)], sign=lambda m: raw_sign(key, m), sub=sub,
                         iat=iat, **options)


def sign_cwt_with(
    status_list: StatusList,
    *,
    cose_alg: int,
    sign: Callable[[bytes], bytes],
    sub: str,
    iat: datetime,
    exp: datetime | None = None,
    ttl: int | None = None,
    kid: bytes | None = None,
    iss: str | None = None,
) -> bytes:
    """The CWT form signed by any COSE algorithm: `sign(Sig_structure)` gives the signature. This is
    how an SM2-with-SM3 issuer (no JOSE registration, so no JWT form) publishes its list."""
    protected = cbor2.dumps({_H_ALG: cose_alg, _H_TYP: CWT_TYP})
    payload = cbor2.dumps(cwt_claims(status_list, sub=sub, iat=iat, exp=exp, ttl=ttl, iss=iss))
    unprotected = {_H_KID: kid} if kid is not None else {}
    signature = sign(_sig_structure(protected, payload))
    return cbor2.dumps(cbor2.CBORTag(_COSE_SIGN1_TAG, [protected, unprotected, payload, signature]))


@dataclass(frozen=True)
class ParsedCwt:
    protected: dict[Any, Any]
    unprotected: dict[Any, Any]
    protected_raw: bytes
    payload_raw: bytes
    signature: bytes
    claims: dict[Any, Any]


def parse_cwt(token: bytes) -> ParsedCwt:
    """The parts of a COSE_Sign1-signed CWT, without verifying; StatusListError when malformed."""
    try:
        obj = cbor2.loads(token)
        if isinstance(obj, cbor2.CBORTag):
            if obj.tag != _COSE_SIGN1_TAG:
                raise StatusListError("not a COSE_Sign1")
            obj = obj.value
        if not (isinstance(obj, list | tuple) and len(obj) == 4):
            raise StatusListError("COSE_Sign1 is a 4-element array")
        protected_raw, unprotected, payload, signature = obj
        if not all(isinstance(x, bytes) for x in (protected_raw, payload, signature)):
            raise StatusListError("COSE_Sign1 members have the wrong types")
        protected = cbor2.loads(protected_raw) if protected_raw else {}
        claims = cbor2.loads(payload)
    except StatusListError:
        raise
    except (cbor2.CBORDecodeError, ValueError, TypeError, RecursionError, EOFError) as exc:
        raise StatusListError("malformed CWT") from exc
    # inside a tag cbor2 decodes maps as immutable mappings: take plain dicts
    if not all(isinstance(m, Mapping) for m in (protected, unprotected, claims)):
        raise StatusListError("COSE headers and CWT claims are maps")
    return ParsedCwt(dict(protected), dict(unprotected), protected_raw, payload, signature, dict(claims))


def verify_cwt(
    token: bytes,
    *,
    key: VerifyingKey,
    now: datetime,
    expected_uri: str | None = None,
    leeway: timedelta = timedelta(seconds=60),
) -> StatusListToken:
    """Verify a CWT Status List Token (type header, signature, sub, iat/exp)."""
    cwt = parse_cwt(token)
    if cwt.protected.get(_H_TYP) != CWT_TYP:
        raise StatusListError("type must be application/statuslist+cwt")
    cose_alg = cwt.protected.get(_H_ALG)
    alg = _JOSE_ALG.get(cose_alg) if isinstance(cose_alg, int) else None
    if alg is None or not raw_verify(key, alg, _sig_structure(cwt.protected_raw, cwt.payload_raw), cwt.signature):
        raise StatusListError("bad signature on status list token")
    return _token_from_claims(cwt.claims, now=now, expected_uri=expected_uri, leeway=leeway)


def verify_cwt_with(
    token: bytes,
    *,
    check: Callable[[int, bytes, bytes], bool],
    now: datetime,
    expected_uri: str | None = None,
    leeway: timedelta = timedelta(seconds=60),
) -> StatusListToken:
    """Verify a CWT Status List Token of any COSE algorithm: `check(cose_alg, Sig_structure,
    signature)` says whether the signature is good (and the algorithm the expected one)."""
    cwt = parse_cwt(token)
    if cwt.protected.get(_H_TYP) != CWT_TYP:
        raise StatusListError("type must be application/statuslist+cwt")
    cose_alg = cwt.protected.get(_H_ALG)
    if not isinstance(cose_alg, int) or isinstance(cose_alg, bool) or not check(
            cose_alg, _sig_structure(cwt.protected_raw, cwt.payload_raw), cwt.signature):
        raise StatusListError("bad signature on status list token")
    return _token_from_claims(cwt.claims, now=now, expected_uri=expected_uri, leeway=leeway)


def cwt_kid(token: bytes) -> bytes | None:
    """The kid (unprotected header 4) of a CWT Status List Token, unverified; None when absent."""
    kid = parse_cwt(token).unprotected.get(_H_KID)
    return kid if isinstance(kid, bytes) else None


def _token_from_claims(
    claims: dict[Any, Any], *, now: datetime, expected_uri: str | None, leeway: timedelta
) -> StatusListToken:
    sub = claims.get(CWT_SUB)
    if not isinstance(sub, str) or (expected_uri is not None and sub != expected_uri):
        raise StatusListError("status list token is for another uri")
    iss = claims.get(CWT_ISS)
    result = StatusListToken(
        sub=sub,
        iat=_dt(claims.get(CWT_IAT), "iat"),
        status_list=StatusList.from_cbor(claims.get(CWT_STATUS_LIST)),
        exp=_dt(claims[CWT_EXP], "exp") if CWT_EXP in claims else None,
        ttl=_ttl(claims.get(CWT_TTL)),
        iss=iss if isinstance(iss, str) else None,
    )
    _check_time(result, now, leeway)
    return result


# ---- the referenced token's side ---------------------------------------------------------------


def status_claim(uri: str, idx: int) -> dict[str, Any]:
    """The `status` claim a credential carries (same shape in JSON and, under key 65535, in CBOR)."""
    return {"status_list": {"idx": idx, "uri": uri}}


def reference_of(status: Any) -> tuple[str, int]:
    """(uri, idx) from a `status` claim; StatusListError when it has no valid status_list."""
    ref = status.get("status_list") if isinstance(status, dict) else None
    if not isinstance(ref, dict):
        raise StatusListError("status claim has no status_list")
    uri, idx = ref.get("uri"), ref.get("idx")
    if not isinstance(uri, str) or not isinstance(idx, int) or isinstance(idx, bool) or idx < 0:
        raise StatusListError("status_list needs a uri and a non-negative idx")
    return uri, idx


@dataclass
class _Cached:
    token: StatusListToken
    fresh_until: datetime


class StatusCache:
    """A verifier's cache of verified status lists, keyed by uri, honouring `ttl` and `exp`.

    `default_ttl` applies to lists that carry no ttl. A stale or unknown list answers None, which
    means "fetch the list again" (offline: treat the status as unknown).
    """

    def __init__(self, default_ttl: timedelta = timedelta(minutes=10)) -> None:
        self.default_ttl = default_ttl
        self._lists: dict[str, _Cached] = {}

    def put(self, token: StatusListToken, *, fetched_at: datetime) -> None:
        ttl = timedelta(seconds=token.ttl) if token.ttl is not None else self.default_ttl
        fresh_until = fetched_at + ttl
        if token.exp is not None:
            fresh_until = min(fresh_until, token.exp)
        self._lists[token.sub] = _Cached(token, fresh_until)

    def needs_refresh(self, uri: str, *, now: datetime) -> bool:
        cached = self._lists.get(uri)
        return cached is None or now >= cached.fresh_until

    def lookup(self, uri: str, idx: int, *, now: datetime) -> int | None:
        """The status of entry `idx`, or None when the list is unknown or stale; StatusListError
        when the index lies outside the list."""
        if self.needs_refresh(uri, now=now):
            return None
        return self._lists[uri].token.status_list.get(idx)

    def status_of(self, status_claim: Any, *, now: datetime) -> int | None:
        uri, idx = reference_of(status_claim)
        return self.lookup(uri, idx, now=now)

    def is_revoked(self, uri: str, idx: int, now: datetime | None = None) -> bool | None:
        """True when INVALID or SUSPENDED (or any other non-VALID value), False when VALID, None when
        not known (no fresh list, or the index is outside it) — the `presentation.StatusCache`
        protocol of the offline QR verifier. `now` defaults to `onecity.clock.now()`."""
        try:
            value = self.lookup(uri, idx, now=now if now is not None else clock.now())
        except StatusListError:
            return None
        return None if value is None else value != VALID
