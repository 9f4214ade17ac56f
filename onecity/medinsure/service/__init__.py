"""The medinsure core's API — what the commercial and pay-later parts, the pages, the demo seed and
the JSON routes call. Laid out by meaning: `policies` (versioned city/year rules), `institutions`
(designated hospitals and pharmacies, pharmacy prices), `insured` (enrolment, personal accounts, the
fund, accumulators), `codes` (the insurance code), `visits` (scan, fee lines, queries), `payers` (who
pays what: the split and every payer's share now), `settlement` (pre-settlement, confirmation,
settlement), `receipts` (the signed electronic receipt), `refunds`, `pharmacy` (online orders), `totals`
(the fund's daily totals), `seeding` (a city's demo data) and `signing_key` (the Ed25519 key codes and
receipts are signed with).
"""

from onecity.medinsure.service.codes import (
    activate_code,
    code_png,
    code_svg,
    consume_code,
    current_code,
    may_act_for,
    purge_codes,
    verify_code,
)
from onecity.medinsure.service.institutions import (
    get_institution,
    institution_account_id,
    list_institutions,
    pharmacy_catalogue,
    register_institution,
    set_pharmacy_prices,
)
from onecity.medinsure.service.insured import (
    contribute,
    contributions_account_id,
    enrol,
    fund_account_id,
    get_insured,
    is_insured,
    personal_account_id,
)
from onecity.medinsure.service.pharmacy import place_order
from onecity.medinsure.service.policies import (
    list_policies,
    policy_by_key,
    policy_for,
    publish_policy,
    seed_policies,
)
from onecity.medinsure.service.receipts import verify_receipt
from onecity.medinsure.service.refunds import refund, refunds_of
from onecity.medinsure.service.seeding import seed_city
from onecity.medinsure.service.settlement import (
    confirm,
    get_settlement,
    pending_confirmations,
    presettle,
    quote,
    settle,
    settlement_for_visit,
)
from onecity.medinsure.service.signing_key import key_id as signing_key_id
from onecity.medinsure.service.signing_key import public_pem as signing_public_pem
from onecity.medinsure.service.totals import fund_daily_totals, parse_day
from onecity.medinsure.service.visits import (
    get_visit,
    list_visits_for_citizen,
    list_visits_for_institution,
    scan_code,
    upload_fees,
)

__all__ = [
    "activate_code", "code_png", "code_svg", "confirm", "consume_code", "contribute", "contributions_account_id",
    "current_code", "enrol", "fund_account_id", "fund_daily_totals", "get_institution", "get_insured",
    "get_settlement", "get_visit", "institution_account_id", "is_insured", "list_institutions", "list_policies",
    "list_visits_for_citizen", "list_visits_for_institution", "may_act_for", "parse_day", "pending_confirmations",
    "personal_account_id", "pharmacy_catalogue", "place_order", "policy_by_key", "policy_for", "presettle",
    "publish_policy", "purge_codes", "quote", "refund", "refunds_of", "register_institution", "scan_code",
    "seed_city", "seed_policies", "set_pharmacy_prices", "settle", "settlement_for_visit", "signing_key_id",
    "signing_public_pem", "upload_fees", "verify_code", "verify_receipt",
]
