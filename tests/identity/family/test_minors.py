"""A parent links a minor child directly, after face verification; the child cannot undo it while a
minor, and the parent's scopes end when the child turns 18. Ages are against 2026-06-01."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from onecity import clock, outbox
from onecity.audit.models import AuditEntry
from onecity.identity.face.models import FaceGrant
from onecity.identity.face.service import FaceGrantInvalid
from onecity.identity.family import rules, service
from onecity.identity.family.models import FamilyLink
from tests.identity.family.factories import make_face_grant, person


@pytest.fixture
def parent(session):
    return person(session, born=date(1985, 4, 10))


@pytest.fixture
def kid(session):
    return person(session, born=date(2014, 9, 1))  # 11 years old


def _grant_used(session, grant_id) -> bool:
    return session.scalars(select(FaceGrant).where(FaceGrant.public_id == grant_id)).one().consumed_at is not None


def test_parent_links_a_minor_with_a_face_grant(session, parent, kid):
    grant = make_face_grant(session, parent.citizen)
    link = service.link_minor(session, parent_id=parent.id, name=kid.name, id_number=kid.id_number,
                              grant_id=grant, scopes=["pay_medical", "show_certificates"])
    assert (link.kind, link.status, link.relation, link.role) == ("guardian", "accepted", "child", "inviter")
    assert link.other.citizen_id == kid.id and link.other.is_minor
    assert link.my_scopes == ["pay_medical", "show_certificates"] and link.their_scopes == []
    assert link.granted_by_me == ["pay_medical", "show_certificates"] and link.can_revoke
    assert _grant_used(session, grant)

    child_view = service.list_links(session, kid.id)
    assert len(child_view) == 1 and child_view[0].relation == "parent" and child_view[0].other.citizen_id == parent.id
    assert child_view[0].granted_by_me is None and not child_view[0].can_revoke

    assert service.has_scope(session, actor_citizen_id=parent.id, subject_citizen_id=kid.id, scope="pay_medical")
    assert not service.has_scope(session, actor_citizen_id=parent.id, subject_citizen_id=kid.id, scope="pay_bills")
    assert not service.has_scope(session, actor_citizen_id=kid.id, subject_citizen_id=parent.id, scope="pay_medical")

    topics = [e.topic for e in session.scalars(select(outbox.OutboxEvent).order_by(outbox.OutboxEvent.id))
              if e.topic.startswith("family.")]
    assert topics == ["family.link.created", "family.link.accepted"]
    entry = session.scalars(select(AuditEntry).where(AuditEntry.action == "family.minor.link")).one()
    assert (entry.actor_id, entry.subject_citizen_id) == (parent.id, kid.id)


def test_the_minor_cannot_revoke_or_narrow_but_the_parent_can(session, parent, kid):
    link = service.link_minor(session, parent_id=parent.id, name=kid.name, id_number=kid.id_number,
                              grant_id=make_face_grant(session, parent.citizen))
    with pytest.raises(service.GuardianLinkLocked):
        service.revoke(session, citizen_id=kid.id, link_id=link.id)
    with pytest.raises(service.GuardianLinkLocked):
        service.narrow_scopes(session, citizen_id=kid.id, link_id=link.id, scopes=[])
    assert session.scalars(select(FamilyLink)).one().status == "accepted"
    out = service.narrow_scopes(session, citizen_id=parent.id, link_id=link.id, scopes=["pay_medical"])
    assert out.my_scopes == ["pay_medical"]
    assert service.revoke(session, citizen_id=parent.id, link_id=link.id).status == "revoked"
    assert not service.has_scope(session, actor_citizen_id=parent.id, subject_citizen_id=kid.id,
                                 scope="pay_medical")


def test_guardian_scopes_end_at_eighteen_and_the_child_may_then_unlink(session, parent):
    teen = person(session, born=date(2008, 6, 2))  # 17 on 2026-06-01, 18 tomorrow
    link = service.link_minor(session, parent_id=parent.id, name=teen.name, id_number=teen.id_number,
                              grant_id=make_face_grant(session, parent.citizen))
    assert service.has_scope(session, actor_citizen_id=parent.id, subject_citizen_id=teen.id, scope="pay_bills")
    clock.advance(timedelta(days=1))
    assert not service.has_scope(session, actor_citizen_id=parent.id, subject_citizen_id=teen.id,
                                 scope="pay_bills")
    assert service.revoke(session, citizen_id=teen.id, link_id=link.id).status == "revoked"


def test_a_valid_grant_of_the_parent_for_this_act_is_required(session, parent, kid):
    other = person(session)
    first = person(session, born=date(2016, 1, 1))
    used = make_face_grant(session, parent.citizen)
    service.link_minor(session, parent_id=parent.id, name=first.name, id_number=first.id_number, grant_id=used)
    grants = {
        "missing": "fgr_01NOSUCHGRANT",
        "other_act": make_face_grant(session, parent.citizen, act="payment.large"),
        "expired": make_face_grant(session, parent.citizen, ttl=timedelta(seconds=-1)),
        "used": used,
        "someone_elses": make_face_grant(session, other.citizen),
    }
    for problem, grant in grants.items():
        with pytest.raises(FaceGrantInvalid) as info:
            service.link_minor(session, parent_id=parent.id, name=kid.name, id_number=kid.id_number,
                               grant_id=grant)
        assert info.value.code == "face_grant_invalid", problem
    assert not service.has_scope(session, actor_citizen_id=parent.id, subject_citizen_id=kid.id,
                                 scope="pay_medical")


def test_a_refused_link_leaves_the_grant_for_another_try(session, parent, kid):
    """The grant is used in the transaction of the link: a failure rolls both back."""
    grant = make_face_grant(session, parent.citizen)
    session.commit()
    with pytest.raises(service.MinorNotFound):
        service.link_minor(session, parent_id=parent.id, name="错名字", id_number=kid.id_number, grant_id=grant)
    session.rollback()
    assert not _grant_used(session, grant)
    link = service.link_minor(session, parent_id=parent.id, name=kid.name, id_number=kid.id_number, grant_id=grant)
    assert link.status == "accepted"


def test_the_child_must_be_a_verified_citizen_with_this_name_and_id_number(session, parent, kid):
    from tests.identity.factories import fresh_id_number, make_registry_entry

    in_registry_only = make_registry_entry(session, birth_date=date(2015, 3, 4))  # no account holds it
    for name, number in (("别人家", kid.id_number),
                         (kid.name, fresh_id_number(birth_date=date(2015, 3, 3))),
                         (in_registry_only.name, in_registry_only.id_number)):
        with pytest.raises(service.MinorNotFound):
            service.link_minor(session, parent_id=parent.id, name=name, id_number=number,
                               grant_id=make_face_grant(session, parent.citizen))


def test_birth_dates_must_fit(session, parent):
    adult = person(session, born=date(2000, 1, 1))
    with pytest.raises(rules.NotAMinor):
        service.link_minor(session, parent_id=parent.id, name=adult.name, id_number=adult.id_number,
                           grant_id=make_face_grant(session, parent.citizen))
    young_parent = person(session, born=date(2000, 1, 1))  # 26
    too_close = person(session, born=date(2012, 1, 1))  # 12 years younger
    with pytest.raises(rules.RelationInconsistent):
        service.link_minor(session, parent_id=young_parent.id, name=too_close.name, id_number=too_close.id_number,
                           grant_id=make_face_grant(session, young_parent.citizen))
    teen_parent = person(session, born=date(2010, 1, 1))
    baby = person(session, born=date(2025, 1, 1))
    with pytest.raises(rules.GuardianMustBeAdult):
        service.link_minor(session, parent_id=teen_parent.id, name=baby.name, id_number=baby.id_number,
                           grant_id=make_face_grant(session, teen_parent.citizen))


def test_no_more_than_two_parents_and_one_link_per_pair(session, parent, kid):
    service.link_minor(session, parent_id=parent.id, name=kid.name, id_number=kid.id_number,
                       grant_id=make_face_grant(session, parent.citizen))
    with pytest.raises(service.AlreadyLinked):
        service.link_minor(session, parent_id=parent.id, name=kid.name, id_number=kid.id_number,
                           grant_id=make_face_grant(session, parent.citizen))
    other_parent = person(session, born=date(1983, 1, 1))
    service.link_minor(session, parent_id=other_parent.id, name=kid.name, id_number=kid.id_number,
                       grant_id=make_face_grant(session, other_parent.citizen))
    third = person(session, born=date(1980, 1, 1))
    with pytest.raises(service.LinkLimitReached):
        service.link_minor(session, parent_id=third.id, name=kid.name, id_number=kid.id_number,
                           grant_id=make_face_grant(session, third.citizen))


def test_illegal_actions_on_a_guardian_link(session, parent, kid):
    link = service.link_minor(session, parent_id=parent.id, name=kid.name, id_number=kid.id_number,
                              grant_id=make_face_grant(session, parent.citizen))
    for action, actor, expected in (("accept", kid, rules.IllegalTransition),
                                    ("decline", kid, rules.IllegalTransition),
                                    ("cancel", parent, rules.IllegalTransition),
                                    ("revoke", kid, service.GuardianLinkLocked)):
        with pytest.raises(expected):
            getattr(service, action)(session, citizen_id=actor.id, link_id=link.id)
        assert session.scalars(select(FamilyLink)).one().status == "accepted"
