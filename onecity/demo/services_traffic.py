"""The demo city's traffic police: 深圳市公安局交通警察支队 (staff `traffic-police`, console
/console/services/traffic) decides violations; the demo family's vehicles and licences match the
certificates the wallet holds (王芳's 粤BD12345 and C1 licence first issued 2012-08-20), and:

- 王芳 ran a red light at 深南大道与华富路交叉口 (1625: 6 points, 200.00 unpaid) — scan its QR in the
  console and pay it in the app;
- 张伟's car was parked illegally at 福华三路 (1039, camera: 0 points, 200.00 unpaid).

Idempotent: the violations carry capture ids (`DEMO-…`), vehicles and licences are looked up first.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.demo import cast
from onecity.errors import DomainError
from onecity.services.traffic import service as traffic
from onecity.services.traffic.schemas import LicenceIn, VehicleIn, ViolationIn

ACTOR = "demo:seed"
VEHICLES = ((cast.MAIN, "粤BD12345"), (cast.SPOUSE, "粤B8K2M6"))
LICENCES = ((cast.MAIN, date(2012, 8, 20)), (cast.SPOUSE, date(2009, 4, 2)))
VIOLATIONS = (
    ("DEMO-1625-0001", "粤BD12345", "1625", "深南大道与华富路交叉口", timedelta(days=3, hours=5)),
    ("DEMO-1039-0001", "粤B8K2M6", "1039", "福华三路会展中心南侧", timedelta(days=6, hours=2)),
)


def seed(session: Session, report: Any, ids: dict[str, str], made: dict[str, Any]) -> None:
    police = made.get("traffic-police")
    if police is None:
        return
    traffic.register_authority(session, org_id=police.public_id, actor=ACTOR)
    for who, plate in VEHICLES:
        if who.key in ids:
            _try(report, f"vehicle {plate}", lambda who=who, plate=plate: traffic.register_vehicle(
                session, vehicle=VehicleIn(plate=plate, owner_id_number=who.id_number), actor=ACTOR))
    for who, start in LICENCES:
        if who.key in ids and traffic.licence_of(session, citizen_id=ids[who.key]) is None:
            _try(report, f"licence {who.name}", lambda who=who, start=start: traffic.register_licence(
                session, licence=LicenceIn(id_number=who.id_number, licence_class="C1", cycle_start=start),
                actor=ACTOR))
    now = clock.now()
    for ref, plate, code, place, ago in VIOLATIONS:
        when: datetime = (now - ago).replace(microsecond=0)
        body = ViolationIn(plate=plate, occurred_at=when, place=place, code=code, source_ref=ref)
        if not traffic.known_capture(session, authority_org_id=police.public_id, source_ref=ref):
            _try(report, f"violation {ref}", lambda body=body: traffic.record_violation(
                session, authority_org_id=police.public_id, violation=body, source="camera", actor=ACTOR))
    session.flush()


def _try(report: Any, what: str, fn: Any) -> None:
    try:
        fn()
    except DomainError as exc:
        report.problems.append(f"traffic {what}: {exc.code}")
