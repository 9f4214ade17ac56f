"""Property-based: random transfers, pending/post/void, groups, timeouts and reused ids, against a
pure-Python model of the ledger. After every step the balances equal the model's and check() is clean.

Each example runs in one database transaction that is rolled back at the end; failed operations happen
inside it too, so this also proves that an error leaves the caller's transaction untouched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from onecity import clock, db
from onecity.ledger import service
from onecity.ledger.schemas import (
    CREDITS_MUST_NOT_EXCEED_DEBITS,
    DEBITS_MUST_NOT_EXCEED_CREDITS,
    HOT,
    TransferSpec,
)
from tests.conftest import DB_KIND

START = datetime(2026, 11, 26, 8, 0, tzinfo=UTC)
# wallet, wallet, merchant (hot, no overdraft), receivable (debit-normal), bank clearing (no limit)
ACCOUNT_FLAGS = (DEBITS_MUST_NOT_EXCEED_CREDITS, DEBITS_MUST_NOT_EXCEED_CREDITS,
                 DEBITS_MUST_NOT_EXCEED_CREDITS | HOT, CREDITS_MUST_NOT_EXCEED_DEBITS, 0)

ids = st.integers(0, 25).map(lambda n: f"t{n}")
accounts = st.integers(0, len(ACCOUNT_FLAGS) - 1)
amounts = st.integers(1, 400)
timeouts = st.none() | st.integers(1, 120).map(lambda s: timedelta(seconds=s))


@dataclass
class ModelTransfer:
    debit: int
    credit: int
    amount: int
    kind: str
    status: str
    code: str = "x"
    pending_id: str | None = None
    timeout_at: datetime | None = None
    timeout: timedelta | None = None


@dataclass
class Model:
    bal: list[list[int]] = field(default_factory=lambda: [[0, 0, 0, 0] for _ in ACCOUNT_FLAGS])  # dp dpo cp cpo
    transfers: dict[str, ModelTransfer] = field(default_factory=dict)

    def fits(self, deltas: dict[int, list[int]]) -> bool:
        for acc, d in deltas.items():
            dp, dpo, cp, cpo = (b + x for b, x in zip(self.bal[acc], d, strict=True))
            if ACCOUNT_FLAGS[acc] & DEBITS_MUST_NOT_EXCEED_CREDITS and dpo + dp > cpo:
                return False
            if ACCOUNT_FLAGS[acc] & CREDITS_MUST_NOT_EXCEED_DEBITS and cpo + cp > dpo:
                return False
        return True

    def apply(self, deltas: dict[int, list[int]]) -> None:
        for acc, d in deltas.items():
            self.bal[acc] = [b + x for b, x in zip(self.bal[acc], d, strict=True)]


def _deltas(specs: list[tuple[str, int, int, int, bool, timedelta | None]]) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for _tid, debit, credit, amount, pending, _timeout in specs:
        out.setdefault(debit, [0, 0, 0, 0])[0 if pending else 1] += amount
        out.setdefault(credit, [0, 0, 0, 0])[2 if pending else 3] += amount
    return out


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.session = db.session_factory()()
        self.model = Model()
        self.acc: list[str] = []

    @initialize()
    def open_accounts(self) -> None:
        clock.freeze(START)
        for i, flags in enumerate(ACCOUNT_FLAGS):
            self.acc.append(service.open_account(self.session, key=f"sm:{i}", code="sm", owner="sm", flags=flags).id)
        # Seed money: the bank clearing account (no limits) funds the two wallets and the receivable.
        for i, amount in ((0, 1_000), (1, 500)):
            self._transfers([(f"seed{i}", 4, i, amount, False, None)])
        self._transfers([("seed-r", 3, 4, 800, False, None)])

    def teardown(self) -> None:
        self.session.rollback()
        self.session.close()
        clock.reset()

    # --- operations and what the model says about them ---

    def _transfers(self, specs: list[tuple[str, int, int, int, bool, timedelta | None]]) -> None:
        m = self.model
        tids = [s[0] for s in specs]
        expected: type[Exception] | tuple[type[Exception], ...] | None = None
        replay = False
        if len(set(tids)) != len(tids):
            expected = service.InvalidTransfer
        elif any(t in m.transfers for t in tids):
            same = all(t in m.transfers and self._same(m.transfers[t], s) for t, s in zip(tids, specs, strict=True))
            replay = same
            expected = None if same else service.TransferConflict
        elif not m.fits(_deltas(specs)):
            expected = (service.InsufficientFunds, service.CreditLimitExceeded)
        group = [TransferSpec(transfer_id=t, debit=self.acc[d], credit=self.acc[c], amount=a, code="x",
                              pending=p, timeout=to) for t, d, c, a, p, to in specs]
        if expected is not None:
            with pytest.raises(expected):
                service.transfer_group(self.session, group) if len(group) > 1 else service.transfer(
                    self.session, **group[0].model_dump())
            return
        out = (service.transfer_group(self.session, group) if len(group) > 1
               else [service.transfer(self.session, **group[0].model_dump())])
        assert all(o.replayed == replay for o in out)
        if replay:
            return
        m.apply(_deltas(specs))
        for t, d, c, a, p, to in specs:
            m.transfers[t] = ModelTransfer(d, c, a, "pending" if p else "single", "pending" if p else "posted",
                                           timeout=to, timeout_at=clock.now() + to if to else None)

    @staticmethod
    def _same(t: ModelTransfer, spec: tuple[str, int, int, int, bool, timedelta | None]) -> bool:
        _tid, d, c, a, p, to = spec
        return (t.debit, t.credit, t.amount, t.kind, t.timeout) == (d, c, a, "pending" if p else "single", to)

    @rule(tid=ids, debit=accounts, credit=accounts, amount=amounts, pending=st.booleans(), timeout=timeouts)
    def transfer(self, tid, debit, credit, amount, pending, timeout):  # type: ignore[no-untyped-def]
        if debit == credit:
            credit = (credit + 1) % len(ACCOUNT_FLAGS)
        self._transfers([(tid, debit, credit, amount, pending, timeout if pending else None)])

    @rule(parts=st.lists(st.tuples(ids, accounts, accounts, amounts, st.booleans()), min_size=2, max_size=4))
    def group(self, parts):  # type: ignore[no-untyped-def]
        specs = [(t, d, c if c != d else (c + 1) % len(ACCOUNT_FLAGS), a, p, None) for t, d, c, a, p in parts]
        self._transfers(specs)

    @rule(tid=ids, pick=st.integers(0, 1000), amount=st.none() | amounts, post=st.booleans())
    def resolve(self, tid, pick, amount, post):  # type: ignore[no-untyped-def]
        m = self.model
        pendings = sorted(k for k, t in m.transfers.items() if t.kind == "pending")
        if not pendings:
            return
        pid = pendings[pick % len(pendings)]
        p = m.transfers[pid]
        kind = "post" if post else "void"
        want = (amount if amount is not None else p.amount) if post else p.amount

        def call():  # type: ignore[no-untyped-def]
            if post:
                return service.post_pending(self.session, transfer_id=tid, pending_id=pid, amount=amount)
            return service.void_pending(self.session, transfer_id=tid, pending_id=pid)

        if want > p.amount:
            with pytest.raises(service.InvalidTransfer):
                call()
            return
        expired = p.timeout_at is not None and p.timeout_at <= clock.now()
        earlier = m.transfers.get(tid)
        if p.status != "pending" or expired:
            if earlier is not None and (earlier.kind, earlier.pending_id) == (kind, pid) and earlier.amount == want:
                assert call().replayed
                return
            with pytest.raises(service.TransferConflict if earlier is not None else service.PendingNotPending):
                call()
            return
        if earlier is not None:
            with pytest.raises(service.TransferConflict):
                call()
            return
        out = call()
        assert (out.kind, out.amount, out.replayed) == (kind, want, False)
        p.status = "posted" if post else "voided"
        m.transfers[tid] = ModelTransfer(p.debit, p.credit, want, kind, out.status, pending_id=pid)
        posted = want if post else 0
        m.apply({p.debit: [-p.amount, posted, 0, 0], p.credit: [0, 0, -p.amount, posted]})

    @rule(seconds=st.integers(1, 90))
    def time_passes_and_the_job_runs(self, seconds):  # type: ignore[no-untyped-def]
        clock.advance(timedelta(seconds=seconds))
        due = [t for t in self.model.transfers.values()
               if t.kind == "pending" and t.status == "pending" and t.timeout_at and t.timeout_at <= clock.now()]
        assert service.expire_pending(self.session) == len(due)
        for t in due:
            t.status = "expired"
            self.model.apply({t.debit: [-t.amount, 0, 0, 0], t.credit: [0, 0, -t.amount, 0]})

    @invariant()
    def balances_match_the_model_and_check_is_clean(self) -> None:
        if not self.acc:
            return
        for acc, want in zip(self.acc, self.model.bal, strict=True):
            b = service.balance(self.session, acc)
            assert [b.debits_pending, b.debits_posted, b.credits_pending, b.credits_posted] == want
        assert service.check(self.session) == []


LedgerMachine.TestCase.settings = settings(
    max_examples=15 if DB_KIND == "postgres" else 40, stateful_step_count=25, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
test_ledger_state_machine = LedgerMachine.TestCase
