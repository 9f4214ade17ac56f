"""Family links as stored and as each side sees them: the look-ups, limits, locks, events and audit
every change shares, the expiry of a pending invitation, reading one's links, and revoking one.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import RealNameRequired
from onecity.crypto.fields import blind_index
from onecity.errors import InvalidInput
from onecity.identity import service as identity
from onecity.identity.family import rules
from onecity.identity.family.errors import AccountInactive, GuardianLinkLocked, LinkLimitReached, LinkNotFound
from onecity.identity.family.models import FamilyLink
from onecity.identity.family.schemas import LinkOut, Party
from onecity.identity.models import Citizen

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


# --- accepted links -------------------------------------------------------------------------------

def _minor_subject_of(link: FamilyLink, me: Citizen) -> bool:
    """`me` is the child of a guardian link and still under 18."""
    return (link.kind == "guardian" and link.invitee_id == me.id and me.birth_date is not None
            and not rules.is_adult(me.birth_date, _today()))


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


# --- reading links --------------------------------------------------------------------------------

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
