"""The family-link table. One row follows a link from invitation to its end (see `rules` for the states).

An invitation is addressed by a blind index — of the relative's mobile number, or of their ID number
together with a blind index of their name — never by a citizen row: who the address belongs to is
found out only when that person looks at their invitations, so the inviter learns nothing about
whether a number is registered. `invitee_id` is set when the relative accepts or declines (and at
once for a minor linked directly).

`pair_key` ("<smaller citizen row id>:<larger>") is set while a link is accepted and cleared when it
is revoked; its unique constraint keeps one live link per pair even under concurrent accepts.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class FamilyLink(Base):
    __tablename__ = "family_link"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    kind: Mapped[str] = mapped_column(String(12))  # invitation | guardian
    relation: Mapped[str] = mapped_column(String(8))  # what the relative is to the inviter: parent | child | spouse
    status: Mapped[str] = mapped_column(String(12), index=True)
    inviter_id: Mapped[int] = mapped_column(ForeignKey("citizen.id"), index=True)
    invitee_id: Mapped[int | None] = mapped_column(ForeignKey("citizen.id"), index=True)
    # The address of an invitation: "mobile" (address_index = blind index of the mobile number, the same
    # as citizen.mobile_index) or "id_number" (citizen.id_number_index, plus name_index of the name).
    address_kind: Mapped[str] = mapped_column(String(10))
    address_index: Mapped[str] = mapped_column(String(64), index=True)
    name_index: Mapped[str | None] = mapped_column(String(64))
    address_masked: Mapped[str] = mapped_column(String(60))  # what the inviter typed, masked (138****1234)
    # Scopes each side holds over the other. The inviter's are granted by the invitee (proposed by the
    # inviter, agreed at acceptance); the invitee's are granted by the inviter.
    inviter_scopes: Mapped[list[str]] = mapped_column(JSON)
    invitee_scopes: Mapped[list[str]] = mapped_column(JSON)
    pair_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("citizen.id"))
