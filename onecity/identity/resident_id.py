"""The 18-digit resident ID number (公民身份号码, GB 11643-1999) and the masking of personal data.

Layout: `RRRRRR YYYYMMDD SSS C`
- RRRRRR  address code (地址码): a GB/T 2260 administrative division code (行政区划代码) of the place
          of household registration at first issue; it may have been retired since, so any code that
          ever existed is accepted (table: `data/gb2260.csv`, 1980-2020, with years of use);
- YYYYMMDD birth date (出生日期码): a real date, not before 1900-01-01 and not in the future;
- SSS     order code (顺序码): odd for men, even for women;
- C       check character (校验码), ISO 7064 MOD 11-2 over the first 17 digits with the weights
          7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; a value of 10 is written `X`.

Each failure has its own error code: id_number_format, id_number_region, id_number_birth_date,
id_number_checksum. Everything here is a pure function (no session); "today" defaults to the city's
local date from `onecity.clock`.

Glossary: 身份证号码 ID number · 地址码 region code · 顺序码 order code · 校验码 check digit ·
脱敏 masking · 未成年人 minor (under 18).
"""

from __future__ import annotations

import csv
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from pathlib import Path

from onecity import clock
from onecity.errors import DomainError

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# Check character by (weighted sum mod 11): the MOD 11-2 check value is (12 - s % 11) % 11.
_CHECK_CHARS = "10X98765432"
_FORMAT = re.compile(r"^[0-9]{17}[0-9X]$")
MIN_BIRTH_DATE = date(1900, 1, 1)
ADULT_AGE = 18
_DATA = Path(__file__).parent / "data" / "gb2260.csv"
_MAX_INPUT = 64


class InvalidIdNumber(DomainError):
    """Base of the four ID-number failures; catch this to catch any of them."""

    code = "id_number_invalid"
    status = 422
    message_zh = "身份证号码无效"
    message_en = "The resident ID number is not valid"


class IdNumberFormatError(InvalidIdNumber):
    code = "id_number_format"
    message_zh = "身份证号码应为18位，前17位为数字，最后一位为数字或X"
    message_en = "A resident ID number has 18 characters: 17 digits, then a digit or X"


class IdNumberRegionError(InvalidIdNumber):
    code = "id_number_region"
    message_zh = "身份证号码的地址码不是有效的行政区划代码"
    message_en = "The ID number's first six digits are not an administrative division code"


class IdNumberBirthDateError(InvalidIdNumber):
    code = "id_number_birth_date"
    message_zh = "身份证号码中的出生日期无效"
    message_en = "The birth date in the ID number is not valid"


class IdNumberChecksumError(InvalidIdNumber):
    code = "id_number_checksum"
    message_zh = "身份证号码校验位不正确，请检查是否输错"
    message_en = "The ID number's check digit does not match; please check for a typing error"


@dataclass(frozen=True)
class Region:
    code: str
    name: str
    start_year: int | None  # None: in use since before 1980
    end_year: int | None  # None: still in use in the latest table


@dataclass(frozen=True)
class ResidentId:
    """A parsed, valid ID number and what it says about its holder."""

    number: str
    region_code: str
    birth_date: date
    order_code: str
    check: str

    @property
    def sex(self) -> str:
        """"M" when the 17th digit is odd, else "F"."""
        return "M" if int(self.order_code[-1]) % 2 == 1 else "F"

    @property
    def region(self) -> Region | None:
        return region(self.region_code, year=self.birth_date.year)

    @property
    def masked(self) -> str:
        return mask_id_number(self.number)

    def age_on(self, on: date) -> int:
        return age_on(self.birth_date, on)

    def is_minor_on(self, on: date) -> bool:
        return self.age_on(on) < ADULT_AGE


# --- region codes ---------------------------------------------------------------------------------

@lru_cache(maxsize=1)
def _regions() -> dict[str, tuple[Region, ...]]:
    table: dict[str, list[Region]] = {}
    with _DATA.open(encoding="utf-8") as f:
        rows = csv.DictReader(line for line in f if not line.startswith("#"))
        for row in rows:
            code = row["code"]
            table.setdefault(code, []).append(Region(
                code=code,
                name=row["name"],
                start_year=int(row["start_year"]) if row["start_year"] else None,
                end_year=int(row["end_year"]) if row["end_year"] else None,
            ))
    return {code: tuple(sorted(v, key=lambda r: r.start_year or 0)) for code, v in table.items()}


def region_codes() -> frozenset[str]:
    """Every administrative division code in the shipped table (current and retired)."""
    return frozenset(_regions())


def is_known_region(code: str) -> bool:
    return code in _regions()


def region(code: str, *, year: int | None = None) -> Region | None:
    """The division `code` named; with `year`, the name it carried that year (else the latest name)."""
    entries = _regions().get(code)
    if not entries:
        return None
    if year is not None:
        for r in entries:
            if (r.start_year or 0) <= year <= (r.end_year or 9999):
                return r
    return entries[-1]


def region_path(code: str) -> list[Region]:
    """Province, prefecture and county of a code, as far as the table knows them (广东省 › 深圳市 › 南山区)."""
    out: list[Region] = []
    for c in (code[:2] + "0000", code[:4] + "00", code):
        r = region(c)
        if r is not None and (not out or out[-1].code != c):
            out.append(r)
    return out


# --- parsing --------------------------------------------------------------------------------------

def check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits (`X` stands for 10)."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("check_digit needs exactly 17 ASCII digits")
    total = sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True))
    return _CHECK_CHARS[total % 11]


def normalise(text: str) -> str:
    """Trim, fold full-width characters (１２３Ｘ) and a lower-case x; nothing else is forgiven."""
    return unicodedata.normalize("NFKC", text[:_MAX_INPUT]).strip().upper()


def parse_id_number(text: str, *, today: date | None = None) -> ResidentId:
    """Validate an ID number in the order format → region → birth date → check digit."""
    if not isinstance(text, str) or len(text) > _MAX_INPUT:
        raise IdNumberFormatError()
    number = normalise(text)
    if not _FORMAT.match(number):
        raise IdNumberFormatError()
    if not is_known_region(number[:6]):
        raise IdNumberRegionError()
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise IdNumberBirthDateError() from None
    today = today or clock.today_local().date()
    if born < MIN_BIRTH_DATE or born > today:
        raise IdNumberBirthDateError()
    if check_digit(number[:17]) != number[17]:
        raise IdNumberChecksumError()
    return ResidentId(number=number, region_code=number[:6], birth_date=born, order_code=number[14:17],
                      check=number[17])


def is_valid_id_number(text: str, *, today: date | None = None) -> bool:
    try:
        parse_id_number(text, today=today)
    except InvalidIdNumber:
        return False
    return True


def age_on(birth_date: date, on: date) -> int:
    """Completed years on `on`; someone born on 29 February turns a year older on 1 March in common years."""
    had_birthday = (on.month, on.day) >= (birth_date.month, birth_date.day)
    return on.year - birth_date.year - (0 if had_birthday else 1)


def is_minor(birth_date: date, on: date | None = None) -> bool:
    return age_on(birth_date, on or clock.today_local().date()) < ADULT_AGE


def make_id_number(region: str, birth_date: date, seq: int, sex: str) -> str:
    """Build a valid ID number: `seq` (0-499) numbers the people of one sex born that day in that region;
    the order code is 2·seq+1 for men and 2·seq for women, so its last digit carries the sex."""
    if not is_known_region(region):
        raise IdNumberRegionError(detail=f"unknown region code {region!r}")
    if not MIN_BIRTH_DATE <= birth_date:
        raise IdNumberBirthDateError()
    if not 0 <= seq <= 499:
        raise ValueError("seq must be between 0 and 499")
    if sex not in ("M", "F"):
        raise ValueError("sex must be 'M' or 'F'")
    body = f"{region}{birth_date:%Y%m%d}{2 * seq + (1 if sex == 'M' else 0):03d}"
    return body + check_digit(body)


# --- masking (脱敏) --------------------------------------------------------------------------------

def mask_id_number(number: str) -> str:
    """4403**********1234: the first four and last four characters stay, the rest are starred."""
    if len(number) < 9:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


def mask_name(name: str) -> str:
    """张*三 for three characters or more (the middle starred), 张* for two, * for one."""
    name = name.strip()
    if len(name) <= 1:
        return "*" * len(name)
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_mobile(mobile: str) -> str:
    """138****1234 for an 11-digit mobile number; anything else keeps only its last two characters."""
    digits = mobile.strip()
    if len(digits) == 11:
        return digits[:3] + "****" + digits[-4:]
    return "*" * max(len(digits) - 2, 0) + digits[-2:]
