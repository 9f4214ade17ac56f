"""The transit tests so far are pure (no database): they replace the suite's per-test table wipe
with a clock reset only, which keeps them fast on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onecity import clock


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()
