"""For the pure transit tests (ride codes, gate library, fares, the gate simulator): they touch no
database, so each of their modules imports this `_clean_state`, which replaces the suite's per-test
table wipe (tests/conftest.py) with a clock reset only. Transit tests that use the database keep
the wipe: this is not a conftest fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onecity import clock


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()
