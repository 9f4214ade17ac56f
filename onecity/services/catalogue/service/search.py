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
    "SELECT id, ts_rank(to_tsvector('simple', search_text), websearch_to_tsquery('simple', :q)) AS rank "
    "FROM svc_items WHERE city_code = :city AND status = 'published' "
    "AND to_tsvector('simple', search_text) @@ websearch_to_tsquery('simple', :q) "
    "ORDER BY rank DESC LIMIT :cap"
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
        ranked = session.execute(_PG, {"q": " ".join(words), "city": cc, "cap": limit * 3}).all()
        ids = [int(i) for i, _ in ranked]
        rank = {int(i): float(r) for i, r in ranked}
        rows = list(session.scalars(select(SvcItem).where(SvcItem.id.in_(ids)))) if ids else []
        found = outs(session, rows)
        by_id = {r.code: r.id for r in rows}
        found.sort(key=lambda o: (-round(rank[by_id[o.code]], 6), -o.popularity, o.code))
        return found[:limit]
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
