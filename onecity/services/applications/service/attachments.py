"""Attachments (附件): files a citizen uploads for a material slot.

The type is sniffed from the bytes (`filetype`, magic numbers), never taken from the client; only
PDF, JPEG and PNG are accepted at all, at most `MAX_BYTES`; a material may narrow both (`accept`,
`max_bytes`), checked when the file is put in its slot at submit. The bytes are stored encrypted
(AES-GCM, bound to the attachment's id) with the SHA-256 of the plaintext. Only the owner and the
staff of the agency handling the application it belongs to may read it back; a staff read is
recorded in the citizen's access history (audit).
"""

from __future__ import annotations

import hashlib

import filetype  # type: ignore[import-untyped]
from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.crypto import fields
from onecity.ids import new_id
from onecity.services.applications.errors import AttachmentInvalid, AttachmentNotFound
from onecity.services.applications.models import Application, Attachment
from onecity.services.applications.schemas import AttachmentOut
from onecity.services.catalogue.schemas import Material

MAX_BYTES = 10 * 1024 * 1024
ALLOWED = frozenset({"application/pdf", "image/jpeg", "image/png"})


def _purpose(public_id: str) -> str:
    return f"services.attachment:{public_id}"


def sniff(data: bytes) -> str | None:
    kind = filetype.guess(data)
    return None if kind is None else str(kind.mime)


def out(a: Attachment) -> AttachmentOut:
    return AttachmentOut(id=a.public_id, filename=a.filename, content_type=a.content_type, size=a.size,
                         sha256=a.sha256, slot=a.slot, application_id=a.application_id, created_at=a.created_at)


def store_attachment(session: Session, *, citizen_id: str, filename: str, data: bytes) -> AttachmentOut:
    """Keep an uploaded file for the citizen (AttachmentInvalid: empty, too big, or not PDF/JPEG/PNG)."""
    if not data:
        raise AttachmentInvalid(detail="empty file", reason="empty")
    if len(data) > MAX_BYTES:
        raise AttachmentInvalid(detail=f"larger than {MAX_BYTES} bytes", reason="too_large", max_bytes=MAX_BYTES)
    mime = sniff(data)
    if mime not in ALLOWED:
        raise AttachmentInvalid(detail=f"type {mime or 'unknown'} is not accepted", reason="type",
                                accepted=sorted(ALLOWED))
    name = "".join(ch for ch in (filename or "file").replace("/", "_").replace("\\", "_") if ch.isprintable())
    public_id = new_id("att")
    row = Attachment(public_id=public_id, citizen_id=citizen_id, filename=name[-200:] or "file",
                     content_type=mime, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
                     data_enc=fields.encrypt(data, purpose=_purpose(public_id)), created_at=clock.now())
    session.add(row)
    session.flush()
    return out(row)


def check_slot(a: Attachment, material: Material) -> str | None:
    """Why this file may not fill this slot, or None."""
    if material.kind != "upload":
        return "not an upload slot"
    if material.accept and a.content_type not in material.accept:
        return f"type {a.content_type} not in {material.accept}"
    if material.max_bytes is not None and a.size > material.max_bytes:
        return f"{a.size} bytes > {material.max_bytes}"
    return None


def rows_for(session: Session, ids: list[str]) -> dict[str, Attachment]:
    if not ids:
        return {}
    return {a.public_id: a for a in session.scalars(select(Attachment).where(Attachment.public_id.in_(ids)))}


def read_attachment(session: Session, *, attachment_id: str, principal: Principal) -> tuple[AttachmentOut, bytes]:
    """The file and its bytes, for its owner or the handling agency's staff (AttachmentNotFound otherwise)."""
    a = session.scalars(select(Attachment).where(Attachment.public_id == attachment_id)).one_or_none()
    if a is None:
        raise AttachmentNotFound()
    allowed = principal.kind == "citizen" and principal.id == a.citizen_id
    if not allowed and principal.kind in ("staff", "org") and a.application_id is not None:
        app = session.scalars(select(Application).where(Application.public_id == a.application_id)).one_or_none()
        allowed = app is not None and app.agency_org_id == principal.org_id
    if not allowed:
        raise AttachmentNotFound()
    if principal.kind != "citizen":  # staff opening the citizen's file: in their access history
        audit.record(session, actor=principal, action="services.attachment.read", subject_citizen_id=a.citizen_id,
                     resource=f"services/attachments/{a.public_id}",
                     reason=f"审核办件 {a.application_id} 查看附件 read an attachment to review the application")
    return out(a), fields.decrypt(a.data_enc, purpose=_purpose(a.public_id))
