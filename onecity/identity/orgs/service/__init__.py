"""The organisations service: organisations, their staff (console accounts with roles), their API
keys, and turning a staff session or a signed request into a `Principal`.

Other modules call these functions (never the tables): `staff_principal`, `authenticate_signed_request`,
`get_org`, `org_names`, `city_org`, … The signed-request protocol is described in `signatures`.

Rules kept here:
- An organisation has one kind; its staff roles and its keys' scopes come from `ROLES_BY_KIND`.
  Keys never carry `owner` or `admin`: managing staff and keys is for people in the console.
- The city (kind `city`, at most one) is the platform operator: its staff are principals of kind
  `admin`; everyone else's staff are `staff`.
- A suspended organisation or staff member cannot sign in, and their sessions and keys stop working.
- An organisation always keeps at least one active owner.
- Passwords are hashed with Argon2id; five wrong passwords in a row lock the account for 15 minutes.
- A signed request's principal is kind `org` with `id` and `org_id` the org's public id, `roles` the
  key's scopes, `credential` "signature" and `session_id` the app id of the key that signed it.

Laid out by meaning: `organisations` (kinds, roles, registration, suspension), `staff` (console
accounts and sign-in) and `api_keys` (public keys and signed requests).
"""

from onecity.identity.orgs.models import ApiKey, Org, Staff
from onecity.identity.orgs.service.api_keys import (
    PURGE_ONE_IN,
    TOUCH_EVERY,
    ApiKeyNotFound,
    ApiKeyRevoked,
    AppIdUnknown,
    NonceReused,
    PublicKeyInvalid,
    PublicKeyTaken,
    SignatureInvalid,
    SignatureMalformed,
    SignatureMissing,
    SignatureTimestampSkew,
    authenticate_signed_request,
    fingerprint_short,
    list_api_keys,
    public_key_fingerprint,
    purge_used_nonces,
    register_api_key,
    revoke_api_key,
)
from onecity.identity.orgs.service.organisations import (
    ALL_ROLES,
    KEY_MANAGER_ROLES,
    MANAGER_ROLES,
    ORG_KINDS,
    PEOPLE_ONLY_ROLES,
    ROLES_BY_KIND,
    CityExists,
    OrgKindInvalid,
    OrgNotFound,
    OrgSuspended,
    OwnerRequired,
    RolesInvalid,
    UsccInvalid,
    UsccTaken,
    city_org,
    create_org,
    get_org,
    key_scopes_for,
    list_orgs,
    org_in_reach,
    org_names,
    roles_for,
    set_org_status,
)
from onecity.identity.orgs.service.staff import (
    LOCKOUT,
    MAX_FAILED_LOGINS,
    MIN_PASSWORD,
    USERNAME_RE,
    LastOwner,
    LoginFailed,
    LoginLocked,
    PasswordTooWeak,
    StaffNotFound,
    StaffSuspended,
    UsernameInvalid,
    UsernameTaken,
    add_staff,
    authenticate_staff,
    create_org_with_owner,
    display_name,
    get_staff,
    hash_password,
    list_staff,
    session_kind,
    set_staff_roles,
    set_staff_status,
    staff_org,
    staff_principal,
)

# The demo cast's tests check its staff passwords against the policy itself.
from onecity.identity.orgs.service.staff import _check_password as _check_password

__all__ = [
    # the rows these functions return
    "ApiKey",
    "Org",
    "Staff",
    # organisations
    "ALL_ROLES",
    "KEY_MANAGER_ROLES",
    "MANAGER_ROLES",
    "ORG_KINDS",
    "PEOPLE_ONLY_ROLES",
    "ROLES_BY_KIND",
    "CityExists",
    "OrgKindInvalid",
    "OrgNotFound",
    "OrgSuspended",
    "OwnerRequired",
    "RolesInvalid",
    "UsccInvalid",
    "UsccTaken",
    "city_org",
    "create_org",
    "get_org",
    "key_scopes_for",
    "list_orgs",
    "org_in_reach",
    "org_names",
    "roles_for",
    "set_org_status",
    # staff
    "LOCKOUT",
    "MAX_FAILED_LOGINS",
    "MIN_PASSWORD",
    "USERNAME_RE",
    "LastOwner",
    "LoginFailed",
    "LoginLocked",
    "PasswordTooWeak",
    "StaffNotFound",
    "StaffSuspended",
    "UsernameInvalid",
    "UsernameTaken",
    "add_staff",
    "authenticate_staff",
    "create_org_with_owner",
    "display_name",
    "get_staff",
    "hash_password",
    "list_staff",
    "session_kind",
    "set_staff_roles",
    "set_staff_status",
    "staff_org",
    "staff_principal",
    # api_keys
    "PURGE_ONE_IN",
    "TOUCH_EVERY",
    "ApiKeyNotFound",
    "ApiKeyRevoked",
    "AppIdUnknown",
    "NonceReused",
    "PublicKeyInvalid",
    "PublicKeyTaken",
    "SignatureInvalid",
    "SignatureMalformed",
    "SignatureMissing",
    "SignatureTimestampSkew",
    "authenticate_signed_request",
    "fingerprint_short",
    "list_api_keys",
    "public_key_fingerprint",
    "purge_used_nonces",
    "register_api_key",
    "revoke_api_key",
]
