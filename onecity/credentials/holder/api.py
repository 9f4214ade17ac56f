"""The holder's JSON routes: the wallet and the OpenID4VCI-style claim.

Wallet (citizen, cookie or bearer session): `GET /v1/wallet/credentials` (with the server's clock, which
the phone uses for its presentations' timestamps), `GET /v1/wallet/credentials/{id}`,
`POST /v1/wallet/credentials/{id}/offer` {face_grant} → a Credential Offer, and
`GET /v1/wallet/credentials/{id}/certificates` → the claimed certificate and its purpose views signed
again for the bound holder key.

OpenID4VCI (the spec's names): `GET /.well-known/openid-credential-issuer` (Credential Issuer
Metadata), `POST /v1/oid4vci/token` (Token Endpoint, form-encoded `grant_type`
urn:ietf:params:oauth:grant-type:pre-authorized_code and `pre-authorized_code`), `POST /v1/oid4vci/nonce`
(Nonce Endpoint) and `POST /v1/oid4vci/credential` (Credential Endpoint, `proofs.jwt`). The credential endpoint takes the access token as `Authorization: Bearer oc4vci_…`:
such a token is not a session, so `ClaimTokenAllow` keeps the session resolver from refusing it (the
endpoint checks it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Form, Header, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from onecity import clock
from onecity.authz import ANONYMOUS, KINDS, PUBLIC, Allow, Principal, allow
from onecity.credentials import types
from onecity.credentials.schemas import WalletItem
from onecity.credentials.service import claims, wallet
from onecity.deps import DbSession

router = APIRouter(tags=["credentials"])

HOLDER = allow("citizen", verified=True)
_NO_STORE = {"Cache-Control": "no-store"}


class ClaimTokenAllow(Allow):
    """Admits everyone (the endpoint checks the OpenID4VCI access token itself); a request carrying
    such a token is anonymous as far as sessions go, instead of a refused unknown session token."""

    def __init__(self) -> None:
        super().__init__(KINDS, None, False)

    async def __call__(self, request: Request) -> Principal:
        if _access_token(request.headers.get("authorization")) is not None:
            request.state.principal = ANONYMOUS
            return ANONYMOUS
        return await super().__call__(request)


CLAIM_TOKEN = ClaimTokenAllow()


def _access_token(header: str | None) -> str | None:
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token.startswith(claims.TOKEN_PREFIX) else None


def credential_issuer(request: Request) -> str:
    """The Credential Issuer Identifier: this platform's base URL (a proof's `aud`)."""
    return str(request.base_url).rstrip("/")


# --- the wallet -----------------------------------------------------------------------------------

class WalletOut(BaseModel):
    now: datetime  # the server's clock: the phone's presentations take their timestamps from it
    credentials: list[WalletItem]


class OfferIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    face_grant: str = Field(min_length=1, max_length=60)


@router.get("/v1/wallet/credentials", response_model=WalletOut)
def list_wallet(db: DbSession, p: Principal = Depends(HOLDER)) -> WalletOut:
    """The citizen's certificates (claimed, then waiting to be claimed), with their current status."""
    assert p.id is not None
    return WalletOut(now=clock.now(), credentials=wallet.wallet(db, citizen_id=p.id))


@router.get("/v1/wallet/credentials/{credential_id}", response_model=WalletItem)
def get_wallet_item(credential_id: str, db: DbSession, p: Principal = Depends(HOLDER)) -> WalletItem:
    assert p.id is not None
    return wallet.wallet_item(db, citizen_id=p.id, credential_id=credential_id)


@router.post("/v1/wallet/credentials/{credential_id}/offer")
def create_offer(credential_id: str, body: OfferIn, request: Request, db: DbSession,
                 p: Principal = Depends(HOLDER)) -> JSONResponse:
    """A Credential Offer for a claimable certificate, after a face verification for
    `credentials.claim` (the grant is used up)."""
    assert p.id is not None
    offer = claims.create_offer(db, citizen_id=p.id, credential_id=credential_id, face_grant=body.face_grant,
                                credential_issuer=credential_issuer(request))
    return JSONResponse(offer, status_code=201, headers=_NO_STORE)


@router.get("/v1/wallet/credentials/{credential_id}/certificates")
def holder_certificates(credential_id: str, db: DbSession, p: Principal = Depends(HOLDER)) -> JSONResponse:
    """The claimed certificate ("full") and its purpose views, signed now for the bound holder key
    (base64url COSE_Sign1)."""
    assert p.id is not None
    certs = claims.holder_certificates(db, citizen_id=p.id, credential_id=credential_id)
    return JSONResponse({"now": clock.now().isoformat(), **claims.qr_certificates_json(credential_id, certs)},
                        headers=_NO_STORE)


# --- OpenID4VCI -----------------------------------------------------------------------------------

@router.get("/.well-known/openid-credential-issuer")
def issuer_metadata(request: Request, _: Principal = Depends(PUBLIC)) -> dict[str, Any]:
    """Credential Issuer Metadata: one configuration (dc+sd-jwt) per certificate type."""
    base = credential_issuer(request)
    configurations = {
        t.id: {"format": claims.FORMAT, "vct": t.vct, "cryptographic_binding_methods_supported": ["jwk"],
               "credential_signing_alg_values_supported": ["EdDSA"],
               "proof_types_supported": {"jwt": {"proof_signing_alg_values_supported": ["EdDSA"]}},
               "credential_metadata": {"display": [{"name": t.name.zh, "locale": "zh-CN"},
                                                   {"name": t.name.en, "locale": "en"}]}}
        for t in types.load_types().values()
    }
    return {"credential_issuer": base, "credential_endpoint": f"{base}/v1/oid4vci/credential",
            "nonce_endpoint": f"{base}/v1/oid4vci/nonce", "token_endpoint": f"{base}/v1/oid4vci/token",
            "credential_configurations_supported": configurations}


@router.post("/v1/oid4vci/token")
def token(
    db: DbSession,
    grant_type: Annotated[str, Form(max_length=100)],
    pre_authorized_code: Annotated[str, Form(alias="pre-authorized_code", max_length=200)],
    p: Principal = Depends(PUBLIC),
) -> JSONResponse:
    """Token Endpoint: the pre-authorised code, once and within its life, for an access token and a
    c_nonce. A signed-in citizen may redeem only their own code."""
    caller = p.id if p.kind == "citizen" else None
    out = claims.redeem_code(db, grant_type=grant_type, code=pre_authorized_code, caller_citizen_id=caller)
    return JSONResponse(out.as_json(), headers=_NO_STORE)


@router.post("/v1/oid4vci/nonce")
def nonce(_: Principal = Depends(CLAIM_TOKEN)) -> JSONResponse:
    """Nonce Endpoint: a fresh c_nonce (stateless, MAC-ed, NONCE_TTL) for a proof of possession."""
    value, ttl = claims.new_nonce()
    return JSONResponse({"c_nonce": value, "c_nonce_expires_in": ttl}, headers=_NO_STORE)


class CredentialRequest(BaseModel):
    """OpenID4VCI 1.0 Credential Request: `credential_configuration_id` (or `credential_identifier`)
    and `proofs` {"jwt": [one proof]}."""

    credential_configuration_id: str | None = Field(default=None, max_length=60)
    credential_identifier: str | None = Field(default=None, max_length=60)
    proofs: dict[str, list[Annotated[str, Field(max_length=8000)]]]


@router.post("/v1/oid4vci/credential")
def credential(body: CredentialRequest, request: Request, db: DbSession,
               authorization: Annotated[str | None, Header()] = None,
               _: Principal = Depends(CLAIM_TOKEN)) -> JSONResponse:
    """Credential Endpoint: the SD-JWT VC (dc+sd-jwt) bound to the proven holder key, and the QR
    certificates for the same key under `onecity_qr_certificates` (base64url COSE_Sign1)."""
    jwts = body.proofs.get("jwt") or []
    token_value = _access_token(authorization) or ""
    if len(jwts) != 1 or set(body.proofs) != {"jwt"}:
        claims.check_token(db, token_value)  # an unknown token is refused first (401)
        raise claims.ClaimProofInvalid("exactly one proof, of type jwt, is expected")
    issued = claims.issue_to_holder(db, access_token=token_value,
                                    credential_configuration_id=body.credential_configuration_id
                                    or body.credential_identifier,
                                    proof=jwts[0], credential_issuer=credential_issuer(request))
    return JSONResponse(issued.as_json(), headers=_NO_STORE)
