"""The citizen's certificate wallet (证照夹), as the holder sees it.

The wallet lists the certificates bound to the citizen's holder key (claimed) and those waiting to be
claimed (`claims.claimable`), each with its status as the issuer last set it — suspended, revoked,
re-issued (with the replacement's id) — so the holder sees every change. The browser keeps its own
copies of the signed certificates (IndexedDB) and refreshes them with `claims.holder_certificates`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity.credentials import types
from onecity.credentials.models import Credential, Issuer
from onecity.credentials.schemas import WalletItem, WalletView
from onecity.credentials.service import claims, issuance


def _item(session: Session, row: Credential, *, with_claims: bool = False) -> WalletItem:
    ctype = types.get_type(row.type_id)
    issuer = session.get(Issuer, row.issuer_id)
    assert issuer is not None
    values = issuance._claims(row) if with_claims else None
    views = tuple(WalletView(name=name, label_zh=v.label.zh, label_en=v.label.en, fields=v.fields)
                  for name, v in ctype.views.items())
    return WalletItem(credential_id=row.public_id, type_id=row.type_id, type_name_zh=ctype.name.zh,
                      type_name_en=ctype.name.en, issuer_name=issuer.name, status=row.status,
                      claimed=row.holder_public_key is not None, issued_at=row.issued_at, valid_until=row.valid_until,
                      status_changed_at=row.status_changed_at, status_reason=row.status_reason,
                      replaced_by=row.replaced_by, views=views, claims=values,
                      labels={f.name: (f.label.zh, f.label.en) for f in ctype.fields} if with_claims else None)


def wallet(session: Session, *, citizen_id: str) -> list[WalletItem]:
    """Claimed certificates (revoked ones included, so the holder sees the change) then the ones
    waiting to be claimed; newest first in each."""
    mine = session.scalars(select(Credential).where(Credential.holder_citizen_id == citizen_id,
                                                    Credential.holder_public_key.is_not(None))
                           .order_by(Credential.id.desc()))
    return [_item(session, r) for r in [*mine, *claims.claimable_rows(session, citizen_id=citizen_id)]]


def wallet_item(session: Session, *, citizen_id: str, credential_id: str) -> WalletItem:
    """One certificate of the wallet with its fields: the holder's own (claimed), or one they may
    claim; CredentialNotFound otherwise."""
    row = issuance._row(session, credential_id)
    if not (row.holder_citizen_id == citizen_id and row.holder_public_key is not None):
        try:
            claims._claimable_row(session, citizen_id, credential_id)
        except claims.CredentialNotClaimable:
            raise issuance.CredentialNotFound() from None
    return _item(session, row, with_claims=True)
