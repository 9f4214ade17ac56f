"""The citizen app's certificate wallet pages (证照夹), zh-CN first with English:

- `/app/credentials`: the wallet — claimed certificates with their status as the issuer set it
  (valid, suspended, revoked, re-issued) and those waiting to be claimed;
- `/app/credentials/{id}/detail`: one certificate's fields;
- `/app/credentials/{id}/claim`: claim it — the face page (`/app/face?act=credentials.claim`) comes
  back here with `?face_grant=…`, and the page's script runs the OpenID4VCI-style claim with the
  browser's own holder key (`/static/credentials/holder.js`);
- `/app/credentials/{id}/show`: show it (亮证) — the full certificate or a purpose view, as a QR the
  browser signs and redraws every `presentation.ROTATE_S` seconds from its cached copy.

The access history (`/app/credentials/history`) is its own page, linked from here.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response

from onecity import clock
from onecity.authz import Principal, allow_page
from onecity.credentials import presentation
from onecity.credentials.schemas import WalletItem
from onecity.credentials.service import claims, wallet
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate
from onecity.web import formatting
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

HOLDER_PAGE = allow_page("citizen", verified=True)
HOME = "/app/credentials"
HISTORY = "/app/credentials/history"


def _local(dt: datetime | None) -> str:
    return formatting.local(dt, empty="")


def _day(dt: datetime | None) -> str:
    return formatting.local(dt, "%Y-%m-%d", empty="")


def _last_day(dt: datetime | None) -> str:
    """The last valid day of an end of validity (the start of the next day, Beijing time)."""
    return _day(clock.aware(dt) - timedelta(seconds=1)) if dt else ""


def face_url(credential_id: str) -> str:
    return "/app/face?" + urlencode({"act": claims.CLAIM_ACT, "next": f"{HOME}/{credential_id}/claim"})


def _ctx(request: Request, principal: Principal, **ctx: Any) -> dict[str, Any]:
    lang = negotiate(request)

    def field_list(item: WalletItem, names: Any) -> str:
        labels = item.labels or {}
        return ("、" if lang == "zh-CN" else ", ").join(
            labels[n][0 if lang == "zh-CN" else 1] for n in names if n in labels)

    return {"local": _local, "day": _day, "last_day": _last_day, "home": HOME, "history": HISTORY, "field_list": field_list,
            "config": {"citizen_id": principal.id, "now": clock.now().isoformat(), "lang": lang,
                       "rotate_s": presentation.ROTATE_S}, **ctx}


@router.get("/app/credentials", response_class=HTMLResponse)
def wallet_page(request: Request, db: DbSession, principal: Principal = Depends(HOLDER_PAGE)) -> Response:
    assert principal.id is not None
    items = wallet.wallet(db, citizen_id=principal.id)
    return render(request, "holder_wallet.html", **_ctx(request, principal, items=items))


def _item_page(request: Request, db: Any, principal: Principal, credential_id: str, template: str,
               **extra: Any) -> Response:
    assert principal.id is not None
    try:
        item = wallet.wallet_item(db, citizen_id=principal.id, credential_id=credential_id[:40])
    except DomainError as exc:
        return render(request, "holder_wallet.html", status_code=exc.status,
                      **_ctx(request, principal, items=wallet.wallet(db, citizen_id=principal.id),
                             error=exc.title(negotiate(request))))
    return render(request, template, **_ctx(request, principal, item=item, **extra))


@router.get("/app/credentials/{credential_id}/detail", response_class=HTMLResponse)
def detail_page(credential_id: str, request: Request, db: DbSession,
                principal: Principal = Depends(HOLDER_PAGE)) -> Response:
    return _item_page(request, db, principal, credential_id, "holder_detail.html")


@router.get("/app/credentials/{credential_id}/claim", response_class=HTMLResponse)
def claim_page(credential_id: str, request: Request, db: DbSession,
               principal: Principal = Depends(HOLDER_PAGE)) -> Response:
    """Before the face check: what is being claimed and the face button; after it (`face_grant` in
    the query), the script claims it."""
    grant = (request.query_params.get("face_grant") or "")[:60]
    return _item_page(request, db, principal, credential_id, "holder_claim.html", face_grant=grant,
                      face_url=face_url(credential_id[:40]))


@router.get("/app/credentials/{credential_id}/show", response_class=HTMLResponse)
def show_page(credential_id: str, request: Request, db: DbSession,
              principal: Principal = Depends(HOLDER_PAGE)) -> Response:
    view = request.query_params.get("view") or "full"
    return _item_page(request, db, principal, credential_id, "holder_show.html", view=view[:40])
