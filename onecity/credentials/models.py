"""Tables owned by credentials: issuers and their signing keys, issued certificates and their status
lists. Other modules call `onecity.credentials.service`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from onecity.db import Base, UTCDateTime


class Issuer(Base):
    """An agency registered as an issuer of electronic certificates (签发机构) in a region.

    `org_id` is the agency organisation's public id (`org_…`); `region` the six-digit administrative
    division code (GB/T 2260) whose trust lists carry the issuer, e.g. 440300 Shenzhen, 440000
    Guangdong. `alg` is the algorithm new keys get (EdDSA or SM2)."""

    __tablename__ = "credential_issuer"
    __table_args__ = (Index("ix_credential_issuer_region", "region", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    org_id: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(200))
    region: Mapped[str] = mapped_column(String(6))
    alg: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(40))


class IssuerKey(Base):
    """One signing key of an issuer. At most one is `active` (it signs new certificates); rotation
    retires it: `not_after` becomes the end of its signing period and its private key is destroyed,
    while the public key stays in trust lists so what it signed keeps verifying. `revoked` (a key
    believed compromised) leaves the trust lists altogether. The private key is AES-GCM encrypted at
    rest, bound to the purpose `credentials.issuer_key.<kid>`."""

    __tablename__ = "credential_issuer_key"
    __table_args__ = (Index("ix_credential_issuer_key_issuer", "issuer_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kid: Mapped[str] = mapped_column(String(16), unique=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("credential_issuer.id"))
    alg: Mapped[str] = mapped_column(String(8))
    public_key: Mapped[bytes] = mapped_column(LargeBinary)
    private_key_enc: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))  # active | retired | revoked
    not_before: Mapped[datetime] = mapped_column(UTCDateTime)
    not_after: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CredentialStatusList(Base):
    """An issuer's IETF Token Status List (状态列表): `size` entries of `bits` bits. The status of each
    entry is that of the credential holding its index (`Credential.status_idx`); the list is built
    from them when published, so it never drifts from the credentials."""

    __tablename__ = "credential_status_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("credential_issuer.id"), unique=True)
    uri: Mapped[str] = mapped_column(String(200), unique=True)
    bits: Mapped[int] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Credential(Base):
    """One issued certificate (电子证照). Its claims are AES-GCM encrypted at rest, bound to the purpose
    `credentials.claims.<public_id>`; `holder_citizen_id` and the holder key are set once a citizen
    claims it. `status` valid | suspended | revoked; its entry `status_idx` of its issuer's status list
    (allocated at random, unique per list) says the same to verifiers. A re-issued certificate is
    revoked and points at its replacement (`replaced_by`)."""

    __tablename__ = "credential"
    __table_args__ = (
        UniqueConstraint("status_list_id", "status_idx", name="uq_credential_status_entry"),
        Index("ix_credential_issuer", "issuer_id", "id"),
        Index("ix_credential_holder", "holder_citizen_id", "id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("credential_issuer.id"))
    type_id: Mapped[str] = mapped_column(String(40))
    holder_citizen_id: Mapped[str | None] = mapped_column(String(40))
    claims_enc: Mapped[bytes] = mapped_column(LargeBinary)
    holder_alg: Mapped[str | None] = mapped_column(String(8))
    holder_public_key: Mapped[bytes | None] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16))  # valid | suspended | revoked
    status_list_id: Mapped[int] = mapped_column(ForeignKey("credential_status_list.id"))
    status_idx: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[datetime] = mapped_column(UTCDateTime)
    valid_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(40))
    status_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    replaced_by: Mapped[str | None] = mapped_column(String(40))
    holder_id_index: Mapped[str | None] = mapped_column(String(64), index=True)  # blind index of the holder's ID
    # number (identity.id_number_index) for an unclaimed certificate: who may claim it
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # when the holder key was bound
    status_reason: Mapped[str | None] = mapped_column(String(200))  # why it was last suspended, revoked, re-issued


class CredentialClaim(Base):
    """One claim of a certificate into a citizen's wallet (领取), OpenID4VCI-style: a pre-authorised
    code (only its SHA-256 is kept) created after the citizen's face verification `face_grant_id`,
    single use and short-lived; exchanged once for an access token (SHA-256 kept), itself single use:
    `claimed_at` when the credential endpoint bound the holder key to the certificate."""

    __tablename__ = "credential_claim"
    __table_args__ = (Index("ix_credential_claim_credential", "credential_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    credential_id: Mapped[int] = mapped_column(ForeignKey("credential.id"))
    citizen_id: Mapped[str] = mapped_column(String(40))
    face_grant_id: Mapped[str] = mapped_column(String(40))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    code_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    code_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CredentialImport(Base):
    """One CSV upload of certificates by an issuer (批量签发). `file_sha256` makes an upload idempotent:
    the same file uploaded again returns this record and issues nothing. `report` is the JSON of the
    outcome: rejected rows with their line numbers and reasons, accepted rows with their certificates."""

    __tablename__ = "credential_import"
    __table_args__ = (UniqueConstraint("issuer_id", "file_sha256", name="uq_credential_import_file"),
                      Index("ix_credential_import_issuer", "issuer_id", "id"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    issuer_id: Mapped[int] = mapped_column(ForeignKey("credential_issuer.id"))
    file_sha256: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(200))
    rows_total: Mapped[int] = mapped_column(Integer)
    rows_accepted: Mapped[int] = mapped_column(Integer)
    rows_rejected: Mapped[int] = mapped_column(Integer)
    report: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by: Mapped[str] = mapped_column(String(40))


class CredentialConsent(Base):
    """A citizen's consent (授权) for an organisation to read their certificates of `type_ids`
    (comma-separated) online for one `purpose`, until `expires_at` or until withdrawn."""

    __tablename__ = "credential_consent"
    __table_args__ = (Index("ix_credential_consent_citizen", "citizen_id", "org_id", "purpose"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    citizen_id: Mapped[str] = mapped_column(String(40))
    org_id: Mapped[str] = mapped_column(String(40))
    purpose: Mapped[str] = mapped_column(String(64))
    type_ids: Mapped[str] = mapped_column(String(600))
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CredentialAccess(Base):
    """One online read or verification of a citizen's certificate (访问记录), as the citizen sees it:
    who (`org_id`, or None for an anonymous verifier), the channel (read | verification), the
    purpose, which fields were seen (comma-separated names) and the verdict."""

    __tablename__ = "credential_access"
    __table_args__ = (Index("ix_credential_access_citizen", "citizen_id", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    public_id: Mapped[str] = mapped_column(String(40), unique=True)
    citizen_id: Mapped[str] = mapped_column(String(40))
    credential_id: Mapped[str] = mapped_column(String(40))
    type_id: Mapped[str] = mapped_column(String(40))
    org_id: Mapped[str | None] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str | None] = mapped_column(String(64))
    fields: Mapped[str] = mapped_column(String(1000))
    verdict: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecognisedTrustList(Base):
    """Another region's platform-signed trust list this platform recognises (互认), imported with the
    platform key that signed it; the latest per scope is embedded in this platform's own list."""

    __tablename__ = "credential_recognised_list"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scope: Mapped[str] = mapped_column(String(6), unique=True)
    platform_public: Mapped[bytes] = mapped_column(LargeBinary)
    text: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    imported_by: Mapped[str] = mapped_column(String(40))
