"""The deny-list (黑名单) the platform pushes to gates: riders in arrears (by rider reference) and lost
phones (by certificate serial), versioned. Each change takes the next version under a lock on the
head row, so versions commit in order and `delta(since)` never skips one; a gate applies it with
`transit.denylist.DenyList.update` (whole list or delta, the same JSON)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.db import is_postgres
from onecity.transit.models import TransitDenyChange, TransitDenyEntry, TransitDenyHead
from onecity.transit.schemas import DenyEntryOut
from onecity.transit.service.errors import InvalidTransitInput

KINDS = ("rider", "serial")


def _next_version(session: Session) -> int:
    insert = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(insert(TransitDenyHead).values(id=1, version=0).on_conflict_do_nothing(index_elements=["id"]))
    q = select(TransitDenyHead).where(TransitDenyHead.id == 1)
    q = q.execution_options(populate_existing=True)
    head = session.scalars(q.with_for_update() if is_postgres(session) else q).one()
    head.version += 1
    session.flush()
    return head.version


def current_version(session: Session) -> int:
    head = session.get(TransitDenyHead, 1)
    return head.version if head is not None else 0


def is_denied(session: Session, *, kind: str, value: str) -> bool:
    return session.scalars(select(TransitDenyEntry.id).where(TransitDenyEntry.kind == kind,
                                                             TransitDenyEntry.value == value)).first() is not None


def add(session: Session, *, kind: str, value: str, reason: str) -> bool:
    """Put a rider (`kind` rider, value its rider_ref) or a device (`kind` serial) on the list; False
    when it is already there."""
    if kind not in KINDS:
        raise InvalidTransitInput(f"deny-list kind is one of {KINDS}")
    if is_denied(session, kind=kind, value=value):
        return False
    version = _next_version(session)
    now = clock.now()
    session.add(TransitDenyEntry(kind=kind, value=value, reason=reason, version=version, created_at=now))
    session.add(TransitDenyChange(version=version, kind=kind, value=value, op="add", created_at=now))
    outbox.emit(session, "transit.deny_list_changed", {"version": version, "op": "add", "kind": kind,
                                                       "reason": reason})
    session.flush()
    return True


def remove(session: Session, *, kind: str, value: str) -> bool:
    row = session.scalars(select(TransitDenyEntry).where(TransitDenyEntry.kind == kind,
                                                         TransitDenyEntry.value == value)).one_or_none()
    if row is None:
        return False
    version = _next_version(session)
    session.delete(row)
    session.add(TransitDenyChange(version=version, kind=kind, value=value, op="remove", created_at=clock.now()))
    outbox.emit(session, "transit.deny_list_changed", {"version": version, "op": "remove", "kind": kind})
    session.flush()
    return True


def _as_lists(pairs: list[tuple[str, str]]) -> dict[str, list[Any]]:
    return {"riders": sorted(v for k, v in pairs if k == "rider"),
            "serials": sorted(int(v) for k, v in pairs if k == "serial")}


def whole(session: Session) -> dict[str, Any]:
    """`{"version", "riders", "serials"}` — the whole list at its current version."""
    version = current_version(session)
    pairs = [(r.kind, r.value) for r in session.scalars(select(TransitDenyEntry))]
    return {"version": version, **_as_lists(pairs)}


def delta(session: Session, *, since: int) -> dict[str, Any]:
    """What changed after version `since`: `{"from_version", "to_version", "add", "remove"}`, each
    entry's last change winning. When nothing changed, from and to are equal (the gate keeps its list)."""
    version = current_version(session)
    if since > version or since < 0:
        raise InvalidTransitInput(f"version {since} is not between 0 and {version}")
    last: dict[tuple[str, str], str] = {}
    for c in session.scalars(select(TransitDenyChange).where(TransitDenyChange.version > since)
                             .order_by(TransitDenyChange.version)):
        last[(c.kind, c.value)] = c.op
    added = [k for k, op in last.items() if op == "add"]
    removed = [k for k, op in last.items() if op == "remove"]
    return {"from_version": since, "to_version": version, "add": _as_lists(added), "remove": _as_lists(removed)}


def entries(session: Session, *, limit: int = 500) -> list[DenyEntryOut]:
    rows = session.scalars(select(TransitDenyEntry).order_by(TransitDenyEntry.version.desc()).limit(limit))
    return [DenyEntryOut(kind=r.kind, value=r.value, reason=r.reason, version=r.version, created_at=r.created_at)
            for r in rows]


def lost_since(session: Session, serials: set[int]) -> dict[int, int]:
    """For the serials of lost phones among `serials`: when they were reported (epoch seconds)."""
    if not serials:
        return {}
    rows = session.execute(select(TransitDenyEntry.value, TransitDenyEntry.created_at).where(
        TransitDenyEntry.kind == "serial", TransitDenyEntry.value.in_([str(s) for s in serials])))
    return {int(v): int(at.timestamp()) for v, at in rows}
