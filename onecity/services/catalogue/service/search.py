"""Searching a city's published services in Chinese and English.

Both the stored `search_text` and the query are cut into words the same way (`segment`). Every word
of the query must occur (AND). PostgreSQL: the GIN index on `to_tsvector('simple', search_text)`,
`websearch_to_tsquery('simple', …)`, ranked by `ts_rank` then popularity. SQLite: the same words
matched as whole tokens of `search_text`, ranked by how many of them are in the name, then popularity.
"""

from __future__ import annotations

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from onecity.db import is_postgres
from onecity.services.catalogue.models import SvcItem
from onecity.services.catalogue.schemas import ServiceItemOut
from onecity.services.catalogue.service import segment
from onecity.services.catalogue.service.errors import SearchQueryInvalid
from onecity.services.catalogue.service.items import city, outs

MAX_QUERY = 100
_PG = text(
    "SELECT i.id FROM svc_items i LEFT JOIN svc_item_uses u ON u.city_code = i.city_code AND u.code = i.code "
    "WHERE i.city_code = :city AND i.status = 'published' "
    "AND to_tsvector('simple', i.search_text) @@ websearch_to_tsquery('simple', :q) "
    "ORDER BY ts_rank(to_tsvector('simple', i.search_text), websearch_to_tsquery('simple', :q)) DESC, "
    "coalesce(u.uses, 0) DESC, i.code LIMIT :cap"
)


def search(session: Session, *, q: str, city_code: str | None = None, limit: int = 20) -> list[ServiceItemOut]:
    """Published services of the city matching every word of `q`, best first (empty `q`: none)."""
    if len(q) > MAX_QUERY:
        raise SearchQueryInvalid(detail=f"at most {MAX_QUERY} characters")
    words = segment.words(q)
    if not words:
        return []
    limit = max(1, min(limit, 100))
    cc = city(city_code)
    if is_postgres(session):
        # each word quoted, so English words such as "or" are words, not websearch operators
        quoted = " ".join(f'"{w}"' for w in words)
        ids = [int(i) for i in session.scalars(_PG, {"q": quoted, "city": cc, "cap": limit})]
        order = {row_id: n for n, row_id in enumerate(ids)}
        rows = sorted(session.scalars(select(SvcItem).where(SvcItem.id.in_(ids))), key=lambda r: order[r.id])
        return outs(session, rows)
    q_rows = select(SvcItem).where(SvcItem.city_code == cc, SvcItem.status == "published")
    padded = " " + SvcItem.search_text + " "
    for w in words:
        q_rows = q_rows.where(padded.contains(f" {w} ", autoescape=True))
    rows = list(session.scalars(q_rows))
    found = outs(session, rows)

    def in_name(o: ServiceItemOut) -> int:
        name = set(segment.words(f"{o.name.zh} {o.name.en}"))
        return sum(1 for w in words if w in name)

    found.sort(key=lambda o: (-in_name(o), -o.popularity, o.code))
    return found[:limit]
