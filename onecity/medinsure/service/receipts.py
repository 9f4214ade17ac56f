"""Electronic receipts (电子票据): what a settlement's receipt says, and its Ed25519 signature by the
medinsure key over the canonical JSON (sorted keys, no spaces, UTF-8), so anyone can check it with the
published public key (`GET /v1/medinsure/code-key`, `POST /v1/medinsure/receipts/verify`)."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from onecity.identity.orgs import service as orgs
from onecity.medinsure.errors import ReceiptInvalid
from onecity.medinsure.models import MedInsured, MedVisit
from onecity.medinsure.schemas import ReceiptVerdict
from onecity.medinsure.service import signing_key
from onecity.medinsure.service.payers import Computation
from onecity.medinsure.service.visits import fee_lines


def build_receipt(session: Session, settlement_id: str, v: MedVisit, ins: MedInsured, comp: Computation,
                  settled_at: datetime) -> dict[str, Any]:
    names = orgs.org_names(session, [v.institution_org_id])
    fees = {f.line_no: f for f in (comp.fees or fee_lines(session, v))}
    return {
        "receipt_id": "rcp_" + settlement_id.split("_", 1)[1],
        "settlement_id": settlement_id,
        "visit_id": v.visit_id,
        "institution": {"org_id": v.institution_org_id, "name": names.get(v.institution_org_id, ""),
                        "level": v.level},
        "insured": {"insured_id": ins.insured_id, "name_masked": ins.name_masked, "scheme": ins.scheme},
        "visit_type": v.visit_type,
        "policy_key": comp.split.policy_key,
        "lines": [{"line_no": ln.line_no, "code": ln.code, "name": fees[ln.line_no].name,
                   "quantity": fees[ln.line_no].quantity, "unit_price_fen": fees[ln.line_no].unit_price_fen,
                   "amount_fen": ln.amount_fen, "fund_fen": ln.fund_fen, "within_fen": ln.within_fen,
                   "outside_fen": ln.outside_fen} for ln in comp.split.lines],
        "payers": [{"payer": p, "fen": fen} for p, fen in comp.allocation.totals.items()],
        "total_fen": comp.split.total_fen,
        "settled_at": settled_at.isoformat(),
        "key_id": signing_key.key_id(),
    }


def canonical(receipt: dict[str, Any]) -> bytes:
    return json.dumps(receipt, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def verify_receipt(receipt: dict[str, Any], signature: str) -> ReceiptVerdict:
    """Whether the receipt is exactly what the platform signed (anyone can check with the public key)."""
    try:
        body = canonical(receipt)
    except (TypeError, ValueError) as exc:
        raise ReceiptInvalid() from exc
    ok = signing_key.verify(body, signature)
    return ReceiptVerdict(valid=ok, receipt_id=receipt.get("receipt_id") if ok else None,
                          sha256=hashlib.sha256(body).hexdigest() if ok else None)

