"""Online pharmacy orders (网上购药): the citizen picks catalogue items a designated pharmacy sells, at
the pharmacy's prices; the order is a pharmacy visit (channel "online") that is pre-settled at once and
paid with the split when the citizen confirms (`settlement.confirm`), like a counter purchase.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from onecity.errors import InvalidInput
from onecity.medinsure import rules
from onecity.medinsure.errors import NotAllowedForRelative, NotAnInstitution
from onecity.medinsure.schemas import OrderItemIn, VisitOut
from onecity.medinsure.service.codes import may_act_for
from onecity.medinsure.service.institutions import institution, pharmacy_price
from onecity.medinsure.service.insured import insured_row
from onecity.medinsure.service.policies import policy_for, today
from onecity.medinsure.service.settlement import presettle_visit
from onecity.medinsure.service.visits import check_lines, open_visit, replace_lines, visit_out


def place_order(session: Session, *, citizen_id: str, pharmacy_id: str, items: Sequence[OrderItemIn | tuple[str, int]],
                for_citizen_id: str | None = None, family_payers: list[str] | None = None) -> VisitOut:
    """Place an online order for oneself (or a relative one holds pay_medical over); returns the visit
    with its pre-settlement, waiting for the citizen's confirmation."""
    subject = for_citizen_id or citizen_id
    if not may_act_for(session, citizen_id=citizen_id, subject_citizen_id=subject):
        raise NotAllowedForRelative()
    ins = insured_row(session, subject)
    inst = institution(session, pharmacy_id)
    if inst.kind != "pharmacy":
        raise NotAnInstitution(detail="online orders are placed with a pharmacy")
    if not items:
        raise InvalidInput(detail="an order needs at least one item")
    lines = []
    for i, raw in enumerate(items, start=1):
        code, quantity = (raw.code, raw.quantity) if isinstance(raw, OrderItemIn) else raw
        lines.append(rules.BillLine(line_no=i, code=code, quantity=quantity,
                                    unit_price_fen=pharmacy_price(session, pharmacy_id, code)))
    policy = policy_for(session, on=today())
    check_lines(policy, lines)
    v = open_visit(session, institution_org_id=pharmacy_id, insured=ins, confirmer_id=citizen_id,
                   visit_type="pharmacy", channel="online", code_id=None, counter_consent=False)
    replace_lines(session, v, lines, policy)
    presettle_visit(session, v, family_payers=family_payers or [], actor=citizen_id)
    return visit_out(session, v, insured=ins)
