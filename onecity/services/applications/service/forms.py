"""Checks at submit: the form against the item's JSON Schema, the applicant against the item's
conditions (申请条件), the materials (申请材料) present. Each lists every problem at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy.orm import Session

from onecity import clock
from onecity.credentials import service as credentials
from onecity.identity import service as identity
from onecity.services.applications.errors import AttachmentInvalid, FormInvalid, MaterialsMissing, NotEligible
from onecity.services.applications.models import Attachment
from onecity.services.applications.service.attachments import check_slot, rows_for
from onecity.services.catalogue.schemas import ServiceItemOut


def form_errors(schema: dict[str, Any] | None, form: Any) -> list[dict[str, str]]:
    """Every way `form` breaks `schema` (draft 2020-12, formats checked), as {field, message}."""
    if not isinstance(form, dict):
        return [{"field": "", "message": "the form must be an object"}]
    if schema is None:
        return []
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    out = []
    for e in sorted(validator.iter_errors(form), key=lambda e: [str(p) for p in e.absolute_path]):
        path = [str(p) for p in e.absolute_path]
        if e.validator == "required" and e.message.startswith("'"):
            path.append(e.message.split("'")[1])
        out.append({"field": ".".join(path), "message": e.message[:300]})
    return out


def validate_form(schema: dict[str, Any] | None, form: Any) -> dict[str, Any]:
    errors = form_errors(schema, form)
    if errors:
        raise FormInvalid(detail="; ".join(f"{e['field'] or '(form)'}: {e['message']}" for e in errors)[:1000],
                          errors=errors)
    return dict(form)


def _held_types(session: Session, citizen_id: str) -> set[str]:
    now = clock.now()
    return {c.type_id for c in credentials.list_for_citizen(session, citizen_id=citizen_id)
            if c.status == "valid" and (c.valid_until is None or c.valid_until > now)}


def check_eligibility(session: Session, item: ServiceItemOut, citizen_id: str) -> None:
    """Real name, age (from the resident ID's birth date) and certificates held; NotEligible lists all."""
    e = item.eligibility
    summary = identity.citizen_summary(session, citizen_id)
    problems: list[dict[str, Any]] = []
    if e.real_name and not summary.verified:
        problems.append({"rule": "real_name"})
    if e.min_age is not None or e.max_age is not None:
        if summary.age is None:
            problems.append({"rule": "age", "message": "no birth date on record"})
        elif e.min_age is not None and summary.age < e.min_age:
            problems.append({"rule": "min_age", "min_age": e.min_age})
        elif e.max_age is not None and summary.age > e.max_age:
            problems.append({"rule": "max_age", "max_age": e.max_age})
    if e.certificates:
        held = _held_types(session, citizen_id)
        for t in e.certificates:
            if t not in held:
                problems.append({"rule": "certificate", "type_id": t})
    if problems:
        raise NotEligible(detail=", ".join(p["rule"] + (f":{p['type_id']}" if "type_id" in p else "")
                                           for p in problems), problems=problems)


def check_materials(session: Session, item: ServiceItemOut, citizen_id: str, attachments: dict[str, str],
                    application_id: str | None) -> dict[str, Attachment]:
    """Required certificates held and required uploads present; each given file the citizen's own,
    unused by another application, of a type and size its slot accepts. Returns slot → row."""
    if not isinstance(attachments, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                    for k, v in attachments.items()):
        raise AttachmentInvalid(detail="attachments: slot -> att_ id")
    slots = {m.key: m for m in item.materials}
    rows = rows_for(session, list(attachments.values()))
    bad: list[dict[str, str]] = []
    for slot, att_id in attachments.items():
        a = rows.get(att_id)
        if slot not in slots:
            bad.append({"slot": slot, "message": "no such material"})
        elif a is None or a.citizen_id != citizen_id or a.application_id not in (None, application_id):
            bad.append({"slot": slot, "message": "no such attachment"})
        elif (why := check_slot(a, slots[slot])) is not None:
            bad.append({"slot": slot, "message": why})
    if bad:
        raise AttachmentInvalid(detail="; ".join(f"{b['slot']}: {b['message']}" for b in bad)[:1000], errors=bad)
    missing: list[str] = []
    held: set[str] | None = None
    for m in item.materials:
        if not m.required:
            continue
        if m.kind == "upload" and m.key not in attachments:
            missing.append(m.key)
        elif m.kind == "certificate" and m.type_id:
            held = _held_types(session, citizen_id) if held is None else held
            if m.type_id not in held:
                missing.append(m.key)
    if missing:
        raise MaterialsMissing(detail=", ".join(missing), missing=missing)
    return {slot: rows[att_id] for slot, att_id in attachments.items()}


def due_at(submitted: datetime, days: int) -> datetime:
    """承诺时限 in calendar days: the end of the local day `days` days after the submission day
    (0 = the end of the day of submission), in UTC."""
    local = submitted.astimezone(clock.CITY_TZ)
    end = local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=days + 1)
    return end.astimezone(UTC)
