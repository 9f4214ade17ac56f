"""Requests and responses of the service catalogue (fees in int fen). Other sub-packages import these."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["draft", "published", "retired"]
Entry = Literal["form", "page"]


class I18n(BaseModel):
    """A text in both languages."""

    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.en if lang == "en" and self.en else self.zh


class Material(BaseModel):
    """申请材料: a certificate the platform reads (with consent) or a file the applicant uploads."""

    kind: Literal["certificate", "upload"]
    name: I18n
    type_id: str | None = None
    accept: list[str] = []
    max_bytes: int | None = None
    required: bool = True
    key: str


class Eligibility(BaseModel):
    """申请条件, checked by applications at submit."""

    real_name: bool = True
    min_age: int | None = None
    max_age: int | None = None
    certificates: list[str] = []
    text: I18n | None = None


class ServiceItemIn(BaseModel):
    """What a city edits. `city_code` defaults to the platform's city."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=80)
    city_code: str | None = Field(default=None, max_length=12)
    agency_org_id: str = Field(max_length=40)
    name: I18n
    category: str = Field(max_length=40)
    description: I18n
    eligibility: Eligibility = Eligibility()
    materials: list[Material] = []
    fee_fen: int = 0
    currency: str = "CNY"
    time_limit_days: int
    trips: int
    online: bool = True
    entry: Entry = "form"
    entry_url: str | None = None
    form_schema: dict[str, Any] | None = None
    prefill: dict[str, str] = {}
    workflow: str = "review_one_step"
    on_approve: list[dict[str, Any]] = []
    recommended: bool = False
    keywords: list[str] = []


class ServiceItemOut(BaseModel):
    code: str
    city_code: str
    version: int
    agency_org_id: str
    name: I18n
    category: str
    description: I18n
    eligibility: Eligibility
    materials: list[Material]
    fee_fen: int = 0
    currency: str = "CNY"
    time_limit_days: int
    trips: int
    online: bool
    entry: Entry
    entry_url: str | None
    form_schema: dict[str, Any] | None
    prefill: dict[str, str] = {}
    workflow: str
    on_approve: list[dict[str, Any]] = []
    status: Status
    popularity: int
    recommended: bool
    keywords: list[str] = []
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None


class ItemVersionOut(BaseModel):
    """One row of an item's history (admin editor)."""

    version: int
    status: Status
    updated_at: datetime
    published_at: datetime | None
    created_by: str


class CategoryOut(BaseModel):
    code: str
    name: I18n
    icon: str
    order: int
    count: int = 0


class CategoryIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=40)
    name: I18n
    icon: str = Field(default="", max_length=16)
    order: int = 0


class ServicesPage(BaseModel):
    """A page of services ordered by category then code; `next_cursor` goes in `?after=` for the next."""

    items: list[ServiceItemOut]
    next_cursor: str | None = None
