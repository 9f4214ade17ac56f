"""Family links: invite, accept, decline, cancel, link a minor, narrow scopes, revoke; and the two
questions other modules ask — `has_scope` (may this person act for that one?) and `list_links`.

Citizens are named by their public ids (`cit_…`) everywhere in this API. Every change is audited
and emits an outbox event `family.link.<new status>` (created, accepted, declined, cancelled,
expired, revoked) or `family.link.scopes_narrowed`, in the caller's transaction.

Privacy of invitations: the inviter never learns whether a mobile or ID number belongs to an
account. Inviting is answered the same way for any well-formed address; everything that depends on
who holds the address (verified? adult? already linked? birth dates?) is checked when that person
accepts. What the inviter typed is enough for some checks at once: an ID number carries a birth
date, so a minor or an impossible age gap is refused immediately.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import RealNameRequired
from onecity.crypto.fields import blind_index
from onecity.errors import InvalidInput
from onecity.identity import service as identity
from onecity.identity.family import rules
from onecity.identity.family.errors import (
    AccountInactive,
    AddressInvalid,
    AlreadyLinked,
    CannotLinkSelf,
    GuardianLinkLocked,
    InvitationPending,
    LinkLimitReached,
    LinkNotFound,
    MinorNotFound,
    NotAllowedForRelative,
    NotYourAnswer,
    NotYourInvitation,
    ScopesNotRequested,
    TooManyInvitations,
)
from onecity.identity.family.models import FamilyLink
from onecity.identity.family.schemas import InvitationsOut, LinkOut, Party
from onecity.identity.mobile import parse_mobile
from onecity.identity.models import Citizen
from onecity.identity.resident_id import mask_id_number, mask_mobile, mask_name, parse_id_number
from onecity.ids import new_id

MINOR_ACT = "family.link_minor"
_NAME_PURPOSE = "family.relative_name"


# --- identity look-ups ----------------------------------------------------------------------------

def _citizen(session: Session, citizen_id: str) -> Citizen:
    return identity.get_citizen(session, citizen_id)


def _acting_citizen(session: Session, citizen_id: str) -> Citizen:
    """The citizen making a change: active and real-name verified."""
    c = _citizen(session, citizen_id)
    if c.status != "active":
        raise AccountInactive()
    if c.verified_at is None or c.birth_date is None:
        raise RealNameRequired()
    return c


def _name_index(name: str) -> str:
    """Blind index of a normalised name (its own purpose: it is compared only within family links)."""
    return blind_index(identity.normalise_name(name), purpose=_NAME_PURPOSE)


def _name_index_of(session: Session, c: Citizen) -> str | None:
    """The blind index of a verified citizen's real name; None when they have none."""
    name = identity.real_name(session, c.public_id) if c.real_name_enc is not None else None
    if not name:
        return None
    try:
        return _name_index(name)
    except InvalidInput:
        return None


def _today() -> date:
    return clock.today_local().date()


def _lock(session: Session, *row_ids: int) -> None:
    """Serialise changes touching these citizens' links (row locks on PostgreSQL, in id order;
    SQLite already runs one writer at a time)."""
    for rid in sorted(set(row_ids)):
        session.execute(select(Citizen.id).where(Citizen.id == rid).with_for_update())


# --- shared pieces --------------------------------------------------------------------------------

def _pair_key(a: int, b: int) -> str:
    return f"{min(a, b)}:{max(a, b)}"


def _involving(row_id: int) -> ColumnElement[bool]:
    return or_(FamilyLink.inviter_id == row_id, FamilyLink.invitee_id == row_id)


def _count(session: Session, *conds: ColumnElement[bool]) -> int:
    return int(session.scalar(select(func.count()).select_from(FamilyLink).where(*conds)) or 0)


def _accepted_links(session: Session, row_id: int) -> int:
    return _count(session, FamilyLink.status == "accepted", _involving(row_id))


def _pending_sent(session: Session, row_id: int) -> int:
    return _count(session, FamilyLink.status == "pending", FamilyLink.inviter_id == row_id,
                  FamilyLink.expires_at > clock.now())


def _spouses(session: Session, row_id: int) -> int:
    return _count(session, FamilyLink.status == "accepted", FamilyLink.relation == "spouse", _involving(row_id))


def _parents(session: Session, row_id: int) -> int:
    """Linked parents: links where the citizen invited a parent, or was invited (or linked) as a child."""
    return _count(session, FamilyLink.status == "accepted", or_(
        and_(FamilyLink.inviter_id == row_id, FamilyLink.relation == "parent"),
        and_(FamilyLink.invitee_id == row_id, FamilyLink.relation == "child"),
    ))


def _check_room(session: Session, c: Citizen, *, relation_to_c: str, extra_pending: int = 0) -> None:
    """`c` may take one more link in which the other person is c's `relation_to_c`."""
    if _accepted_links(session, c.id) + extra_pending >= rules.MAX_LINKS:
        raise LinkLimitReached(detail=f"at most {rules.MAX_LINKS} family links")
    if relation_to_c == "spouse" and _spouses(session, c.id) >= rules.MAX_SPOUSES:
        raise LinkLimitReached(detail="a spouse is already linked")
    if relation_to_c == "parent" and _parents(session, c.id) >= rules.MAX_PARENTS:
        raise LinkLimitReached(detail=f"at most {rules.MAX_PARENTS} parents")


def _event(session: Session, topic: str, link: FamilyLink, *, actor_id: str) -> None:
    inviter = session.get(Citizen, link.inviter_id)
    invitee = session.get(Citizen, link.invitee_id) if link.invitee_id is not None else None
    assert inviter is not None
    outbox.emit(session, topic, {
        "link_id": link.public_id,
        "kind": link.kind,
        "relation": link.relation,
        "status": link.status,
        "inviter_id": inviter.public_id,
        "invitee_id": invitee.public_id if invitee is not None else None,
        "inviter_scopes": list(link.inviter_scopes),
        "invitee_scopes": list(link.invitee_scopes),
        "actor_id": actor_id,
    })


def _audit(session: Session, link: FamilyLink, *, actor: str, action: str, subject: Citizen | None,
           reason: str, on_behalf_of: str | None = None) -> None:
    audit.record(session, actor=actor, action=action, subject_citizen_id=subject.public_id if subject else None,
                 resource=f"family_link/{link.public_id}", reason=reason, on_behalf_of=on_behalf_of)


def _load(session: Session, link_id: str, *, lock: bool = True) -> FamilyLink:
    q = select(FamilyLink).where(FamilyLink.public_id == link_id)
    if lock:
        q = q.with_for_update()
    link = session.scalars(q).one_or_none() if isinstance(link_id, str) and len(link_id) <= 40 else None
    if link is None:
        raise LinkNotFound()
    return link


def _status(link: FamilyLink) -> str:
    return rules.effective_status(link.status, link.expires_at, clock.now())


def _addressed_to(session: Session, link: FamilyLink, me: Citizen) -> bool:
    """Whether `me` is the person an invitation is for (or was answered by)."""
    if link.invitee_id is not None:
        return link.invitee_id == me.id
    if link.inviter_id == me.id:
        return False
    if link.address_kind == "mobile":
        return link.address_index == me.mobile_index
    return (me.id_number_index is not None and link.address_index == me.id_number_index
            and link.name_index == _name_index_of(session, me))


def _party_link(session: Session, me: Citizen, link_id: str) -> FamilyLink:
    """A link `me` sent, or that is (or was) addressed to `me`; anyone else gets not-found."""
    link = _load(session, link_id)
    if link.inviter_id != me.id and not _addressed_to(session, link, me):
        raise LinkNotFound()
    return link


def _settle_expiry(session: Session, link: FamilyLink) -> None:
    """Record the expiry of a pending invitation whose time has passed (idempotent)."""
    if link.status == "pending" and _status(link) == "expired":
        link.status = rules.next_status("pending", "expire")
        link.ended_at = link.expires_at
        link.pair_key = None
        _event(session, "family.link.expired", link, actor_id="family.expiry")
        inviter = session.get(Citizen, link.inviter_id)
        _audit(session, link, actor="family.expiry", action="family.invitation.expire", subject=inviter,
               reason="亲情账户邀请7天内无人回应，已过期 (the invitation expired unanswered)")


def expire_due(session: Session, *, limit: int = 500) -> int:
    """Mark pending invitations past their expiry as expired; returns how many (a periodic sweep)."""
    rows = list(session.scalars(
        select(FamilyLink).where(FamilyLink.status == "pending", FamilyLink.expires_at <= clock.now())
        .order_by(FamilyLink.id).limit(limit).with_for_update(skip_locked=True)
    ))
    for link in rows:
        _settle_expiry(session, link)
    return len(rows)


# --- views ----------------------------------------------------------------------------------------

def _party(c: Citizen) -> Party:
    return Party(
        citizen_id=c.public_id,
        name_masked=c.real_name_masked,
        mobile_masked=c.mobile_masked,
        is_minor=c.birth_date is not None and not rules.is_adult(c.birth_date, _today()),
    )


def _view(session: Session, link: FamilyLink, me: Citizen) -> LinkOut:
    mine = link.inviter_id == me.id
    # The sender of an invitation learns who holds the address only once they are linked: a decline
    # must not tell them whose number it was.
    if mine:
        other_id = link.invitee_id if link.status in ("accepted", "revoked") else None
    else:
        other_id = link.inviter_id
    other = session.get(Citizen, other_id) if other_id is not None else None
    status = _status(link)
    my_scopes = link.inviter_scopes if mine else link.invitee_scopes
    their_scopes = link.invitee_scopes if mine else link.inviter_scopes
    granted: list[str] | None = None
    if status == "accepted":
        if link.kind == "guardian":
            granted = list(link.inviter_scopes) if mine else None
        else:
            granted = list(their_scopes)
    return LinkOut(
        id=link.public_id,
        kind=link.kind,  # type: ignore[arg-type]
        status=status,
        role="inviter" if mine else "invitee",
        relation=link.relation if mine else rules.INVERSE[link.relation],  # type: ignore[arg-type]
        other=_party(other) if other is not None else None,
        address_masked=link.address_masked if mine else None,
        my_scopes=list(my_scopes),
        their_scopes=list(their_scopes),
        granted_by_me=granted,
        can_revoke=status == "accepted" and not _minor_subject_of(link, me),
        created_at=link.created_at,
        expires_at=link.expires_at,
        accepted_at=link.accepted_at,
        ended_at=link.ended_at,
    )


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


# --- minors ---------------------------------------------------------------------------------------

def link_minor(
    session: Session,
    *,
    parent_id: str,
    name: str,
    id_number: str,
    grant_id: str,
    scopes: Iterable[str] = rules.SCOPES,
) -> LinkOut:
    """A parent links their minor child directly, with no acceptance from the child.

    The parent proves presence with a face-verification grant for act `family.link_minor`, used up
    here before anything about the child is looked up; the child must be a verified citizen whose
    name and ID number match, under 18, and at least 14 years younger than the parent.
    """
    from onecity.identity.face import service as face  # imported when used: it loads the face models

    me = _acting_citizen(session, parent_id)
    assert me.birth_date is not None
    chosen = rules.normalise_scopes(scopes)
    rid = parse_id_number(id_number)
    name = identity.normalise_name(name)
    face.consume_grant(session, citizen_id=me.public_id, act=MINOR_ACT, grant_id=grant_id)
    if identity.id_number_index(rid.number) == me.id_number_index:
        raise CannotLinkSelf()
    rules.check_guardian(parent_birth=me.birth_date, minor_birth=rid.birth_date, today=_today())
    child = session.scalars(
        select(Citizen).where(Citizen.id_number_index == identity.id_number_index(rid.number))).one_or_none()
    if (child is None or child.verified_at is None or child.birth_date is None
            or _name_index_of(session, child) != _name_index(name)):
        raise MinorNotFound()
    if child.status != "active":
        raise AccountInactive(detail="the child's account is not active")
    _lock(session, me.id, child.id)
    if session.scalar(select(FamilyLink.id).where(FamilyLink.pair_key == _pair_key(me.id, child.id))):
        raise AlreadyLinked()
    _check_room(session, me, relation_to_c="child")
    _check_room(session, child, relation_to_c="parent")
    now = clock.now()
    link = FamilyLink(
        public_id=new_id("fam"), kind="guardian", relation="child", status="accepted",
        inviter_id=me.id, invitee_id=child.id, address_kind="id_number", address_index=child.id_number_index,
        name_index=_name_index(name), address_masked=f"{mask_name(name)[:20]} {mask_id_number(rid.number)}",
        inviter_scopes=chosen, invitee_scopes=[], pair_key=_pair_key(me.id, child.id),
        created_at=now, expires_at=None, accepted_at=now,
    )
    session.add(link)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise AlreadyLinked() from None
    _event(session, "family.link.created", link, actor_id=me.public_id)
    _event(session, "family.link.accepted", link, actor_id=me.public_id)
    _audit(session, link, actor=me.public_id, action="family.minor.link", subject=child,
           reason="父母经人脸验证后关联未成年子女 (a parent linked their minor child after face verification)")
    return _view(session, link, me)


# --- accepted links -------------------------------------------------------------------------------

def _minor_subject_of(link: FamilyLink, me: Citizen) -> bool:
    """`me` is the child of a guardian link and still under 18."""
    return (link.kind == "guardian" and link.invitee_id == me.id and me.birth_date is not None
            and not rules.is_adult(me.birth_date, _today()))


def narrow_scopes(session: Session, *, citizen_id: str, link_id: str, scopes: Iterable[str]) -> LinkOut:
    """The grantor makes what they grant smaller: normally the scopes the other side holds over
    them; on a guardian link, the parent's own scopes over the child (the child cannot change them)."""
    me = _acting_citizen(session, citizen_id)
    link = _party_link(session, me, link_id)
    rules.next_status(_status(link), "narrow")
    if link.kind == "guardian":
        if link.inviter_id != me.id:
            raise GuardianLinkLocked()
        field = "inviter_scopes"
    else:
        field = "invitee_scopes" if link.inviter_id == me.id else "inviter_scopes"
    current = list(getattr(link, field))
    new = rules.check_narrowing(scopes, current)
    if new != current:
        setattr(link, field, new)
        other = session.get(Citizen, link.invitee_id if link.inviter_id == me.id else link.inviter_id)
        _event(session, "family.link.scopes_narrowed", link, actor_id=me.public_id)
        _audit(session, link, actor=me.public_id, action="family.link.narrow", subject=other,
               reason="缩小亲情账户授权范围 (narrowed the scopes of a family link)")
    return _view(session, link, me)


def revoke(session: Session, *, citizen_id: str, link_id: str) -> LinkOut:
    """Either side ends an accepted link — except a child still under 18 on their guardian's link."""
    me = _acting_citizen(session, citizen_id)
    link = _party_link(session, me, link_id)
    after = rules.next_status(_status(link), "revoke")
    if _minor_subject_of(link, me):
        raise GuardianLinkLocked()
    link.status = after
    link.pair_key = None
    link.ended_at = clock.now()
    link.ended_by_id = me.id
    other = session.get(Citizen, link.invitee_id if link.inviter_id == me.id else link.inviter_id)
    _event(session, "family.link.revoked", link, actor_id=me.public_id)
    _audit(session, link, actor=me.public_id, action="family.link.revoke", subject=other,
           reason="解除亲情账户 (revoked a family link)")
    return _view(session, link, me)


# --- questions other modules ask ------------------------------------------------------------------

def get_link(session: Session, *, citizen_id: str, link_id: str) -> LinkOut:
    """One link or invitation as `citizen_id` sees it (sender, addressee or party), else not found."""
    me = _citizen(session, citizen_id)
    link = _load(session, link_id, lock=False)
    if link.inviter_id != me.id and not _addressed_to(session, link, me):
        raise LinkNotFound()
    _settle_expiry(session, link)
    return _view(session, link, me)


def list_links(session: Session, citizen_id: str) -> list[LinkOut]:
    """The citizen's accepted links, oldest first, each seen from their side."""
    me = _citizen(session, citizen_id)
    rows = session.scalars(select(FamilyLink).where(FamilyLink.status == "accepted", _involving(me.id))
                           .order_by(FamilyLink.accepted_at, FamilyLink.id))
    return [_view(session, link, me) for link in rows]


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


def has_scope(session: Session, *, actor_citizen_id: str, subject_citizen_id: str, scope: str) -> bool:
    """May the actor act for the subject in `scope`? True only over an accepted link granting it,
    with both accounts active; a guardian's scopes over a child end when the child turns 18 (the
    grant was never the child's own). Acting for oneself is not a family matter: False."""
    if scope not in rules.SCOPES:
        raise ValueError(f"unknown family scope {scope!r}")
    if actor_citizen_id == subject_citizen_id:
        return False
    people = {c.public_id: c for c in session.scalars(
        select(Citizen).where(Citizen.public_id.in_([actor_citizen_id, subject_citizen_id])))}
    actor, subject = people.get(actor_citizen_id), people.get(subject_citizen_id)
    if actor is None or subject is None or actor.status != "active" or subject.status != "active":
        return False
    link = session.scalars(select(FamilyLink).where(
        FamilyLink.pair_key == _pair_key(actor.id, subject.id), FamilyLink.status == "accepted")).one_or_none()
    if link is None:
        return False
    held = link.inviter_scopes if link.inviter_id == actor.id else link.invitee_scopes
    if scope not in held:
        return False
    if link.kind == "guardian" and link.inviter_id == actor.id:
        return subject.birth_date is not None and not rules.is_adult(subject.birth_date, _today())
    return True


def act_for(
    session: Session,
    *,
    actor_citizen_id: str,
    subject_citizen_id: str,
    scope: str,
    action: str,
    resource: str,
    reason: str,
) -> None:
    """Check `has_scope` and audit an act done on a relative's behalf, in one step; raises
    `NotAllowedForRelative` (403) without the scope. Call it in the transaction of the act itself."""
    if not has_scope(session, actor_citizen_id=actor_citizen_id, subject_citizen_id=subject_citizen_id,
                     scope=scope):
        raise NotAllowedForRelative(detail=f"no {scope} scope for this relative")
    audit.record(session, actor=actor_citizen_id, action=action, subject_citizen_id=subject_citizen_id,
                 resource=resource, reason=reason, on_behalf_of=subject_citizen_id)


def scopes_of(session: Session, *, actor_citizen_id: str, subject_citizen_id: str) -> list[str]:
    """Every scope the actor holds over the subject now (see `has_scope`)."""
    return [s for s in rules.SCOPES if has_scope(session, actor_citizen_id=actor_citizen_id,
                                                  subject_citizen_id=subject_citizen_id, scope=s)]
