"""Tables owned by the gateway: the merchants' apps. Other modules call `onecity.gateway.service`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class GatewayApp(Base):
    """A merchant's app on the open platform. `app_id` is 16 digits like Alipay's APPID; the app signs
    requests with the private half of `public_key_pem` (SPKI PEM, RSA ≥ 2048). A disabled app's
    requests are refused; replacing the key invalidates signatures made with the old one at once."""

    __tablename__ = "gateway_app"
    __table_args__ = (Index("ix_gateway_app_merchant", "merchant_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    app_id: Mapped[str] = mapped_column(String(16), unique=True)
    merchant_id: Mapped[str] = mapped_column(String(40))  # the merchant org's public id
    name: Mapped[str] = mapped_column(String(100))
    public_key_pem: Mapped[str] = mapped_column(Text)
    key_fingerprint: Mapped[str] = mapped_column(String(64))  # SHA-256 of the key's DER SPKI
    notify_url: Mapped[str | None] = mapped_column(Text)  # default when a request names none
    status: Mapped[str] = mapped_column(String(16))  # active | disabled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(40))
    key_updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
