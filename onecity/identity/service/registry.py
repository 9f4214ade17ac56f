"""The city's population registry (人口库): its bulk load, look-up by ID number, and the normal form of a
resident's name that registry and real-name verification compare.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.crypto.fields import decrypt, decrypt_str, encrypt
from onecity.errors import InvalidInput
from onecity.identity.models import PopulationRegistryEntry
from onecity.identity.resident_id import InvalidIdNumber, parse_id_number
from onecity.identity.schemas import RegistryLoadReport, RegistryRow
from onecity.identity.service.citizens import (
    ENC_REGISTRY_ID_NUMBER,
    ENC_REGISTRY_NAME,
    ENC_REGISTRY_PHOTO,
    id_number_index,
)
from onecity.ids import new_id

# Chinese names, names with the middle dot of minority names (买买提·艾力), and Latin-script names.
_CJK = "\u3400-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
_NAME = re.compile(rf"^[{_CJK}A-Za-z][{_CJK}·A-Za-z .'-]{{0,49}}$")


# --- errors ---------------------------------------------------------------------------------------

class NameInvalid(InvalidInput):
    code = "name_invalid"
    message_zh = "请输入身份证上的姓名"
    message_en = "Enter your name as it is on your ID card"


# --- names ----------------------------------------------------------------------------------------

def normalise_name(name: str) -> str:
    """NFKC, trimmed, inner runs of spaces collapsed (and dropped next to Chinese characters), the
    middle dot unified (· • ・ → ·)."""
    n = unicodedata.normalize("NFKC", name[:100]).strip()
    n = re.sub(r"[•・‧∙]", "·", n)
    n = re.sub(r"\s+", " ", n)
    n = re.sub(rf"(?<=[{_CJK}·]) | (?=[{_CJK}·])", "", n)  # 王 芳 → 王芳; spaces stay only in Latin names
    if not _NAME.match(n):
        raise NameInvalid()
    return n


# --- the population registry ----------------------------------------------------------------------

def registry_entry_by_id_number(session: Session, id_number: str) -> PopulationRegistryEntry | None:
    number = parse_id_number(id_number).number
    return session.scalars(select(PopulationRegistryEntry).where(
        PopulationRegistryEntry.id_number_index == id_number_index(number))).one_or_none()


def load_registry(session: Session, rows: Iterable[RegistryRow], *, chunk: int = 500) -> RegistryLoadReport:
    """Load residents from the city's population registry; idempotent on the ID number (a reload
    updates name, status and, when given, photo). Invalid rows are reported, not loaded."""
    report = RegistryLoadReport()
    batch: list[tuple[int, RegistryRow, str, str]] = []

    def flush_batch() -> None:
        indexes = [b[3] for b in batch]
        existing = {e.id_number_index: e for e in session.scalars(select(PopulationRegistryEntry).where(
            PopulationRegistryEntry.id_number_index.in_(indexes)))}
        now = clock.now()
        for _line, row, number, index in batch:
            entry = existing.get(index)
            name = normalise_name(row.name)
            if entry is None:
                entry = PopulationRegistryEntry(
                    public_id=new_id("res"),
                    name_enc=encrypt(name, purpose=ENC_REGISTRY_NAME),
                    id_number_enc=encrypt(number, purpose=ENC_REGISTRY_ID_NUMBER),
                    id_number_index=index,
                    photo_enc=encrypt(row.photo, purpose=ENC_REGISTRY_PHOTO) if row.photo else None,
                    status=row.status,
                    loaded_at=now,
                )
                session.add(entry)
                existing[index] = entry
                report.created += 1
                continue
            changed = False
            if decrypt_str(entry.name_enc, purpose=ENC_REGISTRY_NAME) != name:
                entry.name_enc = encrypt(name, purpose=ENC_REGISTRY_NAME)
                changed = True
            if entry.status != row.status:
                entry.status = row.status
                changed = True
            if row.photo and (entry.photo_enc is None
                              or decrypt(entry.photo_enc, purpose=ENC_REGISTRY_PHOTO) != row.photo):
                entry.photo_enc = encrypt(row.photo, purpose=ENC_REGISTRY_PHOTO)
                changed = True
            if changed:
                entry.loaded_at = now
                report.updated += 1
            else:
                report.unchanged += 1
        session.flush()
        batch.clear()

    for line, row in enumerate(rows, start=1):
        try:
            number = parse_id_number(row.id_number).number
            normalise_name(row.name)
        except (InvalidIdNumber, NameInvalid) as exc:
            report.rejected.append((line, exc.code))
            continue
        batch.append((line, row, number, id_number_index(number)))
        if len(batch) >= chunk:
            flush_batch()
    if batch:
        flush_batch()
    return report
