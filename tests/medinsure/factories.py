"""Factories for the medinsure core's tests, built through the real services (orgs, identity, family,
ledger, wallet, medinsure). They only flush: commit before the app must see the rows.

    city = make_city(session)                               # policies, two hospitals (levels 3, 2), a pharmacy
    p = make_insured(session, personal=8_000, wallet=50_000) # an employee with money on both accounts
    text = code_for(session, p)                              # a fresh insurance code (activated by face grant)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.identity.family import service as family
from onecity.ledger import service as ledger
from onecity.medinsure import service as med
from onecity.medinsure.models import MedAccumulator, MedInsured
from onecity.payments.codes import service as paycodes
from tests.identity.family.factories import Person, make_face_grant, person
from tests.identity.orgs.factories import make_api_key, make_org
from tests.payments.trade.factories import fund_wallet

ACTOR = "test:factory"


@dataclass
class City:
    hospital3: Any
    hospital2: Any
    pharmacy: Any


def make_city(session: Session) -> City:
    med.seed_policies(session)
    h3 = make_org(session, kind="hospital", name="鹏城市第一人民医院")
    h2 = make_org(session, kind="hospital", name="福田区人民医院")
    ph = make_org(session, kind="pharmacy", name="鹏城大药房")
    med.register_institution(session, org_id=h3.public_id, level=3, actor=ACTOR)
    med.register_institution(session, org_id=h2.public_id, level=2, actor=ACTOR)
    med.register_institution(session, org_id=ph.public_id, level=0, actor=ACTOR)
    session.flush()
    return City(hospital3=h3, hospital2=h2, pharmacy=ph)


def make_insured(session: Session, *, scheme: str = "employee", retiree: bool = False, personal: int = 0,
                 wallet: int = 0, activated: bool = True, born: date = date(1990, 3, 7),
                 small_limit: int | None = None) -> Person:
    p = person(session, born=born)
    med.enrol(session, citizen_id=p.id, scheme=scheme, retiree=retiree, actor=ACTOR)
    if personal:
        med.contribute(session, citizen_id=p.id, amount=personal, actor=ACTOR)
    if wallet:
        fund_wallet(session, p.id, wallet)
    if activated:
        grant = make_face_grant(session, p.citizen, act="medinsure.activate_code")
        med.activate_code(session, citizen_id=p.id, face_grant_id=grant)
    if small_limit is not None:
        paycodes.set_small_amount_limit(session, citizen_id=p.id, limit_fen=small_limit)
    session.flush()
    return p


def code_for(session: Session, p: Person, *, consent: bool = False, shown_by: Person | None = None) -> str:
    holder = shown_by or p
    return med.current_code(session, citizen_id=holder.id, subject_citizen_id=p.id, counter_consent=consent).text


def set_accumulators(session: Session, p: Person, *, year: int | None = None, outpatient: int = 0,
                     fund_paid: int = 0) -> None:
    """Year-to-date figures as if earlier bills had been settled (their money is not in the test)."""
    year = year or clock.today_local().year
    row = session.scalars(select(MedInsured).where(MedInsured.citizen_id == p.id)).one()
    session.add(MedAccumulator(insured_row_id=row.id, year=year, deductible_used={"outpatient": outpatient}
                               if outpatient else {}, fund_paid_fen=fund_paid, settlements=0,
                               updated_at=clock.now()))
    session.flush()


def accumulators(session: Session, p: Person, year: int | None = None) -> tuple[dict[str, int], int, int]:
    year = year or clock.today_local().year
    session.expire_all()
    row = session.scalars(select(MedInsured).where(MedInsured.citizen_id == p.id)).one()
    a = session.scalars(select(MedAccumulator).where(MedAccumulator.insured_row_id == row.id,
                                                     MedAccumulator.year == year)).one_or_none()
    if a is None:
        return {}, 0, 0
    return dict(a.deductible_used), a.fund_paid_fen, a.settlements


def link_pay_medical(session: Session, payer: Person, patient: Person, *, relation: str = "parent") -> None:
    """`payer` invites `patient` (relation = what the patient is to the payer) asking for pay_medical over
    them, and the patient accepts: the payer may now pay the patient's medical bills (and show their code)."""
    link = family.invite(session, inviter_id=payer.id, relation=relation, mobile=patient.mobile,
                         scopes=["pay_medical"], offered_scopes=[])
    family.accept(session, citizen_id=patient.id, link_id=link.id)
    session.flush()


def balance(session: Session, account_id: str) -> int:
    return ledger.balance(session, account_id).posted_balance


def api_key(session: Session, org: Any) -> tuple[str, str]:
    return make_api_key(session, org)


def open_visit(session: Session, city: City, p: Person, *, org: Any = None, visit_type: str = "outpatient",
               consent: bool = False, lines: list[dict[str, Any]] | None = None) -> str:
    """Scan `p`'s code at `org` (level-3 hospital by default) and upload `lines`; returns the visit id."""
    org = org or city.hospital3
    v = med.scan_code(session, institution_org_id=org.public_id, code=code_for(session, p, consent=consent),
                      visit_type=visit_type)
    if lines:
        med.upload_fees(session, institution_org_id=org.public_id, visit_id=v.visit_id, lines=lines)
    session.flush()
    return v.visit_id
