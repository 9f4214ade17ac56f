"""The penalty decision's QR (处罚决定书二维码): a compact payload signed with the traffic key.

    OCTD1.<base64url(JSON)>.<base64url(Ed25519 signature over the JSON bytes)>

The JSON is compact with sorted keys: `n` decision number, `a` fine in fen, `p` masked plate,
`d` decision date (YYYY-MM-DD), `k` key id. It carries nothing personal beyond the masked plate; the
app verifies the signature, then reads the decision (and today's late penalty) from the platform and
refuses a payload whose number, fine, plate or date differ from the record (altered, or forged with
another key).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from onecity.services.traffic import signing_key
from onecity.services.traffic.errors import DecisionQrInvalid

PREFIX = "OCTD1"


@dataclass(frozen=True)
class DecisionQr:
    decision_no: str
    fine_fen: int
    plate_masked: str
    decided_on: date


def encode(q: DecisionQr) -> str:
    body = json.dumps({"n": q.decision_no, "a": q.fine_fen, "p": q.plate_masked, "d": q.decided_on.isoformat(),
                       "k": signing_key.key_id()}, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    return f"{PREFIX}.{signing_key.b64url(body)}.{signing_key.sign(body)}"


def decode(payload: str) -> DecisionQr:
    """The decision named by a scanned payload whose signature holds (DecisionQrInvalid otherwise)."""
    parts = payload.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise DecisionQrInvalid()
    try:
        body = signing_key.b64url_decode(parts[1])
    except ValueError as exc:
        raise DecisionQrInvalid() from exc
    if not signing_key.verify(body, parts[2]):
        raise DecisionQrInvalid()
    try:
        data = json.loads(body)
        return DecisionQr(decision_no=str(data["n"]), fine_fen=int(data["a"]), plate_masked=str(data["p"]),
                          decided_on=date.fromisoformat(str(data["d"])))
    except (ValueError, KeyError, TypeError) as exc:
        raise DecisionQrInvalid() from exc

