"""The demo city's applications: the main citizen (王芳) has filed a few generic application forms,
so 我的办件 and the agencies' consoles (审核队列) show real cases — one waiting to be claimed, one
that an agency asked to correct (补正) with a reason, one approved at once.

Idempotent: a service the citizen has already applied for is left as it is. A service missing from
the catalogue, or whose conditions the citizen does not meet, is skipped and named in the report.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.authz import Principal
from onecity.errors import DomainError
from onecity.services.applications import service as applications
from onecity.services.catalogue import service as catalogue
from onecity.services.catalogue.schemas import ServiceItemOut

ACTOR = "demo:seed"
# (service code, the reviewing agency's action after submit, its reason)
CASES: tuple[tuple[str, str | None, str | None], ...] = (
    ("ps.hk.macau.endorse", None, None),  # review, then pay: waiting to be claimed
    ("edu.student.aid", "request_info", "请补充家庭经济困难情况说明"),
    ("tax.iit.record", None, None),  # instant: approved at once
)


def _example(spec: dict[str, Any]) -> Any:
    if "enum" in spec:
        return spec["enum"][0]
    kind = spec.get("type", "string")
    if kind == "boolean":
        return True
    if kind in ("integer", "number"):
        return max(int(spec.get("minimum", 1)), 1)
    if spec.get("format") == "date":
        return clock.today_local().date().isoformat()
    return "示例" * max(1, int(spec.get("minLength", 1) + 1) // 2)


def _form(session: Session, citizen_id: str, item: ServiceItemOut) -> dict[str, Any]:
    """The required fields: pre-filled from the profile where the item says so, else an example."""
    schema = item.form_schema or {}
    props = schema.get("properties") or {}
    found = applications.prefill(session, citizen_id=citizen_id, service_code=item.code).values
    return {k: found.get(k, _example(props.get(k) or {})) for k in schema.get("required", [])}


def seed(session: Session, report: Any, ids: dict[str, str], made: dict[str, Any]) -> None:
    citizen_id = ids.get("main")
    if citizen_id is None:
        return
    filed = {a.service_code for a in applications.list_for_citizen(session, citizen_id=citizen_id, limit=200)}
    me = Principal(kind="citizen", id=citizen_id, real_name_verified=True)
    lines = []
    for code, action, reason in CASES:
        if code in filed:
            continue
        try:
            with session.begin_nested():
                item = catalogue.get_item(session, code=code)
                a = applications.submit(session, citizen_id=citizen_id, service_code=code,
                                        form=_form(session, citizen_id, item), actor=me)
                if action is not None:
                    staff = Principal(kind="staff", id=ACTOR, org_id=item.agency_org_id,
                                      roles=frozenset({"reviewer"}))
                    applications.act(session, application_id=a.id, action="claim", principal=staff)
                    a = applications.act(session, application_id=a.id, action=action, principal=staff, reason=reason)
            lines.append(f"application {a.reference} {code}: {a.state}")
        except DomainError as exc:
            lines.append(f"application {code}: skipped ({exc.code})")
    report.money += lines
