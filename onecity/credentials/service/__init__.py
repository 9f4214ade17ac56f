"""The credentials service, by meaning:

- `issuers`: issuers (签发机构), their rotating signing keys and the platform-signed trust lists;
- `issuance`: issued certificates (电子证照) — issue, suspend, reinstate, revoke, re-issue, sign for a
  holder — and the issuers' published status lists (状态列表);
- `claims`: claiming a certificate into the wallet (领取) after face verification, OpenID4VCI-style
  (offer, pre-authorised code, token, nonce, credential endpoint with the holder's proof);
- `wallet`: the citizen's certificate wallet (证照夹) as the holder sees it;
- `imports`: issuing many certificates from a CSV file (批量签发) with a report of rejected rows;
- `consent`: citizens' consents (授权) to organisations reading their certificates online
  (`read_for_purpose`), and the access history (访问记录) of reads and online verifications.

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

from onecity.credentials.service import claims, wallet  # noqa: E402 - after issuance/issuers, which they use

__all__ += ["claims", "wallet"]

from onecity.credentials.service.consent import (  # noqa: E402 - after issuance, which it uses
    ConsentInvalid,
    ConsentNotFound,
    ConsentRequired,
    access_history,
    grant_consent,
    has_consent,
    list_consents,
    read_certificate,
    read_for_purpose,
    record_verification,
    withdraw_consent,
)
from onecity.credentials.service.imports import (  # noqa: E402
    ImportFileInvalid,
    ImportNotFound,
    get_import,
    import_csv,
    list_imports,
    template_csv,
)
from onecity.credentials.service.issuance import jose_algs  # noqa: E402
from onecity.credentials.service.issuers import (  # noqa: E402
    import_recognised_list,
    recognised_lists,
)

__all__ += [
    "ConsentInvalid", "ConsentNotFound", "ConsentRequired", "ImportFileInvalid", "ImportNotFound", "access_history",
    "get_import", "grant_consent", "has_consent", "import_csv", "import_recognised_list", "jose_algs", "list_consents",
    "list_imports", "read_certificate", "read_for_purpose", "recognised_lists", "record_verification",
    "template_csv", "withdraw_consent",
]
