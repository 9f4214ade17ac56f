"""Pydantic models of credentials: issuers, their keys, and the content of a verified trust list."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Out(BaseModel):
    model_config = ConfigDict(frozen=True, ser_json_bytes="base64", val_json_bytes="base64")


class IssuerOut(_Out):
    issuer_id: str
    org_id: str
    name: str
    region: str
    alg: str
    created_at: datetime
    active_kid: str | None


class IssuerKeyOut(_Out):
    kid: str
    issuer_id: str
    alg: str
    public_key: bytes
    status: str  # active | retired | revoked
    not_before: datetime
    not_after: datetime | None


class TrustedKey(_Out):
    """An issuer key as a trust list carries it. A certificate signed by it is acceptable when it was
    signed (its `iat`) within [not_before, not_after]; `not_after` is None while the key still signs."""

    kid: str
    alg: str
    public_key: bytes
    status: str  # active | retired
    not_before: datetime
    not_after: datetime | None

    def covers(self, at: datetime) -> bool:
        return self.not_before <= at and (self.not_after is None or at <= self.not_after)


class TrustedIssuer(_Out):
    issuer_id: str
    org_id: str
    name: str
    region: str
    keys: tuple[TrustedKey, ...]


class TrustList(_Out):
    """A verified trust list (信任列表): the issuers of `scope` (a GB/T 2260 region code) and their keys,
    signed by the platform key `platform_kid`, plus the other regions' lists it recognises (互认), each
    verified under the platform key this list vouches for. `dropped` names nested lists left out at
    verification (expired, or not verifiable), as "<scope>: <reason code>"."""

    scope: str
    name: str
    platform_kid: str
    issued_at: datetime
    expires_at: datetime
    issuers: tuple[TrustedIssuer, ...]
    recognised: tuple[TrustList, ...] = ()
    dropped: tuple[str, ...] = Field(default=())


class CredentialOut(_Out):
    """An issued certificate as its issuer (or holder) sees it. `claims` is given for a single
    certificate, left out (None) in lists."""

    credential_id: str
    issuer_id: str
    type_id: str
    holder_citizen_id: str | None
    status: str  # valid | suspended | revoked
    status_uri: str
    status_idx: int
    valid_from: datetime
    valid_until: datetime | None
    issued_at: datetime
    replaced_by: str | None
    claims: dict[str, Any] | None = None
    status_reason: str | None = None  # why it was last suspended, revoked or re-issued


class CredentialIssue(BaseModel):
    """POST /v1/issuer/credentials: a certificate of `type_id` with its claims by field name, for a
    citizen (`cit_…`) or unclaimed (the citizen claims it later)."""

    model_config = ConfigDict(extra="forbid")
    type_id: str = Field(min_length=1, max_length=40)
    claims: dict[str, Any]
    citizen_id: str | None = Field(default=None, max_length=40)
    holder_id_number: str | None = Field(default=None, max_length=18)  # who may claim an unclaimed one


class CredentialReissue(BaseModel):
    """POST /v1/issuer/credentials/{id}/reissue: new claims, or none to re-issue the same ones."""

    model_config = ConfigDict(extra="forbid")
    claims: dict[str, Any] | None = None
    reason: str | None = Field(default=None, max_length=200)


class ImportRow(_Out):
    """One data row of a CSV import: its line number in the file (the header is line 1) and either
    the certificate issued for it or why it was rejected."""

    line: int
    credential_id: str | None = None
    reasons: tuple[str, ...] = ()


class ImportOut(_Out):
    """A CSV import's report (批量签发报告). `replayed` is True when the same file had been uploaded
    before: the earlier report is returned and nothing is issued again."""

    import_id: str
    issuer_id: str
    filename: str
    file_sha256: str
    rows_total: int
    rows_accepted: int
    rows_rejected: int
    accepted: tuple[ImportRow, ...]
    rejected: tuple[ImportRow, ...]
    created_at: datetime
    replayed: bool = False


class ConsentOut(_Out):
    """A citizen's consent (授权) for an organisation to read certificates of `type_ids` for `purpose`."""

    consent_id: str
    citizen_id: str
    org_id: str
    org_name: str | None = None
    purpose: str
    type_ids: tuple[str, ...]
    granted_at: datetime
    expires_at: datetime
    withdrawn_at: datetime | None
    active: bool


class ConsentGrant(BaseModel):
    """POST /v1/me/credential-consents: let `org_id` read these certificate types for `purpose`."""

    model_config = ConfigDict(extra="forbid")
    org_id: str = Field(min_length=1, max_length=40)
    purpose: str = Field(min_length=2, max_length=64)
    type_ids: list[str] = Field(min_length=1, max_length=12)
    days: int = Field(default=90, ge=1, le=365)


class AccessOut(_Out):
    """One online read or verification of a citizen's certificate, as the citizen sees it."""

    access_id: str
    credential_id: str
    type_id: str
    org_id: str | None  # None: an anonymous verifier
    org_name: str | None = None
    channel: str  # read | verification
    purpose: str | None
    fields: tuple[str, ...]
    verdict: str
    at: datetime


class CredentialRead(_Out):
    """GET /v1/credentials/read: a citizen's certificate read online under their consent."""

    credential_id: str
    type_id: str
    issuer_id: str
    valid_until: datetime | None
    claims: dict[str, Any]


class StatusChange(BaseModel):
    """The body of suspend / reinstate / revoke: an optional reason, recorded and shown to the holder."""

    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=200)


class WalletView(_Out):
    """A purpose view the holder can show instead of the full certificate (用途视图)."""

    name: str
    label_zh: str
    label_en: str
    fields: tuple[str, ...]


class WalletItem(_Out):
    """A certificate in the citizen's wallet (证照夹): claimed (bound to their holder key) or waiting
    to be claimed; `status` and `status_changed_at`/`status_reason`/`replaced_by` show the issuer's
    changes. `claims` only for a single certificate."""

    credential_id: str
    type_id: str
    type_name_zh: str
    type_name_en: str
    issuer_name: str
    status: str  # valid | suspended | revoked
    claimed: bool
    issued_at: datetime
    valid_until: datetime | None
    status_changed_at: datetime | None
    status_reason: str | None = None
    replaced_by: str | None
    views: tuple[WalletView, ...]
    claims: dict[str, Any] | None = None
    labels: dict[str, tuple[str, str]] | None = None  # field name -> (zh, en), with claims
