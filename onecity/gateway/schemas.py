"""The gateway's Pydantic models: apps as the service returns them."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict

AppStatus = Literal["active", "disabled"]


class GatewayAppOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    app_id: str
    merchant_id: str
    name: str
    public_key_pem: str  # the app's key (SPKI PEM)
    key_fingerprint: str
    notify_url: str | None
    status: AppStatus
    created_at: datetime
    created_by: str
    key_updated_at: datetime
    status_changed_at: datetime | None
    last_used_at: datetime | None
    platform_public_key_pem: str  # what the app verifies responses and notifications with

    @property
    def public_key_base64(self) -> str:
        """The app's key in Alipay's bare form (the PEM body on one line)."""
        return "".join(x.strip() for x in self.public_key_pem.strip().splitlines() if not x.startswith("-----"))
