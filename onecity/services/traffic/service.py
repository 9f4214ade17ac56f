"""The traffic police's API: vehicles, driving licences and their points, violations decided with a
decision number, the decision's signed QR, and fines paid through `services.collection`.

Rules kept here:
- A violation is recorded by a traffic-police authority (staff in the console, or the authority's
  signed API for camera captures, idempotent by capture id) and decided at once: it gets its decision
  number (`rules.decision_number`) and its points go to the driver's licence in the same transaction
  (the named driver, else the vehicle's owner). 12 points in a cycle suspend the licence (满分).
- A licence's scoring cycle rolls over on its anniversary: points start again from 0 (a suspended
  licence stays suspended until `reinstate_licence` after the study and exam).
- A fine is paid once, by anyone holding the decision (the payer need not be the driver): fine +
  today's late penalty (`rules.late_penalty`), wallet → the authority's payee account in one ledger
  transfer whose id is fixed by the violation, under a row lock, so two payers at once pay once.
  Paying a paid fine is refused (`fine_already_paid`) and changes nothing.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onecity import clock, money, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.credentials import service as credentials
from onecity.crypto import fields
from onecity.identity import service as identity
from onecity.identity.orgs import service as orgs
from onecity.identity.resident_id import mask_id_number
from onecity.ids import new_id
from onecity.services import collection
from onecity.services.applications import service as applications
from onecity.services.catalogue.schemas import I18n
from onecity.services.traffic import qr, rules
from onecity.services.traffic.errors import (
    DecisionNotFound,
    DecisionNumberInvalid,
    DecisionQrInvalid,
    FineAlreadyPaid,
    FineAmountChanged,
    HolderNotFound,
    LicenceExists,
    LicenceInvalid,
    LicenceNotFound,
    NotAnAuthority,
    PlateInvalid,
    VehicleExists,
    VehicleNotFound,
    ViolationCodeUnknown,
    ViolationConflict,
    ViolationInvalid,
)
from onecity.services.traffic.models import DrivingLicence, TrafficAuthority, Vehicle, Violation
from onecity.services.traffic.schemas import (
    DecisionQrOut,
    LicenceIn,
    LicenceOut,
    MyTrafficOut,
    PaymentOut,
    VehicleIn,
    VehicleOut,
    ViolationIn,
    ViolationOut,
)

FINE_CODE = "fine"
ENC_LICENCE_NUMBER = "svc.traffic.licence_number"
IDX_LICENCE_NUMBER = "svc.traffic.licence_number"
DRIVING_LICENCE_TYPE = "driving_licence"
DATA = Path(__file__).parent / "data" / "violation_codes.json"


def _actor_id(actor: Principal | str) -> str:
    return actor if isinstance(actor, str) else (actor.id or actor.kind)


@lru_cache
def violation_codes() -> dict[str, dict[str, Any]]:
    """The violation codes the city uses: names, points and the fine range in fen."""
    return dict(json.loads(DATA.read_text(encoding="utf-8"))["codes"])


def _today() -> date:
    return clock.today_local().date()


# --- authorities ----------------------------------------------------------------------------------

def register_authority(session: Session, *, org_id: str, actor: Principal | str, prefix: str | None = None) -> None:
    """Make an agency a traffic-police authority (idempotent). `prefix` defaults to the first four
    digits of the city's code (4403)."""
    org = orgs.get_org(session, org_id)
    if org.kind != "agency":
        raise NotAnAuthority(detail="only an agency can be a traffic-police authority")
    if session.scalars(select(TrafficAuthority).where(TrafficAuthority.org_id == org_id)).one_or_none():
        return
    prefix = prefix or get_settings().city_code[:4]
    session.add(TrafficAuthority(org_id=org_id, prefix=prefix, created_at=clock.now()))
    session.flush()
    audit.record(session, actor=actor, action="services.traffic.authority.register", subject_citizen_id=None,
                 resource=f"services/traffic/authorities/{org_id}", reason="交通管理部门开通 (traffic authority)")


def _authority(session: Session, org_id: str | None) -> TrafficAuthority:
    row = session.scalars(select(TrafficAuthority).where(TrafficAuthority.org_id == (org_id or ""))).one_or_none()
    if row is None:
        raise NotAnAuthority()
    return row


def authority_of(session: Session, org_id: str | None) -> str:
    """The org id when it is a traffic-police authority (NotAnAuthority otherwise)."""
    return _authority(session, org_id).org_id


def is_authority(session: Session, org_id: str | None) -> bool:
    """Whether the organisation is a traffic-police authority (it has the traffic console)."""
    return session.scalars(select(TrafficAuthority.id).where(TrafficAuthority.org_id == (org_id or ""))).first() \
        is not None


# --- vehicles -------------------------------------------------------------------------------------

def parse_plate(text: str) -> tuple[str, str]:
    """(normalised plate, kind) or PlateInvalid."""
    plate = rules.normalise_plate(text)
    kind = rules.plate_kind(plate)
    if kind is None:
        raise PlateInvalid()
    return plate, kind


def _holder(session: Session, id_number: str) -> str:
    citizen = identity.get_citizen_by_id_number(session, id_number)  # IdNumber*Error when malformed
    if citizen is None:
        raise HolderNotFound()
    return citizen.public_id


def _vehicle_out(v: Vehicle) -> VehicleOut:
    return VehicleOut(vehicle_id=v.public_id, plate=v.plate, plate_masked=rules.mask_plate(v.plate),
                      plate_kind=v.plate_kind, vehicle_type=v.vehicle_type, owner_citizen_id=v.owner_citizen_id)


def register_vehicle(session: Session, *, vehicle: VehicleIn, actor: Principal | str) -> VehicleOut:
    """Register a vehicle to its owner (idempotent for the same plate and owner)."""
    plate, kind = parse_plate(vehicle.plate)
    owner = _holder(session, vehicle.owner_id_number)
    existing = session.scalars(select(Vehicle).where(Vehicle.plate == plate)).one_or_none()
    if existing is not None:
        if existing.owner_citizen_id != owner or existing.vehicle_type != vehicle.vehicle_type:
            raise VehicleExists()
        return _vehicle_out(existing)
    row = Vehicle(public_id=new_id("veh"), plate=plate, plate_kind=kind, vehicle_type=vehicle.vehicle_type,
                  owner_citizen_id=owner, created_at=clock.now())
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="services.traffic.vehicle.register", subject_citizen_id=owner,
                 resource=f"services/traffic/vehicles/{row.public_id}", reason="机动车登记 (vehicle registered)")
    return _vehicle_out(row)


def vehicles_of(session: Session, *, citizen_id: str) -> list[VehicleOut]:
    rows = session.scalars(select(Vehicle).where(Vehicle.owner_citizen_id == citizen_id).order_by(Vehicle.id))
    return [_vehicle_out(v) for v in rows]


# --- licences and points --------------------------------------------------------------------------

def _licence_out(lic: DrivingLicence, today: date) -> LicenceOut:
    """The licence as of `today`: a cycle that has rolled over shows 0 points (valid licences)."""
    start = rules.current_cycle_start(lic.first_cycle_start, today)
    points = lic.points_used if (start == lic.cycle_start or lic.status == "suspended") else 0
    start = lic.cycle_start if lic.status == "suspended" else start
    status = "suspended" if lic.status == "suspended" else "valid"
    return LicenceOut(licence_id=lic.public_id, citizen_id=lic.citizen_id, number_masked=lic.number_masked,
                      licence_class=lic.licence_class, cycle_start=start,
                      cycle_end=rules.add_years(start, 1) - timedelta(days=1), points_used=points,
                      points_left=max(0, rules.FULL_SCORE - points), status=status)


def register_licence(session: Session, *, licence: LicenceIn, actor: Principal | str) -> LicenceOut:
    """A driving licence record for a verified citizen; its number is their ID number."""
    citizen_id = _holder(session, licence.id_number)
    number = licence.id_number.strip().upper()
    if licence.cycle_start > _today():
        raise LicenceInvalid(detail="the scoring cycle cannot start in the future")
    index = fields.blind_index(number, purpose=IDX_LICENCE_NUMBER)
    if session.scalars(select(DrivingLicence.id).where(or_(DrivingLicence.citizen_id == citizen_id,
                                                           DrivingLicence.number_index == index))).first():
        raise LicenceExists()
    now = clock.now()
    start = rules.current_cycle_start(licence.cycle_start, _today())
    row = DrivingLicence(public_id=new_id("dl"), citizen_id=citizen_id, number_index=index,
                         number_enc=fields.encrypt(number, purpose=ENC_LICENCE_NUMBER),
                         number_masked=mask_id_number(number), licence_class=licence.licence_class,
                         first_cycle_start=licence.cycle_start, cycle_start=start, points_used=0, status="valid",
                         created_at=now, updated_at=now)
    session.add(row)
    session.flush()
    audit.record(session, actor=actor, action="services.traffic.licence.register", subject_citizen_id=citizen_id,
                 resource=f"services/traffic/licences/{row.public_id}", reason="驾驶证记录 (driving licence record)")
    return _licence_out(row, _today())


def licence_of(session: Session, *, citizen_id: str) -> LicenceOut | None:
    row = session.scalars(select(DrivingLicence).where(DrivingLicence.citizen_id == citizen_id)).one_or_none()
    return None if row is None else _licence_out(row, _today())


def _roll_cycle(lic: DrivingLicence, today: date) -> None:
    start = rules.current_cycle_start(lic.first_cycle_start, today)
    if start != lic.cycle_start and lic.status == "valid":
        lic.cycle_start, lic.points_used = start, 0


def _apply_points(session: Session, lic: DrivingLicence, points: int, violation: Violation,
                  actor: Principal | str) -> None:
    """Points of a decided violation onto the licence (row locked); 12 or more suspend it."""
    session.refresh(lic, with_for_update=True)
    _roll_cycle(lic, violation.decided_on)
    lic.points_used += points
    lic.updated_at = clock.now()
    if lic.points_used >= rules.FULL_SCORE and lic.status == "valid":
        lic.status = "suspended"
        audit.record(session, actor=actor, action="services.traffic.licence.suspend", subject_citizen_id=lic.citizen_id,
                     resource=f"services/traffic/licences/{lic.public_id}",
                     reason=f"记分周期内累积记分{lic.points_used}分，达到满分 (12 points: licence suspended)")
        outbox.emit(session, "services.traffic.licence_suspended",
                    {"licence_id": lic.public_id, "citizen_id": lic.citizen_id, "points": lic.points_used})


def reinstate_licence(session: Session, *, citizen_id: str, actor: Principal | str) -> LicenceOut:
    """满分 study and exam passed: a suspended licence is valid again with its points cleared.
    Only suspended → valid; anything else is refused (LicenceInvalid)."""
    lic = session.scalars(select(DrivingLicence).where(DrivingLicence.citizen_id == citizen_id)
                          .with_for_update()).one_or_none()
    if lic is None:
        raise LicenceNotFound()
    if lic.status != "suspended":
        raise LicenceInvalid(detail="only a suspended licence can be reinstated")
    lic.status, lic.points_used = "valid", 0
    lic.cycle_start = rules.current_cycle_start(lic.first_cycle_start, _today())
    lic.updated_at = clock.now()
    audit.record(session, actor=actor, action="services.traffic.licence.reinstate", subject_citizen_id=citizen_id,
                 resource=f"services/traffic/licences/{lic.public_id}", reason="满分学习考试合格 (reinstated)")
    return _licence_out(lic, _today())


# --- violations and decisions ---------------------------------------------------------------------

def _view(session: Session, v: Violation, *, viewer: str | None = None, today: date | None = None,
          names: dict[str, str] | None = None) -> ViolationOut:
    today = today or _today()
    if v.status == "paid":
        penalty, due = v.penalty_fen or 0, 0
    else:
        penalty = rules.late_penalty(v.fine_fen, v.decided_on, today)
        due = v.fine_fen + penalty
    if names is None:
        names = orgs.org_names(session, {v.authority_org_id})
    return ViolationOut(violation_id=v.public_id, decision_no=v.decision_no, authority_org_id=v.authority_org_id,
                        authority_name=names.get(v.authority_org_id), plate_masked=rules.mask_plate(v.plate),
                        occurred_at=v.occurred_at, place=v.place, code=v.code, description=v.description,
                        points=v.points, fine_fen=v.fine_fen, decided_at=v.decided_at, decided_on=v.decided_on,
                        status="paid" if v.status == "paid" else "unpaid", source=v.source, penalty_fen=penalty,
                        due_fen=due, paid_fen=v.paid_fen, paid_at=v.paid_at,
                        paid_by_me=None if viewer is None or v.status != "paid" else v.paid_by_citizen_id == viewer)


def _same(v: Violation, vehicle: Vehicle, body: ViolationIn, fine: int, lic_id: int | None) -> bool:
    return (v.vehicle_row_id == vehicle.id and v.code == body.code and v.fine_fen == fine
            and v.place == body.place.strip() and v.occurred_at == body.occurred_at and v.licence_row_id == lic_id)


def record_violation(session: Session, *, authority_org_id: str, violation: ViolationIn, source: str,
                     actor: Principal | str) -> ViolationOut:
    """Record and decide a violation (see the module's rules). Idempotent by `source_ref`: the same
    capture again returns the first decision; a different violation under it is a conflict."""
    auth = _authority(session, authority_org_id)
    plate, _ = parse_plate(violation.plate)
    spec = violation_codes().get(violation.code)
    if spec is None:
        raise ViolationCodeUnknown()
    fine = spec["fine_min"] if violation.fine_fen is None else violation.fine_fen
    if not spec["fine_min"] <= fine <= spec["fine_max"]:
        raise ViolationInvalid(detail=f"the fine for {violation.code} is between {spec['fine_min']} and "
                                      f"{spec['fine_max']} fen")
    if violation.occurred_at.tzinfo is None:
        raise ViolationInvalid(detail="occurred_at needs a time zone")
    now = clock.now()
    if violation.occurred_at > now:
        raise ViolationInvalid(detail="occurred_at is in the future")
    vehicle = session.scalars(select(Vehicle).where(Vehicle.plate == plate)).one_or_none()
    if vehicle is None:
        raise VehicleNotFound()
    driver = _holder(session, violation.driver_id_number) if violation.driver_id_number else vehicle.owner_citizen_id
    lic = session.scalars(select(DrivingLicence).where(DrivingLicence.citizen_id == driver)).one_or_none()
    lic_id = lic.id if lic is not None else None
    if violation.source_ref is not None:
        seen = session.scalars(select(Violation).where(Violation.authority_org_id == authority_org_id,
                                                       Violation.source_ref == violation.source_ref)).one_or_none()
        if seen is not None:
            if not _same(seen, vehicle, violation, fine, lic_id):
                raise ViolationConflict()
            return _view(session, seen)
    public_id = new_id("vio")
    today = _today()
    row = Violation(public_id=public_id, decision_no=public_id, authority_org_id=authority_org_id,
                    vehicle_row_id=vehicle.id, plate=plate, licence_row_id=lic_id, occurred_at=violation.occurred_at,
                    place=violation.place.strip(), code=violation.code,
                    description=(violation.description or "").strip() or spec["zh"], points=int(spec["points"]),
                    fine_fen=fine, decided_at=now, decided_on=today, status="unpaid", source=source,
                    source_ref=violation.source_ref, recorded_by=_actor_id(actor))
    session.add(row)
    session.flush()
    # The serial is the row's own number: unique without a counter to lock.
    row.decision_no = rules.decision_number(auth.prefix, today.year, row.id)
    if lic is not None and row.points:
        _apply_points(session, lic, row.points, row, actor)
    session.flush()
    audit.record(session, actor=actor, action="services.traffic.violation.decide", subject_citizen_id=driver,
                 resource=f"services/traffic/decisions/{row.decision_no}",
                 reason=f"交通违法处罚决定 {row.code} (penalty decision)")
    for citizen in dict.fromkeys((vehicle.owner_citizen_id, driver)):
        applications.notify(session, citizen_id=citizen, link=f"/app/services/traffic/decision/{row.decision_no}",
                            title=I18n(zh="交通违法处罚决定", en="Traffic penalty decision"),
                            body=I18n(zh=f"{rules.mask_plate(plate)} {row.place}：{row.description}，罚款"
                                         f"{money.yuan(fine)}元，记{row.points}分。决定书编号{row.decision_no}",
                                      en=f"{rules.mask_plate(plate)} at {row.place}: fine {money.yuan(fine)} "
                                         f"yuan, {row.points} points. Decision {row.decision_no}"))
    outbox.emit(session, "services.traffic.violation_decided",
                {"decision_no": row.decision_no, "violation_id": row.public_id, "driver_citizen_id": driver,
                 "owner_citizen_id": vehicle.owner_citizen_id, "fine_fen": fine, "points": row.points})
    return _view(session, row)


def known_capture(session: Session, *, authority_org_id: str, source_ref: str) -> bool:
    """Whether the authority has recorded a violation under this capture id."""
    return session.scalars(select(Violation.id).where(Violation.authority_org_id == authority_org_id,
                                                      Violation.source_ref == source_ref)).first() is not None


def record_batch(session: Session, *, authority_org_id: str, violations: list[ViolationIn],
                 actor: Principal | str) -> list[ViolationOut]:
    """A camera upload: every item needs its capture id; all are recorded or none (one bad item
    fails the batch)."""
    if any(v.source_ref is None for v in violations):
        raise ViolationInvalid(detail="every captured violation needs its source_ref (capture id)")
    return [record_violation(session, authority_org_id=authority_org_id, violation=v, source="camera", actor=actor)
            for v in violations]


def _by_number(session: Session, decision_no: str, *, lock: bool = False) -> Violation:
    number = (decision_no or "").strip()
    if not rules.decision_number_valid(number):
        raise DecisionNumberInvalid()
    q = select(Violation).where(Violation.decision_no == number)
    row = session.scalars(q.with_for_update() if lock else q).one_or_none()
    if row is None:
        raise DecisionNotFound()
    return row


def _own_decision(session: Session, decision_no: str, authority_org_id: str | None) -> Violation:
    """The decision by number; with `authority_org_id`, only when that authority decided it."""
    if authority_org_id is not None:
        _authority(session, authority_org_id)
    row = _by_number(session, decision_no)
    if authority_org_id is not None and row.authority_org_id != authority_org_id:
        raise DecisionNotFound()
    return row


def get_decision(session: Session, *, decision_no: str, viewer_citizen_id: str | None = None,
                 authority_org_id: str | None = None) -> ViolationOut:
    """A decision by its number (anyone holding the number may see the fine, as on paper); an
    authority sees only its own (an organisation that is no authority: NotAnAuthority)."""
    row = _own_decision(session, decision_no, authority_org_id)
    return _view(session, row, viewer=viewer_citizen_id)


def decision_qr(session: Session, *, decision_no: str, authority_org_id: str | None = None) -> DecisionQrOut:
    row = _own_decision(session, decision_no, authority_org_id)
    payload = qr.encode(qr.DecisionQr(decision_no=row.decision_no, fine_fen=row.fine_fen,
                                      plate_masked=rules.mask_plate(row.plate), decided_on=row.decided_on))
    return DecisionQrOut(decision_no=row.decision_no, payload=payload)


def read_scanned(session: Session, *, payload: str, viewer_citizen_id: str | None = None) -> ViolationOut:
    """The decision a scanned QR names: signature checked, and its contents must match the record."""
    text = payload.strip()
    if rules.decision_number_valid(text):  # the number typed (or a QR of just the number)
        return get_decision(session, decision_no=text, viewer_citizen_id=viewer_citizen_id)
    q = qr.decode(text)
    try:
        row = _by_number(session, q.decision_no)
    except (DecisionNotFound, DecisionNumberInvalid) as exc:
        raise DecisionQrInvalid() from exc
    if (row.fine_fen, rules.mask_plate(row.plate), row.decided_on) != (q.fine_fen, q.plate_masked, q.decided_on):
        raise DecisionQrInvalid()
    return _view(session, row, viewer=viewer_citizen_id)


def pay_fine(session: Session, *, decision_no: str, citizen_id: str, expected_fen: int | None = None,
             actor: Principal | None = None) -> PaymentOut:
    """Pay fine + today's late penalty from the citizen's wallet (see the module's rules). `actor`: the
    signed-in payer (the audit shows a citizen actor); without one the payer's id is recorded."""
    row = _by_number(session, decision_no, lock=True)
    if row.status == "paid":
        raise FineAlreadyPaid()
    today = _today()
    penalty = rules.late_penalty(row.fine_fen, row.decided_on, today)
    due = row.fine_fen + penalty
    if expected_fen is not None and expected_fen != due:
        raise FineAmountChanged(expected_fen=expected_fen, due_fen=due)
    transfer_id = f"svc-fine-{row.public_id}"
    collection.collect(session, citizen_id=citizen_id, payee_org_id=row.authority_org_id, amount=due, code=FINE_CODE,
                       ref=row.decision_no, transfer_id=transfer_id)  # InsufficientFunds: nothing moves
    now = clock.now()
    row.status, row.paid_at, row.paid_by_citizen_id = "paid", now, citizen_id
    row.penalty_fen, row.paid_fen, row.transfer_id = penalty, due, transfer_id
    session.flush()
    owner = session.get(Vehicle, row.vehicle_row_id)
    subject = owner.owner_citizen_id if owner is not None else citizen_id
    audit.record(session, actor=actor if actor is not None else citizen_id, action="services.traffic.fine.pay", subject_citizen_id=subject,
                 resource=f"services/traffic/decisions/{row.decision_no}",
                 reason=f"缴纳罚款 {due} 分（含加处罚款 {penalty} 分） (fine paid)")
    outbox.emit(session, "services.traffic.fine_paid",
                {"decision_no": row.decision_no, "payer_citizen_id": citizen_id, "fine_fen": row.fine_fen,
                 "penalty_fen": penalty, "paid_fen": due, "authority_org_id": row.authority_org_id})
    return PaymentOut(decision_no=row.decision_no, fine_fen=row.fine_fen, penalty_fen=penalty, paid_fen=due,
                      paid_at=now, transfer_id=transfer_id)


# --- views ----------------------------------------------------------------------------------------

def e_licence_credential(session: Session, *, citizen_id: str) -> str | None:
    """The citizen's valid electronic driving licence in their certificate wallet, if any."""
    for c in credentials.list_for_citizen(session, citizen_id=citizen_id):
        if c.type_id == DRIVING_LICENCE_TYPE and c.status == "valid":
            return c.credential_id
    return None


def violations_of(session: Session, *, citizen_id: str) -> list[ViolationOut]:
    """Violations of the citizen's vehicles and those where they were the driver, newest first."""
    vehicle_ids = select(Vehicle.id).where(Vehicle.owner_citizen_id == citizen_id)
    licence_ids = select(DrivingLicence.id).where(DrivingLicence.citizen_id == citizen_id)
    rows = session.scalars(select(Violation).where(or_(Violation.vehicle_row_id.in_(vehicle_ids),
                                                       Violation.licence_row_id.in_(licence_ids)))
                           .order_by(Violation.id.desc()).limit(200)).all()
    names = orgs.org_names(session, {r.authority_org_id for r in rows})
    today = _today()
    return [_view(session, r, viewer=citizen_id, today=today, names=names) for r in rows]


def my_traffic(session: Session, *, citizen_id: str) -> MyTrafficOut:
    return MyTrafficOut(vehicles=vehicles_of(session, citizen_id=citizen_id),
                        licence=licence_of(session, citizen_id=citizen_id),
                        e_licence_credential_id=e_licence_credential(session, citizen_id=citizen_id),
                        violations=violations_of(session, citizen_id=citizen_id))


def list_for_authority(session: Session, *, authority_org_id: str, status: str | None = None,
                       limit: int = 100) -> list[ViolationOut]:
    _authority(session, authority_org_id)
    q = select(Violation).where(Violation.authority_org_id == authority_org_id)
    if status in ("unpaid", "paid"):
        q = q.where(Violation.status == status)
    rows = session.scalars(q.order_by(Violation.id.desc()).limit(max(1, min(limit, 500)))).all()
    names = orgs.org_names(session, {authority_org_id})
    today = _today()
    return [_view(session, r, today=today, names=names) for r in rows]
