"""The demo registry generator: deterministic, valid ID numbers, a city-like age and birthplace mix."""

from __future__ import annotations

from collections import Counter
from datetime import date

import pytest

from onecity.demo import population
from onecity.demo.names import SURNAMES
from onecity.identity.resident_id import age_on, parse_id_number


@pytest.fixture(scope="module")
def people():
    return population.generate(1200)


def test_same_seed_same_city_and_smaller_is_a_prefix(people):
    assert population.generate(1200) == people
    assert population.generate(60) == people[:60]
    assert population.generate(60, seed=7) != people[:60]


def test_every_id_number_is_valid_unique_and_agrees_with_the_person(people):
    assert len({p.id_number for p in people}) == len(people)
    for p in people:
        rid = parse_id_number(p.id_number)  # raises on a bad check digit, region or date
        assert rid.birth_date == p.birth_date
        assert rid.sex == p.sex
        assert population.code_in_use(rid.region_code, p.birth_date.year), p
        assert p.birth_date <= population.REFERENCE_DATE


def test_taken_numbers_are_never_handed_out():
    first = population.generate(30)
    again = population.generate(30, taken={p.id_number for p in first[:10]})
    assert not {p.id_number for p in again} & {p.id_number for p in first[:10]}


def test_ages_look_like_a_young_city_with_children_and_elderly(people):
    ages = [age_on(p.birth_date, population.REFERENCE_DATE) for p in people]
    minors = sum(a < 18 for a in ages) / len(ages)
    elderly = sum(a >= 60 for a in ages) / len(ages)
    assert 0.12 < minors < 0.26
    assert 0.05 < elderly < 0.15
    assert min(ages) <= 2 and max(ages) >= 80
    men = sum(p.sex == "M" for p in people) / len(people)
    assert 0.48 < men < 0.58


def test_birthplaces_mix_the_districts_guangdong_and_other_provinces(people):
    prefixes = Counter(p.region_code[:4] if p.region_code.startswith("44") else p.region_code[:2] for p in people)
    shenzhen = sum(p.region_code.startswith("4403") for p in people)
    other_provinces = sum(not p.region_code.startswith("44") for p in people)
    assert 0.2 < shenzhen / len(people) < 0.6, prefixes
    assert other_provinces / len(people) > 0.2, prefixes
    districts = {p.region_code for p in people if p.region_code.startswith("4403")}
    assert {"440304", "440303", "440305", "440306", "440307", "440309"} <= districts


def test_names_are_chinese_names_from_the_surname_list(people):
    for p in people:
        assert 2 <= len(p.name) <= 3 and p.name[0] in SURNAMES


def test_a_few_entries_are_not_active(people):
    statuses = Counter(p.status for p in people)
    assert statuses["active"] > 0.95 * len(people)
    assert statuses["moved_out"] >= 1
    deceased_ages = [age_on(p.birth_date, population.REFERENCE_DATE) for p in people if p.status == "deceased"]
    assert all(a >= 80 for a in deceased_ages)


@pytest.mark.parametrize(("code", "year", "in_use"), [
    ("440309", 2015, False),   # 龙华区 was created in 2016
    ("440309", 2016, True),
    ("440303", 1989, False),   # 罗湖区 from 1990
    ("440321", 1985, True),    # 宝安县, 1982-1991
    ("440321", 1993, False),
    ("440300", 1950, True),    # 深圳市: in use before the table starts
    ("999999", 2000, False),
])
def test_code_in_use_worked_examples(code, year, in_use):
    assert population.code_in_use(code, year) is in_use


def test_order_codes_run_out_after_500_per_day_region_and_sex():
    import random

    numbers = population.IdNumbers()
    rng = random.Random(1)
    made = {numbers.new(rng, "440304", date(2000, 1, 1), "F") for _ in range(500)}
    assert len(made) == 500
    assert all(parse_id_number(n).sex == "F" for n in made)
    with pytest.raises(ValueError, match="taken"):
        numbers.new(rng, "440304", date(2000, 1, 1), "F")
    assert parse_id_number(numbers.new(rng, "440304", date(2000, 1, 1), "M")).sex == "M"
