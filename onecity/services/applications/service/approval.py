"""What approval does: the item's automatic checks (workflow `auto_check`) and its effects
(`on_approve`), run in the action's transaction — a DomainError from any fails the whole action.
Built in: `issue_credential` (the agency's issuer issues `type_id`, claims from `$form.<field>`,
`$profile.<name|id_number|phone|birth_date|sex>`, `$today`, `$reference` or literals) and
`request_payment`; others come from the registry (`applications.effects`)."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.authz import Principal
from onecity.credentials import service as credentials
from onecity.crypto import fields
from onecity.identity import service as identity
from onecity.services.applications import effects as registry
from onecity.services.applications.errors import EffectFailed, EffectUnknown
from onecity.services.applications.models import Application
from onecity.services.applications.service.views import form_of, to_out
from onecity.services.catalogue.schemas import ServiceItemOut


def check_names(item: ServiceItemOut) -> list[str]:
    names = []
    for e in item.on_approve:
        name = e.get("check") or e.get("effect")
        if isinstance(name, str) and registry.check(name) is not None:
            names.append(name)
    return names


def run_checks(session: Session, row: Application, item: ServiceItemOut) -> tuple[bool, str]:
    names = check_names(item)
    if not names:
        return False, "没有自动校验规则，转人工审核 no automatic check; referred to staff"
    snapshot = to_out(session, row, with_events=False)
    for name in names:
        fn = registry.check(name)
        assert fn is not None
        passed, why = fn(session, snapshot)
        if not passed:
            return False, why
    return True, "自动校验通过 automatic check passed"


_REF = re.compile(r"^\$(form|profile)\.([A-Za-z0-9_]+)$")


def _profile_value(session: Session, citizen_id: str, name: str) -> Any:
    if name == "name":
        return identity.real_name(session, citizen_id)
    if name == "id_number":
        c = identity.get_citizen(session, citizen_id)
        return fields.decrypt_str(c.id_number_enc, purpose=identity.ENC_CITIZEN_ID_NUMBER) if c.id_number_enc else None
    if name == "phone":
        return identity.citizen_mobile(session, citizen_id)
    if name == "birth_date":
        b = identity.citizen_summary(session, citizen_id).birth_date
        return b.isoformat() if b else None
    if name == "sex":
        return identity.citizen_summary(session, citizen_id).sex
    return None


def resolve(session: Session, value: Any, *, form: dict[str, Any], citizen_id: str, reference: str = "") -> Any:
    """A claim's value from the effect's config: `$form.<field>`, `$profile.<name|id_number|phone|
    birth_date|sex>`, `$today` (local date), `$reference` (the application's case number), or a literal."""
    if value == "$today":
        return clock.today_local().date().isoformat()
    if value == "$reference":
        return reference
    if isinstance(value, str) and (m := _REF.match(value)):
        source, name = m.groups()
        return form.get(name) if source == "form" else _profile_value(session, citizen_id, name)
    return value


def run_effects(session: Session, row: Application, item: ServiceItemOut, actor: Principal | str) -> None:
    form = form_of(row)
    for config in item.on_approve:
        name = config.get("effect")
        if not isinstance(name, str):
            if "check" in config:
                continue  # a check only
            raise EffectUnknown(detail=str(config)[:200])
        if name == "issue_credential":
            issuer = credentials.issuer_of_org(session, row.agency_org_id)
            if issuer is None:
                raise EffectFailed(detail="the agency is not a certificate issuer")
            claims = {k: resolve(session, v, form=form, citizen_id=row.citizen_id, reference=row.reference)
                      for k, v in dict(config.get("claims") or {}).items()}
            cred = credentials.issue_credential(session, issuer_id=issuer.issuer_id, type_id=str(config["type_id"]),
                                                claims=claims, citizen_id=row.citizen_id, actor=actor)
            row.credential_id = cred.credential_id
        elif name == "request_payment":
            if row.payment_state is None and row.fee_fen > 0:
                raise EffectFailed(detail="a fee is paid through the review_then_pay workflow")
        else:
            fn = registry.effect(name)
            if fn is None:
                raise EffectUnknown(detail=name[:80])
            fn(session, to_out(session, row, with_events=False), dict(config))
    session.flush()
