"""Tap upload (乘车记录上传): operators send the taps their gates stored, in batches, when the network
is back. Each record carries the scanned code, and the platform judges it again exactly as a gate
would at the tap's time (`transit.gate.Gate.check`: both signatures, validity, freshness, network
flags), against every platform key it ever used; a record that fails gets its reason in the batch
result and is not stored. A tap dated more than the gates' clock skew (`gate.CLOCK_SKEW_S`) ahead of
the platform's clock is refused as `future_tap`: a gate whose clock runs ahead would otherwise date
rides into days not yet priced (the gate keeps it pending and sends it again once the platform's
clock has caught up, `transit.uplink`). Accepted taps are unique by tap id (derived from the signed code), inserted
with ON CONFLICT DO NOTHING in tap-id order: the same batch twice, overlapping batches or two
concurrent uploads of the same taps leave one row per tap. Order does not matter: pricing sorts by
time. Every new tap puts its rider's week on the pricing queue (`fares.price_due`).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.db import is_postgres
from onecity.transit.fares.pricing import service_day
from onecity.transit.gate import CLOCK_SKEW_S, DIRECTIONS, NETWORK_FLAGS, Gate, GatePlace
from onecity.transit.models import TransitPricingDue, TransitTap
from onecity.transit.schemas import BatchResult, TapIn, TapOut, TapResult
from onecity.transit.service import deny, keys, operators, riders
from onecity.transit.service.errors import InvalidTransitInput

MAX_BATCH = 2000


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _insert(session: Session) -> Any:
    return pg_insert if is_postgres(session) else sqlite_insert


def mark_due(session: Session, items: set[tuple[str, str, date]], due_at: datetime) -> None:
    """Queue riders' weeks for pricing at `due_at`, keeping an earlier due time already queued."""
    if not items:
        return
    rows = [{"rider_ref": r, "system_id": s, "week_start": w, "due_at": due_at} for r, s, w in sorted(items)]
    table = TransitPricingDue.__table__
    ins = _insert(session)(table)
    stmt = ins.on_conflict_do_update(index_elements=["rider_ref", "system_id", "week_start"],
                                     set_={"due_at": ins.excluded.due_at},
                                     where=table.c.due_at > ins.excluded.due_at)
    session.execute(stmt, rows)


def upload(session: Session, *, operator_org_id: str, taps: list[TapIn], batch_id: str | None = None) -> BatchResult:
    """Verify and store a batch of taps from one operator's gates; one result per record, in order."""
    if len(taps) > MAX_BATCH:
        raise InvalidTransitInput(f"at most {MAX_BATCH} taps a batch")
    op = operators.operator_of(session, operator_org_id)
    ls = operators.loaded(session, op.system_id)
    key_set = keys.verifying_key_set(session)
    gates: dict[tuple[str, str], Gate] = {}
    results: list[TapResult | None] = [None] * len(taps)
    good: dict[str, tuple[int, dict[str, Any]]] = {}
    refs: set[str] = set()
    now = clock.now()
    latest = int(now.timestamp()) + CLOCK_SKEW_S
    for i, t in enumerate(taps):
        def reject(reason: str, tap_id: str | None = t.tap_id, i: int = i) -> None:
            results[i] = TapResult(index=i, tap_id=tap_id, result="rejected", reason=reason)

        if t.network not in NETWORK_FLAGS or t.direction not in DIRECTIONS:
            reject("malformed")
            continue
        if t.at > latest:
            reject("future_tap")
            continue
        gate = gates.get((t.network, t.direction))
        if gate is None:
            gate = gates[(t.network, t.direction)] = Gate(GatePlace("upload", "-", t.network, t.direction), key_set)
        v = gate.check(t.code, now=t.at)
        if not v.ok:
            reject(v.reason, v.tap_id or t.tap_id)
            continue
        assert v.tap_id is not None and v.rider_ref is not None and v.serial is not None and v.code_ts is not None
        if t.tap_id is not None and t.tap_id != v.tap_id:
            reject("tap_id_mismatch")
            continue
        candidates = [n for n in ls.stop_networks.get(t.stop_id, ())
                      if ls.system.networks[n].tap_out == (t.network == "metro")]
        if t.network_id is not None:
            candidates = [n for n in candidates if n == t.network_id]
        if len(candidates) != 1:
            reject("unknown_stop" if not candidates else "ambiguous_stop", v.tap_id)
            continue
        network_id = candidates[0]
        if ls.network_operator[network_id] != op.operator_code:
            reject("not_your_network", v.tap_id)
            continue
        if v.tap_id in good:
            results[i] = TapResult(index=i, tap_id=v.tap_id, result="duplicate")
            continue
        ref = v.rider_ref.hex()
        refs.add(ref)
        good[v.tap_id] = (i, {
            "tap_id": v.tap_id, "rider_ref": ref, "serial": v.serial, "operator_id": operator_org_id,
            "system_id": op.system_id, "network_id": network_id, "gate_id": t.gate_id, "stop_id": t.stop_id,
            "direction": t.direction, "at": t.at, "code_ts": v.code_ts,
            "service_day": service_day(ls.system, t.at), "uploaded_at": now})
    known = riders.riders_by_ref(session, refs)
    lost = deny.lost_since(session, {row["serial"] for _, row in good.values()})
    rows = []
    for tap_id, (i, row) in list(good.items()):
        reason = None
        if row["rider_ref"] not in known:
            reason = "unknown_rider"
        elif row["serial"] in lost and row["at"] >= lost[row["serial"]]:
            reason = "denied"  # a phone reported lost: its owner does not pay for what a gate with an old list let in
        if reason is not None:
            results[i] = TapResult(index=i, tap_id=tap_id, result="rejected", reason=reason)
            del good[tap_id]
        else:
            rows.append(row)
    rows.sort(key=lambda r: r["tap_id"])  # one lock order for concurrent uploads of the same taps
    inserted: set[str] = set()
    if rows:  # one statement compiled once and sent as executemany (insertmanyvalues), not 500 VALUES compiled
        table = TransitTap.__table__
        stmt = _insert(session)(table).on_conflict_do_nothing(index_elements=["tap_id"]).returning(table.c.tap_id)
        inserted = set(session.execute(stmt, rows).scalars())
    for tap_id, (i, _) in good.items():
        results[i] = TapResult(index=i, tap_id=tap_id, result="accepted" if tap_id in inserted else "duplicate")
    mark_due(session, {(r["rider_ref"], r["system_id"], week_start(r["service_day"])) for r in rows
                       if r["tap_id"] in inserted}, now)
    out = [r for r in results if r is not None]
    assert len(out) == len(taps)
    result = BatchResult(accepted=sum(r.result == "accepted" for r in out),
                         duplicates=sum(r.result == "duplicate" for r in out),
                         rejected=sum(r.result == "rejected" for r in out), results=out)
    if result.accepted or result.rejected:
        outbox.emit(session, "transit.taps_uploaded", {"operator_id": operator_org_id, "batch_id": batch_id,
                                                       "accepted": result.accepted, "duplicates": result.duplicates,
                                                       "rejected": result.rejected})
    return result


def _tap_out(r: TransitTap) -> TapOut:
    return TapOut(tap_id=r.tap_id, rider_ref=r.rider_ref, gate_id=r.gate_id, stop_id=r.stop_id,
                  network_id=r.network_id, direction=r.direction, at=datetime.fromtimestamp(r.at, UTC),
                  service_day=r.service_day)


def list_taps(session: Session, *, operator_org_id: str, day: date | None = None, gate_id: str | None = None,
              stop_id: str | None = None, direction: str | None = None, rider_ref: str | None = None,
              after: str | None = None, limit: int = 100) -> tuple[list[TapOut], str | None]:
    """An operator's accepted taps, newest upload first, filtered; the page and the next cursor (the last
    tap id's row)."""
    q = select(TransitTap).where(TransitTap.operator_id == operator_org_id)
    if day is not None:
        q = q.where(TransitTap.service_day == day)
    for column, value in ((TransitTap.gate_id, gate_id), (TransitTap.stop_id, stop_id),
                          (TransitTap.direction, direction), (TransitTap.rider_ref, rider_ref)):
        if value:
            q = q.where(column == value)
    if after:
        row = session.scalars(select(TransitTap.id).where(TransitTap.tap_id == after)).first()
        if row is None:
            raise InvalidTransitInput("unknown cursor")
        q = q.where(TransitTap.id < row)
    rows = list(session.scalars(q.order_by(TransitTap.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return [_tap_out(r) for r in rows], (rows[-1].tap_id if more and rows else None)


def tap_by_id(session: Session, tap_id: str) -> TransitTap | None:
    return session.scalars(select(TransitTap).where(TransitTap.tap_id == tap_id)).one_or_none()


def rider_taps(session: Session, *, rider_ref: str, system_id: str, start: int, end: int) -> list[TransitTap]:
    return list(session.scalars(select(TransitTap).where(
        TransitTap.rider_ref == rider_ref, TransitTap.system_id == system_id, TransitTap.at >= start,
        TransitTap.at < end).order_by(TransitTap.at, TransitTap.tap_id)))
