"""Invitations between adult relatives: invite, accept, decline, cancel, the ones a citizen sent and
received, and the sweep that expires those left unanswered.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock
from onecity.authz import RealNameRequired
from onecity.identity import service as identity
from onecity.identity.family import rules
from onecity.identity.family.errors import (
    AccountInactive,
    AddressInvalid,
    AlreadyLinked,
    CannotLinkSelf,
    InvitationPending,
    LinkLimitReached,
    NotYourAnswer,
    NotYourInvitation,
    ScopesNotRequested,
    TooManyInvitations,
)
from onecity.identity.family.models import FamilyLink
from onecity.identity.family.schemas import InvitationsOut, LinkOut
from onecity.identity.family.service.links import (
    _acting_citizen,
    _addressed_to,
    _audit,
    _check_room,
    _citizen,
    _count,
    _event,
    _lock,
    _name_index,
    _name_index_of,
    _pair_key,
    _party_link,
    _pending_sent,
    _settle_expiry,
    _status,
    _today,
    _view,
)
from onecity.identity.mobile import parse_mobile
from onecity.identity.models import Citizen
from onecity.identity.resident_id import mask_id_number, mask_mobile, mask_name, parse_id_number
from onecity.ids import new_id

# --- invitations ----------------------------------------------------------------------------------

def invite(
    session: Session,
    *,
    inviter_id: str,
    relation: str,
    mobile: str | None = None,
    name: str | None = None,
    id_number: str | None = None,
    scopes: Iterable[str] = (),
    offered_scopes: Iterable[str] = (),
) -> LinkOut:
    """Invite an adult relative, addressed by mobile, or by name and ID number (both, always).

    Refused at once only for reasons the inviter's own data or the typed address reveal: an inviter
    under 18, a bad address, oneself, a relation impossible for the inviter's (or the typed ID
    number's) birth date, a minor's ID number, the same address already waiting, or the inviter's
    limits.
    """
    me = _acting_citizen(session, inviter_id)
    assert me.birth_date is not None
    today = _today()
    rules.check_inviter_can_have(relation, inviter_birth=me.birth_date, today=today)
    asked = rules.normalise_scopes(scopes)
    offered = rules.normalise_scopes(offered_scopes)
    name = identity.normalise_name(name) if name else None
    if mobile and not (name or id_number):
        number = parse_mobile(mobile)
        kind, index, name_idx, masked = "mobile", identity.mobile_index(number), None, mask_mobile(number)
        if index == me.mobile_index:
            raise CannotLinkSelf()
    elif name and id_number and not mobile:
        rid = parse_id_number(id_number)
        kind, index = "id_number", identity.id_number_index(rid.number)
        name_idx, masked = _name_index(name), f"{mask_name(name)[:20]} {mask_id_number(rid.number)}"
        if index == me.id_number_index:
            raise CannotLinkSelf()
        rules.check_invitable(relation, inviter_birth=me.birth_date, relative_birth=rid.birth_date, today=today)
    else:
        raise AddressInvalid()

    _lock(session, me.id)
    now = clock.now()
    duplicate = _count(session, FamilyLink.status == "pending", FamilyLink.inviter_id == me.id,
                       FamilyLink.expires_at > now, FamilyLink.address_kind == kind,
                       FamilyLink.address_index == index)
    if duplicate:
        raise InvitationPending()
    pending = _pending_sent(session, me.id)
    if pending >= rules.MAX_PENDING_SENT:
        raise LinkLimitReached(detail=f"at most {rules.MAX_PENDING_SENT} invitations waiting at once")
    sent_today = _count(session, FamilyLink.kind == "invitation", FamilyLink.inviter_id == me.id,
                        FamilyLink.created_at > now - timedelta(days=1))
    if sent_today >= rules.MAX_INVITATIONS_PER_DAY:
        raise TooManyInvitations()
    _check_room(session, me, relation_to_c=relation, extra_pending=pending)

    link = FamilyLink(
        public_id=new_id("fam"), kind="invitation", relation=relation, status="pending",
        inviter_id=me.id, invitee_id=None, address_kind=kind, address_index=index, name_index=name_idx,
        address_masked=masked, inviter_scopes=asked, invitee_scopes=offered, pair_key=None,
        created_at=now, expires_at=now + rules.INVITATION_TTL,
    )
    session.add(link)
    session.flush()
    _event(session, "family.link.created", link, actor_id=me.public_id)
    _audit(session, link, actor=me.public_id, action="family.invitation.create", subject=me,
           reason="发出亲情账户邀请 (sent a family-link invitation)")
    return _view(session, link, me)


def accept(session: Session, *, citizen_id: str, link_id: str, scopes: Iterable[str] | None = None) -> LinkOut:
    """The relative accepts, granting the requested scopes or a part of them (`scopes`).

    Here the relation is checked against both real birth dates, both sides must be verified, active
    adults-where-required, not yet linked, and within their limits.
    """
    me = _acting_citizen(session, citizen_id)
    link = _party_link(session, me, link_id)
    if not _addressed_to(session, link, me):
        raise NotYourAnswer()
    rules.next_status(_status(link), "accept")
    inviter = session.get(Citizen, link.inviter_id)
    assert inviter is not None
    if inviter.id == me.id:
        raise CannotLinkSelf()
    if inviter.status != "active":
        raise AccountInactive(detail="the inviter's account is not active")
    if inviter.verified_at is None or inviter.birth_date is None:
        raise RealNameRequired(detail="the inviter is not real-name verified")
    assert me.birth_date is not None
    rules.check_invitable(link.relation, inviter_birth=inviter.birth_date, relative_birth=me.birth_date,
                          today=_today())
    granted = list(link.inviter_scopes)
    if scopes is not None:
        chosen = rules.normalise_scopes(scopes)
        if set(chosen) - set(granted):
            raise ScopesNotRequested()
        granted = chosen
    _lock(session, me.id, inviter.id)
    if session.scalar(select(FamilyLink.id).where(FamilyLink.pair_key == _pair_key(me.id, inviter.id))):
        raise AlreadyLinked()
    _check_room(session, inviter, relation_to_c=link.relation)
    _check_room(session, me, relation_to_c=rules.INVERSE[link.relation])

    link.status = "accepted"
    link.invitee_id = me.id
    link.inviter_scopes = granted
    link.accepted_at = clock.now()
    link.pair_key = _pair_key(me.id, inviter.id)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise AlreadyLinked() from None
    _event(session, "family.link.accepted", link, actor_id=me.public_id)
    _audit(session, link, actor=me.public_id, action="family.invitation.accept", subject=inviter,
           reason="接受亲情账户邀请并授权 (accepted a family-link invitation and granted scopes)")
    return _view(session, link, me)


def decline(session: Session, *, citizen_id: str, link_id: str) -> LinkOut:
    me = _acting_citizen(session, citizen_id)
    link = _party_link(session, me, link_id)
    if not _addressed_to(session, link, me):
        raise NotYourAnswer()
    link.status = rules.next_status(_status(link), "decline")
    link.invitee_id = me.id
    link.ended_at = clock.now()
    link.ended_by_id = me.id
    _event(session, "family.link.declined", link, actor_id=me.public_id)
    _audit(session, link, actor=me.public_id, action="family.invitation.decline",
           subject=session.get(Citizen, link.inviter_id), reason="拒绝亲情账户邀请 (declined a family-link invitation)")
    return _view(session, link, me)


def cancel(session: Session, *, citizen_id: str, link_id: str) -> LinkOut:
    me = _acting_citizen(session, citizen_id)
    link = _party_link(session, me, link_id)
    if link.inviter_id != me.id:
        raise NotYourInvitation()
    link.status = rules.next_status(_status(link), "cancel")
    link.ended_at = clock.now()
    link.ended_by_id = me.id
    _event(session, "family.link.cancelled", link, actor_id=me.public_id)
    _audit(session, link, actor=me.public_id, action="family.invitation.cancel", subject=me,
           reason="撤回亲情账户邀请 (cancelled a family-link invitation)")
    return _view(session, link, me)


def list_invitations(session: Session, citizen_id: str) -> InvitationsOut:
    """Pending invitations the citizen sent, and those addressed to them (expired ones are settled)."""
    me = _citizen(session, citizen_id)
    sent = list(session.scalars(select(FamilyLink).where(
        FamilyLink.status == "pending", FamilyLink.inviter_id == me.id).order_by(FamilyLink.id)))
    addressed = [and_(FamilyLink.address_kind == "mobile", FamilyLink.address_index == me.mobile_index)]
    my_name = _name_index_of(session, me)
    if me.id_number_index is not None and my_name is not None:
        addressed.append(and_(FamilyLink.address_kind == "id_number",
                              FamilyLink.address_index == me.id_number_index,
                              FamilyLink.name_index == my_name))
    received = list(session.scalars(select(FamilyLink).where(
        FamilyLink.status == "pending", FamilyLink.kind == "invitation", FamilyLink.invitee_id.is_(None),
        FamilyLink.inviter_id != me.id, or_(*addressed)).order_by(FamilyLink.id)))
    for link in sent + received:
        _settle_expiry(session, link)
    return InvitationsOut(
        sent=[_view(session, x, me) for x in sent if x.status == "pending"],
        received=[_view(session, x, me) for x in received if x.status == "pending"],
    )


# --- expiry ---------------------------------------------------------------------------------------

def expire_due(session: Session, *, limit: int = 500) -> int:
    """Mark pending invitations past their expiry as expired; returns how many (a periodic sweep)."""
    rows = list(session.scalars(
        select(FamilyLink).where(FamilyLink.status == "pending", FamilyLink.expires_at <= clock.now())
        .order_by(FamilyLink.id).limit(limit).with_for_update(skip_locked=True)
    ))
    for link in rows:
        _settle_expiry(session, link)
    return len(rows)
