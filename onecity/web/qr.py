"""How pages draw a QR code — the one place that renders one: an SVG to inline in a page, a PNG to
download. Always a full QR (never Micro QR), error correction M, a 4-module quiet zone."""

from __future__ import annotations

import io

import segno


def svg(text: str, *, scale: int = 4) -> str:
    """`text` as an inline SVG QR (no XML declaration, with the SVG namespace)."""
    buf = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buf, kind="svg", scale=scale, xmldecl=False, svgns=True)
    return buf.getvalue().decode()


def png(text: str, *, scale: int = 6) -> bytes:
    """`text` as a PNG QR."""
    buf = io.BytesIO()
    segno.make(text, error="m", micro=False).save(buf, kind="png", scale=scale, border=4)
    return buf.getvalue()
