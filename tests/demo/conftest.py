"""The demo tests share one seeded city per module (seeding hashes some 26 passwords with Argon2id,
seconds of work), so the per-test wipe of the root conftest is replaced here: a module that needs the
database starts from a wiped one in its own module-scoped fixture."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onecity import clock


@pytest.fixture(autouse=True)
def _clean_state(database: str) -> Iterator[None]:
    clock.reset()
    yield
    clock.reset()
