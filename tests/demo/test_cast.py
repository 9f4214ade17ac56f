"""The demo cast: valid ID numbers and credit codes, a family whose ages fit, logins the platform accepts."""

from __future__ import annotations

import pytest

from onecity.demo import cast
from onecity.identity.family import rules as family_rules
from onecity.identity.mobile import parse_mobile
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs import uscc
from onecity.identity.resident_id import is_minor, parse_id_number
from onecity.identity.service import check_password_policy


@pytest.mark.parametrize(("body", "check"), [
    # Tencent's organisation code 71526726-X (in its USCC 9144030071526726XG):
    # 7·3 + 1·7 + 5·9 + 2·10 + 6·5 + 7·8 + 2·4 + 6·2 = 21+7+45+20+30+56+8+12 = 199; 199 mod 11 = 1;
    # 11 − 1 = 10 → X
    ("71526726", "X"),
    # M000100Y-4 (in the textbook USCC 91350100M000100Y43): M = 22, Y = 34:
    # 22·3 + 1·5 + 34·2 = 66+5+68 = 139; 139 mod 11 = 7; 11 − 7 = 4
    ("M000100Y", "4"),
    # 00000000: sum 0 → 11 − 0 = 11 → 0
    ("00000000", "0"),
])
def test_organisation_code_check_worked_examples(body, check):
    assert cast.org_code_check(body) == check


def test_organisation_code_check_refuses_bad_input():
    with pytest.raises(ValueError):
        cast.org_code_check("1234567")
    with pytest.raises(ValueError):
        cast.org_code_check("1234567a")


def test_every_org_has_a_valid_unique_code_and_login():
    codes = [d.uscc for d in cast.ORGS]
    assert len(set(codes)) == len(codes)
    for d in cast.ORGS:
        assert uscc.is_valid(d.uscc), d
        assert d.uscc[:2] == d.authority_type and d.uscc[2:8] == "440300"
        assert cast.org_code_check(d.uscc[8:16]) == d.uscc[16], d  # the GB 11714 code inside
        assert orgs.USERNAME_RE.match(d.username), d
    assert len({d.username for d in cast.ORGS}) == len(cast.ORGS)
    assert len({d.name_zh for d in cast.ORGS}) == len(cast.ORGS)


def test_every_kind_is_present_the_city_once_others_two_or_more():
    kinds = [d.kind for d in cast.ORGS]
    assert set(kinds) == set(orgs.ORG_KINDS)
    assert kinds.count("city") == 1
    assert all(kinds.count(k) >= 2 for k in orgs.ORG_KINDS if k != "city")


def test_the_demo_passwords_meet_the_policies():
    for c in cast.CITIZENS:
        check_password_policy(cast.CITIZEN_PASSWORD, mobile=c.mobile)
    for d in cast.ORGS:
        orgs._check_password(d.username, cast.STAFF_PASSWORD)


def test_the_demo_citizens_have_valid_distinct_identities():
    assert len({c.id_number for c in cast.CITIZENS}) == len(cast.CITIZENS)
    assert len({parse_mobile(c.mobile) for c in cast.CITIZENS}) == len(cast.CITIZENS)
    for c in cast.CITIZENS:
        rid = parse_id_number(c.id_number)
        assert (rid.birth_date, rid.sex, rid.region_code) == (c.birth_date, c.sex, c.region_code)
    assert [c.key for c in cast.CITIZENS if c.photo] == ["main"]
    assert [c.key for c in cast.CITIZENS if not c.verified] == ["newcomer"]


def test_the_family_fits_the_family_rules():
    # Fails the day the demo daughter turns 18 (2032-03-21): the cast then needs a younger child.
    assert is_minor(cast.CHILD.birth_date)
    assert not is_minor(cast.MAIN.birth_date) and not is_minor(cast.SPOUSE.birth_date)
    assert family_rules.is_parent_age_gap(cast.PARENT.birth_date, cast.MAIN.birth_date)
    assert family_rules.is_parent_age_gap(cast.MAIN.birth_date, cast.CHILD.birth_date)
    assert {(x.inviter.key, x.invitee.key, x.relation) for x in cast.LINKS} == {
        ("main", "spouse", "spouse"), ("main", "parent", "parent")}
