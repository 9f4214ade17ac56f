"""JSON routes of family links (亲情账户). Every route is for real-name verified citizens."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Response

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.identity.family import service
from onecity.identity.family.schemas import (
    InvitationAccept,
    InvitationCreate,
    InvitationsOut,
    LinkOut,
    LinksOut,
    MinorLinkCreate,
    ScopesUpdate,
)

router = APIRouter(prefix="/v1/family", tags=["family"])
CITIZEN = allow("citizen", verified=True)


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


@router.post("/invitations", status_code=201, response_model=LinkOut)
def create_invitation(body: InvitationCreate, db: DbSession, response: Response,
                      principal: Principal = Depends(CITIZEN)) -> LinkOut:
    """Invite an adult relative by mobile number, or by name and ID number. The answer is the same
    whether or not the address belongs to anyone."""
    out = service.invite(db, inviter_id=_me(principal), relation=body.relation, mobile=body.mobile,
                         name=body.name, id_number=body.id_number, scopes=body.scopes,
                         offered_scopes=body.offered_scopes)
    response.headers["Location"] = f"/v1/family/invitations/{out.id}"
    return out


@router.get("/invitations", response_model=InvitationsOut)
def list_invitations(db: DbSession, principal: Principal = Depends(CITIZEN)) -> InvitationsOut:
    """Pending invitations you sent and those waiting for your answer."""
    return service.list_invitations(db, _me(principal))


@router.get("/invitations/{link_id}", response_model=LinkOut)
def get_invitation(link_id: str, db: DbSession, principal: Principal = Depends(CITIZEN)) -> LinkOut:
    return service.get_link(db, citizen_id=_me(principal), link_id=link_id)


@router.post("/invitations/{link_id}/accept", response_model=LinkOut)
def accept_invitation(link_id: str, db: DbSession, body: InvitationAccept | None = None,
                      principal: Principal = Depends(CITIZEN)) -> LinkOut:
    """Accept, granting the requested scopes (or, with `scopes`, a part of them)."""
    return service.accept(db, citizen_id=_me(principal), link_id=link_id,
                          scopes=body.scopes if body is not None else None)


@router.post("/invitations/{link_id}/decline", response_model=LinkOut)
def decline_invitation(link_id: str, db: DbSession, principal: Principal = Depends(CITIZEN)) -> LinkOut:
    return service.decline(db, citizen_id=_me(principal), link_id=link_id)


@router.post("/invitations/{link_id}/cancel", response_model=LinkOut)
def cancel_invitation(link_id: str, db: DbSession, principal: Principal = Depends(CITIZEN)) -> LinkOut:
    return service.cancel(db, citizen_id=_me(principal), link_id=link_id)


@router.post("/minors", status_code=201, response_model=LinkOut)
def link_minor(body: MinorLinkCreate, db: DbSession, response: Response,
               principal: Principal = Depends(CITIZEN)) -> LinkOut:
    """Link your minor child directly, with a face-verification grant for act `family.link_minor`."""
    out = service.link_minor(db, parent_id=_me(principal), name=body.name, id_number=body.id_number,
                             grant_id=body.grant_id, scopes=body.scopes)
    response.headers["Location"] = f"/v1/family/links/{out.id}"
    return out


@router.get("/links", response_model=LinksOut)
def list_links(db: DbSession, principal: Principal = Depends(CITIZEN)) -> LinksOut:
    """Your accepted family links, each from your side."""
    return LinksOut(links=service.list_links(db, _me(principal)))


@router.get("/links/{link_id}", response_model=LinkOut)
def get_link(link_id: str, db: DbSession, principal: Principal = Depends(CITIZEN)) -> LinkOut:
    return service.get_link(db, citizen_id=_me(principal), link_id=link_id)


@router.patch("/links/{link_id}", response_model=LinkOut)
def narrow_scopes(link_id: str, body: ScopesUpdate, db: DbSession,
                  principal: Principal = Depends(CITIZEN)) -> LinkOut:
    """Narrow the scopes you grant on this link (they can never be widened)."""
    return service.narrow_scopes(db, citizen_id=_me(principal), link_id=link_id, scopes=body.scopes)


@router.delete("/links/{link_id}", response_model=LinkOut)
def revoke_link(link_id: str, db: DbSession, principal: Principal = Depends(CITIZEN)) -> LinkOut:
    """End the link (either side; a child under 18 cannot end their guardian's link)."""
    return service.revoke(db, citizen_id=_me(principal), link_id=link_id)
