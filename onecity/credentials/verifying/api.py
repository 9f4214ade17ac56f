"""POST /v1/verifications {text}: the verdict for a certificate presentation (QR text).

Public: anyone may verify (a hotel, a counter, a police officer's app). It reads nothing personal beyond
what the presentation itself discloses, and discloses claims only when the verdict is valid.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from onecity.authz import PUBLIC, Principal
from onecity.credentials.verifier import verdict_json
from onecity.credentials.verifying.online import MAX_TEXT, verify_text
from onecity.deps import DbSession

router = APIRouter(prefix="/v1/verifications", tags=["credentials"])


class VerificationIn(BaseModel):
    text: str = Field(default="", max_length=MAX_TEXT, description="The presentation's QR text (OC1:…).")


@router.post("", summary="Verify a certificate presentation (public)")
def verify(body: VerificationIn, db: DbSession, principal: Principal = Depends(PUBLIC)) -> dict[str, Any]:
    """Always 200 with a verdict: `ok`, `reason` (one of presentation.REASONS), `message` in zh-CN and
    en, the issuer, type and only the disclosed `claims` (labelled)."""
    return verdict_json(verify_text(db, body.text))
