"""Every bank test starts with a well-behaved simulated bank and ends with a clean ledger."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from onecity.db import transaction
from onecity.ledger import service as ledger
from onecity.payments.bank import service as bank
from tests.payments.bank.factories import install_bank


@pytest.fixture(autouse=True)
def _bank_and_ledger_check() -> Iterator[None]:
    install_bank()
    yield
    bank.use_channel(None)
    with transaction() as s:
        assert ledger.check(s) == []
