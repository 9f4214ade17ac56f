"""JSON API of the wallet: balance, history (cursor), top-ups and withdrawals of a verified citizen.
POSTs take an `Idempotency-Key` (the middleware replays the first response; the key also names the
top-up or withdrawal, so money never moves twice for one key)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Header, Query

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.payments.wallet import service
from onecity.payments.wallet.schemas import (
    BankTransferList,
    BankTransferOut,
    HistoryPage,
    TopUpIn,
    WalletOut,
    WithdrawalIn,
)

router = APIRouter(tags=["wallet"])

VERIFIED_CITIZEN = allow("citizen", verified=True)


@router.get("/v1/wallet", response_model=WalletOut)
def get_wallet(db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN)) -> WalletOut:
    """Balances in fen: available, incoming (top-ups awaiting the bank), held (withdrawals in progress)."""
    assert principal.id is not None
    return service.wallet_summary(db, principal.id)


@router.get("/v1/wallet/transfers", response_model=HistoryPage)
def list_transfers(db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN),
                   after: str | None = Query(None, max_length=200),
                   limit: int = Query(20, ge=1, le=100)) -> HistoryPage:
    """The wallet's history, newest first; `next_cursor` → `?after=` for older entries."""
    assert principal.id is not None
    return service.history(db, principal.id, after=after, limit=limit)


@router.post("/v1/wallet/top-ups", status_code=201, response_model=BankTransferOut)
def create_top_up(body: TopUpIn, db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN),
                  idempotency_key: str | None = Header(None, max_length=100)) -> BankTransferOut:
    """Top up from a bound card: `processing` until the bank confirms; then spendable."""
    assert principal.id is not None
    return service.top_up(db, citizen_id=principal.id, card_id=body.card_id, amount=body.amount, actor=principal,
                          client_key=idempotency_key)


@router.get("/v1/wallet/top-ups", response_model=BankTransferList)
def list_top_ups(db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN)) -> BankTransferList:
    assert principal.id is not None
    return BankTransferList(items=service.list_bank_transfers(db, principal.id, kind="top_up"))


@router.get("/v1/wallet/top-ups/{top_up_id}", response_model=BankTransferOut)
def get_top_up(top_up_id: str, db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN)) -> BankTransferOut:
    assert principal.id is not None
    return service.get_bank_transfer(db, citizen_id=principal.id, transfer_id=top_up_id, kind="top_up")


@router.post("/v1/wallet/withdrawals", status_code=201, response_model=BankTransferOut)
def create_withdrawal(body: WithdrawalIn, db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN),
                      idempotency_key: str | None = Header(None, max_length=100)) -> BankTransferOut:
    """Withdraw to a bound card. Needs `face_grant`: the grant_id of a passed face verification
    (POST /v1/face/challenges with act `wallet.withdraw`, then /v1/face/verifications)."""
    assert principal.id is not None
    return service.withdraw(db, citizen_id=principal.id, card_id=body.card_id, amount=body.amount,
                            grant_id=body.face_grant, actor=principal, client_key=idempotency_key)


@router.get("/v1/wallet/withdrawals", response_model=BankTransferList)
def list_withdrawals(db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN)) -> BankTransferList:
    assert principal.id is not None
    return BankTransferList(items=service.list_bank_transfers(db, principal.id, kind="withdrawal"))


@router.get("/v1/wallet/withdrawals/{withdrawal_id}", response_model=BankTransferOut)
def get_withdrawal(withdrawal_id: str, db: DbSession,
                   principal: Principal = Depends(VERIFIED_CITIZEN)) -> BankTransferOut:
    assert principal.id is not None
    return service.get_bank_transfer(db, citizen_id=principal.id, transfer_id=withdrawal_id, kind="withdrawal")
