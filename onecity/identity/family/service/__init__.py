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

Laid out by meaning: `links` (a link as stored and as each side sees it, revoking one), `invitations`,
`minors` (a parent linking their child) and `scopes` (narrowing, and the questions other modules ask).
The module's errors live in `onecity.identity.family.errors` and are re-exported here.
"""

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
from onecity.identity.family.service.invitations import (
    accept,
    cancel,
    decline,
    expire_due,
    invite,
    list_invitations,
)
from onecity.identity.family.service.links import (
    get_link,
    list_links,
    revoke,
)
from onecity.identity.family.service.minors import (
    MINOR_ACT,
    link_minor,
)
from onecity.identity.family.service.scopes import (
    act_for,
    has_scope,
    narrow_scopes,
    scopes_of,
)

__all__ = [
    # errors
    "AccountInactive",
    "AddressInvalid",
    "AlreadyLinked",
    "CannotLinkSelf",
    "GuardianLinkLocked",
    "InvitationPending",
    "LinkLimitReached",
    "LinkNotFound",
    "MinorNotFound",
    "NotAllowedForRelative",
    "NotYourAnswer",
    "NotYourInvitation",
    "ScopesNotRequested",
    "TooManyInvitations",
    # links
    "get_link",
    "list_links",
    "revoke",
    # invitations
    "accept",
    "cancel",
    "decline",
    "expire_due",
    "invite",
    "list_invitations",
    # minors
    "MINOR_ACT",
    "link_minor",
    # scopes
    "act_for",
    "has_scope",
    "narrow_scopes",
    "scopes_of",
]
