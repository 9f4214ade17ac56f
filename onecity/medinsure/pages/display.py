"""How the medical-insurance pages show figures: fen as yuan, times in the city's zone, and payers by
name in the request's language (a relative by their masked name, a commercial policy by its product)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from onecity.i18n import t
from onecity.medinsure.service.payers import payer_kind

PAYER_KINDS = ("fund", "personal_account", "family", "commercial", "wallet", "credit_line")


def payer_label(lang: str, payer: str, names: Mapping[str, str] | None = None) -> str:
    """`fund` → 统筹基金; `family:cit_…` → 家庭共济（王*明）when the name is known; else the kind's name."""
    kind = payer_kind(payer)
    label = t(lang, f"medinsure.payer.{kind}") if kind in PAYER_KINDS else payer
    name = (names or {}).get(payer)
    return f"{label}（{name}）" if name and lang == "zh-CN" else f"{label} ({name})" if name else label


_SVG_SIZE = re.compile(r'<svg ([^>]*?)width="(\d+)" height="(\d+)"')


def scalable_svg(svg: str) -> str:
    """Give the QR's SVG a viewBox so CSS can size it without cropping the quiet zone."""
    return _SVG_SIZE.sub(lambda m: f'<svg {m.group(1)}width="{m.group(2)}" height="{m.group(3)}" '
                                   f'viewBox="0 0 {m.group(2)} {m.group(3)}"', svg, count=1)
