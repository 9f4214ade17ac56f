"""Jinja2 templates shared by every module's pages.

Each module keeps its templates in `onecity/<module>/templates/`; they extend `base.html` (citizen app,
mobile-first) or `console_base.html` (organisation consoles). `t(key)` translates with the request's
language; `lang` and `other_lang` are in every context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

from onecity.i18n import negotiate, t

ROOT = Path(__file__).resolve().parent.parent
_dirs = [ROOT / "web" / "templates"] + sorted(p for p in ROOT.glob("*/templates") if p.is_dir()) + sorted(
    p for p in ROOT.glob("*/*/templates") if p.is_dir()
)
templates = Jinja2Templates(directory=str(ROOT / "web" / "templates"))
templates.env.loader = ChoiceLoader([FileSystemLoader(str(d)) for d in _dirs])


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    lang = negotiate(request)
    ctx = {
        "lang": lang,
        "other_lang": "en" if lang == "zh-CN" else "zh-CN",
        "t": lambda key, **kw: t(lang, key, **kw),
        "principal": getattr(request.state, "principal", None),
        **context,
    }
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    if request.query_params.get("lang"):
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax")
    return response
