"""What a biller does for the platform, as an interface (`BillerConnector`), independent of any biller.

- `fetch(account_no)`: the bills of a customer account (due ones, and recent ones paid elsewhere with
  status `paid`); `BillerAccountUnknown` if the biller has no such account.
- `pay(bill_id, amount, ref)`: a payment advice under the platform's reference. The biller keeps one
  advice per `ref`, so sending it again is safe: the answer is the first one's acknowledgement
  (`duplicate=True`). It may refuse outright (`accepted=False` with a reason such as
  `bill_already_paid`).
- `status(ref)`: the biller's view of an advice: `processing`, `confirmed` (销账), `rejected`, or
  `not_found` (it never arrived).
Any call may raise `BillerTimeout` (nobody knows whether it arrived) or `BillerDown` (a transient
refusal: it did not). Connectors are called outside any platform transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol


class BillerTimeout(Exception):
    """No answer in time: the biller may or may not have taken the request."""


class BillerDown(Exception):
    """The biller refused for now (busy, maintenance): the request did not take effect."""


class BillerAccountUnknown(Exception):
    """The biller has no such customer account."""


@dataclass(frozen=True)
class FetchedBill:
    bill_id: str
    period: str
    amount: int
    due_date: date | None
    status: Literal["unpaid", "paid"]
    holder_masked: str | None = None


@dataclass(frozen=True)
class Ack:
    ref: str
    accepted: bool
    biller_ref: str | None = None
    reason: str | None = None
    duplicate: bool = False


@dataclass(frozen=True)
class AdviceStatus:
    ref: str
    status: Literal["processing", "confirmed", "rejected", "not_found"]
    biller_ref: str | None = None
    reason: str | None = None
    confirmed_at: datetime | None = None


class BillerConnector(Protocol):
    kind: str

    def fetch(self, account_no: str) -> list[FetchedBill]: ...

    def pay(self, bill_id: str, amount: int, ref: str) -> Ack: ...

    def status(self, ref: str) -> AdviceStatus: ...


def topup_bill_id(account_no: str) -> str:
    """A phone top-up has no bill: the advice names the number being topped up."""
    return f"TOPUP:{account_no}"
