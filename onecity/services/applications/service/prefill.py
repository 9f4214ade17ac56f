"""Pre-filling a form (预填): the item's `prefill` map names, for each form field, a certificate
claim (`<type id>.<claim>`) or a profile value (`profile.name|id_number_masked|phone`).

Certificates are read by the handling agency for the purpose `svc_<code>` under the citizen's
consent (`credentials.read_for_purpose`); without it the answer says which consent is needed
(org, purpose, types) so the page can ask, and `grant_prefill_consent` records it.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from onecity.credentials import service as credentials
from onecity.identity import service as identity
from onecity.identity.resident_id import mask_mobile
from onecity.services.applications.schemas import ConsentNeeded, PrefillOut
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import ServiceItemOut


def consent_purpose(service_code: str) -> str:
    """`svc_` + the code in snake case (the consent registry's purpose format), at most 64 chars."""
    return ("svc_" + re.sub(r"[^a-z0-9]+", "_", service_code.lower()).strip("_"))[:64]


def _sources(item: ServiceItemOut) -> dict[str, tuple[str, str]]:
    out = {}
    for fieldname, source in item.prefill.items():
        prefix, _, claim = source.partition(".")
        if prefix and claim:
            out[fieldname] = (prefix, claim)
    return out


def certificate_types(item: ServiceItemOut) -> list[str]:
    return sorted({p for p, _ in _sources(item).values() if p != "profile"})


def _profile(session: Session, citizen_id: str, name: str) -> Any:
    if name == "name":
        return identity.real_name(session, citizen_id)
    if name == "id_number_masked":
        return identity.citizen_summary(session, citizen_id).masked_id_number
    if name == "phone":
        return identity.citizen_mobile(session, citizen_id)
    if name == "phone_masked":
        return mask_mobile(identity.citizen_mobile(session, citizen_id))
    return None


def prefill(session: Session, *, citizen_id: str, service_code: str, city_code: str | None = None) -> PrefillOut:
    item = catalogue.get_item(session, code=service_code, city_code=city_code)
    purpose = consent_purpose(item.code)
    values: dict[str, Any] = {}
    from_certs: list[str] = []
    needed: set[str] = set()
    missing: list[str] = []
    claims_by_type: dict[str, dict[str, Any] | None] = {}
    for fieldname, (prefix, claim) in _sources(item).items():
        if prefix == "profile":
            v = _profile(session, citizen_id, claim)
        else:
            if prefix not in claims_by_type:
                if not credentials.has_consent(session, org_id=item.agency_org_id, citizen_id=citizen_id,
                                               type_id=prefix, purpose=purpose):
                    needed.add(prefix)
                    continue
                try:
                    claims_by_type[prefix] = credentials.read_for_purpose(
                        session, org_id=item.agency_org_id, citizen_id=citizen_id, type_id=prefix, purpose=purpose,
                        actor=item.agency_org_id)
                except credentials.CredentialNotFound:
                    claims_by_type[prefix] = None
            if prefix in needed:
                continue
            claims = claims_by_type[prefix]
            v = None if claims is None else claims.get(claim)
            if v is not None:
                from_certs.append(fieldname)
        if v is None:
            missing.append(fieldname)
        else:
            values[fieldname] = v
    consent = (ConsentNeeded(org_id=item.agency_org_id, purpose=purpose, type_ids=sorted(needed))
               if needed else None)
    return PrefillOut(service_code=item.code, values=values, from_certificates=from_certs, consent_needed=consent,
                      missing=missing)


def grant_prefill_consent(session: Session, *, citizen_id: str, service_code: str, city_code: str | None = None,
                          days: int = 90) -> PrefillOut:
    """The citizen lets the agency read the certificate types this item pre-fills from; then fills."""
    item = catalogue.get_item(session, code=service_code, city_code=city_code)
    types = certificate_types(item)
    if types:
        credentials.grant_consent(session, citizen_id=citizen_id, org_id=item.agency_org_id,
                                  purpose=consent_purpose(item.code), type_ids=types, days=days, actor=citizen_id)
    return prefill(session, citizen_id=citizen_id, service_code=service_code, city_code=city_code)
