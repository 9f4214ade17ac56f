"""Tables owned by identity (citizens and the population registry). Other modules never touch them.

Personal data is stored encrypted (AES-GCM, `onecity.crypto.fields`) with an HMAC blind index for
look-up: `*_enc` columns hold ciphertext, `*_index` columns the blind index.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class PopulationRegistryEntry(Base):
    """One resident in the city's population registry (人口库), loaded by the city."""

    __tablename__ = "population_registry"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    name_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes] = mapped_column(LargeBinary)
    id_number_index: Mapped[str] = mapped_column(String(64), unique=True)
    # Reference photo for face verification (JPEG/PNG bytes, encrypted), may be absent.
    photo_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | deceased | moved_out
    loaded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Citizen(Base):
    """A citizen's account: mobile number first, real name once verified against the registry."""

    __tablename__ = "citizen"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    mobile_enc: Mapped[bytes] = mapped_column(LargeBinary)
    mobile_index: Mapped[str] = mapped_column(String(64), unique=True)
    mobile_masked: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    status: Mapped[str] = mapped_column(String(16), default="active")  # active | locked | closed
    language: Mapped[str] = mapped_column(String(8), default="zh-CN")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # Real name (set by verification)
    registry_entry_id: Mapped[int | None] = mapped_column(ForeignKey("population_registry.id"), unique=True)
    real_name_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    id_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(20))
    sex: Mapped[str | None] = mapped_column(String(1))  # M | F, derived from the ID number
    birth_date: Mapped[date | None] = mapped_column(Date)  # derived from the ID number
    region_code: Mapped[str | None] = mapped_column(String(6))
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
