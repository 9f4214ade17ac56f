"""Credentials' JSON routes.

Issuers (`/v1/issuer/…`): an agency's staff (bearer token, their roles) or its signed requests (its
API key's scopes) issue, suspend, reinstate, revoke and re-issue certificates; the issuer is always the caller's
organisation (`orgs.ROLES_BY_KIND["agency"]`). Public: an issuer's status list
(`/v1/status-lists/{issuer_id}`: JWT, or CWT with `Accept: application/statuslist+cwt`, cacheable for
its ttl; an SM2 issuer's is always CWT) and this platform's trust list (`/v1/trust-list`, with the other
regions' lists it recognises). CSV imports (`/v1/issuer/credential-imports`). An organisation reads a
citizen's certificate under the citizen's consent (`/v1/credentials/read`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Header, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from onecity.authz import PUBLIC, Principal, allow
from onecity.config import get_settings
from onecity.credentials import service, status_list
from onecity.credentials.schemas import (
    CredentialIssue,
    CredentialOut,
    CredentialRead,
    CredentialReissue,
    ImportOut,
    StatusChange,
)
from onecity.deps import DbSession

router = APIRouter(tags=["credentials"])

ISSUE = allow("staff", "org", roles={"owner", "admin", "operator"})
READ = allow("staff", "org", roles={"owner", "admin", "operator", "reviewer", "developer"})
_TTL_S = int(service.STATUS_TTL.total_seconds())


def _issuer(db: DbSession, p: Principal) -> str:
    """The issuer the caller's organisation is registered as (404 when it is none)."""
    assert p.org_id is not None
    issuer = service.issuer_of_org(db, p.org_id)
    if issuer is None:
        raise service.IssuerNotFound()
    return issuer.issuer_id


@router.post("/v1/issuer/credentials", status_code=201, response_model=CredentialOut)
def issue(body: CredentialIssue, response: Response, db: DbSession, p: Principal = Depends(ISSUE)) -> CredentialOut:
    """Issue a certificate (claims by field name, checked against the type)."""
    out = service.issue_credential(db, issuer_id=_issuer(db, p), type_id=body.type_id, claims=body.claims,
                                   citizen_id=body.citizen_id, actor=p,
                                   holder_id_number=body.holder_id_number)
    response.headers["Location"] = f"/v1/issuer/credentials/{out.credential_id}"
    return out


@router.get("/v1/issuer/credentials", response_model=list[CredentialOut])
def list_issued(db: DbSession, p: Principal = Depends(READ),
                status: Annotated[str | None, Query(pattern="^(valid|suspended|revoked)$")] = None,
                before: Annotated[str | None, Query(max_length=40)] = None,
                limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[CredentialOut]:
    """The issuer's certificates, newest first (without claims)."""
    return service.list_issued(db, issuer_id=_issuer(db, p), status=status, before=before, limit=limit)


@router.get("/v1/issuer/credentials/{credential_id}", response_model=CredentialOut)
def get_issued(credential_id: str, db: DbSession, p: Principal = Depends(READ)) -> CredentialOut:
    return service.get_credential(db, credential_id=credential_id, issuer_id=_issuer(db, p))


@router.post("/v1/issuer/credentials/{credential_id}/suspend", response_model=CredentialOut)
def suspend(credential_id: str, db: DbSession, p: Principal = Depends(ISSUE),
            body: StatusChange | None = None) -> CredentialOut:
    """Suspend (暂停) a valid certificate; `reason` is recorded and shown to the holder."""
    return service.suspend_credential(db, issuer_id=_issuer(db, p), credential_id=credential_id, actor=p,
                                      reason=body.reason if body else None)


@router.post("/v1/issuer/credentials/{credential_id}/reinstate", response_model=CredentialOut)
def reinstate(credential_id: str, db: DbSession, p: Principal = Depends(ISSUE),
              body: StatusChange | None = None) -> CredentialOut:
    return service.reinstate_credential(db, issuer_id=_issuer(db, p), credential_id=credential_id, actor=p,
                                        reason=body.reason if body else None)


@router.post("/v1/issuer/credentials/{credential_id}/revoke", response_model=CredentialOut)
def revoke(credential_id: str, db: DbSession, p: Principal = Depends(ISSUE),
           body: StatusChange | None = None) -> CredentialOut:
    """Revoke (吊销) a certificate for good; `reason` is recorded and shown to the holder."""
    return service.revoke_credential(db, issuer_id=_issuer(db, p), credential_id=credential_id, actor=p,
                                     reason=body.reason if body else None)


@router.post("/v1/issuer/credentials/{credential_id}/reissue", status_code=201, response_model=CredentialOut)
def reissue(credential_id: str, body: CredentialReissue, response: Response, db: DbSession,
            p: Principal = Depends(ISSUE)) -> CredentialOut:
    """Revoke the certificate and issue its replacement (same claims, or the new ones given)."""
    out = service.reissue_credential(db, issuer_id=_issuer(db, p), credential_id=credential_id, claims=body.claims,
                                     actor=p, reason=body.reason)
    response.headers["Location"] = f"/v1/issuer/credentials/{out.credential_id}"
    return out


@router.get("/v1/status-lists/{issuer_id}")
def get_status_list(issuer_id: str, db: DbSession, accept: Annotated[str, Header()] = "",
                    _: Principal = Depends(PUBLIC)) -> Response:
    """The issuer's Status List Token: JWT (`application/statuslist+jwt`), or CWT when asked for."""
    headers = {"Cache-Control": f"public, max-age={_TTL_S}"}
    issuer = service.get_issuer(db, issuer_id)  # 404 for an unknown issuer
    if status_list.CWT_TYP in accept or issuer.alg not in service.jose_algs():  # SM2: the CWT form only
        cwt = service.publish_status_list(db, issuer_id=issuer_id, form="cwt")
        return Response(cwt, media_type=status_list.CWT_TYP, headers=headers)
    jwt = service.publish_status_list(db, issuer_id=issuer_id)
    return Response(jwt, media_type="application/statuslist+jwt", headers=headers)


@router.get("/v1/trust-list")
def get_trust_list(db: DbSession, _: Principal = Depends(PUBLIC)) -> Response:
    """This platform's trust list for its own region (JWS compact, signed by the platform key)."""
    text = service.build_trust_list(db, scope=get_settings().city_code, recognised=service.recognised_lists(db))
    return Response(text, media_type="application/jwt", headers={"Cache-Control": "public, max-age=3600"})


# --- CSV imports (批量签发) -------------------------------------------------------------------------

class ImportIn(BaseModel):
    """POST /v1/issuer/credential-imports: the CSV file's text (see `service.imports` for its columns)."""

    model_config = ConfigDict(extra="forbid")
    filename: str = Field(default="import.csv", max_length=200)
    csv: str = Field(min_length=1, max_length=4 * 1024 * 1024)


@router.post("/v1/issuer/credential-imports", status_code=201, response_model=ImportOut)
def import_credentials(body: ImportIn, response: Response, db: DbSession,
                       p: Principal = Depends(ISSUE)) -> ImportOut:
    """Issue every valid row of a CSV file and report the rejected ones with their line numbers and
    reasons. The same file again returns the first report (`replayed`, 200) and issues nothing."""
    out = service.import_csv(db, issuer_id=_issuer(db, p), data=body.csv.encode("utf-8"), filename=body.filename,
                             actor=p)
    if out.replayed:
        response.status_code = 200
    response.headers["Location"] = f"/v1/issuer/credential-imports/{out.import_id}"
    return out


@router.get("/v1/issuer/credential-imports/{import_id}", response_model=ImportOut)
def get_import(import_id: str, db: DbSession, p: Principal = Depends(READ)) -> ImportOut:
    return service.get_import(db, issuer_id=_issuer(db, p), import_id=import_id)


# --- reading a citizen's certificate under consent (授权读取) ----------------------------------------

READER = allow("staff", "org", roles={"owner", "admin", "operator", "reviewer"})


@router.get("/v1/credentials/read", response_model=CredentialRead)
def read_certificate(citizen_id: Annotated[str, Query(min_length=1, max_length=40)],
                     type_id: Annotated[str, Query(min_length=1, max_length=40)],
                     purpose: Annotated[str, Query(min_length=1, max_length=64)],
                     db: DbSession, p: Principal = Depends(READER)) -> CredentialRead:
    """The citizen's current valid certificate of `type_id`, for the caller's organisation and
    `purpose` (e.g. pre-filling a service form). 403 `credential_consent_required` without the
    citizen's consent; every read is recorded in the citizen's access history."""
    assert p.org_id is not None
    return service.read_certificate(db, org_id=p.org_id, citizen_id=citizen_id, type_id=type_id, purpose=purpose,
                                    actor=p)
