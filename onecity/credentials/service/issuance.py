"""Issued certificates (电子证照) and the issuers' status lists (状态列表).

Rules kept here:
- A certificate is of a known type; its claims are checked and normalised against the type
  (`types.validate_claims`) and encrypted at rest (AES-256-GCM, `onecity.crypto.fields`), bound to
  the purpose `credentials.claims.<credential id>`. It is for a citizen (`cit_…`), or unclaimed until
  a citizen claims it.
- Validity starts at issuance and ends after the type's `days`, or at the end (Beijing time) of the
  date in the type's `until_field`.
- Each issuer has one status list of STATUS_LIST_SIZE entries of STATUS_BITS bits; every certificate
  gets an entry at random (`status_list.IndexAllocator`), never reused (unique per list). The list
  is built from the certificates' statuses when published, signed by the issuer's active key
  (JWT or CWT form), with a time-to-live of STATUS_TTL: a revocation reaches every verifier within it.
- valid ⇄ suspended (暂停/恢复); valid or suspended → revoked (吊销, final). Re-issue (补发/换发) revokes
  and issues a new one, which the old one names in `replaced_by`. Repeating a change already made
  is a no-op (no event, no audit entry); a change out of `revoked` is refused.
- Every change emits an outbox event (`credentials.issued|suspended|reinstated|revoked|reissued`)
  and is audited.
- A certificate is signed for a holder key on request (`signed_certificate`, `signed_views`) with the
  issuer's active key, carrying the holder key (`cnf`) and the status reference; a revoked one is not.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta, timezone
from typing import Any, Literal, overload

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock, outbox
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.credentials import algorithms, cwt, jose, online_cache, status_list, types
from onecity.credentials.models import Credential, CredentialStatusList, Issuer
from onecity.credentials.schemas import CredentialOut
from onecity.credentials.service import issuers
from onecity.crypto import fields
from onecity.errors import Conflict, InvalidInput, NotFound
from onecity.identity import service as identity
from onecity.ids import new_id

STATUS_BITS = 2  # VALID, INVALID (revoked) and SUSPENDED
STATUS_LIST_SIZE = 1 << 16  # 16 KiB packed; compresses to almost nothing while mostly valid
STATUS_TTL = timedelta(minutes=5)
STATUS_EXP = timedelta(days=1)
_STATUS_VALUE = {"valid": status_list.VALID, "suspended": status_list.SUSPENDED, "revoked": status_list.INVALID}
_BEIJING = timezone(timedelta(hours=8))


# --- errors ---------------------------------------------------------------------------------------

class CredentialNotFound(NotFound):
    code = "credential_not_found"
    message_zh = "找不到该证照"
    message_en = "No such certificate"


class CredentialStateConflict(Conflict):
    code = "credential_status_conflict"
    message_zh = "证照已吊销，不能再变更状态"
    message_en = "The certificate is revoked and its status can no longer change"


class CredentialNotValid(Conflict):
    code = "credential_not_valid"
    message_zh = "证照已吊销，不能再签发出示用证照"
    message_en = "The certificate is revoked and cannot be signed for showing"


class HolderKeyInvalid(InvalidInput):
    code = "credential_holder_key_invalid"
    message_zh = "持证人公钥无效（算法须为 EdDSA 或 SM2）"
    message_en = "The holder's public key is not valid (EdDSA or SM2)"


class StatusListFull(Conflict):
    code = "credential_status_list_full"
    message_zh = "该签发机构的状态列表已满"
    message_en = "The issuer's status list is full"


class StatusListUnsupported(Conflict):
    code = "credential_status_list_unsupported"
    message_zh = "该签发机构的签名算法（SM2）只能签发 CWT 形式的状态列表"
    message_en = "This issuer's algorithm (SM2) signs status lists in CWT form only"


# --- helpers --------------------------------------------------------------------------------------

def status_list_uri(issuer_id: str) -> str:
    """The `uri` (token `sub`) of an issuer's status list, served at GET /v1/status-lists/<issuer_id>."""
    return f"urn:onecity:status-list:{issuer_id}"


def _purpose(public_id: str) -> str:
    return f"credentials.claims.{public_id}"


def _claims(row: Credential) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(fields.decrypt_str(row.claims_enc, purpose=_purpose(row.public_id)))
    return data


def _status_list(session: Session, issuer: Issuer, *, lock: bool = False) -> CredentialStatusList:
    """The issuer's status list, opened on first use."""
    q = select(CredentialStatusList).where(CredentialStatusList.issuer_id == issuer.id)
    row = session.scalars(q.with_for_update() if lock else q).one_or_none()
    if row is None:
        row = CredentialStatusList(issuer_id=issuer.id, uri=status_list_uri(issuer.public_id), bits=STATUS_BITS,
                                   size=STATUS_LIST_SIZE, created_at=clock.now())
        session.add(row)
        session.flush()
    return row


def _out(session: Session, row: Credential, *, with_claims: bool = False) -> CredentialOut:
    issuer = session.get(Issuer, row.issuer_id)
    sl = session.get(CredentialStatusList, row.status_list_id)
    assert issuer is not None and sl is not None
    return CredentialOut(credential_id=row.public_id, issuer_id=issuer.public_id, type_id=row.type_id,
                         holder_citizen_id=row.holder_citizen_id, status=row.status, status_uri=sl.uri,
                         status_idx=row.status_idx, valid_from=row.valid_from, valid_until=row.valid_until,
                         issued_at=row.issued_at, replaced_by=row.replaced_by, status_reason=row.status_reason,
                         claims=_claims(row) if with_claims else None)


def _valid_until(ctype: types.CredentialType, claims: dict[str, Any], now: datetime) -> datetime | None:
    if ctype.validity.days is not None:
        return now + timedelta(days=ctype.validity.days)
    if ctype.validity.until_field is not None and ctype.validity.until_field in claims:
        day = date.fromisoformat(claims[ctype.validity.until_field]) + timedelta(days=1)
        return datetime.combine(day, time(0), _BEIJING).astimezone(UTC)
    return None


def _row(session: Session, credential_id: str, *, issuer_id: str | None = None, lock: bool = False) -> Credential:
    q = select(Credential).where(Credential.public_id == credential_id)
    if issuer_id is not None:
        q = q.join(Issuer, Issuer.id == Credential.issuer_id).where(Issuer.public_id == issuer_id)
    row = session.scalars(q.with_for_update() if lock else q).one_or_none()
    if row is None:
        raise CredentialNotFound()
    return row


def _record(session: Session, row: Credential, issuer: Issuer, *, actor: Principal | str, event: str,
            reason: str) -> None:
    outbox.emit(session, f"credentials.{event}", {
        "credential_id": row.public_id, "issuer_id": issuer.public_id, "type_id": row.type_id,
        "holder_citizen_id": row.holder_citizen_id, "status": row.status, "replaced_by": row.replaced_by})
    audit.record(session, actor=actor, action=f"credential.{event}", subject_citizen_id=row.holder_citizen_id,
                 resource=f"credential/{row.public_id}", on_behalf_of=issuer.org_id, reason=reason)


# --- issuing --------------------------------------------------------------------------------------

def issue_credential(session: Session, *, issuer_id: str, type_id: str, claims: dict[str, Any],
                     citizen_id: str | None = None, actor: Principal | str = "system",
                     holder_id_number: str | None = None) -> CredentialOut:
    """Issue a certificate of `type_id` (UnknownType) with `claims` by field name (ClaimsInvalid lists
    every problem), for `citizen_id` or unclaimed. `holder_id_number` (kept as a blind index) lets the
    citizen holding that ID number claim an unclaimed certificate (`service.claims`)."""
    ctype = types.get_type(type_id)
    normalised = types.validate_claims(ctype, claims)
    holder_index = None
    if holder_id_number is not None:
        number = holder_id_number.strip().upper()
        if not types.id_number_ok(number):
            raise types.ClaimsInvalid(detail="holder_id_number: not a valid resident ID number")
        holder_index = identity.id_number_index(number)
    if citizen_id is not None:
        identity.get_citizen(session, citizen_id)  # CitizenNotFound
    issuer = issuers._issuer(session, issuer_id, lock=True)  # one issuance at a time per issuer: the list's entries
    sl = _status_list(session, issuer, lock=True)
    used = session.scalars(select(Credential.status_idx).where(Credential.status_list_id == sl.id))
    try:
        idx = status_list.IndexAllocator(sl.size, used).allocate()
    except status_list.StatusListError as exc:
        raise StatusListFull() from exc
    now = clock.now()
    public_id = new_id("crd")
    row = Credential(public_id=public_id, issuer_id=issuer.id, type_id=ctype.id, holder_citizen_id=citizen_id,
                     claims_enc=fields.encrypt(json.dumps(normalised, ensure_ascii=False), purpose=_purpose(public_id)),
                     status="valid", status_list_id=sl.id, status_idx=idx, valid_from=now,
                     valid_until=_valid_until(ctype, normalised, now), issued_at=now, issued_by=issuers._actor_id(actor),
                     holder_id_index=holder_index)
    session.add(row)
    session.flush()
    _record(session, row, issuer, actor=actor, event="issued",
            reason=f"签发证照 issue certificate “{ctype.name.zh}” ({ctype.id})")
    return _out(session, row, with_claims=True)


def _reason(reason: str | None) -> str | None:
    text = " ".join((reason or "").split())[:200]
    return text or None


def _change(session: Session, *, issuer_id: str, credential_id: str, to: str, event: str, what: str,
            actor: Principal | str, allowed_from: tuple[str, ...], reason: str | None = None) -> CredentialOut:
    row = _row(session, credential_id, issuer_id=issuer_id, lock=True)
    if row.status != to:
        if row.status not in allowed_from:
            raise CredentialStateConflict()
        row.status = to
        row.status_changed_at = clock.now()
        row.status_reason = _reason(reason)
        issuer = session.get(Issuer, row.issuer_id)
        assert issuer is not None
        why = f": {row.status_reason}" if row.status_reason else ""
        _record(session, row, issuer, actor=actor, event=event, reason=f"{what} certificate {row.type_id}{why}")
        online_cache.mark_changed(session, status_list_uri(issuer.public_id))
    return _out(session, row)


def suspend_credential(session: Session, *, issuer_id: str, credential_id: str,
                       actor: Principal | str = "system", reason: str | None = None) -> CredentialOut:
    return _change(session, issuer_id=issuer_id, credential_id=credential_id, to="suspended", event="suspended",
                   what="暂停证照 suspend", actor=actor, allowed_from=("valid",), reason=reason)


def reinstate_credential(session: Session, *, issuer_id: str, credential_id: str,
                         actor: Principal | str = "system", reason: str | None = None) -> CredentialOut:
    return _change(session, issuer_id=issuer_id, credential_id=credential_id, to="valid", event="reinstated",
                   what="恢复证照 reinstate", actor=actor, allowed_from=("suspended",), reason=reason)


def revoke_credential(session: Session, *, issuer_id: str, credential_id: str,
                      actor: Principal | str = "system", reason: str | None = None) -> CredentialOut:
    return _change(session, issuer_id=issuer_id, credential_id=credential_id, to="revoked", event="revoked",
                   what="吊销证照 revoke", actor=actor, allowed_from=("valid", "suspended"), reason=reason)


def reissue_credential(session: Session, *, issuer_id: str, credential_id: str,
                       claims: dict[str, Any] | None = None, actor: Principal | str = "system",
                       reason: str | None = None) -> CredentialOut:
    """Revoke the certificate and issue its replacement (the same claims, or `claims`) to the same
    holder; the old one's `replaced_by` names the new one, which is returned."""
    old = _row(session, credential_id, issuer_id=issuer_id, lock=True)
    if old.status == "revoked":
        raise CredentialStateConflict()
    new = issue_credential(session, issuer_id=issuer_id, type_id=old.type_id,
                           claims=claims if claims is not None else _claims(old),
                           citizen_id=old.holder_citizen_id, actor=actor)
    old.status = "revoked"
    old.status_changed_at = clock.now()
    old.replaced_by = new.credential_id
    _row(session, new.credential_id).holder_id_index = old.holder_id_index  # the same holder may claim it
    old.status_reason = _reason(reason)
    issuer = session.get(Issuer, old.issuer_id)
    assert issuer is not None
    why = f": {old.status_reason}" if old.status_reason else ""
    _record(session, old, issuer, actor=actor, event="reissued",
            reason=f"补发证照 re-issue certificate {old.type_id} as {new.credential_id}{why}")
    online_cache.mark_changed(session, status_list_uri(issuer.public_id))
    return new


# --- reading --------------------------------------------------------------------------------------

def get_credential(session: Session, *, credential_id: str, issuer_id: str | None = None,
                   citizen_id: str | None = None) -> CredentialOut:
    """One certificate with its claims, seen by its issuer or its holder (when named)."""
    row = _row(session, credential_id, issuer_id=issuer_id)
    if citizen_id is not None and row.holder_citizen_id != citizen_id:
        raise CredentialNotFound()
    return _out(session, row, with_claims=True)


def list_issued(session: Session, *, issuer_id: str, status: str | None = None, limit: int = 50,
                before: str | None = None) -> list[CredentialOut]:
    """An issuer's certificates, newest first; `before` a credential id to page on."""
    issuer = issuers._issuer(session, issuer_id)
    q = select(Credential).where(Credential.issuer_id == issuer.id)
    if status is not None:
        q = q.where(Credential.status == status)
    if before is not None:
        q = q.where(Credential.id < _row(session, before, issuer_id=issuer_id).id)
    rows = session.scalars(q.order_by(Credential.id.desc()).limit(max(1, min(limit, 200))))
    return [_out(session, r) for r in rows]


def list_for_citizen(session: Session, *, citizen_id: str) -> list[CredentialOut]:
    """The certificates issued to a citizen, newest first (revoked ones included: the holder sees the change)."""
    rows = session.scalars(select(Credential).where(Credential.holder_citizen_id == citizen_id)
                           .order_by(Credential.id.desc()))
    return [_out(session, r) for r in rows]


# --- signing --------------------------------------------------------------------------------------

def _ts(when: datetime | None) -> int | None:
    return None if when is None else int(when.timestamp())


def _certificate(session: Session, row: Credential, holder_public: bytes, holder_alg: str) -> cwt.Certificate:
    if row.status == "revoked":
        raise CredentialNotValid()
    if holder_alg not in algorithms.ALGS:
        raise HolderKeyInvalid()
    try:
        algorithms.cose_key(holder_alg, holder_public)
    except Exception as exc:  # a malformed key of either algorithm
        raise HolderKeyInvalid() from exc
    ctype = types.get_type(row.type_id)
    named: dict[str, Any] = {}
    for name, value in _claims(row).items():
        named[name] = date.fromisoformat(value) if ctype.field(name).type == "date" else value
    sl = session.get(CredentialStatusList, row.status_list_id)
    assert sl is not None
    return cwt.Certificate(issuer=None, type_id=ctype.code, claims=types.to_claim_keys(ctype, named),
                           holder_alg=holder_alg, holder_public=holder_public, issued_at=int(clock.now().timestamp()),
                           expires_at=_ts(row.valid_until), status_uri=sl.uri, status_idx=row.status_idx)


def signed_certificate(session: Session, *, credential_id: str, holder_public: bytes, holder_alg: str) -> bytes:
    """The COSE_Sign1 certificate signed now with the issuer's active key, bound to the holder's key
    (`cnf`) and carrying its status reference."""
    row = _row(session, credential_id)
    cert = _certificate(session, row, holder_public, holder_alg)
    issuer = session.get(Issuer, row.issuer_id)
    assert issuer is not None
    return issuers.signer(session, issuer_id=issuer.public_id).sign_certificate(cert)


def signed_views(session: Session, *, credential_id: str, holder_public: bytes, holder_alg: str) -> dict[str, bytes]:
    """The full certificate (under "full") and each of its type's purpose views, all signed now."""
    row = _row(session, credential_id)
    cert = _certificate(session, row, holder_public, holder_alg)
    issuer = session.get(Issuer, row.issuer_id)
    assert issuer is not None
    key = issuers.signer(session, issuer_id=issuer.public_id)
    full = key.sign_certificate(cert)
    out = {"full": full}
    ctype = types.get_type(row.type_id)
    for view, spec in ctype.views.items():
        keys = [k for k in (ctype.field(n).key for n in spec.fields) if k in cert.claims]
        if keys:
            out[view] = key.sign_view(full, view=view, fields=keys)
    return out


# --- status lists ---------------------------------------------------------------------------------

def status_list_of(session: Session, *, issuer_id: str) -> status_list.StatusList:
    """The issuer's status list as it stands (every entry from its certificate's status)."""
    issuer = issuers._issuer(session, issuer_id)
    sl = session.scalars(select(CredentialStatusList).where(CredentialStatusList.issuer_id == issuer.id)).one_or_none()
    if sl is None:  # nothing issued yet: an all-valid list (opened at the first issuance)
        return status_list.StatusList.new(STATUS_LIST_SIZE, bits=STATUS_BITS)
    out = status_list.StatusList.new(sl.size, bits=sl.bits)
    for idx, status in session.execute(select(Credential.status_idx, Credential.status)
                                       .where(Credential.status_list_id == sl.id, Credential.status != "valid")):
        out.set(idx, _STATUS_VALUE[status])
    return out


@overload
def publish_status_list(session: Session, *, issuer_id: str, form: Literal["jwt"] = "jwt") -> str: ...
@overload
def publish_status_list(session: Session, *, issuer_id: str, form: Literal["cwt"]) -> bytes: ...


def publish_status_list(session: Session, *, issuer_id: str, form: Literal["jwt", "cwt"] = "jwt") -> str | bytes:
    """The issuer's Status List Token signed now with its active key: JWT (compact text) or CWT
    (COSE_Sign1 bytes), with `ttl` STATUS_TTL and `exp` a day on. An SM2 issuer publishes the CWT
    form only (SM2 has no JOSE registration): asking it for a JWT raises StatusListUnsupported."""
    lst = status_list_of(session, issuer_id=issuer_id)
    key = issuers.signer(session, issuer_id=issuer_id)
    now = clock.now()
    uri = status_list_uri(issuer_id)
    ttl = int(STATUS_TTL.total_seconds())
    if form == "cwt" and key.alg not in jose_algs():
        return status_list.sign_cwt_with(lst, cose_alg=algorithms.COSE_ALGS[key.alg], sign=key.sign, sub=uri, iat=now,
                                         exp=now + STATUS_EXP, ttl=ttl, kid=key.kid.encode(), iss=issuer_id)
    try:
        jkey = key.jose_key()
    except jose.JoseError as exc:
        raise StatusListUnsupported() from exc
    if form == "cwt":
        return status_list.sign_cwt(lst, key=jkey, sub=uri, iat=now, exp=now + STATUS_EXP, ttl=ttl,
                                    kid=key.kid.encode(), iss=issuer_id)
    return status_list.sign_jwt(lst, key=jkey, sub=uri, iat=now, exp=now + STATUS_EXP, ttl=ttl, kid=key.kid,
                                iss=issuer_id)


def jose_algs() -> tuple[str, ...]:
    """The issuer algorithms that also sign JOSE (JWT status lists, SD-JWT VCs): EdDSA, not SM2."""
    return ("EdDSA",)
