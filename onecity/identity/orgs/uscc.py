"""The unified social credit code (统一社会信用代码), GB 32100-2015.

18 characters from the 31-character alphabet `0-9 A-H J-N P-R T U W-Y` (no I, O, Z, S, V):

    position 1      registration authority (登记管理部门代码), e.g. 9 = market regulation
    position 2      organisation type (机构类别代码), e.g. 1 = enterprise
    positions 3-8   administrative division (登记管理机关行政区划码), six digits, e.g. 440300 Shenzhen
    positions 9-17  organisation code (主体标识码, GB 11714)
    position 18     check character

Check character: take each of the first 17 characters' values in the alphabet (0-9 → 0-9, A → 10,
… Y → 30), multiply by the weights 3^(i-1) mod 31 = 1 3 9 27 19 26 16 17 20 29 25 13 8 24 10 30 28,
sum, and the check value is 31 − (sum mod 31), with 31 written as 0.
"""

from __future__ import annotations

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    """The GB 32100 check character of the first 17 characters (which must be in the alphabet)."""
    if len(first17) != 17 or any(c not in _VALUE for c in first17):
        raise ValueError("need 17 characters of the USCC alphabet")
    total = sum(_VALUE[c] * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise(code: str) -> str:
    return code.strip().upper()


def is_valid(code: str) -> bool:
    """True for an 18-character code in the alphabet, digits in positions 3-8, a correct check."""
    c = normalise(code)
    if len(c) != 18 or any(ch not in _VALUE for ch in c) or not c[2:8].isdigit():
        return False
    return check_character(c[:17]) == c[17]


def complete(first17: str) -> str:
    """Append the check character (used by factories and the demo seed to make valid codes)."""
    c = normalise(first17)
    return c + check_character(c)
