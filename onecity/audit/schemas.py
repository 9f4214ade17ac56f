"""Audit entries as the API shows them."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from onecity.audit.models import AuditEntry


class AccessLogEntry(BaseModel):
    """One access to a citizen's data, as the citizen sees it."""

    id: str
    at: datetime
    actor_kind: str
    actor_id: str | None
    actor_org_id: str | None
    on_behalf_of: str | None
    action: str
    resource: str
    reason: str

    @classmethod
    def of(cls, e: AuditEntry) -> AccessLogEntry:
        return cls(id=e.public_id, at=e.created_at, actor_kind=e.actor_kind, actor_id=e.actor_id,
                   actor_org_id=e.actor_org_id, on_behalf_of=e.on_behalf_of, action=e.action,
                   resource=e.resource, reason=e.reason)


class AuditEntryOut(AccessLogEntry):
    """The full entry, for administrators."""

    seq: int
    subject_citizen_id: str | None
    request_id: str | None
    prev_hash: str
    entry_hash: str

    @classmethod
    def of(cls, e: AuditEntry) -> AuditEntryOut:
        return cls(id=e.public_id, at=e.created_at, actor_kind=e.actor_kind, actor_id=e.actor_id,
                   actor_org_id=e.actor_org_id, on_behalf_of=e.on_behalf_of, action=e.action,
                   resource=e.resource, reason=e.reason, seq=e.seq, subject_citizen_id=e.subject_citizen_id,
                   request_id=e.request_id, prev_hash=e.prev_hash, entry_hash=e.entry_hash)


class AccessLogPage(BaseModel):
    items: list[AccessLogEntry]
    next_cursor: str | None


class AuditPageOut(BaseModel):
    items: list[AuditEntryOut]
    next_cursor: str | None


class ChainProblemOut(BaseModel):
    kind: str
    seq: int | None
    id: str | None
    detail: str


class ChainReportOut(BaseModel):
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    problems: list[ChainProblemOut]
