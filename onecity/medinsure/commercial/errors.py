"""Commercial insurance errors, each with a stable code and zh/en messages."""

from __future__ import annotations

from onecity.errors import Conflict, InvalidInput, NotFound


class NotAnInsurer(NotFound):
    """Insurer routes look absent to other organisations (as `orgs.org_in_reach` makes others' ids)."""

    code = "not_an_insurer"
    message_zh = "该机构不是保险公司"
    message_en = "This organisation is not an insurer"


class ProductInvalid(InvalidInput):
    code = "commercial_product_invalid"
    message_zh = "商业保险产品参数有误"
    message_en = "The insurance product is not valid"


class ProductExists(Conflict):
    code = "commercial_product_exists"
    message_zh = "该产品编码已存在，请发布新版本"
    message_en = "A product with this code exists; publish a new version instead"


class ProductNotFound(NotFound):
    code = "commercial_product_not_found"
    message_zh = "找不到该保险产品"
    message_en = "No such insurance product"


class ProductSuperseded(Conflict):
    code = "commercial_product_superseded"
    message_zh = "该产品版本已被新版本取代，不能再出单或修订"
    message_en = "This product version has been superseded; use the newest version"


class PolicyInvalid(InvalidInput):
    code = "commercial_policy_invalid"
    message_zh = "保单参数有误"
    message_en = "The policy is not valid"


class PolicyConflict(Conflict):
    code = "policy_no_reused"
    message_zh = "保单号已用于另一张不同的保单"
    message_en = "This policy number was already used for a different policy"


class PolicyNotFound(NotFound):
    code = "commercial_policy_not_found"
    message_zh = "找不到该保单"
    message_en = "No such policy"


class PolicyStateInvalid(Conflict):
    code = "commercial_policy_status_invalid"
    message_zh = "保单状态不允许该操作"
    message_en = "The policy's status does not allow this"


class ClaimInvalid(InvalidInput):
    code = "commercial_claim_invalid"
    message_zh = "理赔数据有误"
    message_en = "The claim is not valid"


class ClaimConflict(Conflict):
    code = "commercial_claim_conflict"
    message_zh = "该结算已记录了另一笔不同的理赔"
    message_en = "A different claim was already recorded for this settlement"


class ClaimNotFound(NotFound):
    code = "commercial_claim_not_found"
    message_zh = "找不到该理赔"
    message_en = "No such claim"


class AccumulatorsMoved(Conflict):
    """The cover was computed on accumulators that changed since (a concurrent settlement): compute again."""

    code = "commercial_accumulators_moved"
    message_zh = "商业保险累计额已变化，请重新结算"
    message_en = "The policy's year-to-date figures changed meanwhile; settle again"


class ReversalExceedsClaim(Conflict):
    code = "commercial_reversal_exceeds_claim"
    message_zh = "退回金额超过商业保险已赔付金额"
    message_en = "The reversal exceeds what the insurer paid for this settlement"
