"""Requests and responses of the identity module (citizen accounts). Personal data leaves only masked."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

OtpPurpose = Literal["login", "password_reset"]
RegistryStatus = Literal["active", "deceased", "moved_out"]
TokenType = Literal["cookie", "bearer"]


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


# --- requests -------------------------------------------------------------------------------------

class OtpRequest(_In):
    mobile: str = Field(min_length=1, max_length=32, examples=["13800138000"])
    purpose: OtpPurpose = "login"


class LoginRequest(_In):
    """Sign in (or sign up, on first use of a mobile number) with a one-time code or a password."""

    mobile: str = Field(min_length=1, max_length=32)
    code: str | None = Field(default=None, max_length=16)
    password: str | None = Field(default=None, max_length=128)
    token_type: TokenType = "bearer"  # noqa: S105 - a token kind, not a secret
    label: str | None = Field(default=None, max_length=100, description="A name for the session, e.g. the device")

    @model_validator(mode="after")
    def _one_secret(self) -> LoginRequest:
        if (self.code is None) == (self.password is None):
            raise ValueError("give exactly one of code and password")
        return self


class PasswordChange(_In):
    """Set the password. Changing an existing one needs the current password or a fresh
    `password_reset` code sent to the account's mobile."""

    password: str = Field(min_length=1, max_length=128)
    current_password: str | None = Field(default=None, max_length=128)
    code: str | None = Field(default=None, max_length=16)


class RealNameRequest(_In):
    name: str = Field(min_length=1, max_length=50, examples=["张三"])
    id_number: str = Field(min_length=1, max_length=64, examples=["11010519491231002X"])


class RegistryRow(BaseModel):
    """One resident as the city's population registry hands it over."""

    model_config = ConfigDict(extra="forbid")

    name: str
    id_number: str
    photo: bytes | None = None
    status: RegistryStatus = "active"

    @field_validator("name", "id_number")
    @classmethod
    def _strip(cls, v: str) -> str:
        return v.strip()


# --- responses ------------------------------------------------------------------------------------

class OtpRequested(BaseModel):
    challenge_id: str
    mobile_masked: str
    expires_in: int = Field(description="Seconds the code stays valid")
    resend_after: int = Field(description="Seconds before another code may be requested")


class CitizenSummary(BaseModel):
    """What other modules (and the citizen) may see of an account: everything personal is masked."""

    public_id: str
    verified: bool
    masked_name: str | None
    masked_id_number: str | None
    sex: Literal["M", "F"] | None
    birth_date: date | None
    age: int | None
    is_minor: bool | None
    region_code: str | None
    region_name: str | None


class CitizenProfile(CitizenSummary):
    mobile_masked: str
    has_password: bool
    created_at: datetime
    verified_at: datetime | None
    language: str


class SessionInfo(BaseModel):
    id: str
    kind: str
    credential: TokenType
    label: str | None
    user_agent: str | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    current: bool = False


class LoginResult(BaseModel):
    citizen: CitizenProfile
    signed_up: bool = Field(description="True when this sign-in created the account")
    session: SessionInfo
    token: str | None = Field(default=None, description="The bearer token (only for token_type=bearer)")


class RegistryLoadReport(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[tuple[int, str]] = Field(default_factory=list, description="(row number, error code)")
