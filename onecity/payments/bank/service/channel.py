"""What a bank does for OneCity, as an interface (`BankChannel`), independent of any one bank.

- `submit(request)`: take a collect (debit the card: a top-up) or a payout (credit a card or an
  account). The bank answers at once only whether it accepted the request (`processing`) or refused
  it outright (`failed`); the outcome comes later by callback. It may time out (`BankTimeout`): then
  nobody knows whether the bank took it, and only `query` can tell.
- `query(request_id)`: the bank's current view of a request (`not_found` if it never arrived).
  Submitting the same request id again is safe: a bank keeps one request per id.
- `statement(day)`: the bank's list of requests it completed on its business day `day`.
- Callbacks: the channel calls `callback(result)` for each result (possibly more than once), outside
  any OneCity transaction; the receiver must apply each result once.
- `run()`: advance the channel's own asynchronous work (the simulator decides and calls back here; a
  real bank's adapter has nothing to do, its callbacks arrive over HTTP).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Literal, Protocol

RequestKind = Literal["collect", "payout"]
ResultStatus = Literal["processing", "succeeded", "failed", "not_found"]


class BankTimeout(Exception):
    """No answer in time: the bank may or may not have taken the request."""


@dataclass(frozen=True)
class BankRequest:
    request_id: str  # our instruction id; the bank keeps one request per id
    kind: RequestKind
    account_number: str
    holder_name: str
    amount: int
    currency: str = "CNY"


@dataclass(frozen=True)
class BankResult:
    request_id: str
    status: ResultStatus
    bank_ref: str | None = None
    amount: int | None = None
    failure_code: str | None = None
    completed_at: datetime | None = None
    business_date: date | None = None


@dataclass(frozen=True)
class StatementLine:
    request_id: str
    bank_ref: str
    kind: RequestKind
    amount: int
    currency: str
    completed_at: datetime


Callback = Callable[[BankResult], object]


class BankChannel(Protocol):
    name: str

    def set_callback(self, callback: Callback) -> None: ...

    def submit(self, request: BankRequest) -> BankResult: ...

    def query(self, request_id: str) -> BankResult: ...

    def statement(self, day: date) -> list[StatementLine]: ...

    def run(self) -> dict[str, int]: ...
