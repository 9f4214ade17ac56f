"""Audit log routes: a citizen's access log and the administrators' search and chain check."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from onecity.audit import service
from onecity.audit.schemas import (
    AccessLogEntry,
    AccessLogPage,
    AuditEntryOut,
    AuditPageOut,
    ChainProblemOut,
    ChainReportOut,
)
from onecity.authz import Principal, allow
from onecity.deps import DbSession

router = APIRouter(tags=["audit"])

Limit = Annotated[int, Query(ge=1, le=service.MAX_PAGE)]
Cursor = Annotated[str | None, Query(max_length=40)]


@router.get("/v1/me/access-log", response_model=AccessLogPage)
def my_access_log(
    db: DbSession,
    principal: Principal = Depends(allow("citizen")),
    after: Cursor = None,
    limit: Limit = 50,
) -> AccessLogPage:
    """Who read or changed my data, newest first (`?after=<id of the last entry seen>`)."""
    assert principal.id is not None
    page = service.access_log(db, citizen_id=principal.id, after=after, limit=limit)
    return AccessLogPage(items=[AccessLogEntry.of(e) for e in page.entries], next_cursor=page.next_cursor)


@router.get("/v1/audit", response_model=AuditPageOut)
def search_audit(
    db: DbSession,
    principal: Principal = Depends(allow("admin")),
    subject_citizen_id: Annotated[str | None, Query(max_length=40)] = None,
    actor_id: Annotated[str | None, Query(max_length=100)] = None,
    org_id: Annotated[str | None, Query(max_length=40)] = None,
    action: Annotated[str | None, Query(max_length=100)] = None,
    after: Cursor = None,
    limit: Limit = 50,
) -> AuditPageOut:
    page = service.search(db, subject_citizen_id=subject_citizen_id, actor_id=actor_id, org_id=org_id,
                          action=action, after=after, limit=limit)
    return AuditPageOut(items=[AuditEntryOut.of(e) for e in page.entries], next_cursor=page.next_cursor)


@router.get("/v1/audit/verify", response_model=ChainReportOut)
def verify_audit_chain(db: DbSession, principal: Principal = Depends(allow("admin"))) -> ChainReportOut:
    """Walk the whole chain now (O(entries)); `onecity audit verify` does the same from the shell."""
    r = service.verify_chain(db)
    return ChainReportOut(
        ok=r.ok, entries=r.entries, head_seq=r.head_seq, head_hash=r.head_hash,
        problems=[ChainProblemOut(kind=p.kind, seq=p.seq, id=p.public_id, detail=p.detail) for p in r.problems],
    )
