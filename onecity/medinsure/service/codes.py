"""The insurance code (医保码): activation after face verification, the dynamic signed code, and its
one-time use at an institution's scanner.

The code text is `MI1.<payload>.<signature>`: the payload (base64url of compact JSON) names the code
(`c`, a fresh id), the insured reference (`i`, `ins_…` — never the citizen id), the masked name (`n`)
and scheme (`s`) for the counter, the counter-consent flag (`k`), and when it was issued and expires
(`t`, `e`, Unix seconds); the signature is Ed25519 by the medinsure key (`signing_key`), so anyone can
check a code with the published public key. Nothing else about the person is in it.

Rules kept here:
- A code is shown only after activation with a face-verified grant (act `medinsure.activate_code`), by
  the insured person or by a relative holding the `pay_medical` scope over them (a guardian shows a
  child's code, a grown child an elderly parent's).
- The app asks for a new code every REFRESH (60 s); each code expires TTL (90 s) after issue.
- Scanning uses a code up: one UPDATE sets `used_at` only while it is unset, so of two scans of one code
  (a screenshot, a replay, a race) exactly one succeeds. An expired, unknown or altered code is refused.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.identity.face import service as face
from onecity.identity.family import service as family
from onecity.ids import new_id
from onecity.medinsure.errors import (
    CodeExpired,
    CodeInvalid,
    CodeNotActivated,
    CodeUsed,
    NotAllowedForRelative,
)
from onecity.medinsure.models import MedCode, MedInsured
from onecity.medinsure.schemas import CodeClaims, CodeOut
from onecity.medinsure.service import signing_key
from onecity.medinsure.service.insured import insured_row
from onecity.web import qr

PREFIX = "MI1"
TTL = timedelta(seconds=90)
REFRESH = timedelta(seconds=60)
ACTIVATE_ACT = "medinsure.activate_code"
PAY_MEDICAL = "pay_medical"


def _subject(session: Session, citizen_id: str, subject_citizen_id: str | None) -> MedInsured:
    """The insured person the caller acts for: themselves, or a relative over whom they hold pay_medical."""
    if subject_citizen_id is None or subject_citizen_id == citizen_id:
        return insured_row(session, citizen_id)
    if not may_act_for(session, citizen_id=citizen_id, subject_citizen_id=subject_citizen_id):
        raise NotAllowedForRelative()
    return insured_row(session, subject_citizen_id)


def may_act_for(session: Session, *, citizen_id: str, subject_citizen_id: str) -> bool:
    """Whether `citizen_id` may use the insurance of `subject_citizen_id` (self, or pay_medical)."""
    return citizen_id == subject_citizen_id or family.has_scope(
        session, actor_citizen_id=citizen_id, subject_citizen_id=subject_citizen_id, scope=PAY_MEDICAL)


def activate_code(session: Session, *, citizen_id: str, face_grant_id: str,
                  subject_citizen_id: str | None = None) -> bool:
    """Activate the insurance code of the caller (or of a relative they hold pay_medical over) with the
    caller's face-verified grant. Activating again is harmless (the grant is still used up)."""
    row = _subject(session, citizen_id, subject_citizen_id)
    face.consume_grant(session, citizen_id=citizen_id, act=ACTIVATE_ACT, grant_id=face_grant_id)
    if row.code_activated_at is None:
        row.code_activated_at = clock.now()
        row.updated_at = row.code_activated_at
        outbox.emit(session, "medinsure.code.activated", {"insured_id": row.insured_id, "citizen_id": row.citizen_id,
                                                          "activated_by": citizen_id})
    audit.record(session, actor=citizen_id, action="medinsure.code.activate", subject_citizen_id=row.citizen_id,
                 resource=f"medinsure/insured/{row.insured_id}/code",
                 reason="刷脸激活医保码 (activated the insurance code after face verification)",
                 on_behalf_of=row.citizen_id if row.citizen_id != citizen_id else None)
    session.flush()
    return True


def _encode(payload: dict[str, Any]) -> str:
    body = signing_key.b64url(json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode())
    message = f"{PREFIX}.{body}"
    return f"{message}.{signing_key.sign(message.encode())}"


def current_code(session: Session, *, citizen_id: str, subject_citizen_id: str | None = None,
                 counter_consent: bool = False, with_svg: bool = False) -> CodeOut:
    """A fresh code for the insured person (see the module doc); recorded so that its scan is one-time."""
    row = _subject(session, citizen_id, subject_citizen_id)
    if row.code_activated_at is None:
        raise CodeNotActivated()
    if row.status != "active":
        raise CodeNotActivated(detail="the insurance is suspended")
    now = clock.now().replace(microsecond=0)
    expires = now + TTL
    code_id = new_id("mc")
    session.add(MedCode(code_id=code_id, insured_row_id=row.id, shown_by=citizen_id, counter_consent=counter_consent,
                        issued_at=now, expires_at=expires, used_at=None, used_by_org=None))
    session.flush()
    text = _encode({"c": code_id, "i": row.insured_id, "n": row.name_masked, "s": row.scheme,
                    "k": 1 if counter_consent else 0, "t": int(now.timestamp()), "e": int(expires.timestamp())})
    return CodeOut(text=text, expires_at=expires, refresh_seconds=int(REFRESH.total_seconds()),
                   insured_id=row.insured_id, name_masked=row.name_masked, scheme=row.scheme,  # type: ignore[arg-type]
                   counter_consent=counter_consent, svg=code_svg(text) if with_svg else None)


def verify_code(text: str) -> CodeClaims:
    """Check a code's form and signature (no database, no expiry): what it says, or CodeInvalid."""
    if not isinstance(text, str) or len(text) > 2000:
        raise CodeInvalid()
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise CodeInvalid(detail="not an insurance code")
    if not signing_key.verify(f"{parts[0]}.{parts[1]}".encode(), parts[2]):
        raise CodeInvalid(detail="the signature does not match")
    try:
        p = json.loads(signing_key.b64url_decode(parts[1]))
        return CodeClaims(code_id=str(p["c"]), insured_id=str(p["i"]), name_masked=p.get("n"), scheme=p["s"],
                          counter_consent=bool(p["k"]), issued_at=datetime.fromtimestamp(int(p["t"]), UTC),
                          expires_at=datetime.fromtimestamp(int(p["e"]), UTC))
    except (ValueError, KeyError, TypeError) as exc:
        raise CodeInvalid(detail="the payload is malformed") from exc


def consume_code(session: Session, *, text: str, institution_org_id: str) -> tuple[CodeClaims, MedCode]:
    """Use up a scanned code for an institution: CodeInvalid (forged, unknown), CodeExpired, CodeUsed."""
    claims = verify_code(text)
    now = clock.now()
    if now >= claims.expires_at:
        raise CodeExpired()
    code = session.scalars(select(MedCode).where(MedCode.code_id == claims.code_id)).one_or_none()
    if code is None:
        raise CodeInvalid(detail="no such code")
    used = session.execute(
        update(MedCode).where(MedCode.id == code.id, MedCode.used_at.is_(None))
        .values(used_at=now, used_by_org=institution_org_id).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if used != 1:
        raise CodeUsed()
    session.expire(code)
    return claims, code


def purge_codes(session: Session, *, older_than: timedelta = timedelta(days=1), limit: int = 5000) -> int:
    """Delete codes that expired more than `older_than` ago (their visits keep the code id)."""
    cutoff = clock.now() - older_than
    ids = list(session.scalars(select(MedCode.id).where(MedCode.expires_at < cutoff).limit(limit)))
    if ids:
        session.execute(delete(MedCode).where(MedCode.id.in_(ids)))
    return len(ids)


def code_svg(text: str, *, scale: int = 4) -> str:
    """The code as an SVG QR."""
    return qr.svg(text, scale=scale)


def code_png(text: str, *, scale: int = 6) -> bytes:
    """The code as a PNG QR."""
    return qr.png(text, scale=scale)
