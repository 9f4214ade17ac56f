"""Every wallet test starts with a well-behaved simulated bank and ends with a clean ledger (the bank
tests' autouse fixture, shared)."""

from tests.payments.bank.conftest import _bank_and_ledger_check  # noqa: F401 - an autouse fixture
