"""The unified social credit code check (GB 32100-2015), with worked examples."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from onecity.identity.orgs import uscc


def test_worked_example_tencent_shenzhen():
    # 9144030071526726XG (深圳市腾讯计算机系统有限公司). Values: X = 29, digits as themselves.
    # chars    9  1  4  4  0  3  0  0   7   1   5   2  6   7   2   6   X
    # weights  1  3  9 27 19 26 16 17  20  29  25  13  8  24  10  30  28
    # products 9  3 36 108 0 78  0  0 140  29 125  26 48 168  20 180 812  → sum 1782
    # 1782 mod 31 = 15 (31 × 57 = 1767); 31 − 15 = 16 → alphabet[16] = G
    assert uscc.WEIGHTS == (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
    assert uscc.check_character("9144030071526726X") == "G"
    assert uscc.is_valid("9144030071526726XG")


def test_worked_example_check_value_31_is_written_0():
    # 91350100M000100Y4: 9·1 + 1·3 + 3·9 + 5·27 + 0 + 1·26 + 0 + 0 + M(21)·20 + 0 + 0 + 0 + 1·8 + 0 + 0
    #   + Y(30)·30 + 4·28 = 9+3+27+135+26+420+8+900+112 = 1640; 1640 mod 31 = 28 (31 × 52 = 1612);
    # 31 − 28 = 3 → "3"
    assert uscc.check_character("91350100M000100Y4") == "3"
    # A code whose sum is a multiple of 31 gets check value 31 → written "0".
    body = "9144030000000000"
    for last in uscc.ALPHABET:
        if uscc.check_character(body + last) == "0":
            total = sum(uscc.ALPHABET.index(c) * w for c, w in zip(body + last, uscc.WEIGHTS, strict=True))
            assert total % 31 == 0
            break
    else:  # pragma: no cover
        pytest.fail("some 17th character must make the sum a multiple of 31")


@pytest.mark.parametrize("code", ["91350100M000100Y43", "91330100716105852F", "91110000802100433B",
                                  " 9144030071526726xg "])
def test_real_codes_are_valid(code):
    assert uscc.is_valid(code)


@pytest.mark.parametrize("code", [
    "9144030071526726XH",   # wrong check character
    "9144030071526726X",    # 17 characters
    "9144030071526726XGG",  # 19 characters
    "91440300715267I6XG",   # I is not in the alphabet
    "9144030071526726OG",   # O is not in the alphabet
    "91A4030071526726XG",   # region must be digits
    "",
])
def test_invalid_codes(code):
    assert not uscc.is_valid(code)


_FIRST17 = st.builds(lambda a, b, c: a + b + c, st.text(alphabet=uscc.ALPHABET, min_size=2, max_size=2),
                     st.text(alphabet="0123456789", min_size=6, max_size=6),
                     st.text(alphabet=uscc.ALPHABET, min_size=9, max_size=9))


@given(_FIRST17,
       st.integers(min_value=0, max_value=17), st.sampled_from(uscc.ALPHABET))
def test_any_single_substitution_is_detected(first17, position, replacement):
    """Weights are non-zero mod the prime 31, so changing one character always changes the check."""
    code = uscc.complete(first17)
    assert uscc.is_valid(code)
    if code[position] == replacement:
        return
    altered = code[:position] + replacement + code[position + 1:]
    if altered[2:8].isdigit():
        assert not uscc.is_valid(altered)
