"""The gate's uplink (上传): when the network is back, a gate sends the taps it stored offline to the
platform's upload API (POST /v1/transit/operator/taps), as they are, in batches, each a request
signed with its operator's API key (`identity.orgs.signatures`, the four X-OneCity-* headers) and
carrying an Idempotency-Key.

The platform answers per record. Accepted taps, and duplicates of taps it already had (a batch resent
after a lost response, or the same code stored by two gates), are marked uploaded; taps it refused for
good are marked with the reason and not sent again; a tap it found ahead of its clock (`future_tap`:
the gate's clock runs fast) is set aside for this run and sent again at the next. Sending the same
taps twice is harmless: the platform counts one tap per tap id. An error answer (signature refused,
not an operator) or a lost connection stops the run with nothing marked for the batch in flight.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import httpx

from onecity.identity.orgs.signatures import sign_request
from onecity.transit.tapstore import TapRecord, TapStore

PATH = "/v1/transit/operator/taps"
BATCH = 500
RETRY_LATER = frozenset({"future_tap"})


class UplinkError(Exception):
    """The platform refused a batch as a whole (or could not be reached): nothing of it was marked."""


@dataclass
class UploadReport:
    batches: int = 0
    accepted: int = 0
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)  # reason → taps refused for good
    deferred: dict[str, int] = field(default_factory=dict)  # reason → taps to send again later

    def line(self) -> str:
        def reasons(d: dict[str, int]) -> str:
            return ", ".join(f"{k} {n}" for k, n in sorted(d.items())) or "0"

        return (f"{self.batches} batch(es): accepted {self.accepted}, duplicates {self.duplicates}, "
                f"rejected {reasons(self.rejected)}, deferred {reasons(self.deferred)}")  # fmt: skip


def as_upload(r: TapRecord) -> dict[str, object]:
    """A stored tap as the upload API takes it (`transit.schemas.TapIn`)."""
    return {"tap_id": r.tap_id, "gate_id": r.gate_id, "stop_id": r.stop_id, "network": r.network,
            "direction": r.direction, "at": r.at, "code": r.code}  # fmt: skip


def upload_pending(
    store: TapStore, http: httpx.Client, *, app_id: str, private_pem: str, batch: int = BATCH,
    path: str = PATH,
) -> UploadReport:  # fmt: skip
    """Send every pending tap of `store` through `http` (its base URL the platform's); mark what the
    platform acknowledged. Raises UplinkError when a batch is refused as a whole or the platform
    cannot be reached (what was marked before stays marked)."""
    if not 1 <= batch <= 2000:
        raise ValueError("a batch is 1 to 2000 taps")
    store.release_deferred()
    report = UploadReport()
    while records := store.pending(batch):
        raw = json.dumps({"taps": [as_upload(r) for r in records]}, separators=(",", ":")).encode()
        headers = {**sign_request(private_pem, app_id, "POST", path, raw), "content-type": "application/json",
                   "idempotency-key": f"gate-{uuid.uuid4().hex}"}  # fmt: skip
        try:
            resp = http.post(path, content=raw, headers=headers)
        except httpx.TransportError as exc:
            raise UplinkError(f"the platform cannot be reached: {exc}") from exc
        if resp.status_code != 200:
            try:
                problem = resp.json().get("code", "")
            except ValueError:
                problem = ""
            raise UplinkError(f"the platform refused the batch: HTTP {resp.status_code} {problem}".rstrip())
        results = resp.json()["results"]
        if len(results) != len(records):
            raise UplinkError(f"{len(results)} results for {len(records)} taps")
        done: dict[str, list[str]] = {"accepted": [], "duplicate": []}
        refused: dict[str, str] = {}
        later: dict[str, str] = {}
        for r, res in zip(records, results, strict=True):
            if res["result"] in done:
                done[res["result"]].append(r.tap_id)
            elif res.get("reason") in RETRY_LATER:
                later[r.tap_id] = res["reason"]
            else:
                refused[r.tap_id] = str(res.get("reason"))
        for result, ids in done.items():
            store.mark_uploaded(ids, result)
        store.mark_rejected(refused)
        store.mark_deferred(later)
        report.batches += 1
        report.accepted += len(done["accepted"])
        report.duplicates += len(done["duplicate"])
        for bucket, reasons in ((report.rejected, refused), (report.deferred, later)):
            for why in reasons.values():
                bucket[why] = bucket.get(why, 0) + 1
    return report
