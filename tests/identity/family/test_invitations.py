"""Invitations between adults, through the service: the happy paths, privacy of the address, the
birth-date rules against real accounts, one link per pair, limits, expiry, events and audit."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from onecity import clock, outbox
from onecity.audit.models import AuditEntry
from onecity.authz import RealNameRequired
from onecity.identity.family import rules, service
from onecity.identity.family.models import FamilyLink
from onecity.identity.mobile import InvalidMobile
from onecity.identity.resident_id import IdNumberChecksumError
from tests.identity.family.factories import person


def topics(session) -> list[str]:
    return [e.topic for e in session.scalars(select(outbox.OutboxEvent).order_by(outbox.OutboxEvent.id))
            if e.topic.startswith("family.")]


def audit_actions(session) -> list[str]:
    return [a.action for a in session.scalars(select(AuditEntry).order_by(AuditEntry.seq))
            if a.action.startswith("family.")]


@pytest.fixture
def me(session):
    return person(session, born=date(1990, 3, 7))


@pytest.fixture
def mum(session):
    return person(session, born=date(1962, 8, 1))


def test_invite_by_mobile_accept_and_both_sides_see_the_link(session, me, mum):
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile,
                         scopes=["pay_medical", "view_bills"], offered_scopes=["show_certificates"])
    assert inv.status == "pending" and inv.role == "inviter" and inv.relation == "parent"
    assert inv.other is None  # the sender does not learn who holds the number
    assert inv.address_masked == mum.mobile[:3] + "****" + mum.mobile[-4:]
    assert inv.expires_at == clock.now() + timedelta(days=7)

    theirs = service.list_invitations(session, mum.id)
    assert [r.id for r in theirs.received] == [inv.id] and theirs.sent == []
    seen = theirs.received[0]
    assert seen.relation == "child" and seen.role == "invitee" and seen.address_masked is None
    assert seen.other is not None and seen.other.citizen_id == me.id and seen.other.name_masked == me.name[0] + "*"
    assert seen.their_scopes == ["pay_medical", "view_bills"] and seen.my_scopes == ["show_certificates"]
    assert [s.id for s in service.list_invitations(session, me.id).sent] == [inv.id]

    link = service.accept(session, citizen_id=mum.id, link_id=inv.id)
    assert link.status == "accepted" and link.relation == "child" and link.accepted_at == clock.now()
    assert link.granted_by_me == ["pay_medical", "view_bills"] and link.can_revoke

    mine = service.list_links(session, me.id)
    assert len(mine) == 1 and mine[0].relation == "parent" and mine[0].other.citizen_id == mum.id
    assert mine[0].my_scopes == ["pay_medical", "view_bills"] and mine[0].their_scopes == ["show_certificates"]
    assert mine[0].granted_by_me == ["show_certificates"]
    assert [x.id for x in service.list_links(session, mum.id)] == [inv.id]
    assert service.list_invitations(session, mum.id).received == []
    assert service.list_invitations(session, me.id).sent == []

    assert service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="pay_medical")
    assert not service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="pay_bills")
    assert service.has_scope(session, actor_citizen_id=mum.id, subject_citizen_id=me.id, scope="show_certificates")
    assert not service.has_scope(session, actor_citizen_id=mum.id, subject_citizen_id=me.id, scope="pay_medical")
    assert service.scopes_of(session, actor_citizen_id=me.id, subject_citizen_id=mum.id) == [
        "pay_medical", "view_bills"]

    assert topics(session) == ["family.link.created", "family.link.accepted"]
    accepted = session.scalars(select(outbox.OutboxEvent).where(
        outbox.OutboxEvent.topic == "family.link.accepted")).one()
    assert accepted.payload == {
        "link_id": inv.id, "kind": "invitation", "relation": "parent", "status": "accepted",
        "inviter_id": me.id, "invitee_id": mum.id, "inviter_scopes": ["pay_medical", "view_bills"],
        "invitee_scopes": ["show_certificates"], "actor_id": mum.id,
    }
    assert audit_actions(session) == ["family.invitation.create", "family.invitation.accept"]


def test_invite_by_name_and_id_number(session, me, mum):
    inv = service.invite(session, inviter_id=me.id, relation="parent", name=mum.name, id_number=mum.id_number,
                         scopes=["pay_medical"])
    assert inv.address_masked == f"{mum.name[0]}* {mum.id_number[:4]}{'*' * 10}{mum.id_number[-4:]}"
    assert [r.id for r in service.list_invitations(session, mum.id).received] == [inv.id]
    assert service.accept(session, citizen_id=mum.id, link_id=inv.id).status == "accepted"


def test_name_and_id_number_must_both_match_the_relative(session, me, mum):
    """The holder of the ID number never sees an invitation made with another name, and cannot take it."""
    inv = service.invite(session, inviter_id=me.id, relation="parent", name="欧阳不是", id_number=mum.id_number)
    assert service.list_invitations(session, mum.id).received == []
    with pytest.raises(service.LinkNotFound):
        service.accept(session, citizen_id=mum.id, link_id=inv.id)


def test_accepter_may_grant_only_part_of_the_requested_scopes(session, me, mum):
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile,
                         scopes=["pay_medical", "view_bills"])
    with pytest.raises(service.ScopesNotRequested):
        service.accept(session, citizen_id=mum.id, link_id=inv.id, scopes=["pay_medical", "pay_bills"])
    link = service.accept(session, citizen_id=mum.id, link_id=inv.id, scopes=["view_bills"])
    assert link.granted_by_me == ["view_bills"]
    assert not service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="pay_medical")
    assert service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="view_bills")


def test_decline_does_not_reveal_who_declined(session, me, mum):
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    out = service.decline(session, citizen_id=mum.id, link_id=inv.id)
    assert out.status == "declined"
    seen_by_sender = service.get_link(session, citizen_id=me.id, link_id=inv.id)
    assert seen_by_sender.status == "declined" and seen_by_sender.other is None
    assert service.list_links(session, me.id) == [] and service.list_links(session, mum.id) == []
    assert topics(session) == ["family.link.created", "family.link.declined"]


def test_cancel_by_the_sender_only(session, me, mum):
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    with pytest.raises(service.NotYourInvitation):
        service.cancel(session, citizen_id=mum.id, link_id=inv.id)
    with pytest.raises(service.NotYourAnswer):
        service.accept(session, citizen_id=me.id, link_id=inv.id)
    with pytest.raises(service.NotYourAnswer):
        service.decline(session, citizen_id=me.id, link_id=inv.id)
    assert service.cancel(session, citizen_id=me.id, link_id=inv.id).status == "cancelled"
    assert service.list_invitations(session, mum.id).received == []
    assert topics(session) == ["family.link.created", "family.link.cancelled"]


def test_strangers_see_nothing(session, me, mum):
    stranger = person(session)
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    for fn in (service.accept, service.decline, service.cancel, service.revoke, service.get_link):
        with pytest.raises(service.LinkNotFound):
            fn(session, citizen_id=stranger.id, link_id=inv.id)
    with pytest.raises(service.LinkNotFound):
        service.narrow_scopes(session, citizen_id=stranger.id, link_id=inv.id, scopes=[])
    with pytest.raises(service.LinkNotFound):
        service.accept(session, citizen_id=mum.id, link_id="fam_nope")


# --- privacy of the address -----------------------------------------------------------------------

def _shape(out) -> dict:
    d = out.model_dump()
    for volatile in ("id", "address_masked"):
        d.pop(volatile)
    return d


def test_inviting_an_unregistered_number_looks_the_same(session, me, mum):
    registered = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    unregistered = service.invite(session, inviter_id=me.id, relation="parent", mobile="13700000001")
    assert _shape(registered) == _shape(unregistered)


def test_a_minor_or_an_impossible_age_is_found_out_only_on_accepting(session, me):
    """By mobile the inviter learns nothing; the person invited sees why they cannot accept."""
    kid = person(session, born=date(2012, 5, 1))
    peer = person(session, born=date(1991, 1, 1))
    to_kid = service.invite(session, inviter_id=me.id, relation="spouse", mobile=kid.mobile)
    to_peer = service.invite(session, inviter_id=me.id, relation="parent", mobile=peer.mobile)
    with pytest.raises(rules.RelativeIsMinor):
        service.accept(session, citizen_id=kid.id, link_id=to_kid.id)
    with pytest.raises(rules.RelationInconsistent):
        service.accept(session, citizen_id=peer.id, link_id=to_peer.id)
    assert service.decline(session, citizen_id=peer.id, link_id=to_peer.id).status == "declined"


def test_what_the_typed_id_number_says_is_refused_at_once(session, me):
    """An ID number carries its birth date: no account is looked up to refuse a minor or a peer."""
    from tests.identity.factories import fresh_id_number

    with pytest.raises(rules.RelativeIsMinor):
        service.invite(session, inviter_id=me.id, relation="child", name="李小朋",
                       id_number=fresh_id_number(birth_date=date(2015, 1, 1)))
    with pytest.raises(rules.RelationInconsistent):
        service.invite(session, inviter_id=me.id, relation="parent", name="李同龄",
                       id_number=fresh_id_number(birth_date=date(1985, 1, 1)))
    good = fresh_id_number(birth_date=date(1960, 1, 1))
    with pytest.raises(IdNumberChecksumError):
        service.invite(session, inviter_id=me.id, relation="parent", name="李错号",
                       id_number=good[:-1] + ("0" if good[-1] != "0" else "1"))
    assert session.scalars(select(FamilyLink)).all() == []


def test_what_the_inviters_own_age_rules_out(session):
    young = person(session, born=date(2000, 1, 1))  # 26: cannot have an adult child
    with pytest.raises(rules.RelationInconsistent):
        service.invite(session, inviter_id=young.id, relation="child", mobile="13700000002")
    teen = person(session, born=date(2010, 1, 1))
    for relation in rules.RELATIONS:  # a minor is linked by a parent, never through invitations
        with pytest.raises(rules.MinorCannotInvite):
            service.invite(session, inviter_id=teen.id, relation=relation, mobile="13700000003")


def test_the_address_must_be_a_mobile_or_a_name_with_an_id_number(session, me):
    for address in ({}, {"name": "王五"}, {"id_number": "110105194912310021"},
                    {"mobile": "13700000004", "name": "王五", "id_number": "110105194912310021"},
                    {"mobile": "13700000004", "name": "王五"}):
        with pytest.raises(service.AddressInvalid):
            service.invite(session, inviter_id=me.id, relation="parent", **address)


def test_bad_input_changes_nothing(session, me):
    with pytest.raises(InvalidMobile):
        service.invite(session, inviter_id=me.id, relation="parent", mobile="12345")
    with pytest.raises(rules.UnknownRelation):
        service.invite(session, inviter_id=me.id, relation="cousin", mobile="13700000005")
    with pytest.raises(rules.UnknownScope):
        service.invite(session, inviter_id=me.id, relation="parent", mobile="13700000005", scopes=["withdraw"])
    assert session.scalars(select(FamilyLink)).all() == []
    assert topics(session) == [] and audit_actions(session) == []


def test_no_self_link(session, me):
    with pytest.raises(service.CannotLinkSelf):
        service.invite(session, inviter_id=me.id, relation="spouse", mobile=me.mobile)
    with pytest.raises(service.CannotLinkSelf):
        service.invite(session, inviter_id=me.id, relation="spouse", name=me.name, id_number=me.id_number)


def test_both_sides_must_be_verified(session, mum):
    unverified = person(session, verified=False)
    with pytest.raises(RealNameRequired):
        service.invite(session, inviter_id=unverified.id, relation="parent", mobile=mum.mobile)
    me = person(session)
    inv = service.invite(session, inviter_id=me.id, relation="child", mobile=unverified.mobile)
    with pytest.raises(RealNameRequired):
        service.accept(session, citizen_id=unverified.id, link_id=inv.id)


def test_a_closed_account_cannot_act_or_be_acted_for(session, me, mum):
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile, scopes=["view_bills"])
    service.accept(session, citizen_id=mum.id, link_id=inv.id)
    mum.citizen.status = "closed"
    session.flush()
    assert not service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="view_bills")
    with pytest.raises(service.AccountInactive):
        service.revoke(session, citizen_id=mum.id, link_id=inv.id)


# --- one link per pair ----------------------------------------------------------------------------

def test_one_link_per_pair_even_with_two_invitations(session, me, mum):
    by_mobile = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    by_id = service.invite(session, inviter_id=me.id, relation="parent", name=mum.name, id_number=mum.id_number)
    crossing = service.invite(session, inviter_id=mum.id, relation="child", mobile=me.mobile)
    service.accept(session, citizen_id=mum.id, link_id=by_mobile.id)
    with pytest.raises(service.AlreadyLinked):
        service.accept(session, citizen_id=mum.id, link_id=by_id.id)
    with pytest.raises(service.AlreadyLinked):
        service.accept(session, citizen_id=me.id, link_id=crossing.id)


def test_the_same_address_cannot_be_invited_twice_at_once(session, me, mum):
    first = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    with pytest.raises(service.InvitationPending):
        service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    service.cancel(session, citizen_id=me.id, link_id=first.id)
    service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)


def test_a_revoked_pair_can_link_again(session, me, mum):
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    service.accept(session, citizen_id=mum.id, link_id=inv.id)
    service.revoke(session, citizen_id=me.id, link_id=inv.id)
    again = service.invite(session, inviter_id=mum.id, relation="child", mobile=me.mobile, scopes=["pay_bills"])
    assert service.accept(session, citizen_id=me.id, link_id=again.id).status == "accepted"
    assert service.has_scope(session, actor_citizen_id=mum.id, subject_citizen_id=me.id, scope="pay_bills")


# --- limits ---------------------------------------------------------------------------------------

def test_pending_invitations_are_limited(session, me):
    for i in range(rules.MAX_PENDING_SENT):
        service.invite(session, inviter_id=me.id, relation="parent", mobile=f"1370000010{i}")
    with pytest.raises(service.LinkLimitReached):
        service.invite(session, inviter_id=me.id, relation="parent", mobile="13700000199")


def test_invitations_per_day_are_limited(session, me):
    for i in range(rules.MAX_INVITATIONS_PER_DAY):
        inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=f"137000002{i:02d}")
        service.cancel(session, citizen_id=me.id, link_id=inv.id)
    with pytest.raises(service.TooManyInvitations) as info:
        service.invite(session, inviter_id=me.id, relation="parent", mobile="13700000299")
    assert info.value.status == 429
    clock.advance(timedelta(days=1, seconds=1))
    service.invite(session, inviter_id=me.id, relation="parent", mobile="13700000299")


def test_link_count_limit_on_both_sides(session, monkeypatch):
    monkeypatch.setattr(rules, "MAX_LINKS", 2)
    parent = person(session, born=date(1960, 1, 1))
    kids = [person(session, born=date(1990, 1, i + 1)) for i in range(3)]
    invs = [service.invite(session, inviter_id=k.id, relation="parent", mobile=parent.mobile) for k in kids]
    service.accept(session, citizen_id=parent.id, link_id=invs[0].id)
    service.accept(session, citizen_id=parent.id, link_id=invs[1].id)
    with pytest.raises(service.LinkLimitReached):
        service.accept(session, citizen_id=parent.id, link_id=invs[2].id)
    # The inviter with links already at the limit cannot send more invitations either.
    with pytest.raises(service.LinkLimitReached):
        service.invite(session, inviter_id=parent.id, relation="spouse", mobile="13700000300")


def test_one_spouse_and_two_parents(session, me):
    first, second = person(session, born=date(1989, 1, 1)), person(session, born=date(1988, 1, 1))
    a = service.invite(session, inviter_id=me.id, relation="spouse", mobile=first.mobile)
    b = service.invite(session, inviter_id=second.id, relation="spouse", mobile=me.mobile)
    service.accept(session, citizen_id=first.id, link_id=a.id)
    with pytest.raises(service.LinkLimitReached):
        service.accept(session, citizen_id=me.id, link_id=b.id)
    with pytest.raises(service.LinkLimitReached):  # the inviter's own data: refused at once
        service.invite(session, inviter_id=me.id, relation="spouse", mobile=second.mobile)

    parents = [person(session, born=date(1960, 1, i + 1)) for i in range(3)]
    invs = [service.invite(session, inviter_id=me.id, relation="parent", mobile=p.mobile) for p in parents]
    service.accept(session, citizen_id=parents[0].id, link_id=invs[0].id)
    service.accept(session, citizen_id=parents[1].id, link_id=invs[1].id)
    with pytest.raises(service.LinkLimitReached):
        service.accept(session, citizen_id=parents[2].id, link_id=invs[2].id)


# --- expiry ---------------------------------------------------------------------------------------

def test_invitations_expire_after_seven_days(session, me, mum):
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    clock.advance(rules.INVITATION_TTL - timedelta(seconds=1))
    assert service.get_link(session, citizen_id=mum.id, link_id=inv.id).status == "pending"
    clock.advance(timedelta(seconds=1))
    with pytest.raises(rules.InvitationExpired):
        service.accept(session, citizen_id=mum.id, link_id=inv.id)
    assert service.list_invitations(session, mum.id).received == []
    row = session.scalars(select(FamilyLink)).one()
    assert row.status == "expired" and row.ended_at == row.expires_at
    assert topics(session) == ["family.link.created", "family.link.expired"]
    # Expired invitations no longer count against the sender's limits.
    service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)


def test_expire_due_sweeps_only_pending_invitations_past_their_time(session, me, mum):
    dad = person(session, born=date(1960, 2, 2))
    old = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    accepted = service.invite(session, inviter_id=me.id, relation="parent", mobile=dad.mobile)
    service.accept(session, citizen_id=dad.id, link_id=accepted.id)
    clock.advance(timedelta(days=8))
    fresh = service.invite(session, inviter_id=me.id, relation="spouse", mobile="13700000400")
    assert service.expire_due(session) == 1
    status = {r.public_id: r.status for r in session.scalars(select(FamilyLink))}
    assert status == {old.id: "expired", accepted.id: "accepted", fresh.id: "pending"}
    assert service.expire_due(session) == 0


# --- revoke and narrow ----------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["inviter", "invitee"])
def test_either_side_revokes(session, me, mum, who):
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile, scopes=["pay_bills"])
    service.accept(session, citizen_id=mum.id, link_id=inv.id)
    actor = me if who == "inviter" else mum
    out = service.revoke(session, citizen_id=actor.id, link_id=inv.id)
    assert out.status == "revoked" and not out.can_revoke
    assert not service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="pay_bills")
    assert service.list_links(session, me.id) == [] and service.list_links(session, mum.id) == []
    row = session.scalars(select(FamilyLink)).one()
    assert row.pair_key is None and row.ended_by_id == actor.citizen.id
    assert topics(session)[-1] == "family.link.revoked"
    assert audit_actions(session)[-1] == "family.link.revoke"
    # The sender sees who it was once they had been linked.
    assert service.get_link(session, citizen_id=me.id, link_id=inv.id).other.citizen_id == mum.id


def test_each_grantor_narrows_what_they_grant_and_never_widens(session, me, mum):
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile,
                         scopes=["pay_medical", "view_bills"], offered_scopes=["show_certificates", "pay_bills"])
    service.accept(session, citizen_id=mum.id, link_id=inv.id)
    # Mum grants me pay_medical and view_bills: she narrows them.
    out = service.narrow_scopes(session, citizen_id=mum.id, link_id=inv.id, scopes=["view_bills"])
    assert out.granted_by_me == ["view_bills"] and out.their_scopes == ["view_bills"]
    # I grant mum show_certificates and pay_bills: I narrow those.
    out = service.narrow_scopes(session, citizen_id=me.id, link_id=inv.id, scopes=["pay_bills"])
    assert out.granted_by_me == ["pay_bills"] and out.my_scopes == ["view_bills"]
    with pytest.raises(rules.ScopesCanOnlyNarrow):
        service.narrow_scopes(session, citizen_id=mum.id, link_id=inv.id, scopes=["view_bills", "pay_medical"])
    assert service.scopes_of(session, actor_citizen_id=me.id, subject_citizen_id=mum.id) == ["view_bills"]
    assert service.scopes_of(session, actor_citizen_id=mum.id, subject_citizen_id=me.id) == ["pay_bills"]
    # Narrowing to the same set changes nothing and emits nothing.
    before = topics(session)
    service.narrow_scopes(session, citizen_id=me.id, link_id=inv.id, scopes=["pay_bills"])
    assert topics(session) == before
    assert before.count("family.link.scopes_narrowed") == 2
    # Everything can be withdrawn; the link stays.
    out = service.narrow_scopes(session, citizen_id=mum.id, link_id=inv.id, scopes=[])
    assert out.status == "accepted" and out.their_scopes == []


# --- acting for a relative ------------------------------------------------------------------------

def test_act_for_checks_the_scope_and_audits_on_behalf_of(session, me, mum):
    inv = service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile, scopes=["pay_medical"])
    service.accept(session, citizen_id=mum.id, link_id=inv.id)
    service.act_for(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="pay_medical",
                    action="medinsure.visit.pay", resource="visit/visit_1", reason="代父母支付医疗费用")
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "medinsure.visit.pay")).one()
    assert (entry.actor_id, entry.subject_citizen_id, entry.on_behalf_of) == (me.id, mum.id, mum.id)
    with pytest.raises(service.NotAllowedForRelative):
        service.act_for(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="pay_bills",
                        action="services.bill.pay", resource="bill/1", reason="代缴")


def test_has_scope_edge_cases(session, me, mum):
    assert not service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id=me.id, scope="pay_bills")
    assert not service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id="cit_nobody",
                                 scope="pay_bills")
    assert not service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="pay_bills")
    with pytest.raises(ValueError, match="unknown family scope"):
        service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="withdraw_cash")
    # A pending invitation grants nothing yet.
    service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile, scopes=["pay_bills"])
    assert not service.has_scope(session, actor_citizen_id=me.id, subject_citizen_id=mum.id, scope="pay_bills")


def test_the_expire_command_records_expiries(session, me, mum):
    from typer.testing import CliRunner

    from onecity.cli import app

    service.invite(session, inviter_id=me.id, relation="parent", mobile=mum.mobile)
    session.commit()
    clock.advance(rules.INVITATION_TTL)
    result = CliRunner().invoke(app, ["family", "expire"])
    assert result.exit_code == 0, result.output
    assert "invitations expired: 1" in result.output
    session.rollback()
    assert session.scalars(select(FamilyLink)).one().status == "expired"
