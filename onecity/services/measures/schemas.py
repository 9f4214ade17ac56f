"""The measures' responses: shares kept as two ints (never a float)."""

from __future__ import annotations

from pydantic import BaseModel


class Share(BaseModel):
    """`part` of `total` (a ratio kept as two ints; `permille` = part * 1000 // total, 0 when empty)."""

    part: int
    total: int
    permille: int


class Measures(BaseModel):
    """A city's (or one agency's) 一网通办 measures."""

    city_code: str
    agency_org_id: str | None
    services_published: int
    services_zero_trips: Share
    services_at_most_one_trip: Share
    completed: int
    completed_zero_trips: Share
    completed_at_most_one_trip: Share
    average_processing_seconds: int | None
    open: int
    open_overdue: int
    completed_late: int


class MeasuresReport(BaseModel):
    city: Measures
    agencies: list[Measures]
