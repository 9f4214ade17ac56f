"""The citizen's services inbox (通知): a notice for every change to their applications; other
areas may add their own with `notify`."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.ids import new_id
from onecity.services.applications.errors import NoticeNotFound
from onecity.services.applications.models import Notice
from onecity.services.applications.schemas import NoticeOut
from onecity.services.catalogue.schemas import I18n


def notify(session: Session, *, citizen_id: str, title: I18n, body: I18n, link: str | None = None) -> None:
    """Put a notice in the citizen's inbox (in the caller's transaction)."""
    session.add(Notice(public_id=new_id("ntc"), citizen_id=citizen_id, title_zh=title.zh[:200],
                       title_en=title.en[:200], body_zh=body.zh, body_en=body.en, link=link,
                       created_at=clock.now()))


def _out(n: Notice) -> NoticeOut:
    return NoticeOut(id=n.public_id, title=I18n(zh=n.title_zh, en=n.title_en), body=I18n(zh=n.body_zh, en=n.body_en),
                     link=n.link, created_at=n.created_at, read=n.read_at is not None)


def list_notices(session: Session, *, citizen_id: str, limit: int = 50) -> list[NoticeOut]:
    rows = session.scalars(select(Notice).where(Notice.citizen_id == citizen_id).order_by(Notice.id.desc())
                           .limit(max(1, min(limit, 200))))
    return [_out(n) for n in rows]


def unread_count(session: Session, *, citizen_id: str) -> int:
    return len(session.scalars(select(Notice.id).where(Notice.citizen_id == citizen_id,
                                                       Notice.read_at.is_(None))).all())


def mark_read(session: Session, *, citizen_id: str, notice_id: str) -> NoticeOut:
    n = session.scalars(select(Notice).where(Notice.public_id == notice_id)).one_or_none()
    if n is None or n.citizen_id != citizen_id:
        raise NoticeNotFound()
    if n.read_at is None:
        n.read_at = clock.now()
    return _out(n)
