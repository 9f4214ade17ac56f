"""Biller profiles (what the platform knows of each biller organisation) and the connector that
reaches each one."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.identity.orgs import service as orgs
from onecity.services.bills import rules
from onecity.services.bills.errors import BillerNotFound, BillerProfileInvalid
from onecity.services.bills.models import BillerProfile
from onecity.services.bills.schemas import BillerOut, BillerProfileIn
from onecity.services.bills.service.connector import BillerConnector
from onecity.services.bills.service.http import HttpBiller
from onecity.services.bills.service.simulator import SimulatedBiller

# --- connectors -----------------------------------------------------------------------------------

_installed: dict[str, BillerConnector] = {}


@dataclass(frozen=True)
class Route:
    """How to reach one biller (read in a transaction, used outside it)."""

    org_id: str
    product: str
    connector: str
    endpoint: str | None


def use_connector(org_id: str, connector: BillerConnector | None) -> None:
    """Install a connector for a biller (tests install a simulator with their own settings, or an HTTP
    connector over a mock transport); None = back to the one its profile names."""
    if connector is None:
        _installed.pop(org_id, None)
    else:
        _installed[org_id] = connector


def connector(route: Route) -> BillerConnector:
    installed = _installed.get(route.org_id)
    if installed is not None:
        return installed
    if route.connector == "http" and route.endpoint:
        return HttpBiller(route.endpoint)
    sim = SimulatedBiller(route.org_id)
    _installed[route.org_id] = sim
    return sim


def simulator(org_id: str) -> SimulatedBiller:
    """The simulated biller behind `org_id` (the demo and tests set up its accounts and bills)."""
    installed = _installed.get(org_id)
    if isinstance(installed, SimulatedBiller):
        return installed
    sim = SimulatedBiller(org_id)
    _installed[org_id] = sim
    return sim


# --- profiles -------------------------------------------------------------------------------------

def _profile(session: Session, org_id: str) -> BillerProfile | None:
    return session.scalars(select(BillerProfile).where(BillerProfile.org_id == org_id)).one_or_none()


def active_profile(session: Session, org_id: str) -> BillerProfile:
    p = _profile(session, org_id)
    if p is None or p.status != "active":
        raise BillerNotFound()
    return p


def biller_org_of(session: Session, org_id: str | None) -> str:
    """The caller's organisation if it is an active biller (its staff and API keys use the biller
    routes); BillerNotFound (404) for any other organisation."""
    if org_id is None:
        raise BillerNotFound()
    active_profile(session, org_id)
    return org_id


def route_of(p: BillerProfile) -> Route:
    return Route(p.org_id, p.product, p.connector, p.endpoint)


def _out(session: Session, p: BillerProfile) -> BillerOut:
    org = orgs.get_org(session, p.org_id)
    return BillerOut(org_id=p.org_id, name_zh=org.name_zh, name_en=org.name_en, product=p.product,  # type: ignore[arg-type]
                     account_pattern=p.account_pattern, check_digit=p.check_digit, account_hint_zh=p.account_hint_zh,
                     account_hint_en=p.account_hint_en, connector=p.connector, endpoint=p.endpoint,
                     topup_amounts=list(p.topup_amounts), recon_enabled=p.recon_enabled,
                     recon_mask_accounts=p.recon_mask_accounts, status=p.status)


def set_profile(session: Session, *, org_id: str, profile: BillerProfileIn, actor: Principal | str) -> BillerOut:
    """Create or replace a biller organisation's profile. The organisation must be of kind `biller`;
    the pattern must compile; phone top-up amounts come from the fixed set (30/50/100/200 yuan);
    an HTTP connector needs an https (or, for tests, http) endpoint."""
    org = orgs.get_org(session, org_id)
    if org.kind != "biller":
        raise BillerProfileInvalid(detail="the organisation is not a biller")
    if not rules.pattern_ok(profile.account_pattern):
        raise BillerProfileInvalid(detail="account_pattern is not a valid regular expression")
    amounts = sorted(set(profile.topup_amounts))
    if profile.product == "phone":
        amounts = amounts or list(rules.TOPUP_AMOUNTS)
        if any(a not in rules.TOPUP_AMOUNTS for a in amounts):
            raise BillerProfileInvalid(detail="top-up amounts must be among 3000, 5000, 10000, 20000 fen")
    elif amounts:
        raise BillerProfileInvalid(detail="only phone top-up has fixed amounts")
    if profile.connector == "http" and not (profile.endpoint or "").startswith(("https://", "http://")):
        raise BillerProfileInvalid(detail="an http connector needs an endpoint URL")
    now = clock.now()
    p = _profile(session, org_id)
    if p is None:
        p = BillerProfile(org_id=org_id, status="active", created_at=now)
        session.add(p)
    p.product, p.account_pattern, p.check_digit = profile.product, profile.account_pattern, profile.check_digit
    p.account_hint_zh, p.account_hint_en = profile.account_hint_zh, profile.account_hint_en
    p.connector, p.endpoint = profile.connector, profile.endpoint if profile.connector == "http" else None
    p.topup_amounts, p.recon_enabled, p.recon_mask_accounts = amounts, profile.recon_enabled, profile.recon_mask_accounts
    p.updated_at = now
    session.flush()
    audit.record(session, actor=actor, action="services.bills.biller.profile", subject_citizen_id=None,
                 resource=f"org/{org_id}", reason="缴费单位设置 (biller profile)", on_behalf_of=org_id)
    return _out(session, p)


def get_biller(session: Session, org_id: str) -> BillerOut:
    return _out(session, active_profile(session, org_id))


def list_billers(session: Session, *, product: str | None = None) -> list[BillerOut]:
    q = select(BillerProfile).where(BillerProfile.status == "active").order_by(BillerProfile.product,
                                                                                  BillerProfile.id)
    if product is not None:
        q = q.where(BillerProfile.product == product)
    return [_out(session, p) for p in session.scalars(q)]


def profiles_for_recon(session: Session) -> list[str]:
    return list(session.scalars(select(BillerProfile.org_id).where(BillerProfile.status == "active",
                                                                   BillerProfile.recon_enabled.is_(True))))
