"""Requests and responses of family links. A link is always shown from the viewer's side."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from onecity.identity.family.rules import SCOPES

Relation = Literal["parent", "child", "spouse"]
Scope = Literal["pay_medical", "show_certificates", "view_bills", "pay_bills"]


class InvitationCreate(BaseModel):
    """Invite an adult relative, addressed by `mobile`, or by `name` and `id_number` together."""

    model_config = ConfigDict(extra="forbid")

    relation: Relation = Field(description="What the relative is to you")
    mobile: str | None = Field(default=None, max_length=32)
    name: str | None = Field(default=None, max_length=50)
    id_number: str | None = Field(default=None, max_length=32)
    scopes: list[Scope] = Field(default_factory=list, max_length=len(SCOPES),
                                description="What you ask to do for the relative (they agree on accepting)")
    offered_scopes: list[Scope] = Field(default_factory=list, max_length=len(SCOPES),
                                        description="What you let the relative do for you")


class InvitationAccept(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scopes: list[Scope] | None = Field(
        default=None, max_length=len(SCOPES),
        description="The part of the requested scopes you grant (default: all of them)")


def _all_scopes() -> list[Scope]:
    return ["pay_medical", "show_certificates", "view_bills", "pay_bills"]


class MinorLinkCreate(BaseModel):
    """Link your minor child directly, after face verification (`grant_id` for act family.link_minor)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=1, max_length=32)
    grant_id: str = Field(min_length=1, max_length=60)
    scopes: list[Scope] = Field(default_factory=_all_scopes, max_length=len(SCOPES))


class ScopesUpdate(BaseModel):
    """The new, smaller set of scopes you grant on this link."""

    model_config = ConfigDict(extra="forbid")

    scopes: list[Scope] = Field(max_length=len(SCOPES))


class Party(BaseModel):
    citizen_id: str
    name_masked: str | None
    mobile_masked: str | None
    is_minor: bool


class LinkOut(BaseModel):
    id: str
    kind: Literal["invitation", "guardian"]
    status: str
    role: Literal["inviter", "invitee"]
    relation: Relation = Field(description="What the other person is to the viewer")
    other: Party | None = Field(description="The other person; null on an invitation not yet answered, "
                                            "seen by its sender")
    address_masked: str | None = Field(description="How the sender addressed the invitation (sender only)")
    my_scopes: list[str] = Field(description="What the viewer may do for the other person")
    their_scopes: list[str] = Field(description="What the other person may do for the viewer")
    granted_by_me: list[str] | None = Field(
        description="The scopes the viewer grants on this link and may narrow; null if none")
    can_revoke: bool = Field(description="The viewer may end this link now")
    created_at: datetime
    expires_at: datetime | None
    accepted_at: datetime | None
    ended_at: datetime | None


class InvitationsOut(BaseModel):
    sent: list[LinkOut]
    received: list[LinkOut]


class LinksOut(BaseModel):
    links: list[LinkOut]
