"""Verifying on the platform itself (the API and the verifier page): the same checks as the offline
`credentials.verifier`, against this platform's trust store for its city (with the other regions'
lists it recognises, 互认) and the issuers' status lists from the database — both kept in the
server-side cache `online_cache`, honouring the status lists' ttl (a revocation made anywhere on the
platform reaches every verifier within it; one made through this process, at once).

Two kinds of presentation text: the QR text ("OC1:…", COSE/CBOR) and an SD-JWT VC presentation
(`<issuer JWT>~<disclosure>~…~<KB-JWT>`, RFC 9901) whose key-binding JWT must carry the `audience`
and `nonce` the verifier asked for (when it gives them; otherwise only the KB-JWT's age counts).

A verification of one of this platform's certificates that has a holder is recorded in the holder's
access history (`service.record_verification`) once the issuer's signature checked out.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session

from onecity import clock
from onecity.config import get_settings
from onecity.credentials import cwt, jose, online_cache, presentation, sdjwt, service, status_list
from onecity.credentials.trust import TrustStore
from onecity.credentials.verifier import field_names, verify_sdjwt

MAX_TEXT = 20_000
_UNSIGNED = ("malformed", "bad_signature", "unknown_issuer")
_REGISTERED = frozenset({"iss", "sub", "iat", "exp", "nbf", "vct", "cnf", "status", "jti", "aud"})  # not fields


def trust_store(session: Session) -> TrustStore:
    """This platform's trust store, cached for TRUST_TTL (never past the list's exp)."""
    scope = get_settings().city_code
    if online_cache.has_changes(session):
        return service.trust_store(session, scope=scope)

    def load() -> tuple[TrustStore, timedelta, Any]:
        store = service.trust_store(session, scope=scope)
        return store, online_cache.TRUST_TTL, store.root.expires_at

    return online_cache.CACHE.get(online_cache.TRUST, now=clock.now(), load=load)


class CachedStatus:
    """`presentation.StatusCache` (and the `status_of` an SD-JWT check asks) answered from this
    platform's issuers' status lists, each cached for the list's ttl (STATUS_TTL)."""

    def __init__(self, session: Session, store: TrustStore) -> None:
        self.session, self.store = session, store
        self.bypass = online_cache.has_changes(session)

    def _issuer_of(self, uri: str) -> str | None:
        prefix = service.status_list_uri("")
        if not uri.startswith(prefix):
            return None
        issuer_id = uri[len(prefix):]
        return issuer_id if self.store.issuer(issuer_id) is not None else None

    def _list(self, uri: str) -> status_list.StatusList | None:
        issuer_id = self._issuer_of(uri)
        if issuer_id is None:
            return None  # another region's issuer: its list is not in this database

        def load() -> tuple[status_list.StatusList | None, timedelta, Any]:
            try:
                lst: status_list.StatusList | None = service.status_list_of(self.session, issuer_id=issuer_id)
            except Exception:  # noqa: BLE001 - an issuer without a list: status unknown, never a crash
                lst = None
            return lst, service.STATUS_TTL, None

        if self.bypass:
            return load()[0]
        return online_cache.CACHE.get(uri, now=clock.now(), load=load)

    def is_revoked(self, uri: str, idx: int) -> bool | None:
        lst = self._list(uri)
        if lst is None:
            return None
        try:
            return lst.get(idx) != status_list.VALID
        except status_list.StatusListError:
            return None

    def status_of(self, status_claim: Any, *, now: Any = None) -> int | None:
        uri, idx = status_list.reference_of(status_claim)
        lst = self._list(uri)
        return None if lst is None else lst.get(idx)


def verify_text(session: Session, text: Any, *, nonce: bytes | None = None, audience: str | None = None,
                sd_nonce: str | None = None) -> presentation.Verdict:
    """The verdict for a presentation text (QR or SD-JWT), checked against this platform's trust list
    and status lists. Never raises on bad input."""
    if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
        return presentation.Verdict(False, "malformed")
    text = text.strip()
    store = trust_store(session)
    status = CachedStatus(session, store)
    now = clock.now()
    if sdjwt.SEPARATOR in text:
        return verify_sdjwt(text, store=store, status=status, at=now, aud=audience, nonce=sd_nonce)
    return presentation.verify_presentation(text, trust=store, status=status, now=now, nonce=nonce,
                                            types=field_names())


def _status_reference(text: str) -> tuple[str, int] | None:
    """The status list entry a presentation's certificate names (read after its signature checked)."""
    try:
        if sdjwt.SEPARATOR in text:
            _, payload, _, _ = jose.parse_compact(text.split(sdjwt.SEPARATOR, 1)[0])
            return status_list.reference_of(payload.get("status"))
        cert = cwt.parse(presentation.parse_presentation(cwt.decode_qr(text)).certificate).certificate
        if cert.status_uri is None or cert.status_idx is None:
            return None
        return cert.status_uri, cert.status_idx
    except Exception:  # noqa: BLE001 - nothing to record about an unreadable reference
        return None


def verify_online(session: Session, text: Any, *, org_id: str | None = None, purpose: str | None = None,
                  audience: str | None = None, nonce: str | None = None) -> presentation.Verdict:
    """`verify_text`, and the verification recorded in the holder's access history (who: `org_id`,
    or an anonymous verifier; the purpose given; the disclosed fields; the verdict)."""
    verdict = verify_text(session, text, audience=audience, sd_nonce=nonce)
    if verdict.issuer is not None and verdict.reason not in _UNSIGNED:
        ref = _status_reference(text.strip())
        if ref is not None:
            service.record_verification(session, status_uri=ref[0], status_idx=ref[1], org_id=org_id,
                                        purpose=purpose, fields=[k for k in verdict.claims if k not in _REGISTERED] if verdict.ok else [],
                                        verdict=verdict.reason)
    return verdict
