"""Withdrawals of one citizen racing on PostgreSQL: the account row lock and the ledger's hold mean
that, whatever the timing, they never pass the month's limit nor the balance."""

from __future__ import annotations

import os

import pytest
from sqlalchemy.orm import Session

from onecity.db import transaction
from onecity.services.provident import service
from onecity.services.provident.errors import WithdrawalRefused
from onecity.services.provident.schemas import WithdrawalOut
from onecity.services.provident.service import WITHDRAW_ACT
from tests.concurrency_helpers import run_all
from tests.identity.family.factories import make_face_grant, person
from tests.services.provident.factories import make_account, make_centre, withdrawal

pytestmark = pytest.mark.skipif(os.environ.get("ONECITY_TEST_DB") != "postgres",
                                reason="row locks and concurrent transactions are tested on PostgreSQL")


def _setup(session: Session, n: int) -> tuple[str, list[str]]:
    make_centre(session)
    p = person(session)
    make_account(session, p.id, months=24)  # 86,400.00
    grants = [make_face_grant(session, p.citizen, act=WITHDRAW_ACT) for _ in range(n)]
    session.commit()
    return p.id, grants


def _withdraw(citizen_id: str, **kw: object) -> WithdrawalOut:
    with transaction() as s:
        return service.request_withdrawal(s, citizen_id=citizen_id, data=withdrawal(**kw), actor="test")


def test_racing_rent_withdrawals_pass_the_monthly_limit_once(session: Session) -> None:
    cid, grants = _setup(session, 4)
    results = run_all([lambda g=g: _withdraw(cid, amount_fen=100_000, grant=g) for g in grants], workers=4)
    paid = [r for r in results if isinstance(r, WithdrawalOut)]
    refused = [r for r in results if isinstance(r, WithdrawalRefused)]
    assert len(paid) == 1 and len(refused) == 3, results
    assert {r.code for r in refused} == {"hpf_too_frequent"}
    session.rollback()
    assert service.get_account(session, citizen_id=cid).balance_fen == 8_640_000 - 100_000


def test_racing_purchase_withdrawals_never_pass_the_balance(session: Session) -> None:
    cid, grants = _setup(session, 4)
    # four properties, 30,000.00 each, against 86,400.00 less 10.00 kept: two fit (60,000.00), a third
    # would need 90,000.00
    results = run_all([lambda g=g, i=i: _withdraw(cid, reason="purchase", amount_fen=3_000_000, grant=g,
                                                  price_fen=100_000_000, property_no=f"粤2026深圳不动产权第000{i}号")
                       for i, g in enumerate(grants)], workers=4)
    held = [r for r in results if isinstance(r, WithdrawalOut)]
    refused = [r for r in results if isinstance(r, WithdrawalRefused)]
    assert len(held) == 2 and len(refused) == 2, results
    assert {r.code for r in refused} == {"hpf_over_balance"}
    session.rollback()
    acc = service.get_account(session, citizen_id=cid)
    assert (acc.held_fen, acc.available_fen) == (6_000_000, 8_640_000 - 6_000_000)
    assert acc.available_fen >= 0
