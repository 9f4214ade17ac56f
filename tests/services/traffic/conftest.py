"""Fixtures for the traffic tests: the clock on 26 November 2026, 10:00 in Shenzhen, and the authority."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from onecity import clock
from tests.services.traffic.factories import Traffic, make_traffic


@pytest.fixture
def traffic(session: Session) -> Traffic:
    clock.freeze(datetime(2026, 11, 26, 10, 0, tzinfo=clock.CITY_TZ))
    return make_traffic(session)
