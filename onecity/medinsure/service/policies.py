"""Policies stored per city and year, versioned: publishing a new version (validated by
`rules.Policy.from_json`), the version in force for a settlement date, and the demo city's seed.

Rules kept here:
- A published version never changes; a new version of the same city and year supersedes it for new
  settlements (the highest version in force applies), and each settlement records the key it used.
- The policy of the settlement date's year (city date) applies: a bill settled on 1 January uses the new
  year's policy and accumulators that start at zero.
- Parsed policies are cached by key (a key names one immutable document).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.medinsure import rules
from onecity.medinsure.errors import PolicyNotFound, PolicyRejected, PolicyVersionTaken
from onecity.medinsure.models import MedPolicy
from onecity.medinsure.schemas import PolicyOut

_PARSED: dict[str, rules.Policy] = {}
_CITY: dict[str, str] = {}


def _sha256(document: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(document, sort_keys=True, ensure_ascii=False,
                                     separators=(",", ":")).encode()).hexdigest()


def policy_out(row: MedPolicy) -> PolicyOut:
    p = parsed(row)
    return PolicyOut(policy_key=row.policy_key, city=row.city, year=row.year, version=row.version, sha256=row.sha256,
                     published_by=row.published_by, published_at=row.published_at, schemes=sorted(p.schemes),
                     catalogue_size=len(p.catalogue))


def parsed(row: MedPolicy) -> rules.Policy:
    p = _PARSED.get(row.policy_key)
    if p is None:
        p = rules.Policy.from_json(row.document)
        _PARSED[row.policy_key] = p
    return p


def _insert(session: Session, policy: rules.Policy, actor: str) -> MedPolicy:
    document = policy.to_json()
    row = MedPolicy(policy_key=policy.key, city=policy.city, year=policy.year, version=policy.version,
                    document=document, sha256=_sha256(document), published_by=actor, published_at=clock.now())
    session.add(row)
    session.flush()
    _PARSED[policy.key] = policy
    return row


def publish_policy(session: Session, *, document: dict[str, Any], actor: Principal | str) -> PolicyOut:
    """Publish a policy version. The document must validate; its (city, year, version) must be new and
    its version higher than every published version of that city and year."""
    try:
        policy = rules.Policy.from_json(document)
    except rules.PolicyInvalid as exc:
        raise PolicyRejected(detail=str(exc)) from exc
    latest = session.scalar(select(func.max(MedPolicy.version)).where(MedPolicy.city == policy.city,
                                                                       MedPolicy.year == policy.year))
    if latest is not None and policy.version <= latest:
        raise PolicyVersionTaken(detail=f"{policy.city}/{policy.year} is at v{latest}; publish v{latest + 1}")
    who = actor.id if isinstance(actor, Principal) and actor.id else str(actor if isinstance(actor, str) else actor.kind)
    row = _insert(session, policy, who)
    outbox.emit(session, "medinsure.policy.published", {"policy_key": row.policy_key, "city": row.city,
                                                        "year": row.year, "version": row.version,
                                                        "sha256": row.sha256})
    audit.record(session, actor=actor, action="medinsure.policy.publish", subject_citizen_id=None,
                 resource=f"medinsure/policy/{row.policy_key}",
                 reason="发布医保政策新版本 (published a new version of the medical-insurance policy)")
    return policy_out(row)


def seed_policies(session: Session, *, actor: str = "system:medinsure") -> list[str]:
    """Store the demo city's policies (`rules.demo_policies()`) that are not stored yet; returns the keys
    stored now."""
    have = set(session.scalars(select(MedPolicy.policy_key)))
    made = []
    for p in rules.demo_policies():
        if p.key not in have:
            _insert(session, p, actor)
            made.append(p.key)
    return made


def city(session: Session) -> str:
    """The city whose policies this deployment applies: the city of the stored policies (the demo city
    `rules.demo_policies()` names when none is stored yet)."""
    bind = session.get_bind()
    url = str(getattr(bind, "url", "") or getattr(getattr(bind, "engine", None), "url", ""))
    found = _CITY.get(url)
    if found is None:
        found = session.scalar(select(MedPolicy.city).order_by(MedPolicy.id).limit(1))
        if found is None:
            demo = rules.demo_policies()
            return demo[0].city if demo else get_settings().city_code
        _CITY[url] = found
    return found


def policy_for(session: Session, *, on: date, city_name: str | None = None) -> rules.Policy:
    """The policy in force on city date `on`: the highest version of that year."""
    c = city_name or city(session)
    key = session.scalar(select(MedPolicy.policy_key).where(MedPolicy.city == c, MedPolicy.year == on.year)
                         .order_by(MedPolicy.version.desc()).limit(1))
    if key is None:
        raise PolicyNotFound(detail=f"no policy of {c} for {on.year}")
    return policy_by_key(session, key)  # the document is read and parsed once per process


def policy_by_key(session: Session, key: str) -> rules.Policy:
    cached = _PARSED.get(key)
    if cached is not None:
        return cached
    row = session.scalars(select(MedPolicy).where(MedPolicy.policy_key == key)).first()
    if row is None:
        raise PolicyNotFound(detail=f"no policy {key}")
    return parsed(row)


def list_policies(session: Session) -> list[PolicyOut]:
    rows = session.scalars(select(MedPolicy).order_by(MedPolicy.city, MedPolicy.year, MedPolicy.version))
    return [policy_out(r) for r in rows]


def today() -> date:
    return clock.today_local().date()
