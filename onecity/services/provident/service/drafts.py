"""Withdrawal drafts (申请草稿): the form the rules accepted, kept server-side while the citizen does
the face check, so the face page's return URL carries only the draft's opaque id — never the property
certificate number or other personal data. Encrypted at rest, the citizen's own, short-lived, and
removed once the withdrawal is requested."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.crypto.fields import decrypt_str, encrypt
from onecity.ids import new_id
from onecity.services.provident.errors import DraftNotFound
from onecity.services.provident.models import HpfDraft
from onecity.services.provident.schemas import WithdrawalDraft

DRAFT_TTL = timedelta(minutes=30)


def _purpose(public_id: str) -> str:
    return f"services.provident.draft:{public_id}"


def save_draft(session: Session, *, citizen_id: str, draft: WithdrawalDraft) -> str:
    """Keep the form for the face check; returns the draft id (hpd_…). The citizen's expired drafts go."""
    now = clock.now()
    session.execute(delete(HpfDraft).where(HpfDraft.citizen_id == citizen_id, HpfDraft.expires_at < now)
                    .execution_options(synchronize_session=False))
    public_id = new_id("hpd")
    session.add(HpfDraft(public_id=public_id, citizen_id=citizen_id, created_at=now, expires_at=now + DRAFT_TTL,
                         data_enc=encrypt(draft.model_dump_json(), purpose=_purpose(public_id))))
    session.flush()
    return public_id


def _row(session: Session, draft_id: str, citizen_id: str) -> HpfDraft:
    row = session.scalars(select(HpfDraft).where(HpfDraft.public_id == draft_id[:40])).one_or_none()
    if row is None or row.citizen_id != citizen_id or clock.aware(row.expires_at) <= clock.now():
        raise DraftNotFound()
    return row


def get_draft(session: Session, *, draft_id: str, citizen_id: str) -> WithdrawalDraft:
    """The citizen's live draft (DraftNotFound if it is not theirs, expired or used)."""
    row = _row(session, draft_id, citizen_id)
    return WithdrawalDraft.model_validate_json(decrypt_str(row.data_enc, purpose=_purpose(row.public_id)))


def discard_draft(session: Session, *, draft_id: str, citizen_id: str) -> None:
    """Remove the draft once its withdrawal was requested (DraftNotFound as for `get_draft`)."""
    session.delete(_row(session, draft_id, citizen_id))
    session.flush()
