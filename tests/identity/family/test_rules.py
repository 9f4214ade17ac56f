"""The pure rules of family links: the state machine (every legal and every illegal transition), the
birth-date rules with worked examples, and scopes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from onecity.identity.family import rules
from onecity.identity.family.schemas import MinorLinkCreate

TODAY = date(2026, 11, 26)

LEGAL = {
    ("pending", "accept"): "accepted",
    ("pending", "decline"): "declined",
    ("pending", "cancel"): "cancelled",
    ("pending", "expire"): "expired",
    ("accepted", "revoke"): "revoked",
    ("accepted", "narrow"): "accepted",
}
ILLEGAL = [(s, a) for s in rules.STATUSES for a in rules.ACTIONS if (s, a) not in LEGAL]


def test_transition_table_is_exactly_the_documented_one():
    assert rules.TRANSITIONS == LEGAL
    # 6 statuses × 6 actions = 36 pairs, 6 legal, 30 illegal.
    assert len(ILLEGAL) == 30


def test_legal_transitions():
    for (status, action), after in LEGAL.items():
        assert rules.next_status(status, action) == after


def test_every_illegal_transition_is_refused():
    for status, action in ILLEGAL:
        expected = rules.InvitationExpired if status == "expired" else rules.IllegalTransition
        with pytest.raises(expected) as info:
            rules.next_status(status, action)
        assert info.value.status == 409, (status, action)
        assert info.value.extra == {"status": status, "action": action}


def test_terminal_states_have_no_way_out():
    for status in ("declined", "expired", "cancelled", "revoked"):
        assert not [a for a in rules.ACTIONS if (status, a) in rules.TRANSITIONS]


def test_effective_status_expires_pending_invitations_at_their_deadline():
    deadline = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)
    assert rules.effective_status("pending", deadline, deadline - timedelta(microseconds=1)) == "pending"
    assert rules.effective_status("pending", deadline, deadline) == "expired"
    # Only pending invitations expire; a link that has been accepted stays accepted.
    assert rules.effective_status("accepted", deadline, deadline + timedelta(days=30)) == "accepted"
    assert rules.effective_status("accepted", None, deadline) == "accepted"


# --- birth dates ----------------------------------------------------------------------------------

def test_parent_age_gap_worked_examples():
    # Parent born 1980-06-15: on 1994-06-15 they turn 14, so a child born that day is possible…
    assert rules.is_parent_age_gap(date(1980, 6, 15), date(1994, 6, 15))
    # …and one born the day before is not (the parent would be 13 years and 364 days old).
    assert not rules.is_parent_age_gap(date(1980, 6, 15), date(1994, 6, 14))
    # A "parent" younger than the "child" is never possible.
    assert not rules.is_parent_age_gap(date(2000, 1, 1), date(1990, 1, 1))
    # Born on 29 February 1984: turns 14 on 1 March 1998 (1998 is not a leap year).
    assert not rules.is_parent_age_gap(date(1984, 2, 29), date(1998, 2, 28))
    assert rules.is_parent_age_gap(date(1984, 2, 29), date(1998, 3, 1))


def test_check_relation_parent_and_child_are_mirror_images():
    mum, me = date(1960, 1, 1), date(1990, 1, 1)
    rules.check_relation("parent", inviter_birth=me, relative_birth=mum, today=TODAY)
    rules.check_relation("child", inviter_birth=mum, relative_birth=me, today=TODAY)
    with pytest.raises(rules.RelationInconsistent):
        rules.check_relation("child", inviter_birth=me, relative_birth=mum, today=TODAY)
    with pytest.raises(rules.RelationInconsistent):
        rules.check_relation("parent", inviter_birth=mum, relative_birth=me, today=TODAY)
    # Twelve years apart (1990 → 2002) is too few for parent and child.
    with pytest.raises(rules.RelationInconsistent):
        rules.check_relation("parent", inviter_birth=date(2002, 1, 1), relative_birth=me, today=TODAY)


def test_spouses_must_both_be_adults():
    # On 2026-11-26 someone born 2008-11-26 has just turned 18; one born 2008-11-27 is still 17.
    rules.check_relation("spouse", inviter_birth=date(1990, 1, 1), relative_birth=date(2008, 11, 26), today=TODAY)
    with pytest.raises(rules.SpouseMustBeAdult):
        rules.check_relation("spouse", inviter_birth=date(1990, 1, 1), relative_birth=date(2008, 11, 27),
                             today=TODAY)
    with pytest.raises(rules.SpouseMustBeAdult):
        rules.check_relation("spouse", inviter_birth=date(2008, 11, 27), relative_birth=date(1990, 1, 1),
                             today=TODAY)


def test_invitations_go_to_adults_only():
    with pytest.raises(rules.RelativeIsMinor):
        rules.check_invitable("child", inviter_birth=date(1980, 1, 1), relative_birth=date(2010, 1, 1), today=TODAY)
    rules.check_invitable("child", inviter_birth=date(1980, 1, 1), relative_birth=date(2000, 1, 1), today=TODAY)


def test_what_the_inviters_own_birth_date_rules_out():
    # An adult child is at least 18 and the parent at least 14 years older: the inviter must be 32+.
    rules.check_inviter_can_have("child", inviter_birth=date(1994, 11, 26), today=TODAY)  # 32 today
    with pytest.raises(rules.RelationInconsistent):
        rules.check_inviter_can_have("child", inviter_birth=date(1994, 11, 27), today=TODAY)  # 31
    # Invitations are between adults: a minor inviter is refused whatever the relation.
    for relation in rules.RELATIONS:
        with pytest.raises(rules.MinorCannotInvite):
            rules.check_inviter_can_have(relation, inviter_birth=date(2008, 11, 27), today=TODAY)
    rules.check_inviter_can_have("parent", inviter_birth=date(2008, 11, 26), today=TODAY)  # 18 today
    with pytest.raises(rules.UnknownRelation):
        rules.check_inviter_can_have("cousin", inviter_birth=date(1990, 1, 1), today=TODAY)


def test_guardian_rules():
    rules.check_guardian(parent_birth=date(1985, 1, 1), minor_birth=date(2015, 1, 1), today=TODAY)
    with pytest.raises(rules.NotAMinor):
        rules.check_guardian(parent_birth=date(1970, 1, 1), minor_birth=date(2000, 1, 1), today=TODAY)
    with pytest.raises(rules.GuardianMustBeAdult):
        rules.check_guardian(parent_birth=date(2010, 1, 1), minor_birth=date(2025, 1, 1), today=TODAY)
    with pytest.raises(rules.RelationInconsistent):  # 2000 → 2010: ten years
        rules.check_guardian(parent_birth=date(2000, 1, 1), minor_birth=date(2010, 1, 1), today=TODAY)


# --- scopes ---------------------------------------------------------------------------------------

def test_scopes_are_normalised_to_catalogue_order_without_duplicates():
    assert rules.normalise_scopes(["pay_bills", "pay_medical", "pay_bills"]) == ["pay_medical", "pay_bills"]
    assert rules.normalise_scopes([]) == []
    with pytest.raises(rules.UnknownScope):
        rules.normalise_scopes(["pay_medical", "withdraw_cash"])


def test_scopes_can_only_narrow():
    current = ["pay_medical", "view_bills"]
    assert rules.check_narrowing(["view_bills"], current) == ["view_bills"]
    assert rules.check_narrowing(current, current) == current
    assert rules.check_narrowing([], current) == []
    with pytest.raises(rules.ScopesCanOnlyNarrow):
        rules.check_narrowing(["view_bills", "pay_bills"], current)


def test_minor_link_defaults_to_every_scope():
    assert MinorLinkCreate(name="王小明", id_number="x", grant_id="g").scopes == list(rules.SCOPES)
