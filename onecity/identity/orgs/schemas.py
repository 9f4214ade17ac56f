"""Requests and responses of organisations, staff, API keys and the console sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from onecity.identity.orgs.models import ApiKey, Org, Staff

OrgKind = Literal["city", "merchant", "hospital", "pharmacy", "agency", "biller", "transit", "insurer"]
Status = Literal["active", "suspended"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- requests -------------------------------------------------------------------------------------

class StaffCreate(_In):
    username: str = Field(min_length=3, max_length=64, examples=["zhang.wei"])
    display_name: str = Field(min_length=1, max_length=100, examples=["张伟"])
    password: str = Field(min_length=1, max_length=128)
    roles: list[str] = Field(default_factory=lambda: ["operator"], max_length=20, examples=[["cashier"]])


class OwnerCreate(_In):
    username: str = Field(min_length=3, max_length=64)
    display_name: str = Field(min_length=1, max_length=100)
    password: str = Field(min_length=1, max_length=128)


class OrgCreate(_In):
    """A new organisation and its first staff member (role `owner`)."""

    kind: OrgKind
    name_zh: str = Field(min_length=1, max_length=200, examples=["福田便利店"])
    name_en: str | None = Field(default=None, max_length=200)
    uscc: str = Field(min_length=18, max_length=18, description="统一社会信用代码 (GB 32100)",
                      examples=["9144030071526726XG"])
    owner: OwnerCreate


class StatusChange(_In):
    status: Status
    reason: str = Field(min_length=1, max_length=500)


class StaffStatusChange(_In):
    status: Status


class RolesChange(_In):
    roles: list[str] = Field(min_length=1, max_length=20)


class ApiKeyCreate(_In):
    public_key_pem: str = Field(min_length=1, max_length=10_000,
                                description="PEM SubjectPublicKeyInfo: Ed25519, or RSA of at least 2048 bits")
    label: str = Field(default="API key", max_length=100)
    scopes: list[str] | None = Field(default=None, max_length=20,
                                     description="Roles the key acts with; default: all a key may hold")


class ConsoleLogin(_In):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=128)
    label: str | None = Field(default=None, max_length=100)


# --- responses ------------------------------------------------------------------------------------

class OrgOut(BaseModel):
    id: str
    kind: str
    name_zh: str
    name_en: str | None
    uscc: str
    status: str
    created_at: datetime

    @classmethod
    def of(cls, o: Org) -> OrgOut:
        return cls(id=o.public_id, kind=o.kind, name_zh=o.name_zh, name_en=o.name_en, uscc=o.uscc,
                   status=o.status, created_at=o.created_at)


class StaffOut(BaseModel):
    id: str
    org_id: str
    username: str
    display_name: str
    roles: list[str]
    status: str
    created_at: datetime
    last_login_at: datetime | None

    @classmethod
    def of(cls, s: Staff, *, org_id: str, display_name: str) -> StaffOut:
        return cls(id=s.public_id, org_id=org_id, username=s.username, display_name=display_name,
                   roles=list(s.roles), status=s.status, created_at=s.created_at, last_login_at=s.last_login_at)


class ApiKeyOut(BaseModel):
    app_id: str
    org_id: str
    label: str
    algorithm: str
    fingerprint: str = Field(description="SHA-256 (hex) of the key's DER SubjectPublicKeyInfo")
    scopes: list[str]
    status: str
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None
    public_key_pem: str

    @classmethod
    def of(cls, k: ApiKey, *, org_id: str) -> ApiKeyOut:
        return cls(app_id=k.app_id, org_id=org_id, label=k.label, algorithm=k.algorithm, fingerprint=k.fingerprint,
                   scopes=list(k.scopes), status=k.status, created_at=k.created_at, revoked_at=k.revoked_at,
                   last_used_at=k.last_used_at, public_key_pem=k.public_key_pem)


class OrgCreated(BaseModel):
    org: OrgOut
    owner: StaffOut


class OrgPage(BaseModel):
    items: list[OrgOut]
    next_cursor: str | None


class CallerOut(BaseModel):
    kind: str
    id: str | None
    roles: list[str]
    app_id: str | None = Field(default=None, description="For a signed request: the key that signed it")


class OrgMe(BaseModel):
    """The caller's organisation, and how the caller was recognised (integrators test signing here)."""

    org: OrgOut
    caller: CallerOut


class ConsoleLoginResult(BaseModel):
    token: str
    token_type: Literal["bearer"] = "bearer"  # noqa: S105 - a token kind, not a secret
    expires_at: datetime
    principal_kind: Literal["staff", "admin"]
    staff: StaffOut
    org: OrgOut
