"""Pure rules of utility bills (no database): products, account-number checks, masking, phone top-up
amounts, the payment state machine, the autopay decision and the reconciliation file's format.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from onecity.services.bills.errors import AccountNumberInvalid, PaymentStateInvalid

PRODUCTS = ("water", "electricity", "gas", "phone")
PRODUCT_NAMES = {"water": ("水费", "Water"), "electricity": ("电费", "Electricity"), "gas": ("燃气费", "Gas"),
                 "phone": ("话费", "Phone top-up")}
CHECK_DIGITS = ("none", "luhn", "mod11")
TOPUP_AMOUNTS = (3_000, 5_000, 10_000, 20_000)  # 30, 50, 100, 200 yuan
AUTOPAY_MAX_LIMIT = 500_000  # ¥5,000
AUTOPAY_MIN_LIMIT = 100  # ¥1


# --- account numbers ------------------------------------------------------------------------------

def luhn_ok(number: str) -> bool:
    """Luhn (mod 10): from the right, double every second digit (subtract 9 above 9); the sum ends in 0.
    7992739871 + check 3 → 79927398713 is valid."""
    if not number.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d * 2 > 9 else d * 2
        total += d
    return total % 10 == 0


def luhn_digit(body: str) -> str:
    """The check digit that makes `body` + it pass `luhn_ok` (the water accounts' last digit)."""
    return next(d for d in "0123456789" if luhn_ok(body + d))


def mod11_digit(body: str) -> str:
    """ISO 7064-style weighted mod 11 with weights 2..7 from the right: 11 − (Σ d·w mod 11), written
    "0" for 11 and "X" for 10."""
    weights = (2, 3, 4, 5, 6, 7)
    s = sum(int(ch) * weights[i % 6] for i, ch in enumerate(reversed(body)))
    c = 11 - s % 11
    return "0" if c == 11 else "X" if c == 10 else str(c)


def check_account_number(account_no: str, *, pattern: str, check_digit: str) -> str:
    """The normalised account number (spaces removed) if it matches the biller's pattern (full match)
    and check digit; AccountNumberInvalid otherwise."""
    number = "".join(str(account_no or "").split()).upper()
    if not number or len(number) > 32 or re.fullmatch(pattern, number) is None:
        raise AccountNumberInvalid(detail="the account number does not have the biller's format")
    if check_digit == "luhn" and not luhn_ok(number):
        raise AccountNumberInvalid(detail="the account number's check digit is wrong")
    if check_digit == "mod11" and (len(number) < 2 or not number[:-1].isdigit()
                                   or mod11_digit(number[:-1]) != number[-1]):
        raise AccountNumberInvalid(detail="the account number's check digit is wrong")
    return number


def pattern_ok(pattern: str) -> bool:
    try:
        re.compile(pattern)
    except re.error:
        return False
    return 0 < len(pattern) <= 200


def mask_account(number: str) -> str:
    """Keep the first 2 and last 4 characters: 0755123456 → 07****3456 (short numbers: last 2)."""
    if len(number) <= 6:
        return "*" * (len(number) - 2) + number[-2:]
    return number[:2] + "*" * (len(number) - 6) + number[-4:]


# --- payments: the state machine ------------------------------------------------------------------

# pending: recorded and collected, the advice not yet acknowledged by the biller;
# acknowledged: the biller took the advice; confirmed: the biller posted it (销账);
# refunded: the biller rejected it for good and the citizen got the money back.
TRANSITIONS: dict[str, frozenset[str]] = {
    "pending": frozenset({"acknowledged", "confirmed", "refunded"}),
    "acknowledged": frozenset({"pending", "confirmed", "refunded"}),
    "confirmed": frozenset(),
    "refunded": frozenset(),
}
STATES = tuple(TRANSITIONS)


def next_state(current: str, target: str) -> str:
    """`target` if the machine allows current → target; PaymentStateInvalid otherwise (acknowledged →
    pending is a re-send when the biller has lost the advice)."""
    if target not in TRANSITIONS.get(current, frozenset()):
        raise PaymentStateInvalid(detail=f"{current} → {target} is not allowed")
    return target


# --- autopay ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class AutopayDecision:
    pay: bool
    reason: str  # due | not_due | over_limit | already_paid


def autopay_decision(*, amount: int, due_date: date | None, today: date, limit: int, status: str) -> AutopayDecision:
    """Pay an unpaid bill on (or after) its due date when its amount is within the citizen's limit."""
    if status != "unpaid":
        return AutopayDecision(False, "already_paid")
    if due_date is None or today < due_date:
        return AutopayDecision(False, "not_due")
    if amount > limit:
        return AutopayDecision(False, "over_limit")
    return AutopayDecision(True, "due")


# --- the reconciliation file ----------------------------------------------------------------------

RECON_HEADER = ("platform_ref", "biller_bill_id", "account_masked", "amount_fen", "confirmed_at")


@dataclass(frozen=True)
class ReconLine:
    platform_ref: str
    bill_id: str
    account_masked: str
    amount_fen: int
    confirmed_at: datetime  # shown in Asia/Shanghai, ISO 8601 with offset


def recon_csv(*, biller_org_id: str, day: date, lines: list[ReconLine], generated_at: datetime) -> str:
    """The file: a `#`-header line (biller, business day, count, total), a column header, one line per
    confirmed payment, and a `#`-footer line repeating count and total (so a truncated file is seen)."""
    total = sum(line.amount_fen for line in lines)
    out = [f"# ONECITY-BILLS-RECON v1,biller={biller_org_id},date={day.isoformat()},count={len(lines)},"
           f"total_fen={total},generated_at={generated_at.isoformat()}", ",".join(RECON_HEADER)]
    out += [",".join((ln.platform_ref, _csv_safe(ln.bill_id), ln.account_masked, str(ln.amount_fen),
                      ln.confirmed_at.isoformat())) for ln in lines]
    out.append(f"# END,count={len(lines)},total_fen={total}")
    return "\n".join(out) + "\n"


def _csv_safe(text: str) -> str:
    return re.sub(r"[,\r\n\"]", "_", text)


def parse_recon_totals(text: str) -> tuple[int, int]:
    """(count, total fen) from the footer, checked against the lines: ValueError if they disagree."""
    rows = [r for r in text.splitlines() if r and not r.startswith("#")][1:]
    footer = text.rstrip("\n").splitlines()[-1]
    m = re.fullmatch(r"# END,count=(\d+),total_fen=(\d+)", footer)
    if m is None:
        raise ValueError("no footer")
    count, total = int(m.group(1)), int(m.group(2))
    if count != len(rows) or total != sum(int(r.split(",")[3]) for r in rows):
        raise ValueError("footer does not match the lines")
    return count, total
