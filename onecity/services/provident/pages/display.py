"""How the provident pages show rates: basis points as percent (money and times: `onecity.web.formatting`)."""

from __future__ import annotations


def rate(bp: int) -> str:
    """1200 basis points → "12%", 750 → "7.5%"."""
    whole, rest = divmod(bp, 100)
    return f"{whole}%" if rest == 0 else f"{whole}.{rest:02d}".rstrip("0") + "%"

