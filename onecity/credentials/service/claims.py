"""Claiming a certificate into the citizen's wallet (领取), OpenID4VCI-style (OpenID for Verifiable
Credential Issuance 1.0, pre-authorised code flow).

1. `claimable`: what a citizen may claim — certificates issued to them, or unclaimed ones whose
   holder ID number (blind index `Credential.holder_id_index`) is theirs — not revoked, not yet bound
   to a holder key.
2. `create_offer`: after a fresh face verification (grant for act CLAIM_ACT, used up here) the
   citizen gets a Credential Offer (`credential_issuer`, `credential_configuration_ids`,
   `grants["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["pre-authorized_code"]`). The
   code is single use, lives CODE_TTL, and is bound to the citizen, the certificate and the grant;
   only its SHA-256 is kept.
3. `redeem_code` (Token Endpoint, `grant_type` PRE_AUTH_GRANT): the code, once, for an access token
   (TOKEN_TTL, SHA-256 kept) and a `c_nonce` (NONCE_TTL); `new_nonce` (Nonce Endpoint) gives more.
4. `issue_to_holder` (Credential Endpoint): the access token, a `credential_configuration_id` and a
   proof of possession — a JWT of `typ` PROOF_TYP signed by the holder key given in its `jwk`
   header, with `aud` the credential issuer identifier, a recent `iat` and `nonce` a c_nonce this
   issuer made that has not expired (nonces are stateless and MAC-ed; the access token is single use). The holder key (Ed25519: the QR format's holder keys are Ed25519 or SM2, and
   a browser's WebCrypto makes Ed25519) is bound to the certificate, which becomes the citizen's;
   the response carries the SD-JWT VC (`dc+sd-jwt`; none from an SM2 issuer, whose algorithm has no
   JOSE registration: `credentials` is then empty) and, as the OneCity extension member QR_MEMBER,
   the COSE_Sign1 certificate and its purpose views signed for the same key.

Every refusal is a DomainError carrying the OAuth `error` code of the spec (invalid_grant,
invalid_token, invalid_proof, invalid_nonce, unsupported_grant_type, …) in its body; the request
rolls back, so a refused step changes nothing (the code, token, nonce and face grant stay as they were).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.credentials import jose, presentation, sdjwt, status_list, types
from onecity.credentials.models import Credential, CredentialClaim, CredentialStatusList, Issuer
from onecity.credentials.schemas import CredentialOut
from onecity.credentials.service import issuance, issuers
from onecity.crypto import fields
from onecity.errors import DomainError, NotFound
from onecity.identity import service as identity
from onecity.identity.face import service as face
from onecity.ids import new_id

CLAIM_ACT = "credentials.claim"
PRE_AUTH_GRANT = "urn:ietf:params:oauth:grant-type:pre-authorized_code"
PROOF_TYP = "openid4vci-proof+jwt"
FORMAT = sdjwt.TYP  # "dc+sd-jwt"
QR_MEMBER = "onecity_qr_certificates"
CODE_TTL = timedelta(minutes=5)
TOKEN_TTL = timedelta(minutes=10)
NONCE_TTL = timedelta(minutes=5)
PROOF_MAX_AGE = timedelta(minutes=5)
PROOF_SKEW = timedelta(seconds=60)
TOKEN_PREFIX = "oc4vci_"  # noqa: S105 - not a secret: tells an access token from a session token in an Authorization header
_NONCE_PURPOSE = "credentials.c_nonce"


# --- errors ---------------------------------------------------------------------------------------

class _OAuthError(DomainError):
    """A refusal with the OAuth / OpenID4VCI `error` code in the body (what a wallet reads)."""

    oauth_error = "invalid_request"

    def __init__(self, detail: str | None = None) -> None:
        super().__init__(detail, error=self.oauth_error, error_description=detail or self.message_en)


class CredentialNotClaimable(NotFound):
    code = "credential_not_claimable"
    message_zh = "没有可领取的该证照（不是您的、已领取或已吊销）"
    message_en = "There is no such certificate for you to claim (not yours, already claimed or revoked)"


class ClaimCodeInvalid(_OAuthError):
    code = "credential_claim_code_invalid"
    status = 400
    oauth_error = "invalid_grant"
    message_zh = "领取码无效、已使用或已过期，请重新领取"
    message_en = "The pre-authorised code is not valid, already used or expired; start the claim again"


class GrantTypeUnsupported(_OAuthError):
    code = "credential_claim_grant_type_unsupported"
    status = 400
    oauth_error = "unsupported_grant_type"
    message_zh = "不支持的授权类型"
    message_en = "Only the pre-authorised code grant is supported"


class ClaimTokenInvalid(_OAuthError):
    code = "credential_claim_token_invalid"
    status = 401
    oauth_error = "invalid_token"
    message_zh = "访问令牌无效、已使用或已过期"
    message_en = "The access token is not valid, already used or expired"


class ClaimProofInvalid(_OAuthError):
    code = "credential_claim_proof_invalid"
    status = 400
    oauth_error = "invalid_proof"
    message_zh = "持有者密钥证明无效"
    message_en = "The proof of possession of the holder key is not valid"


class ClaimNonceInvalid(_OAuthError):
    code = "credential_claim_nonce_invalid"
    status = 400
    oauth_error = "invalid_nonce"
    message_zh = "证明中的随机数（c_nonce）无效或已过期，请重新获取"
    message_en = "The proof's c_nonce is not the current one or has expired; fetch a new one"


class CredentialConfigurationUnknown(_OAuthError):
    code = "credential_claim_configuration_unknown"
    status = 400
    oauth_error = "unknown_credential_configuration"
    message_zh = "请求的证照类型与领取的证照不符"
    message_en = "The credential configuration asked for is not the one being claimed"


# --- results --------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TokenResponse:
    access_token: str
    expires_in: int
    c_nonce: str
    c_nonce_expires_in: int
    credential_configuration_id: str

    def as_json(self) -> dict[str, Any]:
        return {"access_token": self.access_token, "token_type": "Bearer", "expires_in": self.expires_in,
                "c_nonce": self.c_nonce, "c_nonce_expires_in": self.c_nonce_expires_in,
                "authorization_details": [{"type": "openid_credential",
                                           "credential_configuration_id": self.credential_configuration_id,
                                           "credential_identifiers": [self.credential_configuration_id]}]}


@dataclass(frozen=True)
class Issued:
    """What the Credential Endpoint hands the holder: the SD-JWT VC and the QR certificates."""

    credential_id: str
    sd_jwt: str | None  # None from an SM2 issuer: SM2 has no JOSE registration, its certificates are QR only
    certificates: dict[str, bytes]  # "full" and each purpose view: COSE_Sign1 bytes

    def as_json(self) -> dict[str, Any]:
        return {"credentials": [{"credential": self.sd_jwt}] if self.sd_jwt is not None else [],
                QR_MEMBER: qr_certificates_json(self.credential_id, self.certificates)}


def qr_certificates_json(credential_id: str, certificates: dict[str, bytes]) -> dict[str, Any]:
    """The QR certificates as the wallet keeps them: base64url COSE_Sign1 by view ("full" too) and
    each one's `presentation.deflate_prefix` (the browser cannot compress with the preset dictionary)."""
    return {"credential_id": credential_id,
            "certificates": {k: jose.b64url_encode(v) for k, v in certificates.items()},
            "deflate_prefixes": {k: jose.b64url_encode(presentation.deflate_prefix(v)) for k, v in certificates.items()}}


# --- helpers --------------------------------------------------------------------------------------

def _sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _claimable_query(citizen_id: str, index: str | None) -> Any:
    mine = Credential.holder_citizen_id == citizen_id
    cond = or_(mine, (Credential.holder_citizen_id.is_(None)) & (Credential.holder_id_index == index)) \
        if index else mine
    return select(Credential).where(cond, Credential.holder_public_key.is_(None), Credential.status != "revoked")


def _citizen_index(session: Session, citizen_id: str) -> str | None:
    index: str | None = identity.get_citizen(session, citizen_id).id_number_index
    return index


def claimable_rows(session: Session, *, citizen_id: str) -> list[Credential]:
    """The rows of the certificates the citizen may claim now, newest first."""
    q = _claimable_query(citizen_id, _citizen_index(session, citizen_id)).order_by(Credential.id.desc())
    return list(session.scalars(q))


def claimable(session: Session, *, citizen_id: str) -> list[CredentialOut]:
    """The certificates the citizen may claim now, newest first (without claims)."""
    return [issuance._out(session, r) for r in claimable_rows(session, citizen_id=citizen_id)]


def claimable_detail(session: Session, *, citizen_id: str, credential_id: str) -> CredentialOut:
    """One claimable certificate with its claims (what the claim page shows before the face check)."""
    return issuance._out(session, _claimable_row(session, citizen_id, credential_id), with_claims=True)


def _claimable_row(session: Session, citizen_id: str, credential_id: str, *, lock: bool = False) -> Credential:
    q = _claimable_query(citizen_id, _citizen_index(session, citizen_id)).where(Credential.public_id == credential_id)
    row = session.scalars(q.with_for_update() if lock else q).one_or_none()
    if row is None:
        raise CredentialNotClaimable()
    return row


def _issuer_of(session: Session, row: Credential) -> Issuer:
    issuer = session.get(Issuer, row.issuer_id)
    assert issuer is not None
    return issuer


# --- 2. the offer ---------------------------------------------------------------------------------

def create_offer(session: Session, *, citizen_id: str, credential_id: str, face_grant: str,
                 credential_issuer: str) -> dict[str, Any]:
    """The Credential Offer for one claimable certificate, after the citizen's face verification
    (FaceGrantInvalid otherwise; the grant is used up here)."""
    row = _claimable_row(session, citizen_id, credential_id, lock=True)
    face.consume_grant(session, citizen_id=citizen_id, act=CLAIM_ACT, grant_id=face_grant)
    code = secrets.token_urlsafe(32)
    now = clock.now()
    claim = CredentialClaim(public_id=new_id("ccl"), credential_id=row.id, citizen_id=citizen_id,
                            face_grant_id=face_grant[:40], code_hash=_sha(code), code_expires_at=now + CODE_TTL,
                            created_at=now)
    session.add(claim)
    session.flush()
    audit.record(session, actor=citizen_id, action="credential.claim_offered", subject_citizen_id=citizen_id,
                 resource=f"credential/{row.public_id}", on_behalf_of=_issuer_of(session, row).org_id,
                 reason=f"领取证照（刷脸通过）claim offer after face verification {face_grant[:40]}")
    return {"credential_issuer": credential_issuer, "credential_configuration_ids": [row.type_id],
            "grants": {PRE_AUTH_GRANT: {"pre-authorized_code": code}}}


# --- 3. token and nonce endpoints -----------------------------------------------------------------

def redeem_code(session: Session, *, grant_type: str, code: str, caller_citizen_id: str | None = None) -> TokenResponse:
    """Exchange a pre-authorised code, once and before it expires, for an access token and a c_nonce.
    A signed-in caller must be the citizen the code was made for."""
    if grant_type != PRE_AUTH_GRANT:
        raise GrantTypeUnsupported()
    claim = session.scalars(select(CredentialClaim).where(CredentialClaim.code_hash == _sha(code))
                            .with_for_update()).one_or_none()
    now = clock.now()
    if claim is None:
        raise ClaimCodeInvalid("unknown pre-authorized_code")
    if caller_citizen_id is not None and caller_citizen_id != claim.citizen_id:
        raise ClaimCodeInvalid("the pre-authorized_code was made for someone else")
    if claim.code_used_at is not None:
        raise ClaimCodeInvalid("the pre-authorized_code was already used")
    if now >= clock.aware(claim.code_expires_at):
        raise ClaimCodeInvalid("the pre-authorized_code has expired")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    nonce, _ = new_nonce()
    claim.code_used_at = now
    claim.token_hash = _sha(token)
    claim.token_expires_at = now + TOKEN_TTL
    row = session.get(Credential, claim.credential_id)
    assert row is not None
    return TokenResponse(token, int(TOKEN_TTL.total_seconds()), nonce, int(NONCE_TTL.total_seconds()), row.type_id)


def check_token(session: Session, token: str) -> None:
    """ClaimTokenInvalid unless `token` is a live, unused access token."""
    _claim_by_token(session, token)


def _claim_by_token(session: Session, token: str) -> CredentialClaim:
    claim = session.scalars(select(CredentialClaim).where(CredentialClaim.token_hash == _sha(token))
                            .with_for_update()).one_or_none() if token.startswith(TOKEN_PREFIX) else None
    if claim is None:
        raise ClaimTokenInvalid("unknown access token")
    if claim.claimed_at is not None:
        raise ClaimTokenInvalid("the access token was already used")
    if claim.token_expires_at is None or clock.now() >= clock.aware(claim.token_expires_at):
        raise ClaimTokenInvalid("the access token has expired")
    return claim


def new_nonce() -> tuple[str, int]:
    """A fresh c_nonce (Nonce Endpoint): `<expiry epoch>.<random>.<MAC>`, MAC a keyed hash
    (`crypto.fields.blind_index`) of the first two parts, so the credential endpoint recognises its
    own nonces without storing them; replay is stopped by the single-use access token."""
    exp = int((clock.now() + NONCE_TTL).timestamp())
    body = f"{exp}.{secrets.token_urlsafe(16)}"
    return f"{body}.{fields.blind_index(body, purpose=_NONCE_PURPOSE)[:32]}", int(NONCE_TTL.total_seconds())


def _nonce_ok(nonce: object, now: datetime) -> bool:
    if not isinstance(nonce, str) or nonce.count(".") != 2 or len(nonce) > 120:
        return False
    body, _, mac = nonce.rpartition(".")
    if not secrets.compare_digest(mac, fields.blind_index(body, purpose=_NONCE_PURPOSE)[:32]):
        return False
    exp = body.split(".", 1)[0]
    return exp.isdigit() and now.timestamp() < int(exp)


# --- 4. the credential endpoint -------------------------------------------------------------------

def check_proof(proof: str, *, audience: str, now: datetime) -> dict[str, str]:
    """The holder's public JWK from a `jwt` proof (OpenID4VCI 1.0 Appendix F.1); ClaimProofInvalid
    or ClaimNonceInvalid otherwise. Pure: no database."""
    try:
        header, claims, signing_input, signature = jose.parse_compact(proof)
        jwk = header.get("jwk")
        key = jose.key_from_jwk(jwk)
        assert isinstance(jwk, dict)
    except jose.JoseError as exc:
        raise ClaimProofInvalid(f"the proof is not a usable JWT with a jwk header: {exc}") from exc
    if header.get("typ") != PROOF_TYP:
        raise ClaimProofInvalid(f"the proof's typ must be {PROOF_TYP}")
    if "d" in jwk or "kid" in header or "x5c" in header:
        raise ClaimProofInvalid("the proof names its key by a public jwk only")
    if jose.alg_of(key) != "EdDSA":
        raise ClaimProofInvalid("the holder key must be Ed25519 (EdDSA): QR certificates bind Ed25519 or SM2 keys")
    if not jose.raw_verify(key, header["alg"], signing_input, signature):
        raise ClaimProofInvalid("the proof's signature does not verify under its jwk")
    if claims.get("aud") != audience:
        raise ClaimProofInvalid(f"the proof's aud must be the credential issuer {audience}")
    iat = claims.get("iat")
    if not isinstance(iat, int | float) or isinstance(iat, bool):
        raise ClaimProofInvalid("the proof has no iat")
    t = now.timestamp()
    if iat > t + PROOF_SKEW.total_seconds() or iat < t - PROOF_MAX_AGE.total_seconds():
        raise ClaimProofInvalid("the proof's iat is not recent")
    if not _nonce_ok(claims.get("nonce"), now):
        raise ClaimNonceInvalid("the proof does not carry a c_nonce of this issuer that is still valid")
    return dict(jwk)


def _sd_jwt(session: Session, row: Credential, issuer: Issuer, holder_jwk: dict[str, str]) -> str:
    ctype = types.get_type(row.type_id)
    claims = issuance._claims(row)
    sl = session.get(CredentialStatusList, row.status_list_id)
    assert sl is not None
    key = issuers.signer(session, issuer_id=issuer.public_id)
    issued = sdjwt.issue(issuer_key=key.jose_key(), iss=issuer.public_id, vct=ctype.vct, claims=claims,
                         disclosable=[n for n in ctype.selectively_disclosable if n in claims],
                         holder_jwk=holder_jwk, iat=clock.now(), exp=clock.aware(row.valid_until)
                         if row.valid_until is not None else None, kid=key.kid,
                         status=status_list.status_claim(sl.uri, row.status_idx))
    return issued.serialize()


def issue_to_holder(session: Session, *, access_token: str, credential_configuration_id: str | None,
                    proof: str, credential_issuer: str) -> Issued:
    """Check the proof against the claim's c_nonce, bind the holder key to the certificate (which is
    now the citizen's) and sign it for that key in both formats."""
    claim = _claim_by_token(session, access_token)
    row = session.scalars(select(Credential).where(Credential.id == claim.credential_id).with_for_update()).one()
    if credential_configuration_id is not None and credential_configuration_id != row.type_id:
        raise CredentialConfigurationUnknown()
    now = clock.now()
    jwk = check_proof(proof, audience=credential_issuer, now=now)
    if row.status == "revoked" or row.holder_public_key is not None or (
            row.holder_citizen_id not in (None, claim.citizen_id)):
        raise CredentialNotClaimable()
    holder_public = jose.b64url_decode(jwk["x"])
    row.holder_citizen_id = claim.citizen_id
    row.holder_alg = "EdDSA"
    row.holder_public_key = holder_public
    row.claimed_at = now
    claim.claimed_at = now
    session.flush()
    issuer = _issuer_of(session, row)
    sd = _sd_jwt(session, row, issuer, jwk) if issuer.alg in issuance.jose_algs() else None
    certificates = issuance.signed_views(session, credential_id=row.public_id, holder_public=holder_public,
                                         holder_alg="EdDSA")
    outbox.emit(session, "credentials.claimed", {"credential_id": row.public_id, "issuer_id": issuer.public_id,
                                                 "type_id": row.type_id, "holder_citizen_id": claim.citizen_id})
    audit.record(session, actor=claim.citizen_id, action="credential.claimed", subject_citizen_id=claim.citizen_id,
                 resource=f"credential/{row.public_id}", on_behalf_of=issuer.org_id,
                 reason=f"领取证照 claim certificate {row.type_id} into the wallet (holder key "
                        f"{jose.jwk_thumbprint(jwk)[:16]})")
    return Issued(row.public_id, sd, certificates)


# --- after the claim ------------------------------------------------------------------------------

def holder_certificates(session: Session, *, citizen_id: str, credential_id: str) -> dict[str, bytes]:
    """The citizen's claimed certificate and its purpose views signed again now for the bound holder
    key (the wallet refreshes its copies with it); CredentialNotFound unless claimed by them,
    CredentialNotValid once revoked."""
    row = issuance._row(session, credential_id)
    if row.holder_citizen_id != citizen_id or row.holder_public_key is None or row.holder_alg is None:
        raise issuance.CredentialNotFound()
    return issuance.signed_views(session, credential_id=credential_id, holder_public=row.holder_public_key,
                                 holder_alg=row.holder_alg)
