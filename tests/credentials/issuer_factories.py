"""Factories for issuers, built through the real credentials service (they only flush).

    issuer = make_issuer(session, region="440300")           # an agency org + issuer + active key
    other = foreign_trust_list(scope="310000")                # another platform's signed list (pure)
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from onecity import clock
from onecity.credentials import algorithms, service, trust
from onecity.credentials.schemas import IssuerOut, TrustedIssuer, TrustedKey
from tests.identity.orgs.factories import make_org

_SEQ = itertools.count(1)


def make_issuer(session: Session, *, region: str = "440300", alg: str = "EdDSA", name: str | None = None) -> IssuerOut:
    org = make_org(session, kind="agency")
    n = next(_SEQ)
    return service.register_issuer(session, org_id=org.public_id, name=name or f"测试签发机构{n}", region=region,
                                   alg=alg, actor="test:factory")


@dataclass(frozen=True)
class ForeignList:
    """Another deployment's platform (e.g. Shanghai's): its key pair, one issuer key, its signed list."""

    platform: algorithms.KeyPair
    issuer_key: algorithms.KeyPair
    kid: str
    issuer_id: str
    text: str


def foreign_trust_list(*, scope: str = "310000", region: str = "310100", name: str = "上海市",
                       issuer_region: str | None = None, ttl: timedelta = timedelta(days=7),
                       issued_at: datetime | None = None) -> ForeignList:
    """A trust list signed by another platform key, with one issuer (the pure signing path)."""
    platform = algorithms.generate("EdDSA")
    key = algorithms.generate("EdDSA")
    kid = algorithms.key_id("EdDSA", key.public)
    now = issued_at or clock.now()
    issuer = TrustedIssuer(issuer_id=f"iss_foreign{next(_SEQ)}", org_id="org_foreign", name=f"{name}公安局",
                           region=issuer_region or region,
                           keys=(TrustedKey(kid=kid, alg="EdDSA", public_key=key.public, status="active",
                                            not_before=now - timedelta(days=1), not_after=None),))
    text = trust.sign_trust_list(scope=scope, name=name, issuers=[issuer], recognised=[], issued_at=now,
                                 expires_at=now + ttl, platform_private=platform.private)
    return ForeignList(platform=platform, issuer_key=key, kid=kid, issuer_id=issuer.issuer_id, text=text)
