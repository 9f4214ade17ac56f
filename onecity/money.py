"""Money is integer fen (分) plus a currency code. Parsing and formatting happen only at the edges."""

from __future__ import annotations

import re
from dataclasses import dataclass

from onecity.errors import DomainError

_AMOUNT = re.compile(r"^(0|[1-9]\d{0,13})(?:\.(\d{1,2}))?$")


class InvalidAmount(DomainError):
    code = "invalid_amount"
    status = 422
    message_zh = "金额格式不正确"
    message_en = "The amount is not valid"


@dataclass(frozen=True, slots=True)
class Money:
    fen: int
    currency: str = "CNY"

    def __post_init__(self) -> None:
        if not isinstance(self.fen, int) or isinstance(self.fen, bool):
            raise InvalidAmount(detail="amount must be integer fen")
        if len(self.currency) != 3 or not self.currency.isupper():
            raise InvalidAmount(detail="currency must be an ISO 4217 code")

    @classmethod
    def parse(cls, text: str, currency: str = "CNY") -> Money:
        """Parse a yuan string such as "12.34" into 1234 fen, exactly, without floats."""
        m = _AMOUNT.match(text.strip()) if isinstance(text, str) else None
        if not m:
            raise InvalidAmount(detail=f"not a yuan amount: {text!r}")
        yuan, frac = m.group(1), (m.group(2) or "").ljust(2, "0")
        return cls(int(yuan) * 100 + int(frac), currency)

    def format(self) -> str:
        sign = "-" if self.fen < 0 else ""
        y, f = divmod(abs(self.fen), 100)
        return f"{sign}{y}.{f:02d}"

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.fen + other.fen, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.fen - other.fen, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise InvalidAmount(detail="currencies differ")


def yuan(fen: int) -> str:
    """1234 fen as "12.34": the one way pages, files, notifications and messages show an amount."""
    return Money(fen).format()
