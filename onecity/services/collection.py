"""Money a citizen pays to an organisation for a city service (a fine, a tax, a utility bill, an
application fee) and its refunds, through the ledger.

Every payee organisation (agency or biller) has one receiving account per currency,
`services:payee:<org id>:<currency>` (code `services_payee`, owner the org's public id, so the
wallet history shows the organisation's name). A payment is one ledger transfer wallet → payee in
the caller's transaction, with a transfer id the caller derives from its own record (a retry is
recognised by the ledger, never applied twice); a refund is the reverse transfer. The wallet has no
overdraft: a payment it cannot cover raises the ledger's `InsufficientFunds` and moves nothing.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from onecity.ledger import service as ledger
from onecity.ledger.schemas import TransferOut
from onecity.payments.wallet import service as wallet

ACCOUNT_CODE = "services_payee"
CURRENCY = "CNY"


def payee_key(org_id: str, currency: str = CURRENCY) -> str:
    return f"services:payee:{org_id}:{currency}"


def payee_account(session: Session, org_id: str, currency: str = CURRENCY) -> str:
    """The ledger account id where `org_id` receives citizens' payments (opened on first use)."""
    existing = ledger.account_by_key(session, payee_key(org_id, currency))
    if existing is not None:
        return existing.id
    return ledger.open_account(session, key=payee_key(org_id, currency), code=ACCOUNT_CODE, owner=org_id,
                               currency=currency).id


def collect(session: Session, *, citizen_id: str, payee_org_id: str, amount: int, code: str, ref: str,
            transfer_id: str, currency: str = CURRENCY) -> TransferOut:
    """Move `amount` fen from the citizen's wallet to the payee (InsufficientFunds: nothing moves).
    `code` says what it is for (`fine`, `tax`, `bill`, `services.fee`: the wallet history's words)."""
    return ledger.transfer(session, transfer_id=transfer_id, debit=wallet.wallet_account_id(session, citizen_id),
                           credit=payee_account(session, payee_org_id, currency), amount=amount, code=code,
                           currency=currency, ref=ref)


def refund(session: Session, *, citizen_id: str, payee_org_id: str, amount: int, code: str, ref: str,
           transfer_id: str, currency: str = CURRENCY) -> TransferOut:
    """Give `amount` fen back from the payee to the citizen's wallet (the reverse of `collect`)."""
    return ledger.transfer(session, transfer_id=transfer_id, debit=payee_account(session, payee_org_id, currency),
                           credit=wallet.wallet_account_id(session, citizen_id), amount=amount, code=code,
                           currency=currency, ref=ref)


def received(session: Session, org_id: str, currency: str = CURRENCY) -> int:
    """What the payee's account holds (posted credits − posted debits), in fen."""
    existing = ledger.account_by_key(session, payee_key(org_id, currency))
    if existing is None:
        return 0
    b = ledger.balance(session, existing.id)
    return b.credits_posted - b.debits_posted
