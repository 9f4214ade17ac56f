"""Which city-services consoles an organisation has, and which of them a staff member may open.

The role sets mirror the guards of the consoles' own pages (tests/services/hub checks they agree):
linking to a console that answers 403 would be a dead end.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from onecity.authz import Principal
from onecity.errors import DomainError
from onecity.identity.orgs import service as orgs
from onecity.services.bills import service as bills
from onecity.services.hub.schemas import ConsoleLink
from onecity.services.provident import service as provident
from onecity.services.taxes import service as taxes
from onecity.services.traffic import service as traffic

REVIEW_ROLES = frozenset({"owner", "admin", "operator", "reviewer"})
CONSOLE_ROLES: dict[str, frozenset[str]] = {
    "applications": REVIEW_ROLES,
    "traffic": REVIEW_ROLES,
    "taxes": REVIEW_ROLES,
    "provident": REVIEW_ROLES | {"developer"},
    "bills": frozenset({"owner", "admin", "operator", "finance", "developer"}),
}
ORDER = ("applications", "provident", "traffic", "taxes", "bills")


def _is_biller(session: Session, org_id: str) -> bool:
    try:
        bills.get_biller(session, org_id)
    except DomainError:
        return False
    return True


def consoles_of_org(session: Session, *, org_id: str) -> set[str]:
    """The consoles the organisation has (whoever its staff are)."""
    kind = orgs.get_org(session, org_id).kind
    have: set[str] = set()
    if kind == "agency":
        have.add("applications")
        if traffic.is_authority(session, org_id):
            have.add("traffic")
        if taxes.is_office(session, org_id):
            have.add("taxes")
        if provident.is_centre(session, org_id):
            have.add("provident")
    elif kind == "biller" and _is_biller(session, org_id):
        have.add("bills")
    return have


def consoles_for(session: Session, *, principal: Principal) -> list[ConsoleLink]:
    """The consoles of the staff member's organisation that their roles open, in a fixed order."""
    if principal.kind != "staff" or principal.org_id is None:
        return []
    have = consoles_of_org(session, org_id=principal.org_id)
    return [ConsoleLink(key=k, href=f"/console/services/{k}") for k in ORDER
            if k in have and principal.roles & CONSOLE_ROLES[k]]
