from __future__ import annotations

from collections.abc import Iterator

import pytest

from onecity.services.bills.service import billers


@pytest.fixture(autouse=True)
def _no_installed_connectors() -> Iterator[None]:
    """Connectors installed by one test (simulators with their settings) do not outlive it."""
    billers._installed.clear()
    yield
    billers._installed.clear()
