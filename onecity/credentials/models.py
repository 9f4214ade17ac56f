"""Tables owned by credentials: issuers and their signing keys. Other modules call
`onecity.credentials.service`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, LargeBinary, String
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
