"""The HTTP connector: a biller that exposes its own endpoints (JSON), called with requests signed by
the platform's bills key (Ed25519, the platform's request-signature scheme: `X-OneCity-*` headers
over method, path, query, timestamp, nonce and the body's SHA-256 — see identity.orgs.signatures;
the biller checks them with `GET /v1/services/bills/key`).

    GET  {endpoint}/bills?account_no=…      → 200 {"bills": [{bill_id, period, amount, due_date, status, holder_masked}]}
                                              404 {"code": "account_unknown"}
    POST {endpoint}/payments {bill_id, amount, ref}
                                            → 200 {ref, accepted, biller_ref, reason, duplicate}
    GET  {endpoint}/payments/{ref}          → 200 {ref, status, biller_ref, reason, confirmed_at}
A timeout is `BillerTimeout`; a refused connection or a 5xx is `BillerDown`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from onecity.identity.orgs.signatures import sign_request
from onecity.services.bills.service import signing
from onecity.services.bills.service.connector import (
    Ack,
    AdviceStatus,
    BillerAccountUnknown,
    BillerDown,
    BillerTimeout,
    FetchedBill,
)

PLATFORM_APP_ID = "onecity-platform"
TIMEOUT_SECONDS = 10.0


class HttpBiller:
    kind = "http"

    def __init__(self, endpoint: str, *, transport: httpx.BaseTransport | None = None) -> None:
        self.endpoint = endpoint.rstrip("/")
        self.transport = transport

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        raw = json.dumps(body, separators=(",", ":")).encode() if body is not None else b""
        url = self.endpoint + path
        headers = sign_request(signing.private_pem(), PLATFORM_APP_ID, method, url, raw)
        if body is not None:
            headers["content-type"] = "application/json"
        try:
            with httpx.Client(transport=self.transport, timeout=TIMEOUT_SECONDS) as client:
                r = client.request(method, url, content=raw or None, headers=headers)
        except httpx.TimeoutException as exc:
            raise BillerTimeout(str(exc)) from exc
        except httpx.TransportError as exc:
            raise BillerDown(str(exc)) from exc
        if r.status_code >= 500:
            raise BillerDown(f"biller answered {r.status_code}")
        return r

    def fetch(self, account_no: str) -> list[FetchedBill]:
        r = self._call("GET", "/bills?" + urlencode({"account_no": account_no}))
        if r.status_code == 404:
            raise BillerAccountUnknown("the biller has no such account")
        if r.status_code != 200:
            raise BillerDown(f"biller answered {r.status_code}")
        with _answer("bills"):
            return [FetchedBill(bill_id=str(b["bill_id"]), period=str(b["period"]), amount=_fen(b["amount"]),
                                due_date=date.fromisoformat(b["due_date"]) if b.get("due_date") else None,
                                status="unpaid" if b.get("status") == "unpaid" else "paid",
                                holder_masked=b.get("holder_masked")) for b in r.json()["bills"]]

    def pay(self, bill_id: str, amount: int, ref: str) -> Ack:
        r = self._call("POST", "/payments", {"bill_id": bill_id, "amount": amount, "ref": ref})
        if r.status_code != 200:
            raise BillerDown(f"biller answered {r.status_code}")
        with _answer("acknowledgement"):
            d = r.json()
            return Ack(ref=str(d["ref"]), accepted=bool(d["accepted"]), biller_ref=d.get("biller_ref"),
                       reason=d.get("reason"), duplicate=bool(d.get("duplicate", False)))

    def status(self, ref: str) -> AdviceStatus:
        r = self._call("GET", "/payments/" + quote(ref, safe=""))
        if r.status_code == 404:
            return AdviceStatus(ref, "not_found")
        if r.status_code != 200:
            raise BillerDown(f"biller answered {r.status_code}")
        with _answer("status"):
            d = r.json()
            if d["status"] not in ("processing", "confirmed", "rejected", "not_found"):
                raise BillerDown(f"unknown status {str(d['status'])[:40]!r}")
            return AdviceStatus(ref=ref, status=d["status"], biller_ref=d.get("biller_ref"), reason=d.get("reason"),
                                confirmed_at=datetime.fromisoformat(d["confirmed_at"]) if d.get("confirmed_at")
                                else None)


@contextmanager
def _answer(what: str) -> Iterator[None]:
    """A biller's answer that is not the JSON the interface promises is a transient failure
    (`BillerDown`: retried like a 5xx), never an unhandled error in a citizen's request or the job."""
    try:
        yield
    except (KeyError, TypeError, ValueError, AttributeError) as exc:  # json.JSONDecodeError is a ValueError
        raise BillerDown(f"the biller's {what} is malformed ({type(exc).__name__})") from exc


def _fen(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise BillerDown(f"the biller sent an amount that is not whole fen: {value!r}")
    return value
