"""The wallet's outbox subscribers: open a citizen's wallet as soon as identity reports them verified."""

from __future__ import annotations

from sqlalchemy.orm import Session

from onecity.identity import service as identity
from onecity.outbox import Event, subscriber
from onecity.payments.wallet import service


@subscriber(identity.VERIFIED_TOPIC, name="wallet.open_on_verified")
def open_wallet(session: Session, event: Event) -> None:
    """Idempotent: the wallet opens once, whether here or lazily on first use."""
    service.wallet_account_id(session, event.payload["citizen_id"])
