"""How the provident pages show figures: fen as yuan, basis points as percent, times in the city's zone."""

from __future__ import annotations

from datetime import datetime

from onecity import money
from onecity.clock import CITY_TZ


def yuan(fen: int | None) -> str:
    return money.yuan(fen or 0)


def rate(bp: int) -> str:
    """1200 basis points → "12%", 750 → "7.5%"."""
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"


def local(dt: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return dt.astimezone(CITY_TZ).strftime(fmt) if dt else "—"
