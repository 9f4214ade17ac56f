"""Fixtures for the medinsure core's tests: the demo policies stored and three designated institutions."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from onecity import clock
from tests.medinsure.factories import City, make_city


@pytest.fixture
def city(session: Session) -> City:
    """The city on 15 June 2026, 10:00 in Shanghai (the demo 2026 policy applies; tests move the clock)."""
    clock.freeze(datetime(2026, 6, 15, 10, 0, tzinfo=clock.CITY_TZ))
    return make_city(session)
