"""A parent links their minor child directly, after face verification (no acceptance from the child).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from onecity import clock
from onecity.identity import service as identity
from onecity.identity.family import rules
from onecity.identity.family.errors import AccountInactive, AlreadyLinked, CannotLinkSelf, MinorNotFound
from onecity.identity.family.models import FamilyLink
from onecity.identity.family.schemas import LinkOut
from onecity.identity.family.service.links import (
    _acting_citizen,
    _audit,
    _check_room,
    _event,
    _lock,
    _name_index,
    _name_index_of,
    _pair_key,
    _today,
    _view,
)
from onecity.identity.models import Citizen
from onecity.identity.resident_id import mask_id_number, mask_name, parse_id_number
from onecity.ids import new_id

MINOR_ACT = "family.link_minor"


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
