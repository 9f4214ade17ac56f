"""The catalogue's pages.

Citizen app (anyone may browse; applying needs a signed-in, verified citizen on the apply page):
- /app/services — the services home (办事大厅): category tiles, a search box, popular and recommended
  services, each with its trips badge (零跑动 / 最多跑一次); `?category=` lists one category;
- /app/services/search?q= — search results;
- /app/services/item/{code} — a service's detail: agency, who may apply, materials, fee, time limit,
  trips, and the button to apply (the generic application form, or the service's own page).

City administrators' console:
- /console/services/catalogue — every service of the city with its newest version; create, edit
  (the form as JSON Schema text, errors shown and nothing saved), publish, retire, history.

Forms carry the session's CSRF token and redirect (303) on success; a failed form shows the error in
the request's language and changes nothing.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session
from starlette.datastructures import FormData

from onecity.authz import PUBLIC, Principal
from onecity.deps import DbSession
from onecity.errors import DomainError
from onecity.i18n import negotiate, t
from onecity.identity.orgs import service as orgs
from onecity.identity.orgs.console import console_allow, csrf_token, require_csrf
from onecity.money import InvalidAmount, Money, yuan
from onecity.services.catalogue import service
from onecity.services.catalogue.schemas import ServiceItemIn, ServiceItemOut
from onecity.web.formatting import local
from onecity.web.templating import render

router = APIRouter(include_in_schema=False)

ADMINS = console_allow("admin")
Csrf = Annotated[str, Form(max_length=200)]
HOME = "/app/services"
CONSOLE = "/console/services/catalogue"
APPLY = "/app/services/apply/"
_NOTICES = {"created": "services.catalogue.notice.created", "saved": "services.catalogue.notice.saved",
            "published": "services.catalogue.notice.published", "retired": "services.catalogue.notice.retired"}
_JSON_FIELDS = ("eligibility", "materials", "form_schema", "prefill", "on_approve")


def _names(db: Session, items: list[ServiceItemOut]) -> dict[str, str]:
    return orgs.org_names(db, {i.agency_org_id for i in items})


def apply_url(item: ServiceItemOut) -> str:
    """Where the detail page's button goes: the service's own page, or the generic application form."""
    if item.entry == "page" and item.entry_url:
        return item.entry_url
    return APPLY + quote(item.code, safe=".-_")


# --- citizen app ----------------------------------------------------------------------------------

@router.get("/app/services", response_class=HTMLResponse)
def home(request: Request, db: DbSession, p: Principal = Depends(PUBLIC)) -> Response:
    category = request.query_params.get("category") or None
    categories = service.list_categories(db)
    chosen = next((c for c in categories if c.code == category), None)
    everything = service.list_items(db)  # read once; the lists below are cut from it
    listed = [i for i in everything if i.category == chosen.code] if chosen else []
    popular = [i for i in service.most_used(everything, 6) if i.popularity > 0]  # used at least once
    recommended = service.recommended_of(everything, 6)
    zero = sum(1 for i in everything if i.trips == 0)
    return render(request, "services_home.html", categories=[c for c in categories if c.count], chosen=chosen,
                  listed=listed, popular=popular, recommended=recommended, total=len(everything), zero=zero,
                  names=_names(db, listed + popular + recommended), q="")


@router.get("/app/services/search", response_class=HTMLResponse)
def search(request: Request, db: DbSession, p: Principal = Depends(PUBLIC)) -> Response:
    q = (request.query_params.get("q") or "").strip()
    error, found = None, []
    try:
        found = service.search(db, q=q)
    except DomainError as exc:
        error = exc.title(negotiate(request))
    return render(request, "services_search.html", status_code=422 if error else 200, error=error, q=q,
                  found=found, names=_names(db, found))


@router.get("/app/services/item/{code}", response_class=HTMLResponse)
def detail(code: str, request: Request, db: DbSession, p: Principal = Depends(PUBLIC)) -> Response:
    item = service.get_item(db, code=code)
    if item.status != "published":
        raise service.CatalogueItemNotFound(detail=code[:80])
    category = service.get_category(db, code=item.category)
    return render(request, "services_detail.html", item=item, category=category, yuan=yuan,
                  agency=_names(db, [item]).get(item.agency_org_id, ""), apply=apply_url(item))


# --- admin console: the catalogue editor ----------------------------------------------------------

def _agencies(db: Session) -> list[Any]:
    found: list[Any] = []
    for kind in service.AGENCY_KINDS:
        found += [o for o in orgs.list_orgs(db, kind=kind, limit=200)[0] if o.status == "active"]
    return found


def _form_values(item: ServiceItemOut | None) -> dict[str, str]:
    """The editor's text fields for an item (empty for a new one)."""
    if item is None:
        return {"trips": "0", "time_limit_days": "1", "fee": "0.00", "entry": "form", "workflow": "review_one_step",
                "online": "on", "eligibility": "{}", "materials": "[]", "prefill": "{}", "on_approve": "[]",
                "form_schema": json.dumps({"type": "object", "properties": {}}, ensure_ascii=False, indent=2)}
    return {
        "code": item.code, "agency_org_id": item.agency_org_id, "category": item.category,
        "name_zh": item.name.zh, "name_en": item.name.en, "description_zh": item.description.zh,
        "description_en": item.description.en, "fee": yuan(item.fee_fen), "time_limit_days": str(item.time_limit_days),
        "trips": str(item.trips), "online": "on" if item.online else "", "entry": item.entry,
        "entry_url": item.entry_url or "", "workflow": item.workflow, "keywords": ", ".join(item.keywords),
        "recommended": "on" if item.recommended else "",
        "eligibility": json.dumps(item.eligibility.model_dump(exclude_defaults=True), ensure_ascii=False, indent=2),
        "materials": json.dumps([m.model_dump(exclude_defaults=True) for m in item.materials], ensure_ascii=False,
                                indent=2),
        "form_schema": json.dumps(item.form_schema, ensure_ascii=False, indent=2) if item.form_schema else "",
        "prefill": json.dumps(item.prefill, ensure_ascii=False, indent=2),
        "on_approve": json.dumps(item.on_approve, ensure_ascii=False, indent=2),
    }


async def _form(request: Request) -> FormData:
    return await request.form()


class EditorInputInvalid(DomainError):
    code = "service_item_invalid"
    status = 422
    message_zh = "服务事项填写有误"
    message_en = "The service item is not valid"


def _parse(form: dict[str, str], *, lang: str) -> ServiceItemIn:
    """The editor's fields as a `ServiceItemIn` (EditorInputInvalid naming the field otherwise)."""
    data: dict[str, Any] = {}
    for name in _JSON_FIELDS:
        raw = (form.get(name) or "").strip()
        if not raw:
            data[name] = None if name == "form_schema" else ({} if name in ("eligibility", "prefill") else [])
            continue
        try:
            data[name] = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise EditorInputInvalid(detail=f"{name}: {t(lang, 'services.catalogue.editor.not_json')} "
                                            f"({exc.msg}, line {exc.lineno})") from None
    fee_text = (form.get("fee") or "0").strip()
    try:
        fee = Money.parse(fee_text.removeprefix("-")).fen * (-1 if fee_text.startswith("-") else 1)
    except InvalidAmount:
        raise EditorInputInvalid(detail=f"fee: {t(lang, 'services.catalogue.editor.bad_fee')}") from None
    for name in ("time_limit_days", "trips"):
        try:
            data[name] = int((form.get(name) or "").strip())
        except ValueError:
            raise EditorInputInvalid(detail=f"{name}: {t(lang, 'services.catalogue.editor.not_number')}") from None
    data.update({
        "code": (form.get("code") or "").strip(), "agency_org_id": form.get("agency_org_id") or "",
        "category": form.get("category") or "", "city_code": (form.get("city_code") or "").strip() or None,
        "name": {"zh": form.get("name_zh") or "", "en": form.get("name_en") or ""},
        "description": {"zh": form.get("description_zh") or "", "en": form.get("description_en") or ""},
        "fee_fen": fee, "online": form.get("online") == "on", "entry": form.get("entry") or "form",
        "entry_url": (form.get("entry_url") or "").strip() or None, "workflow": form.get("workflow") or "",
        "recommended": form.get("recommended") == "on",
        "keywords": [k.strip() for k in (form.get("keywords") or "").replace("，", ",").split(",") if k.strip()],
    })
    try:
        return ServiceItemIn.model_validate(data)
    except ValidationError as exc:
        detail = "; ".join(f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise EditorInputInvalid(detail=detail[:1000]) from None


def _editor(request: Request, db: Session, p: Principal, *, item: ServiceItemOut | None,
            values: dict[str, str], error: str | None = None, status: int = 200) -> Response:
    from onecity.services.workflow import definitions

    versions = service.list_versions(db, code=item.code, city_code=item.city_code) if item else []
    published = None
    if item is not None:
        current = service.get_item(db, code=item.code, city_code=item.city_code)
        published = current if current.status == "published" else None
    notice_key = _NOTICES.get(request.query_params.get("done", ""))
    return render(request, "services_console_edit.html", status_code=status, error=error,
                  notice=t(negotiate(request), notice_key) if notice_key and not error else None,
                  principal_kind=p.kind, csrf=csrf_token(p), item=item, values=values, versions=versions,
                  published=published, agencies=_agencies(db), categories=service.list_categories(db),
                  workflows=definitions.all_ids(), local=local)


@router.get(CONSOLE, response_class=HTMLResponse)
def console_list(request: Request, db: DbSession, p: Principal = Depends(ADMINS)) -> Response:
    city_code = request.query_params.get("city_code") or None
    items = service.list_items(db, city_code=city_code, published_only=False)
    notice_key = _NOTICES.get(request.query_params.get("done", ""))
    return render(request, "services_console_list.html", principal_kind=p.kind, csrf=csrf_token(p), items=items,
                  names=_names(db, items), city_code=city_code or service.city(None), yuan=yuan,
                  notice=t(negotiate(request), notice_key) if notice_key else None)


@router.get(f"{CONSOLE}/new", response_class=HTMLResponse)
def console_new(request: Request, db: DbSession, p: Principal = Depends(ADMINS)) -> Response:
    return _editor(request, db, p, item=None, values=_form_values(None))


@router.post(f"{CONSOLE}/new", response_class=HTMLResponse)
def console_create(request: Request, db: DbSession, csrf: Csrf = "", p: Principal = Depends(ADMINS),
                   data: FormData = Depends(_form)) -> Response:
    require_csrf(p, csrf)
    form = {k: str(v) for k, v in data.items()}
    try:
        created = service.create_item(db, item=_parse(form, lang=negotiate(request)), actor=p)
    except DomainError as exc:
        return _editor(request, db, p, item=None, values=form, error=_message(request, exc), status=exc.status)
    return RedirectResponse(f"{CONSOLE}/item/{quote(created.code)}?city_code={created.city_code}&done=created",
                            status_code=303)


def _message(request: Request, exc: DomainError) -> str:
    title = exc.title(negotiate(request))
    return f"{title}: {exc.detail}" if exc.detail else title


@router.get(f"{CONSOLE}/item/{{code}}", response_class=HTMLResponse)
def console_item(code: str, request: Request, db: DbSession, p: Principal = Depends(ADMINS)) -> Response:
    item = service.get_item(db, code=code, city_code=request.query_params.get("city_code") or None, latest=True)
    return _editor(request, db, p, item=item, values=_form_values(item))


@router.post(f"{CONSOLE}/item/{{code}}", response_class=HTMLResponse)
def console_save(code: str, request: Request, db: DbSession, csrf: Csrf = "", p: Principal = Depends(ADMINS),
                 data: FormData = Depends(_form)) -> Response:
    require_csrf(p, csrf)
    form = {k: str(v) for k, v in data.items()}
    city_code = form.get("city_code") or None
    item = service.get_item(db, code=code, city_code=city_code, latest=True)
    form["code"] = code
    try:
        saved = service.update_item(db, code=code, item=_parse(form, lang=negotiate(request)), actor=p,
                                    city_code=item.city_code)
    except DomainError as exc:
        return _editor(request, db, p, item=item, values=form, error=_message(request, exc), status=exc.status)
    return RedirectResponse(f"{CONSOLE}/item/{quote(code)}?city_code={saved.city_code}&done=saved", status_code=303)


def _act(code: str, request: Request, db: Session, p: Principal, form: FormData, what: str) -> Response:
    city_code = str(form.get("city_code") or "") or None
    try:
        if what == "published":
            done = service.publish_item(db, code=code, actor=p, city_code=city_code)
        else:
            done = service.retire_item(db, code=code, actor=p, city_code=city_code)
    except DomainError as exc:
        item = service.get_item(db, code=code, city_code=city_code, latest=True)
        return _editor(request, db, p, item=item, values=_form_values(item), error=_message(request, exc),
                       status=exc.status)
    return RedirectResponse(f"{CONSOLE}/item/{quote(code)}?city_code={done.city_code}&done={what}", status_code=303)


@router.post(f"{CONSOLE}/item/{{code}}/publish", response_class=HTMLResponse)
def console_publish(code: str, request: Request, db: DbSession, csrf: Csrf = "", p: Principal = Depends(ADMINS),
                    form: FormData = Depends(_form)) -> Response:
    require_csrf(p, csrf)
    return _act(code, request, db, p, form, "published")


@router.post(f"{CONSOLE}/item/{{code}}/retire", response_class=HTMLResponse)
def console_retire(code: str, request: Request, db: DbSession, csrf: Csrf = "", p: Principal = Depends(ADMINS),
                    form: FormData = Depends(_form)) -> Response:
    require_csrf(p, csrf)
    return _act(code, request, db, p, form, "retired")
