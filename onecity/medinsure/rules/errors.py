"""Errors of the pure rules engine. They are ValueErrors (no HTTP here): the service maps them to
DomainErrors. Each carries a stable `reason` the service can put in its own error code."""

from __future__ import annotations


class RulesError(ValueError):
    """Base of every rules-engine error. `reason` is stable, the message is for people (English)."""

    reason: str = "invalid"

    def __init__(self, message: str, *, reason: str | None = None) -> None:
        super().__init__(message)
        if reason is not None:
            self.reason = reason


class PolicyInvalid(RulesError):
    """A policy document does not validate. The message names the path of the bad field, e.g.
    ``schemes.employee.ratio_bp.inpatient.4: level must be one of 0, 1, 2, 3``."""

    reason = "policy_invalid"


class LineInvalid(RulesError):
    """A bill line is rejected by `check_line`. `reason` is one of ``unknown_code``, ``bad_quantity``,
    ``price_mismatch``, ``bad_price``; `line_no` and `code` say which line."""

    def __init__(self, message: str, *, reason: str, line_no: int | None = None, code: str | None = None) -> None:
        super().__init__(message, reason=reason)
        self.line_no = line_no
        self.code = code


class SplitInvalid(RulesError):
    """`split_bill` cannot split this bill: ``unknown_scheme``, ``unknown_visit_type``, ``not_covered``
    (the visit type is not covered at this level by the scheme), ``year_mismatch`` (the accumulators are of
    another year than the policy), ``empty_bill``, ``duplicate_line``, ``bad_accumulators``."""


class CoverInvalid(RulesError):
    """`commercial_cover` got inconsistent input (``year_mismatch``, ``bad_product``, ``bad_accumulators``)."""


class AllocationInvalid(RulesError):
    """`allocate_payers` got inconsistent input (``bad_payer``, ``duplicate_payer``, ``bad_balance``,
    ``over_covered`` — commercial covers pay more than the citizen's part of a line, ``bad_cover`` — a cover
    names lines the bill does not have or does not add up)."""


class ReverseInvalid(RulesError):
    """`reverse` got inconsistent input (``unknown_line``, ``duplicate_line``, ``negative_accumulator`` —
    the accumulators given do not contain what the refunded lines added, ``bad_shares``)."""
