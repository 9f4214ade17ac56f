"""Language negotiation and the UI message catalogue (zh-CN default, en).

Each module keeps its own catalogue in `onecity/<module>[/<sub>]/messages/{lang}.json` (the shell's in
`web/messages/`); they are merged at load. Keys are dotted names such as `login.title`.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from starlette.requests import HTTPConnection

LANGUAGES = ("zh-CN", "en")
DEFAULT = "zh-CN"
_ROOT = Path(__file__).parent


def negotiate(conn: HTTPConnection | None) -> str:
    """`?lang=` beats the `lang` cookie, which beats Accept-Language; default zh-CN."""
    if conn is None:
        return DEFAULT
    explicit = conn.query_params.get("lang") or conn.cookies.get("lang")
    if explicit:
        return normalise(explicit)
    header = conn.headers.get("accept-language", "")
    best, best_q = DEFAULT, -1.0
    for part in header.split(","):
        bits = part.strip().split(";")
        tag = bits[0].strip()
        q = 1.0
        for b in bits[1:]:
            if b.strip().startswith("q="):
                try:
                    q = float(b.strip()[2:])
                except ValueError:
                    q = 0.0
        if tag and q > best_q and normalise(tag, None):
            best, best_q = normalise(tag), q
    return best


def normalise(tag: str, default: str | None = DEFAULT) -> str:
    t = tag.lower()
    if t.startswith("zh"):
        return "zh-CN"
    if t.startswith("en"):
        return "en"
    return default  # type: ignore[return-value]


@lru_cache
def catalogue(lang: str) -> dict[str, str]:
    data: dict[str, str] = {}
    for path in sorted(_ROOT.glob(f"**/messages/{lang}.json")):
        data.update(json.loads(path.read_text(encoding="utf-8")))
    return data


def t(lang: str, key: str, **params: object) -> str:
    """Translate `key`; fall back to zh-CN, then to the key itself."""
    text = catalogue(lang).get(key) or catalogue(DEFAULT).get(key) or key
    return text.format(**params) if params else text
