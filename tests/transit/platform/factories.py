"""Factories for the platform-side transit tests, built through the real services.

    net = make_network(session)                 # the demo fare system, a metro and a bus operator
    rider = make_rider(session, balance=5_000)  # a verified citizen with a wallet and a phone
    rec = rider.tap(at(0, "08:00"), "S01")      # one gate's upload record of a tap at S01 (metro in)
    set_clock(at(0, "09:00"))                   # upload after the taps: the platform refuses a tap dated
    upload(session, net.metro, [rec])           # more than gate.CLOCK_SKEW_S ahead of its clock (future_tap)
    session.commit()
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from onecity import clock
from onecity.identity.models import Citizen
from onecity.identity.orgs.signatures import sign_request
from onecity.transit import service
from onecity.transit.fares.config import DATA_DIR
from onecity.transit.ridecode import code
from onecity.transit.ridecode.keys import SigningKey
from tests.identity.orgs.factories import make_api_key, make_org
from tests.payments.trade.factories import make_buyer

CITY = ZoneInfo("Asia/Shanghai")
SYSTEM = "demo_transit_authority"


def at(day: int, hhmm: str) -> int:
    """Epoch seconds of `hhmm` local time on day `day` of the week of Monday 23 November 2026."""
    h, m = (int(x) for x in hhmm.split(":"))
    return int((datetime(2026, 11, 23, h, m, tzinfo=CITY) + timedelta(days=day)).timestamp())


def set_clock(epoch: int) -> None:
    clock.freeze(datetime.fromtimestamp(epoch, CITY))


@dataclass
class Operator:
    org: Any
    app_id: str
    pem: str

    def signed(self, method: str, path: str, body: Any = None, **extra: str) -> dict[str, Any]:
        raw = json.dumps(body).encode() if body is not None else b""
        headers = sign_request(self.pem, self.app_id, method, path, raw)
        if body is not None:
            headers["content-type"] = "application/json"
        return {"content": raw, "headers": {**headers, **extra}}


@dataclass
class Network:
    metro: Operator
    bus: Operator


def make_network(session: Session) -> Network:
    doc = json.loads((DATA_DIR / "demo_fares.json").read_text(encoding="utf-8"))
    service.install_fare_system(session, doc)
    ops = []
    for name, code_ in (("鹏城地铁", "demo_metro"), ("鹏城公交", "demo_bus")):
        org = make_org(session, kind="transit", name=name)
        service.register_operator(session, org_id=org.public_id, system_id=SYSTEM, operator_code=code_)
        app_id, pem = make_api_key(session, org, scopes=["operator", "finance"])
        ops.append(Operator(org, app_id, pem))
    session.flush()
    return Network(*ops)


@dataclass
class Rider:
    citizen: Citizen
    device: SigningKey
    certs: list[bytes] = field(default_factory=list)
    counter: int = 0

    @property
    def citizen_id(self) -> str:
        return str(self.citizen.public_id)

    def certify(self, session: Session) -> bytes:
        """A certificate for this phone from now (the clock) for 24 h."""
        out = service.issue_certificate(session, citizen_id=self.citizen_id, device_public=self.device.public)
        self.certs.append(base64.b64decode(out.certificate))
        return self.certs[-1]

    def code_text(self, ts: int, cert: bytes | None = None) -> str:
        self.counter += 1
        return code.to_qr_text(code.make_code(cert or self.certs[-1], self.device, ts=ts, counter=self.counter))

    def tap(self, when: int, stop: str, direction: str = "in", network: str = "metro", *,
            cert: bytes | None = None, gate: str | None = None) -> dict[str, Any]:
        """The gate's upload record for a code shown 2 s before the gate read it."""
        return {"gate_id": gate or f"g_{stop}_{direction}", "stop_id": stop, "network": network,
                "direction": direction, "at": when, "code": self.code_text(when - 2, cert)}

    def ride(self, frm_at: int, frm: str, to_at: int, to: str) -> list[dict[str, Any]]:
        return [self.tap(frm_at, frm, "in"), self.tap(to_at, to, "out")]


def make_rider(session: Session, *, balance: int = 0, certify: bool = True) -> Rider:
    citizen = make_buyer(session, balance=balance)
    r = Rider(citizen, SigningKey.generate())
    if certify:
        r.certify(session)
    session.flush()
    return r


def upload(session: Session, op: Operator | str, records: list[dict[str, Any]]) -> Any:
    """Upload as an operator (or an operator org id) through the service (the API tests go through HTTP)."""
    from onecity.transit.schemas import TapIn

    org_id = op if isinstance(op, str) else op.org.public_id
    return service.upload(session, operator_org_id=org_id, taps=[TapIn(**r) for r in records])


def rider_ref(session: Session, r: Rider) -> str:
    return service.rider(session, r.citizen_id).rider_ref
