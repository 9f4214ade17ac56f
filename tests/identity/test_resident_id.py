"""The resident ID number (GB 11643): worked examples, every error code, properties and a fuzz test."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from onecity import clock
from onecity.identity import resident_id as rid
from onecity.identity.resident_id import (
    IdNumberBirthDateError,
    IdNumberChecksumError,
    IdNumberFormatError,
    IdNumberRegionError,
    InvalidIdNumber,
    age_on,
    check_digit,
    is_minor,
    make_id_number,
    mask_id_number,
    mask_mobile,
    mask_name,
    parse_id_number,
)

TODAY = date(2026, 11, 26)


# --- worked examples ------------------------------------------------------------------------------

def test_check_digit_worked_example_from_the_standard():
    # GB 11643-1999's example 11010519491231002X:
    #   digits   1  1  0  1  0  5  1  9  4  9  1  2  3  1  0  0  2
    #   weights  7  9 10  5  8  4  2  1  6  3  7  9 10  5  8  4  2
    #   products 7  9  0  5  0 20  2  9 24 27  7 18 30  5  0  0  4  -> sum 167
    #   167 mod 11 = 2 -> check value (12 - 2) mod 11 = 10 -> written "X"
    assert check_digit("11010519491231002") == "X"
    parsed = parse_id_number("11010519491231002X", today=TODAY)
    assert parsed.region_code == "110105" and parsed.region and parsed.region.name == "朝阳区"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex == "F"  # 17th digit 2 is even
    assert parsed.order_code == "002"


def test_check_digit_second_worked_example():
    # 44030519900307025 · weights → 4·7+4·9+0+3·5+0+5·4+1·2+9·1+9·6+0+0+3·9+0+7·5+0+2·4+5·2
    #   = 28+36+0+15+0+20+2+9+54+0+0+27+0+35+0+8+10 = 244; 244 mod 11 = 2 → "X"
    assert check_digit("44030519900307025") == "X"
    # 44030520000101001 → 4·7+4·9+3·5+5·4+2·2+1·9+1·5+1·2 = 28+36+15+20+4+9+5+2 = 119;
    #   119 mod 11 = 9 → (12 - 9) mod 11 = 3 → "3"
    # 44030520000101002 → the last product is 2·2 = 4, so 121; 121 mod 11 = 0 → (12 - 0) mod 11 = 1 → "1"
    assert check_digit("44030520000101001") == "3"
    assert check_digit("44030520000101002") == "1"


def test_sex_age_and_minor_from_the_number():
    n = make_id_number("440305", date(2010, 6, 15), 3, "M")
    parsed = parse_id_number(n, today=TODAY)
    assert parsed.sex == "M" and int(parsed.order_code) % 2 == 1
    assert parsed.age_on(TODAY) == 16 and parsed.is_minor_on(TODAY)
    assert parsed.age_on(date(2028, 6, 14)) == 17
    assert parsed.age_on(date(2028, 6, 15)) == 18 and not parsed.is_minor_on(date(2028, 6, 15))


def test_age_on_birthdays_and_leap_days():
    assert age_on(date(2000, 2, 29), date(2018, 2, 28)) == 17
    assert age_on(date(2000, 2, 29), date(2018, 3, 1)) == 18
    assert age_on(date(2000, 2, 29), date(2020, 2, 29)) == 20
    assert age_on(date(1990, 12, 31), date(1991, 12, 30)) == 0


def test_is_minor_uses_the_city_clock():
    from datetime import UTC, datetime

    clock.freeze(datetime(2026, 6, 14, 16, 30, tzinfo=UTC))  # 2026-06-15 00:30 in Shanghai
    try:
        assert not is_minor(date(2008, 6, 15))  # 18 today, local time
        assert is_minor(date(2008, 6, 16))
    finally:
        clock.reset()


def test_normalises_lower_case_x_full_width_and_spaces():
    assert parse_id_number(" 11010519491231002x ", today=TODAY).number == "11010519491231002X"
    assert parse_id_number("１１０１０５１９４９１２３１００２Ｘ", today=TODAY).number == "11010519491231002X"


# --- one error code per failure -------------------------------------------------------------------

@pytest.mark.parametrize("bad", [
    "", "1101051949123100", "1101051949123100211", "11010519491231002Y", "1101051949123X0021",
    "110105 19491231002X", "ABCDEFGHIJKLMNOPQR", "11010519491231002X\x00", "١١٠١٠٥١٩٤٩١٢٣١٠٠٢٩",
    "1" * 65,
])
def test_format_errors(bad):
    with pytest.raises(IdNumberFormatError) as e:
        parse_id_number(bad, today=TODAY)
    assert e.value.code == "id_number_format" and e.value.status == 422


@pytest.mark.parametrize("region", ["000000", "999999", "440399", "123456"])
def test_region_errors(region):
    body = f"{region}19900101001"
    with pytest.raises(IdNumberRegionError) as e:
        parse_id_number(body + check_digit(body), today=TODAY)
    assert e.value.code == "id_number_region"


@pytest.mark.parametrize("birth", ["19900230", "19901301", "19900001", "18991231", "20261127", "30000101"])
def test_birth_date_errors(birth):
    body = f"440305{birth}001"
    with pytest.raises(IdNumberBirthDateError) as e:
        parse_id_number(body + check_digit(body), today=TODAY)
    assert e.value.code == "id_number_birth_date"


def test_birth_date_limits_are_inclusive():
    assert parse_id_number(make_id_number("440305", date(1900, 1, 1), 0, "F"), today=TODAY)
    assert parse_id_number(make_id_number("440305", TODAY, 0, "F"), today=TODAY)


def test_checksum_error():
    good = "11010519491231002X"
    with pytest.raises(IdNumberChecksumError) as e:
        parse_id_number(good[:-1] + "9", today=TODAY)
    assert e.value.code == "id_number_checksum"


def test_errors_have_both_languages():
    for cls in (IdNumberFormatError, IdNumberRegionError, IdNumberBirthDateError, IdNumberChecksumError):
        err = cls()
        assert err.title("zh-CN") != err.title("en") and err.title("en").isascii()
        assert isinstance(err, InvalidIdNumber)


# --- regions --------------------------------------------------------------------------------------

def test_region_table_holds_every_province_and_prefecture_and_shenzhen_districts():
    codes = rid.region_codes()
    provinces = {c for c in codes if c.endswith("0000")}
    # 34 provincial-level divisions (incl. Hong Kong, Macao, Taiwan) are in the current table.
    current_provinces = {c for c in provinces if rid.region(c).end_year is None}
    assert len(current_provinces) == 34
    prefectures = {c for c in codes if c.endswith("00") and not c.endswith("0000")}
    assert len(prefectures) > 330
    assert all(c[:2] + "0000" in provinces for c in prefectures)
    shenzhen = {c: rid.region(c).name for c in codes if c.startswith("4403")}
    for code, name in {"440300": "深圳市", "440303": "罗湖区", "440304": "福田区", "440305": "南山区",
                       "440306": "宝安区", "440307": "龙岗区", "440308": "盐田区", "440309": "龙华区",
                       "440310": "坪山区", "440311": "光明区"}.items():
        assert shenzhen[code] == name
    assert [r.name for r in rid.region_path("440305")] == ["广东省", "深圳市", "南山区"]


def test_retired_region_codes_still_validate_and_name_by_year():
    # 440302 沙头角区 existed 1988-1989; people first registered there still carry it.
    n = make_id_number("440302", date(1975, 5, 5), 1, "F")
    assert parse_id_number(n, today=TODAY).region_code == "440302"
    assert rid.region("210311", year=1990).name == "旧堡区"
    assert rid.region("210311", year=2010).name == "千山区"
    assert rid.region("210311").name == "千山区"


# --- masking --------------------------------------------------------------------------------------

def test_masks():
    assert mask_id_number("440305199003070251") == "4403**********0251"
    assert mask_name("张三丰") == "张*丰"
    assert mask_name("张三") == "张*"
    assert mask_name("欧阳小明") == "欧**明"
    assert mask_name("王") == "*"
    assert mask_mobile("13812341234") == "138****1234"
    assert mask_id_number("1234") == "****"


# --- properties -----------------------------------------------------------------------------------

REGIONS = sorted(rid.region_codes())
regions = st.sampled_from(REGIONS)
births = st.dates(min_value=date(1900, 1, 1), max_value=TODAY)
seqs = st.integers(min_value=0, max_value=499)
sexes = st.sampled_from(["M", "F"])


@given(regions, births, seqs, sexes)
def test_generated_numbers_parse_back(region, born, seq, sex):
    n = make_id_number(region, born, seq, sex)
    parsed = parse_id_number(n, today=TODAY)
    assert (parsed.region_code, parsed.birth_date, parsed.sex) == (region, born, sex)
    assert parsed.number == n and len(n) == 18
    assert mask_id_number(n) == n[:4] + "*" * 10 + n[-4:]


@given(regions, births, seqs, sexes, st.integers(min_value=0, max_value=16), st.integers(min_value=1, max_value=9))
def test_every_single_digit_error_is_caught(region, born, seq, sex, position, delta):
    # MOD 11-2 catches every single substitution: the weights are all non-zero mod 11.
    n = make_id_number(region, born, seq, sex)
    wrong = n[:position] + str((int(n[position]) + delta) % 10) + n[position + 1:]
    assert not rid.is_valid_id_number(wrong, today=TODAY)


@given(regions, births, seqs, sexes, st.integers(min_value=0, max_value=15))
def test_every_adjacent_transposition_is_caught(region, born, seq, sex, position):
    n = make_id_number(region, born, seq, sex)
    a, b = n[position], n[position + 1]
    swapped = n[:position] + b + a + n[position + 2:]
    assert (a == b) == rid.is_valid_id_number(swapped, today=TODAY)


# --- fuzz -----------------------------------------------------------------------------------------

def _parse_or_domain_error(text: str) -> None:
    try:
        parsed = parse_id_number(text, today=TODAY)
    except InvalidIdNumber as exc:
        assert exc.code in {"id_number_format", "id_number_region", "id_number_birth_date", "id_number_checksum"}
        return
    assert len(parsed.number) == 18 and parsed.number == rid.normalise(text)


@settings(max_examples=400, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=80))
def test_fuzz_arbitrary_text_never_crashes(text):
    _parse_or_domain_error(text)


@settings(max_examples=400)
@given(st.text(alphabet="0123456789Xx ", min_size=16, max_size=20))
def test_fuzz_near_valid_text_never_crashes(text):
    _parse_or_domain_error(text)


@settings(max_examples=300)
@given(regions, births, seqs, sexes, st.data())
def test_fuzz_mutations_of_valid_numbers(region, born, seq, sex, data):
    chars = list(make_id_number(region, born, seq, sex))
    for _ in range(data.draw(st.integers(min_value=1, max_value=3))):
        i = data.draw(st.integers(min_value=0, max_value=len(chars) - 1))
        op = data.draw(st.sampled_from(["replace", "delete", "insert"]))
        c = data.draw(st.sampled_from("0123456789Xx-/ 一"))
        if op == "replace":
            chars[i] = c
        elif op == "delete" and len(chars) > 1:
            del chars[i]
        else:
            chars.insert(i, c)
    _parse_or_domain_error("".join(chars))


def test_generator_refuses_bad_arguments():
    with pytest.raises(IdNumberRegionError):
        make_id_number("999999", date(1990, 1, 1), 1, "M")
    with pytest.raises(ValueError):
        make_id_number("440305", date(1990, 1, 1), 500, "M")
    with pytest.raises(ValueError):
        make_id_number("440305", date(1990, 1, 1), 1, "X")
