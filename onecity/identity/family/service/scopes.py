"""Scopes of a link: narrowing what one grants, and the questions other modules ask — `has_scope` (may
this person act for that one?), `act_for` (check and audit in one step), `scopes_of`.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity.audit import service as audit
from onecity.identity.family import rules
from onecity.identity.family.errors import GuardianLinkLocked, NotAllowedForRelative
from onecity.identity.family.models import FamilyLink
from onecity.identity.family.schemas import LinkOut
from onecity.identity.family.service.links import (
    _acting_citizen,
    _audit,
    _event,
    _pair_key,
    _party_link,
    _status,
    _today,
    _view,
)
from onecity.identity.models import Citizen

# --- narrowing ------------------------------------------------------------------------------------

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


# --- questions other modules ask ------------------------------------------------------------------

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
