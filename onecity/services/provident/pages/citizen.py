"""The citizen app's provident fund pages (/app/services/provident…): the account, its balance and
contribution history; the withdrawal form (reason, amount, and a registered lease, or the property
and its price), checked against the rules before the face check; after the face check, one tap to
confirm; then the result — paid to the wallet, in review, or refused.

A refused form re-renders with the rule's message and changes nothing. Forms carry the session's
CSRF token. Between the form and the confirmation the form is kept server-side as a draft: the face
page's return URL carries only the draft's opaque id, never the property certificate number.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from onecity.authz import Principal, allow_page
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.web_session import csrf_ok, csrf_token
from onecity.money import InvalidAmount, Money
from onecity.services.provident import rules, service
from onecity.services.provident.errors import refused
from onecity.services.provident.pages.display import rate
from onecity.services.provident.schemas import WithdrawalDraft
from onecity.web.formatting import local, yuan
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

CITIZEN = allow_page("citizen", verified=True)
REASONS = rules.REASONS


def _me(p: Principal) -> str:
    assert p.id is not None
    return p.id


def _page(request: Request, name: str, p: Principal, *, status: int = 200, error: str | None = None,
          **ctx: Any) -> Response:
    response = render(request, name, status_code=status, error=error, csrf=csrf_token(p), yuan=yuan, local=local,
                      rate=rate, **ctx)
    response.headers["Cache-Control"] = "no-store"
    return response


def _error_text(lang: str, exc: DomainError) -> str:
    text = exc.title(lang)
    most = exc.extra.get("max_fen")
    if isinstance(most, int) and most > 0:
        text += "，" if lang == "zh-CN" else "; "
        text += t(lang, "services.provident.at_most", amount=yuan(most))
    return text


@router.get("/app/services/provident", response_class=HTMLResponse)
def home(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    me = _me(p)
    if not service.has_account(db, citizen_id=me):
        return _page(request, "provident_home.html", p, account=None, contributions=[], withdrawals=[])
    return _page(request, "provident_home.html", p, account=service.get_account(db, citizen_id=me),
                 contributions=service.contributions(db, citizen_id=me, limit=36),
                 withdrawals=service.withdrawals(db, citizen_id=me, limit=20))


def _form_page(request: Request, db: Session, p: Principal, form: dict[str, str], *, status: int = 200,
               error: str | None = None) -> Response:
    me = _me(p)
    account = service.get_account(db, citizen_id=me) if service.has_account(db, citizen_id=me) else None
    city_rules = rules.load(account.city_code) if account else None
    return _page(request, "provident_withdraw.html", p, status=status, error=error, account=account,
                 city_rules=city_rules, reasons=REASONS, form=form, cards=service.payout_cards(db, citizen_id=me))


def _read(form: dict[str, str]) -> tuple[str, int, bool, int | None, str | None]:
    """reason, amount (fen), registered lease, price (fen), property number — InvalidAmount if bad."""
    reason = form.get("reason", "rent")
    if reason not in REASONS:
        raise InvalidAmount(detail="reason")
    amount = Money.parse(form.get("amount", "")).fen
    price = Money.parse(form["price"]).fen if reason == "purchase" and form.get("price") else None
    prop = form.get("property_no", "").strip() if reason == "purchase" else ""
    return reason, amount, reason == "rent" and form.get("lease") == "1", price, prop or None


@router.get("/app/services/provident/withdraw", response_class=HTMLResponse)
def withdraw_form(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    reason = request.query_params.get("reason", "rent")
    return _form_page(request, db, p, {"reason": reason if reason in REASONS else "rent"})


@router.post("/app/services/provident/withdraw", response_class=HTMLResponse)
def withdraw_check(request: Request, db: DbSession, p: Principal = Depends(CITIZEN), csrf: str = Form(""),
                   reason: str = Form("rent", max_length=20), amount: str = Form("", max_length=20),
                   lease: str = Form("", max_length=1), price: str = Form("", max_length=20),
                   property_no: str = Form("", max_length=60), card: str = Form("", max_length=40)) -> Response:
    """Check with the rules (nothing changes); when they would accept, go to the face check."""
    lang = negotiate(request)
    form = {"reason": reason, "amount": amount, "lease": lease, "price": price, "property_no": property_no,
            "card": card}
    if not csrf_ok(p, csrf):
        return _form_page(request, db, p, form, status=403, error=t(lang, "identity.error.csrf"))
    try:
        r, amount_fen, registered, price_fen, prop = _read(form)
    except InvalidAmount:
        return _form_page(request, db, p, form, status=422, error=t(lang, "services.provident.amount_invalid"))
    try:
        q = service.quote(db, citizen_id=_me(p), reason=r, amount_fen=amount_fen, registered_lease=registered,
                          price_fen=price_fen, property_no=prop)
    except DomainError as exc:
        db.rollback()
        return _form_page(request, db, p, form, status=exc.status, error=_error_text(lang, exc))
    if q.outcome == "refuse":
        refusal = refused(q.code, max_fen=q.max_fen)
        return _form_page(request, db, p, form, status=refusal.status, error=_error_text(lang, refusal))
    if card and card not in {c.card_id for c in service.payout_cards(db, citizen_id=_me(p))}:
        # unbound since the form was shown, or not theirs: say so rather than pay to the wallet instead
        return _form_page(request, db, p, {**form, "card": ""}, status=422,
                          error=t(lang, "services.provident.card_unknown"))
    # The form stays on the server; the face page's return URL carries only the draft's opaque id
    # (no property certificate number, amount or card in any URL).
    try:
        draft = WithdrawalDraft(reason=r, amount_fen=amount_fen, registered_lease=registered,  # type: ignore[arg-type]
                                price_fen=price_fen if price_fen and prop else None,
                                property_no=prop if price_fen and prop else None, card_id=card or None)
    except ValueError:
        return _form_page(request, db, p, form, status=422, error=t(lang, "services.provident.amount_invalid"))
    draft_id = service.save_draft(db, citizen_id=_me(p), draft=draft)
    nxt = "/app/services/provident/withdraw/confirm?" + urlencode({"draft": draft_id})
    return RedirectResponse("/app/face?" + urlencode({"act": service.WITHDRAW_ACT, "next": nxt}), status_code=303)


def _confirm_ctx(draft_id: str, draft: WithdrawalDraft, grant: str) -> dict[str, Any]:
    """What the confirm page shows: the draft (the property number only masked) and the grant."""
    return {"draft": draft_id[:40], "grant": grant[:60], "reason": draft.reason, "amount_fen": draft.amount_fen,
            "lease": draft.registered_lease, "price_fen": draft.price_fen,
            "property_masked": service.mask_property(draft.property_no) if draft.property_no else None,
            "card": draft.card_id or ""}


@router.get("/app/services/provident/withdraw/confirm", response_class=HTMLResponse)
def confirm_form(request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    """Where the face page returns with its grant: the request once more, and one tap to withdraw."""
    draft_id = request.query_params.get("draft", "")[:40]
    grant = request.query_params.get("face_grant", "")[:60]
    if not draft_id or not grant:
        return RedirectResponse("/app/services/provident/withdraw", status_code=303)
    try:
        draft = service.get_draft(db, draft_id=draft_id, citizen_id=_me(p))
    except DomainError as exc:
        return _form_page(request, db, p, {"reason": "rent"}, status=exc.status, error=exc.title(negotiate(request)))
    ctx = _confirm_ctx(draft_id, draft, grant)
    cards = {c.card_id: c for c in service.payout_cards(db, citizen_id=_me(p))}
    return _page(request, "provident_confirm.html", p, w=ctx, card=cards.get(ctx["card"]))


@router.post("/app/services/provident/withdraw/confirm", response_class=HTMLResponse)
def confirm(request: Request, db: DbSession, p: Principal = Depends(CITIZEN), csrf: str = Form(""),
            draft: str = Form("", max_length=40), face_grant: str = Form("", max_length=60)) -> Response:
    lang = negotiate(request)
    try:
        kept = service.get_draft(db, draft_id=draft, citizen_id=_me(p))
    except DomainError as exc:
        return _form_page(request, db, p, {"reason": "rent"}, status=exc.status, error=exc.title(lang))
    ctx = _confirm_ctx(draft, kept, face_grant)
    if not csrf_ok(p, csrf):
        return _page(request, "provident_confirm.html", p, status=403, error=t(lang, "identity.error.csrf"), w=ctx,
                     card=None)
    try:
        data = kept.request(face_grant)
    except ValueError:
        return _page(request, "provident_confirm.html", p, status=422,
                     error=t(lang, "services.provident.amount_invalid"), w=ctx, card=None)
    try:
        w = service.request_withdrawal(db, citizen_id=_me(p), data=data, actor=p)
        service.discard_draft(db, draft_id=draft, citizen_id=_me(p))
    except DomainError as exc:
        db.rollback()
        return _page(request, "provident_confirm.html", p, status=exc.status, error=_error_text(lang, exc), w=ctx,
                     card=None)
    return RedirectResponse(f"/app/services/provident/withdrawals/{w.withdrawal_id}", status_code=303)


@router.get("/app/services/provident/withdrawals/{withdrawal_id}", response_class=HTMLResponse)
def result(withdrawal_id: str, request: Request, db: DbSession, p: Principal = Depends(CITIZEN)) -> Response:
    try:
        w = service.get_withdrawal(db, withdrawal_id=withdrawal_id[:40], citizen_id=_me(p))
    except DomainError as exc:
        return _page(request, "provident_result.html", p, status=exc.status, error=exc.title(negotiate(request)),
                     w=None)
    return _page(request, "provident_result.html", p, w=w)
