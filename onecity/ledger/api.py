"""Administrators' read-only view of the ledger: an account's balance and its history."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.ledger import service
from onecity.ledger.schemas import AccountBalanceOut, HistoryPage

router = APIRouter(tags=["ledger"])


@router.get("/v1/ledger/accounts/{account_id}", response_model=AccountBalanceOut)
def account_balance(account_id: str, db: DbSession,
                    principal: Principal = Depends(allow("admin"))) -> AccountBalanceOut:
    return AccountBalanceOut.of(service.get_account(db, account_id), service.balance(db, account_id))


@router.get("/v1/ledger/accounts/{account_id}/transfers", response_model=HistoryPage)
def account_transfers(account_id: str, db: DbSession, principal: Principal = Depends(allow("admin")),
                      after: Annotated[str | None, Query(max_length=60)] = None,
                      limit: Annotated[int, Query(ge=1, le=service.MAX_PAGE)] = 50) -> HistoryPage:
    """Newest first; pass `next_cursor` back as `?after=` for the next page."""
    items, cursor = service.history(db, account_id, after=after, limit=limit)
    return HistoryPage(items=items, next_cursor=cursor)
