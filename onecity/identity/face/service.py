"""Face verification (刷脸核身, "prove you are you") before a sensitive act.

1. `create_challenge` — a one-time nonce for one named act, valid `face_nonce_ttl_seconds`, and a
   random order of head movements: centre, then left and right (or right and left), then centre.
2. `verify` — the frames the person's camera captured while following it. Every frame must hold
   exactly one face (dlib HOG detector); the head yaw read from the 68 landmarks must show the asked
   movements in order (`pose.challenge_followed`); the most frontal frame at the start and at the end
   are each compared with the registry's reference photo (ResNet embeddings, Euclidean distance).
   The score is the larger of the two distances, and the person passes when it is below
   `face_threshold`. The nonce is used up by the attempt, whatever its outcome.
3. On a pass, a grant ("face verified") for that one act, valid `face_grant_ttl_seconds`, which the
   module performing the act consumes with `consume_grant` — once.

Every attempt is kept (who, when, act, score, decision, reason) and audited; frames never are. The
reference photo's embedding is cached encrypted in `face_reference`.

Reasons a verification fails (stable codes): face_not_found, face_multiple,
face_challenge_not_followed, face_no_match, face_nonce_expired, face_nonce_used, face_no_reference.

Glossary: 刷脸 → face verification, 活体检测 → liveness (here: the head-movement challenge),
人口库照片 → reference photo, 授权凭证 → grant.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import timedelta

import numpy as np
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.crypto.fields import blind_index, decrypt, encrypt
from onecity.errors import DomainError, Forbidden, InvalidInput, NotFound
from onecity.identity import ratelimit
from onecity.identity import service as identity
from onecity.identity.face import engine as face_engine
from onecity.identity.face.models import FaceChallenge, FaceGrant, FaceReference, FaceVerification
from onecity.identity.face.pose import challenge_followed, classify
from onecity.identity.face.schemas import ChallengeOut, VerificationOut
from onecity.identity.models import Citizen
from onecity.ids import new_id

log = logging.getLogger("onecity.face")

ENC_REFERENCE_EMBEDDING = "face.reference_embedding"
CHALLENGES_PER_HOUR = 30
IDX_REFERENCE_PHOTO = "face.reference_photo"

NOT_FOUND = "face_not_found"
MULTIPLE = "face_multiple"
NOT_FOLLOWED = "face_challenge_not_followed"
NO_MATCH = "face_no_match"
NONCE_EXPIRED = "face_nonce_expired"
NONCE_USED = "face_nonce_used"
NO_REFERENCE = "face_no_reference"

REASON_TEXT = {
    None: "passed",
    NOT_FOUND: "no face was found in a frame",
    MULTIPLE: "more than one face was in a frame",
    NOT_FOLLOWED: "the head movements did not follow the challenge",
    NO_MATCH: "the face did not match the registry photo",
    NONCE_EXPIRED: "the challenge had expired",
    NONCE_USED: "the challenge had already been used",
    NO_REFERENCE: "the registry holds no usable photo",
}


class FaceNoReference(DomainError):
    code = NO_REFERENCE
    status = 409
    message_zh = "人口库中没有可用于比对的照片，无法刷脸"
    message_en = "The population registry holds no usable photo of you to compare with"


class FaceChallengeNotFound(NotFound):
    code = "face_challenge_not_found"
    message_zh = "刷脸验证码无效"
    message_en = "This face verification challenge does not exist"


class FaceFrameInvalid(InvalidInput):
    code = "face_frame_invalid"
    message_zh = "图像无法识别，请重新拍摄"
    message_en = "An image could not be read; capture it again"


class FaceGrantInvalid(Forbidden):
    """The act needs a fresh face verification: the grant is missing, expired, used or for another act."""

    code = "face_grant_invalid"
    message_zh = "请先完成刷脸验证"
    message_en = "Verify your face first"


# --- challenges -----------------------------------------------------------------------------------

def choose_steps() -> list[str]:
    """Centre, both turns in a random order, centre."""
    turns = ["turn_left", "turn_right"]
    if secrets.randbelow(2):
        turns.reverse()
    return ["center", *turns, "center"]


def _nonce_hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def create_challenge(session: Session, *, citizen_id: str, act: str) -> ChallengeOut:
    """A one-time challenge for `act`, at most CHALLENGES_PER_HOUR per citizen (each allows one try
    at the face check, so this bounds tries with photos or masks). Refused (`face_no_reference`)
    when there is nothing to compare the face with; computing the reference embedding here also
    warms the models for `verify`."""
    citizen = identity.get_citizen(session, citizen_id)
    ratelimit.hit(session, f"face:challenge:{citizen.public_id}", limit=CHALLENGES_PER_HOUR,
                  window=timedelta(hours=1))
    if reference_embedding(session, citizen) is None:
        raise FaceNoReference()
    now = clock.now()
    nonce = secrets.token_urlsafe(32)
    challenge = FaceChallenge(
        public_id=new_id("fch"),
        nonce_sha256=_nonce_hash(nonce),
        citizen_id=citizen.id,
        act=act,
        steps=choose_steps(),
        created_at=now,
        expires_at=now + timedelta(seconds=get_settings().face_nonce_ttl_seconds),
    )
    session.add(challenge)
    session.flush()
    return ChallengeOut(challenge_id=challenge.public_id, nonce=nonce, act=act, steps=list(challenge.steps),
                        expires_at=challenge.expires_at)


# --- the reference photo ----------------------------------------------------------------------------

def _single_face_embedding(image: np.ndarray) -> np.ndarray | None:
    eng = face_engine.engine()
    faces = eng.faces(image)
    return eng.embedding(image, faces[0]) if len(faces) == 1 else None


def reference_embedding(session: Session, citizen: Citizen) -> np.ndarray | None:
    """The embedding of the citizen's registry photo (cached encrypted), or None when the registry has
    no photo or the photo does not show exactly one face."""
    photo = identity.reference_photo(session, citizen.public_id)
    cached = session.scalar(select(FaceReference).where(FaceReference.citizen_id == citizen.id))
    if photo is None:
        if cached is not None:
            session.delete(cached)
        return None
    photo_index = blind_index(hashlib.sha256(photo).hexdigest(), purpose=IDX_REFERENCE_PHOTO)
    if cached is not None and cached.photo_index == photo_index:
        return face_engine.embedding_from_bytes(decrypt(cached.embedding_enc, purpose=ENC_REFERENCE_EMBEDDING))
    try:
        vec = _single_face_embedding(face_engine.decode_image(photo))
    except face_engine.BadImage:
        log.warning("registry photo cannot be decoded", extra={"citizen_id": citizen.public_id})
        vec = None
    if vec is None:
        if cached is not None:
            session.delete(cached)
        return None
    blob = encrypt(face_engine.embedding_to_bytes(vec), purpose=ENC_REFERENCE_EMBEDDING)
    if cached is None:
        session.add(FaceReference(citizen_id=citizen.id, photo_index=photo_index, embedding_enc=blob,
                                  computed_at=clock.now()))
    else:
        cached.photo_index, cached.embedding_enc, cached.computed_at = photo_index, blob, clock.now()
    session.flush()
    return vec


# --- frames ---------------------------------------------------------------------------------------

@dataclass(frozen=True)
class FrameAnalysis:
    """What the frames show: a failure reason, else each frame's yaw and the embeddings of the most
    frontal frame at the start and at the end."""

    reason: str | None
    yaws: tuple[float, ...] = ()
    start_embedding: np.ndarray | None = None
    end_embedding: np.ndarray | None = None


def decode_frame(text: str) -> bytes:
    """Base64 (optionally a `data:image/…;base64,` URL) → bytes."""
    if text.startswith("data:"):
        _, sep, text = text.partition(",")
        if not sep:
            raise FaceFrameInvalid(detail="malformed data: URL")
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FaceFrameInvalid(detail="a frame is not valid base64") from exc


def _most_frontal(indices: list[int], yaws: list[float]) -> int:
    return min(indices, key=lambda i: abs(yaws[i]))


def analyse_frames(frames: list[bytes]) -> FrameAnalysis:
    """Decode every frame (raising FaceFrameInvalid for one that is not an image within the limits),
    find the faces, read the yaw; embed the most frontal frame of the first and of the last run of
    frontal frames."""
    images = []
    for i, data in enumerate(frames):
        try:
            images.append(face_engine.decode_image(data))
        except face_engine.BadImage as exc:
            raise FaceFrameInvalid(detail=f"frame {i}: {exc}") from exc
    eng = face_engine.engine()
    found = [eng.faces(img) for img in images]
    if any(len(f) > 1 for f in found):
        return FrameAnalysis(reason=MULTIPLE)
    if any(len(f) == 0 for f in found):
        return FrameAnalysis(reason=NOT_FOUND)
    faces = [f[0] for f in found]
    try:
        yaws = [f.yaw for f in faces]
    except ValueError:  # landmarks folded onto themselves: not a usable face
        return FrameAnalysis(reason=NOT_FOUND)
    frontal = [i for i, y in enumerate(yaws) if classify(y) == "center"]
    if not frontal:
        return FrameAnalysis(reason=NOT_FOLLOWED, yaws=tuple(yaws))
    # The first and the last run of consecutive frontal frames.
    first_run = [frontal[0]]
    for i in frontal[1:]:
        if i != first_run[-1] + 1:
            break
        first_run.append(i)
    last_run = [frontal[-1]]
    for i in reversed(frontal[:-1]):
        if i != last_run[-1] - 1:
            break
        last_run.append(i)
    start = _most_frontal(first_run, yaws)
    end = _most_frontal(last_run, yaws)
    start_vec = eng.embedding(images[start], faces[start])
    end_vec = start_vec if end == start else eng.embedding(images[end], faces[end])
    return FrameAnalysis(reason=None, yaws=tuple(yaws), start_embedding=start_vec, end_embedding=end_vec)


# --- verification -----------------------------------------------------------------------------------

def verify(session: Session, *, actor: Principal | str, citizen_id: str, nonce: str,
           frames: list[str]) -> VerificationOut:
    """Check the frames against the challenge of `nonce` and the citizen's reference photo.

    The frames are analysed before the database is touched (the analysis takes a few hundred ms and
    SQLite would hold its write lock meanwhile); an undecodable frame raises and changes nothing.
    Every other outcome, pass or fail, is a recorded, audited attempt that uses up the nonce.
    """
    started = time.perf_counter()
    raw = [decode_frame(f) for f in frames]
    analysis = analyse_frames(raw)
    citizen = identity.get_citizen(session, citizen_id)
    challenge = session.scalar(select(FaceChallenge).where(FaceChallenge.nonce_sha256 == _nonce_hash(nonce)))
    if challenge is None or challenge.citizen_id != citizen.id:
        raise FaceChallengeNotFound()
    now = clock.now()
    threshold = get_settings().face_threshold
    score: float | None = None
    # Claim the nonce atomically: of two concurrent attempts, one sees it used.
    claimed = session.execute(
        update(FaceChallenge)
        .where(FaceChallenge.id == challenge.id, FaceChallenge.used_at.is_(None))
        .values(used_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount == 1  # type: ignore[attr-defined]
    reason: str | None
    if not claimed:
        reason = NONCE_USED
    elif now >= challenge.expires_at:
        reason = NONCE_EXPIRED
    else:
        reference = reference_embedding(session, citizen)
        if reference is None:
            reason = NO_REFERENCE
        elif analysis.reason is not None:
            reason = analysis.reason
        else:
            assert analysis.start_embedding is not None and analysis.end_embedding is not None
            score = round(max(face_engine.distance(reference, analysis.start_embedding),
                              face_engine.distance(reference, analysis.end_embedding)), 4)
            if not challenge_followed(analysis.yaws, challenge.steps):
                reason = NOT_FOLLOWED
            elif score >= threshold:
                reason = NO_MATCH
            else:
                reason = None
    decision = "pass" if reason is None else "fail"
    duration_ms = round((time.perf_counter() - started) * 1000)
    attempt = FaceVerification(
        public_id=new_id("fvr"), citizen_id=citizen.id, challenge_id=challenge.id, act=challenge.act,
        created_at=now, frame_count=len(frames), score=score, threshold=threshold, decision=decision,
        reason=reason, duration_ms=duration_ms,
    )
    session.add(attempt)
    session.flush()
    grant: FaceGrant | None = None
    if decision == "pass":
        grant = FaceGrant(
            public_id=new_id("fgr"), citizen_id=citizen.id, verification_id=attempt.id, act=challenge.act,
            created_at=now, expires_at=now + timedelta(seconds=get_settings().face_grant_ttl_seconds),
        )
        session.add(grant)
        session.flush()
    audit.record(
        session,
        actor=actor,
        action="face.verify",
        subject_citizen_id=citizen.public_id,
        resource=f"face_verification/{attempt.public_id}",
        reason=f"Face verification for {challenge.act}: {decision}"
        + (f" ({reason}: {REASON_TEXT[reason]})" if reason else "")
        + (f", distance {score:.3f} (threshold {threshold})" if score is not None else ""),
    )
    log.info("face verification", extra={"citizen_id": citizen.public_id, "act": challenge.act,
                                         "decision": decision, "reason": reason, "score": score,
                                         "frames": len(frames), "duration_ms": duration_ms})
    return VerificationOut(
        verification_id=attempt.public_id, act=challenge.act, score=score, threshold=threshold,
        decision=decision, reason=reason,  # type: ignore[arg-type]
        grant_id=grant.public_id if grant else None, grant_expires_at=grant.expires_at if grant else None,
        duration_ms=duration_ms,
    )


# --- grants ---------------------------------------------------------------------------------------

def consume_grant(session: Session, *, citizen_id: str, act: str, grant_id: str) -> None:
    """Use up the citizen's face-verified grant for `act`; raise FaceGrantInvalid when it does not
    exist, belongs to someone else, is for another act, has expired or was already used.

    Call it in the same transaction as the act it protects, so a failed act leaves the grant unused.
    """
    citizen = identity.get_citizen(session, citizen_id)
    grant = session.scalar(select(FaceGrant).where(FaceGrant.public_id == grant_id))
    if grant is None or grant.citizen_id != citizen.id:
        raise FaceGrantInvalid(detail="no such face verification grant", why="missing")
    if grant.act != act:
        raise FaceGrantInvalid(detail=f"the grant is for another act ({grant.act})", why="other_act")
    now = clock.now()
    if now >= grant.expires_at:
        raise FaceGrantInvalid(detail="the grant has expired", why="expired")
    used = session.execute(
        update(FaceGrant)
        .where(FaceGrant.id == grant.id, FaceGrant.consumed_at.is_(None))
        .values(consumed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if used != 1:
        raise FaceGrantInvalid(detail="the grant was already used", why="used")
    session.expire(grant)


def list_verifications(session: Session, *, citizen_id: str, limit: int = 20) -> list[FaceVerification]:
    """The citizen's latest attempts, newest first."""
    citizen = identity.get_citizen(session, citizen_id)
    return list(session.scalars(
        select(FaceVerification).where(FaceVerification.citizen_id == citizen.id)
        .order_by(FaceVerification.id.desc()).limit(limit)
    ))
