"""Factories for the traffic tests, built through the real services (orgs, identity, ledger, traffic).
They only flush: commit before the app must see the rows.

    city = make_traffic(session)                 # a traffic-police agency with an operator
    d = make_driver(session, wallet=50_000)      # a citizen with a C1 licence and a car (粤B D12345-style)
    v = decide(session, city, d, code="1625")    # a red light: 6 points, 200.00 yuan
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.services.traffic import service
from onecity.services.traffic.schemas import LicenceIn, VehicleIn, ViolationIn, ViolationOut
from tests.identity.family.factories import Person, person
from tests.identity.orgs.factories import make_org, make_staff
from tests.payments.trade.factories import fund_wallet

ACTOR = "test:factory"
_PLATES = itertools.count(10001)


@dataclass
class Traffic:
    org: Any
    staff: Any


@dataclass
class Driver:
    person: Person
    plate: str

    @property
    def id(self) -> str:
        return self.person.id


def make_traffic(session: Session) -> Traffic:
    org = make_org(session, kind="agency", name="深圳市公安局交通警察支队")
    service.register_authority(session, org_id=org.public_id, actor=ACTOR)
    staff = make_staff(session, org, roles=("operator",))
    session.flush()
    return Traffic(org=org, staff=staff)


def fresh_plate(new_energy: bool = True) -> str:
    n = next(_PLATES)
    return f"粤BD{n:05d}" if new_energy else f"粤B{n:05d}"


def make_driver(session: Session, *, wallet: int = 0, licence: bool = True, cycle_start: date = date(2020, 3, 1),
                new_energy: bool = True) -> Driver:
    p = person(session)
    plate = fresh_plate(new_energy)
    service.register_vehicle(session, vehicle=VehicleIn(plate=plate, owner_id_number=p.id_number), actor=ACTOR)
    if licence:
        service.register_licence(session, licence=LicenceIn(id_number=p.id_number, licence_class="C1",
                                                            cycle_start=cycle_start), actor=ACTOR)
    if wallet:
        fund_wallet(session, p.id, wallet)
    session.flush()
    return Driver(person=p, plate=plate)


def violation(plate: str, *, code: str = "1625", ref: str | None = None, **kw: Any) -> ViolationIn:
    return ViolationIn(plate=plate, occurred_at=clock.now() - timedelta(hours=2), place="深南大道与华富路交叉口",
                       code=code, source_ref=ref, **kw)


def decide(session: Session, t: Traffic, d: Driver, *, code: str = "1625", **kw: Any) -> ViolationOut:
    out = service.record_violation(session, authority_org_id=t.org.public_id,
                                   violation=violation(d.plate, code=code, **kw), source="console", actor=ACTOR)
    session.flush()
    return out
