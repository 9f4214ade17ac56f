"""Insured people (参保人) and the money accounts of the basic scheme.

- The pooled fund (统筹基金) is one city ledger account without a limit: what it pays out beyond what
  came in is the fund's payable (its balance may go negative).
- Each insured person's personal account (个人账户) is a ledger account that can never be overdrawn;
  it is credited from the city's contributions account (`contribute`).
- Accumulators (year to date, per insured person and year) are read here and changed only under a row
  lock (`lock_accumulators`), so concurrent settlements of one person are applied one after the other
  and cannot both cross the deductible or the cap.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.db import is_postgres
from onecity.identity import service as identity
from onecity.ids import new_id
from onecity.ledger import service as ledger
from onecity.ledger.schemas import DEBITS_MUST_NOT_EXCEED_CREDITS, HOT
from onecity.medinsure import rules
from onecity.medinsure.errors import AlreadyEnrolled, EnrolmentInvalid, NotInsured
from onecity.medinsure.models import MedAccumulator, MedInsured
from onecity.medinsure.schemas import AccumulatorsOut, InsuredOut
from onecity.medinsure.service.policies import city as policy_city

# --- the city's accounts -------------------------------------------------------------------------

def fund_account_id(session: Session) -> str:
    """The pooled fund's ledger account (opened on first use). Every settlement debits it: HOT, so the
    ledger locks it last."""
    c = policy_city(session)
    return ledger.open_account(session, key=f"medinsure:fund:{c}", code="medinsure_fund", owner=f"city:{c}",
                               flags=HOT, name="医保统筹基金 pooled fund").id


def contributions_account_id(session: Session) -> str:
    """Where personal-account contributions come from (the employers' and citizens' contributions)."""
    c = policy_city(session)
    return ledger.open_account(session, key=f"medinsure:contributions:{c}", code="medinsure_contributions",
                               owner=f"city:{c}", flags=0, name="医保个人账户划入 personal account contributions").id


def _personal_key(citizen_id: str) -> str:
    return f"medinsure:personal:{citizen_id}"


def _open_personal_account(session: Session, citizen_id: str) -> str:
    return ledger.open_account(session, key=_personal_key(citizen_id), code="medinsure_personal", owner=citizen_id,
                               flags=DEBITS_MUST_NOT_EXCEED_CREDITS, name="医保个人账户 personal account").id


# --- insured people ------------------------------------------------------------------------------

def _row(session: Session, citizen_id: str) -> MedInsured:
    row = session.scalars(select(MedInsured).where(MedInsured.citizen_id == citizen_id)).one_or_none()
    if row is None:
        raise NotInsured()
    return row


def insured_row(session: Session, citizen_id: str) -> MedInsured:
    """The insured person's row (NotInsured if the citizen is not enrolled)."""
    return _row(session, citizen_id)


def insured_by_id(session: Session, insured_id: str) -> MedInsured:
    row = session.scalars(select(MedInsured).where(MedInsured.insured_id == insured_id)).one_or_none()
    if row is None:
        raise NotInsured()
    return row


def insured_by_row_id(session: Session, row_id: int) -> MedInsured:
    row = session.get(MedInsured, row_id)
    if row is None:
        raise NotInsured()
    return row


def personal_balance(session: Session, account_id: str) -> int:
    return ledger.balance(session, account_id).available_balance


def _acc_out(a: MedAccumulator | None, year: int) -> AccumulatorsOut:
    if a is None:
        return AccumulatorsOut(year=year, deductible_used={}, fund_paid_fen=0, settlements=0)
    return AccumulatorsOut(year=a.year, deductible_used=dict(a.deductible_used), fund_paid_fen=a.fund_paid_fen,
                           settlements=a.settlements)


def insured_out(session: Session, row: MedInsured, *, year: int | None = None) -> InsuredOut:
    year = year or clock.today_local().year
    acc = session.scalars(select(MedAccumulator).where(MedAccumulator.insured_row_id == row.id,
                                                       MedAccumulator.year == year)).one_or_none()
    return InsuredOut(insured_id=row.insured_id, citizen_id=row.citizen_id, name_masked=row.name_masked, city=row.city,
                      scheme=row.scheme, retiree=row.retiree, status=row.status,  # type: ignore[arg-type]
                      personal_account_id=row.personal_account_id,
                      personal_balance_fen=personal_balance(session, row.personal_account_id),
                      code_activated=row.code_activated_at is not None, enrolled_at=row.enrolled_at,
                      accumulators=_acc_out(acc, year))


def enrol(session: Session, *, citizen_id: str, scheme: str, retiree: bool = False,
          actor: Principal | str) -> InsuredOut:
    """Enrol a real-name verified citizen in a scheme and open their personal account. Enrolling again
    in the same scheme returns the enrolment (retiree status updated); another scheme is a conflict."""
    if scheme not in rules.SCHEMES:
        raise EnrolmentInvalid(detail=f"scheme must be one of {', '.join(rules.SCHEMES)}")
    summary = identity.citizen_summary(session, citizen_id)
    if not summary.verified:
        raise EnrolmentInvalid(detail="only a real-name verified citizen can be insured")
    now = clock.now()
    existing = session.scalars(select(MedInsured).where(MedInsured.citizen_id == citizen_id)).one_or_none()
    if existing is not None:
        if existing.scheme != scheme:
            raise AlreadyEnrolled(detail=f"insured under {existing.scheme}")
        if existing.retiree != retiree:
            existing.retiree = retiree
            existing.updated_at = now
            outbox.emit(session, "medinsure.insured.updated", _event(existing))
            _audit(session, actor, existing, "medinsure.insured.update", "更新参保信息 (updated the enrolment)")
        return insured_out(session, existing)
    account = _open_personal_account(session, citizen_id)
    values: dict[str, Any] = dict(insured_id=new_id("ins"), citizen_id=citizen_id, city=policy_city(session),
                                  scheme=scheme, retiree=retiree, status="active", personal_account_id=account,
                                  name_masked=summary.masked_name, code_activated_at=None, enrolled_at=now,
                                  updated_at=now)
    ins = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(ins(MedInsured).values(**values).on_conflict_do_nothing(index_elements=["citizen_id"]))
    row = _row(session, citizen_id)
    if row.insured_id == values["insured_id"]:
        outbox.emit(session, "medinsure.insured.enrolled", _event(row))
        _audit(session, actor, row, "medinsure.insured.enrol", "参加基本医疗保险 (enrolled in basic medical insurance)")
    elif row.scheme != scheme:
        raise AlreadyEnrolled(detail=f"insured under {row.scheme}")
    return insured_out(session, row)


def _event(row: MedInsured) -> dict[str, Any]:
    return {"insured_id": row.insured_id, "citizen_id": row.citizen_id, "scheme": row.scheme,
            "retiree": row.retiree, "city": row.city}


def _audit(session: Session, actor: Principal | str, row: MedInsured, action: str, reason: str) -> None:
    audit.record(session, actor=actor, action=action, subject_citizen_id=row.citizen_id,
                 resource=f"medinsure/insured/{row.insured_id}", reason=reason)


def get_insured(session: Session, *, citizen_id: str) -> InsuredOut:
    return insured_out(session, _row(session, citizen_id))


def is_insured(session: Session, citizen_id: str) -> bool:
    return session.scalar(select(MedInsured.id).where(MedInsured.citizen_id == citizen_id)) is not None


def personal_account_id(session: Session, *, citizen_id: str) -> str:
    return _row(session, citizen_id).personal_account_id


def contribute(session: Session, *, citizen_id: str, amount: int, actor: Principal | str,
               transfer_id: str | None = None) -> InsuredOut:
    """Credit the insured person's personal account from the contributions account (个人账户划入)."""
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise EnrolmentInvalid(detail="amount must be a positive number of fen")
    row = _row(session, citizen_id)
    ledger.transfer(session, transfer_id=transfer_id or new_id("mpa"), debit=contributions_account_id(session),
                    credit=row.personal_account_id, amount=amount, code="medinsure.contribution",
                    ref=row.insured_id)
    outbox.emit(session, "medinsure.personal_account.credited", {**_event(row), "amount": amount})
    _audit(session, actor, row, "medinsure.personal_account.credit",
           "个人账户划入 (credited the personal account from contributions)")
    return insured_out(session, row)


# --- accumulators --------------------------------------------------------------------------------

def accumulators(session: Session, row: MedInsured, year: int) -> rules.Accumulators:
    """The insured person's accumulators of `year` as the rules engine takes them (zero if none)."""
    a = session.scalars(select(MedAccumulator).where(MedAccumulator.insured_row_id == row.id,
                                                     MedAccumulator.year == year)).one_or_none()
    return to_rules(a, year)


def to_rules(a: MedAccumulator | None, year: int) -> rules.Accumulators:
    if a is None:
        return rules.Accumulators.zero(year)
    return rules.Accumulators(year=year, deductible_used={k: int(v) for k, v in a.deductible_used.items()},
                              fund_paid_fen=int(a.fund_paid_fen))


def lock_accumulators(session: Session, row: MedInsured, year: int) -> MedAccumulator:
    """The accumulator row of (insured, year), created if missing, locked FOR UPDATE (PostgreSQL; SQLite
    serialises writers) until the caller's transaction ends. The row usually exists (one statement);
    else it is inserted (ON CONFLICT DO NOTHING: a concurrent first settlement may insert it too) and
    then locked."""
    q = select(MedAccumulator).where(MedAccumulator.insured_row_id == row.id, MedAccumulator.year == year)
    if is_postgres(session):
        q = q.with_for_update()
    q = q.execution_options(populate_existing=True)
    found = session.scalars(q).one_or_none()
    if found is not None:
        return found
    ins = pg_insert if is_postgres(session) else sqlite_insert
    session.execute(ins(MedAccumulator).values(insured_row_id=row.id, year=year, deductible_used={}, fund_paid_fen=0,
                                               settlements=0, updated_at=clock.now())
                    .on_conflict_do_nothing(index_elements=["insured_row_id", "year"]))
    return session.scalars(q).one()


def store_accumulators(a: MedAccumulator, after: rules.Accumulators, *, settlements_delta: int) -> None:
    a.deductible_used = {k: int(v) for k, v in after.deductible_used.items() if v}
    a.fund_paid_fen = after.fund_paid_fen
    a.settlements = a.settlements + settlements_delta
    a.updated_at = clock.now()
