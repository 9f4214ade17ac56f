"""JSON API of bank cards: a verified citizen lists, binds and unbinds their debit cards."""

from __future__ import annotations

from fastapi import APIRouter, Depends

from onecity.authz import Principal, allow
from onecity.deps import DbSession
from onecity.payments.bank import service
from onecity.payments.bank.schemas import CardBindIn, CardList, CardOut

router = APIRouter(tags=["bank cards"])

VERIFIED_CITIZEN = allow("citizen", verified=True)


@router.get("/v1/bank-cards", response_model=CardList)
def list_cards(db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN)) -> CardList:
    assert principal.id is not None
    return CardList(items=service.list_cards(db, principal.id))


@router.post("/v1/bank-cards", status_code=201, response_model=CardOut)
def bind_card(body: CardBindIn, db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN)) -> CardOut:
    """Bind a debit card (Luhn-checked, a supported bank, held in your real name). Binding the same
    card again returns it."""
    assert principal.id is not None
    return service.bind_card(db, citizen_id=principal.id, card_number=body.card_number,
                             holder_name=body.holder_name, actor=principal)


@router.delete("/v1/bank-cards/{card_id}", response_model=CardOut)
def unbind_card(card_id: str, db: DbSession, principal: Principal = Depends(VERIFIED_CITIZEN)) -> CardOut:
    assert principal.id is not None
    return service.unbind_card(db, citizen_id=principal.id, card_id=card_id, actor=principal)
