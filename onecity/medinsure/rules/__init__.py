"""The medical-insurance rules engine: pure functions, no database, no session.

- `policy`: a city's versioned yearly policy (schemes, deductibles, ratios, caps, catalogue), JSON
  validation (`Policy.from_json`, `load_policy`) and the demo city's policies (`demo_policies`).
- `lines`: bill lines and `check_line` against the catalogue.
- `split`: `split_bill` — each line into fund / self-pay within (自付) / self-pay outside (自费), with
  year-to-date `Accumulators` (deductible used, fund paid against the cap). Rounding: every percentage
  share is rounded half up to the fen per line; the citizen's part takes the remainder.
- `commercial`: `commercial_cover` — what a commercial product pays of a split, with its accumulators.
- `payers`: `allocate_payers` — per line fund → commercial → personal accounts → wallet/credit line.
- `reverse`: `reverse` — the exact reverse of recorded lines and shares (refunds).
"""

from onecity.medinsure.rules.commercial import (
    CommercialAccumulators,
    CommercialCover,
    CommercialProduct,
    commercial_cover,
)
from onecity.medinsure.rules.errors import (
    AllocationInvalid,
    CoverInvalid,
    LineInvalid,
    PolicyInvalid,
    ReverseInvalid,
    RulesError,
    SplitInvalid,
)
from onecity.medinsure.rules.lines import MAX_QUANTITY, MAX_UNIT_PRICE_FEN, BillLine, check_line
from onecity.medinsure.rules.payers import (
    CREDIT_LINE,
    FUND,
    PERSONAL_ACCOUNT,
    WALLET,
    Allocation,
    PayerShare,
    PayerSource,
    account_sources,
    allocate_payers,
    commercial_payer,
    family_payer,
)
from onecity.medinsure.rules.policies import DEMO_CITY, demo_policies, demo_policy, load_policy, policy_for
from onecity.medinsure.rules.policy import (
    ACCOUNT_PARTS,
    BP,
    CATEGORIES,
    CATEGORY_ZH,
    KINDS,
    LEVELS,
    SCHEMES,
    VISIT_TYPES,
    CatalogueItem,
    DeductibleRule,
    Policy,
    SchemeRules,
)
from onecity.medinsure.rules.reverse import Reversal, reverse
from onecity.medinsure.rules.split import Accumulators, BillSplit, LineSplit, round_bp, split_bill

__all__ = [
    "ACCOUNT_PARTS", "BP", "CATEGORIES", "CATEGORY_ZH", "CREDIT_LINE", "DEMO_CITY", "FUND", "KINDS", "LEVELS",
    "MAX_QUANTITY", "MAX_UNIT_PRICE_FEN", "PERSONAL_ACCOUNT", "SCHEMES", "VISIT_TYPES", "WALLET",
    "Accumulators", "Allocation", "AllocationInvalid", "BillLine", "BillSplit", "CatalogueItem",
    "CommercialAccumulators", "CommercialCover", "CommercialProduct", "CoverInvalid", "DeductibleRule",
    "LineInvalid", "LineSplit", "PayerShare", "PayerSource", "Policy", "PolicyInvalid", "Reversal",
    "ReverseInvalid", "RulesError", "SchemeRules", "SplitInvalid", "account_sources", "allocate_payers",
    "check_line", "commercial_cover", "commercial_payer", "demo_policies", "demo_policy", "family_payer",
    "load_policy", "policy_for", "reverse", "round_bp", "split_bill",
]
