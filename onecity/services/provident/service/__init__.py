"""The provident fund's API, by meaning: `accounts` (the city's fund centre, accounts, monthly
contributions, balances and statements), `withdrawals`, and `drafts` (a withdrawal form kept
server-side during the face check, so no personal data travels in a URL). Other modules call the names
re-exported here (see the package docstring for the glossary, `rules` for the arithmetic).

Invariants kept here:
- An account's balance is its ledger account (no overdraft); contributions are transfers from the
  city's pool, withdrawals transfers to the citizen's wallet or (through the bank channel) to a
  bound card. Nothing else moves it.
- A month's contributions are posted once per employer (`post_contributions` is idempotent by
  employer + month: the same lines again return the first posting, different ones are refused) and
  once per account (one contribution per account and month).
- A withdrawal is decided by the city's rules when it is requested: refused (a stable code, nothing
  changes, the face grant stays unused), or accepted and its amount held at once by a pending
  transfer to the clearing account (so two withdrawals at the same moment can never take more than
  the balance; the account row is locked while the period's limits are read, so they can never pass
  a limit either). It is then paid (hold released, amount moved) automatically or after staff
  review, or refused (hold released).
- Every change writes an outbox event and an audit record in the caller's transaction.
"""

from onecity.services.provident.service.accounts import (
    CONTRIBUTION_CODE,
    CURRENCY,
    HOLD_CODE,
    PAYOUT_CODE,
    STATUS_CHANGES,
    STATUSES,
    WITHDRAW_ACT,
    centre_org_id,
    citizen_by_id_number,
    clearing_account_id,
    contributions,
    employer_accounts,
    employer_post,
    find_account,
    get_account,
    has_account,
    hpf_key,
    is_centre,
    is_centre_staff,
    list_accounts,
    open_account,
    pool_account_id,
    post_contributions,
    recent_postings,
    register_centre,
    require_centre,
    set_status,
    statement,
)
from onecity.services.provident.service.drafts import (
    DRAFT_TTL,
    discard_draft,
    get_draft,
    save_draft,
)
from onecity.services.provident.service.withdrawals import (
    bank_returned,
    check,
    get_withdrawal,
    mask_property,
    pay,
    payout_cards,
    quote,
    refuse,
    release_for_application,
    request_withdrawal,
    withdrawals,
)

__all__ = [
    "DRAFT_TTL",
    "discard_draft",
    "get_draft",
    "save_draft",
    "CONTRIBUTION_CODE",
    "CURRENCY",
    "HOLD_CODE",
    "PAYOUT_CODE",
    "STATUSES",
    "STATUS_CHANGES",
    "WITHDRAW_ACT",
    "bank_returned",
    "centre_org_id",
    "check",
    "citizen_by_id_number",
    "clearing_account_id",
    "contributions",
    "employer_accounts",
    "employer_post",
    "find_account",
    "get_account",
    "get_withdrawal",
    "mask_property",
    "has_account",
    "hpf_key",
    "is_centre",
    "is_centre_staff",
    "list_accounts",
    "open_account",
    "pay",
    "payout_cards",
    "pool_account_id",
    "post_contributions",
    "quote",
    "recent_postings",
    "refuse",
    "register_centre",
    "release_for_application",
    "request_withdrawal",
    "require_centre",
    "set_status",
    "statement",
    "withdrawals",
]
