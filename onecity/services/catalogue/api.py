"""The catalogue's JSON routes.

Public (anyone, signed in or not): categories, published services of the city, one service, search,
popular and recommended services (`/v1/services/catalogue/…`).
City administrators (`/v1/services/catalogue/admin/…`, principals of kind admin): every item with
its newest version, create, edit (a new version once published), publish, retire, history; and the
measures (`/v1/services/measures`). POSTs and PUTs take an Idempotency-Key (onecity.idempotency).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from onecity.authz import PUBLIC, Principal, allow
from onecity.deps import DbSession
from onecity.services.catalogue import service
from onecity.services.catalogue.schemas import (
    CategoryOut,
    ItemVersionOut,
    ServiceItemIn,
    ServiceItemOut,
    ServicesPage,
)

router = APIRouter(tags=["services"])

ADMIN = allow("admin")
PREFIX = "/v1/services/catalogue"
CityCode = Annotated[str | None, Query(max_length=12)]
After = Annotated[str | None, Query(max_length=130)]
Limit = Annotated[int, Query(ge=1, le=200)]


def page(items: list[ServiceItemOut], after: str | None, limit: int) -> ServicesPage:
    """Cursor pagination over the (category, code) order; the cursor is "<category>/<code>"."""
    keyed = [(f"{i.category}/{i.code}", i) for i in items]
    rest = [i for k, i in keyed if after is None or k > after]
    chunk = rest[:limit]
    more = len(rest) > limit
    return ServicesPage(items=chunk, next_cursor=f"{chunk[-1].category}/{chunk[-1].code}" if more and chunk else None)


@router.get(f"{PREFIX}/categories", response_model=list[CategoryOut])
def categories(db: DbSession, p: Principal = Depends(PUBLIC), city_code: CityCode = None) -> list[CategoryOut]:
    return service.list_categories(db, city_code=city_code)


@router.get(f"{PREFIX}/items", response_model=ServicesPage)
def items(db: DbSession, p: Principal = Depends(PUBLIC), city_code: CityCode = None,
          category: Annotated[str | None, Query(max_length=40)] = None,
          agency_org_id: Annotated[str | None, Query(max_length=40)] = None,
          after: After = None, limit: Limit = 100) -> ServicesPage:
    """The city's published services, by category then code."""
    found = service.list_items(db, city_code=city_code, category=category, agency_org_id=agency_org_id)
    return page(found, after, limit)


@router.get(f"{PREFIX}/items/{{code}}", response_model=ServiceItemOut)
def item(code: str, db: DbSession, p: Principal = Depends(PUBLIC), city_code: CityCode = None) -> ServiceItemOut:
    """One published service (404 for a draft or retired one)."""
    found = service.get_item(db, code=code, city_code=city_code)
    if found.status != "published":
        raise service.CatalogueItemNotFound(detail=code[:80])
    return found


@router.get(f"{PREFIX}/search", response_model=list[ServiceItemOut])
def search(db: DbSession, q: Annotated[str, Query(max_length=100)], p: Principal = Depends(PUBLIC),
           city_code: CityCode = None, limit: Annotated[int, Query(ge=1, le=100)] = 20) -> list[ServiceItemOut]:
    return service.search(db, q=q, city_code=city_code, limit=limit)


@router.get(f"{PREFIX}/popular", response_model=list[ServiceItemOut])
def popular(db: DbSession, p: Principal = Depends(PUBLIC), city_code: CityCode = None,
            limit: Annotated[int, Query(ge=1, le=50)] = 8) -> list[ServiceItemOut]:
    return service.popular(db, city_code=city_code, limit=limit)


@router.get(f"{PREFIX}/recommended", response_model=list[ServiceItemOut])
def recommended(db: DbSession, p: Principal = Depends(PUBLIC), city_code: CityCode = None,
                limit: Annotated[int, Query(ge=1, le=50)] = 8) -> list[ServiceItemOut]:
    return service.recommended(db, city_code=city_code, limit=limit)


# --- city administrators --------------------------------------------------------------------------

@router.get(f"{PREFIX}/admin/items", response_model=ServicesPage)
def admin_items(db: DbSession, p: Principal = Depends(ADMIN), city_code: CityCode = None, after: After = None,
                limit: Limit = 100) -> ServicesPage:
    """Every code of the city with its newest version (drafts and retired ones included)."""
    return page(service.list_items(db, city_code=city_code, published_only=False), after, limit)


@router.get(f"{PREFIX}/admin/items/{{code}}", response_model=ServiceItemOut)
def admin_item(code: str, db: DbSession, p: Principal = Depends(ADMIN), city_code: CityCode = None,
               version: Annotated[int | None, Query(ge=1)] = None) -> ServiceItemOut:
    return service.get_item(db, code=code, city_code=city_code, version=version, latest=version is None)


@router.get(f"{PREFIX}/admin/items/{{code}}/versions", response_model=list[ItemVersionOut])
def admin_versions(code: str, db: DbSession, p: Principal = Depends(ADMIN),
                   city_code: CityCode = None) -> list[ItemVersionOut]:
    return service.list_versions(db, code=code, city_code=city_code)


@router.post(f"{PREFIX}/admin/items", response_model=ServiceItemOut, status_code=201)
def create(body: ServiceItemIn, db: DbSession, p: Principal = Depends(ADMIN)) -> ServiceItemOut:
    return service.create_item(db, item=body, actor=p)


@router.put(f"{PREFIX}/admin/items/{{code}}", response_model=ServiceItemOut)
def update(code: str, body: ServiceItemIn, db: DbSession, p: Principal = Depends(ADMIN)) -> ServiceItemOut:
    return service.update_item(db, code=code, item=body, actor=p, city_code=body.city_code)


@router.post(f"{PREFIX}/admin/items/{{code}}/publish", response_model=ServiceItemOut)
def publish(code: str, db: DbSession, p: Principal = Depends(ADMIN), city_code: CityCode = None) -> ServiceItemOut:
    return service.publish_item(db, code=code, actor=p, city_code=city_code)


@router.post(f"{PREFIX}/admin/items/{{code}}/retire", response_model=ServiceItemOut)
def retire(code: str, db: DbSession, p: Principal = Depends(ADMIN), city_code: CityCode = None) -> ServiceItemOut:
    return service.retire_item(db, code=code, actor=p, city_code=city_code)
