"""Administrators' read-only view of the ledger: an account's balance and its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.ledger import service
from onecity.ledger.schemas import AccountOut, HistoryPage

router = APIRouter(tags=["ledger"])


class AccountBalanceOut(BaseModel):
    account: AccountOut
    debits_pending: int
    debits_posted: int
    credits_pending: int
    credits_posted: int
    posted_balance: int
    available_balance: int


@router.get("/v1/ledger/accounts/{account_id}", response_model=AccountBalanceOut)
def account_balance(account_id: str, db: DbSession,
                    principal: Principal = Depends(allow("admin"))) -> AccountBalanceOut:
    acc = service.get_account(db, account_id)
    b = service.balance(db, account_id)
    return AccountBalanceOut(account=acc, debits_pending=b.debits_pending, debits_posted=b.debits_posted,
                             credits_pending=b.credits_pending, credits_posted=b.credits_posted,
                             posted_balance=b.posted_balance, available_balance=b.available_balance)


@router.get("/v1/ledger/accounts/{account_id}/transfers", response_model=HistoryPage)
def account_transfers(account_id: str, db: DbSession, principal: Principal = Depends(allow("admin")),
                      after: Annotated[str | None, Query(max_length=60)] = None,
                      limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50) -> HistoryPage:
    """Newest first; pass `next_cursor` back as `?after=` for the next page."""
    items, cursor = service.history(db, account_id, after=after, limit=limit)
    return HistoryPage(items=items, next_cursor=cursor)
