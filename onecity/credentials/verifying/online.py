"""Verifying on the platform itself (the API and the verifier page): the platform's own trust store for
its city (`service.trust_store`) and the issuers' status lists as they stand in the database — the
same checks as the offline `credentials.verifier`, with revocation always current."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.config import get_settings
from onecity.credentials import presentation, service, status_list
from onecity.credentials.trust import TrustStore
from onecity.credentials.verifier import field_names

MAX_TEXT = 20_000


class DbStatus:
    """`presentation.StatusCache` answered from the issuers' status lists in the database."""

    def __init__(self, session: Session, store: TrustStore) -> None:
        self.session, self.store = session, store
        self._lists: dict[str, status_list.StatusList | None] = {}

    def _issuer_of(self, uri: str) -> str | None:
        prefix = service.status_list_uri("")
        if not uri.startswith(prefix):
            return None
        issuer_id = uri[len(prefix):]
        return issuer_id if self.store.issuer(issuer_id) is not None else None

    def is_revoked(self, uri: str, idx: int) -> bool | None:
        if uri not in self._lists:
            issuer_id = self._issuer_of(uri)
            try:
                self._lists[uri] = (service.status_list_of(self.session, issuer_id=issuer_id)
                                    if issuer_id is not None else None)
            except Exception:  # noqa: BLE001 - an issuer without a list: status unknown, never a crash
                self._lists[uri] = None
        lst = self._lists[uri]
        if lst is None:
            return None
        try:
            return lst.get(idx) != status_list.VALID
        except status_list.StatusListError:
            return None


def verify_text(session: Session, text: Any, *, nonce: bytes | None = None) -> presentation.Verdict:
    """The verdict for a QR presentation text, checked against this platform's trust list and status
    lists. Never raises on bad input."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return presentation.Verdict(False, "malformed")
    store = service.trust_store(session, scope=get_settings().city_code)
    return presentation.verify_presentation(text.strip(), trust=store, status=DbStatus(session, store),
                                            now=clock.now(), nonce=nonce, types=field_names())
