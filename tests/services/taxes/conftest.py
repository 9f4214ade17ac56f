"""Fixtures for the tax tests: the clock on 26 November 2026, 10:00 in Shenzhen, and the bureau."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from onecity import clock
from tests.services.taxes.factories import Bureau, make_bureau


@pytest.fixture
def bureau(session: Session) -> Bureau:
    clock.freeze(datetime(2026, 11, 26, 10, 0, tzinfo=clock.CITY_TZ))
    return make_bureau(session)
