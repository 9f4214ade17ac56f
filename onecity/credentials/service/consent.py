"""Consent (授权) and the access history (访问记录) of citizens' certificates.

Rules kept here:
- An organisation reads a citizen's certificate online (e.g. a service form pre-filled from it) only
  under the citizen's consent for that organisation, that purpose and that certificate type. A
  consent lasts `days` (1-365, 90 by default) and the citizen may withdraw it at any time; an expired
  or withdrawn consent is no consent (`ConsentRequired`, 403).
- `read_for_purpose` is what other modules call: consent checked, the citizen's current valid
  certificate of the type read, the read recorded — in one transaction, so a read is never without
  its record.
- Every online read and every online verification (POST /v1/verifications, the /verify page) of a
  citizen's certificate is recorded in the access log the citizen sees: who (the organisation, or an
  anonymous verifier), when, the purpose, which fields were seen, and the verdict. A verification is
  recorded only when the issuer's signature checked out (a forged code naming someone's certificate
  leaves no trace in their history), and it names only the disclosed fields.
- Granting, withdrawing and reading are audited actions on the citizen's behalf.

Glossary: 授权 consent · 撤回授权 withdraw consent · 用途 purpose · 访问记录 access history ·
在线核验 online verification · 预填 pre-fill.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.credentials import types
from onecity.credentials.models import (
    Credential,
    CredentialAccess,
    CredentialConsent,
    CredentialStatusList,
    Issuer,
)
from onecity.credentials.schemas import AccessOut, ConsentOut, CredentialRead
from onecity.credentials.service.issuance import CredentialNotFound, _claims
from onecity.errors import Forbidden, InvalidInput, NotFound
from onecity.identity import service as identity
from onecity.identity.orgs import service as orgs
from onecity.ids import new_id

PURPOSE_RE = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
DEFAULT_DAYS = 90
MAX_DAYS = 365
CHANNELS = ("read", "verification")


class ConsentRequired(Forbidden):
    code = "credential_consent_required"
    message_zh = "未获得持证人对该用途的授权（或授权已过期、已撤回），不能读取其证照"
    message_en = "The holder has not consented to this purpose (or the consent expired or was withdrawn)"


class ConsentInvalid(InvalidInput):
    code = "credential_consent_invalid"
    message_zh = "授权信息有误（用途为小写字母、数字和下划线，证照类型须存在，期限 1 至 365 天）"
    message_en = "Consent details are not valid (a snake_case purpose, known certificate types, 1-365 days)"


class ConsentNotFound(NotFound):
    code = "credential_consent_not_found"
    message_zh = "找不到该授权"
    message_en = "No such consent"


def _check_purpose(purpose: str) -> str:
    if not isinstance(purpose, str) or not PURPOSE_RE.match(purpose):
        raise ConsentInvalid(detail="purpose")
    return purpose


def _consent_out(row: CredentialConsent, names: dict[str, str]) -> ConsentOut:
    now = clock.now()
    return ConsentOut(consent_id=row.public_id, citizen_id=row.citizen_id, org_id=row.org_id,
                      org_name=names.get(row.org_id), purpose=row.purpose,
                      type_ids=tuple(t for t in row.type_ids.split(",") if t), granted_at=row.granted_at,
                      expires_at=row.expires_at, withdrawn_at=row.withdrawn_at,
                      active=row.withdrawn_at is None and row.expires_at > now)


# --- consents -------------------------------------------------------------------------------------

def grant_consent(session: Session, *, citizen_id: str, org_id: str, purpose: str, type_ids: Sequence[str],
                  days: int = DEFAULT_DAYS, actor: Principal | str | None = None) -> ConsentOut:
    """The citizen lets `org_id` read their certificates of `type_ids` for `purpose` for `days`."""
    _check_purpose(purpose)
    wanted = sorted(set(type_ids))
    if not wanted or not 1 <= days <= MAX_DAYS:
        raise ConsentInvalid()
    for t in wanted:
        types.get_type(t)  # UnknownType
    identity.get_citizen(session, citizen_id)
    try:
        org = orgs.get_org(session, org_id)
    except orgs.OrgNotFound as exc:
        raise ConsentInvalid(detail="org_id") from exc
    if org.status != "active":
        raise ConsentInvalid(detail="org_id")
    now = clock.now()
    row = CredentialConsent(public_id=new_id("cns"), citizen_id=citizen_id, org_id=org.public_id, purpose=purpose,
                            type_ids=",".join(wanted), granted_at=now, expires_at=now + timedelta(days=days))
    session.add(row)
    session.flush()
    audit.record(session, actor=actor or citizen_id, action="credential_consent.grant", subject_citizen_id=citizen_id,
                 resource=f"credential_consent/{row.public_id}", on_behalf_of=citizen_id,
                 reason=f"授权 consent: {org.name_zh} may read {', '.join(wanted)} for “{purpose}” for {days} days")
    return _consent_out(row, {org.public_id: org.name_zh})


def withdraw_consent(session: Session, *, citizen_id: str, consent_id: str,
                     actor: Principal | str | None = None) -> ConsentOut:
    """Withdraw one of the citizen's consents (from now on; idempotent)."""
    row = session.scalars(select(CredentialConsent).where(CredentialConsent.public_id == consent_id,
                                                          CredentialConsent.citizen_id == citizen_id)
                          .with_for_update()).one_or_none()
    if row is None:
        raise ConsentNotFound()
    if row.withdrawn_at is None:
        row.withdrawn_at = clock.now()
        audit.record(session, actor=actor or citizen_id, action="credential_consent.withdraw",
                     subject_citizen_id=citizen_id, resource=f"credential_consent/{row.public_id}",
                     on_behalf_of=citizen_id, reason=f"撤回授权 withdraw consent for “{row.purpose}”")
    return _consent_out(row, orgs.org_names(session, {row.org_id}))


def list_consents(session: Session, *, citizen_id: str) -> list[ConsentOut]:
    """The citizen's consents, newest first (expired and withdrawn ones included, marked inactive)."""
    rows = list(session.scalars(select(CredentialConsent).where(CredentialConsent.citizen_id == citizen_id)
                                .order_by(CredentialConsent.id.desc()).limit(200)))
    names = orgs.org_names(session, {r.org_id for r in rows})
    return [_consent_out(r, names) for r in rows]


def has_consent(session: Session, *, org_id: str, citizen_id: str, type_id: str, purpose: str) -> bool:
    now = clock.now()
    rows = session.scalars(select(CredentialConsent).where(
        CredentialConsent.citizen_id == citizen_id, CredentialConsent.org_id == org_id,
        CredentialConsent.purpose == purpose, CredentialConsent.withdrawn_at.is_(None),
        CredentialConsent.expires_at > now))
    return any(type_id in r.type_ids.split(",") for r in rows)


# --- reading under consent ------------------------------------------------------------------------

def read_for_purpose(session: Session, *, org_id: str, citizen_id: str, type_id: str, purpose: str,
                     actor: Principal | str | None = None) -> dict[str, Any]:
    """The claims (by field name) of the citizen's current valid certificate of `type_id`, read by
    `org_id` for `purpose` under the citizen's consent (ConsentRequired otherwise); the read is
    recorded in the citizen's access history. CredentialNotFound when they hold none."""
    return read_certificate(session, org_id=org_id, citizen_id=citizen_id, type_id=type_id, purpose=purpose,
                            actor=actor).claims


def read_certificate(session: Session, *, org_id: str, citizen_id: str, type_id: str, purpose: str,
                     actor: Principal | str | None = None) -> CredentialRead:
    """`read_for_purpose` with the certificate's id, issuer and validity (what the API returns)."""
    _check_purpose(purpose)
    ctype = types.get_type(type_id)
    if not has_consent(session, org_id=org_id, citizen_id=citizen_id, type_id=ctype.id, purpose=purpose):
        raise ConsentRequired()
    now = clock.now()
    row = session.scalars(select(Credential).where(
        Credential.holder_citizen_id == citizen_id, Credential.type_id == ctype.id, Credential.status == "valid",
        or_(Credential.valid_until.is_(None), Credential.valid_until > now)).order_by(Credential.id.desc())).first()
    if row is None:
        raise CredentialNotFound()
    claims = _claims(row)
    record_access(session, citizen_id=citizen_id, credential_id=row.public_id, type_id=row.type_id, org_id=org_id,
                  channel="read", purpose=purpose, fields=list(claims), verdict="ok")
    audit.record(session, actor=actor or org_id, action="credential.read", subject_citizen_id=citizen_id,
                 resource=f"credential/{row.public_id}", on_behalf_of=org_id,
                 reason=f"在线读取证照 read certificate {row.type_id} for “{purpose}” under the holder's consent")
    issuer = session.get(Issuer, row.issuer_id)
    assert issuer is not None
    return CredentialRead(credential_id=row.public_id, type_id=row.type_id, issuer_id=issuer.public_id,
                          valid_until=row.valid_until, claims=claims)


# --- the access log -------------------------------------------------------------------------------

def record_access(session: Session, *, citizen_id: str, credential_id: str, type_id: str, org_id: str | None,
                  channel: str, purpose: str | None, fields: Iterable[str], verdict: str) -> None:
    """Append one entry to the citizen's access history."""
    if channel not in CHANNELS:
        raise ValueError(f"channel is one of {CHANNELS}")
    session.add(CredentialAccess(public_id=new_id("acc"), citizen_id=citizen_id, credential_id=credential_id,
                                 type_id=type_id, org_id=org_id, channel=channel,
                                 purpose=(purpose[:64] if purpose else None), fields=",".join(fields)[:1000],
                                 verdict=verdict[:32], at=clock.now()))
    session.flush()


def record_verification(session: Session, *, status_uri: str, status_idx: int, org_id: str | None,
                        purpose: str | None, fields: Iterable[str], verdict: str) -> bool:
    """Record an online verification of the certificate holding entry `status_idx` of the list at
    `status_uri` (what a signed certificate names), when it is one of this platform's and has a
    holder. The caller has checked the issuer's signature. True when recorded."""
    row = session.execute(
        select(Credential.public_id, Credential.type_id, Credential.holder_citizen_id)
        .join(CredentialStatusList, CredentialStatusList.id == Credential.status_list_id)
        .where(CredentialStatusList.uri == status_uri, Credential.status_idx == status_idx)).first()
    if row is None or row.holder_citizen_id is None:
        return False
    if purpose is not None and not PURPOSE_RE.match(purpose):
        purpose = None
    record_access(session, citizen_id=row.holder_citizen_id, credential_id=row.public_id, type_id=row.type_id,
                  org_id=org_id, channel="verification", purpose=purpose, fields=fields, verdict=verdict)
    return True


def access_history(session: Session, *, citizen_id: str, before: str | None = None,
                   limit: int = 50) -> list[AccessOut]:
    """The citizen's access history, newest first; `before` an access id to page on."""
    q = select(CredentialAccess).where(CredentialAccess.citizen_id == citizen_id)
    if before is not None:
        anchor = session.scalars(select(CredentialAccess.id).where(CredentialAccess.public_id == before,
                                                                  CredentialAccess.citizen_id == citizen_id)).first()
        if anchor is not None:
            q = q.where(CredentialAccess.id < anchor)
    rows = list(session.scalars(q.order_by(CredentialAccess.id.desc()).limit(max(1, min(limit, 200)))))
    names = orgs.org_names(session, {r.org_id for r in rows if r.org_id})
    return [AccessOut(access_id=r.public_id, credential_id=r.credential_id, type_id=r.type_id, org_id=r.org_id,
                      org_name=names.get(r.org_id) if r.org_id else None, channel=r.channel, purpose=r.purpose,
                      fields=tuple(f for f in r.fields.split(",") if f), verdict=r.verdict, at=r.at)
            for r in rows]
