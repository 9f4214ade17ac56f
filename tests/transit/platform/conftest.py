"""The platform-side transit tests use the database: they restore the suite's per-test table wipe
(tests/transit/conftest.py replaces it with a clock reset for the pure tests)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onecity import clock
from tests.conftest import _wipe


@pytest.fixture(autouse=True)
def _clean_state(database: str) -> Iterator[None]:
    _wipe()
    clock.reset()
    yield
    clock.reset()
