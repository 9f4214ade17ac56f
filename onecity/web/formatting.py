"""How pages show money and time: amounts in yuan from integer fen ("12.34"), times in the city's
zone (Asia/Shanghai) — the one place page modules take these from."""

from __future__ import annotations

from datetime import datetime

from onecity import clock, money

MINUTES = "%Y-%m-%d %H:%M"


def yuan(fen: int | None) -> str:
    """1234 fen as "12.34" (−5 as "-0.05"); nothing as "0.00"."""
    return money.yuan(fen or 0)


def local(dt: datetime | None, fmt: str = MINUTES, *, empty: str = "—") -> str:
    """`dt` in the city's time zone (a naive value is taken as UTC, as SQLite returns it); `empty`
    when there is none."""
    return clock.aware(dt).astimezone(clock.CITY_TZ).strftime(fmt) if dt is not None else empty
