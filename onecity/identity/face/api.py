"""JSON API of face verification: a challenge for an act, then the frames that answer it."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.identity.face import service
from onecity.identity.face.schemas import ChallengeIn, ChallengeOut, VerificationIn, VerificationOut

router = APIRouter(tags=["face"])

VERIFIED_CITIZEN = allow("citizen", verified=True)


@router.post("/v1/face/challenges", status_code=201, response_model=ChallengeOut)
def create_challenge(body: ChallengeIn, db: DbSession,
                     principal: Principal = Depends(VERIFIED_CITIZEN)) -> ChallengeOut:
    """A one-time nonce (valid `expires_at`) and the head movements to follow, for one named act."""
    assert principal.id is not None
    return service.create_challenge(db, citizen_id=principal.id, act=body.act)


@router.post("/v1/face/verifications", status_code=201, response_model=VerificationOut)
def create_verification(body: VerificationIn, db: DbSession,
                        principal: Principal = Depends(VERIFIED_CITIZEN)) -> VerificationOut:
    """Verify the frames captured while following the challenge. A completed attempt is 201 whether it
    passed or failed (`decision`, `reason`); on a pass, `grant_id` authorises the act once."""
    assert principal.id is not None
    return service.verify(db, actor=principal, citizen_id=principal.id, nonce=body.nonce, frames=body.frames)
