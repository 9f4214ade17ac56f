"""Transit's periodic jobs: price queued riders' weeks, debit finished days' fares, retire platform
keys whose certificates have all expired (and rotate the signing key every 30 days)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from onecity.jobs import periodic
from onecity.transit import service


@periodic("transit.price", every=timedelta(minutes=1))
def price(session: Session) -> str:
    r = service.price_due(session)
    return f"{r.riders_priced} rider-weeks priced, {r.charges} charges"


@periodic("transit.debit", every=timedelta(minutes=30))
def debit(session: Session) -> str:
    service.price_due(session)  # charge what has arrived before debiting it
    r = service.debit_due(session)
    return f"{r.riders} riders: {r.paid} paid ({r.amount} fen), {r.failed} in arrears"


@periodic("transit.keys", every=timedelta(hours=1))
def keys(session: Session) -> str:
    rotated = service.keys.rotate_if_due(session)
    retired = service.keys.retire_expired(session)
    return f"{'rotated to ' + rotated if rotated else 'no rotation'}, {retired} platform keys retired"


@periodic("transit.deny_prune", every=timedelta(hours=1))
def deny_prune(session: Session) -> str:
    return f"{service.riders.prune_expired_devices(session)} expired lost phones off the deny-list"
