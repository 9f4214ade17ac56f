"""The demo city's population registry (人口库): deterministic residents of a Shenzhen-like city.

Pure functions, no database. The same `count` and `seed` always give the same residents (names, sexes,
birth dates, ID numbers), so `onecity seed` can be re-run and recognises what it loaded before; a
smaller registry is a prefix of a larger one.

The shape follows Shenzhen's 7th census (2020), a young city of migrants, with the elderly share
nudged up so the demo has old people to help: about 19 % under 18, 10 % aged 60 or more, more men
than women of working age. Ages count from a fixed reference date (`REFERENCE_DATE`), not from
today, so the registry does not change from one day to the next.

Birthplace (the ID number's region code, 地址码): most people born in the city since 2005 carry a
code of one of its districts (福田 440304, 罗湖 440303, 南山 440305, 宝安 440306, 龙岗 440307, 盐田
440308, 龙华 440309, 坪山 440310, 光明 440311); older residents mostly came from elsewhere in
Guangdong (广州, 汕头, 梅州, 湛江, 揭阳, 惠州, 汕尾, 潮州) or from other provinces (湖南, 湖北, 江西,
广西, 四川, 河南). A code is only used for a birth year in which it existed (龙华区 from 2016, …).

Glossary: 人口库 population registry · 地址码 region code · 顺序码 order code · 户籍状态 registry status
(active 正常, moved_out 迁出, deceased 死亡).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from onecity.demo.names import chinese_name
from onecity.identity.resident_id import make_id_number, region
from onecity.identity.schemas import RegistryStatus

REFERENCE_DATE = date(2025, 1, 1)
DEFAULT_SEED = 4403

# (lowest age, highest age, weight): five-year bands.
AGE_BANDS: tuple[tuple[int, int, float], ...] = (
    (0, 4, 6.0), (5, 9, 5.5), (10, 14, 4.5), (15, 19, 3.8), (20, 24, 7.5), (25, 29, 10.5),
    (30, 34, 12.0), (35, 39, 10.5), (40, 44, 8.5), (45, 49, 7.0), (50, 54, 6.0), (55, 59, 4.5),
    (60, 64, 3.5), (65, 69, 2.5), (70, 74, 1.5), (75, 79, 0.9), (80, 84, 0.5), (85, 94, 0.3),
)
# (code, weight). Each group holds codes valid in every year (blank start and end in GB/T 2260),
# so a code can always be found for any birth year.
SHENZHEN_CODES: tuple[tuple[str, float], ...] = (
    ("440306", 447), ("440307", 398), ("440309", 252), ("440305", 180), ("440304", 155), ("440303", 114),
    ("440311", 110), ("440310", 55), ("440308", 21),
    ("440301", 80), ("440321", 80), ("440300", 10),  # before the districts: 市辖区, 宝安县, 深圳市
)
GUANGDONG_CODES: tuple[tuple[str, float], ...] = (
    ("440104", 10), ("440106", 8), ("440111", 8), ("440511", 8), ("441402", 8), ("441424", 10),
    ("440883", 8), ("445202", 8), ("445281", 10), ("441302", 6), ("441581", 8), ("445102", 6),
    ("440100", 3), ("440500", 3), ("440800", 3), ("440900", 3),
)
OTHER_PROVINCE_CODES: tuple[tuple[str, float], ...] = (
    ("430104", 10), ("430521", 10), ("431002", 8), ("420106", 10), ("360121", 8), ("360702", 8),
    ("450103", 8), ("510104", 6), ("410105", 8),
    ("430100", 3), ("420100", 3), ("360100", 3), ("450100", 3), ("510100", 2), ("410100", 3),
)
MALE_SHARE = 0.53
MOVED_OUT_SHARE = 0.01
DECEASED_SHARE_80_PLUS = 0.04


@dataclass(frozen=True)
class Resident:
    name: str
    id_number: str
    sex: str  # "M" | "F"
    birth_date: date
    status: RegistryStatus = "active"

    @property
    def region_code(self) -> str:
        return self.id_number[:6]


def code_in_use(code: str, year: int) -> bool:
    """Whether the GB/T 2260 code existed in `year` (codes in use before 1980 count as always)."""
    r = region(code, year=year)
    return r is not None and (r.start_year or 0) <= year <= (r.end_year or 9999)


def _weighted(rng: random.Random, pairs: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([p[0] for p in pairs], weights=[p[1] for p in pairs])[0]


def birthplace(rng: random.Random, birth_year: int) -> str:
    """A region code for someone born in `birth_year` (see the module docstring for the shares)."""
    if birth_year >= 2005:
        local = 0.7
    elif birth_year >= 1990:
        local = 0.35
    elif birth_year >= 1980:
        local = 0.15
    else:
        local = 0.05
    draw = rng.random()
    if draw < local:
        pool = SHENZHEN_CODES
    elif draw < local + (1 - local) * 0.45:
        pool = GUANGDONG_CODES
    else:
        pool = OTHER_PROVINCE_CODES
    candidates = tuple(p for p in pool if code_in_use(p[0], birth_year))
    return _weighted(rng, candidates)


def birth_date_for_age(rng: random.Random, age: int) -> date:
    """A day on which someone who is `age` on REFERENCE_DATE could have been born."""
    latest = REFERENCE_DATE.replace(year=REFERENCE_DATE.year - age)
    return latest - timedelta(days=rng.randrange(365))


class IdNumbers:
    """Hands out ID numbers no one else holds: order codes (顺序码) are unique per region, birth date
    and sex, so the number is too."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self._taken: set[str] = set(taken or ())

    def take(self, number: str) -> str:
        self._taken.add(number)
        return number

    def new(self, rng: random.Random, region_code: str, born: date, sex: str) -> str:
        """A random free order code; when random draws keep colliding, the first free one."""
        for _ in range(50):
            number = make_id_number(region_code, born, rng.randrange(500), sex)
            if number not in self._taken:
                return self.take(number)
        for seq in range(500):
            number = make_id_number(region_code, born, seq, sex)
            if number not in self._taken:
                return self.take(number)
        raise ValueError(f"all 500 order codes of {region_code} {born} {sex} are taken")


def generate(count: int, *, seed: int = DEFAULT_SEED, taken: set[str] | None = None) -> list[Resident]:
    """`count` residents, the same ones for the same seed; ID numbers in `taken` are never used."""
    rng = random.Random(seed)
    numbers = IdNumbers(taken)
    bands = [(lo, hi) for lo, hi, _ in AGE_BANDS]
    weights = [w for _, _, w in AGE_BANDS]
    people: list[Resident] = []
    for _ in range(count):
        lo, hi = rng.choices(bands, weights=weights)[0]
        age = rng.randint(lo, hi)
        sex = "M" if rng.random() < MALE_SHARE else "F"
        born = birth_date_for_age(rng, age)
        code = birthplace(rng, born.year)
        name = chinese_name(rng, sex)
        status: RegistryStatus = "active"
        fate = rng.random()
        if age >= 80 and fate < DECEASED_SHARE_80_PLUS:
            status = "deceased"
        elif fate > 1 - MOVED_OUT_SHARE:
            status = "moved_out"
        people.append(Resident(name=name, id_number=numbers.new(rng, code, born, sex), sex=sex,
                               birth_date=born, status=status))
    return people
