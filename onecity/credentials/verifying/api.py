"""POST /v1/verifications {text}: the verdict for a certificate presentation — the QR text (OC1:…) or
an SD-JWT VC presentation with its key-binding JWT (then `audience` and `nonce` are what the verifier
asked the holder for, checked against the KB-JWT's `aud` and `nonce`).

Public: anyone may verify (a hotel, a counter, a police officer's app). It reads nothing personal beyond
what the presentation itself discloses, and discloses claims only when the verdict is valid. A verifier
that authenticates (an organisation's signed request or its staff's token) is named in the holder's
access history; otherwise it appears there as an anonymous verifier. `purpose` says why it verified.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from onecity.authz import PUBLIC, Principal
from onecity.credentials.verifier import verdict_json
from onecity.credentials.verifying.online import MAX_TEXT, verify_online
from onecity.deps import DbSession

router = APIRouter(prefix="/v1/verifications", tags=["credentials"])


class VerificationIn(BaseModel):
    text: str = Field(default="", max_length=MAX_TEXT,
                      description="The presentation: QR text (OC1:…) or an SD-JWT VC presentation (…~KB-JWT).")
    audience: str | None = Field(default=None, max_length=500,
                                 description="SD-JWT: the audience the KB-JWT must name (the verifier's id).")
    nonce: str | None = Field(default=None, max_length=200, description="SD-JWT: the nonce the KB-JWT must carry.")
    purpose: str | None = Field(default=None, max_length=64, description="Why the verifier checks (e.g. hotel_checkin).")


def verifier_org(principal: Principal) -> str | None:
    """The organisation verifying, when it authenticated (its signed request or its staff's session)."""
    return principal.org_id if principal.kind in ("org", "staff", "admin") else None


@router.post("", summary="Verify a certificate presentation (public)")
def verify(body: VerificationIn, db: DbSession, principal: Principal = Depends(PUBLIC)) -> dict[str, Any]:
    """Always 200 with a verdict: `ok`, `reason` (one of presentation.REASONS), `message` in zh-CN and
    en, the issuer, type and only the disclosed `claims` (labelled)."""
    return verdict_json(verify_online(db, body.text, org_id=verifier_org(principal), purpose=body.purpose,
                                      audience=body.audience, nonce=body.nonce))
