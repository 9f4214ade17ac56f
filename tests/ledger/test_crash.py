"""A process applying payments is SIGKILLed mid-load and restarted: every acknowledged payment is
present exactly once, retries of what was in flight apply at most once, and `onecity ledger check`
is clean (the durability and atomicity of each transfer with its balances)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from onecity.ledger import service
from tests.ledger.factories import make_account, make_wallet

ROOT = Path(__file__).resolve().parents[2]


def _load(start: int, stop: int, wallet: str, shop: str) -> subprocess.Popen[str]:
    return subprocess.Popen(  # noqa: S603 - our own interpreter and module, fixed arguments
        [sys.executable, "-m", "tests.ledger.crash_load", str(start), str(stop), wallet, shop],
        cwd=ROOT, env=os.environ.copy(), stdout=subprocess.PIPE, text=True)


def test_sigkill_under_load_loses_nothing_acknowledged_and_applies_nothing_twice(session):
    wallet = make_wallet(session, 1_000_000)
    shop = make_account(session, code="merchant")
    session.commit()

    first = _load(0, 100_000, wallet.id, shop.id)
    acked: set[int] = set()
    assert first.stdout is not None
    for line in first.stdout:
        acked.add(int(line.split()[1]))
        if len(acked) == 150:
            first.send_signal(signal.SIGKILL)  # in the middle of transactions, without any cleanup
            break
    first.wait(timeout=30)
    assert first.returncode == -signal.SIGKILL

    # The client retries everything it did not see acknowledged, and a bit more, with the same ids.
    top = max(acked) + 20
    second = _load(0, top + 1, wallet.id, shop.id)
    out, _ = second.communicate(timeout=120)
    assert second.returncode == 0
    results = {int(n): bool(int(r)) for n, r in (line.split()[1:] for line in out.splitlines())}
    assert all(results[n] for n in acked), "an acknowledged payment was applied again"
    assert set(results) == set(range(top + 1))

    session.expire_all()
    paid = service.balance(session, shop.id).posted_balance
    assert paid == top + 1  # each payment exactly once: 1 fen each
    assert service.balance(session, wallet.id).available_balance == 1_000_000 - paid
    for n in sorted(acked)[:5] + sorted(acked)[-5:]:
        assert [t.transfer_id for t in service.transfers_by_ref(session, f"order-{n}")] == [f"pay-{n}"]
    session.commit()

    check = subprocess.run([sys.executable, "-c", "from onecity.cli import app; app()", "ledger", "check"], cwd=ROOT, env=os.environ.copy(),
                           capture_output=True, text=True, timeout=120)
    assert check.returncode == 0, check.stdout + check.stderr
    assert "ledger OK" in check.stdout
