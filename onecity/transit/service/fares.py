"""Trips and fares on the platform (行程与票价): one rider's week of taps priced with the pure fare rules
(transit.fares: matching, leg fares, transfers, daily and weekly caps), and the charges that follow.

Pricing is per rider, fare system and week (ISO week of service days, since the weekly cap spans it),
always from all the week's taps, so a late tap, a tap out of order or a correction gives the same
statement as if everything had arrived in time. What a rider owes an operator for a day is that
day's fares on the operator's networks after caps; a charge records the difference from what earlier
charges asked (`target - already charged`), so re-pricing never charges twice and a lowered day
produces a negative charge (a refund). Pricing a rider takes the lock on the rider's row, so two
workers cannot both add the same difference.

Legs that cross the week's edge (a tap in at 03:55, the service day starting at 04:00) belong to the
week they start in: the taps are read with a margin of the longest trip on either side.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.db import is_postgres
from onecity.ids import new_id
from onecity.transit.fares.pricing import PricedLeg, Statement, price_legs, service_day
from onecity.transit.fares.trips import MISSING_TAP_IN, MISSING_TAP_OUT, Correction, Leg, Tap, match_legs
from onecity.transit.models import (
    TransitCharge,
    TransitCorrection,
    TransitPricingDue,
    TransitRider,
    TransitTap,
)
from onecity.transit.schemas import (
    CorrectionOut,
    DayOut,
    LegOut,
    PricingRunOut,
    RevenueDayOut,
    TripsOut,
)
from onecity.transit.service import operators, taps
from onecity.transit.service.errors import CorrectionRefused, InvalidTransitInput, TapNotFound
from onecity.transit.service.operators import LoadedSystem


def lock_rider(session: Session, rider_ref: str) -> TransitRider:
    q = select(TransitRider).where(TransitRider.rider_ref == rider_ref).execution_options(populate_existing=True)
    return session.scalars(q.with_for_update() if is_postgres(session) else q).one()


def _week_window(ls: LoadedSystem, week: date) -> tuple[int, int]:
    start = datetime.combine(week, time(0), ls.system.timezone) + timedelta(seconds=ls.system.service_day_starts_s)
    return int(start.timestamp()), int((start + timedelta(days=7)).timestamp())


def _margin(ls: LoadedSystem) -> int:
    return max((n.max_trip_minutes for n in ls.system.networks.values()), default=240) * 60


def price_week(session: Session, *, rider_ref: str, system_id: str, week: date,
               as_of: int | None = None) -> Statement:
    """The rider's statement for one week, from every tap and correction on file."""
    ls = operators.loaded(session, system_id)
    start, end = _week_window(ls, week)
    m = _margin(ls)
    rows = taps.rider_taps(session, rider_ref=rider_ref, system_id=system_id, start=start - m, end=end + m)
    tap_list = [Tap(r.tap_id, r.at, r.network_id, r.stop_id, r.direction) for r in rows]
    fixes = [Correction(c.tap_id, c.stop_id) for c in session.scalars(
        select(TransitCorrection).where(TransitCorrection.rider_ref == rider_ref,
                                        TransitCorrection.tap_id.in_([t.tap_id for t in tap_list])))]
    now = as_of if as_of is not None else int(clock.now().timestamp())
    legs = [g for g in match_legs(tap_list, ls.system, corrections=fixes, as_of=now) if start <= g.start < end]
    return price_legs(ls.system, legs)


def _charged(session: Session, rider_ref: str, system_id: str, days: list[date]) -> dict[tuple[date, str], int]:
    rows = session.execute(select(TransitCharge.service_day, TransitCharge.operator_id, func.sum(TransitCharge.amount))
                           .where(TransitCharge.rider_ref == rider_ref, TransitCharge.system_id == system_id,
                                  TransitCharge.service_day.in_(days))
                           .group_by(TransitCharge.service_day, TransitCharge.operator_id))
    return {(d, o): int(a) for d, o, a in rows}


def _operator_org(session: Session, ls: LoadedSystem, system_id: str, network_id: str) -> str:
    ops = operators.operators_of_system(session, system_id)
    code = ls.network_operator[network_id]
    if code not in ops:
        raise InvalidTransitInput(f"no operator registered for {code}")
    return ops[code].org_id


def reprice(session: Session, *, rider_ref: str, system_id: str, week: date) -> tuple[Statement, int]:
    """Price the rider's week and record the charges that bring each (day, operator) to its fares.
    Returns the statement and how many charges were added. Takes the rider's row lock."""
    lock_rider(session, rider_ref)
    ls = operators.loaded(session, system_id)
    st = price_week(session, rider_ref=rider_ref, system_id=system_id, week=week)
    target: dict[tuple[date, str], int] = defaultdict(int)
    for p in st.legs:
        target[(p.service_day, _operator_org(session, ls, system_id, p.leg.network_id))] += p.charged
    days = [week + timedelta(days=i) for i in range(7)]
    have = _charged(session, rider_ref, system_id, days)
    now, added = clock.now(), 0
    for key in sorted(set(target) | set(have)):
        diff = target.get(key, 0) - have.get(key, 0)
        if diff == 0:
            continue
        day, org = key
        session.add(TransitCharge(charge_id=new_id("trc"), rider_ref=rider_ref, system_id=system_id, operator_id=org,
                                  service_day=day, amount=diff, status="due", created_at=now))
        outbox.emit(session, "transit.fare_charged", {"rider_ref": rider_ref, "operator_id": org,
                                                      "service_day": day.isoformat(), "amount": diff})
        added += 1
    session.flush()
    return st, added


def price_due(session: Session, *, limit: int = 500) -> PricingRunOut:
    """Price the queued riders' weeks that are due (the worker's `transit.price` job)."""
    now = clock.now()
    q = (select(TransitPricingDue).where(TransitPricingDue.due_at <= now).order_by(TransitPricingDue.due_at)
         .limit(limit))
    if is_postgres(session):
        q = q.with_for_update(skip_locked=True)
    riders = charges = 0
    for due in list(session.scalars(q)):
        st, added = reprice(session, rider_ref=due.rider_ref, system_id=due.system_id, week=due.week_start)
        riders, charges = riders + 1, charges + added
        if st.open_legs:  # a rider still inside: price again when the open leg times out
            ls = operators.loaded(session, due.system_id)
            latest = max(g.start + ls.system.networks[g.network_id].max_trip_minutes * 60 + 1 for g in st.open_legs)
            due.due_at = datetime.fromtimestamp(latest, UTC)
        else:
            session.delete(due)
    session.flush()
    return PricingRunOut(riders_priced=riders, charges=charges)


# --- views ------------------------------------------------------------------------------------------

def _leg_out(p: PricedLeg | None, leg: Leg, ls: LoadedSystem, session: Session, system_id: str) -> LegOut:
    def ts(x: int | None) -> datetime | None:
        return None if x is None else datetime.fromtimestamp(x, UTC)

    start = ts(leg.start)
    assert start is not None
    ops = operators.operators_of_system(session, system_id)
    op = ops.get(ls.network_operator.get(leg.network_id, ""))
    return LegOut(leg_id=leg.leg_id, network_id=leg.network_id, status=leg.status, start=start, end=ts(leg.end),
                  from_stop=leg.from_stop, to_stop=leg.to_stop, fare_product_id=p.fare_product_id if p else None,
                  distance_m=p.distance if p else None, base=p.base if p else 0,
                  after_transfer=p.after_transfer if p else 0, charged=p.charged if p else 0,
                  transfer=bool(p and p.transfer), capped_by=list(p.capped_by) if p else [],
                  service_day=p.service_day if p else service_day(ls.system, leg.start),
                  operator_id=op.org_id if op else None, tap_ids=list(leg.tap_ids))


def _weeks_with_taps(session: Session, rider_ref: str, since: date, until: date) -> list[tuple[str, date]]:
    rows = session.execute(select(TransitTap.system_id, TransitTap.service_day).where(
        TransitTap.rider_ref == rider_ref, TransitTap.service_day >= since, TransitTap.service_day <= until)
        .distinct())
    return sorted({(s, taps.week_start(d)) for s, d in rows})


def trips(session: Session, *, rider_ref: str, since: date, until: date) -> TripsOut:
    """The rider's trips day by day (newest first) with fares after transfers and caps, and what the
    charges have asked and been paid."""
    days: list[DayOut] = []
    open_legs: list[LegOut] = []
    for system_id, week in _weeks_with_taps(session, rider_ref, since, until):
        ls = operators.loaded(session, system_id)
        st = price_week(session, rider_ref=rider_ref, system_id=system_id, week=week)
        by_day: dict[date, list[PricedLeg]] = defaultdict(list)
        for p in st.legs:
            by_day[p.service_day].append(p)
        week_days = [week + timedelta(days=i) for i in range(7)]
        charges = list(session.scalars(select(TransitCharge).where(
            TransitCharge.rider_ref == rider_ref, TransitCharge.system_id == system_id,
            TransitCharge.service_day.in_(week_days))))
        for day in sorted(set(by_day) | {c.service_day for c in charges}):
            if not since <= day <= until:
                continue
            legs = by_day.get(day, [])
            mine = [c for c in charges if c.service_day == day]
            charged = sum(c.amount for c in mine)
            paid = sum(c.amount for c in mine if c.status == "paid")
            days.append(DayOut(service_day=day, legs=[_leg_out(p, p.leg, ls, session, system_id) for p in legs],
                               fares=sum(p.charged for p in legs), uncapped=sum(p.after_transfer for p in legs),
                               charged=charged, paid=paid, due=charged - paid))
        open_legs += [_leg_out(None, g, ls, session, system_id) for g in st.open_legs]
    days.sort(key=lambda d: d.service_day, reverse=True)
    return TripsOut(days=days, open_legs=open_legs)


def operator_trips(session: Session, *, operator_org_id: str, day: date, limit: int = 200) -> list[LegOut]:
    """The legs on an operator's networks that started on `day` (at most `limit` riders)."""
    op = operators.operator_of(session, operator_org_id)
    ls = operators.loaded(session, op.system_id)
    refs = list(session.scalars(select(TransitTap.rider_ref).where(
        TransitTap.operator_id == operator_org_id, TransitTap.service_day == day).distinct()
        .order_by(TransitTap.rider_ref).limit(limit)))
    out: list[LegOut] = []
    for ref in refs:
        st = price_week(session, rider_ref=ref, system_id=op.system_id, week=taps.week_start(day))
        for p in st.legs:
            if p.service_day == day and ls.network_operator[p.leg.network_id] == op.operator_code:
                out.append(_leg_out(p, p.leg, ls, session, op.system_id))
    return sorted(out, key=lambda g: g.start)


def revenue(session: Session, *, operator_org_id: str, since: date, until: date) -> list[RevenueDayOut]:
    """Per service day: taps, net fares charged (refunds included), and how much is paid, due, failed."""
    operators.operator_of(session, operator_org_id)
    sums: dict[date, dict[str, int]] = defaultdict(lambda: {"paid": 0, "due": 0, "failed": 0})
    for day, status, amount in session.execute(
            select(TransitCharge.service_day, TransitCharge.status, func.sum(TransitCharge.amount))
            .where(TransitCharge.operator_id == operator_org_id, TransitCharge.service_day >= since,
                   TransitCharge.service_day <= until)
            .group_by(TransitCharge.service_day, TransitCharge.status)):
        sums[day][status] = int(amount)
    tap_counts: dict[date, int] = {}
    for day, n in session.execute(select(TransitTap.service_day, func.count()).where(
            TransitTap.operator_id == operator_org_id, TransitTap.service_day >= since,
            TransitTap.service_day <= until).group_by(TransitTap.service_day)):
        tap_counts[day] = int(n)
    out = []
    for day in sorted(set(sums) | set(tap_counts), reverse=True):
        s = sums[day]
        out.append(RevenueDayOut(service_day=day, taps=int(tap_counts.get(day, 0)), fares=s["paid"] + s["due"]
                                 + s["failed"], paid=s["paid"], due=s["due"], failed=s["failed"]))
    return out


# --- corrections ------------------------------------------------------------------------------------

def correct(session: Session, *, tap_id: str, stop_id: str, source: str, actor: Principal | str,
            operator_org_id: str | None = None, rider_ref: str | None = None,
            reason: str | None = None) -> CorrectionOut:
    """Correct a leg missing a tap (named by its lone tap): the operator's correction, or the rider's
    claim (which an operator's correction replaces, never the other way round). The rider's week is
    priced again at once, so the refund (a negative charge) is recorded in the same transaction."""
    tap = taps.tap_by_id(session, tap_id)
    if tap is None or (operator_org_id is not None and tap.operator_id != operator_org_id) or \
            (rider_ref is not None and tap.rider_ref != rider_ref):  # fmt: skip
        raise TapNotFound()
    ls = operators.loaded(session, tap.system_id)
    if tap.network_id not in ls.stop_networks.get(stop_id, ()):
        raise InvalidTransitInput(f"{stop_id} is not a stop of {tap.network_id}")
    rider = lock_rider(session, tap.rider_ref)
    week = taps.week_start(tap.service_day)
    st = price_week(session, rider_ref=tap.rider_ref, system_id=tap.system_id, week=week)
    leg = next((p.leg for p in st.legs if p.leg.leg_id == tap_id), None)
    existing = session.scalars(select(TransitCorrection).where(TransitCorrection.tap_id == tap_id)).one_or_none()
    if leg is None or (leg.status not in (MISSING_TAP_OUT, MISSING_TAP_IN) and existing is None):
        raise CorrectionRefused()
    if existing is not None and existing.source == "operator" and source == "rider":
        raise CorrectionRefused("the operator has already corrected this leg")
    now = clock.now()
    who = actor if isinstance(actor, str) else (actor.id or actor.key)
    if existing is None:
        existing = TransitCorrection(tap_id=tap_id, rider_ref=tap.rider_ref, stop_id=stop_id, source=source,
                                     actor=who, reason=reason, created_at=now)
        session.add(existing)
    else:
        existing.stop_id, existing.source, existing.actor, existing.reason = stop_id, source, who, reason
        existing.created_at = now
    audit.record(session, actor=actor, action=f"transit.correction.{source}", subject_citizen_id=rider.citizen_id,
                 resource=f"transit/tap/{tap_id}", on_behalf_of=operator_org_id,
                 reason=f"更正行程 fare correction: left or entered by {stop_id}" + (f" ({reason})" if reason else ""))
    session.flush()
    reprice(session, rider_ref=tap.rider_ref, system_id=tap.system_id, week=week)
    outbox.emit(session, "transit.fare_corrected", {"tap_id": tap_id, "rider_ref": tap.rider_ref, "source": source,
                                                    "stop_id": stop_id})
    return CorrectionOut(tap_id=tap_id, stop_id=stop_id, source=source, created_at=now)
