"""Traffic service: vehicles, licences, violations decided with points, the signed decision QR and
paying fines (with worked examples of the late penalty)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.errors import DomainError
from onecity.ledger.service.errors import InsufficientFunds
from onecity.payments.wallet import service as wallet
from onecity.services import collection
from onecity.services.applications import service as applications
from onecity.services.traffic import qr, rules, service, signing_key
from onecity.services.traffic.models import Violation
from onecity.services.traffic.schemas import LicenceIn, VehicleIn
from tests.identity.family.factories import person
from tests.identity.orgs.factories import make_org
from tests.payments.trade.factories import fund_wallet
from tests.services.traffic.factories import ACTOR, Traffic, decide, make_driver, violation


def _code(exc: pytest.ExceptionInfo[DomainError]) -> str:
    return exc.value.code


def _violations(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(Violation)) or 0)


def test_a_vehicle_needs_a_real_plate_and_a_verified_owner(session: Session, traffic: Traffic) -> None:
    p = person(session)
    with pytest.raises(DomainError) as e:
        service.register_vehicle(session, vehicle=VehicleIn(plate="粤BI2345", owner_id_number=p.id_number), actor=ACTOR)
    assert _code(e) == "plate_invalid"
    v = service.register_vehicle(session, vehicle=VehicleIn(plate="粤b·d12345", owner_id_number=p.id_number),
                                 actor=ACTOR)
    assert (v.plate, v.plate_kind, v.plate_masked) == ("粤BD12345", "new_energy", "粤B·****45")
    # the same again is the same vehicle; another owner for the plate is refused
    assert service.register_vehicle(session, vehicle=VehicleIn(plate="粤BD12345", owner_id_number=p.id_number),
                                    actor=ACTOR).vehicle_id == v.vehicle_id
    other = person(session)
    with pytest.raises(DomainError) as e:
        service.register_vehicle(session, vehicle=VehicleIn(plate="粤BD12345", owner_id_number=other.id_number),
                                 actor=ACTOR)
    assert _code(e) == "vehicle_exists"


def test_the_licence_number_is_the_id_number_kept_encrypted(session: Session, traffic: Traffic) -> None:
    d = make_driver(session)
    lic = service.licence_of(session, citizen_id=d.id)
    assert lic is not None and lic.number_masked == d.person.id_number[:4] + "*" * 10 + d.person.id_number[-4:]
    # first cycle began 1 March 2020; on 26 November 2026 the cycle is 2026-03-01 … 2027-02-28
    assert (lic.cycle_start, lic.cycle_end, lic.points_used, lic.points_left) == (date(2026, 3, 1),
                                                                                   date(2027, 2, 28), 0, 12)
    from onecity.services.traffic.models import DrivingLicence
    row = session.scalars(select(DrivingLicence)).one()
    assert d.person.id_number.encode() not in row.number_enc
    with pytest.raises(DomainError) as e:
        service.register_licence(session, licence=LicenceIn(id_number=d.person.id_number, licence_class="C1",
                                                            cycle_start=date(2020, 3, 1)), actor=ACTOR)
    assert _code(e) == "licence_exists"


def test_a_decision_gets_a_checked_number_and_its_points_go_to_the_driver(session: Session,
                                                                          traffic: Traffic) -> None:
    d = make_driver(session)
    v = decide(session, traffic, d, code="1625")  # red light: 6 points, 200.00
    assert rules.decision_number_valid(v.decision_no) and v.decision_no.startswith("440326")
    assert (v.points, v.fine_fen, v.status, v.penalty_fen, v.due_fen) == (6, 20_000, "unpaid", 0, 20_000)
    lic = service.licence_of(session, citizen_id=d.id)
    assert lic is not None and (lic.points_used, lic.points_left) == (6, 6)
    notices = applications.list_notices(session, citizen_id=d.id)
    assert [n.link for n in notices] == [f"/app/services/traffic/decision/{v.decision_no}"]
    assert "200.00" in notices[0].body.zh and "6分" in notices[0].body.zh
    # a named driver takes the points instead of the owner
    driver = make_driver(session)
    decide(session, traffic, d, code="1240", driver_id_number=driver.person.id_number)  # phone: 3 points
    assert service.licence_of(session, citizen_id=driver.id).points_used == 3  # type: ignore[union-attr]
    assert service.licence_of(session, citizen_id=d.id).points_used == 6  # type: ignore[union-attr]


def test_twelve_points_suspend_the_licence_and_only_a_suspended_one_is_reinstated(session: Session,
                                                                                  traffic: Traffic) -> None:
    d = make_driver(session)
    with pytest.raises(DomainError) as e:  # valid → reinstate: illegal
        service.reinstate_licence(session, citizen_id=d.id, actor=ACTOR)
    assert _code(e) == "licence_invalid"
    decide(session, traffic, d, code="1625")  # 6
    decide(session, traffic, d, code="1636")  # 6 + 6 = 12 → full score
    lic = service.licence_of(session, citizen_id=d.id)
    assert lic is not None and (lic.points_used, lic.status) == (12, "suspended")
    assert service.reinstate_licence(session, citizen_id=d.id, actor=ACTOR).status == "valid"
    lic = service.licence_of(session, citizen_id=d.id)
    assert lic is not None and (lic.points_used, lic.status) == (0, "valid")
    with pytest.raises(DomainError):  # valid again: reinstating twice is illegal
        service.reinstate_licence(session, citizen_id=d.id, actor=ACTOR)


def test_points_start_again_on_the_licence_anniversary(session: Session, traffic: Traffic) -> None:
    d = make_driver(session)  # cycles start on 1 March
    decide(session, traffic, d, code="1625")  # 6 points on 26 November 2026
    clock.freeze(clock.now() + timedelta(days=94))  # 28 February 2027: same cycle
    assert service.licence_of(session, citizen_id=d.id).points_used == 6  # type: ignore[union-attr]
    clock.freeze(clock.now() + timedelta(days=1))  # 1 March 2027: a new cycle
    lic = service.licence_of(session, citizen_id=d.id)
    assert lic is not None and (lic.cycle_start, lic.points_used) == (date(2027, 3, 1), 0)
    decide(session, traffic, d, code="1352")  # 1 point in the new cycle
    assert service.licence_of(session, citizen_id=d.id).points_used == 1  # type: ignore[union-attr]


def test_bad_violations_are_refused_and_nothing_is_recorded(session: Session, traffic: Traffic) -> None:
    d = make_driver(session)
    cases = [
        (violation("粤BI2345", code="1625"), "plate_invalid"),
        (violation("粤BD99999", code="1625"), "vehicle_not_found"),
        (violation(d.plate, code="9999"), "violation_code_unknown"),
        (violation(d.plate, code="1625", fine_fen=30_000), "violation_invalid"),  # 1625 is 200.00 exactly
        (violation(d.plate, code="1625").model_copy(update={"occurred_at": clock.now() + timedelta(hours=1)}),
         "violation_invalid"),
    ]
    for body, code in cases:
        with pytest.raises(DomainError) as e:
            service.record_violation(session, authority_org_id=traffic.org.public_id, violation=body, source="console",
                                     actor=ACTOR)
        assert _code(e) == code
    other = make_org(session, kind="agency")
    with pytest.raises(DomainError) as e:
        service.record_violation(session, authority_org_id=other.public_id, violation=violation(d.plate),
                                 source="console", actor=ACTOR)
    assert _code(e) == "traffic_not_an_authority"
    assert _violations(session) == 0
    assert service.licence_of(session, citizen_id=d.id).points_used == 0  # type: ignore[union-attr]


def test_a_camera_batch_is_idempotent_by_capture_id(session: Session, traffic: Traffic) -> None:
    d = make_driver(session)
    batch = [violation(d.plate, code="1352", ref="CAM-7-0001"), violation(d.plate, code="1039", ref="CAM-7-0002")]
    first = service.record_batch(session, authority_org_id=traffic.org.public_id, violations=batch, actor=ACTOR)
    again = service.record_batch(session, authority_org_id=traffic.org.public_id, violations=batch, actor=ACTOR)
    assert [v.decision_no for v in first] == [v.decision_no for v in again]
    assert _violations(session) == 2
    assert service.licence_of(session, citizen_id=d.id).points_used == 1  # type: ignore[union-attr]  # 1 + 0, once
    with pytest.raises(DomainError) as e:  # another violation under a used capture id
        service.record_batch(session, authority_org_id=traffic.org.public_id,
                             violations=[violation(d.plate, code="1625", ref="CAM-7-0001")], actor=ACTOR)
    assert _code(e) == "violation_conflict"
    with pytest.raises(DomainError) as e:
        service.record_batch(session, authority_org_id=traffic.org.public_id, violations=[violation(d.plate)],
                             actor=ACTOR)
    assert _code(e) == "violation_invalid"


def test_the_decision_qr_is_signed_and_an_altered_or_forged_one_is_refused(session: Session,
                                                                           traffic: Traffic) -> None:
    d = make_driver(session)
    v = decide(session, traffic, d)
    payload = service.decision_qr(session, decision_no=v.decision_no).payload
    assert payload.startswith("OCTD1.") and d.plate not in payload
    assert service.read_scanned(session, payload=payload).decision_no == v.decision_no
    assert service.read_scanned(session, payload=v.decision_no).decision_no == v.decision_no  # typed number
    head, body, sig = payload.split(".")
    altered = qr.DecisionQr(decision_no=v.decision_no, fine_fen=100, plate_masked=v.plate_masked,
                            decided_on=v.decided_on)
    forged_body = qr.encode(altered).split(".")[1]
    other_key = Ed25519PrivateKey.generate()  # someone else's key signing the true contents
    other_sig = signing_key.b64url(other_key.sign(signing_key.b64url_decode(body)))
    for bad in (f"{head}.{forged_body}.{sig}",  # the body changed, the old signature kept
                f"{head}.{body}.{other_sig}",  # the true body, signed with another key
                f"{head}.{body}.{sig[:10]}{'B' if sig[10] == 'A' else 'A'}{sig[11:]}",  # the signature changed
                qr.encode(altered),  # validly signed, but not what the decision says (fine 1.00)
                "OCTD1.abc", "hello"):
        with pytest.raises(DomainError) as e:
            service.read_scanned(session, payload=bad)
        assert _code(e) == "decision_qr_invalid", bad
    assert signing_key.verify(signing_key.b64url_decode(body), sig)


def test_anyone_may_pay_the_fine_the_points_stay_with_the_driver(session: Session, traffic: Traffic) -> None:
    d = make_driver(session, wallet=10_000)
    v = decide(session, traffic, d)
    friend = person(session)
    fund_wallet(session, friend.id, 50_000)
    paid = service.pay_fine(session, decision_no=v.decision_no, citizen_id=friend.id, expected_fen=20_000)
    assert (paid.fine_fen, paid.penalty_fen, paid.paid_fen) == (20_000, 0, 20_000)
    assert wallet.wallet_balance(session, friend.id) == 30_000  # 500.00 − 200.00
    assert wallet.wallet_balance(session, d.id) == 10_000  # untouched
    assert collection.received(session, traffic.org.public_id) == 20_000
    assert service.licence_of(session, citizen_id=d.id).points_used == 6  # type: ignore[union-attr]
    assert service.licence_of(session, citizen_id=friend.id) is None
    mine = service.my_traffic(session, citizen_id=d.id)
    assert [(x.status, x.paid_fen, x.paid_by_me) for x in mine.violations] == [("paid", 20_000, False)]


def test_paying_twice_is_refused_and_changes_nothing(session: Session, traffic: Traffic) -> None:
    d = make_driver(session, wallet=50_000)
    v = decide(session, traffic, d)
    service.pay_fine(session, decision_no=v.decision_no, citizen_id=d.id)
    with pytest.raises(DomainError) as e:
        service.pay_fine(session, decision_no=v.decision_no, citizen_id=d.id)
    assert (_code(e), e.value.status) == ("fine_already_paid", 409)
    assert wallet.wallet_balance(session, d.id) == 30_000  # 500.00 − 200.00, once
    assert collection.received(session, traffic.org.public_id) == 20_000


def test_late_penalty_is_added_when_paying_late(session: Session, traffic: Traffic) -> None:
    d = make_driver(session, wallet=100_000)
    v = decide(session, traffic, d)  # decided 26 November 2026, 200.00
    clock.freeze(clock.now() + timedelta(days=15))  # 11 December: day 15 → no penalty yet
    assert service.get_decision(session, decision_no=v.decision_no).due_fen == 20_000
    clock.freeze(clock.now() + timedelta(days=5))  # 16 December: day 20 → 5 days × 3% × 200.00 = 30.00
    shown = service.get_decision(session, decision_no=v.decision_no)
    assert (shown.penalty_fen, shown.due_fen) == (3_000, 23_000)
    with pytest.raises(DomainError) as e:  # the citizen saw 200.00 yesterday: refused, nothing moves
        service.pay_fine(session, decision_no=v.decision_no, citizen_id=d.id, expected_fen=20_000)
    assert _code(e) == "fine_amount_changed"
    assert wallet.wallet_balance(session, d.id) == 100_000
    paid = service.pay_fine(session, decision_no=v.decision_no, citizen_id=d.id, expected_fen=23_000)
    assert (paid.penalty_fen, paid.paid_fen) == (3_000, 23_000)
    assert wallet.wallet_balance(session, d.id) == 77_000  # 1000.00 − 230.00


def test_a_wallet_that_cannot_pay_moves_nothing(session: Session, traffic: Traffic) -> None:
    d = make_driver(session, wallet=5_000)
    v = decide(session, traffic, d)
    session.commit()
    with pytest.raises(InsufficientFunds):
        service.pay_fine(session, decision_no=v.decision_no, citizen_id=d.id)
    session.rollback()
    assert service.get_decision(session, decision_no=v.decision_no).status == "unpaid"
    assert wallet.wallet_balance(session, d.id) == 5_000


def test_decision_numbers_are_checked_before_looking_up(session: Session, traffic: Traffic) -> None:
    for number, code in (("123", "decision_number_invalid"), ("4403260000001238", "decision_number_invalid"),
                         ("4403260000001235", "decision_not_found")):
        with pytest.raises(DomainError) as e:
            service.get_decision(session, decision_no=number)
        assert _code(e) == code
