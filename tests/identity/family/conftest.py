from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from onecity import clock

# Noon in Shenzhen: ages below are worked out against 2026-06-01.
NOW = datetime(2026, 6, 1, 4, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock() -> Iterator[None]:
    clock.freeze(NOW)
    yield
