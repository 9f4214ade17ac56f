"""The rules engine is pure: its tests need no database, so the per-test table wipe is skipped."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onecity.medinsure.rules import Policy, demo_policy


@pytest.fixture(autouse=True)
def _clean_state() -> Iterator[None]:
    yield


@pytest.fixture(scope="session")
def p25() -> Policy:
    return demo_policy(2025)


@pytest.fixture(scope="session")
def p26() -> Policy:
    return demo_policy(2026)
