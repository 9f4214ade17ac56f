"""What the hub shows: one link per console the organisation has."""

from __future__ import annotations

from pydantic import BaseModel


class ConsoleLink(BaseModel):
    key: str  # applications | traffic | taxes | provident | bills
    href: str
