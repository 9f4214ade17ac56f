"""Tables owned by the service catalogue: categories, service items (事项) in versions, and how often
each item is used (popularity).

A service item is one row per city + code + version. At most one version of a code is `published`
in a city (the one citizens see); editing a published item adds a new draft version, which replaces
the published one when it is published (the old one is then `retired`). Applications record the
version they were made against. `search_text` holds the name, description and keywords in both
languages, Chinese segmented into words with jieba and English lower-cased, so PostgreSQL's 'simple'
text-search configuration can index it (GIN on `to_tsvector('simple', search_text)`).
Other modules never touch these tables; they call `services.catalogue.service`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class SvcCategory(Base):
    """A category of services shown as a tile on the services home (户籍, 社保, 公积金, 交通…)."""

    __tablename__ = "svc_categories"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_zh: Mapped[str] = mapped_column(String(60))
    name_en: Mapped[str] = mapped_column(String(80))
    icon: Mapped[str] = mapped_column(String(16))
    sort_order: Mapped[int] = mapped_column(Integer)


class SvcItem(Base):
    """One version of a city's service item. `status`: draft → published → retired; a version never
    goes back. Rows of earlier versions are kept unchanged (except their status)."""

    __tablename__ = "svc_items"
    __table_args__ = (
        UniqueConstraint("city_code", "code", "version"),
        Index("ix_svc_items_city_status", "city_code", "status", "category"),
        Index("ix_svc_items_agency", "agency_org_id", "status"),
        Index(
            "ix_svc_items_search",
            text("to_tsvector('simple', search_text)"),
            postgresql_using="gin",
            postgresql_with={"fastupdate": "off"},
        ).ddl_if(dialect="postgresql"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_code: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(80))
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(10))  # draft | published | retired
    agency_org_id: Mapped[str] = mapped_column(String(40))
    category: Mapped[str] = mapped_column(String(40))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(200))
    description_zh: Mapped[str] = mapped_column(Text)
    description_en: Mapped[str] = mapped_column(Text)
    eligibility: Mapped[dict[str, Any]] = mapped_column(JSON)
    materials: Mapped[list[Any]] = mapped_column(JSON)
    fee_fen: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    time_limit_days: Mapped[int] = mapped_column(Integer)
    trips: Mapped[int] = mapped_column(Integer)
    online: Mapped[bool] = mapped_column(Boolean)
    entry: Mapped[str] = mapped_column(String(8))  # form | page
    entry_url: Mapped[str | None] = mapped_column(String(200))
    form_schema: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    prefill: Mapped[dict[str, Any]] = mapped_column(JSON)
    workflow: Mapped[str] = mapped_column(String(60))
    on_approve: Mapped[list[Any]] = mapped_column(JSON)
    keywords: Mapped[list[Any]] = mapped_column(JSON)
    recommended: Mapped[bool] = mapped_column(Boolean)
    search_text: Mapped[str] = mapped_column(Text)
    created_by: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SvcItemUse(Base):
    """How many applications a city's service code has had (all versions): its popularity."""

    __tablename__ = "svc_item_uses"
    __table_args__ = (UniqueConstraint("city_code", "code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    city_code: Mapped[str] = mapped_column(String(12))
    code: Mapped[str] = mapped_column(String(80))
    uses: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
