"""The credentials service: issuers (签发机构), their signing keys, and the platform-signed trust lists
(信任列表) that let a verifier anywhere recognise them.

Rules kept here:
- Only an active agency organisation (kind `agency`) becomes an issuer, once; it is registered in a
  region (six-digit GB/T 2260 code) and with an algorithm for its keys (EdDSA by default, or SM2).
- An issuer has at most one active key, which signs everything new. Rotation retires it: its
  signing period ends (`not_after` = now) and its private key is destroyed, so it can never sign
  again, while its public key stays in the trust lists and what it signed keeps verifying. A key
  believed compromised is revoked instead: it leaves the trust lists, and what it signed stops
  verifying once verifiers refresh their list.
- Private keys are encrypted at rest (AES-256-GCM, `onecity.crypto.fields`), bound to the purpose
  `credentials.issuer_key.<kid>`, so a ciphertext copied to another key's row does not decrypt.
- A trust list for a scope lists every issuer whose region falls in it (a province's list holds its
  cities' issuers), with their active and retired keys, and embeds the other regions' lists this
  platform recognises (互认) after verifying them. It is signed with the platform key
  (`platform_key`) and expires after `ttl` (7 days by default): verifiers refresh it before then.
- Registering an issuer, rotating and revoking keys are audited actions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from onecity import clock
from onecity.audit import service as audit
from onecity.authz import Principal
from onecity.config import get_settings
from onecity.credentials import algorithms, cwt, jose, online_cache, platform_key
from onecity.credentials.models import Issuer, IssuerKey, RecognisedTrustList
from onecity.credentials.schemas import IssuerKeyOut, IssuerOut, TrustedIssuer, TrustedKey, TrustList
from onecity.credentials.trust import TrustStore, in_scope, is_region, region_prefix, sign_trust_list
from onecity.credentials.trust import verify_trust_list as _verify_trust_list
from onecity.crypto import fields
from onecity.errors import Conflict, InvalidInput, NotFound
from onecity.identity.orgs import service as orgs
from onecity.ids import new_id

DEFAULT_TTL = timedelta(days=7)
MAX_TTL = timedelta(days=90)


# --- errors ---------------------------------------------------------------------------------------

class IssuerNotFound(NotFound):
    code = "credential_issuer_not_found"
    message_zh = "找不到该签发机构"
    message_en = "No such certificate issuer"


class IssuerNotAnAgency(Conflict):
    code = "credential_issuer_not_agency"
    message_zh = "只有状态正常的政府部门可以登记为证照签发机构"
    message_en = "Only an active government agency may be registered as a certificate issuer"


class IssuerExists(Conflict):
    code = "credential_issuer_exists"
    message_zh = "该机构已登记为签发机构"
    message_en = "This organisation is already a certificate issuer"


class IssuerInputInvalid(InvalidInput):
    code = "credential_issuer_input_invalid"
    message_zh = "签发机构信息有误（名称 1 至 200 字，行政区划代码 6 位数字，算法 EdDSA 或 SM2）"
    message_en = "Issuer details are not valid (name 1-200 characters, a 6-digit region code, EdDSA or SM2)"


class IssuerKeyNotFound(NotFound):
    code = "credential_issuer_key_not_found"
    message_zh = "找不到该签名密钥"
    message_en = "No such issuer key"


class IssuerKeyRetired(Conflict):
    code = "credential_issuer_key_retired"
    message_zh = "该签名密钥已停用，不能再签名"
    message_en = "This issuer key is retired and can no longer sign"


class IssuerKeyActive(Conflict):
    code = "credential_issuer_key_active"
    message_zh = "当前在用的密钥须通过轮换（标记为已泄露）来吊销"
    message_en = "Revoke the active key by rotating it as compromised"


class TrustScopeInvalid(InvalidInput):
    code = "trust_list_scope_invalid"
    message_zh = "信任列表范围须为 6 位行政区划代码，有效期 1 小时至 90 天"
    message_en = "A trust list's scope is a 6-digit region code and its lifetime 1 hour to 90 days"


# --- helpers --------------------------------------------------------------------------------------

def _purpose(kid: str) -> str:
    return f"credentials.issuer_key.{kid}"


def _actor_id(actor: Principal | str) -> str:
    return ((actor.id or actor.kind) if isinstance(actor, Principal) else actor)[:40]


def _issuer(session: Session, issuer_id: str, *, lock: bool = False) -> Issuer:
    q = select(Issuer).where(Issuer.public_id == issuer_id)
    if lock:
        q = q.with_for_update()
    row = session.scalars(q).one_or_none()
    if row is None:
        raise IssuerNotFound()
    return row


def _keys(session: Session, issuer: Issuer) -> list[IssuerKey]:
    return list(session.scalars(select(IssuerKey).where(IssuerKey.issuer_id == issuer.id)
                                .order_by(IssuerKey.id.desc())))


def _active(session: Session, issuer: Issuer) -> IssuerKey | None:
    return session.scalars(select(IssuerKey).where(IssuerKey.issuer_id == issuer.id, IssuerKey.status == "active")
                           .order_by(IssuerKey.id.desc())).first()


def _issuer_out(session: Session, issuer: Issuer) -> IssuerOut:
    active = _active(session, issuer)
    return IssuerOut(issuer_id=issuer.public_id, org_id=issuer.org_id, name=issuer.name, region=issuer.region,
                     alg=issuer.alg, created_at=issuer.created_at, active_kid=active.kid if active else None)


def _key_out(issuer: Issuer, k: IssuerKey) -> IssuerKeyOut:
    return IssuerKeyOut(kid=k.kid, issuer_id=issuer.public_id, alg=k.alg, public_key=k.public_key, status=k.status,
                        not_before=k.not_before, not_after=k.not_after)


def _new_key(session: Session, issuer: Issuer, alg: str, now: datetime) -> IssuerKey:
    pair = algorithms.generate(alg)
    kid = algorithms.key_id(alg, pair.public)
    key = IssuerKey(kid=kid, issuer_id=issuer.id, alg=alg, public_key=pair.public,
                    private_key_enc=fields.encrypt(pair.private, purpose=_purpose(kid)), status="active",
                    not_before=now, created_at=now)
    session.add(key)
    session.flush()
    return key


def _end(key: IssuerKey, status: str, now: datetime) -> None:
    """Stop a key signing for good: its period ends now and its private key is destroyed."""
    key.status = status
    key.not_after = key.not_after or now
    key.private_key_enc = None
    key.status_changed_at = now


# --- issuers --------------------------------------------------------------------------------------

def register_issuer(session: Session, *, org_id: str, name: str, region: str, alg: str = "EdDSA",
                    actor: Principal | str = "system") -> IssuerOut:
    """Register an agency as an issuer in `region`, with a first active key of algorithm `alg`."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 200 or not is_region(region) or alg not in algorithms.ALGS:
        raise IssuerInputInvalid()
    try:
        org = orgs.get_org(session, org_id)
    except orgs.OrgNotFound as exc:
        raise IssuerNotAnAgency() from exc
    if org.kind != "agency" or org.status != "active":
        raise IssuerNotAnAgency()
    if session.scalars(select(Issuer.id).where(Issuer.org_id == org.public_id)).first() is not None:
        raise IssuerExists()
    now = clock.now()
    issuer = Issuer(public_id=new_id("iss"), org_id=org.public_id, name=name, region=region, alg=alg,
                    created_at=now, created_by=_actor_id(actor))
    session.add(issuer)
    session.flush()
    key = _new_key(session, issuer, alg, now)
    online_cache.mark_changed(session, online_cache.TRUST)
    audit.record(session, actor=actor, action="credential_issuer.register", subject_citizen_id=None,
                 resource=f"credential_issuer/{issuer.public_id}", on_behalf_of=org.public_id,
                 reason=f"登记证照签发机构 register certificate issuer “{name}” ({region}), key {alg} {key.kid}")
    return _issuer_out(session, issuer)


def get_issuer(session: Session, issuer_id: str) -> IssuerOut:
    return _issuer_out(session, _issuer(session, issuer_id))


def issuer_of_org(session: Session, org_id: str) -> IssuerOut | None:
    """The issuer an organisation is registered as, if any."""
    row = session.scalars(select(Issuer).where(Issuer.org_id == org_id)).one_or_none()
    return _issuer_out(session, row) if row is not None else None


def list_issuers(session: Session, *, scope: str | None = None) -> list[IssuerOut]:
    """Every issuer, or those whose region falls in `scope`, oldest first."""
    q = select(Issuer).order_by(Issuer.id)
    if scope is not None:
        if not is_region(scope):
            raise TrustScopeInvalid()
        q = q.where(Issuer.region.startswith(region_prefix(scope)))
    return [_issuer_out(session, i) for i in session.scalars(q)]


# --- keys -----------------------------------------------------------------------------------------

def rotate_key(session: Session, *, issuer_id: str, alg: str | None = None, compromised: bool = False,
               actor: Principal | str = "system") -> IssuerKeyOut:
    """Give the issuer a new active key (of `alg`, default its current algorithm, which it then
    keeps). The old active key is retired — or revoked when `compromised` — and can never sign again."""
    if alg is not None and alg not in algorithms.ALGS:
        raise IssuerInputInvalid()
    issuer = _issuer(session, issuer_id, lock=True)
    now = clock.now()
    old = _active(session, issuer)
    if old is not None:
        _end(old, "revoked" if compromised else "retired", now)
    issuer.alg = alg or issuer.alg
    key = _new_key(session, issuer, issuer.alg, now)
    online_cache.mark_changed(session, online_cache.TRUST)
    what = "吊销并更换 revoke and replace" if compromised else "轮换 rotate"
    audit.record(session, actor=actor, action="credential_issuer.rotate_key", subject_citizen_id=None,
                 resource=f"credential_issuer/{issuer.public_id}", on_behalf_of=issuer.org_id,
                 reason=f"{what} signing key {old.kid if old else '—'} -> {issuer.alg} {key.kid}")
    return _key_out(issuer, key)


def revoke_key(session: Session, *, issuer_id: str, kid: str, actor: Principal | str = "system") -> IssuerKeyOut:
    """Revoke a retired key found compromised after rotation (an active key is replaced with
    `rotate_key(compromised=True)`, so the issuer is never left without a key). Idempotent."""
    issuer = _issuer(session, issuer_id, lock=True)
    key = next((k for k in _keys(session, issuer) if k.kid == kid), None)
    if key is None:
        raise IssuerKeyNotFound()
    if key.status == "active":
        raise IssuerKeyActive()
    if key.status != "revoked":
        _end(key, "revoked", clock.now())
        online_cache.mark_changed(session, online_cache.TRUST)
        audit.record(session, actor=actor, action="credential_issuer.revoke_key", subject_citizen_id=None,
                     resource=f"credential_issuer/{issuer.public_id}", on_behalf_of=issuer.org_id,
                     reason=f"吊销签名密钥 revoke signing key {kid}")
    return _key_out(issuer, key)


def active_key(session: Session, *, issuer_id: str) -> IssuerKeyOut:
    issuer = _issuer(session, issuer_id)
    key = _active(session, issuer)
    if key is None:
        raise IssuerKeyNotFound()
    return _key_out(issuer, key)


def issuer_keys(session: Session, *, issuer_id: str) -> list[IssuerKeyOut]:
    """Every key the issuer has had, newest first."""
    issuer = _issuer(session, issuer_id)
    return [_key_out(issuer, k) for k in _keys(session, issuer)]


@dataclass(frozen=True)
class Signer:
    """An issuer's active key, able to sign (what `cwt`/`sdjwt` issuance calls). Keep it for one
    issuance: it holds the decrypted private key."""

    issuer_id: str
    kid: str
    alg: str
    public_key: bytes
    _private: bytes = field(repr=False)

    def sign(self, message: bytes) -> bytes:
        return algorithms.sign(self.alg, self._private, message, public=self.public_key)

    def sign_certificate(self, cert: cwt.Certificate) -> bytes:
        return cwt.sign_certificate(cert, alg=self.alg, private=self._private, kid=self.kid, public=self.public_key)

    def sign_view(self, full: bytes, *, view: str, fields: Sequence[int]) -> bytes:
        return cwt.sign_view(full, view=view, fields=fields, alg=self.alg, private=self._private, kid=self.kid,
                             public=self.public_key)

    def jose_key(self) -> jose.SigningKey:
        """The key as a JOSE signing key (EdDSA only: SM2 has no JOSE registration; raises JoseError)."""
        return jose.signing_key(self.alg, self._private)


def signer(session: Session, *, issuer_id: str, kid: str | None = None) -> Signer:
    """The issuer's active key as a Signer. Naming a retired or revoked `kid` raises IssuerKeyRetired:
    only the active key signs."""
    issuer = _issuer(session, issuer_id)
    if kid is None:
        key = _active(session, issuer)
        if key is None:
            raise IssuerKeyNotFound()
    else:
        key = next((k for k in _keys(session, issuer) if k.kid == kid), None)
        if key is None:
            raise IssuerKeyNotFound()
    if key.status != "active" or key.private_key_enc is None:
        raise IssuerKeyRetired()
    private = fields.decrypt(key.private_key_enc, purpose=_purpose(key.kid))
    return Signer(issuer_id=issuer.public_id, kid=key.kid, alg=key.alg, public_key=key.public_key, _private=private)


# --- trust lists ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class RecognisedList:
    """Another region's trust list this platform recognises, with the platform key that signed it."""

    platform_public: bytes
    text: str


def trusted_issuers(session: Session, *, scope: str) -> list[TrustedIssuer]:
    """The issuers of `scope` with their active and retired keys, as a trust list carries them."""
    if not is_region(scope):
        raise TrustScopeInvalid()
    out = []
    for issuer in session.scalars(select(Issuer).where(Issuer.region.startswith(region_prefix(scope)))
                                  .order_by(Issuer.id)):
        keys = tuple(TrustedKey(kid=k.kid, alg=k.alg, public_key=k.public_key, status=k.status,
                                not_before=k.not_before, not_after=k.not_after)
                     for k in reversed(_keys(session, issuer)) if k.status in ("active", "retired"))
        if keys and in_scope(issuer.region, scope):
            out.append(TrustedIssuer(issuer_id=issuer.public_id, org_id=issuer.org_id, name=issuer.name,
                                     region=issuer.region, keys=keys))
    return out


def build_trust_list(session: Session, *, scope: str, name: str | None = None,
                     recognised: Sequence[RecognisedList] = (), ttl: timedelta = DEFAULT_TTL) -> str:
    """The platform-signed trust list of `scope` (JWS compact; see `trust`). Each recognised list is
    verified first (a bad or expired one raises the trust-list error): the platform vouches only for
    lists it could verify itself."""
    if not is_region(scope) or not timedelta(hours=1) <= ttl <= MAX_TTL:
        raise TrustScopeInvalid()
    now = clock.now()
    nested = []
    for r in recognised:
        inner = _verify_trust_list(r.text, r.platform_public, now=now)
        nested.append((inner.scope, r.platform_public, r.text.strip()))
    settings = get_settings()
    label = name or (settings.city_name if scope == settings.city_code else scope)
    pair = platform_key.platform_keypair()
    return sign_trust_list(scope=scope, name=label, issuers=trusted_issuers(session, scope=scope),
                           recognised=nested, issued_at=now, expires_at=now + ttl, platform_private=pair.private)


def verify_trust_list(text: str, platform_public: bytes | Sequence[bytes] | None = None, *,
                      now: datetime | None = None) -> TrustList:
    """A trust list's content once verified under `platform_public` (default: this platform's key)
    and in date; raises the `trust` module's TrustList* errors otherwise."""
    keys = platform_key.platform_public() if platform_public is None else platform_public
    return _verify_trust_list(text, keys, now=now or clock.now())


def trust_store(session: Session, *, scope: str) -> TrustStore:
    """This platform's own trust store for `scope`, straight from the database (for online verifiers),
    with the other regions' lists this platform recognises (互认) embedded."""
    text = build_trust_list(session, scope=scope, recognised=recognised_lists(session))
    return TrustStore(verify_trust_list(text))


# --- mutual recognition (互认) ----------------------------------------------------------------------

def import_recognised_list(session: Session, *, text: str, platform_public: bytes,
                           actor: Principal | str = "system") -> TrustList:
    """Recognise another region's trust list: verified under `platform_public` (its platform's key,
    obtained out of band) and in date, it replaces the list held for its scope and is embedded in
    this platform's own trust list from now on, so its issuers' certificates verify here. Audited."""
    content = verify_trust_list(text, platform_public)
    own = get_settings().city_code
    if content.scope == own:
        raise TrustScopeInvalid(detail="a region does not recognise its own list")
    now = clock.now()
    row = session.scalars(select(RecognisedTrustList).where(RecognisedTrustList.scope == content.scope)
                          .with_for_update()).one_or_none()
    if row is None:
        row = RecognisedTrustList(scope=content.scope, platform_public=platform_public, text=text.strip(),
                                  expires_at=content.expires_at, imported_at=now, imported_by=_actor_id(actor))
        session.add(row)
    else:
        row.platform_public, row.text, row.expires_at = platform_public, text.strip(), content.expires_at
        row.imported_at, row.imported_by = now, _actor_id(actor)
    session.flush()
    online_cache.mark_changed(session, online_cache.TRUST)
    audit.record(session, actor=actor, action="credential_trust.recognise", subject_citizen_id=None,
                 resource=f"credential_recognised_list/{content.scope}", on_behalf_of=None,
                 reason=f"互认信任列表 recognise the trust list of {content.scope} “{content.name}”, "
                        f"{len(content.issuers)} issuer(s), until {content.expires_at.isoformat()}")
    return content


def recognised_lists(session: Session) -> list[RecognisedList]:
    """The recognised lists still in date (an expired one is left out until a fresh one is imported)."""
    now = clock.now()
    rows = session.scalars(select(RecognisedTrustList).where(RecognisedTrustList.expires_at > now)
                           .order_by(RecognisedTrustList.scope))
    out = []
    for r in rows:
        try:
            _verify_trust_list(r.text, r.platform_public, now=now)
        except (ValueError, InvalidInput):
            continue
        out.append(RecognisedList(platform_public=r.platform_public, text=r.text))
    return out
