"""The demo city's transit: the demo fare system (onecity/transit/data/demo_fares.json) with its metro
run by the city's metro company and its bus lines by the bus company, the platform keys, and the
demo citizens as riders (they get a ride code in the app). `seed_demo_rides` gives one rider three
days of rides, uploaded and priced as the gates and the worker would, so the trip history and the
operators' revenue per day have something to show. Idempotent: seeding twice changes nothing."""

from __future__ import annotations

import base64
import json
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.money import Money
from onecity.payments.wallet import service as wallet
from onecity.transit.fares.config import DATA_DIR
from onecity.transit.models import TransitCharge, TransitTap
from onecity.transit.ridecode import code
from onecity.transit.ridecode.keys import SigningKey
from onecity.transit.schemas import TapIn
from onecity.transit.service import debit, fares, keys, operators, riders, taps

DEMO_FARES = DATA_DIR / "demo_fares.json"

# days before today → the rides of that day: (tap in, stop, tap out, stop) on the metro, or (time, stop) on
# bus 600. Fares: S01 → S04 5,200 m ¥2, S04 → S06 4,300 m ¥2, bus ¥2 − ¥1 transfer = ¥5.00; S01 ⇄ S06
# 9,500 m ¥3 each way = ¥6.00; S03 ⇄ S08 20,400 m ¥4 each way, bus ¥1 after the metro = ¥9.00.
DEMO_RIDES: dict[int, list[tuple[str, ...]]] = {
    3: [("08:10", "S01", "08:32", "S04"), ("18:05", "S04", "18:30", "S06"), ("18:40", "B600-01")],
    2: [("08:05", "S01", "08:35", "S06"), ("17:50", "S06", "18:20", "S01")],
    1: [("09:00", "S03", "09:40", "S08"), ("19:00", "S08", "19:40", "S03"), ("19:55", "B600-03")],
}


def seed_demo(session: Session, *, metro_org_id: str | None, bus_org_id: str | None,
              citizen_ids: list[str]) -> list[str]:
    """Returns the lines the seed report prints."""
    doc = json.loads(DEMO_FARES.read_text(encoding="utf-8"))
    system_id = operators.install_fare_system(session, doc)
    out = []
    for org_id, code_ in ((metro_org_id, "demo_metro"), (bus_org_id, "demo_bus")):
        if org_id is not None:
            op = operators.register_operator(session, org_id=org_id, system_id=system_id, operator_code=code_)
            out.append(f"transit operator {org_id} runs {code_} ({system_id}), fares into {op.ledger_account_id}")
    keys.ensure_keys(session)
    for citizen_id in citizen_ids:
        riders.rider(session, citizen_id)
    out.append(f"transit riders: {len(citizen_ids)} demo citizens can show a ride code")
    return out


def seed_demo_rides(session: Session, *, citizen_id: str, metro_org_id: str, bus_org_id: str | None) -> list[str]:
    """Three days of rides for one rider (DEMO_RIDES, the days before today): a phone certified each
    morning, codes the gates accepted, uploaded through `taps.upload` by each operator, then priced.
    The fares are debited now if the wallet covers them, else by the worker's `transit.debit` job.
    Nothing is done when the rider already has taps."""
    r = riders.rider(session, citizen_id)
    if session.scalars(select(TransitTap.id).where(TransitTap.rider_ref == r.rider_ref).limit(1)).first():
        return []
    tz = clock.CITY_TZ
    today = clock.today_local().date()
    phone = SigningKey.generate()
    uploads: dict[str, list[TapIn]] = {metro_org_id: []}
    counter = 0
    for back, rides in sorted(DEMO_RIDES.items(), reverse=True):
        day: date = today - timedelta(days=back)
        morning = int(datetime.combine(day, time(5, 0), tz).timestamp())
        cert = riders.issue_certificate(session, citizen_id=citizen_id, device_public=phone.public,
                                        not_before=morning).certificate
        for ride in rides:
            if len(ride) == 2 and bus_org_id is None:
                continue
            legs = [(ride[0], ride[1], "in"), (ride[2], ride[3], "out")] if len(ride) == 4 else [(*ride, "in")]
            for hhmm, stop, direction in legs:
                h, m = (int(x) for x in hhmm.split(":"))
                at = int(datetime.combine(day, time(h, m), tz).timestamp())
                counter += 1
                text = code.to_qr_text(code.make_code(base64.b64decode(cert), phone, ts=at - 2, counter=counter))
                network = "metro" if len(ride) == 4 else "bus"
                tap = TapIn(gate_id=f"demo_{stop}_{direction}", stop_id=stop, network=network, direction=direction,
                            at=at, code=text)
                uploads.setdefault(metro_org_id if network == "metro" else str(bus_org_id), []).append(tap)
    accepted = sum(taps.upload(session, operator_org_id=org, taps=batch).accepted for org, batch in uploads.items())
    fares.price_due(session)
    outstanding = session.scalar(select(func.coalesce(func.sum(TransitCharge.amount), 0)).where(
        TransitCharge.rider_ref == r.rider_ref, TransitCharge.status.in_(debit.OUTSTANDING))) or 0
    paid = outstanding > 0 and wallet.wallet_balance(session, citizen_id) >= outstanding
    if paid:
        debit.settle_rider(session, rider_ref=r.rider_ref, through=today - timedelta(days=1))
    state = "paid from the wallet" if paid else "due: the worker debits it"
    return [f"transit rides: {accepted} taps over {len(DEMO_RIDES)} days for {citizen_id}, fares "
            f"{Money(int(outstanding)).format()} {state}"]
