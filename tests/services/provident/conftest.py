"""Shared fixtures for the provident fund tests: the fund centre and Wang, 24 months contributed."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from onecity.identity.orgs.models import Org
from tests.identity.family.factories import Person, person
from tests.services.provident.factories import make_account, make_centre


@pytest.fixture
def centre(session: Session) -> Org:
    return make_centre(session)


@pytest.fixture
def wang(session: Session, centre: Org) -> Person:
    p = person(session)
    make_account(session, p.id, months=24)  # 86,400.00
    return p
