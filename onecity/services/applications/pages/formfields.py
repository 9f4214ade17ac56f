"""The application form as HTML fields, generated server-side from the item's JSON Schema, and the
posted HTML form read back into JSON for validation.

Supported property types: string (text; `enum` → select; `format: date` → date input), integer and
number (numeric input; read as an int — money and counts are whole numbers here, a fraction is left
as text so the schema reports it), boolean (checkbox). Labels come from `title` (zh) and
`x-title-en` (en). A field the schema does not describe is never read from the post.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData

PREFIX = "f."


def fields_of(schema: dict[str, Any] | None, lang: str, values: dict[str, Any], from_certs: list[str],
              errors: dict[str, str] | None = None) -> list[dict[str, Any]]:
    props = (schema or {}).get("properties") or {}
    required = set((schema or {}).get("required") or [])
    out = []
    for name, spec in props.items():
        if not isinstance(spec, dict):
            continue
        t = spec.get("type", "string")
        if "enum" in spec:
            widget = "select"
        elif t == "boolean":
            widget = "checkbox"
        elif t in ("integer", "number"):
            widget = "number"
        elif spec.get("format") == "date":
            widget = "date"
        else:
            widget = "text"
        title = spec.get("x-title-en") if lang == "en" and spec.get("x-title-en") else spec.get("title", name)
        value = values.get(name)
        out.append({"name": name, "input": PREFIX + name, "label": title, "widget": widget,
                    "required": name in required, "options": [str(o) for o in spec.get("enum", [])],
                    "value": "" if value is None else value, "from_cert": name in from_certs,
                    "error": (errors or {}).get(name), "description": spec.get("description")})
    return out


def _int(text: str) -> Any:
    try:
        return int(text.strip())
    except ValueError:
        return text.strip()


def read_form(schema: dict[str, Any] | None, posted: FormData) -> dict[str, Any]:
    """The posted values as the schema's types; empty fields left out (so `required` reports them)."""
    props = (schema or {}).get("properties") or {}
    out: dict[str, Any] = {}
    for name, spec in props.items():
        if not isinstance(spec, dict):
            continue
        t = spec.get("type", "string")
        raw = posted.get(PREFIX + name)
        if t == "boolean":
            out[name] = raw in ("on", "true", "1")
            continue
        if raw is None or not isinstance(raw, str) or raw.strip() == "":
            continue
        out[name] = _int(raw) if t in ("integer", "number") else raw.strip()
    return out
