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


class CredentialIssue(BaseModel):
    """POST /v1/issuer/credentials: a certificate of `type_id` with its claims by field name, for a
    citizen (`cit_…`) or unclaimed (the citizen claims it later)."""

    model_config = ConfigDict(extra="forbid")
    type_id: str = Field(min_length=1, max_length=40)
    claims: dict[str, Any]
    citizen_id: str | None = Field(default=None, max_length=40)


class CredentialReissue(BaseModel):
    """POST /v1/issuer/credentials/{id}/reissue: new claims, or none to re-issue the same ones."""

    model_config = ConfigDict(extra="forbid")
    claims: dict[str, Any] | None = None
