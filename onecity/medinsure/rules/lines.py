"""Bill lines as an institution uploads them, and their check against the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

from onecity.medinsure.rules.errors import LineInvalid
from onecity.medinsure.rules.policy import Policy

MAX_QUANTITY = 10_000  # units on one line
MAX_UNIT_PRICE_FEN = 100_000_000  # ¥1,000,000 per unit


@dataclass(frozen=True)
class BillLine:
    """One fee line: `quantity` units of catalogue item `code` at `unit_price_fen` each."""

    line_no: int
    code: str
    quantity: int
    unit_price_fen: int

    @property
    def amount_fen(self) -> int:
        return self.quantity * self.unit_price_fen


def _is_int(v: object) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def check_line(policy: Policy, line: BillLine) -> None:
    """Check one line against the policy's catalogue; raises LineInvalid with `reason`:
    ``unknown_code`` (not in the catalogue), ``bad_quantity`` (not an integer in 1..MAX_QUANTITY),
    ``bad_price`` (not an integer in 1..MAX_UNIT_PRICE_FEN fen), ``price_mismatch`` (the item has a
    government list price and the line's unit price differs)."""
    item = policy.catalogue.get(line.code) if isinstance(line.code, str) else None
    if item is None:
        raise LineInvalid(f"line {line.line_no}: unknown catalogue code {line.code!r} in {policy.key}",
                          reason="unknown_code", line_no=line.line_no, code=str(line.code))
    if not _is_int(line.quantity) or not 1 <= line.quantity <= MAX_QUANTITY:
        raise LineInvalid(f"line {line.line_no}: quantity must be a whole number from 1 to {MAX_QUANTITY}, "
                          f"got {line.quantity!r}", reason="bad_quantity", line_no=line.line_no, code=line.code)
    if not _is_int(line.unit_price_fen) or not 1 <= line.unit_price_fen <= MAX_UNIT_PRICE_FEN:
        raise LineInvalid(f"line {line.line_no}: unit price must be whole fen from 1 to {MAX_UNIT_PRICE_FEN}, "
                          f"got {line.unit_price_fen!r}", reason="bad_price", line_no=line.line_no, code=line.code)
    if item.list_price_fen is not None and line.unit_price_fen != item.list_price_fen:
        raise LineInvalid(f"line {line.line_no}: {line.code} has the government price {item.list_price_fen} fen, "
                          f"the bill says {line.unit_price_fen} fen", reason="price_mismatch",
                          line_no=line.line_no, code=line.code)
