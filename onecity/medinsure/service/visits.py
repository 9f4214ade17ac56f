"""Visits (就诊): opened by scanning an insurance code at a designated institution (or by an online
pharmacy order), the fee lines uploaded for them, and the queries by visit.

Rules kept here:
- The visit type must fit the institution: "pharmacy" at a pharmacy (level 0), any other at a hospital;
  the level is the institution's, recorded on the visit.
- Fee lines are checked all together against the catalogue of the policy in force (unknown code,
  quantity < 1, a price other than the list price, a bad price, a repeated line number); one bad line
  refuses the upload and changes nothing. Uploading again before settlement replaces the lines and
  drops the pre-settlement.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Select, delete, select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.db import is_postgres
from onecity.errors import InvalidInput
from onecity.identity.orgs import service as orgs
from onecity.ids import new_id
from onecity.medinsure import rules
from onecity.medinsure.errors import (
    LINE_ERRORS,
    FeeLineInvalid,
    VisitNotFound,
    VisitStateInvalid,
    VisitTypeInvalid,
)
from onecity.medinsure.models import MedFeeLine, MedInsured, MedSettlement, MedVisit
from onecity.medinsure.schemas import FeeLineIn, FeeLineOut, PresettlementOut, VisitOut
from onecity.medinsure.service.codes import consume_code
from onecity.medinsure.service.institutions import institution
from onecity.medinsure.service.insured import insured_by_id, insured_by_row_id
from onecity.medinsure.service.policies import policy_for, today

OPEN, BILLED, PRESETTLED, SETTLED = "open", "billed", "presettled", "settled"
PARTLY_REFUNDED, REFUNDED, CANCELLED = "partly_refunded", "refunded", "cancelled"
EDITABLE = (OPEN, BILLED, PRESETTLED)


def locked(session: Session, q: Select[Any]) -> Any:
    if is_postgres(session):
        q = q.with_for_update()
    return session.scalars(q.execution_options(populate_existing=True)).one_or_none()


def visit_row(session: Session, visit_id: str, *, lock: bool = False, institution_org_id: str | None = None,
              citizen_id: str | None = None) -> MedVisit:
    """The visit, optionally locked; restricted to an institution's or a citizen's own (else absent)."""
    if lock:
        return locked_visit(session, visit_id, institution_org_id=institution_org_id, citizen_id=citizen_id)[0]
    q = select(MedVisit).where(MedVisit.visit_id == visit_id)
    if institution_org_id is not None:
        q = q.where(MedVisit.institution_org_id == institution_org_id)
    v = session.scalars(q).one_or_none()
    if v is None or (citizen_id is not None and citizen_id not in (v.citizen_id, v.confirmer_id)):
        raise VisitNotFound()
    return v


def locked_visit(session: Session, visit_id: str, *, institution_org_id: str | None = None,
                 citizen_id: str | None = None) -> tuple[MedVisit, MedInsured]:
    """The visit locked FOR UPDATE (the insured row is read, not locked) and its insured person, in one
    statement; restricted like `visit_row`."""
    q = (select(MedVisit, MedInsured).join(MedInsured, MedInsured.id == MedVisit.insured_row_id)
         .where(MedVisit.visit_id == visit_id))
    if institution_org_id is not None:
        q = q.where(MedVisit.institution_org_id == institution_org_id)
    if is_postgres(session):
        q = q.with_for_update(of=MedVisit)
    row = session.execute(q.execution_options(populate_existing=True)).one_or_none()
    if row is None or (citizen_id is not None and citizen_id not in (row[0].citizen_id, row[0].confirmer_id)):
        raise VisitNotFound()
    return row[0], row[1]


def fee_lines(session: Session, v: MedVisit) -> list[MedFeeLine]:
    return list(session.scalars(select(MedFeeLine).where(MedFeeLine.visit_row_id == v.id)
                                .order_by(MedFeeLine.line_no)))


def as_bill_lines(fees: Sequence[MedFeeLine]) -> list[rules.BillLine]:
    return [rules.BillLine(line_no=f.line_no, code=f.code, quantity=f.quantity, unit_price_fen=f.unit_price_fen)
            for f in fees]


def visit_event(v: MedVisit, **extra: Any) -> dict[str, Any]:
    return {"visit_id": v.visit_id, "institution_org_id": v.institution_org_id, "citizen_id": v.citizen_id,
            "visit_type": v.visit_type, "status": v.status, "total_fen": v.total_fen, **extra}


def visit_out(session: Session, v: MedVisit, *, insured: MedInsured | None = None) -> VisitOut:
    ins = insured or insured_by_row_id(session, v.insured_row_id)
    name = orgs.org_names(session, [v.institution_org_id]).get(v.institution_org_id, v.institution_org_id)
    settlement_id = session.scalar(select(MedSettlement.settlement_id).where(MedSettlement.visit_row_id == v.id))
    pre = PresettlementOut.model_validate(v.presettlement) if v.presettlement else None
    return VisitOut(
        visit_id=v.visit_id, institution_org_id=v.institution_org_id, institution_name=name,
        insured_id=ins.insured_id, citizen_name_masked=ins.name_masked, scheme=ins.scheme,  # type: ignore[arg-type]
        visit_type=v.visit_type, level=v.level, channel=v.channel, counter_consent=v.counter_consent,  # type: ignore[arg-type]
        status=v.status, total_fen=v.total_fen,
        lines=[FeeLineOut(line_no=f.line_no, code=f.code, name=f.name, quantity=f.quantity,
                          unit_price_fen=f.unit_price_fen, amount_fen=f.amount_fen) for f in fee_lines(session, v)],
        presettlement=pre, settlement_id=settlement_id, opened_at=v.opened_at, updated_at=v.updated_at)


def _check_visit_type(kind: str, visit_type: str) -> None:
    if visit_type not in rules.VISIT_TYPES:
        raise VisitTypeInvalid(detail=f"visit_type must be one of {', '.join(rules.VISIT_TYPES)}")
    if (kind == "pharmacy") != (visit_type == "pharmacy"):
        raise VisitTypeInvalid(detail="a pharmacy opens pharmacy visits; a hospital opens the other types")


def open_visit(session: Session, *, institution_org_id: str, insured: MedInsured, confirmer_id: str, visit_type: str,
               channel: str, code_id: str | None, counter_consent: bool) -> MedVisit:
    inst = institution(session, institution_org_id)
    _check_visit_type(inst.kind, visit_type)
    now = clock.now()
    v = MedVisit(visit_id=new_id("vis"), institution_org_id=institution_org_id, insured_row_id=insured.id,
                 citizen_id=insured.citizen_id, confirmer_id=confirmer_id, visit_type=visit_type, level=inst.level,
                 channel=channel, code_id=code_id, counter_consent=counter_consent, status=OPEN, total_fen=0,
                 presettlement=None, note=None, opened_at=now, updated_at=now)
    session.add(v)
    session.flush()
    outbox.emit(session, "medinsure.visit.opened", visit_event(v, channel=channel))
    return v


def scan_code(session: Session, *, institution_org_id: str, code: str, visit_type: str,
              actor: Any = None) -> VisitOut:
    """The institution scanned an insurance code: use the code up and open a visit for the insured."""
    inst = institution(session, institution_org_id)
    _check_visit_type(inst.kind, visit_type)
    claims, code_row = consume_code(session, text=code, institution_org_id=institution_org_id)
    insured = insured_by_id(session, claims.insured_id)
    v = open_visit(session, institution_org_id=institution_org_id, insured=insured, confirmer_id=code_row.shown_by,
                   visit_type=visit_type, channel="code", code_id=claims.code_id,
                   counter_consent=claims.counter_consent)
    audit.record(session, actor=actor or institution_org_id, action="medinsure.visit.open",
                 subject_citizen_id=insured.citizen_id, resource=f"medinsure/visit/{v.visit_id}",
                 reason="扫描医保码建立就诊 (scanned the insurance code and opened a visit)",
                 on_behalf_of=institution_org_id)
    return visit_out(session, v, insured=insured)


def _as_lines(lines: Sequence[FeeLineIn | dict[str, Any]]) -> list[rules.BillLine]:
    out = []
    for i, raw in enumerate(lines, start=1):
        f = raw if isinstance(raw, FeeLineIn) else FeeLineIn.model_validate(raw)
        out.append(rules.BillLine(line_no=f.line_no or i, code=f.code, quantity=f.quantity,
                                  unit_price_fen=f.unit_price_fen))
    return out


def check_lines(policy: rules.Policy, lines: Sequence[rules.BillLine]) -> None:
    """Every line against the catalogue; the first bad one raises its FeeLineInvalid subclass."""
    if not lines:
        raise InvalidInput(detail="a bill needs at least one line")
    seen: set[int] = set()
    for bl in lines:
        if bl.line_no in seen:
            raise FeeLineInvalid(detail=f"line number {bl.line_no} appears twice", reason="duplicate_line",
                                 line_no=bl.line_no, item_code=bl.code)
        seen.add(bl.line_no)
        try:
            rules.check_line(policy, bl)
        except rules.LineInvalid as exc:
            raise LINE_ERRORS.get(exc.reason, FeeLineInvalid)(
                detail=str(exc), reason=exc.reason, line_no=bl.line_no, item_code=bl.code) from exc


def replace_lines(session: Session, v: MedVisit, lines: Sequence[rules.BillLine], policy: rules.Policy) -> None:
    session.execute(delete(MedFeeLine).where(MedFeeLine.visit_row_id == v.id))
    total = 0
    for bl in lines:
        item = policy.item(bl.code)
        assert item is not None
        session.add(MedFeeLine(visit_row_id=v.id, line_no=bl.line_no, code=bl.code, name=item.name_zh,
                               quantity=bl.quantity, unit_price_fen=bl.unit_price_fen, amount_fen=bl.amount_fen))
        total += bl.amount_fen
    v.total_fen = total
    v.presettlement = None
    v.status = BILLED
    v.updated_at = clock.now()
    session.flush()


def upload_fees(session: Session, *, institution_org_id: str, visit_id: str,
                lines: Sequence[FeeLineIn | dict[str, Any]], actor: Any = None) -> VisitOut:
    """Upload (or replace) the visit's fee lines; any bad line refuses them all (see the module doc)."""
    v = visit_row(session, visit_id, lock=True, institution_org_id=institution_org_id)
    if v.status not in EDITABLE:
        raise VisitStateInvalid(detail=f"the visit is {v.status}")
    bill = _as_lines(lines)
    policy = policy_for(session, on=today())
    check_lines(policy, bill)
    replace_lines(session, v, bill, policy)
    outbox.emit(session, "medinsure.visit.billed", visit_event(v, lines=len(bill)))
    audit.record(session, actor=actor or institution_org_id, action="medinsure.visit.fees",
                 subject_citizen_id=v.citizen_id, resource=f"medinsure/visit/{v.visit_id}",
                 reason="上传费用明细 (uploaded the fee lines)", on_behalf_of=institution_org_id)
    return visit_out(session, v)


def get_visit(session: Session, *, visit_id: str, institution_org_id: str | None = None,
              citizen_id: str | None = None) -> VisitOut:
    return visit_out(session, visit_row(session, visit_id, institution_org_id=institution_org_id,
                                        citizen_id=citizen_id))


def _page(session: Session, q: Select[Any], after: str | None, limit: int) -> tuple[list[VisitOut], str | None]:
    limit = max(1, min(limit, 200))
    if after:
        cursor = session.scalar(select(MedVisit.id).where(MedVisit.visit_id == after))
        if cursor is None:
            raise InvalidInput(detail="unknown cursor")
        q = q.where(MedVisit.id < cursor)
    rows = list(session.scalars(q.order_by(MedVisit.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return [visit_out(session, v) for v in rows], (rows[-1].visit_id if more and rows else None)


def list_visits_for_institution(session: Session, *, institution_org_id: str, status: str | None = None,
                                after: str | None = None, limit: int = 50) -> tuple[list[VisitOut], str | None]:
    q = select(MedVisit).where(MedVisit.institution_org_id == institution_org_id)
    if status:
        q = q.where(MedVisit.status == status)
    return _page(session, q, after, limit)


def list_visits_for_citizen(session: Session, *, citizen_id: str, after: str | None = None,
                            limit: int = 50) -> tuple[list[VisitOut], str | None]:
    """The citizen's own visits and those they confirmed for a relative, newest first."""
    q = select(MedVisit).where((MedVisit.citizen_id == citizen_id) | (MedVisit.confirmer_id == citizen_id))
    return _page(session, q, after, limit)
