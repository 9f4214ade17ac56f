"""The measures as JSON for city administrators (`GET /v1/services/measures`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.services.measures import service
from onecity.services.measures.schemas import MeasuresReport

router = APIRouter(tags=["services"])

ADMIN = allow("admin")


@router.get("/v1/services/measures", response_model=MeasuresReport)
def measures(db: DbSession, p: Principal = Depends(ADMIN),
             city_code: Annotated[str | None, Query(max_length=12)] = None,
             agency_org_id: Annotated[str | None, Query(max_length=40)] = None) -> MeasuresReport:
    """Zero-trip and one-trip shares, processing time and overdue applications, per city and agency."""
    return service.measure(db, city_code=city_code, agency_org_id=agency_org_id)
