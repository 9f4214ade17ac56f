"""The audit log's API: `record` an action, list entries (a citizen's access log, an org's entries,
the admin's search) and `verify_chain`.

The hash chain. Entry n stores `prev_hash` (entry n-1's hash; 64 zeros for entry 1) and
`entry_hash = SHA-256(canonical(entry n))`, where the canonical form is the UTF-8 JSON object of
every column but `entry_hash` (keys sorted, no spaces, `created_at` as `YYYY-MM-DDTHH:MM:SS.ffffffZ`).
The head row holds the last seq and hash. Editing an entry breaks its hash, deleting one breaks the
next entry's link (and leaves a gap in seq), reordering breaks both, and cutting entries off the end
no longer matches the head. Someone who can rewrite the whole table and the head can forge a
consistent chain; publishing the head hash elsewhere from time to time (`onecity audit verify` prints
it) closes that gap.

Appends are serialized: on PostgreSQL `record` takes a row lock on the head (SELECT … FOR UPDATE),
held until the caller's transaction ends; SQLite already serializes writers (BEGIN IMMEDIATE). The
seq primary key makes any append that slipped past the lock fail rather than fork the chain.
The lock is held until the caller commits, so call `record` as late in the transaction as you can:
one chain appends at most about 1 / (commit latency) entries a second (measured ~160/s on a local
PostgreSQL with synchronous commit, 8 writers); beyond that, split the log into several chains.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Select, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit.models import AuditChainHead, AuditEntry
from onecity.authz import Principal
from onecity.errors import InvalidInput
from onecity.ids import new_id
from onecity.observability import request_id_var

GENESIS = "0" * 64
HEAD_ID = 1
MAX_PAGE = 200
# Prefixes of public ids that name the kind of a string actor; any other string is a system process.
_ID_KINDS = {"cit": "citizen", "stf": "staff", "org": "org"}


class AuditInputInvalid(InvalidInput):
    code = "audit_input_invalid"
    message_zh = "审计记录内容不完整"
    message_en = "The audit entry is incomplete"


class CursorInvalid(InvalidInput):
    code = "cursor_invalid"
    message_zh = "分页游标无效"
    message_en = "The pagination cursor is not valid"


def _ts(dt: datetime) -> str:
    return dt.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(entry: AuditEntry) -> bytes:
    """The bytes an entry's hash covers: every column except `entry_hash`, as sorted compact JSON."""
    content = {
        "seq": entry.seq,
        "public_id": entry.public_id,
        "created_at": _ts(entry.created_at),
        "actor_kind": entry.actor_kind,
        "actor_id": entry.actor_id,
        "actor_org_id": entry.actor_org_id,
        "on_behalf_of": entry.on_behalf_of,
        "action": entry.action,
        "resource": entry.resource,
        "subject_citizen_id": entry.subject_citizen_id,
        "reason": entry.reason,
        "request_id": entry.request_id,
        "prev_hash": entry.prev_hash,
    }
    return json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def entry_hash(entry: AuditEntry) -> str:
    return hashlib.sha256(canonical(entry)).hexdigest()


def _locked_head(session: Session) -> AuditChainHead:
    """The head row, created if absent, locked against concurrent appends until the transaction ends."""
    q = select(AuditChainHead).where(AuditChainHead.id == HEAD_ID).with_for_update().execution_options(
        populate_existing=True)
    head = session.scalars(q).one_or_none()
    if head is not None:
        return head
    # First append ever (or after the table was emptied): create the head; racing creators both land here,
    # one insert wins, and both then lock the same row.
    values = {"id": HEAD_ID, "seq": 0, "last_hash": GENESIS, "updated_at": clock.now()}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(pg_insert(AuditChainHead).values(**values).on_conflict_do_nothing(index_elements=["id"]))
    elif dialect == "sqlite":
        session.execute(sqlite_insert(AuditChainHead).values(**values).on_conflict_do_nothing(index_elements=["id"]))
    else:  # pragma: no cover - only PostgreSQL and SQLite are supported
        session.add(AuditChainHead(**values))
        session.flush()
    return session.scalars(q).one()


def _actor_fields(actor: Principal | str) -> tuple[str, str | None, str | None]:
    if isinstance(actor, Principal):
        return actor.kind, actor.id, actor.org_id
    if not actor or not actor.strip():
        raise AuditInputInvalid(detail="actor is empty")
    kind = _ID_KINDS.get(actor.split("_", 1)[0]) if "_" in actor else None
    if kind == "org":
        return "org", actor, actor
    return kind or "system", actor, None


def record(
    session: Session,
    *,
    actor: Principal | str,
    action: str,
    subject_citizen_id: str | None,
    resource: str,
    reason: str,
    on_behalf_of: str | None = None,
) -> AuditEntry:
    """Append one entry to the chain in the caller's transaction (it exists iff the action committed).

    `actor` is the calling `Principal`, or a string: a public id (`cit_…`, `stf_…`, `org_…`) or the
    name of a system process (`worker`, `cli:seed`), recorded with kind `system`. `action` is a dotted
    verb (`citizen.profile.read`), `resource` what was touched (`citizen/cit_…/id_number`), `reason`
    why, in words a citizen can read in their access log.
    """
    kind, actor_id, actor_org_id = _actor_fields(actor)
    for name, value, limit in (("action", action, 100), ("resource", resource, 200), ("reason", reason, 2000)):
        if not value or not value.strip():
            raise AuditInputInvalid(detail=f"{name} is empty")
        if len(value) > limit:
            raise AuditInputInvalid(detail=f"{name} is longer than {limit} characters")
    head = _locked_head(session)
    entry = AuditEntry(
        seq=head.seq + 1,
        public_id=new_id("aud"),
        created_at=clock.now(),
        actor_kind=kind,
        actor_id=actor_id,
        actor_org_id=actor_org_id,
        on_behalf_of=on_behalf_of,
        action=action,
        resource=resource,
        subject_citizen_id=subject_citizen_id,
        reason=reason,
        request_id=request_id_var.get(),
        prev_hash=head.last_hash,
    )
    entry.entry_hash = entry_hash(entry)
    head.seq = entry.seq
    head.last_hash = entry.entry_hash
    head.updated_at = entry.created_at
    session.add(entry)
    session.flush()
    return entry


# --- verification ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ChainProblem:
    """One place where the chain does not hold. `kind`: `hash_mismatch` (the entry was edited),
    `broken_link` (prev_hash is not the previous entry's hash: deleted or reordered entries),
    `gap` (seq numbers missing: deleted entries), `head_mismatch` (entries cut off the end, or
    the head edited), `head_missing` (entries exist but the head row is gone)."""

    kind: str
    seq: int | None
    public_id: str | None
    detail: str


@dataclass
class ChainReport:
    ok: bool
    entries: int
    head_seq: int
    head_hash: str
    problems: list[ChainProblem] = field(default_factory=list)


def verify_chain(session: Session, *, batch: int = 2000) -> ChainReport:
    """Walk the whole chain in seq order (streamed in batches) and report every inconsistency."""
    problems: list[ChainProblem] = []
    prev_hash = GENESIS
    expected_seq = 1
    count = 0
    for e in _stream(session, batch):
        count += 1
        if e.seq != expected_seq:
            problems.append(ChainProblem("gap", e.seq, e.public_id,
                                         f"expected seq {expected_seq}, found {e.seq}"))
        if e.prev_hash != prev_hash:
            problems.append(ChainProblem("broken_link", e.seq, e.public_id,
                                         "prev_hash does not match the previous entry's hash"))
        actual = entry_hash(e)
        if actual != e.entry_hash:
            problems.append(ChainProblem("hash_mismatch", e.seq, e.public_id,
                                         "content does not match the stored hash"))
        prev_hash = e.entry_hash
        expected_seq = e.seq + 1
    head = session.get(AuditChainHead, HEAD_ID)
    last_seq = expected_seq - 1
    if head is None:
        if count:
            problems.append(ChainProblem("head_missing", None, None, "the chain head row is missing"))
        head_seq, head_hash = 0, GENESIS
    else:
        head_seq, head_hash = head.seq, head.last_hash
        if head.seq != last_seq or head.last_hash != prev_hash:
            problems.append(ChainProblem(
                "head_mismatch", head.seq, None,
                f"head says seq {head.seq}, the last entry is seq {last_seq}" if head.seq != last_seq
                else "head hash differs from the last entry's hash"))
    return ChainReport(ok=not problems, entries=count, head_seq=head_seq, head_hash=head_hash,
                       problems=problems)


def _stream(session: Session, batch: int) -> Iterator[AuditEntry]:
    last = None
    while True:
        q = select(AuditEntry).order_by(AuditEntry.seq).limit(batch)
        if last is not None:
            q = q.where(AuditEntry.seq > last)
        rows = list(session.scalars(q))
        if not rows:
            return
        yield from rows
        last = rows[-1].seq
        for r in rows:
            session.expunge(r)


# --- listing --------------------------------------------------------------------------------------

@dataclass
class AuditPage:
    entries: list[AuditEntry]
    next_cursor: str | None


def _page(session: Session, q: Select[AuditEntry], after: str | None, limit: int) -> AuditPage:
    limit = max(1, min(limit, MAX_PAGE))
    if after:
        seq = session.scalar(select(AuditEntry.seq).where(AuditEntry.public_id == after))
        if seq is None:
            raise CursorInvalid()
        q = q.where(AuditEntry.seq < seq)
    rows = list(session.scalars(q.order_by(AuditEntry.seq.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(entries=rows, next_cursor=rows[-1].public_id if more and rows else None)


def access_log(session: Session, *, citizen_id: str, after: str | None = None, limit: int = 50) -> AuditPage:
    """Who touched this citizen's data, newest first (the citizen's 访问记录)."""
    q = select(AuditEntry).where(AuditEntry.subject_citizen_id == citizen_id)
    return _page(session, q, after, limit)


def entries_for_org(session: Session, *, org_id: str, after: str | None = None, limit: int = 50) -> AuditPage:
    """What an organisation's staff and API keys did (or what was done on its behalf), newest first."""
    q = select(AuditEntry).where(or_(AuditEntry.actor_org_id == org_id, AuditEntry.on_behalf_of == org_id))
    return _page(session, q, after, limit)


def search(
    session: Session,
    *,
    subject_citizen_id: str | None = None,
    actor_id: str | None = None,
    org_id: str | None = None,
    action: str | None = None,
    after: str | None = None,
    limit: int = 50,
) -> AuditPage:
    """The administrators' view: every entry, narrowed by any of the filters, newest first."""
    q = select(AuditEntry)
    if subject_citizen_id:
        q = q.where(AuditEntry.subject_citizen_id == subject_citizen_id)
    if actor_id:
        q = q.where(AuditEntry.actor_id == actor_id)
    if org_id:
        q = q.where(or_(AuditEntry.actor_org_id == org_id, AuditEntry.on_behalf_of == org_id))
    if action:
        q = q.where(AuditEntry.action == action)
    return _page(session, q, after, limit)
