"""Shared system accounts of the platform's money held at banks and earned in fees."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from onecity.errors import InvalidInput
from onecity.ledger import service as ledger
from onecity.ledger.schemas import HOT

CURRENCY = "CNY"
# name -> (flags, label). bank_clearing is the money the platform holds at its banks (debited by
# top-ups, credited by withdrawals and payouts: no limit flag, any bank may be net either way in a
# day). fee_income receives fees and pays back refunded ones (a day may refund more than it earns):
# no limit flag either.
SYSTEM_ACCOUNTS: dict[str, tuple[int, str]] = {
    "bank_clearing": (HOT, "银行清算户 bank clearing"),
    "fee_income": (HOT, "手续费收入 fee income"),
}
_NAME = re.compile(r"^[a-z][a-z0-9_]{1,40}$")


class UnknownSystemAccount(InvalidInput):
    code = "system_account_unknown"
    message_zh = "未知的系统账户"
    message_en = "No such system account"


def system_account(session: Session, name: str) -> str:
    """The id of the shared system account `name` ("bank_clearing", "fee_income"), opened on first use
    with key `system:<name>:CNY`. Other names are refused, so two callers cannot open the same
    account with different flags."""
    if name not in SYSTEM_ACCOUNTS or not _NAME.match(name):
        raise UnknownSystemAccount(detail=f"unknown system account {name!r}")
    key = f"system:{name}:{CURRENCY}"
    existing = ledger.account_by_key(session, key)
    if existing is not None:
        return existing.id
    flags, label = SYSTEM_ACCOUNTS[name]
    return ledger.open_account(session, key=key, code="system", owner="system", currency=CURRENCY, flags=flags,
                               name=label).id
