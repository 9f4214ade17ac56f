"""The bundled simulated biller: behaves like a real one so the platform handles slow posting,
refusals, lost answers and repeated acknowledgements for real.

It is "the biller": it keeps its own records in its own tables (`svc_bill_sim_*`), in its own
transactions, and is never called inside a platform transaction (its methods are "network calls").

Behaviour (rates from `BillerSimConfig`, env `ONECITY_BILLS_SIM_*`; integer basis points, 10000 =
always; times integer milliseconds; every draw comes from a generator seeded with `seed` and the
call's sequence in this simulator, so the same seed and calls behave the same):
- any call fails at once with `failure_bp` (`BillerDown`: busy, nothing happened);
- a payment advice is lost on the way in with `timeout_bp` (`BillerTimeout`, the biller never saw
  it); with `duplicate_ack_bp` it arrives and is taken but the acknowledgement is lost on the way
  back (`BillerTimeout` too): the platform sends it again and the biller acknowledges a second time
  (`Ack.duplicate`), keeping one advice per reference;
- an accepted advice is posted (销账) `min_delay_ms`..`max_delay_ms` after it arrived (decided when
  asked for its `status`, by `onecity.clock`); with `decline_bp` the biller rejects it at posting
  (`biller_declined`) and the bill is due again;
- an advice for a bill already paid (at the counter 柜台已缴, or under another reference) is refused
  (`bill_already_paid`), as is a wrong amount (`amount_mismatch`) or an unknown bill (`bill_unknown`);
- an account the biller has never opened is unknown (`BillerAccountUnknown`).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session
from ulid import ULID

from onecity import clock
from onecity.db import is_postgres, transaction
from onecity.services.bills.models import BillSimAccount, BillSimAdvice, BillSimBill
from onecity.services.bills.rules import TOPUP_AMOUNTS
from onecity.services.bills.service.connector import (
    Ack,
    AdviceStatus,
    BillerAccountUnknown,
    BillerDown,
    BillerTimeout,
    FetchedBill,
)

BP = 10_000


def _happens(rng: random.Random, bp: int) -> bool:
    return rng.randrange(BP) < bp  # whole basis points: no float


class BillerSimConfig(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ONECITY_BILLS_SIM_", env_file=None, extra="ignore")

    seed: int = 2026
    min_delay_ms: int = Field(default=1_000, ge=0)
    max_delay_ms: int = Field(default=5_000, ge=0)
    failure_bp: int = Field(default=300, ge=0, le=BP)  # 3 %
    timeout_bp: int = Field(default=300, ge=0, le=BP)
    duplicate_ack_bp: int = Field(default=500, ge=0, le=BP)
    decline_bp: int = Field(default=0, ge=0, le=BP)


class SimulatedBiller:
    kind = "simulator"

    def __init__(self, biller_org_id: str, config: BillerSimConfig | None = None) -> None:
        self.org_id = biller_org_id
        self.config = config or BillerSimConfig()
        self._calls = 0

    def _rng(self, what: str) -> random.Random:
        self._calls += 1
        return random.Random(f"{self.config.seed}:{self.org_id}:{what}:{self._calls}")

    # --- the biller's counter ---------------------------------------------------------------------

    def fetch(self, account_no: str) -> list[FetchedBill]:
        if _happens(self._rng("fetch"), self.config.failure_bp):
            raise BillerDown("the simulated biller is busy")
        with transaction() as s:
            account = self._account(s, account_no)
            if account is None:
                raise BillerAccountUnknown(account_no)
            rows = s.scalars(select(BillSimBill).where(BillSimBill.biller_org_id == self.org_id,
                                                       BillSimBill.account_no == account_no)
                             .order_by(BillSimBill.due_date.desc(), BillSimBill.id.desc()).limit(12))
            return [FetchedBill(bill_id=b.bill_id, period=b.period, amount=b.amount, due_date=b.due_date,
                                status="unpaid" if b.status == "unpaid" else "paid",
                                holder_masked=b.holder_masked) for b in rows]

    def pay(self, bill_id: str, amount: int, ref: str) -> Ack:
        cfg = self.config
        rng = self._rng(f"pay:{ref}")
        if _happens(rng, cfg.failure_bp):
            raise BillerDown("the simulated biller is busy")
        if _happens(rng, cfg.timeout_bp):
            raise BillerTimeout(f"advice {ref} lost on the way to the simulated biller")
        lose_ack = _happens(rng, cfg.duplicate_ack_bp)
        with transaction() as s:
            existing = s.scalars(select(BillSimAdvice).where(BillSimAdvice.ref == ref)).one_or_none()
            if existing is not None:
                existing.received += 1
                return Ack(ref, existing.status != "rejected" or existing.failure_code == "biller_declined",
                           existing.biller_ref, existing.failure_code, duplicate=True)
            ack = self._take(s, bill_id, amount, ref, rng)
        if lose_ack and ack.accepted:
            raise BillerTimeout(f"the acknowledgement of {ref} was lost")
        return ack

    def _take(self, s: Session, bill_id: str, amount: int, ref: str, rng: random.Random) -> Ack:
        cfg = self.config
        now = clock.now()
        biller_ref = f"SIM{ULID()}"
        reason = None
        bill = None
        if bill_id.startswith("TOPUP:"):
            if self._account(s, bill_id.removeprefix("TOPUP:")) is None:
                reason = "bill_unknown"
            elif amount not in TOPUP_AMOUNTS:
                reason = "amount_mismatch"
        else:
            q = select(BillSimBill).where(BillSimBill.biller_org_id == self.org_id, BillSimBill.bill_id == bill_id)
            if is_postgres(s):
                q = q.with_for_update()
            bill = s.scalars(q).one_or_none()
            if bill is None:
                reason = "bill_unknown"
            elif bill.status != "unpaid":
                reason = "bill_already_paid"
            elif bill.amount != amount:
                reason = "amount_mismatch"
        delay = rng.randint(cfg.min_delay_ms, max(cfg.min_delay_ms, cfg.max_delay_ms))  # whole ms
        s.add(BillSimAdvice(ref=ref, biller_org_id=self.org_id, bill_id=bill_id, amount=amount, biller_ref=biller_ref,
                            status="rejected" if reason else "processing", failure_code=reason,
                            fate={"decline": _happens(rng, cfg.decline_bp)}, received=1, received_at=now,
                            decide_at=now + timedelta(milliseconds=delay), decided_at=now if reason else None))
        if reason is None and bill is not None:
            bill.status, bill.paid_ref = "paid", ref
        return Ack(ref, reason is None, biller_ref, reason)

    def status(self, ref: str) -> AdviceStatus:
        if _happens(self._rng("status"), self.config.failure_bp):
            raise BillerDown("the simulated biller is busy")
        now = clock.now()
        with transaction() as s:
            q = select(BillSimAdvice).where(BillSimAdvice.ref == ref)
            if is_postgres(s):
                q = q.with_for_update()
            adv = s.scalars(q).one_or_none()
            if adv is None:
                return AdviceStatus(ref, "not_found")
            if adv.status == "processing" and clock.aware(adv.decide_at) <= now:
                adv.decided_at = now
                if adv.fate.get("decline"):
                    adv.status, adv.failure_code = "rejected", "biller_declined"
                    bill = s.scalars(select(BillSimBill).where(BillSimBill.biller_org_id == self.org_id,
                                                               BillSimBill.paid_ref == ref)).one_or_none()
                    if bill is not None:
                        bill.status, bill.paid_ref = "unpaid", None
                else:
                    adv.status = "confirmed"
            return AdviceStatus(ref, adv.status, adv.biller_ref, adv.failure_code,  # type: ignore[arg-type]
                                clock.aware(adv.decided_at) if adv.status == "confirmed" and adv.decided_at else None)

    # --- set-up and mischief for tests and the demo -----------------------------------------------

    def _account(self, s: Session, account_no: str) -> BillSimAccount | None:
        return s.scalars(select(BillSimAccount).where(BillSimAccount.biller_org_id == self.org_id,
                                                      BillSimAccount.account_no == account_no)).one_or_none()

    def open_account(self, account_no: str, *, holder_masked: str = "*某", session: Session | None = None) -> None:
        """Open a customer account at the biller (idempotent). Set-up may write in a given session
        (the demo seeds the biller's records in its own transaction); otherwise in its own."""
        with _writing(session) as s:
            if self._account(s, account_no) is None:
                s.add(BillSimAccount(biller_org_id=self.org_id, account_no=account_no, holder_masked=holder_masked))
                s.flush()

    def issue_bill(self, account_no: str, *, period: str, amount: int, due_date: date, holder_masked: str = "*某",
                   session: Session | None = None) -> str:
        """Put a bill on the account (idempotent per account and period); returns its bill id."""
        self.open_account(account_no, holder_masked=holder_masked, session=session)
        digest = hashlib.sha256(f"{self.org_id}:{account_no}:{period}".encode()).hexdigest()[:10].upper()
        bill_id = f"B{period.replace('-', '')}{digest}"  # the biller's own id; it does not show the number
        with _writing(session) as s:
            exists = s.scalar(select(BillSimBill.id).where(BillSimBill.biller_org_id == self.org_id,
                                                           BillSimBill.bill_id == bill_id))
            if exists is None:
                s.add(BillSimBill(biller_org_id=self.org_id, account_no=account_no, bill_id=bill_id,
                                  holder_masked=holder_masked, period=period, amount=amount, due_date=due_date,
                                  status="unpaid"))
                s.flush()
        return bill_id

    def pay_at_counter(self, bill_id: str) -> None:
        """The customer paid this bill at the biller's counter (柜台已缴)."""
        with transaction() as s:
            bill = s.scalars(select(BillSimBill).where(BillSimBill.biller_org_id == self.org_id,
                                                       BillSimBill.bill_id == bill_id)).one()
            bill.status = "counter_paid"

    def advice(self, ref: str) -> dict[str, object] | None:
        with transaction() as s:
            a = s.scalars(select(BillSimAdvice).where(BillSimAdvice.ref == ref)).one_or_none()
            return None if a is None else {"status": a.status, "received": a.received, "amount": a.amount,
                                           "failure_code": a.failure_code, "bill_id": a.bill_id}


@contextmanager
def _writing(session: Session | None) -> Iterator[Session]:
    if session is not None:
        yield session
    else:
        with transaction() as s:
            yield s
