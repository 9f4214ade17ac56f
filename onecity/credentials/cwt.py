"""Offline certificates: COSE_Sign1-signed CWTs (RFC 9052, RFC 8392) and their QR text.

A certificate (电子证照) is a COSE_Sign1 (CBOR tag 18) over a CWT whose claims are:

    1 iss      issuer id (text, optional: see below) 6 iat issued at (epoch seconds)
    5 nbf      valid from (optional)               4 exp   valid until (optional)
    7 cti      certificate id (optional bytes)
    8 cnf      {1: COSE_Key of the holder, without its alg} (RFC 8747): the key that signs presentations
    65535 status  {"status_list": {"idx": i, "uri": u}} (IETF Token Status List, CWT form)
    -65537 type     certificate type: its code (int) or id (text)    ┐ OneCity private-use claim
    -65538 claims   {field key (int, from the type schema): value}   │ keys (RFC 8392 §9.1: keys
    -65539 view     purpose view name, e.g. "hotel" (views only)     │ below -65536 are private)
    -65540 full     SHA-256 of the full certificate's bytes, first 16 bytes (views)  ┘

No `sub`: the holder is identified by the key in `cnf`, and by whatever the claims say.
The issuer is whoever the trust list says holds the kid, so OneCity's QR certificates leave `iss` out
(a 26-character issuer id costs 40 QR characters); when present, it must name that same issuer.
Every byte counts: a full driving licence presentation must stay within a version-20 QR at level Q.
The protected header holds the alg (-8 EdDSA, or OneCity's private-use SM2 id, see `algorithms`)
and the kid: the issuer key's `algorithms.key_id` as its 8 raw bytes (any other kid text as UTF-8,
which must then not be 8 bytes long). The certificate is untagged inside a presentation and tagged
(CBOR tag 18) when it stands alone; `parse` takes both. Dates inside claims are encoded as CBOR
tag 100 (days since 1970-01-01, RFC 8943): 5 bytes instead of 14 for a tag-1004 string.

A purpose view (用途视图) is a second CWT the issuer signs at issuance, carrying a subset of the
claims plus the hash of the full certificate, so that a hotel sees name and ID number and nothing else
— selective disclosure offline, without SD-JWT's size.

QR text (as the EU Digital COVID Certificate): "OC1:" + Base45(zlib(CBOR)). Every character of it is
in the QR alphanumeric set, so the QR uses alphanumeric mode (5.5 bits a character). Unlike the DCC,
the zlib stream uses a preset dictionary (RFC 1950 FDICT), `QR_DICTIONARY`: the words certificates
repeat (the status-list keys, "https://", province names, address and agency words). Plain zlib saves
~4 bytes on a driving licence (signatures and keys do not compress); the dictionary saves ~60 bytes,
~90 QR characters. It is frozen for the "OC1:" prefix: changing it means a new prefix.

pycose is not used: it has no SM2 and would hide the Sig_structure we need to control byte for byte;
COSE_Sign1 is twenty lines over cbor2.
"""

from __future__ import annotations

import base64
import hashlib
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from typing import Any

import base45
import cbor2
import numpy as np

from onecity.credentials import algorithms

QR_PREFIX = "OC1:"

CLAIM_ISS, CLAIM_EXP, CLAIM_NBF, CLAIM_IAT, CLAIM_CTI, CLAIM_CNF = 1, 4, 5, 6, 7, 8
CLAIM_STATUS = 65535
CLAIM_TYPE, CLAIM_CLAIMS, CLAIM_VIEW, CLAIM_FULL = -65537, -65538, -65539, -65540

_HDR_ALG, _HDR_KID = 1, 4
_COSE_KEY_ALG = 3
FULL_HASH_BYTES = 16
_COSE_SIGN1_TAG = 18
_MAX_DEPTH = 12
_MAX_QR_CHARS = 8000  # a version-40 QR holds 4,296 alphanumeric characters; anything longer is junk
_MAX_INFLATED = 16384


class MalformedCredential(ValueError):
    """The bytes are not a well-formed OneCity CWT / COSE_Sign1 / QR text."""


@dataclass(frozen=True)
class Certificate:
    """The content of a certificate or of a purpose view (what the issuer signs)."""

    issuer: str | None  # None: not carried (the trust list names the issuer of the kid)
    type_id: int | str  # the type's small integer `code` (what OneCity issues: shorter) or its id
    claims: Mapping[int, Any]
    holder_alg: str
    holder_public: bytes
    issued_at: int
    expires_at: int | None = None
    not_before: int | None = None
    status_uri: str | None = None
    status_idx: int | None = None
    cti: bytes | None = None
    view: str | None = None
    full_hash: bytes | None = None


@dataclass(frozen=True)
class SignedCertificate:
    """A parsed (not yet verified) COSE_Sign1 certificate."""

    raw: bytes
    alg: str
    kid: str
    protected: bytes
    payload: bytes
    signature: bytes
    certificate: Certificate = field(repr=False)

    def sig_structure(self) -> bytes:
        return _sig_structure(self.protected, self.payload)


# ---------------------------------------------------------------------------------------- QR text


_PROVINCES = (
    "河北省 山西省 辽宁省 吉林省 黑龙江省 江苏省 浙江省 安徽省 福建省 江西省 山东省 河南省 湖北省 湖南省 "
    "广东省 海南省 四川省 贵州省 云南省 陕西省 甘肃省 青海省 台湾省 内蒙古自治区 广西壮族自治区 西藏自治区 "
    "宁夏回族自治区 新疆维吾尔自治区 香港特别行政区 澳门特别行政区 天津市 重庆市 上海市 北京市"
)
_WORDS = (
    "有限公司 有限责任公司 股份有限公司 大学 学院 学校 人民政府 残疾人联合会 人力资源和社会保障局 "
    "医疗保障局 市场监督管理局 民政局 教育局 婚姻登记处 车辆管理所 交通警察支队 公安交通管理局 公安厅 "
    "公安局 派出所 小区 村 组 镇 乡 街道 大道 街 路 号院 号楼 栋 幢 单元 层 室 号 县 区 市 汉族 中国 女 男"
)
QR_DICTIONARY = (
    (_PROVINCES + " " + _WORDS).encode() + b" C1 C2 A1 A2 B1 B2 " + b"https://" + b"status_list idx uri"
)


def encode_qr(data: bytes) -> str:
    packer = zlib.compressobj(9, zlib.DEFLATED, 15, 9, zlib.Z_DEFAULT_STRATEGY, QR_DICTIONARY)
    packed = packer.compress(data) + packer.flush()
    return QR_PREFIX + base45.b45encode(packed).decode("ascii")


_B45_ALPHABET = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_B45_DIGITS = bytes(_B45_ALPHABET.index(i) if i in _B45_ALPHABET else 255 for i in range(256))
_B45_WEIGHTS = np.array([1, 45, 2025], dtype=np.uint32)


def b45decode(text: str) -> bytes:
    """RFC 9285 Base45 decoding, vectorised (numpy): the `base45` package's pure-Python loop costs
    as much as an Ed25519 verify for one QR text. Same results and same rejections (the tests compare
    both on random input); raises ValueError."""
    try:
        digits = text.encode("ascii").translate(_B45_DIGITS)
    except UnicodeEncodeError as e:
        raise ValueError("Base45 text is ASCII") from e
    if len(digits) % 3 == 1 or 255 in digits:
        raise ValueError("not Base45")
    full = len(digits) // 3 * 3
    values = np.frombuffer(digits, dtype=np.uint8, count=full).reshape(-1, 3) @ _B45_WEIGHTS
    if values.size and int(values.max()) > 0xFFFF:
        raise ValueError("Base45 triple out of range")
    out = values.astype(">u2").tobytes()
    if full < len(digits):
        last = digits[full] + 45 * digits[full + 1]
        if last > 0xFF:
            raise ValueError("Base45 pair out of range")
        out += bytes([last])
    return out


def decode_qr(text: str) -> bytes:
    """The CBOR bytes inside an "OC1:" QR text; MalformedCredential for anything else."""
    if not isinstance(text, str) or not text.startswith(QR_PREFIX) or len(text) > _MAX_QR_CHARS:
        raise MalformedCredential("not an OC1 QR text")
    try:
        packed = b45decode(text[len(QR_PREFIX) :])
        inflater = zlib.decompressobj(zdict=QR_DICTIONARY)
        data = inflater.decompress(packed, _MAX_INFLATED)
        if inflater.unconsumed_tail or not inflater.eof:
            raise MalformedCredential("QR payload truncated or too large")
    except (ValueError, zlib.error) as e:
        raise MalformedCredential(f"bad QR payload: {e}") from e
    return data


# ------------------------------------------------------------------------------------------- CBOR


def loads(data: bytes) -> Any:
    """CBOR from outside: bounded depth, no duplicate keys; MalformedCredential on any failure."""
    if not isinstance(data, bytes | bytearray):
        raise MalformedCredential("not bytes")
    try:
        return cbor2.loads(bytes(data), max_depth=_MAX_DEPTH, allow_duplicate_keys=False)
    except Exception as e:  # cbor2 raises CBORDecodeError, ValueError, TypeError, OverflowError...
        raise MalformedCredential(f"bad CBOR: {type(e).__name__}") from e


def _to_cbor_value(value: Any) -> Any:
    if isinstance(value, date):
        return cbor2.CBORTag(100, value.toordinal() - _EPOCH_ORDINAL)
    if isinstance(value, list | tuple):
        return [_to_cbor_value(v) for v in value]
    if isinstance(value, dict):
        return {k: _to_cbor_value(v) for k, v in value.items()}
    return value


_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()


def certificate_hash(raw: bytes) -> bytes:
    """SHA-256 of a certificate's exact bytes: what views and presentations point at."""
    return hashlib.sha256(raw).digest()


def encode_kid(kid: str) -> bytes:
    if len(kid) == 11:
        try:
            raw = base64.urlsafe_b64decode(kid + "=")
        except ValueError:
            raw = b""
        if len(raw) == 8 and base64.urlsafe_b64encode(raw).rstrip(b"=").decode() == kid:
            return raw
    text = kid.encode()
    if len(text) == 8:
        raise ValueError("a kid of 8 UTF-8 bytes is ambiguous with a raw key id")
    return text


def decode_kid(raw: bytes) -> str:
    if len(raw) == 8:
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return raw.decode()


def _sig_structure(protected: bytes, payload: bytes) -> bytes:
    return cbor2.dumps(["Signature1", protected, b"", payload])


def encode_claims(cert: Certificate) -> dict[int, Any]:
    if cert.holder_alg not in algorithms.ALGS:
        raise ValueError(f"unknown holder algorithm {cert.holder_alg!r}")
    if any(not isinstance(k, int) for k in cert.claims):
        raise ValueError("claim keys are integers from the type schema")
    body: dict[int, Any] = {}
    if cert.issuer is not None:
        body[CLAIM_ISS] = cert.issuer
    body[CLAIM_IAT] = int(cert.issued_at)
    if cert.not_before is not None:
        body[CLAIM_NBF] = int(cert.not_before)
    if cert.expires_at is not None:
        body[CLAIM_EXP] = int(cert.expires_at)
    if cert.cti is not None:
        body[CLAIM_CTI] = cert.cti
    holder_key = algorithms.cose_key(cert.holder_alg, cert.holder_public)
    body[CLAIM_CNF] = {1: {k: v for k, v in holder_key.items() if k != _COSE_KEY_ALG}}
    if cert.status_uri is not None:
        if cert.status_idx is None or cert.status_idx < 0:
            raise ValueError("a status reference needs a non-negative index")
        body[CLAIM_STATUS] = {"status_list": {"idx": int(cert.status_idx), "uri": cert.status_uri}}
    body[CLAIM_TYPE] = cert.type_id
    body[CLAIM_CLAIMS] = {int(k): _to_cbor_value(v) for k, v in cert.claims.items()}
    if cert.view is not None:
        if cert.full_hash is None:
            raise ValueError("a purpose view carries the hash of the full certificate")
        body[CLAIM_VIEW] = cert.view
        body[CLAIM_FULL] = cert.full_hash
    return body


def sign_certificate(
    cert: Certificate, *, alg: str, private: bytes, kid: str, public: bytes | None = None
) -> bytes:
    """The COSE_Sign1 bytes of `cert`, signed by the issuer key (`public` speeds SM2 up)."""
    protected = cbor2.dumps({_HDR_ALG: algorithms.COSE_ALGS[alg], _HDR_KID: encode_kid(kid)})
    payload = cbor2.dumps(encode_claims(cert))
    signature = algorithms.sign(alg, private, _sig_structure(protected, payload), public=public)
    return cbor2.dumps(cbor2.CBORTag(_COSE_SIGN1_TAG, [protected, {}, payload, signature]))


def sign_view(
    full: bytes,
    *,
    view: str,
    fields: Iterable[int],
    alg: str,
    private: bytes,
    kid: str,
    public: bytes | None = None,
) -> bytes:
    """A purpose view of the signed certificate `full`: the same header claims, only `fields` of its
    claims, and the hash of `full`. Asking for a field the certificate lacks is an error."""
    cert = parse(full).certificate
    wanted = list(fields)
    missing = [k for k in wanted if k not in cert.claims]
    if missing:
        raise ValueError(f"the certificate has no fields {missing}")
    subset = {k: cert.claims[k] for k in wanted}
    view_cert = replace(cert, claims=subset, view=view, full_hash=certificate_hash(full)[:FULL_HASH_BYTES])
    return sign_certificate(view_cert, alg=alg, private=private, kid=kid, public=public)


# ---------------------------------------------------------------------------------------- parsing


def _int(value: Any, what: str) -> int:
    if type(value) is not int:  # bool is not a time
        raise MalformedCredential(f"{what} is not an integer")
    return value


def _opt_int(value: Any, what: str) -> int | None:
    return None if value is None else _int(value, what)


def parse(raw: bytes) -> SignedCertificate:
    """Parse (not verify) a COSE_Sign1 certificate; MalformedCredential when it is not one of ours."""
    outer = loads(raw)
    if isinstance(outer, cbor2.CBORTag):
        if outer.tag != _COSE_SIGN1_TAG:
            raise MalformedCredential("not a COSE_Sign1")
        outer = outer.value
    if not isinstance(outer, list | tuple) or len(outer) != 4:  # cbor2 freezes what a tag wraps
        raise MalformedCredential("COSE_Sign1 is an array of four")
    protected, unprotected, payload, signature = outer
    if not all(isinstance(x, bytes) for x in (protected, payload, signature)) or not isinstance(
        unprotected, Mapping
    ):
        raise MalformedCredential("COSE_Sign1 member types")
    alg, kid = _protected_header(protected)
    return SignedCertificate(
        raw=bytes(raw),
        alg=alg,
        kid=kid,
        protected=protected,
        payload=payload,
        signature=signature,
        certificate=decode_claims(loads(payload)),
    )


@lru_cache(maxsize=1024)
def _protected_header(protected: bytes) -> tuple[str, str]:
    """(alg, kid) of a protected header; cached: an issuer key's header is the same every time."""
    header = loads(protected)
    if not isinstance(header, dict):
        raise MalformedCredential("protected header is a map")
    cose_alg = header.get(_HDR_ALG)
    alg = algorithms.ALG_BY_COSE.get(cose_alg) if type(cose_alg) is int else None
    kid_raw = header.get(_HDR_KID)
    if alg is None or not isinstance(kid_raw, bytes):
        raise MalformedCredential("protected header lacks a known alg or a kid")
    try:
        return alg, decode_kid(kid_raw)
    except UnicodeDecodeError as e:
        raise MalformedCredential("kid is not UTF-8") from e


def decode_claims(body: Any) -> Certificate:
    if not isinstance(body, dict):
        raise MalformedCredential("CWT claims are a map")
    issuer, type_id, claims = body.get(CLAIM_ISS), body.get(CLAIM_TYPE), body.get(CLAIM_CLAIMS)
    if isinstance(type_id, bool) or not isinstance(type_id, int | str):
        raise MalformedCredential("type is a code or an id")
    if (issuer is not None and not isinstance(issuer, str)) or not isinstance(claims, dict):
        raise MalformedCredential("iss is text; type and claims are required")
    if claims and set(map(type, claims)) != {int}:
        raise MalformedCredential("claim keys are integers")
    cnf = body.get(CLAIM_CNF)
    if not isinstance(cnf, dict) or 1 not in cnf:
        raise MalformedCredential("cnf holds the holder's COSE_Key")
    try:
        holder_alg, holder_public = algorithms.public_from_cose_key(cnf[1])
    except ValueError as e:
        raise MalformedCredential("holder key") from e
    status_uri = status_idx = None
    if CLAIM_STATUS in body:
        status = body[CLAIM_STATUS]
        ref = status.get("status_list") if isinstance(status, dict) else None
        if not isinstance(ref, dict) or not isinstance(ref.get("uri"), str):
            raise MalformedCredential("status reference")
        status_uri, status_idx = ref["uri"], _int(ref.get("idx"), "status index")
        if status_idx < 0:
            raise MalformedCredential("status index")
    view, full = body.get(CLAIM_VIEW), body.get(CLAIM_FULL)
    if view is not None and (
        not isinstance(view, str) or not isinstance(full, bytes) or len(full) != FULL_HASH_BYTES
    ):
        raise MalformedCredential("a view has a name and the full certificate's hash")
    if view is None and full is not None:
        raise MalformedCredential("full-certificate hash outside a view")
    cti = body.get(CLAIM_CTI)
    if cti is not None and not isinstance(cti, bytes):
        raise MalformedCredential("cti")
    return Certificate(
        issuer=issuer,
        type_id=type_id,
        claims=claims,
        holder_alg=holder_alg,
        holder_public=holder_public,
        issued_at=_int(body.get(CLAIM_IAT), "iat"),
        expires_at=_opt_int(body.get(CLAIM_EXP), "exp"),
        not_before=_opt_int(body.get(CLAIM_NBF), "nbf"),
        status_uri=status_uri,
        status_idx=status_idx,
        cti=cti,
        view=view,
        full_hash=full,
    )


def verify_signature(signed: SignedCertificate, *, alg: str, public: bytes) -> bool:
    """The issuer's signature, with the algorithm the trust list gives for the kid (never the
    header's alone: the header must agree with it)."""
    return signed.alg == alg and algorithms.verify(alg, public, signed.sig_structure(), signed.signature)
