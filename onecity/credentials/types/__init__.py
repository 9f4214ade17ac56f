"""Certificate types as data (证照类型): one JSON file per type in this folder, loaded and validated here.

A type says what a certificate of that kind holds and how it may be shown:

- `id` (the file name, snake_case), `code` (a small integer unique among types: the CWT carries it
  instead of the id to keep the QR short), `version`, `name` {zh, en}, `holder` (person | organisation),
  `issuer` {zh, en} (which kind of agency issues it — informative).
- `validity`: `{"days": N}` (valid N days from issuance), `{"until_field": "valid_until"}` (valid until
  the date held in that field) or `{}` (no expiry: e.g. a marriage certificate, ended by revocation).
- `fields`: each with an integer `key` (the claim key in the certificate's CBOR claims map; 1-255 so it
  is one CBOR byte — a key is never reused for another meaning: change the meaning, bump `version`),
  a snake_case `name` (the SD-JWT claim name), `label` {zh, en}, a `type` (string, date, integer,
  boolean, enum with `values`, id_number = 18-character resident ID with its GB 11643 check digit,
  uscc = unified social credit code with its GB 32100 check character), `required`, `max_length`
  (strings) and `disclosure`: `always` (shown in every presentation, a plain claim in SD-JWT) or
  `selective` (the holder chooses; an `_sd` digest in SD-JWT).
- `views`: purpose views (用途视图) the issuer signs alongside the full certificate for offline
  selective disclosure, e.g. `hotel` (name, ID number) or `traffic_police`: {label, fields}.

`load_types()` reads and checks every file once (a broken file fails loudly at start-up, naming the
file); `get_type(id)`, `type_by_code(code)` and `validate_claims(type, claims)` are what other code uses.
"""

from __future__ import annotations

import json
import re
from datetime import date
from functools import lru_cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from onecity.errors import InvalidInput, NotFound

NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_CLAIM_KEY = 255
VCT_PREFIX = "urn:onecity:credential:"

FieldType = Literal["string", "date", "integer", "boolean", "enum", "id_number", "uscc"]


class UnknownType(NotFound):
    code = "credential_type_unknown"
    message_zh = "未知的证照类型"
    message_en = "Unknown certificate type"


class ClaimsInvalid(InvalidInput):
    code = "credential_claims_invalid"
    message_zh = "证照内容不符合该类型的要求"
    message_en = "The certificate's fields do not match its type"


class TypeDefinitionInvalid(ValueError):
    """A type file is broken (raised at load time, never to a client)."""


class Label(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class FieldSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: int = Field(ge=1, le=MAX_CLAIM_KEY)
    name: str
    label: Label
    type: FieldType = "string"
    required: bool = True
    max_length: int | None = Field(default=None, ge=1, le=2000)
    values: tuple[str, ...] = ()
    disclosure: Literal["always", "selective"] = "selective"

    @property
    def always_shown(self) -> bool:
        return self.disclosure == "always"

    @property
    def selectively_disclosable(self) -> bool:
        return self.disclosure == "selective"

    @model_validator(mode="after")
    def _check(self) -> FieldSpec:
        if not NAME_RE.match(self.name):
            raise ValueError(f"field name {self.name!r} is not snake_case")
        if (self.type == "enum") != bool(self.values):
            raise ValueError(f"field {self.name!r}: `values` goes with type enum, and only with it")
        if self.max_length is not None and self.type != "string":
            raise ValueError(f"field {self.name!r}: max_length is for strings")
        return self


class ViewSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    label: Label
    fields: tuple[str, ...] = Field(min_length=1)


class Validity(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    days: int | None = Field(default=None, ge=1, le=36500)
    until_field: str | None = None

    @model_validator(mode="after")
    def _one(self) -> Validity:
        if self.days is not None and self.until_field is not None:
            raise ValueError("validity is either `days` or `until_field`, not both")
        return self


class CredentialType(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    code: int = Field(ge=1, le=65535)
    version: int = Field(ge=1)
    name: Label
    holder: Literal["person", "organisation"]
    issuer: Label
    validity: Validity
    fields: tuple[FieldSpec, ...] = Field(min_length=1)
    views: dict[str, ViewSpec] = Field(default_factory=dict)

    @property
    def vct(self) -> str:
        """The SD-JWT VC type (`vct`): `urn:onecity:credential:<id>`."""
        return VCT_PREFIX + self.id

    def field(self, name: str) -> FieldSpec:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    def field_by_key(self, key: int) -> FieldSpec:
        for f in self.fields:
            if f.key == key:
                return f
        raise KeyError(key)

    @property
    def always_shown(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.always_shown)

    @property
    def selectively_disclosable(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields if f.selectively_disclosable)

    @model_validator(mode="after")
    def _check(self) -> CredentialType:
        if not NAME_RE.match(self.id):
            raise ValueError(f"type id {self.id!r} is not snake_case")
        names = [f.name for f in self.fields]
        keys = [f.key for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError("field names repeat")
        if len(set(keys)) != len(keys):
            raise ValueError("field keys repeat")
        by_name = {f.name: f for f in self.fields}
        if self.validity.until_field is not None:
            f = by_name.get(self.validity.until_field)
            if f is None or f.type != "date":
                raise ValueError("validity.until_field must name a date field")
        for view_name, view in self.views.items():
            if not NAME_RE.match(view_name):
                raise ValueError(f"view name {view_name!r} is not snake_case")
            unknown = [n for n in view.fields if n not in by_name]
            if unknown:
                raise ValueError(f"view {view_name!r} names unknown fields {unknown}")
            if len(set(view.fields)) != len(view.fields):
                raise ValueError(f"view {view_name!r} repeats a field")
        return self


def parse_type(data: Any, *, source: str = "<data>") -> CredentialType:
    """One type definition from its JSON object (TypeDefinitionInvalid naming `source` if broken)."""
    try:
        return CredentialType.model_validate(data)
    except ValidationError as exc:
        raise TypeDefinitionInvalid(f"{source}: {exc}") from exc


@lru_cache
def load_types() -> dict[str, CredentialType]:
    """Every type in this folder, by id. Ids must match the file names, codes must be unique."""
    out: dict[str, CredentialType] = {}
    codes: dict[int, str] = {}
    for entry in sorted(resources.files(__package__).iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".json"):
            continue
        try:
            data = json.loads(entry.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise TypeDefinitionInvalid(f"{entry.name}: not JSON: {exc}") from exc
        t = parse_type(data, source=entry.name)
        if t.id != entry.name.removesuffix(".json"):
            raise TypeDefinitionInvalid(f"{entry.name}: id {t.id!r} differs from the file name")
        if t.code in codes:
            raise TypeDefinitionInvalid(f"{entry.name}: code {t.code} is also {codes[t.code]!r}'s")
        codes[t.code] = t.id
        out[t.id] = t
    return out


def get_type(type_id: str) -> CredentialType:
    t = load_types().get(type_id)
    if t is None:
        raise UnknownType(detail=str(type_id)[:80])
    return t


def type_by_code(code: int) -> CredentialType:
    for t in load_types().values():
        if t.code == code:
            return t
    raise UnknownType(detail=str(code)[:20])


# --- claims ---------------------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def _id_number_ok(v: str) -> bool:
    """GB 11643: 17 digits then the check character of sum(digit × weight) mod 11."""
    if len(v) != 18 or not v[:17].isdigit():
        return False
    return _ID_CHECK[sum(int(c) * w for c, w in zip(v[:17], _ID_WEIGHTS, strict=True)) % 11] == v[17]


def id_number_ok(v: str) -> bool:
    """A valid 18-character resident ID number (GB 11643 check character)."""
    return _id_number_ok(v)


def _uscc_ok(v: str) -> bool:
    """GB 32100: 18 characters of the 31-character alphabet, check = 31 − (Σ value × 3^i mod 31) mod 31."""
    if len(v) != 18 or any(c not in _USCC_ALPHABET for c in v) or not v[2:8].isdigit():
        return False
    total = sum(_USCC_ALPHABET.index(c) * pow(3, i, 31) for i, c in enumerate(v[:17]))
    return _USCC_ALPHABET[(31 - total % 31) % 31] == v[17]


def _check_value(f: FieldSpec, value: Any) -> tuple[Any, str | None]:
    """(normalised value, None) or (None, reason)."""
    if f.type == "boolean":
        return (value, None) if isinstance(value, bool) else (None, "not a boolean")
    if f.type == "integer":
        ok = isinstance(value, int) and not isinstance(value, bool)
        return (value, None) if ok else (None, "not an integer")
    if not isinstance(value, str):
        return None, "not text"
    v = value.strip()
    if not v:
        return None, "empty"
    if f.type == "date":
        try:
            return date.fromisoformat(v).isoformat(), None
        except ValueError:
            return None, "not a date (YYYY-MM-DD)"
    if f.type == "enum":
        return (v, None) if v in f.values else (None, f"not one of {', '.join(f.values)}")
    if f.type == "id_number":
        v = v.upper()
        return (v, None) if _id_number_ok(v) else (None, "not a valid resident ID number")
    if f.type == "uscc":
        v = v.upper()
        return (v, None) if _uscc_ok(v) else (None, "not a valid unified social credit code")
    limit = f.max_length or 200
    return (v, None) if len(v) <= limit else (None, f"longer than {limit} characters")


def validate_claims(ctype: CredentialType, claims: dict[str, Any]) -> dict[str, Any]:
    """The claims checked against the type, normalised (trimmed text, ISO dates, upper-case IDs), in
    field order. ClaimsInvalid lists every problem at once: unknown fields, missing required ones,
    wrong values."""
    problems: list[str] = [f"{name}: unknown field" for name in claims if name not in {f.name for f in ctype.fields}]
    out: dict[str, Any] = {}
    for f in ctype.fields:
        value = claims.get(f.name)
        if value is None or (isinstance(value, str) and not value.strip()):
            if f.required:
                problems.append(f"{f.name}: required")
            continue
        normalised, reason = _check_value(f, value)
        if reason is not None:
            problems.append(f"{f.name}: {reason}")
        else:
            out[f.name] = normalised
    if problems:
        raise ClaimsInvalid(detail="; ".join(problems)[:1000], fields=sorted({p.split(":")[0] for p in problems}))
    return out


def to_claim_keys(ctype: CredentialType, claims: dict[str, Any]) -> dict[int, Any]:
    """Named claims -> the integer-keyed map a CWT carries."""
    return {ctype.field(name).key: value for name, value in claims.items()}


def from_claim_keys(ctype: CredentialType, claims: dict[int, Any]) -> dict[str, Any]:
    """The integer-keyed map of a CWT -> named claims (a key the type does not define raises KeyError)."""
    return {ctype.field_by_key(key).name: value for key, value in claims.items()}
