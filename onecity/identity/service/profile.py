"""Masked views of a citizen: the summary other modules may know, and the citizen's own profile.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from onecity import clock
from onecity.identity.models import Citizen
from onecity.identity.resident_id import age_on as _age_on
from onecity.identity.resident_id import region_path
from onecity.identity.schemas import CitizenProfile, CitizenSummary
from onecity.identity.service.citizens import get_citizen


def _summary_fields(citizen: Citizen) -> dict[str, object]:
    today = clock.today_local().date()
    age = _age_on(citizen.birth_date, today) if citizen.birth_date else None
    return {
        "public_id": citizen.public_id,
        "verified": citizen.verified_at is not None,
        "masked_name": citizen.real_name_masked,
        "masked_id_number": citizen.id_number_masked,
        "sex": citizen.sex,
        "birth_date": citizen.birth_date,
        "age": age,
        "is_minor": (age < 18) if age is not None else None,
        "region_code": citizen.region_code,
        "region_name": region_label(citizen.region_code) if citizen.region_code else None,
    }


_PLACEHOLDER_DIVISIONS = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划", "省直辖县级行政单位",
                          "省直辖行政单位", "自治区直辖县级行政单位"}


def region_label(code: str) -> str | None:
    """广东省深圳市南山区: the names from province down, without the table's placeholder levels."""
    names = [r.name for r in region_path(code) if r.name not in _PLACEHOLDER_DIVISIONS]
    return "".join(names) or None


def citizen_summary(session: Session, citizen_id: str) -> CitizenSummary:
    """What other modules may know of a citizen: masked name and ID, sex, birth date, age, minority."""
    return CitizenSummary.model_validate(_summary_fields(get_citizen(session, citizen_id)))


def citizen_profile(session: Session, citizen_id: str) -> CitizenProfile:
    """The citizen's own view of their account (still masked)."""
    c = get_citizen(session, citizen_id)
    return CitizenProfile.model_validate({
        **_summary_fields(c),
        "mobile_masked": c.mobile_masked,
        "has_password": c.password_hash is not None,
        "created_at": c.created_at,
        "verified_at": c.verified_at,
        "language": c.language,
    })
