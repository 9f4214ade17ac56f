"""The credentials service, by meaning:

- `issuers`: issuers (签发机构), their rotating signing keys and the platform-signed trust lists;
- `issuance`: issued certificates (电子证照) — issue, suspend, reinstate, revoke, re-issue, sign for a
  holder — and the issuers' published status lists (状态列表).

Other modules call the names re-exported here.
"""

from onecity.credentials.service.issuance import (
    STATUS_BITS,
    STATUS_LIST_SIZE,
    STATUS_TTL,
    CredentialNotFound,
    CredentialNotValid,
    CredentialStateConflict,
    HolderKeyInvalid,
    StatusListFull,
    StatusListUnsupported,
    get_credential,
    issue_credential,
    list_for_citizen,
    list_issued,
    publish_status_list,
    reinstate_credential,
    reissue_credential,
    revoke_credential,
    signed_certificate,
    signed_views,
    status_list_of,
    status_list_uri,
    suspend_credential,
)
from onecity.credentials.service.issuers import (
    DEFAULT_TTL,
    MAX_TTL,
    IssuerExists,
    IssuerInputInvalid,
    IssuerKeyActive,
    IssuerKeyNotFound,
    IssuerKeyRetired,
    IssuerNotAnAgency,
    IssuerNotFound,
    RecognisedList,
    Signer,
    TrustScopeInvalid,
    active_key,
    build_trust_list,
    get_issuer,
    issuer_keys,
    issuer_of_org,
    list_issuers,
    register_issuer,
    revoke_key,
    rotate_key,
    signer,
    trust_store,
    trusted_issuers,
    verify_trust_list,
)

__all__ = [
    "DEFAULT_TTL", "MAX_TTL", "STATUS_BITS", "STATUS_LIST_SIZE", "STATUS_TTL",
    "CredentialNotFound", "CredentialNotValid", "CredentialStateConflict", "HolderKeyInvalid",
    "IssuerExists", "IssuerInputInvalid", "IssuerKeyActive", "IssuerKeyNotFound", "IssuerKeyRetired",
    "IssuerNotAnAgency", "IssuerNotFound", "RecognisedList", "Signer", "StatusListFull", "StatusListUnsupported",
    "TrustScopeInvalid", "active_key", "build_trust_list", "get_credential", "get_issuer", "issue_credential",
    "issuer_keys", "issuer_of_org", "list_for_citizen", "list_issued", "list_issuers", "publish_status_list",
    "register_issuer", "reinstate_credential", "reissue_credential", "revoke_credential", "revoke_key",
    "rotate_key", "signed_certificate", "signed_views", "signer", "status_list_of", "status_list_uri", "suspend_credential",
    "trust_store", "trusted_issuers", "verify_trust_list",
]
